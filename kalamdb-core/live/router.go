package live

import (
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// StreamObserver is told of the events committed to STREAM tables, per
// partition (the stream sweeper keeps its buffer counts with it).
type StreamObserver interface {
	Inserted(t *catalog.Table, userID string, n int)
}

// Router routes each committed change to the subscriptions of its
// partition. It is the transactions' change sink, built before them and
// the engine: it depends on nothing but its index, which the Manager
// fills as clients subscribe.
type Router struct {
	idx     *index
	streams StreamObserver
}

var (
	_ txn.Sink                 = (*Router)(nil)
	_ engine.SubscriberCounter = (*Router)(nil)
)

// NewRouter returns an empty router. streams, when not nil, is told of
// every STREAM table insert.
func NewRouter(streams StreamObserver) *Router {
	return &Router{idx: newIndex(), streams: streams}
}

// Publish implements txn.Sink. It runs on the committing
// goroutine with the written partitions locked, so it only routes: one
// index lookup per run of changes to a partition, and one queue append per
// subscription of it (the run is shared, not copied). What waking the
// connections' senders asks of the committer goes to w.
func (r *Router) Publish(changes []txn.Change, w *txn.Wakes) {
	for i := 0; i < len(changes); {
		k := partKey{table: changes[i].Table.Meta.TableID, user: changes[i].UserID}
		j := i + 1
		for j < len(changes) && changes[j].Table.Meta.TableID == k.table && changes[j].UserID == k.user {
			j++
		}
		run := changes[i:j:j]
		if subs := r.idx.lookup(k); len(subs) > 0 {
			size := changesSize(run)
			for _, s := range subs {
				s.conn.push(item{sub: s, changes: run, size: size}, w)
			}
		}
		if r.streams != nil && run[0].Table.Meta.TableType == dialect.TableTypeStream {
			inserted := 0
			for r := range run {
				if run[r].Type == txn.ChangeInsert {
					inserted++
				}
			}
			if inserted > 0 {
				r.streams.Inserted(run[0].Table, k.user, inserted)
			}
		}
		i = j
	}
}

// HasSubscribers implements engine.SubscriberCounter: whether anyone
// watches userID's partition of t.
func (r *Router) HasSubscribers(t *catalog.Table, userID string) bool {
	return len(r.idx.lookup(partKey{table: t.Meta.TableID, user: userID})) > 0
}
