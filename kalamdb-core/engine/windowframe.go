package engine

import (
	"io"
	"math"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
)

// PostgreSQL's default window frame: without ORDER BY, the whole
// partition; with ORDER BY, RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT
// ROW, which ends with the current row's last peer (rows equal on every
// ORDER BY key). The engine gives max() the whole partition even with
// ORDER BY (so max(x) OVER (ORDER BY n) was the partition's max on every
// row), min() the rows up to the current one even without ORDER BY and
// never its peers, count() peers by the first ORDER BY key only, and
// last_value() the current row instead of its last peer.
// defaultFrame replaces those defaults for the aggregates KalamDB runs as
// window functions; an explicit frame is the statement's own.

// defaultFrame is the framer fn runs with in window w.
func defaultFrame(fn sql.WindowFunction, w *sql.WindowDefinition) (sql.WindowFramer, error) {
	switch fn.(type) {
	case *aggregation.MaxAgg, *aggregation.MinAgg, *aggregation.CountAgg, *aggregation.LastAgg:
	case *aggregation.Rank, *aggregation.DenseRank, *aggregation.PercentRank:
		// Their value is where the row's peer group starts.
		if w != nil {
			return &peerFramer{orderBy: w.OrderBy.ToExpressions()}, nil
		}
		return fn.DefaultFramer(), nil
	default:
		return fn.DefaultFramer(), nil
	}
	if w == nil {
		return fn.DefaultFramer(), nil
	}
	return aggregateFrame(w)
}

// aggregateFrame is the framer of an aggregate over window w: its
// explicit frame, or PostgreSQL's default.
func aggregateFrame(w *sql.WindowDefinition) (sql.WindowFramer, error) {
	if w.Frame != nil {
		spec, err := readFrame(w.Frame)
		if err != nil {
			return nil, err
		}
		return &pgFramer{spec: spec, orderBy: w.OrderBy}, nil
	}
	if len(w.OrderBy) == 0 {
		return aggregation.NewPartitionFramer(), nil
	}
	return &toPeersFramer{orderBy: w.OrderBy.ToExpressions()}, nil
}

// toPeersFramer frames each row from its partition's first row to its
// last peer. It walks the peer groups with peerFramer and widens each to
// the partition's start.
type toPeersFramer struct {
	orderBy []sql.Expression
	start   int
	peers   sql.WindowFramer
}

var _ sql.WindowFramer = (*toPeersFramer)(nil)

func (f *toPeersFramer) NewFramer(interval sql.WindowInterval) (sql.WindowFramer, error) {
	peers, err := (&peerFramer{orderBy: f.orderBy}).NewFramer(interval)
	if err != nil {
		return nil, err
	}
	return &toPeersFramer{orderBy: f.orderBy, start: interval.Start, peers: peers}, nil
}

func (f *toPeersFramer) Next(ctx *sql.Context, buf sql.WindowBuffer) (sql.WindowInterval, error) {
	if f.peers == nil {
		// The prototype, before the first partition: the window asks
		// for the next frame to learn it must start one.
		return sql.WindowInterval{}, io.EOF
	}
	group, err := f.peers.Next(ctx, buf)
	if err != nil {
		return sql.WindowInterval{}, err
	}
	return sql.WindowInterval{Start: f.start, End: group.End}, nil
}

func (f *toPeersFramer) FirstIdx() int { return f.start }

func (f *toPeersFramer) LastIdx() int {
	if f.peers == nil {
		return -1
	}
	return f.peers.LastIdx()
}

func (f *toPeersFramer) Interval() (sql.WindowInterval, error) {
	if f.peers == nil {
		return sql.WindowInterval{}, aggregation.ErrPartitionNotSet
	}
	group, err := f.peers.Interval()
	if err != nil {
		return sql.WindowInterval{}, err
	}
	return sql.WindowInterval{Start: f.start, End: group.End}, nil
}

// An explicit frame of one of the engine's own aggregates (a window the
// translator built with the engine's frame clause) is computed by
// pgFramer, with frameCursor, instead of the engine's framers: its RANGE
// frames find peers by the first ORDER BY key only. KalamDB's aggregates,
// first_value, last_value and nth_value carry their frame in their
// options instead (pgwindowagg.go), which also hold what the engine's
// frame clause cannot: GROUPS, EXCLUDE and RANGE offsets.

// readFrame reads f, an engine frame clause: ROWS, or RANGE bounded by
// UNBOUNDED and CURRENT ROW.
func readFrame(f sql.WindowFrame) (frameSpec, error) {
	s := frameSpec{unit: unitRange}
	if strings.HasPrefix(f.String(), "ROWS") {
		s.unit = unitRows
	}
	var err error
	if s.start, s.startN, err = readFrameEdge(f, "start", f.UnboundedPreceding(), f.StartCurrentRow(), f.StartNPreceding(), f.StartNFollowing()); err != nil {
		return s, err
	}
	if s.end, s.endN, err = readFrameEdge(f, "end", f.UnboundedFollowing(), f.EndCurrentRow(), f.EndNPreceding(), f.EndNFollowing()); err != nil {
		return s, err
	}
	if s.unit == unitRange && (s.start > edgeCurrent || s.end > edgeCurrent) {
		return s, sqlError("RANGE with an offset PRECEDING or FOLLOWING is not supported here")
	}
	return s, nil
}

// readFrameEdge reads one end of frame f from what the frame says of it.
func readFrameEdge(f sql.WindowFrame, which string, unbounded, current bool, preceding, following sql.Expression) (frameEdge, int, error) {
	switch {
	case unbounded:
		return edgeUnbounded, 0, nil
	case current:
		return edgeCurrent, 0, nil
	case preceding != nil:
		n, err := frameOffset(preceding)
		return edgePreceding, n, err
	case following != nil:
		n, err := frameOffset(following)
		return edgeFollowing, n, err
	}
	return 0, 0, sqlError("window frame %s has no %s", f, which)
}

// frameOffset is a frame's offset: the translator allows only
// non-negative integer constants.
func frameOffset(e sql.Expression) (int, error) {
	if l, ok := e.(*expression.Literal); ok {
		if n, ok := toInt64(l.Value()); ok && n >= 0 {
			return int(min(n, math.MaxInt32)), nil
		}
	}
	return 0, sqlError("a frame offset must be a non-negative integer constant, not %s", e)
}

// pgFramer frames each row of a partition by a frameSpec without
// EXCLUDE.
type pgFramer struct {
	spec    frameSpec
	orderBy sql.SortFields
	cursor  *frameCursor
	next    int                // the next row to frame
	frame   sql.WindowInterval // the last row's frame
	part    sql.WindowInterval
	started bool
}

var _ sql.WindowFramer = (*pgFramer)(nil)

func (f *pgFramer) NewFramer(part sql.WindowInterval) (sql.WindowFramer, error) {
	c := newFrameCursor(&f.spec, f.orderBy)
	c.reset(nil, part)
	return &pgFramer{spec: f.spec, orderBy: f.orderBy, cursor: c, part: part, next: part.Start, started: true}, nil
}

func (f *pgFramer) Next(ctx *sql.Context, buf sql.WindowBuffer) (sql.WindowInterval, error) {
	if !f.started || f.next >= f.part.End {
		return sql.WindowInterval{}, io.EOF
	}
	fr, err := f.cursor.frameAt(ctx, buf, f.next)
	if err != nil {
		return sql.WindowInterval{}, err
	}
	f.next++
	f.frame = fr.base
	return f.frame, nil
}

func (f *pgFramer) FirstIdx() int { return f.frame.Start }
func (f *pgFramer) LastIdx() int  { return f.frame.End }

func (f *pgFramer) Interval() (sql.WindowInterval, error) {
	if !f.started {
		return sql.WindowInterval{}, aggregation.ErrPartitionNotSet
	}
	return f.frame, nil
}

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
	part    sql.WindowInterval
	next    int                // the next row to frame
	group   sql.WindowInterval // the peer group of the last row framed
	started bool
}

var _ sql.WindowFramer = (*peerFramer)(nil)

func (f *peerFramer) NewFramer(part sql.WindowInterval) (sql.WindowFramer, error) {
	return &peerFramer{orderBy: f.orderBy, part: part, next: part.Start,
		group: sql.WindowInterval{Start: part.Start, End: part.Start}, started: true}, nil
}

func (f *peerFramer) Next(ctx *sql.Context, buf sql.WindowBuffer) (sql.WindowInterval, error) {
	if !f.started || f.next >= f.part.End {
		return sql.WindowInterval{}, io.EOF
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
		c, err := compareValues(fam, x, y)
		if err != nil {
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
