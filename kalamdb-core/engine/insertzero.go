package engine

import (
	"container/heap"
	"context"
	"io"
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/iters"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
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
		// A grouping's tracker counts the grouping's input, and a sort,
		// a window or a join keeps the rows of its child: the rows of
		// this projection, with the values its select list computes, not
		// those of its child (see build).
		c := checksOf(ctx)
		inner := ctx
		if c.groups != nil || c.keptBy != "" || c.held != nil {
			c, inner = ownIterator(ctx)
		}
		child, err := b.main.Build(inner, n.Child, r)
		if err != nil {
			return nil, true, err
		}
		var it sql.RowIter = &signedProjectIter{projs: n.Projections, child: child}
		if c.groups != nil || c.keptBy != "" {
			it = c.wrap(it)
		}
		return it, true, nil
	case *plan.Values:
		if len(r) > 0 {
			return nil, false, nil // a trigger's row: the engine evaluates against it
		}
		return &tuplesIter{n: len(n.ExpressionTuples), row: func(ctx *sql.Context, i int) (sql.Row, error) {
			// As the engine's VALUES: a tuple is evaluated against a row
			// of its own width (of NULLs), which the plans of subqueries
			// in it are built for.
			tuple := n.ExpressionTuples[i]
			return projectSigned(ctx, tuple, make(sql.Row, len(tuple)))
		}}, true, nil
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
// ORDER BY before its OFFSET. What it keeps is charged to the statement's
// budget and given back when it closes: the hashes of the rows a UNION
// or INTERSECT has returned and of an EXCEPT's left rows (zeroDistinctIter),
// the counts of an INTERSECT's or EXCEPT's right side (zeroSetIter), the
// rows its ORDER BY sorts or, with a LIMIT, its top OFFSET + LIMIT rows
// (topIter). None was: SELECT 1 EXCEPT ALL SELECT g FROM
// generate_series(1, 3000000) g built a map of 3,000,000 entries under a
// budget of 8 MiB.
func (b *checkedBuilder) buildSetOp(ctx *sql.Context, s *plan.SetOp, r sql.Row) (sql.RowIter, error) {
	var offset, limit int64
	var err error
	if s.Offset != nil {
		if offset, err = iters.GetInt64Value(ctx, s.Offset); err != nil {
			return nil, err
		}
	}
	if s.Limit != nil {
		if limit, err = iters.GetInt64Value(ctx, s.Limit); err != nil {
			return nil, err
		}
	}
	outer, ictx := ownIterator(ctx)
	left, err := b.main.Build(ictx, s.Left(), r)
	if err != nil {
		return nil, err
	}
	name := setOpName(s.SetOpType)
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
		// EXCEPT returns each distinct left row the right side has none
		// of: the right side's rows are only looked up, and its counts
		// need no DISTINCT (which would hash them twice).
		if s.SetOpType == plan.ExceptType && s.Distinct {
			left = newZeroDistinct(ctx, left, name)
		}
		it = &zeroSetIter{left: left, right: right, intersect: s.SetOpType == plan.IntersectType,
			name: name, hash: newRowHasher(), held: heldBytes{transient: true}}
	}
	if s.Distinct && s.SetOpType != plan.ExceptType {
		it = newZeroDistinct(ctx, it, name)
	}
	// ORDER BY, then OFFSET, then LIMIT. The engine skipped the offset's
	// rows before it sorted: ... UNION ... ORDER BY 1 DESC OFFSET 1
	// skipped a row of the first side, not the largest. With a LIMIT,
	// the first OFFSET + LIMIT rows in order are all the sort needs.
	if len(s.SortFields) > 0 {
		if s.Limit != nil {
			n := limit
			if offset > 0 {
				n = math.MaxInt64 // an OFFSET + LIMIT past the int64 range
				if limit <= math.MaxInt64-offset {
					n = limit + offset
				}
			}
			it = newTopIter(s.SortFields, n, len(s.Schema()), it)
		} else {
			it = iters.NewSortIter(s.SortFields, &checkedIter{child: it, keptBy: "ORDER BY",
				held: &heldBytes{transient: true}})
		}
	}
	if s.Offset != nil {
		it = &skipIter{skip: offset, child: it}
	}
	if s.Limit != nil {
		it = &iters.LimitIter{Limit: limit, ChildIter: it}
	}
	return outer.wrap(it), nil
}

// setOpName names a set operation in error messages.
func setOpName(t int) string {
	switch t {
	case plan.IntersectType:
		return "INTERSECT"
	case plan.ExceptType:
		return "EXCEPT"
	}
	return "UNION"
}

// hashEntryBytes is about what a map of row hashes keeps per row it
// tells apart (the 8-byte hash and a value): measured with Go 1.26, up
// to 53 bytes an entry right after the map grew.
const hashEntryBytes = 56

// zeroSetIter is the engine's INTERSECT ALL (intersect) or EXCEPT ALL
// with -0 equal to 0: it counts the right side's rows by value, then
// returns each left row, as it came, that the right side still has one
// of (INTERSECT) or has none left of (EXCEPT), taking one each time.
// Every value counted is charged (held) until it closes. The loops call
// their children's Next, which check the statement's context.
type zeroSetIter struct {
	left, right sql.RowIter
	intersect   bool
	name        string
	hash        *rowHasher
	counts      map[uint64]int
	held        heldBytes
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
			h, err := it.hash.sum(ctx, zerosMadePositive(row))
			if err != nil {
				return nil, err
			}
			if _, ok := it.counts[h]; !ok {
				if err := it.held.charge(ctx, it.name, hashEntryBytes); err != nil {
					return nil, err
				}
			}
			it.counts[h]++
		}
	}
	for {
		row, err := it.left.Next(ctx)
		if err != nil {
			return nil, err
		}
		h, err := it.hash.sum(ctx, zerosMadePositive(row))
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
	it.counts = nil
	it.held.giveBack(ctx)
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

// topIter is the first n rows of its child in the order of fields, the
// engine's topRowsIter charged: it keeps at most n rows in a heap,
// charging each row it keeps and giving back each it drops (a charge per
// row read would refuse a top 10 of a million rows; a charge of the first
// n rows would miss larger rows that replace them), and gives back the
// rest when it closes. Equal rows keep the order they came in, as a
// stable sort's. It reads nothing for n = 0 (LIMIT 0, as PostgreSQL).
type topIter struct {
	fields sql.SortFields // with the arrival order last
	n      int64
	width  int
	child  sql.RowIter
	filled bool
	rows   []sql.Row
	held   heldBytes
}

func newTopIter(fields sql.SortFields, n int64, width int, child sql.RowIter) *topIter {
	seq := sql.SortField{Column: expression.NewGetField(width, types.Int64, "order", false)}
	return &topIter{fields: append(fields[:len(fields):len(fields)], seq), n: n, width: width,
		child: child, held: heldBytes{transient: true}}
}

func (it *topIter) Next(ctx *sql.Context) (sql.Row, error) {
	if !it.filled {
		if err := it.fill(ctx); err != nil {
			return nil, err
		}
		it.filled = true
	}
	if len(it.rows) == 0 {
		return nil, io.EOF
	}
	row := it.rows[0]
	it.rows = it.rows[1:]
	return row[:it.width:it.width], nil
}

func (it *topIter) fill(ctx *sql.Context) error {
	if it.n <= 0 {
		return nil
	}
	h := &expression.TopRowsHeap{Sorter: expression.Sorter{SortFields: it.fields, Ctx: ctx}}
	for seq := int64(1); ; seq++ {
		row, err := it.child.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		kept := make(sql.Row, it.width+1)
		copy(kept, row)
		kept[it.width] = seq
		if err := it.held.charge(ctx, "rows kept by ORDER BY", rowSize(kept)); err != nil {
			return err
		}
		heap.Push(h, kept)
		if int64(h.Len()) > it.n {
			it.held.release(ctx, rowSize(heap.Pop(h).(sql.Row)))
		}
		if h.LastError != nil {
			return h.LastError
		}
	}
	rows, err := h.Rows()
	it.rows = rows
	return err
}

func (it *topIter) Close(ctx *sql.Context) error {
	it.rows = nil
	it.held.giveBack(ctx)
	return it.child.Close(ctx)
}

// buildDistinct builds a DISTINCT as build would build the engine's,
// checked and charged alike, with KalamDB's iterator.
func (b *checkedBuilder) buildDistinct(ctx *sql.Context, d *plan.Distinct, r sql.Row) (sql.RowIter, error) {
	outer, ictx := ownIterator(ctx)
	child, err := b.main.Build(ictx, d.Child, r)
	if err != nil {
		return nil, err
	}
	return outer.wrap(newZeroDistinct(ctx, child, "DISTINCT")), nil
}

// checks are the checks and charges build gives a node's iterator, read
// from the context it is built in.
type checks struct {
	keptBy string
	groups *groupTracker
	held   *heldBytes
}

// checksOf is the checks build gives a node built in ctx: the rows its
// parent keeps of it, the grouping it feeds, the holder it counts for.
func checksOf(ctx *sql.Context) checks {
	var c checks
	c.keptBy, _ = ctx.Value(keptByKey{}).(string)
	c.groups, _ = ctx.Value(groupsKey{}).(*groupTracker)
	c.held, _ = ctx.Value(heldKey{}).(*heldBytes)
	return c
}

// wrap is it checked and charged.
func (c checks) wrap(it sql.RowIter) *checkedIter {
	return &checkedIter{child: it, keptBy: c.keptBy, groups: c.groups, held: c.held}
}

// ownIterator is, for a node whose iterator KalamDB builds, the checks
// of its iterator and the context to build its children in (which keep
// none of their rows for it, feed no grouping and hold nothing).
func ownIterator(ctx *sql.Context) (checks, *sql.Context) {
	c := checksOf(ctx)
	inner := context.WithValue(context.WithValue(ctx, keptByKey{}, ""), groupsKey{}, (*groupTracker)(nil))
	return c, ctx.WithContext(context.WithValue(inner, heldKey{}, (*heldBytes)(nil)))
}

// newZeroDistinct is the engine's DISTINCT of child with -0 equal to 0;
// name names it in the error that refuses its hashes.
func newZeroDistinct(ctx *sql.Context, child sql.RowIter, name string) *zeroDistinctIter {
	cache, dispose := ctx.Memory.NewHistoryCache()
	return &zeroDistinctIter{child: child, seen: cache, dispose: dispose, name: name, hash: newRowHasher(), held: heldBytes{transient: true}}
}

// zeroDistinctIter is the engine's DISTINCT with -0 equal to 0: it
// returns the first row of each set of equal ones, as it came. The hash
// it keeps of each is charged (held) until it ends or closes; the
// engine's DISTINCT kept them uncharged.
type zeroDistinctIter struct {
	child   sql.RowIter
	seen    sql.KeyValueCache
	dispose sql.DisposeFunc
	name    string
	hash    *rowHasher
	held    heldBytes
}

func (it *zeroDistinctIter) Next(ctx *sql.Context) (sql.Row, error) {
	for {
		row, err := it.child.Next(ctx)
		if err != nil {
			if err == io.EOF {
				it.free(ctx)
			}
			return nil, err
		}
		h, err := it.hash.sum(ctx, zerosMadePositive(row))
		if err != nil {
			return nil, err
		}
		if _, err := it.seen.Get(h); err == nil {
			continue
		}
		if err := it.held.charge(ctx, it.name, hashEntryBytes); err != nil {
			return nil, err
		}
		if err := it.seen.Put(h, struct{}{}); err != nil {
			return nil, err
		}
		return row, nil
	}
}

func (it *zeroDistinctIter) free(ctx *sql.Context) {
	if it.dispose != nil {
		it.dispose()
		it.dispose = nil
	}
	it.held.giveBack(ctx)
}

func (it *zeroDistinctIter) Close(ctx *sql.Context) error {
	it.free(ctx)
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
