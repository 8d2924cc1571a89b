package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// -0 equals 0 (and NaN equals NaN) in PostgreSQL, so a GROUP BY puts them
// in one group and count(DISTINCT) counts them once. The engine groups
// and counts distinct values by hashing them, and -0 and 0 hash apart:
// GROUP BY round(f) made two groups of 0 for round(-0.4) and round(0.4).
// So a float grouping key, and a float argument of count(DISTINCT), is
// read through kdb_float_order (floatOrderKey), one BIGINT per float8
// value with -0 that of 0. The group's shown value is still the
// expression's own. (The group scan never groups by floats.)

// checkGroupBy applies the grouping rules: float keys, then KalamDB's min
// and max (groupedExtremes).
func checkGroupBy(gb *plan.GroupBy) (sql.Node, transform.TreeIdentity, error) {
	gb, constSame, err := largeConstantKeys(gb) // largeliteral.go
	if err != nil {
		return nil, transform.SameTree, err
	}
	n, same, err := floatGroupKeys(gb)
	same = same && constSame
	if err != nil {
		return nil, transform.SameTree, err
	}
	out, extSame, err := groupedExtremes(n)
	return out, same && extSame, err
}

// floatGroupKeys reads gb's float keys and count(DISTINCT) arguments
// through their order keys.
func floatGroupKeys(gb *plan.GroupBy) (*plan.GroupBy, transform.TreeIdentity, error) {
	keys, keysSame, err := floatKeys(gb.GroupByExprs)
	if err != nil {
		return nil, transform.SameTree, err
	}
	sel, selSame, err := transform.Exprs(gb.SelectedExprs, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		cd, ok := e.(*aggregation.CountDistinct)
		if !ok || cd.Window() != nil {
			return e, transform.SameTree, nil
		}
		args, same, err := floatKeys(cd.Children())
		if err != nil || same {
			return e, transform.SameTree, err
		}
		n, err := cd.WithChildren(args...)
		if err != nil {
			return nil, transform.SameTree, err
		}
		return n.(*aggregation.CountDistinct).WithId(cd.Id()).(sql.Expression), transform.NewTree, nil
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	if keysSame && selSame {
		return gb, transform.SameTree, nil
	}
	n, err := gb.WithExpressions(append(append([]sql.Expression(nil), sel...), keys...)...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n.(*plan.GroupBy), transform.NewTree, nil
}

// floatKeys replaces the float and JSON expressions of es by their order
// keys (pgOrderKey): equal JSON values (-0 and 0 in them) group together.
func floatKeys(es []sql.Expression) ([]sql.Expression, transform.TreeIdentity, error) {
	out, changed, err := replaceKeys(es, func(e sql.Expression) (sql.Expression, bool, error) { return pgOrderKey(e, true) })
	if err != nil || !changed {
		return es, transform.SameTree, err
	}
	return out, transform.NewTree, nil
}
