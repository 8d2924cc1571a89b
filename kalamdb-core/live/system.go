package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Live queries on system tables.
//
// System rows are not written through the engine's change feed: the
// catalog, the jobs manager, flush and this package write them directly.
// Instead, every commit to a system table's column family calls
// systemChanged (a kv commit hook), which queues one refresh for each
// subscription of that table, unless one is queued already: a burst of
// writes costs one re-run, not one per write. The connection's sender
// runs the refresh: it re-runs the subscription's query (the current rows:
// system tables are read as they are, not at a snapshot) and sends the
// difference from what it sent last, row by row, matched by the table's
// key columns: a new key is an insert, a changed row an update, a key
// gone a delete. Since the flag is cleared before the query runs, a commit
// during a refresh queues another, so the client always ends up with the
// rows as of after the last commit.
//
// System tables are small and only dba and system may subscribe to them;
// a query may match at most Options.MaxSystemRows rows. They have no _seq:
// from_seq_id and last_rows do not apply (the initial data is the whole
// result, in key order) and every batch_control.last_seq_id is 0.

// systemState is the part of a subscription particular to system tables.
type systemState struct {
	table string   // the system table's name
	keys  []string // its key columns

	// dirty is set when a refresh is queued and cleared when the sender
	// starts it (coalescing).
	dirty atomic.Bool

	// rest holds the initial rows not sent yet (under loadMu); nil once
	// the last batch is queued.
	rest []sysRow

	// Sender state: the rows the client has, by key, and their order;
	// refreshAfterLoad notes a refresh that came while loading.
	last             map[string]sysRow
	order            []string
	refreshAfterLoad bool
}

// sysRow is one result row: its wire form, and its key and values as
// JSON to compare with.
type sysRow struct {
	row Row
	key string
	enc string
}

// systemKey is the index key of a system table's subscriptions (no user
// table id has the reserved "system" namespace).
func systemKey(table string) partKey {
	return partKey{table: systable.TableID(catalog.SystemNamespace, table)}
}

// watchSystemTables installs the commit hooks that tell the manager a
// system table changed; it returns the function that removes them.
func (m *Manager) watchSystemTables(db *kv.DB) (func(), error) {
	var removers []func()
	removeAll := func() {
		for _, r := range removers {
			r()
		}
	}
	for _, p := range systable.All() {
		cf, err := db.ColumnFamily(p.Family)
		if err != nil {
			removeAll()
			return nil, fmt.Errorf("live: watch system.%s: %w", p.Name, err)
		}
		name := p.Name
		removers = append(removers, cf.OnCommit(func() { m.systemChanged(name) }))
	}
	return removeAll, nil
}

// systemChanged queues a refresh for every subscription of a system
// table that has none queued. It runs on the writer's goroutine, with the
// writer's locks held: it only flips flags and appends to queues.
func (m *Manager) systemChanged(table string) {
	for _, s := range m.router.idx.lookup(systemKey(table)) {
		if s.sys.dirty.CompareAndSwap(false, true) {
			s.conn.push(item{sub: s, refresh: true}, nil)
		}
	}
}

func newSystemSubscription(c *Conn, id, sqlText string, o SubscriptionOptions, f *engine.Filter) *subscription {
	m := c.m
	bs := o.BatchSize
	if bs == 0 {
		bs = m.opts.DefaultBatchSize
	}
	return &subscription{
		conn: c, id: id, liveID: c.id + "-" + id, key: systemKey(f.System),
		sql: sqlText, opts: o, created: c.now(), loader: f,
		batchSize: min(bs, m.opts.MaxBatchSize), shape: newRowShape(f.Columns),
		sys: &systemState{table: f.System, keys: f.KeyColumns},
	}
}

// openSystem registers a system table subscription, reads its initial
// data and queues the ack and the first batch. s.loadMu is held.
func (s *subscription) openSystem(ctx context.Context) error {
	c, m := s.conn, s.conn.m
	// Registered before the first read: a commit after it queues a
	// refresh, so none is missed (one before the read is simply in it).
	m.router.idx.add(s)
	rows, schema, err := s.systemQuery(ctx)
	if err != nil {
		return err
	}
	s.sys.last, s.sys.order = keyed(rows)
	if err := m.queries.add(s); err != nil {
		return err
	}
	c.push(item{sub: s, msg: &SubscriptionAck{Type: "subscription_ack", SubscriptionID: s.id, TotalRows: int64(len(rows)),
		BatchControl: BatchControl{BatchNum: 0, HasMore: true, Status: StatusLoading}, Schema: schema}}, nil)
	s.sys.rest = rows
	s.queueSystemBatch()
	return nil
}

// queueSystemBatch queues the next batch of the initial rows. s.loadMu
// is held.
func (s *subscription) queueSystemBatch() {
	// batchSize rows, and MaxBatchBytes as for data tables (at least one
	// row).
	n := min(s.batchSize, len(s.sys.rest))
	batch := make([]Row, 0, n)
	var size int64
	for _, r := range s.sys.rest[:n] {
		if len(batch) > 0 && size+int64(len(r.enc)) > s.conn.m.opts.MaxBatchBytes {
			break
		}
		batch = append(batch, r.row)
		size += int64(len(r.enc))
	}
	s.sys.rest = s.sys.rest[len(batch):]
	more := len(s.sys.rest) > 0
	if !more {
		s.sys.rest = nil
	}
	s.queueBatch(batch, size, more, nil, nil)
}

// systemQuery runs the subscription's query as its user and returns the
// rows in result (key) order, with the schema of the shown columns.
func (s *subscription) systemQuery(ctx context.Context) ([]sysRow, []Column, error) {
	f := s.loader
	list := make([]string, 0, len(f.Columns)+len(s.sys.keys))
	for _, name := range append(append([]string(nil), f.Columns...), s.sys.keys...) {
		list = append(list, quoteIdent(name))
	}
	limit := s.conn.m.opts.MaxSystemRows
	res, err := s.query(ctx, strings.Join(list, ", "), "", "", limit, nil)
	if errors.Is(err, engine.ErrTooManyRows) {
		return nil, nil, apierror.New(apierror.SubscriptionFailed,
			"a live query on system.%s may match at most %d rows; narrow its WHERE", s.sys.table, limit)
	}
	if err != nil {
		return nil, nil, err
	}
	n := len(f.Columns)
	schema := make([]Column, n)
	for i := range schema {
		schema[i] = Column{Name: res.Columns[i].Name, DataType: res.Columns[i].WireType, Index: i}
	}
	rows := make([]sysRow, len(res.Rows))
	for i, r := range res.Rows {
		key, err := json.Marshal(r[n:])
		if err != nil {
			return nil, nil, fmt.Errorf("live: key of a row of system.%s: %w", s.sys.table, err)
		}
		row := Row{shape: s.shape, vals: r[:n]}
		enc, err := json.Marshal(row)
		if err != nil {
			return nil, nil, fmt.Errorf("live: row of system.%s: %w", s.sys.table, err)
		}
		rows[i] = sysRow{row: row, key: string(key), enc: string(enc)}
	}
	return rows, schema, nil
}

// keyed indexes rows by key, keeping their order.
func keyed(rows []sysRow) (map[string]sysRow, []string) {
	byKey := make(map[string]sysRow, len(rows))
	order := make([]string, len(rows))
	for i, r := range rows {
		byKey[r.key] = r
		order[i] = r.key
	}
	return byKey, order
}

// refreshSystem re-runs a ready system subscription's query and appends
// the difference from what the client has to c.out: inserts and updates
// in the result's order, then deletes in the order the rows were sent.
// Only the sender goroutine calls it.
func (c *Conn) refreshSystem(ctx context.Context, s *subscription) {
	rows, _, err := s.systemQuery(ctx)
	if err != nil {
		e := wireError(err)
		c.endSubscription(s, NewError(s.id, e.Code, "the subscription ended: %s", e.Message))
		return
	}
	next, order := keyed(rows)
	var msgs []Message
	for _, r := range rows {
		old, had := s.sys.last[r.key]
		switch {
		case !had:
			msgs = append(msgs, &ChangeMessage{Type: "change", SubscriptionID: s.id, ChangeType: string(txn.ChangeInsert),
				Rows: []Row{r.row}})
		case old.enc != r.enc:
			msgs = append(msgs, &ChangeMessage{Type: "change", SubscriptionID: s.id, ChangeType: string(txn.ChangeUpdate),
				Rows: []Row{r.row}, OldValues: []Row{old.row}})
		}
	}
	for _, k := range s.sys.order {
		if _, kept := next[k]; !kept {
			msgs = append(msgs, &ChangeMessage{Type: "change", SubscriptionID: s.id, ChangeType: string(txn.ChangeDelete),
				OldValues: []Row{s.sys.last[k].row}})
		}
	}
	s.sys.last, s.sys.order = next, order
	if len(msgs) > 0 {
		c.out = append(c.out, msgs...)
		s.changes.Add(int64(len(msgs)))
		s.lastUpdate.Store(c.m.opts.Now().UnixMicro())
	}
}
