package engine

import (
	"io"

	"github.com/dolthub/go-mysql-server/sql"
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
func defaultFrame(fn sql.WindowFunction, w *sql.WindowDefinition) sql.WindowFramer {
	switch fn.(type) {
	case *aggregation.MaxAgg, *aggregation.MinAgg, *aggregation.CountAgg, *aggregation.LastAgg:
	default:
		return fn.DefaultFramer()
	}
	if w == nil || w.Frame != nil {
		return fn.DefaultFramer()
	}
	if len(w.OrderBy) == 0 {
		return aggregation.NewPartitionFramer()
	}
	return &toPeersFramer{orderBy: w.OrderBy.ToExpressions()}
}

// toPeersFramer frames each row from its partition's first row to its
// last peer. It walks the peer groups with the engine's PeerGroupFramer
// and widens each to the partition's start.
type toPeersFramer struct {
	orderBy []sql.Expression
	start   int
	peers   sql.WindowFramer
}

var _ sql.WindowFramer = (*toPeersFramer)(nil)

func (f *toPeersFramer) NewFramer(interval sql.WindowInterval) (sql.WindowFramer, error) {
	peers, err := aggregation.NewPeerGroupFramer(f.orderBy).NewFramer(interval)
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
