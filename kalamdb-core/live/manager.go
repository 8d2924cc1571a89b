package live

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Options configure a Manager. Zero values take the defaults noted.
type Options struct {
	// MaxSubscriptionsPerConnection bounds one connection (default 100).
	MaxSubscriptionsPerConnection int
	// MaxSubscriptionsPerUser bounds one user over all connections
	// (0: no limit).
	MaxSubscriptionsPerUser int
	// SendQueueSize bounds a connection's queue of unsent messages and
	// commits (all the changes one commit routes to one subscription
	// count once; default 1024); a full queue disconnects the client.
	SendQueueSize int
	// SendQueueBytes bounds, in bytes of row values (about their size on
	// the wire), what a connection's queue holds (default 64 MiB): past
	// it the client is disconnected like for SendQueueSize. An entry
	// larger than the bound is still taken into an empty queue. The same
	// bound applies to the changes kept aside for the connection's
	// loading subscriptions: past it the subscription whose change does
	// not fit fails.
	SendQueueBytes int64
	// MaxPendingChanges bounds the changes kept aside for a subscription
	// while its initial data loads (default 10000).
	MaxPendingChanges int
	// MaxBatchBytes bounds an initial-data batch, in bytes of row values
	// (default 4 MiB); a batch holds at least one row however large.
	MaxBatchBytes int64
	// DefaultBatchSize is the initial-data batch size when the client
	// names none (default 1000); MaxBatchSize caps what it may ask for
	// (default 10000).
	DefaultBatchSize int
	MaxBatchSize     int
	// CheckInterval is how often subscriptions of dropped tables, idle
	// loading subscriptions and connections of dropped or changed
	// accounts are looked for (default 1s).
	CheckInterval time.Duration
	// LoadingIdleTimeout bounds how long a subscription may wait, with
	// initial data left to send, for the client's next_batch (default
	// 60s): past it the subscription ends with SUBSCRIPTION_FAILED. A
	// loading subscription holds a snapshot, which keeps every Parquet
	// file that any compaction replaces meanwhile (of every table) and
	// RocksDB's old versions, so a client must not hold one for ever.
	LoadingIdleTimeout time.Duration
	// LoadingMaxDuration bounds how long a subscription may stay loading
	// in all, counted from its subscribe however often the client asks
	// for batches (default 10 min): past it the subscription ends with
	// SUBSCRIPTION_FAILED. LoadingIdleTimeout alone let a client asking
	// for one row just before each timeout hold its snapshot, and so every
	// other table's replaced files, for rows × that timeout.
	LoadingMaxDuration time.Duration
	// MaxSystemRows bounds the rows a live query on a system table may
	// match (default 10000); past it the subscription fails with
	// SUBSCRIPTION_FAILED. Its query is re-run on every change of the
	// table, and its last result is kept to compare with.
	MaxSystemRows int
	// OnInternalError, when set, is told of a subscription ended by a
	// bug (a panic while its changes were evaluated or encoded), with the
	// panic and its stack, for the server's log. The client only learns
	// that the subscription failed.
	OnInternalError func(liveID string, err error)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Defaults of the byte bounds (Options).
const (
	DefaultSendQueueBytes = 64 << 20
	DefaultMaxBatchBytes  = 4 << 20
	// DefaultLoadingIdleTimeout is Options.LoadingIdleTimeout's default.
	DefaultLoadingIdleTimeout = 60 * time.Second
	// DefaultLoadingMaxDuration is Options.LoadingMaxDuration's default.
	DefaultLoadingMaxDuration = 10 * time.Minute
)

func (o Options) withDefaults() Options {
	if o.MaxSubscriptionsPerConnection <= 0 {
		o.MaxSubscriptionsPerConnection = 100
	}
	if o.SendQueueSize <= 0 {
		o.SendQueueSize = 1024
	}
	if o.SendQueueBytes <= 0 {
		o.SendQueueBytes = DefaultSendQueueBytes
	}
	if o.MaxPendingChanges <= 0 {
		o.MaxPendingChanges = 10000
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
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
	if o.LoadingIdleTimeout <= 0 {
		o.LoadingIdleTimeout = DefaultLoadingIdleTimeout
	}
	if o.LoadingMaxDuration <= 0 {
		o.LoadingMaxDuration = DefaultLoadingMaxDuration
	}
	if o.MaxSystemRows <= 0 {
		o.MaxSystemRows = 10000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Manager is the live query manager: it connects clients, opens and ends
// their subscriptions (registering them with the Router, recording them in
// Queries), and serves KILL LIVE QUERY (executor.LiveQueries).
type Manager struct {
	eng *engine.Engine
	db  *kv.DB
	// feeds opens the partition feeds subscriptions register through.
	feeds   *tier.Manager
	cat     *catalog.Catalog
	router  *Router
	queries *Queries
	opts    Options
	memory  *memory.Account

	mu      sync.Mutex
	conns   map[string]*Conn
	perUser map[string]int
	closed  bool

	// unwatch removes the commit hooks on the system tables.
	unwatch func()
	// afterReserve, when set (tests only, export_test.go), runs in
	// Subscribe between taking the subscription's place and opening it:
	// the moment a connection ending concurrently must not be missed.
	afterReserve func()

	startOnce sync.Once
	stopOnce  sync.Once
	stop      chan struct{}
	wg        sync.WaitGroup
}

// Deps are what a Manager works with. All are required.
type Deps struct {
	// DB holds the system tables, whose commits re-run the live queries
	// on them, and the restore horizons a resume across a RESTORE is
	// checked against.
	DB      *kv.DB
	Catalog *catalog.Catalog
	Engine  *engine.Engine
	// Feeds opens partition feeds (the tiers own the partition locks and
	// the files a feed's snapshot pins).
	Feeds *tier.Manager
	// Router is the transactions' change sink, which the Manager fills
	// with subscriptions.
	Router *Router
	// Queries is system.live_queries, which the engine shows.
	Queries *Queries
	// Memory is the server's memory account, which connections' send
	// queues reserve from (nil: each queue has only its own bound).
	Memory *memory.Account
}

// New builds a Manager, complete: it watches the system tables' column
// families for commits (live queries on system tables) until Close.
func New(d Deps, o Options) (*Manager, error) {
	m := &Manager{eng: d.Engine, db: d.DB, feeds: d.Feeds, cat: d.Catalog, router: d.Router, queries: d.Queries, opts: o.withDefaults(), memory: d.Memory,
		conns: make(map[string]*Conn), perUser: make(map[string]int), stop: make(chan struct{})}
	var err error
	if m.unwatch, err = m.watchSystemTables(d.DB); err != nil {
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
			m.endIdleLoading()
			m.endChangedAccounts("")
		}
	}
}

// Connect opens a connection for an authenticated user: u is the user's
// row as the credentials were checked against (its password hash need not
// be set). An account dropped, or whose role or credentials changed
// (catalog credential version) since that check, is refused with
// ErrAccountChanged: DROP USER and ALTER USER close only the connections
// opened before they committed, so a sign-in that checked the old
// password or role and connects after their sweep must not be opened.
func (m *Manager) Connect(u *systable.User) (*Conn, error) {
	return m.connect(u.UserID, u.Role, u)
}

// connect opens a connection of userID with role; checked, when set, is
// the account as authenticated, which must still be current (Connect).
// Without it the connection is not tied to an account (tests of the core
// alone, whose users the catalog may not know).
func (m *Manager) connect(userID string, role systable.Role, checked *systable.User) (*Conn, error) {
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("live: connection id: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.connectLocked(userID, role, checked, raw)
}

// connectLocked is connect with m.mu held.
func (m *Manager) connectLocked(userID string, role systable.Role, checked *systable.User, raw [8]byte) (*Conn, error) {
	if m.closed {
		return nil, ErrShutdown
	}
	c := &Conn{m: m, id: hex.EncodeToString(raw[:]), userID: userID, role: role,
		subs: make(map[string]*subscription), wake: make(chan struct{}, 1)}
	if checked != nil {
		// Read under m.mu, which the sweep of ALTER USER and DROP USER
		// (endChangedAccounts) takes after their commit: either this sees
		// their change, or the sweep sees this connection.
		a := &account{created: checked.CreatedAt, version: checked.CredentialVersion, role: checked.Role}
		if cur, ok := m.cat.Snapshot().User(userID); !ok || !a.current(cur) {
			return nil, ErrAccountChanged
		}
		c.account = a
	}
	c.mem.Reset(m.memory.For(userID))
	c.ctx, c.cancel = context.WithCancelCause(context.Background())
	m.conns[c.id] = c
	return c, nil
}

func (m *Manager) forgetConn(c *Conn) {
	m.mu.Lock()
	delete(m.conns, c.id)
	m.mu.Unlock()
}

// Kill ends a live query for KILL LIVE QUERY, when authz.KillLiveQuery
// allows it. The client gets an error with code KILLED.
func (m *Manager) Kill(_ context.Context, callerID string, callerRole systable.Role, liveID string) error {
	s := m.queries.get(liveID)
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
		s.conn.push(item{sub: s, msg: why, always: true}, nil)
	}
}

// endDropped ends the subscriptions whose table was dropped (or dropped
// and created again, or restored: catalog.Table.SameTable): no change
// will ever reach them.
func (m *Manager) endDropped() {
	snap := m.cat.Snapshot()
	var gone []*subscription
	for _, s := range m.queries.all() {
		if s.table == nil {
			continue // a system table: never dropped
		}
		t, ok := snap.Table(s.table.Meta.NamespaceID, s.table.Meta.TableName)
		if !ok || !s.table.SameTable(t) {
			gone = append(gone, s)
		}
	}
	for _, s := range gone {
		m.end(s, NewError(s.id, apierror.SubscriptionFailed, "table %s.%s was dropped", s.table.Meta.NamespaceID, s.table.Meta.TableName))
	}
}

// AccountChanged ends the connections of userID ("": of every user) whose
// account was dropped, or whose role or password changed, since they
// signed in (executor.LiveQueries): ALTER USER and DROP USER call it after
// their catalog change and before they answer. Once it returns those
// connections are closed, so nothing committed afterwards is delivered to
// them and they take no new subscription (a sign-in that checked the old
// account and connects later is refused by Connect). The first-run set-up
// calls it for root. The once-a-second sweep (Options.CheckInterval)
// stays as a backstop for an account changed by a path that does not call
// it; a RESTORE changes no existing account.
func (m *Manager) AccountChanged(userID string) { m.endChangedAccounts(userID) }

// endIdleLoading ends the subscriptions that have waited longer than
// LoadingIdleTimeout for the client's next_batch, or stayed loading
// longer than LoadingMaxDuration in all, releasing their snapshots. One
// whose next_batch is being served (loadMu held) is left for the next
// check.
func (m *Manager) endIdleLoading() {
	limit, most := m.opts.LoadingIdleTimeout, m.opts.LoadingMaxDuration
	now := m.opts.Now()
	var idle, long []*subscription
	for _, s := range m.queries.all() {
		since, started := s.idleSince.Load(), s.loadingSince.Load()
		idleOver := since != 0 && now.Sub(time.Unix(0, since)) >= limit
		longOver := started != 0 && now.Sub(time.Unix(0, started)) >= most
		if !idleOver && !longOver || !s.loadMu.TryLock() {
			continue
		}
		switch {
		case !s.loading():
		case longOver:
			long = append(long, s)
		case s.idleSince.Load() == since:
			idle = append(idle, s)
		}
		s.loadMu.Unlock()
	}
	for _, s := range idle {
		m.end(s, NewError(s.id, apierror.SubscriptionFailed,
			"the initial data was left loading: no next_batch within %s (loading_idle_timeout); subscribe again (from_seq_id resumes)", limit))
	}
	for _, s := range long {
		m.end(s, NewError(s.id, apierror.SubscriptionFailed,
			"the initial data was still loading %s after subscribing (loading_max_duration); subscribe again (from_seq_id resumes) and ask for larger batches", most))
	}
}

// endChangedAccounts closes the connections of users (of only, when not
// "") who were dropped, or whose role or password changed since they
// authenticated: a socket must not outlive the credentials and
// permissions it was opened with (the subscriptions were authorised for
// the old role). The client signs in again.
func (m *Manager) endChangedAccounts(only string) {
	m.mu.Lock()
	// The catalog is read under m.mu, as connect reads it: a connection
	// opened while this sweep waited for the lock was checked against an
	// account at least as new as this snapshot, so an older snapshot
	// would judge a current sign-in changed.
	snap := m.cat.Snapshot()
	var gone []*Conn
	for _, c := range m.conns {
		if c.account == nil || (only != "" && c.userID != only) {
			continue
		}
		u, ok := snap.User(c.userID)
		if !ok || !c.account.current(u) {
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
	m.router.idx.remove(s)
	if s.snap != nil {
		_ = s.snap.Close()
		s.snap = nil
	}
	s.loadMu.Unlock()
	c := s.conn
	c.releasePending(s)
	c.mu.Lock()
	if c.subs[s.id] == s {
		delete(c.subs, s.id)
	}
	c.mu.Unlock()
	m.queries.remove(s)
	m.releaseUser(c.userID)
	s.held.Release()
	return true
}

// Router is the change router the manager registers subscriptions with
// (the transactions' change sink).
func (m *Manager) Router() *Router { return m.router }

// Subscriptions is the number of live subscriptions (for metrics).
func (m *Manager) Subscriptions() int { return m.queries.Count() }
