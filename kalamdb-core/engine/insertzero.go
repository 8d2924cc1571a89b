package engine

import (
	"context"
	"io"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/iters"
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
// row it meets, as it came: SELECT '-0'::float8 UNION SELECT 0 is -0. A
// DISTINCT and a set operation that compares rows are built by KalamDB
// (zeroDistinctIter, zeroSetIter), hashing a row with its float zeros
// made 0 and returning the row as it came; they made the zeros of a set
// operation's rows 0 before, and UNION, INTERSECT and EXCEPT showed a
// stored -0 as 0. A DISTINCT over sorted rows (OrderedDistinct) compares
// neighbours by value, -0 = 0, and keeps the first.

// buildSetOp builds s as the engine's buildSetOp would, checked and
// charged alike, with KalamDB's iterators telling rows apart, and its
// ORDER BY before its OFFSET.
func (b *checkedBuilder) buildSetOp(ctx *sql.Context, s *plan.SetOp, r sql.Row) (sql.RowIter, error) {
	outer, ictx := ownIterator(ctx)
	left, err := b.main.Build(ictx, s.Left(), r)
	if err != nil {
		return nil, err
	}
	var it sql.RowIter
	switch s.SetOpType {
	case plan.UnionType:
		it = &iters.UnionIter{Cur: left, NextIter: func(*sql.Context) (sql.RowIter, error) {
			return b.main.Build(ictx, s.Right(), r)
		}}
	default:
		right, err := b.main.Build(ictx, s.Right(), r)
		if err != nil {
			_ = left.Close(ctx)
			return nil, err
		}
		if s.SetOpType == plan.ExceptType && s.Distinct {
			left, right = newZeroDistinct(ctx, left), newZeroDistinct(ctx, right)
		}
		it = &zeroSetIter{left: left, right: right, intersect: s.SetOpType == plan.IntersectType}
	}
	if s.Distinct && s.SetOpType != plan.ExceptType {
		it = newZeroDistinct(ctx, it)
	}
	// ORDER BY, then OFFSET, then LIMIT. The engine skipped the offset's
	// rows before it sorted: ... UNION ... ORDER BY 1 DESC OFFSET 1
	// skipped a row of the first side, not the largest.
	sorted := len(s.SortFields) > 0
	if sorted && (s.Limit == nil || s.Offset != nil) {
		it = iters.NewSortIter(s.SortFields, it)
	}
	if s.Offset != nil {
		skip, err := iters.GetInt64Value(ctx, s.Offset)
		if err != nil {
			_ = it.Close(ctx)
			return nil, err
		}
		it = &skipIter{skip: skip, child: it}
	}
	if s.Limit != nil {
		limit, err := iters.GetInt64Value(ctx, s.Limit)
		if err != nil {
			_ = it.Close(ctx)
			return nil, err
		}
		if sorted && s.Offset == nil {
			it = iters.NewTopRowsIter(s.SortFields, limit, false, it, len(s.Schema()))
		} else {
			it = &iters.LimitIter{Limit: limit, ChildIter: it}
		}
	}
	return outer.wrap(it), nil
}

// zeroSetIter is the engine's INTERSECT ALL (intersect) or EXCEPT ALL
// with -0 equal to 0: it counts the right side's rows by value, then
// returns each left row, as it came, that the right side still has one
// of (INTERSECT) or has none left of (EXCEPT), taking one each time.
type zeroSetIter struct {
	left, right sql.RowIter
	intersect   bool
	counts      map[uint64]int
}

func (it *zeroSetIter) Next(ctx *sql.Context) (sql.Row, error) {
	if it.counts == nil {
		it.counts = map[uint64]int{}
		for {
			row, err := it.right.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			h, err := sql.HashOf(ctx, zerosMadePositive(row))
			if err != nil {
				return nil, err
			}
			it.counts[h]++
		}
	}
	for {
		row, err := it.left.Next(ctx)
		if err != nil {
			return nil, err
		}
		h, err := sql.HashOf(ctx, zerosMadePositive(row))
		if err != nil {
			return nil, err
		}
		if it.counts[h] > 0 {
			it.counts[h]--
			if it.intersect {
				return row, nil
			}
		} else if !it.intersect {
			return row, nil
		}
	}
}

func (it *zeroSetIter) Close(ctx *sql.Context) error {
	lerr := it.left.Close(ctx)
	if err := it.right.Close(ctx); err != nil {
		return err
	}
	return lerr
}

// skipIter skips its child's first rows (the engine's offsetIter).
type skipIter struct {
	skip  int64
	child sql.RowIter
}

func (it *skipIter) Next(ctx *sql.Context) (sql.Row, error) {
	for ; it.skip > 0; it.skip-- {
		if _, err := it.child.Next(ctx); err != nil {
			return nil, err
		}
	}
	return it.child.Next(ctx)
}

func (it *skipIter) Close(ctx *sql.Context) error { return it.child.Close(ctx) }

// buildDistinct builds a DISTINCT as build would build the engine's,
// checked and charged alike, with KalamDB's iterator.
func (b *checkedBuilder) buildDistinct(ctx *sql.Context, d *plan.Distinct, r sql.Row) (sql.RowIter, error) {
	outer, ictx := ownIterator(ctx)
	child, err := b.main.Build(ictx, d.Child, r)
	if err != nil {
		return nil, err
	}
	return outer.wrap(newZeroDistinct(ctx, child)), nil
}

// checks are the checks and charges build gives a node's iterator, read
// from the context it is built in.
type checks struct {
	keptBy string
	groups *groupTracker
	held   *heldBytes
}

// wrap is it checked and charged.
func (c checks) wrap(it sql.RowIter) sql.RowIter {
	return &checkedIter{child: it, keptBy: c.keptBy, groups: c.groups, held: c.held}
}

// ownIterator is, for a node whose iterator KalamDB builds, the checks
// of its iterator and the context to build its children in (which keep
// none of their rows for it, feed no grouping and hold nothing).
func ownIterator(ctx *sql.Context) (checks, *sql.Context) {
	var c checks
	c.keptBy, _ = ctx.Value(keptByKey{}).(string)
	c.groups, _ = ctx.Value(groupsKey{}).(*groupTracker)
	c.held, _ = ctx.Value(heldKey{}).(*heldBytes)
	inner := context.WithValue(context.WithValue(ctx, keptByKey{}, ""), groupsKey{}, (*groupTracker)(nil))
	return c, ctx.WithContext(context.WithValue(inner, heldKey{}, (*heldBytes)(nil)))
}

// newZeroDistinct is the engine's DISTINCT of child with -0 equal to 0.
func newZeroDistinct(ctx *sql.Context, child sql.RowIter) *zeroDistinctIter {
	cache, dispose := ctx.Memory.NewHistoryCache()
	return &zeroDistinctIter{child: child, seen: cache, dispose: dispose}
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
