package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
)

// KalamDB's aggregates as window functions (sum(x) OVER (...), and every
// other aggregate pgAgg runs). A window function's value for a row is the
// aggregate over the row's frame: PostgreSQL's default one (the whole
// partition without ORDER BY, with ORDER BY the partition's rows up to the
// row's last peer) or the window's explicit one (windowframe.go).
// Consecutive default frames either are equal or share their start and
// grow at their end, so pgWindowAgg keeps one aggregation buffer per
// partition and feeds it only the rows a frame adds: a running sum over n
// rows is O(n), where recomputing each frame would be O(n²). A frame that
// starts elsewhere or shrinks (a sliding ROWS frame) starts a new buffer,
// so a frame of w rows costs O(w) per row. A buffer charges what it keeps
// to the statement's memory budget, as the grouped aggregate does, and
// gives it back when it is replaced. Errors (an overflowing sum) are
// returned as values, which the window's check (windowCheck) turns into
// the statement's failure.

// pgWindowAgg computes one pgAgg over the frames of one partition at a
// time.
type pgWindowAgg struct {
	agg    *pgAgg
	framer sql.WindowFramer
	buf    *aggBuffer
	frame  sql.WindowInterval // the rows buf has been fed
	value  any                // buf's value over frame, once computed
	cached bool
}

var _ sql.WindowFunction = (*pgWindowAgg)(nil)

// NewWindowFunction runs a as a window function.
func (a *pgAgg) NewWindowFunction() (sql.WindowFunction, error) {
	if a.spec.distinct || len(a.keys) > 0 {
		// The translator refuses both, as PostgreSQL does.
		return nil, sqlError("%s() with DISTINCT or ORDER BY cannot be used as a window function", a.spec.name)
	}
	framer := sql.WindowFramer(aggregation.NewPartitionFramer())
	if a.window != nil {
		f, err := aggregateFrame(a.window)
		if err != nil {
			return nil, err
		}
		framer = f
	}
	return &pgWindowAgg{agg: a, framer: framer}, nil
}

// DefaultFramer is the window's frame: its explicit one, or PostgreSQL's
// default.
func (w *pgWindowAgg) DefaultFramer() sql.WindowFramer { return w.framer }

func (w *pgWindowAgg) StartPartition(ctx *sql.Context, _ sql.WindowInterval, _ sql.WindowBuffer) error {
	w.drop(ctx)
	w.cached, w.value = false, nil
	return nil
}

// drop gives back what the buffer charged: a sliding frame replaces its
// buffer on every row, and would otherwise charge its rows again each
// time.
func (w *pgWindowAgg) drop(ctx *sql.Context) {
	if w.buf != nil {
		w.buf.held.giveBack(ctx)
		w.buf = nil
	}
}

// NewSlidingFrameInterval is never called by the engine's window iterator.
func (w *pgWindowAgg) NewSlidingFrameInterval(_, _ sql.WindowInterval) {}

func (w *pgWindowAgg) Compute(ctx *sql.Context, frame sql.WindowInterval, rows sql.WindowBuffer) interface{} {
	if w.cached && frame == w.frame {
		return w.value
	}
	if w.buf == nil || frame.Start != w.frame.Start || frame.End < w.frame.End {
		w.drop(ctx)
		b, err := w.agg.NewBuffer()
		if err != nil {
			return err
		}
		w.buf = b.(*aggBuffer)
		w.buf.held.transient = true
		w.frame = sql.WindowInterval{Start: frame.Start, End: frame.Start}
	}
	for i := w.frame.End; i < frame.End; i++ {
		if err := w.buf.Update(ctx, rows[i]); err != nil {
			w.drop(ctx)
			return err
		}
		w.frame.End = i + 1
	}
	v, err := w.buf.Eval(ctx)
	if err != nil {
		w.drop(ctx)
		return err
	}
	w.value, w.cached = v, true
	return v
}

func (w *pgWindowAgg) Dispose() {}
