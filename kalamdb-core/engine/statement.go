package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// checkStatement applies KalamDB's rules to a translated statement before
// the engine plans it: system columns are never written by SQL, and an
// INSERT without a column list names the table's own columns. The
// translated AST is shared (cached), so a statement that needs a change
// is copied first. unqualified is the first table stmt names without a
// namespace and tableFunction whether it calls a set-returning function in
// FROM (unqualifiedTable and hasTableFunction, worked out once per cached
// statement).
func (e *Engine) checkStatement(sctx *sql.Context, stmt sqlparser.Statement, unqualified string, tableFunction bool, req QueryRequest) (sqlparser.Statement, error) {
	if sctx.GetCurrentDatabase() == "" {
		if name := unqualified; name != "" {
			// The engine would say "no database selected"; the user asked
			// for a table.
			return nil, apierror.Wrap(apierror.TableNotFound, nil, noNamespaceMessage(name))
		}
		if tableFunction {
			// The engine plans a table function in the current database
			// and fails without one ("no database selected"); a function
			// reads no table, so an empty database stands in (a name
			// left without a namespace is then not found).
			sctx.SetCurrentDatabase(noNamespace)
		}
	}
	switch s := stmt.(type) {
	case *sqlparser.Insert:
		for _, c := range s.Columns {
			if isSystemColumn(c.Lowered()) {
				return nil, apierror.New(apierror.InvalidInput, "system column %s is assigned by the database and cannot be inserted", c.Lowered())
			}
		}
		width, err := valuesWidth(s)
		if err != nil {
			return nil, err
		}
		if len(s.Columns) > 0 && width >= 0 && width != len(s.Columns) {
			return nil, insertWidthError(width, len(s.Columns))
		}
		if len(s.Columns) == 0 {
			// Without a column list the engine would expect values for the
			// system columns too; KalamDB users write the table's own
			// columns only, so name them explicitly. As in PostgreSQL,
			// VALUES rows shorter than the table name its first columns,
			// and the others take their defaults.
			cols, err := e.userColumns(req, s.Table)
			if err != nil {
				return nil, err
			}
			if width > len(cols) {
				return nil, insertWidthError(width, len(cols))
			}
			if width > 0 {
				cols = cols[:width]
			}
			cp := *s
			cp.Columns = make(sqlparser.Columns, 0, len(cols))
			for _, c := range cols {
				cp.Columns = append(cp.Columns, sqlparser.NewColIdent(c))
			}
			return &cp, nil
		}
	case *sqlparser.Delete:
		// The engine's DELETE planning looks up the session's current
		// database even for a qualified table, and fails without one; a
		// DELETE on ns.t means ns anyway.
		if sctx.GetCurrentDatabase() == "" && len(s.TableExprs) == 1 {
			if at, ok := s.TableExprs[0].(*sqlparser.AliasedTableExpr); ok {
				if tn, ok := at.Expr.(sqlparser.TableName); ok && !tn.DbQualifier.IsEmpty() {
					sctx.SetCurrentDatabase(strings.ToLower(tn.DbQualifier.String()))
				}
			}
		}
	case *sqlparser.Update:
		// As for DELETE: the engine's UPDATE planning looks the current
		// database up once the statement has a WITH clause, and failed
		// without one ("namespace not found: ").
		if sctx.GetCurrentDatabase() == "" && len(s.TableExprs) == 1 {
			if at, ok := s.TableExprs[0].(*sqlparser.AliasedTableExpr); ok {
				if tn, ok := at.Expr.(sqlparser.TableName); ok && !tn.DbQualifier.IsEmpty() {
					sctx.SetCurrentDatabase(strings.ToLower(tn.DbQualifier.String()))
				}
			}
		}
		for _, a := range s.Exprs {
			if isSystemColumn(a.Name.Name.Lowered()) {
				return nil, apierror.New(apierror.InvalidInput, "system column %s is assigned by the database and cannot be updated", a.Name.Name.Lowered())
			}
		}
	}
	return stmt, nil
}

// unqualifiedTable returns the first table named without a namespace
// that is not a WITH query of the statement, or "". A FROM-less SELECT
// names no table, so "dual" here is one the user wrote: PostgreSQL has no
// such table, and the engine would answer MySQL's "no database selected".
func unqualifiedTable(stmt sqlparser.Statement) string {
	ctes := cteNames(stmt)
	found := ""
	check := func(tn sqlparser.TableName) {
		name := strings.ToLower(tn.Name.String())
		if found == "" && tn.DbQualifier.IsEmpty() && name != "" && !ctes[name] {
			found = name
		}
	}
	_ = pgsql.Walk(func(node sqlparser.SQLNode) (bool, error) {
		switch n := node.(type) {
		case *sqlparser.AliasedTableExpr:
			if tn, ok := n.Expr.(sqlparser.TableName); ok {
				check(tn)
			}
		case *sqlparser.Insert:
			check(n.Table)
		}
		return found == "", nil
	}, stmt)
	return found
}

// valuesWidth is the number of values in each row of INSERT ... VALUES
// (-1 for another source), refusing rows of different lengths as
// PostgreSQL does.
func valuesWidth(s *sqlparser.Insert) (int, error) {
	rows, ok := insertValues(s)
	if !ok {
		return selectWidth(s.Rows), nil
	}
	if len(rows) == 0 {
		return -1, nil
	}
	w := len(rows[0])
	for _, r := range rows[1:] {
		if len(r) != w {
			return 0, apierror.New(apierror.InvalidSQL, "VALUES lists must all be the same length")
		}
	}
	return w, nil
}

// selectWidth is the number of columns of INSERT ... SELECT's query when
// its select list shows it (no *; a set operation's left branch), else
// -1: the engine checks the others.
func selectWidth(rows sqlparser.InsertRows) int {
	switch r := rows.(type) {
	case *sqlparser.Select:
		for _, e := range r.SelectExprs {
			if _, star := e.(*sqlparser.StarExpr); star {
				return -1
			}
		}
		return len(r.SelectExprs)
	case *sqlparser.SetOp:
		return selectWidth(r.Left)
	case *sqlparser.ParenSelect:
		return selectWidth(r.Select)
	}
	return -1
}

// insertWidthError is PostgreSQL's error for values that do not match the
// columns they are written into (the engine's was "number of values does
// not match number of columns provided").
func insertWidthError(values, columns int) error {
	if values > columns {
		return apierror.New(apierror.InvalidSQL, "INSERT has more expressions than target columns")
	}
	return apierror.New(apierror.InvalidSQL, "INSERT has more target columns than expressions")
}

func isSystemColumn(name string) bool {
	return name == schema.SeqColumn || name == schema.DeletedColumn
}

// userColumns lists the declared columns of an INSERT's target table.
func (e *Engine) userColumns(req QueryRequest, tn sqlparser.TableName) ([]string, error) {
	ns := strings.ToLower(tn.DbQualifier.String())
	if ns == "" {
		ns = req.Namespace
	}
	name := strings.ToLower(tn.Name.String())
	if ns == "" {
		return nil, apierror.New(apierror.InvalidSQL, "table %s is not qualified with a namespace and no namespace is selected", name)
	}
	if ns == catalog.SystemNamespace {
		return nil, execError(systemReadOnly)
	}
	snap := e.cat.Snapshot()
	if _, ok := snap.Namespace(ns); !ok {
		return nil, apierror.New(apierror.NamespaceNotFound, "namespace %s does not exist", ns)
	}
	t, ok := snap.Table(ns, name)
	if !ok {
		return nil, apierror.New(apierror.TableNotFound, "table %s.%s does not exist", ns, name)
	}
	cols := make([]string, len(t.Schema.Columns))
	for i, c := range t.Schema.Columns {
		cols[i] = c.Name
	}
	return cols, nil
}

// bindParams turns JSON request parameters into engine bind values v1..vn.
// They are bound as typed literals, never spliced into the text: strings
// as PostgreSQL's untyped literals (typed by where they are used),
// integers as BIGINT, other numbers as exact decimals.
func bindParams(params []any) (map[string]sqlparser.Expr, error) {
	if len(params) == 0 {
		return nil, nil
	}
	out := make(map[string]sqlparser.Expr, len(params))
	for i, p := range params {
		expr, err := bindValue(p)
		if err != nil {
			return nil, apierror.New(apierror.InvalidParameter, "parameter $%d: %v", i+1, err)
		}
		out[pgsql.BindName(i+1)] = expr
	}
	return out, nil
}

func bindValue(p any) (sqlparser.Expr, error) {
	switch v := p.(type) {
	case nil:
		return &sqlparser.NullVal{}, nil
	case bool:
		return boolParam(v), nil // pgboolparam.go
	case string:
		if strings.IndexByte(v, 0) >= 0 {
			// Text cannot hold NUL in PostgreSQL (which refuses it in a
			// parameter as an invalid byte), nor in literals here.
			return nil, errors.New(`invalid byte sequence for encoding "UTF8": 0x00 (text cannot hold NUL, U+0000)`)
		}
		return sqlparser.NewStrVal([]byte(v)), nil
	case json.Number:
		// As a numeric literal of the same text: an integer that fits 64
		// bits, else an exact decimal (2^63 is a NUMERIC, as in
		// PostgreSQL, not a number the engine would wrap), measured
		// before it is converted.
		return pgsql.NumericLiteral(string(v))
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nonFiniteFloat(v), nil
		}
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return pgsql.IntLiteral(int64(v)), nil
		}
		return sqlparser.NewFloatVal([]byte(strconv.FormatFloat(v, 'g', -1, 64))), nil
	case int64:
		return pgsql.IntLiteral(v), nil
	case int:
		return pgsql.IntLiteral(int64(v)), nil
	case []any, map[string]any:
		// Arrays and objects bind as their JSON text, for JSON columns.
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return sqlparser.NewStrVal(raw), nil
	}
	return nil, fmt.Errorf("unsupported value of type %T", p)
}

// nonFiniteFloat is the expression of a float parameter that is NaN or
// an infinity: 'NaN'::float8 as the statement's own text would have it,
// so that it compares as a float (bigint = 'NaN' is false, bigint <
// 'Infinity' true), as in PostgreSQL. A float literal of its text ("NaN",
// "+Inf") is none the engine's parser reads: it panicked binding it.
func nonFiniteFloat(v float64) sqlparser.Expr {
	text := "NaN"
	switch {
	case math.IsInf(v, 1):
		text = "Infinity"
	case math.IsInf(v, -1):
		text = "-Infinity"
	}
	cast := &sqlparser.FuncExpr{Name: sqlparser.NewColIdent(pgsql.FnCast)}
	for _, arg := range []string{text, dialect.DataType{Name: dialect.TypeDouble}.SQL()} {
		cast.Exprs = append(cast.Exprs, &sqlparser.AliasedExpr{Expr: sqlparser.NewStrVal([]byte(arg))})
	}
	return cast
}

// filtersOnDeleted reports whether a WHERE, ON or HAVING clause of the
// statement mentions _deleted; only then are soft-deleted rows visible.
// EXPLAIN's statement counts: its plan is the one the statement would
// run.
func filtersOnDeleted(stmt sqlparser.Statement) bool {
	found := false
	_ = pgsql.Walk(func(node sqlparser.SQLNode) (bool, error) {
		if found {
			return false, nil
		}
		var cond sqlparser.Expr
		switch n := node.(type) {
		case *sqlparser.Where:
			if n != nil {
				cond = n.Expr
			}
		case sqlparser.JoinCondition:
			cond = n.On
		}
		if cond != nil {
			_ = pgsql.Walk(func(inner sqlparser.SQLNode) (bool, error) {
				if c, ok := inner.(*sqlparser.ColName); ok && c.Name.Lowered() == schema.DeletedColumn {
					found = true
					return false, nil
				}
				return true, nil
			}, cond)
		}
		return true, nil
	}, stmt)
	return found
}
