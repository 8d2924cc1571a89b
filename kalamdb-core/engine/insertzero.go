package engine

import (
	"context"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
)

// The engine's projections turn a float -0 into 0 (rowexec.ProjectRow,
// MySQL's display rule), and the rows an INSERT writes come through
// projections: its VALUES are projected onto the table's columns, and
// INSERT ... SELECT is a query. So INSERT stored 0 where PostgreSQL
// stores -0 (UPDATE keeps it, see updatezero.go). The projections built
// under an INSERT are KalamDB's signedProject, which keeps the sign; a
// query's own result still shows 0 (see docs/sql.md).

// signedZerosKey marks the build of an INSERT's rows in a context.
type signedZerosKey struct{}

// withSignedZeros marks ctx as building the rows of an INSERT.
func withSignedZeros(ctx *sql.Context) *sql.Context {
	return ctx.WithContext(context.WithValue(ctx, signedZerosKey{}, true))
}

// signedBelow is ctx for building n and its children: an operator that
// tells rows apart by their values (DISTINCT, UNION, INTERSECT, EXCEPT)
// must take -0 for 0, as PostgreSQL's does, so the projections under it
// are the engine's again, which make -0 into 0 (an INSERT ... SELECT
// '-0'::float8 UNION SELECT 0 inserts one row, as PostgreSQL's).
func signedBelow(ctx *sql.Context, n sql.Node) *sql.Context {
	if on, _ := ctx.Value(signedZerosKey{}).(bool); !on {
		return ctx
	}
	switch n := n.(type) {
	case *plan.Distinct, *plan.OrderedDistinct:
	case *plan.SetOp:
		if n.SetOpType == plan.UnionType && !n.Distinct {
			return ctx // UNION ALL keeps every row as it is
		}
	default:
		return ctx
	}
	return ctx.WithContext(context.WithValue(ctx, signedZerosKey{}, false))
}

// buildSigned builds a projection or a VALUES list as the engine would,
// without turning -0 into 0, when ctx builds the rows of an INSERT; ok
// is false for other nodes and contexts.
func (b *checkedBuilder) buildSigned(ctx *sql.Context, n sql.Node, r sql.Row) (it sql.RowIter, ok bool, err error) {
	if on, _ := ctx.Value(signedZerosKey{}).(bool); !on {
		return nil, false, nil
	}
	switch n := n.(type) {
	case *plan.Project:
		if g, _ := ctx.Value(groupsKey{}).(*groupTracker); g != nil {
			// Under a grouping the engine's path charges its groups
			// (checkedBuilder.build); the grouping's own projection,
			// above it, keeps the signs.
			return nil, false, nil
		}
		child, err := b.main.Build(ctx, n.Child, r)
		if err != nil {
			return nil, true, err
		}
		return &signedProjectIter{projs: n.Projections, child: child}, true, nil
	case *plan.Values:
		if len(r) > 0 {
			return nil, false, nil // a trigger's row: the engine evaluates against it
		}
		rows := make([]sql.Row, len(n.ExpressionTuples))
		for i, tuple := range n.ExpressionTuples {
			if rows[i], err = projectSigned(ctx, tuple, nil); err != nil {
				return nil, true, err
			}
		}
		return sql.RowsToRowIter(rows...), true, nil
	}
	return nil, false, nil
}

// signedProjectIter is rowexec.ProjectIter without its sign rule.
type signedProjectIter struct {
	projs []sql.Expression
	child sql.RowIter
}

func (it *signedProjectIter) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := it.child.Next(ctx)
	if err != nil {
		return nil, err
	}
	return projectSigned(ctx, it.projs, row)
}

func (it *signedProjectIter) Close(ctx *sql.Context) error { return it.child.Close(ctx) }

// projectSigned is rowexec.ProjectRow without its sign rule: a DEFAULT
// that is an expression may name other columns of the new row, so it is
// computed after them.
func projectSigned(ctx *sql.Context, projs []sql.Expression, row sql.Row) (sql.Row, error) {
	out := make(sql.Row, len(projs))
	var later []int
	var err error
	for i, e := range projs {
		if d, ok := projectedDefault(e); ok && !d.IsLiteral() {
			later = append(later, i)
			continue
		}
		if out[i], err = e.Eval(ctx, row); err != nil {
			return nil, err
		}
	}
	for _, i := range later {
		if out[i], err = projs[i].Eval(ctx, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// projectedDefault is the column DEFAULT a projection computes, as
// rowexec's defaultValFromProjectExpr finds it.
func projectedDefault(e sql.Expression) (*sql.ColumnDefaultValue, bool) {
	if w, ok := e.(*expression.Wrapper); ok {
		e = w.Unwrap()
	}
	switch d := e.(type) {
	case *sql.ColumnDefaultValue:
		return d, true
	case plan.ColDefaultExpression:
		if d.Column.Default != nil {
			return d.Column.Default, true
		}
		if d.Column.Generated != nil {
			return d.Column.Generated, true
		}
	}
	return nil, false
}
