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
			// As the engine's VALUES: a tuple is evaluated against a row
			// of its own width (of NULLs), which the plans of subqueries
			// in it are built for.
			if rows[i], err = projectSigned(ctx, tuple, make(sql.Row, len(tuple))); err != nil {
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

// A float -0 is stored as written (INSERT, UPDATE), and the operators
// that tell rows apart by hashing their values (DISTINCT, UNION,
// INTERSECT, EXCEPT) hash -0 apart from 0 where no projection of the
// engine made it 0 first: SELECT DISTINCT d over -0 and 0 gave both.
// PostgreSQL takes them for one value, so the rows reach those operators
// through zeroEqual, which makes every float zero 0.

// zeroEqual is, at build time only, the child of a DISTINCT or of a set
// operation: its rows are its child's with float zeros made 0 (under an
// INSERT too: INSERT ... SELECT '-0'::float8 UNION SELECT 0 inserts one
// row, as PostgreSQL's).
type zeroEqual struct{ child sql.Node }

var _ sql.Node = (*zeroEqual)(nil)

func (z *zeroEqual) Resolved() bool       { return z.child.Resolved() }
func (z *zeroEqual) String() string       { return z.child.String() }
func (z *zeroEqual) Children() []sql.Node { return []sql.Node{z.child} }
func (z *zeroEqual) IsReadOnly() bool     { return z.child.IsReadOnly() }
func (z *zeroEqual) Schema() sql.Schema   { return z.child.Schema() }

func (z *zeroEqual) WithChildren(children ...sql.Node) (sql.Node, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(z, len(children), 1)
	}
	return &zeroEqual{child: children[0]}, nil
}

// zeroEqualChildren is n with its children under zeroEqual when n tells
// rows apart by their values, or n itself.
func zeroEqualChildren(n sql.Node) (sql.Node, error) {
	switch n := n.(type) {
	case *plan.Distinct, *plan.OrderedDistinct:
	case *plan.SetOp:
		if n.SetOpType == plan.UnionType && !n.Distinct {
			return n, nil // UNION ALL keeps every row as it is
		}
	default:
		return n, nil
	}
	kids := n.Children()
	wrapped := make([]sql.Node, len(kids))
	for i, k := range kids {
		wrapped[i] = &zeroEqual{child: k}
	}
	return n.WithChildren(wrapped...)
}

// zeroEqualIter makes the float zeros of its child's rows 0.
type zeroEqualIter struct{ child sql.RowIter }

func (it *zeroEqualIter) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := it.child.Next(ctx)
	if err != nil {
		return nil, err
	}
	var out sql.Row
	for i, v := range row {
		var z any
		switch x := v.(type) {
		case float64:
			if x == 0 {
				z = float64(0)
			}
		case float32:
			if x == 0 {
				z = float32(0)
			}
		}
		if z == nil {
			continue
		}
		if out == nil {
			out = append(sql.Row(nil), row...) // the child's row may be shared
		}
		out[i] = z
	}
	if out == nil {
		return row, nil
	}
	return out, nil
}

func (it *zeroEqualIter) Close(ctx *sql.Context) error { return it.child.Close(ctx) }
