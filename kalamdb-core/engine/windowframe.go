package engine

import (
	"io"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
)

// The framers of the window functions KalamDB runs (buildWindow): each
// row by itself for its aggregates, first_value, last_value and
// nth_value, which compute their frames (windowcursor.go), and each row by
// its peer group for the engine's rank, dense_rank and percent_rank.

// rowFramer frames each row of a partition by itself: the window
// functions that compute their own frames (pgWindowAgg) learn from it
// which row they compute.
type rowFramer struct {
	part    sql.WindowInterval
	next    int
	started bool
}

var _ sql.WindowFramer = (*rowFramer)(nil)

func (f *rowFramer) NewFramer(part sql.WindowInterval) (sql.WindowFramer, error) {
	return &rowFramer{part: part, next: part.Start, started: true}, nil
}

func (f *rowFramer) Next(*sql.Context, sql.WindowBuffer) (sql.WindowInterval, error) {
	if !f.started || f.next >= f.part.End {
		return sql.WindowInterval{}, io.EOF
	}
	f.next++
	return sql.WindowInterval{Start: f.next - 1, End: f.next}, nil
}

func (f *rowFramer) FirstIdx() int { return f.next - 1 }
func (f *rowFramer) LastIdx() int  { return f.next }

func (f *rowFramer) Interval() (sql.WindowInterval, error) {
	if !f.started {
		return sql.WindowInterval{}, aggregation.ErrPartitionNotSet
	}
	return sql.WindowInterval{Start: f.next - 1, End: f.next}, nil
}

// peerFramer frames each row by its peer group: the rows of its partition
// whose ORDER BY values all equal its own (NULLs are peers of each other).
// The engine's PeerGroupFramer compares the values with Go's ==, which
// calls two equal decimals (or any value holding a pointer) different and
// panics on an incomparable one, so ties of a DECIMAL key were each their
// own group: sum(x) OVER (ORDER BY d) and rank() OVER (ORDER BY d) went
// wrong on every tie.
type peerFramer struct {
	orderBy []sql.Expression
	// failed, once set, ends the framing: the rows may be unsorted (see
	// stoppableKeys).
	failed  *windowFailure
	part    sql.WindowInterval
	next    int                // the next row to frame
	group   sql.WindowInterval // the peer group of the last row framed
	started bool
}

var _ sql.WindowFramer = (*peerFramer)(nil)

func (f *peerFramer) NewFramer(part sql.WindowInterval) (sql.WindowFramer, error) {
	return &peerFramer{orderBy: f.orderBy, failed: f.failed, part: part, next: part.Start,
		group: sql.WindowInterval{Start: part.Start, End: part.Start}, started: true}, nil
}

func (f *peerFramer) Next(ctx *sql.Context, buf sql.WindowBuffer) (sql.WindowInterval, error) {
	if !f.started || f.next >= f.part.End {
		return sql.WindowInterval{}, io.EOF
	}
	if err := f.failed.get(); err != nil {
		return sql.WindowInterval{}, err
	}
	if f.next >= f.group.End {
		// A new group starts at this row: it runs while the rows are its
		// peers (each row is compared with the group's first, and equality
		// is transitive).
		end := f.next + 1
		for ; end < f.part.End; end++ {
			same, err := samePeers(ctx, f.orderBy, buf[f.next], buf[end])
			if err != nil {
				return sql.WindowInterval{}, err
			}
			if !same {
				break
			}
		}
		f.group = sql.WindowInterval{Start: f.next, End: end}
	}
	f.next++
	return f.group, nil
}

func (f *peerFramer) FirstIdx() int { return f.group.Start }
func (f *peerFramer) LastIdx() int  { return f.group.End }

func (f *peerFramer) Interval() (sql.WindowInterval, error) {
	if !f.started {
		return sql.WindowInterval{}, aggregation.ErrPartitionNotSet
	}
	return f.group, nil
}

// samePeers reports whether rows a and b have equal values of every
// ORDER BY key, compared as KalamDB compares them (a NULL equals only a
// NULL here, as in PostgreSQL's peer groups).
func samePeers(ctx *sql.Context, orderBy []sql.Expression, a, b sql.Row) (bool, error) {
	for _, e := range orderBy {
		x, err := e.Eval(ctx, a)
		if err != nil {
			return false, err
		}
		y, err := e.Eval(ctx, b)
		if err != nil {
			return false, err
		}
		if x == nil || y == nil {
			if x != nil || y != nil {
				return false, nil
			}
			continue
		}
		fam := familyOf(e)
		switch e.Type().(type) {
		case jsonbOrderType:
			// A JSON key the sort wrapped in kdb_json_order: its family is
			// not JSON's (so it is never wrapped twice), its order is.
			fam = famJSON
		case textOrderType:
			// Likewise a text key in kdb_text_order (pgtextorder.go).
			fam = famText
		}
		// Texts compare looking at the context (a partition of long
		// equal texts is one loop over all its rows).
		c, err := compareValuesChecked(ctx, fam, x, y)
		if err != nil {
			if stop := statementEnded(ctx); stop != nil {
				return false, stop
			}
			// A type KalamDB does not order itself: the engine's order,
			// which sorted the rows.
			if c, err = e.Type().Compare(ctx, x, y); err != nil {
				return false, err
			}
		}
		if c != 0 {
			return false, nil
		}
	}
	return true, nil
}
