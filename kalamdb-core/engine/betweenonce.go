package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
)

// onceBetween is x BETWEEN lo AND hi with x evaluated once per row. The
// engine's Between evaluates x twice (as lo <= x AND hi >= x), and its
// simplifyFilters and pushNotFilters copy x into two comparisons, so a
// BETWEEN nested in the x of another doubled the work and the tree at
// every level: 30 levels, a few hundred bytes, were 2^30 evaluations per
// row that no statement timeout interrupts. Those rewrites do not
// recognise onceBetween, which keeps the plan linear in the statement.
//
// Only an x that is not a column, a constant or a parameter is wrapped:
// the index choice (planbounds.go) and the short path read a column's
// BETWEEN, and evaluating a column twice costs nothing.
type onceBetween struct {
	*expression.Between
}

// evalOnce is b with its operand evaluated once, when that is worth it.
func evalOnce(b *expression.Between) sql.Expression {
	if cheapOperand(b.Val) {
		return b
	}
	return &onceBetween{Between: b}
}

// cheapOperand reports whether evaluating e twice costs nothing: it reads
// a value without computing anything and without side effects (the
// nested BETWEEN here and nullCheckedComparison rely on it).
func cheapOperand(e sql.Expression) bool {
	switch e.(type) {
	case *expression.GetField, *expression.BindVar:
		return true
	}
	return isLiteral(e)
}

func (o *onceBetween) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := o.Val.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	// The engine's comparison of the evaluated value: the same types,
	// hence the same conversions and NULL logic.
	return expression.NewBetween(expression.NewLiteral(v, o.Val.Type()), o.Lower, o.Upper).Eval(ctx, row)
}

func (o *onceBetween) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	b, err := o.Between.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return &onceBetween{Between: b.(*expression.Between)}, nil
}
