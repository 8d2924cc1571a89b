package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation/window"
	"github.com/dolthub/go-mysql-server/sql/plan"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
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
}

func (w *windowCheck) Compute(ctx *sql.Context, interval sql.WindowInterval, buf sql.WindowBuffer) interface{} {
	if w.failed.get() != nil {
		return nil
	}
	if ctx.Err() != nil {
		w.failed.set(context.Cause(ctx))
		return nil
	}
	v := w.WindowFunction.Compute(ctx, interval, buf)
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
	return v
}

// windowImpl is what computes one expression of a window node.
type windowImpl int

const (
	// implPlain is an expression over no window: the current row's value.
	implPlain windowImpl = iota
	// implKalamDB is KalamDB's aggregate carrier (pgAgg): every aggregate
	// over a window, first_value, last_value and nth_value, which frame
	// each row themselves (pgWindowAgg).
	implKalamDB
	// implEngine is one of the engine's row_number, ntile, lag and lead,
	// which use no frame.
	implEngine
	// implPeers is one of the engine's rank, dense_rank and percent_rank,
	// whose value is where the row's peer group starts (peerFramer).
	implPeers
)

// windowImplOf is what computes e, an expression of a window node. The
// translator writes every aggregate over a window as KalamDB's, and its
// frame into the aggregate's options; the engine's own aggregates would
// frame their rows as MySQL does (max() over the whole partition despite
// an ORDER BY, count() by the first ORDER BY key's peers only), so one
// here is an error, never a wrong answer.
func windowImplOf(e sql.Expression) (windowImpl, error) {
	switch e.(type) {
	case *pgAgg:
		return implKalamDB, nil
	case *window.RowNumber, ntile, *window.Lag, *window.Lead:
		return implEngine, nil
	case *window.Rank, *window.DenseRank, *window.PercentRank:
		return implPeers, nil
	case sql.Aggregation, sql.WindowAggregation, sql.WindowAdaptableExpression:
		return 0, apierror.New(apierror.InternalError, "window function %T is not one KalamDB computes", e)
	}
	return implPlain, nil
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
		var def *sql.WindowDefinition
		var fn sql.WindowFunction
		impl, err := windowImplOf(expr)
		if err == nil {
			if impl == implPlain {
				// The last row's value, over no window (the current row:
				// the engine's frame).
				def = sql.NewWindowDefinition(nil, nil, nil, "", "")
				fn, err = aggregation.NewLast(expr).NewWindowFunction()
			} else {
				wa := expr.(sql.WindowAdaptableExpression)
				def = wa.Window()
				fn, err = wa.NewWindowFunction()
			}
		}
		if err != nil {
			_ = childIter.Close(ctx)
			return nil, err
		}
		framer := fn.DefaultFramer()
		if impl == implPeers {
			framer = &peerFramer{orderBy: def.OrderBy.ToExpressions(), failed: failed}
		}
		check := &windowCheck{WindowFunction: fn, failed: failed}
		agg := aggregation.NewAggregation(check, framer)
		id := windowOrderKey(def)
		if block, ok := blocks[id]; ok {
			block.AddAggregation(agg)
		} else {
			parts, sortBy := stoppableKeys(def, failed)
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
// error). The engine's window drops its sort's error (materializeInput)
// and computes the partitions of rows left unsorted, so stopKey keeps
// its error in the window's failure: every key and every function of the
// window fails or computes nothing from then on (windowCheck), and the
// window fails with it. A key that fails by itself, ORDER BY 1 / x over
// a zero, failed nothing before: the window answered in the rows' order
// as they came.
func stoppableKeys(w *sql.WindowDefinition, failed *windowFailure) ([]sql.Expression, sql.SortFields) {
	parts := make([]sql.Expression, len(w.PartitionBy))
	for i, e := range w.PartitionBy {
		parts[i] = &stopKey{Expression: e, failed: failed}
	}
	order := append(sql.SortFields(nil), w.OrderBy...)
	for i := range order {
		order[i].Column = &stopKey{Expression: order[i].Column, failed: failed}
	}
	return parts, order
}

// stopKey is a sort or partition key of a window that fails once its
// statement is stopped or the window has failed, and makes its own error
// the window's.
type stopKey struct {
	sql.Expression
	failed *windowFailure
}

func (k *stopKey) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	if err := k.failed.get(); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		err := context.Cause(ctx)
		k.failed.set(err)
		return nil, err
	}
	v, err := k.Expression.Eval(ctx, row)
	if err != nil {
		k.failed.set(err)
	}
	return v, err
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
