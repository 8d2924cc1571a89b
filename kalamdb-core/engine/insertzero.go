package engine

import (
	"context"
	"io"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
)

// The engine's projections turn a float -0 into 0 (rowexec.ProjectRow,
// MySQL's display rule), and most results come through a projection:
// SELECT d, d::text FROM t ORDER BY d showed 0 beside "-0", and INSERT
// stored 0 (its VALUES are projected onto the table's columns, INSERT
// ... SELECT is a query) where PostgreSQL stores -0. PostgreSQL prints a
// float -0 as -0 everywhere, so KalamDB builds projections and VALUES
// lists itself (signedProject), keeping the sign. The one exception is
// a projection over a write (an UPDATE or DELETE below it): the engine
// finds the write's iterator through its ProjectIter to count affected
// rows, so that one stays the engine's (its rows are not shown).

// signedZerosKey marks the build of an INSERT's rows in a context.
type signedZerosKey struct{}

// withSignedZeros marks ctx as building the rows of an INSERT.
func withSignedZeros(ctx *sql.Context) *sql.Context {
	return ctx.WithContext(context.WithValue(ctx, signedZerosKey{}, true))
}

// buildSigned builds a projection or a VALUES list as the engine would,
// without turning -0 into 0; ok is false for other nodes and for a
// projection over a write outside an INSERT.
func (b *checkedBuilder) buildSigned(ctx *sql.Context, n sql.Node, r sql.Row) (it sql.RowIter, ok bool, err error) {
	switch n := n.(type) {
	case *plan.Project:
		if on, _ := ctx.Value(signedZerosKey{}).(bool); !on && !n.IsReadOnly() {
			return nil, false, nil
		}
		// A grouping's tracker counts the grouping's input, the rows of
		// this projection, not those of its child (see build).
		groups, _ := ctx.Value(groupsKey{}).(*groupTracker)
		inner := ctx
		if groups != nil {
			inner = ctx.WithContext(context.WithValue(ctx, groupsKey{}, (*groupTracker)(nil)))
		}
		child, err := b.main.Build(inner, n.Child, r)
		if err != nil {
			return nil, true, err
		}
		var it sql.RowIter = &signedProjectIter{projs: n.Projections, child: child}
		if groups != nil {
			it = &checkedIter{child: it, groups: groups}
		}
		return it, true, nil
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
// INTERSECT, EXCEPT) hash -0 apart from 0: SELECT DISTINCT d over -0 and
// 0 gave both. PostgreSQL takes them for one value and returns the first
// row it meets. A DISTINCT is built by KalamDB (zeroDistinctIter), which
// hashes a row with its float zeros made 0 and returns the row as it
// came; the rows of a set operation reach it through zeroEqual, which
// makes every float zero 0 (so UNION returns 0 for -0). A DISTINCT over
// sorted rows (OrderedDistinct) compares neighbours by value, -0 = 0,
// and keeps the first.

// zeroEqual is, at build time only, the child of a set operation: its
// rows are its child's with float zeros made 0 (under an INSERT too:
// INSERT ... SELECT '-0'::float8 UNION SELECT 0 inserts one row, as
// PostgreSQL's).
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

// zeroEqualChildren is n with its children under zeroEqual when n is a
// set operation that tells rows apart by their values, or n itself.
func zeroEqualChildren(n sql.Node) (sql.Node, error) {
	so, ok := n.(*plan.SetOp)
	if !ok || so.SetOpType == plan.UnionType && !so.Distinct {
		return n, nil // UNION ALL keeps every row as it is
	}
	kids := n.Children()
	wrapped := make([]sql.Node, len(kids))
	for i, k := range kids {
		wrapped[i] = &zeroEqual{child: k}
	}
	return n.WithChildren(wrapped...)
}

// buildDistinct builds a DISTINCT as build would build the engine's,
// checked and charged alike, with KalamDB's iterator.
func (b *checkedBuilder) buildDistinct(ctx *sql.Context, d *plan.Distinct, r sql.Row) (sql.RowIter, error) {
	keptBy, _ := ctx.Value(keptByKey{}).(string)
	groups, _ := ctx.Value(groupsKey{}).(*groupTracker)
	held, _ := ctx.Value(heldKey{}).(*heldBytes)
	inner := context.WithValue(context.WithValue(ctx, keptByKey{}, ""), groupsKey{}, (*groupTracker)(nil))
	inner = context.WithValue(inner, heldKey{}, (*heldBytes)(nil))
	child, err := b.main.Build(ctx.WithContext(inner), d.Child, r)
	if err != nil {
		return nil, err
	}
	cache, dispose := ctx.Memory.NewHistoryCache()
	it := &zeroDistinctIter{child: child, seen: cache, dispose: dispose}
	return &checkedIter{child: it, keptBy: keptBy, groups: groups, held: held}, nil
}

// zeroDistinctIter is the engine's DISTINCT with -0 equal to 0: it
// returns the first row of each set of equal ones, as it came.
type zeroDistinctIter struct {
	child   sql.RowIter
	seen    sql.KeyValueCache
	dispose sql.DisposeFunc
}

func (it *zeroDistinctIter) Next(ctx *sql.Context) (sql.Row, error) {
	for {
		row, err := it.child.Next(ctx)
		if err != nil {
			if err == io.EOF {
				it.free()
			}
			return nil, err
		}
		h, err := sql.HashOf(ctx, zerosMadePositive(row))
		if err != nil {
			return nil, err
		}
		if _, err := it.seen.Get(h); err == nil {
			continue
		}
		if err := it.seen.Put(h, struct{}{}); err != nil {
			return nil, err
		}
		return row, nil
	}
}

func (it *zeroDistinctIter) free() {
	if it.dispose != nil {
		it.dispose()
		it.dispose = nil
	}
}

func (it *zeroDistinctIter) Close(ctx *sql.Context) error {
	it.free()
	return it.child.Close(ctx)
}

// zeroEqualIter makes the float zeros of its child's rows 0.
type zeroEqualIter struct{ child sql.RowIter }

func (it *zeroEqualIter) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := it.child.Next(ctx)
	if err != nil {
		return nil, err
	}
	return zerosMadePositive(row), nil
}

func (it *zeroEqualIter) Close(ctx *sql.Context) error { return it.child.Close(ctx) }

// zerosMadePositive is row with its float zeros 0: row itself when it has
// no -0, else a copy (the row may be shared).
func zerosMadePositive(row sql.Row) sql.Row {
	var out sql.Row
	for i, v := range row {
		var z any
		switch x := v.(type) {
		case float64:
			if x == 0 && math.Signbit(x) {
				z = float64(0)
			}
		case float32:
			if x == 0 && math.Signbit(float64(x)) {
				z = float32(0)
			}
		}
		if z == nil {
			continue
		}
		if out == nil {
			out = append(sql.Row(nil), row...)
		}
		out[i] = z
	}
	if out == nil {
		return row
	}
	return out
}
