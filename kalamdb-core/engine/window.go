package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/plan"
)

// The engine's window iterator computes every output row of a partition
// before it returns the first, in a loop that never looks at the context
// and whose rows no wrapper sees until it is done: max(x) OVER (ORDER BY n)
// recomputes over the whole frame for every row (quadratic), and a window
// over 3,000 rows of a megabyte held 4 GB. buildWindow builds the same
// iterator with each window function wrapped (windowCheck): it charges
// every value it computes to the statement's memory budget and, once the
// statement is stopped or over its budget, computes nothing more, so the
// loop ends in time linear in the rows left and the statement fails with
// its cause.

// windowFailure holds the first error of a window's computations, which
// the engine's window functions cannot return.
type windowFailure struct {
	mu  sync.Mutex
	err error
}

func (f *windowFailure) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *windowFailure) get() error {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// windowCheck is a window function that stops computing once its
// statement is stopped or over its memory budget.
type windowCheck struct {
	sql.WindowFunction
	failed *windowFailure
	// extreme is 1 for max, -1 for min, 0 for every other function. The
	// value of max or min depends on its frame's rows alone: a frame equal
	// to the previous row's (the whole partition, or peers) has the
	// previous value, which the engine would recompute over every row of
	// the frame again, and a frame that grew at its end is computed over
	// the new rows only and compared with the previous value in
	// extremeType, so a running max or min is linear in the partition.
	extreme     int
	extremeType sql.Type
	last        sql.WindowInterval
	lastValue   any
	cached      bool
}

func (w *windowCheck) StartPartition(ctx *sql.Context, interval sql.WindowInterval, buf sql.WindowBuffer) error {
	w.cached, w.lastValue = false, nil
	return w.WindowFunction.StartPartition(ctx, interval, buf)
}

func (w *windowCheck) Compute(ctx *sql.Context, interval sql.WindowInterval, buf sql.WindowBuffer) interface{} {
	if w.failed.get() != nil {
		return nil
	}
	if ctx.Err() != nil {
		w.failed.set(context.Cause(ctx))
		return nil
	}
	if w.cached && interval == w.last {
		// The same value again: the row holds one more reference to it.
		if err := hold(ctx, "rows kept by a window function", 16); err != nil {
			w.failed.set(err)
			return nil
		}
		return w.lastValue
	}
	v := w.compute(ctx, interval, buf)
	if err, ok := v.(error); ok {
		// The engine's window functions return their errors as values,
		// which would otherwise end up in the row.
		w.failed.set(err)
		return nil
	}
	if err := hold(ctx, "rows kept by a window function", 16+valueSize(v)); err != nil {
		w.failed.set(err)
		return nil
	}
	if w.extreme != 0 {
		w.last, w.lastValue, w.cached = interval, v, true
	}
	return v
}

// buildWindow builds n's iterator as the engine does, with its child
// built through main (whose rows are charged as kept by the window) and
// its functions wrapped in windowCheck; failed receives their first error.
func buildWindow(ctx *sql.Context, main sql.NodeExecBuilder, n *plan.Window, r sql.Row, failed *windowFailure) (sql.RowIter, error) {
	childIter, err := main.Build(ctx, n.Child, r)
	if err != nil {
		return nil, err
	}
	blocks := map[string]*aggregation.WindowPartition{}
	outputs := map[string][]int{}
	var order []string
	for i, expr := range n.SelectExprs {
		if alias, ok := expr.(*expression.Alias); ok {
			expr = alias.Child
		}
		var window *sql.WindowDefinition
		var fn sql.WindowFunction
		plain := false
		switch e := expr.(type) {
		case sql.Aggregation:
			window = e.Window()
			fn, err = e.NewWindowFunction()
		case sql.WindowAggregation:
			window = e.Window()
			fn, err = e.NewWindowFunction()
		default:
			// Plain expressions are the last row's value, over no window
			// (the current row: they keep the engine's frame).
			window = sql.NewWindowDefinition(nil, nil, nil, "", "")
			fn, err = aggregation.NewLast(e).NewWindowFunction()
			plain = true
		}
		if err != nil {
			_ = childIter.Close(ctx)
			return nil, err
		}
		check := &windowCheck{WindowFunction: fn, failed: failed}
		switch e := expr.(type) {
		case *aggregation.Max:
			check.extreme, check.extremeType = 1, e.Child.Type()
		case *aggregation.Min:
			check.extreme, check.extremeType = -1, e.Child.Type()
		}
		framer := fn.DefaultFramer()
		if !plain {
			framer, err = defaultFrame(fn, window)
		}
		if err != nil {
			_ = childIter.Close(ctx)
			return nil, err
		}
		agg := aggregation.NewAggregation(check, framer)
		id := windowOrderKey(window)
		if block, ok := blocks[id]; ok {
			block.AddAggregation(agg)
		} else {
			parts, sortBy := stoppableKeys(window)
			blocks[id] = aggregation.NewWindowPartition(parts, sortBy, []*aggregation.Aggregation{agg})
			order = append(order, id)
		}
		outputs[id] = append(outputs[id], i)
	}
	iters := make([]*aggregation.WindowPartitionIter, len(order))
	ordinals := make([][]int, len(order))
	for i, id := range order {
		iters[i] = aggregation.NewWindowPartitionIter(blocks[id])
		ordinals[i] = outputs[id]
	}
	return aggregation.NewWindowIter(iters, ordinals, &copiedRows{RowIter: childIter, copies: int64(len(order))}), nil
}

// compute is the function's value over interval, from the previous
// row's value when only rows were added at the frame's end.
func (w *windowCheck) compute(ctx *sql.Context, interval sql.WindowInterval, buf sql.WindowBuffer) any {
	if w.extreme == 0 || !w.cached || interval.Start != w.last.Start || interval.End <= w.last.End {
		return w.WindowFunction.Compute(ctx, interval, buf)
	}
	added := w.WindowFunction.Compute(ctx, sql.WindowInterval{Start: w.last.End, End: interval.End}, buf)
	if _, failed := added.(error); failed || added == nil {
		if failed {
			return added
		}
		return w.lastValue
	}
	if w.lastValue == nil {
		return added
	}
	c, err := w.extremeType.Compare(ctx, added, w.lastValue)
	if err != nil {
		return err
	}
	if c == w.extreme {
		return added
	}
	return w.lastValue
}

// windowOrderKey identifies the rows' partitioning and order of window w:
// the functions of windows with one key are computed over one sorted copy
// of the rows. The engine's PartitionId leaves out the NULL ordering, so
// OVER (ORDER BY x NULLS FIRST) and OVER (ORDER BY x NULLS LAST) shared
// one order, the first one's.
func windowOrderKey(w *sql.WindowDefinition) string {
	var sb strings.Builder
	for _, e := range w.PartitionBy {
		sb.WriteString(e.String())
		sb.WriteByte(0)
	}
	sb.WriteByte(1)
	for _, f := range w.OrderBy {
		fmt.Fprintf(&sb, "%s\x00%d\x00%d\x00", f.Column, f.Order, f.NullOrdering)
	}
	return sb.String()
}

// The engine sorts each window's copy of the rows, and splits it into
// partitions, before it computes anything, in loops that never look at
// the context: fifty windows over 100,000 rows ran 40 s past a 30 s
// statement timeout. stoppableKeys wraps the keys of the sort and of the
// partitions in stopKey, which fails once the statement is stopped; the
// sort then compares nothing more (its comparison stops at the first
// error) and the window fails with the statement's cause.
func stoppableKeys(w *sql.WindowDefinition) ([]sql.Expression, sql.SortFields) {
	parts := make([]sql.Expression, len(w.PartitionBy))
	for i, e := range w.PartitionBy {
		parts[i] = &stopKey{Expression: e}
	}
	order := append(sql.SortFields(nil), w.OrderBy...)
	for i := range order {
		order[i].Column = &stopKey{Expression: order[i].Column}
	}
	return parts, order
}

// stopKey is a sort or partition key that fails once its statement is
// stopped.
type stopKey struct {
	sql.Expression
}

func (k *stopKey) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return k.Expression.Eval(ctx, row)
}

// copiedRows charges the copies the window makes of each row of its
// child: every window order sorts its own copy of the rows (a new row
// slice with the row's position appended, and its place in the copy),
// which the engine makes without charging them, so fifty windows held
// fifty uncharged copies of the statement's rows.
type copiedRows struct {
	sql.RowIter
	copies int64
}

func (c *copiedRows) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := c.RowIter.Next(ctx)
	if err != nil {
		return nil, err
	}
	if err := hold(ctx, "rows copied by window orders", c.copies*(24+16*int64(len(row)+1)+16)); err != nil {
		return nil, err
	}
	return row, nil
}
