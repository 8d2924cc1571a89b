package engine

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation/window"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// errKeyFailed is the error of failingKey.
var errKeyFailed = errors.New("key failed")

// failingKey is a window's ORDER BY key, the row's first column, whose
// failAt-th evaluation fails (or cancels its statement, when cancel is
// set): the window's sort stops there. It counts its evaluations.
type failingKey struct {
	sql.Expression
	failAt int
	cancel context.CancelFunc
	evals  int
}

func (k *failingKey) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	k.evals++
	if k.evals == k.failAt {
		if k.cancel == nil {
			return nil, errKeyFailed
		}
		k.cancel()
	}
	return k.Expression.Eval(ctx, row)
}

// runWindow builds fn OVER (ORDER BY key) over the rows 40 down to 1 as
// the analyzer's builder does and reads every row, or the first error.
func runWindow(ctx *sql.Context, fn sql.Expression, key sql.Expression) (int, error) {
	tuples := make([][]sql.Expression, 40)
	for i := range tuples {
		tuples[i] = []sql.Expression{expression.NewLiteral(int64(40-i), types.Int64)}
	}
	def := sql.NewWindowDefinition(nil, sql.SortFields{{Column: key, Order: sql.Ascending}}, nil, "", "")
	w := plan.NewWindow([]sql.Expression{fn.(sql.WindowAdaptableExpression).WithWindow(def)}, plan.NewValues(tuples))
	it, err := newCheckedBuilder().Build(ctx, w, nil)
	if err != nil {
		return 0, err
	}
	defer it.Close(ctx)
	n := 0
	for {
		_, err := it.Next(ctx)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// TestWindowSortErrorFailsTheWindow: the engine's window ignores the
// error of its sort (materializeInput) and computes its functions over
// the rows as they came. A sort key that fails by itself (ORDER BY 1 / x
// over a zero) answered row numbers in the input's order; a statement
// stopped mid-sort went on framing every row by its peers, evaluating
// the keys again, before it failed. The window now fails with the key's
// error, and computes nothing once its sort has failed.
func TestWindowSortErrorFailsTheWindow(t *testing.T) {
	col := expression.NewGetField(0, types.Int64, "x", false)
	for _, tc := range []struct {
		name   string
		fn     sql.Expression
		cancel bool
	}{
		{"row_number, failing key", window.NewRowNumber(), false},
		{"rank, failing key", window.NewRank(), false},
		{"row_number, cancelled", window.NewRowNumber(), true},
		{"rank, cancelled", window.NewRank(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, cancel := context.WithCancel(context.Background())
			defer cancel()
			key := &failingKey{Expression: col, failAt: 10}
			want := errKeyFailed
			if tc.cancel {
				key.cancel, want = cancel, context.Canceled
			}
			n, err := runWindow(sql.NewContext(base), tc.fn, key)
			if !errors.Is(err, want) || n != 0 {
				t.Fatalf("%d rows, error %v; want none and %v", n, err, want)
			}
			if key.evals != key.failAt {
				t.Errorf("the key was evaluated %d times, %d after the sort failed", key.evals, key.evals-key.failAt)
			}
		})
	}
	// The same windows answer when no key fails.
	for _, fn := range []sql.Expression{window.NewRowNumber(), window.NewRank()} {
		key := &failingKey{Expression: col, failAt: -1}
		if n, err := runWindow(sql.NewEmptyContext(), fn, key); err != nil || n != 40 {
			t.Fatalf("%s: %d rows, %v", fn, n, err)
		}
	}
}
