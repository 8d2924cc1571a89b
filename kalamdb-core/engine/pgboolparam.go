package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// A JSON true or false parameter is a BOOLEAN, and PostgreSQL has no
// operator comparing an integer with a boolean: id = $1 with true is an
// error ("operator does not exist: bigint = boolean"). The engine's
// planner converts a literal compared with an integer column to the
// column's type when the types look congruent, and a boolean is its
// TINYINT, so the parameter became the BIGINT 1 before the type-checking
// rule could see a boolean: DELETE ... WHERE id = $1 with true deleted
// row 1. So a boolean parameter is bound as kdb_bool_param(TRUE), which
// the planner does not convert, and typeLiterals makes it the boolean
// literal again before the type-checking rule runs.

// boolParamFn names the wrapper of a boolean parameter, and of TRUE or
// FALSE compared with a column (the translation marks those the same way).
const boolParamFn = pgsql.FnBoolParam

// boolParam is the engine expression of a boolean parameter.
func boolParam(b bool) sqlparser.Expr {
	return &sqlparser.FuncExpr{Name: sqlparser.NewColIdent(boolParamFn),
		Exprs: sqlparser.SelectExprs{&sqlparser.AliasedExpr{Expr: sqlparser.BoolVal(b)}}}
}

// buildBoolParam builds kdb_bool_param(b): b, a boolean the planner does
// not convert.
func buildBoolParam(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 || familyOf(args[0]) != famBool {
		return nil, sqlError("%s takes a boolean", boolParamFn)
	}
	f := newFunc(args, boolType, func(_ *sql.Context, vals []any) (any, error) { return vals[0], nil })
	f.name, f.build = boolParamFn, buildBoolParam
	return f, nil
}

// typeLiterals prepares the literals of n for the type-checking rule:
// boolean parameters become boolean literals again, text the planner
// converted to a BYTES column's type is read as bytea (byteaLiterals), an
// IN list that would round a decimal becomes equalities (decimalInLists),
// and untyped literals meeting DATETIME columns become DATETIMEs
// (zonedLiterals).
func typeLiterals(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	n, boolSame, err := unwrapBoolParams(n)
	if err != nil {
		return nil, transform.SameTree, err
	}
	n, byteaSame, err := byteaLiterals(n)
	if err != nil {
		return nil, transform.SameTree, err
	}
	n, inSame, err := decimalInLists(n)
	if err != nil {
		return nil, transform.SameTree, err
	}
	n, zonedSame, err := zonedLiterals(n)
	return n, boolSame && byteaSame && inSame && zonedSame, err
}

// unwrapBoolParams replaces every kdb_bool_param(b) of n, subqueries
// included, by the literal b.
func unwrapBoolParams(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		switch x := e.(type) {
		case *pgFunc:
			if x.name == boolParamFn && len(x.args) == 1 {
				if lit, ok := asLiteral(x.args[0]); ok {
					b, _ := toBool(lit.Value())
					return expression.NewLiteral(b, types.Boolean), transform.NewTree, nil
				}
			}
		case *plan.Subquery:
			q, same, err := unwrapBoolParams(x.Query)
			if err != nil || same {
				return e, transform.SameTree, err
			}
			return x.WithQuery(q), transform.NewTree, nil
		}
		return e, transform.SameTree, nil
	})
}

// boolEqualKey is kdb_bool_key(b), the grouping key of a boolean. The
// engine carries a boolean as bool (a literal, a comparison) or as its
// TINYINT 1 or 0 (a table's column, a cast: boolValue), and groups by
// printing the values it hashes, so true and 1 made two groups of true
// (GROUP BY COALESCE(b, true)). The key is the TINYINT either way.
func boolEqualKey(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 {
		return nil, sqlError("kdb_bool_key takes one argument")
	}
	f := newFuncOfType(args, types.Int8, func(_ *sql.Context, vals []any) (any, error) {
		if b, ok := vals[0].(bool); ok {
			return boolValue(b), nil
		}
		return vals[0], nil
	})
	f.name, f.build = "kdb_bool_key", boolEqualKey
	return f, nil
}
