package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
)

// KalamDB's aggregates as window functions (sum(x) OVER (...), and every
// other aggregate pgAgg runs), and first_value, last_value and nth_value.
// A window function's value for a row is computed over the row's frame:
// PostgreSQL's default one (the whole partition without ORDER BY, with
// ORDER BY the partition's rows up to the row's last peer) or the
// window's explicit one, which the translator writes into the function's
// options (frameSpec). pgWindowAgg frames each row itself (frameCursor):
// the engine's framer only tells it which row it computes (rowFramer).
//
// An aggregate keeps one buffer per partition and feeds it only the rows
// a frame adds to the previous row's: consecutive frames never move
// backwards, so a running sum over n rows is O(n). When a frame's start
// moves on, count, and sum and avg of integers and decimals take the rows
// it leaves out of their buffer (retract), so a sliding frame also costs
// O(1) per row; min and max keep the frame's candidates in a monotonic
// deque (extremes), O(1) amortized per row too; the other aggregates
// (float sums, whose rounding a retraction would change, string_agg, ...)
// start a new buffer, so a sliding frame of w rows costs O(w) per row for
// them. EXCLUDE
// takes its rows out of a copy of the buffer, or computes the frame's
// pieces afresh for the aggregates that cannot retract. A buffer charges
// what it keeps to the statement's memory budget, as the grouped aggregate
// does, and gives it back when it is replaced. Errors (an overflowing sum)
// are returned as values, which the window's check (windowCheck) turns
// into the statement's failure.

// pgWindowAgg computes one pgAgg over the frames of one partition at a
// time.
type pgWindowAgg struct {
	agg    *pgAgg
	spec   frameSpec
	cursor *frameCursor
	buf    *aggBuffer
	fed    sql.WindowInterval // the rows buf has been fed
	last   frame              // the last row's frame, once computed
	value  any                // the value over last
	cached bool
	ext    *extremes // min and max
}

var _ sql.WindowFunction = (*pgWindowAgg)(nil)

// NewWindowFunction runs a as a window function.
func (a *pgAgg) NewWindowFunction() (sql.WindowFunction, error) {
	if a.spec.distinct || len(a.keys) > 0 {
		// The translator refuses both, as PostgreSQL does.
		return nil, sqlError("%s() with DISTINCT or ORDER BY cannot be used as a window function", a.spec.name)
	}
	spec := defaultFrameSpec
	if a.spec.frame != nil {
		spec = *a.spec.frame
	}
	var orderBy sql.SortFields
	if a.window != nil {
		orderBy = a.window.OrderBy
	}
	if spec.unit == unitGroups && len(orderBy) == 0 {
		return nil, sqlError("GROUPS mode requires an ORDER BY clause")
	}
	if err := spec.resolve(orderBy); err != nil {
		return nil, err
	}
	w := &pgWindowAgg{agg: a, spec: spec}
	w.cursor = newFrameCursor(&w.spec, orderBy)
	if a.spec.name == "min" || a.spec.name == "max" {
		w.ext = &extremes{max: a.spec.name == "max", held: heldBytes{transient: true}}
	}
	return w, nil
}

// DefaultFramer frames each row by itself: Compute learns the row from
// it and frames the row with its cursor.
func (w *pgWindowAgg) DefaultFramer() sql.WindowFramer { return &rowFramer{} }

func (w *pgWindowAgg) StartPartition(ctx *sql.Context, part sql.WindowInterval, _ sql.WindowBuffer) error {
	w.drop(ctx)
	w.cursor.reset(ctx, part)
	w.cached, w.value = false, nil
	return nil
}

// drop gives back what the buffer charged: a sliding frame replaces its
// buffer, and would otherwise charge its rows again each time.
func (w *pgWindowAgg) drop(ctx *sql.Context) {
	if w.buf != nil {
		w.buf.held.giveBack(ctx)
		w.buf = nil
	}
	if w.ext != nil {
		w.ext.reset(ctx)
	}
}

// NewSlidingFrameInterval is never called by the engine's window iterator.
func (w *pgWindowAgg) NewSlidingFrameInterval(_, _ sql.WindowInterval) {}

// Compute is the function's value for row interval.Start (rowFramer).
func (w *pgWindowAgg) Compute(ctx *sql.Context, interval sql.WindowInterval, rows sql.WindowBuffer) interface{} {
	if w.spec.badOffset {
		return errFrameSize()
	}
	i := interval.Start
	fr, err := w.cursor.frameAt(ctx, rows, i)
	if err != nil {
		return err
	}
	switch w.agg.spec.name {
	case "first_value", "last_value", "nth_value":
		return w.positional(ctx, fr, rows, i)
	}
	if w.cached && fr == w.last {
		return w.value
	}
	v, err := w.aggregate(ctx, fr, rows)
	if err != nil {
		w.drop(ctx)
		return err
	}
	w.last, w.value, w.cached = fr, v, true
	return v
}

// positional is first_value, last_value or nth_value over row i's frame:
// the argument in the frame's first, last or nth row, NULL when the frame
// has fewer rows.
func (w *pgWindowAgg) positional(ctx *sql.Context, fr frame, rows sql.WindowBuffer, i int) any {
	size := 0
	for _, s := range fr.segs[:fr.n] {
		size += s.End - s.Start
	}
	var n int64 = 1
	switch w.agg.spec.name {
	case "last_value":
		n = int64(size)
	case "nth_value":
		v, err := w.agg.values[1].Eval(ctx, rows[i])
		if err != nil {
			return err
		}
		if v == nil {
			return nil
		}
		n, _ = toInt64(v)
		if n <= 0 {
			return execError("argument of nth_value must be greater than zero")
		}
	}
	if n < 1 || n > int64(size) {
		return nil
	}
	for _, s := range fr.segs[:fr.n] {
		if k := int64(s.End - s.Start); n > k {
			n -= k
			continue
		}
		v, err := w.agg.values[0].Eval(ctx, rows[s.Start+int(n)-1])
		if err != nil {
			return err
		}
		return v
	}
	return nil
}

// retracts reports whether the aggregate can take rows out of its
// buffer exactly.
func (a *pgAgg) retracts() bool {
	switch a.spec.name {
	case "count":
		return true
	case "sum", "avg":
		return a.fam == famInt || a.fam == famNumeric
	}
	return false
}

// aggregate is the aggregate over frame fr.
func (w *pgWindowAgg) aggregate(ctx *sql.Context, fr frame, rows sql.WindowBuffer) (any, error) {
	whole := fr.n == 1 && fr.segs[0] == fr.base || fr.n == 0 && fr.base.Start == fr.base.End
	if !whole && !w.agg.retracts() {
		return w.fresh(ctx, fr, rows)
	}
	if w.ext != nil {
		return w.ext.over(ctx, w.agg, fr.base, rows)
	}
	if err := w.feed(ctx, fr.base, rows); err != nil {
		if whole {
			return nil, err
		}
		// EXCLUDE: the whole frame's sum may overflow BIGINT where the
		// rows left in the frame do not; their own sum decides (and
		// fails again if the error is theirs).
		w.drop(ctx)
		return w.fresh(ctx, fr, rows)
	}
	if whole {
		return w.buf.Eval(ctx)
	}
	// EXCLUDE: the base frame's buffer without the excluded rows.
	c := &aggBuffer{a: w.agg, count: w.buf.count, isum: w.buf.isum, dsum: w.buf.dsum}
	at := fr.base.Start
	for _, s := range append(fr.segs[:fr.n:fr.n], sql.WindowInterval{Start: fr.base.End, End: fr.base.End}) {
		for j := at; j < s.Start; j++ {
			ok, err := c.retract(ctx, rows[j])
			if err != nil {
				return nil, err
			}
			if !ok {
				return w.fresh(ctx, fr, rows)
			}
		}
		at = s.End
	}
	return c.Eval(ctx)
}

// fresh is the aggregate over fr's rows in a buffer of its own.
func (w *pgWindowAgg) fresh(ctx *sql.Context, fr frame, rows sql.WindowBuffer) (any, error) {
	b, err := w.agg.NewBuffer()
	if err != nil {
		return nil, err
	}
	tmp := b.(*aggBuffer)
	tmp.held.transient = true
	defer tmp.held.giveBack(ctx)
	for _, s := range fr.segs[:fr.n] {
		for j := s.Start; j < s.End; j++ {
			if err := tmp.Update(ctx, rows[j]); err != nil {
				return nil, err
			}
		}
	}
	return tmp.Eval(ctx)
}

// feed brings the buffer to frame f's rows: it adds the rows f adds to
// the previous frame and takes out those it leaves, or starts again.
func (w *pgWindowAgg) feed(ctx *sql.Context, f sql.WindowInterval, rows sql.WindowBuffer) error {
	if w.buf != nil && f.Start >= w.fed.Start && f.End >= w.fed.End && f.Start <= w.fed.End &&
		(f.Start == w.fed.Start || w.agg.retracts()) {
		for j := w.fed.Start; j < f.Start; j++ {
			ok, err := w.buf.retract(ctx, rows[j])
			if err != nil {
				return err
			}
			if !ok {
				w.drop(ctx)
				break
			}
			w.fed.Start = j + 1
		}
	} else {
		w.drop(ctx)
	}
	if w.buf == nil {
		b, err := w.agg.NewBuffer()
		if err != nil {
			return err
		}
		w.buf = b.(*aggBuffer)
		w.buf.held.transient = true
		w.fed = sql.WindowInterval{Start: f.Start, End: f.Start}
	}
	for j := w.fed.End; j < f.End; j++ {
		if err := w.buf.Update(ctx, rows[j]); err != nil {
			return err
		}
		w.fed.End = j + 1
	}
	return nil
}

func (w *pgWindowAgg) Dispose() {}

// retract takes row out of the buffer, which was fed it: the inverse of
// Update for count, and sum and avg of integers and decimals. ok is false
// when the buffer cannot (a retracted sum beyond BIGINT, which the rows
// left would not reach: the caller starts again).
func (b *aggBuffer) retract(ctx *sql.Context, row sql.Row) (ok bool, err error) {
	a := b.a
	if !a.retracts() {
		return false, nil
	}
	if a.filter != nil {
		v, err := a.filter.Eval(ctx, row)
		if err != nil {
			return false, err
		}
		if t, _ := toBool(v); v == nil || !t {
			return true, nil
		}
	}
	var v any
	if len(a.values) > 0 {
		if v, err = a.values[0].Eval(ctx, row); err != nil {
			return false, err
		}
		if v == nil {
			return true, nil
		}
	}
	switch {
	case a.spec.name == "count":
	case a.fam == famInt && a.spec.name == "sum":
		n, _ := toInt64(v)
		s, err := intOp("-", b.isum, n)
		if err != nil {
			return false, nil
		}
		b.isum = s
	default: // avg of integers, sum and avg of decimals
		d, _ := toDecimal(v)
		b.dsum = b.dsum.Sub(d)
	}
	b.count--
	return true, nil
}

// extremes is min or max over frames that only move forward: the rows of
// the frame that may still be its extreme, a monotonic deque. A row is
// dropped from the back when a later row is at least as extreme (it can
// never be the extreme again) and from the front when the frame's start
// passes it, so each row enters and leaves once. The values are the
// rows' own (already charged); the deque's slots are charged as it
// grows.
type extremes struct {
	max  bool
	idx  []int
	vals []any
	head int
	fed  sql.WindowInterval
	cap  int
	held heldBytes
}

func (x *extremes) reset(ctx *sql.Context) {
	x.held.giveBack(ctx)
	x.idx, x.vals, x.head, x.cap = nil, nil, 0, 0
	x.fed = sql.WindowInterval{}
}

// over is the extreme of the rows of f, which starts and ends no earlier
// than the previous frame.
func (x *extremes) over(ctx *sql.Context, a *pgAgg, f sql.WindowInterval, rows sql.WindowBuffer) (any, error) {
	if f.Start < x.fed.Start || f.End < x.fed.End || f.Start > x.fed.End {
		x.reset(ctx)
		x.fed = sql.WindowInterval{Start: f.Start, End: f.Start}
	}
	x.fed.Start = f.Start
	for x.head < len(x.idx) && x.idx[x.head] < f.Start {
		x.vals[x.head] = nil
		x.head++
	}
	if x.head > 64 && 2*x.head > len(x.idx) {
		// Most of the slice is behind the frame: move the rest down.
		n := copy(x.idx, x.idx[x.head:])
		copy(x.vals, x.vals[x.head:])
		clear(x.vals[n:])
		x.idx, x.vals, x.head = x.idx[:n], x.vals[:n], 0
	}
	for j := x.fed.End; j < f.End; j++ {
		x.fed.End = j + 1
		if a.filter != nil {
			v, err := a.filter.Eval(ctx, rows[j])
			if err != nil {
				return nil, err
			}
			if ok, _ := toBool(v); v == nil || !ok {
				continue
			}
		}
		v, err := a.values[0].Eval(ctx, rows[j])
		if err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		for len(x.idx) > x.head {
			c, err := compareValues(a.fam, x.vals[len(x.vals)-1], v)
			if err != nil {
				return nil, err
			}
			if x.max && c > 0 || !x.max && c < 0 {
				break
			}
			x.idx, x.vals = x.idx[:len(x.idx)-1], x.vals[:len(x.vals)-1]
		}
		if x.head > 0 && x.head == len(x.idx) {
			x.idx, x.vals, x.head = x.idx[:0], x.vals[:0], 0
		}
		x.idx, x.vals = append(x.idx, j), append(x.vals, v)
		if c := cap(x.idx) + cap(x.vals); c > x.cap {
			if err := hold(ctx, "a window's min or max", int64(c-x.cap)*16); err != nil {
				return nil, err
			}
			x.held.add(int64(c-x.cap) * 16)
			x.cap = c
		}
	}
	if x.head == len(x.idx) {
		return nil, nil
	}
	return x.vals[x.head], nil
}
