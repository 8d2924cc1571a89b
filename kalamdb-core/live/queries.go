package live

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Queries is system.live_queries: the live subscriptions of this node,
// kept in memory (where the table is read from, with current counters) and
// persisted as they come and go. It is built before the engine, which
// shows it among the system tables; the Manager records into it.
type Queries struct {
	rows   *systable.Table[systable.LiveQuery]
	nodeID string

	mu     sync.Mutex
	byLive map[string]*subscription
}

// OpenQueries opens system.live_queries in db for node nodeID. Rows left
// by a previous process are removed: their connections are gone.
func OpenQueries(db *kv.DB, nodeID string) (*Queries, error) {
	rows, err := systable.Open(db, systable.LiveQueries)
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	stale, err := rows.ScanAll()
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	var b kv.Batch
	for _, r := range stale {
		rows.DeleteInBatch(&b, r.LiveID)
	}
	if err := rows.Write(&b); err != nil {
		return nil, fmt.Errorf("live: clear stale live queries: %w", err)
	}
	return &Queries{rows: rows, nodeID: nodeID, byLive: make(map[string]*subscription)}, nil
}

// add makes a subscription a row of system.live_queries, before its ack
// is queued, so a client that saw the ack finds the row. The row is in
// memory (where the table is read from) before it is persisted, so the
// commit that tells live queries on system.live_queries about it finds it.
func (q *Queries) add(s *subscription) error {
	q.mu.Lock()
	q.byLive[s.liveID] = s
	q.mu.Unlock()
	if err := q.rows.Put(q.row(s)); err != nil {
		q.mu.Lock()
		delete(q.byLive, s.liveID)
		q.mu.Unlock()
		return apierror.Wrap(apierror.SubscriptionFailed, err, "the subscription could not be recorded")
	}
	return nil
}

// remove forgets a subscription, in memory and then persisted.
func (q *Queries) remove(s *subscription) {
	q.mu.Lock()
	_, recorded := q.byLive[s.liveID]
	delete(q.byLive, s.liveID)
	q.mu.Unlock()
	if recorded {
		// The in-memory row is gone already; a failed delete only leaves
		// a stale persisted row, which the next start clears.
		_ = q.rows.Delete(s.liveID)
	}
}

// get returns the subscription of a live id, or nil.
func (q *Queries) get(liveID string) *subscription {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.byLive[liveID]
}

// all returns every subscription recorded.
func (q *Queries) all() []*subscription {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]*subscription, 0, len(q.byLive))
	for _, s := range q.byLive {
		out = append(out, s)
	}
	return out
}

// Count is the number of live subscriptions.
func (q *Queries) Count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.byLive)
}

// row is the system.live_queries row of s, with its current counters.
func (q *Queries) row(s *subscription) *systable.LiveQuery {
	opts, _ := json.Marshal(s.opts) // a struct of numbers always marshals
	ns, name := s.tableName()
	r := &systable.LiveQuery{LiveID: s.liveID, ConnectionID: s.conn.id, SubscriptionID: s.id,
		NamespaceID: ns, TableName: name, UserID: s.conn.userID,
		Query: s.sql, Options: opts, CreatedAt: s.created, Changes: s.changes.Load(), NodeID: q.nodeID}
	if us := s.lastUpdate.Load(); us != 0 {
		r.LastUpdate = time.UnixMicro(us).UTC()
	}
	return r
}

// Table is system.live_queries as the query engine sees it: the live
// subscriptions with their current change counters, read from memory (the
// persisted rows record subscriptions, not every change).
func (q *Queries) Table() systable.SQLTable { return liveTable{q} }

type liveTable struct{ q *Queries }

func (t liveTable) Name() string                   { return t.q.rows.Name() }
func (t liveTable) Columns() []systable.ColumnInfo { return t.q.rows.Columns() }
func (t liveTable) KeyColumns() []string           { return t.q.rows.KeyColumns() }

func (t liveTable) Rows() ([][]any, error) {
	subs := t.q.all()
	rows := make([]*systable.LiveQuery, len(subs))
	for i, s := range subs {
		rows[i] = t.q.row(s)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].LiveID < rows[j].LiveID })
	return systable.LiveQueries.RowsOf(rows), nil
}
