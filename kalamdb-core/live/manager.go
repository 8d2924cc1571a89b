package live

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// StreamObserver is told of the events committed to STREAM tables, per
// partition (the stream sweeper keeps its buffer counts with it).
type StreamObserver interface {
	Inserted(t *catalog.Table, userID string, n int)
}

// Options configure a Manager. Zero values take the defaults noted.
type Options struct {
	// NodeID is this server's node id, shown in system.live_queries.
	NodeID string
	// MaxSubscriptionsPerConnection bounds one connection (default 100).
	MaxSubscriptionsPerConnection int
	// MaxSubscriptionsPerUser bounds one user over all connections
	// (0: no limit).
	MaxSubscriptionsPerUser int
	// SendQueueSize bounds a connection's queue of unsent messages and
	// commits (all the changes one commit routes to one subscription
	// count once; default 1024); a full queue disconnects the client.
	SendQueueSize int
	// MaxPendingChanges bounds the changes kept aside for a subscription
	// while its initial data loads (default 10000).
	MaxPendingChanges int
	// DefaultBatchSize is the initial-data batch size when the client
	// names none (default 1000); MaxBatchSize caps what it may ask for
	// (default 10000).
	DefaultBatchSize int
	MaxBatchSize     int
	// CheckInterval is how often subscriptions of dropped tables and
	// connections of dropped or changed accounts are looked for
	// (default 1s).
	CheckInterval time.Duration
	// Streams, when set, is told of STREAM table inserts.
	Streams StreamObserver
	// MaxSystemRows bounds the rows a live query on a system table may
	// match (default 10000); past it the subscription fails with
	// SUBSCRIPTION_FAILED. Its query is re-run on every change of the
	// table, and its last result is kept to compare with.
	MaxSystemRows int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.MaxSubscriptionsPerConnection <= 0 {
		o.MaxSubscriptionsPerConnection = 100
	}
	if o.SendQueueSize <= 0 {
		o.SendQueueSize = 1024
	}
	if o.MaxPendingChanges <= 0 {
		o.MaxPendingChanges = 10000
	}
	if o.DefaultBatchSize <= 0 {
		o.DefaultBatchSize = 1000
	}
	if o.MaxBatchSize <= 0 {
		o.MaxBatchSize = 10000
	}
	o.DefaultBatchSize = min(o.DefaultBatchSize, o.MaxBatchSize)
	if o.CheckInterval <= 0 {
		o.CheckInterval = time.Second
	}
	if o.MaxSystemRows <= 0 {
		o.MaxSystemRows = 10000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Manager is the live query manager. It implements txn.Sink and
// engine.SubscriberCounter, and executor.LiveQueries for KILL LIVE QUERY.
type Manager struct {
	eng *engine.Engine
	// feeds opens the partition feeds subscriptions register through.
	feeds *tier.Manager
	cat   *catalog.Catalog
	rows  *systable.Table[systable.LiveQuery]
	opts  Options
	idx   *index

	mu      sync.Mutex
	conns   map[string]*Conn
	byLive  map[string]*subscription
	perUser map[string]int
	closed  bool

	// unwatch removes the commit hooks on the system tables.
	unwatch func()

	startOnce sync.Once
	stopOnce  sync.Once
	stop      chan struct{}
	wg        sync.WaitGroup
}

var (
	_ txn.Sink                 = (*Manager)(nil)
	_ engine.SubscriberCounter = (*Manager)(nil)
)

// New builds a Manager over the catalog and engine. Rows of
// system.live_queries left by a previous process are removed: their
// connections are gone. It watches the system tables' column families for
// commits (live queries on system tables) until Close. The caller installs
// it: engine.SetChangeSink, engine.RegisterSystemTable(m.Table()),
// executor.SetLiveQueries.
func New(cat *catalog.Catalog, eng *engine.Engine, feeds *tier.Manager, o Options) (*Manager, error) {
	rows, err := systable.Open(cat.DB(), systable.LiveQueries)
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
	m := &Manager{eng: eng, feeds: feeds, cat: cat, rows: rows, opts: o.withDefaults(), idx: newIndex(),
		conns: make(map[string]*Conn), byLive: make(map[string]*subscription), perUser: make(map[string]int),
		stop: make(chan struct{})}
	if m.unwatch, err = m.watchSystemTables(cat.DB()); err != nil {
		return nil, err
	}
	return m, nil
}

// Start starts the background check that ends subscriptions of dropped
// tables. Close stops it.
func (m *Manager) Start() {
	m.startOnce.Do(func() {
		m.wg.Add(1)
		go m.loop()
	})
}

// Close ends every connection (Err: ErrShutdown) and stops the background
// work. New connections are refused afterwards.
func (m *Manager) Close() {
	m.stopOnce.Do(func() {
		close(m.stop)
		m.unwatch()
	})
	m.wg.Wait()
	m.mu.Lock()
	m.closed = true
	conns := make([]*Conn, 0, len(m.conns))
	for _, c := range m.conns {
		conns = append(conns, c)
	}
	m.mu.Unlock()
	for _, c := range conns {
		c.end(ErrShutdown)
	}
}

func (m *Manager) loop() {
	defer m.wg.Done()
	t := time.NewTicker(m.opts.CheckInterval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.endDropped()
			m.endChangedAccounts()
		}
	}
}

// Connect opens a connection for an authenticated user.
func (m *Manager) Connect(userID string, role systable.Role) (*Conn, error) {
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("live: connection id: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrShutdown
	}
	c := &Conn{m: m, id: hex.EncodeToString(raw[:]), userID: userID, role: role,
		subs: make(map[string]*subscription), wake: make(chan struct{}, 1)}
	if u, ok := m.cat.Snapshot().User(userID); ok {
		c.account = &account{created: u.CreatedAt, hash: u.PasswordHash}
	}
	c.ctx, c.cancel = context.WithCancelCause(context.Background())
	m.conns[c.id] = c
	return c, nil
}

func (m *Manager) forgetConn(c *Conn) {
	m.mu.Lock()
	delete(m.conns, c.id)
	m.mu.Unlock()
}

// Publish implements txn.Sink. It runs on the committing
// goroutine with the written partitions locked, so it only routes: one
// index lookup per run of changes to a partition, and one queue append per
// subscription of it (the run is shared, not copied).
func (m *Manager) Publish(changes []txn.Change) {
	for i := 0; i < len(changes); {
		k := partKey{table: changes[i].Table.Meta.TableID, user: changes[i].UserID}
		j := i + 1
		for j < len(changes) && changes[j].Table.Meta.TableID == k.table && changes[j].UserID == k.user {
			j++
		}
		run := changes[i:j:j]
		for _, s := range m.idx.lookup(k) {
			s.conn.push(item{sub: s, changes: run})
		}
		if m.opts.Streams != nil && run[0].Table.Meta.TableType == dialect.TableTypeStream {
			inserted := 0
			for r := range run {
				if run[r].Type == txn.ChangeInsert {
					inserted++
				}
			}
			if inserted > 0 {
				m.opts.Streams.Inserted(run[0].Table, k.user, inserted)
			}
		}
		i = j
	}
}

// HasSubscribers implements engine.SubscriberCounter: whether anyone
// watches userID's partition of t.
func (m *Manager) HasSubscribers(t *catalog.Table, userID string) bool {
	return len(m.idx.lookup(partKey{table: t.Meta.TableID, user: userID})) > 0
}

// Kill ends a live query for KILL LIVE QUERY, when authz.KillLiveQuery
// allows it. The client gets an error with code KILLED.
func (m *Manager) Kill(_ context.Context, callerID string, callerRole systable.Role, liveID string) error {
	m.mu.Lock()
	s := m.byLive[liveID]
	m.mu.Unlock()
	if s == nil {
		return apierror.New(apierror.NotFound, "live query %s does not exist", liveID)
	}
	if err := authz.KillLiveQuery(authz.Principal{UserID: callerID, Role: callerRole}, s.conn.userID, liveID); err != nil {
		return err
	}
	m.end(s, NewError(s.id, apierror.Killed, "the live query was killed (KILL LIVE QUERY)"))
	return nil
}

// end removes a subscription from outside its connection's goroutines and
// queues the message that says why.
func (m *Manager) end(s *subscription, why *ErrorMessage) {
	if m.removeSubscription(s) {
		s.conn.push(item{sub: s, msg: why, always: true})
	}
}

// endDropped ends the subscriptions whose table was dropped (or dropped
// and created again): no change will ever reach them.
func (m *Manager) endDropped() {
	snap := m.cat.Snapshot()
	m.mu.Lock()
	var gone []*subscription
	for _, s := range m.byLive {
		if s.table == nil {
			continue // a system table: never dropped
		}
		t, ok := snap.Table(s.table.Meta.NamespaceID, s.table.Meta.TableName)
		if !ok || !t.Meta.CreatedAt.Equal(s.table.Meta.CreatedAt) {
			gone = append(gone, s)
		}
	}
	m.mu.Unlock()
	for _, s := range gone {
		m.end(s, NewError(s.id, apierror.SubscriptionFailed, "table %s.%s was dropped", s.table.Meta.NamespaceID, s.table.Meta.TableName))
	}
}

// endChangedAccounts closes the connections of users who were dropped, or
// whose role or password changed since they authenticated: a socket must
// not outlive the credentials and permissions it was opened with (the
// subscriptions were authorised for the old role). The client signs in
// again.
func (m *Manager) endChangedAccounts() {
	snap := m.cat.Snapshot()
	m.mu.Lock()
	var gone []*Conn
	for _, c := range m.conns {
		if c.account == nil {
			continue
		}
		u, ok := snap.User(c.userID)
		if !ok || !u.CreatedAt.Equal(c.account.created) || u.Role != c.role || u.PasswordHash != c.account.hash {
			gone = append(gone, c)
		}
	}
	m.mu.Unlock()
	for _, c := range gone {
		c.end(ErrAccountChanged)
	}
}

func (m *Manager) reserveUser(userID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return apierror.New(apierror.SubscriptionFailed, "the server is shutting down")
	}
	if lim := m.opts.MaxSubscriptionsPerUser; lim > 0 && m.perUser[userID] >= lim {
		return apierror.New(apierror.SubscriptionLimitExceeded, "user %s may hold at most %d subscriptions", userID, lim)
	}
	m.perUser[userID]++
	return nil
}

func (m *Manager) releaseUser(userID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.perUser[userID]--; m.perUser[userID] <= 0 {
		delete(m.perUser, userID)
	}
}

// addLive makes a subscription a row of system.live_queries, before its
// ack is queued, so a client that saw the ack finds the row. The row is
// in memory (where the table is read from) before it is persisted, so the
// commit that tells live queries on system.live_queries about it finds it.
func (m *Manager) addLive(s *subscription) error {
	m.mu.Lock()
	m.byLive[s.liveID] = s
	m.mu.Unlock()
	if err := m.rows.Put(m.liveRow(s)); err != nil {
		m.mu.Lock()
		delete(m.byLive, s.liveID)
		m.mu.Unlock()
		return apierror.Wrap(apierror.SubscriptionFailed, err, "the subscription could not be recorded")
	}
	return nil
}

// removeSubscription ends s everywhere: index, connection, quota,
// system.live_queries, snapshot. Only the first call does anything; it
// reports whether it was that one.
func (m *Manager) removeSubscription(s *subscription) bool {
	if !s.removed.CompareAndSwap(false, true) {
		return false
	}
	// Waits for a Subscribe or NextBatch of s in progress, so nothing is
	// registered or opened after this cleans up.
	s.loadMu.Lock()
	m.idx.remove(s)
	if s.snap != nil {
		_ = s.snap.Close()
		s.snap = nil
	}
	s.loadMu.Unlock()
	c := s.conn
	c.mu.Lock()
	if c.subs[s.id] == s {
		delete(c.subs, s.id)
	}
	c.mu.Unlock()
	m.mu.Lock()
	_, recorded := m.byLive[s.liveID]
	delete(m.byLive, s.liveID)
	m.mu.Unlock()
	m.releaseUser(c.userID)
	if recorded {
		// The in-memory row is gone already; a failed delete only leaves
		// a stale persisted row, which the next start clears.
		_ = m.rows.Delete(s.liveID)
	}
	return true
}

// liveRow is the system.live_queries row of s, with its current counters.
func (m *Manager) liveRow(s *subscription) *systable.LiveQuery {
	opts, _ := json.Marshal(s.opts) // a struct of numbers always marshals
	ns, name := s.tableName()
	r := &systable.LiveQuery{LiveID: s.liveID, ConnectionID: s.conn.id, SubscriptionID: s.id,
		NamespaceID: ns, TableName: name, UserID: s.conn.userID,
		Query: s.sql, Options: opts, CreatedAt: s.created, Changes: s.changes.Load(), NodeID: m.opts.NodeID}
	if us := s.lastUpdate.Load(); us != 0 {
		r.LastUpdate = time.UnixMicro(us).UTC()
	}
	return r
}

// Table is system.live_queries as the query engine sees it: the live
// subscriptions with their current change counters, read from memory (the
// persisted rows record subscriptions, not every change).
func (m *Manager) Table() systable.SQLTable { return liveTable{m} }

type liveTable struct{ m *Manager }

func (t liveTable) Name() string                   { return t.m.rows.Name() }
func (t liveTable) Columns() []systable.ColumnInfo { return t.m.rows.Columns() }
func (t liveTable) KeyColumns() []string           { return t.m.rows.KeyColumns() }

func (t liveTable) Rows() ([][]any, error) {
	t.m.mu.Lock()
	rows := make([]*systable.LiveQuery, 0, len(t.m.byLive))
	for _, s := range t.m.byLive {
		rows = append(rows, t.m.liveRow(s))
	}
	t.m.mu.Unlock()
	sort.Slice(rows, func(i, j int) bool { return rows[i].LiveID < rows[j].LiveID })
	return systable.LiveQueries.RowsOf(rows), nil
}

// Subscriptions is the number of live subscriptions (for metrics).
func (m *Manager) Subscriptions() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byLive)
}
