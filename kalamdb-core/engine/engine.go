package engine

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// ErrTooManyRows is the cause of the error of a query that returns more
// rows than its QueryRequest.MaxRows.
var ErrTooManyRows = errors.New("engine: too many rows")

// sqlMode is the engine's sql_mode for every session. ANSI_QUOTES makes
// "x" an identifier as in KalamDB's PostgreSQL-like SQL; the strict modes
// make a bad value an error instead of a warning and a silent zero.
const sqlMode = "ANSI_QUOTES,STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,ONLY_FULL_GROUP_BY,NO_ENGINE_SUBSTITUTION"

// Options configure an Engine.
type Options struct {
	// DisableFastPath sends every statement through the engine's planner;
	// tests use it to check that the fast path gives the same answers.
	DisableFastPath bool
	// Limits bound the time and memory of every statement.
	Limits Limits
	// PlanCache bounds the cache of translated statements and fast-path
	// plans (see plancache.go).
	PlanCache PlanCacheOptions
	// RowCacheBytes bounds the cache of row versions that reads through
	// secondary indexes fetched (see rowcache.go; 0:
	// DefaultRowCacheBytes, negative: no cache).
	RowCacheBytes int64
}

// Deps are the parts of the database the engine works with.
type Deps struct {
	// DB is the store statements read (at a snapshot per statement).
	DB      *kv.DB
	Catalog *catalog.Catalog
	Tables  *tables.Registry
	// Tier serves the cold side of reads.
	Tier *tier.Manager
	// Txns begins the transaction of every autocommit statement.
	Txns *txn.Manager
	// Seq issues _seq and SNOWFLAKE_ID(); the transactions' lease keeps
	// it above every committed one.
	Seq *ids.Snowflake
	// SystemTables are the system tables besides the catalog's (jobs,
	// manifests, live queries).
	SystemTables []systable.SQLTable
	// Subscribers tells whether a STREAM partition has subscribers (nil:
	// it never has; EPHEMERAL events are then always dropped).
	Subscribers SubscriberCounter
	// Memory is the server's memory account, which every statement's
	// holdings and result rows are reserved from (nil: no server-wide
	// bound, only each statement's).
	Memory *memory.Account
}

// Engine runs standard SQL against KalamDB tables through go-mysql-server.
type Engine struct {
	opts        Options
	limits      Limits
	db          *kv.DB
	cat         *catalog.Catalog
	tables      *tables.Registry
	tier        *tier.Manager
	txns        *txn.Manager
	gms         *sqle.Engine
	provider    *Provider
	seq         *ids.Snowflake
	uuids       *ids.UUIDv7Generator
	ulids       *ids.ULIDGenerator
	system      []systable.SQLTable
	subscribers SubscriberCounter
	// noFastPath disables fastPath (Options.DisableFastPath).
	noFastPath bool
	fastHits   atomic.Int64
	// indexRows counts the rows secondary index scans fetched.
	indexRows atomic.Int64
	// orderFallbacks counts the top-N reads that switched to their
	// fallback index (indexfallback.go).
	orderFallbacks atomic.Int64
	// plans caches statements by text (nil: off).
	plans *planCache
	// rows caches row versions for index reads (nil: off).
	rows *rowCache
	// memory is the server's memory account (nil: none).
	memory *memory.Account
	// hotRowsRead counts the committed hot versions range scans read.
	hotRowsRead atomic.Int64
	// groupScans counts the GROUP BYs computed from storage.
	groupScans atomic.Int64

	sessions sync.Pool
	nextConn atomic.Uint32
	// indexBatches recycle index reads' batch buffers (*indexBatch).
	indexBatches sync.Pool
	// resultArenas recycle released results' rows (*resultArena).
	resultArenas sync.Pool
}

// noSubscribers is the SubscriberCounter of a database without live
// queries.
type noSubscribers struct{}

func (noSubscribers) HasSubscribers(*catalog.Table, string) bool { return false }

// New builds an Engine.
func New(d Deps, o Options) (*Engine, error) {
	if d.DB == nil || d.Catalog == nil || d.Tables == nil || d.Tier == nil || d.Txns == nil || d.Seq == nil {
		return nil, errors.New("engine: Deps.DB, Catalog, Tables, Tier, Txns and Seq are required")
	}
	e := &Engine{db: d.DB, cat: d.Catalog, tables: d.Tables, tier: d.Tier, txns: d.Txns, opts: o, limits: o.Limits.withDefaults(),
		seq: d.Seq, uuids: ids.NewUUIDv7Generator(nil, rand.Reader), ulids: ids.NewULIDGenerator(nil, rand.Reader),
		noFastPath: o.DisableFastPath, system: append(d.Catalog.SystemTables(), d.SystemTables...), subscribers: d.Subscribers,
		plans: newPlanCache(o.PlanCache), rows: newRowCache(o.RowCacheBytes), memory: d.Memory}
	if e.subscribers == nil {
		e.subscribers = noSubscribers{}
	}
	e.provider = &Provider{cat: d.Catalog, tables: newTableFactory(e), noDatabase: sql.ErrDatabaseNotFound.New("")}
	e.provider.system = &systemDatabase{tables: e.system}
	var err error
	if e.provider.funcs, err = newFunctionSet(d.Seq, e.uuids, e.ulids); err != nil {
		return nil, err
	}
	e.gms = newGMS(newAnalyzer(e.provider))
	// The engine's catalog answers "information_schema" itself, before
	// asking the provider: its own is MySQL's.
	e.provider.info, e.provider.pgCatalog = newInfoSchema(e.provider), newPGCatalog(e.provider)
	e.gms.Analyzer.Catalog.InfoSchema = e.provider.info
	return e, nil
}

// gmsConstruction serialises the construction of go-mysql-server engines
// in the process. sqle.New (re)initialises that library's status
// variables, a package-level global (variables.InitStatusVariables: it
// sets sql.StatusVariables, then resets every value, some of them plain
// fields, without synchronisation), so two engines built at the same
// time, by an application opening two databases at once or by tests in
// parallel, race on it. The global belongs to the library, not to any
// Engine, which is why this lock is package-level: it is the one mutable
// package-level state here. After construction the library only counts
// statements in it (Questions, Com_select, Threads_running...), with
// atomic additions, which need no lock; a later construction resets
// those counters to zero, which nothing of KalamDB reads.
var gmsConstruction sync.Mutex

// newGMS builds the go-mysql-server engine of a, one construction at a
// time in the process (gmsConstruction).
func newGMS(a *analyzer.Analyzer) *sqle.Engine {
	gmsConstruction.Lock()
	defer gmsConstruction.Unlock()
	return sqle.New(a, &sqle.Config{})
}

// Close releases the engine's resources.
func (e *Engine) Close() error {
	// The engine's background threads report the cancellation that stops
	// them as an error; that is the expected outcome, not a failure.
	if err := e.gms.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("engine: close: %w", err)
	}
	return nil
}

// FastPathStatements counts the statements that ran on the fast path.
func (e *Engine) FastPathStatements() int64 { return e.fastHits.Load() }

// IndexRowsFetched counts the rows secondary index scans have fetched, to
// observe that a top-N stops after its rows (tests, metrics).
func (e *Engine) IndexRowsFetched() int64 { return e.indexRows.Load() }

// OrderIndexFallbacks counts the top-N reads through the index in their
// sort's order that ran out of their budget and switched to the index
// binding the WHERE's other conditions (tests, metrics).
func (e *Engine) OrderIndexFallbacks() int64 { return e.orderFallbacks.Load() }

// GroupScans counts the GROUP BYs (and aggregates without one) computed
// straight from a table's storage instead of by the engine's operator.
func (e *Engine) GroupScans() int64 { return e.groupScans.Load() }

// HotRowsRead counts the committed hot row versions that range scans have
// read, whether or not a statement used them: a scan that stops early
// (LIMIT) reads only the rows it needs, in either direction.
func (e *Engine) HotRowsRead() int64 { return e.hotRowsRead.Load() }

// ForgetTable drops anything cached for a dropped table.
func (e *Engine) ForgetTable(t *catalog.Table) {
	e.provider.tables.forget(t)
	e.plans.forgetTable(t)
}

// QueryRequest is one standard SQL statement to run.
type QueryRequest struct {
	UserID string
	// Committer is the user whose request commits an autocommit
	// statement: the caller of EXECUTE AS, not its target (UserID when
	// empty). Only the committer's own subscribers have a change sent on
	// the statement's goroutine (txn.Tx.SetCommitter).
	Committer string
	Role      systable.Role
	Namespace string
	Statement *dialect.StandardSQL
	Params    []any
	// Tx is the open transaction of the batch, or nil for autocommit.
	Tx *txn.Tx
	// MaxRows bounds the rows a query may return.
	MaxRows int
	// MaxBytes bounds the size of the rows a query may return, as
	// encoded for the wire (0: no bound).
	MaxBytes int64
	// Snapshot, when set, is the snapshot the statement reads (it stays
	// open after the statement); otherwise the statement takes its own.
	Snapshot *kv.Snapshot
	// SnapshotCatalog is the catalog as it was just before Snapshot was
	// taken (tier.PinnedSnapshot.Catalog): a secondary index that was
	// not ready in it may lack entries of the snapshot's rows, so the
	// statement does not read it (Session.usableIndex). Nil: every
	// index the statement plans with is taken as ready before Snapshot,
	// which only a caller that knows it may say.
	SnapshotCatalog *catalog.Snapshot
	// OnRow, when set, is handed each result row (wire-encoded values)
	// with its size as MaxBytes counts it, and the result keeps no rows:
	// for a caller that bounds what it keeps itself (a live query's
	// initial data keeps the first rows by _seq, up to a byte budget).
	// MaxRows and MaxBytes do not apply; an error from OnRow ends the
	// statement with it.
	OnRow func(row []any, size int64) error
	// Memory, when set, is the reservation of the request that will
	// answer the result: its rows are reserved there as they are read and
	// stay reserved until the request gives them back, after its answer
	// is written. Otherwise they are the statement's, given back when it
	// ends.
	Memory *memory.Charge
}

// ResultColumn is one column of a query result.
type ResultColumn struct {
	Name     string
	WireType string
}

// QueryResult is the outcome of a standard SQL statement.
type QueryResult struct {
	ReturnsRows  bool
	Columns      []ResultColumn
	Rows         [][]any // wire-encoded values
	RowsAffected int64
	// Bytes is about the size of Rows encoded for the wire.
	Bytes int64
	// arena holds Rows and their values when they go back to the engine
	// at Release (nil: they are the garbage collector's).
	arena *resultArena
}

// newContext creates the engine context for one statement, with a session
// from the pool. Building an engine session copies every MySQL system and
// status variable (a tenth of a point lookup's CPU), so sessions are
// recycled; nothing a statement can do survives in one (the dialect refuses
// variables and SET, named locks are disabled) beyond what acquireSession
// resets.
func (e *Engine) newContext(ctx context.Context, userID string, role systable.Role, namespace string, tx *txn.Tx) (*sql.Context, func(), error) {
	return e.newContextIn(ctx, userID, role, namespace, tx, nil)
}

// newContextIn is newContext of a statement whose caller knows the memory
// account it reserves from (its request's, when the user is the same).
func (e *Engine) newContextIn(ctx context.Context, userID string, role systable.Role, namespace string, tx *txn.Tx,
	acct *memory.Account) (*sql.Context, func(), error) {
	sess, err := e.acquireSession(userID, role, namespace, tx, acct)
	if err != nil {
		return nil, nil, err
	}
	if sess.caches == nil || sess.caches.NumCaches() != 0 {
		// A cache an operator did not dispose of goes with the manager
		// that holds it, as it went with the context before managers
		// were kept.
		sess.caches = sql.NewMemoryManager(sql.ProcessMemory)
	}
	sctx := sql.NewContext(ctx, sql.WithSession(sess), sql.WithMemoryManager(sess.caches))
	return sctx, func() { e.releaseSession(sess) }, nil
}

func (e *Engine) acquireSession(userID string, role systable.Role, namespace string, tx *txn.Tx, acct *memory.Account) (*Session, error) {
	sess, _ := e.sessions.Get().(*Session)
	if sess == nil {
		base := sql.NewBaseSessionWithClientServer("kalamdb", sql.Client{Address: "localhost"}, e.nextConn.Add(1))
		sess = &Session{BaseSession: base, db: e.db, cat: e.cat}
		sctx := sql.NewContext(context.Background(), sql.WithSession(sess))
		if err := sess.SetSessionVariable(sctx, "sql_mode", sqlMode); err != nil {
			return nil, fmt.Errorf("engine: set sql_mode: %w", err)
		}
		// go-mysql-server's merge join takes an input for sorted by the
		// join key when a Sort and a LIMIT on other columns sit above its
		// scan: id IN (SELECT id ... ORDER BY c DESC LIMIT 3) lost rows.
		// Hash and lookup joins answer every join it planned as a merge.
		if err := sess.SetSessionVariable(sctx, sql.DisableMergeJoin, int8(1)); err != nil {
			return nil, fmt.Errorf("engine: set %s: %w", sql.DisableMergeJoin, err)
		}
	}
	// CLIENT_FOUND_ROWS: an UPDATE counts the rows it matched, as
	// PostgreSQL does, not only those whose values changed.
	sess.SetClient(sql.Client{User: userID, Address: "localhost", Capabilities: mysql.CapabilityClientFoundRows})
	if sess.GetCurrentDatabase() != namespace {
		// Setting it also gives the session's logger a field, which
		// copies the logger's fields: not per statement of the same
		// namespace.
		sess.SetCurrentDatabase(namespace)
	}
	sess.ClearWarnings()
	for _, k := range []string{sql.RowCount, sql.FoundRows, sql.LastInsertId} {
		sess.SetLastQueryInfoInt(k, 0)
	}
	sess.SetLastQueryInfoString(sql.LastInsertUuid, "")
	sess.UserID, sess.Role, sess.tx = userID, role, tx
	if tx != nil {
		// The statement reads what the transaction wrote before it, not
		// what it writes itself.
		tx.BeginStatement()
	}
	sess.showDeleted, sess.fatal, sess.noIndexes, sess.onRow = false, nil, false, nil
	sess.returning, sess.deleting = false, false
	sess.budget.reset(&e.limits, e.memory.ForKnown(userID, acct))
	if tx != nil {
		// A statement inside BEGIN holds what its transaction has written.
		n := tx.Size()
		sess.budget.used.Store(n)
		if !sess.budget.server.Reserve(n) {
			err := sess.budget.server.Refusal()
			e.releaseSession(sess)
			return nil, err
		}
	}
	sess.joinCost, sess.joinTables = 0, 0
	return sess, nil
}

func (e *Engine) releaseSession(s *Session) {
	s.endStatement()
	s.budget.server.Release()
	s.budget.request.Give(s.budget.resultAhead)
	s.budget.request, s.budget.resultAhead = nil, 0
	s.tx, s.UserID, s.Role, s.onRow = nil, "", "", nil
	e.sessions.Put(s)
}

// Query runs one SELECT/INSERT/UPDATE/DELETE. Outside a transaction its
// writes commit atomically when it succeeds and are discarded when it fails.
// It runs under the time limit of req.Role (and any shorter deadline of
// ctx): past it, the statement stops wherever it is and fails with
// QUERY_TIMEOUT; cancelling ctx stops it the same way.
func (e *Engine) Query(ctx context.Context, req QueryRequest) (res *QueryResult, err error) {
	ctx, cancel := WithTimeout(ctx, e.limits.Timeout.For(req.Role))
	defer cancel()
	defer func() {
		// Whatever a stopped statement failed with (an iterator's context
		// error, a cold read cut short), it failed because it was stopped.
		if err != nil {
			if cerr, stopped := StoppedError(ctx); stopped {
				res, err = nil, cerr
			}
		}
	}()
	tx := req.Tx
	autocommit := tx == nil
	if autocommit {
		tx = e.txns.Begin()
		tx.SetCommitter(cmp.Or(req.Committer, req.UserID))
		defer func() {
			if err != nil {
				tx.Rollback()
			}
		}()
	}
	defer func() {
		// The engine can panic on inputs it does not expect; a panic must
		// end this statement, not the server.
		if r := recover(); r != nil {
			res, err = nil, panicError(r)
		}
	}()
	sctx, release, err := e.newContextIn(ctx, req.UserID, req.Role, req.Namespace, tx, req.Memory.Account())
	if err != nil {
		return nil, err
	}
	defer release()
	cs, err := e.statement(req.Statement, req.Namespace)
	if err != nil {
		return nil, err
	}
	st := cs.st
	if st.Params != len(req.Params) {
		given := apierror.Count(len(req.Params), "value") + " were given"
		if len(req.Params) == 1 {
			given = "1 value was given"
		}
		return nil, apierror.New(apierror.InvalidParameter, "statement has %s but %s", apierror.Count(st.Params, "parameter"), given)
	}
	text := cs.key.text
	if err := refuseCatalogWrite(e.cat.Snapshot(), st.AST); err != nil {
		return nil, err
	}
	ast, err := e.expandViews(req.Statement, st, req.Role, req.Namespace)
	if err != nil {
		return nil, err
	}
	cteErr := cs.cteErr
	if ast != st.AST {
		cteErr = boundStatementShape(ast)
	}
	if cteErr != nil {
		return nil, cteErr
	}
	if ast != st.AST || cs.wideStar {
		// The widths of its tables are the catalog's now, not when the
		// statement was cached.
		if err := boundTargetLists(ast, e.cat.Snapshot(), req.Namespace); err != nil {
			return nil, err
		}
	}
	if ast != st.AST || cs.readsDerived {
		// The widths of its tables are the catalog's now, not when the
		// statement was cached.
		if err := boundDerivedColumns(ast, e.cat.Snapshot(), req.Namespace); err != nil {
			return nil, err
		}
	}
	entriesErr := cs.entriesErr
	if ast != st.AST || cs.wideStar {
		entriesErr = boundStatementEntries(ast, e.cat.Snapshot(), req.Namespace, e.limits.MaxStatementTargetEntries)
	}
	if entriesErr != nil {
		return nil, entriesErr
	}
	tableFunction := cs.tableFunction
	if ast != st.AST {
		tableFunction = hasTableFunction(ast)
	}
	parsed, err := e.checkStatement(sctx, ast, cs.unqualified, tableFunction, req)
	if err != nil {
		return nil, err
	}
	sess := sctx.Session.(*Session)
	parsed, sess.returning, sess.deleting = e.withReturning(parsed, req.Namespace)
	sess.ownTx = autocommit
	sess.budget.request = req.Memory
	sess.showDeleted = cs.showDeleted
	if ast != st.AST {
		// Expanded views may filter on _deleted themselves.
		sess.showDeleted = filtersOnDeleted(parsed)
	}
	sess.onRow = req.OnRow
	if req.Snapshot != nil {
		sess.snap, sess.borrowedSnap = req.Snapshot, true
		// Read after the snapshot was taken, as snapshot() does.
		sess.snapCat, sess.readyCat = sess.cat.Snapshot(), req.SnapshotCatalog
	}
	bindings, err := bindParams(req.Params)
	if err != nil {
		return nil, err
	}
	if err := checkParamRefs(st.Refs, bindings); err != nil {
		return nil, err
	}
	if ex, ok := parsed.(*sqlparser.Explain); ok {
		// The query was checked as if it ran (the checks' walk enters
		// EXPLAIN), and is planned, never run: the statement's
		// transaction has nothing to commit.
		if res, err = e.explain(sctx, ex, text, plannerBindings(sctx, bindings, req.Params), req.MaxBytes); err == nil && autocommit {
			tx.Rollback()
		}
		return res, err
	}
	// The cached fast-path plan is compiled from the statement as written;
	// one whose views were expanded goes to the planner.
	res, err = e.execute(sctx, sess, cs, parsed, ast == st.AST, bindings, req.Params, req.MaxRows, req.MaxBytes)
	if err != nil {
		return nil, err
	}
	if err := sess.fatalError(); err != nil {
		return nil, err
	}
	if autocommit {
		if _, err := tx.Commit(ctx); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// translate parses a standard statement with the PostgreSQL front end,
// within the engine's planning bounds. Errors point into the request the
// statement came from.
func (e *Engine) translate(std *dialect.StandardSQL) (*pgsql.Statement, error) {
	return e.translateText(std, std.Text())
}

// translateText is translate of text, std's text or a copy of it.
func (e *Engine) translateText(std *dialect.StandardSQL, text string) (*pgsql.Statement, error) {
	st, err := pgsql.Translate(text, e.pgLimits())
	if err != nil {
		return nil, std.LocateError(err)
	}
	if st.Kind != std.Kind() {
		// The classification decides permissions before parsing; the two
		// parsers must agree on what the statement does.
		return nil, kindMismatch(std, st)
	}
	return st, nil
}

// pgLimits are the engine's planning bounds for the PostgreSQL front end.
func (e *Engine) pgLimits() pgsql.Limits {
	return pgsql.Limits{MaxExpressionDepth: e.limits.MaxExpressionDepth, MaxStatementComplexity: e.limits.MaxStatementComplexity}
}

// execute runs a parsed statement on the fast path when it qualifies (and
// fast allows it), else through the engine's planner, with bindings, the
// bindings of params, as plannerBindings makes them.
func (e *Engine) execute(sctx *sql.Context, sess *Session, cs *cachedStatement, parsed sqlparser.Statement, fast bool,
	bindings map[string]sqlparser.Expr, params []any, maxRows int, maxBytes int64) (*QueryResult, error) {
	text := cs.key.text
	// A row sink (QueryRequest.OnRow) takes the rows as they come: a
	// kept answer is neither made nor used for it.
	constant := fast && sess.onRow == nil
	if constant {
		if res, ok := e.keptConstant(cs, maxRows, maxBytes); ok {
			e.fastHits.Add(1)
			return res, nil
		}
	}
	if fast {
		if res, ok, err := e.fastPath(sctx, sess, cs, bindings, maxRows, maxBytes); ok {
			e.fastHits.Add(1)
			return res, translateError(err)
		}
	}
	if len(bindings) > 0 {
		// With bind values the engine plans from its prepared-statement
		// cache, re-parsing the text when it finds nothing there: cache our
		// AST (one parse, and our changes to it, such as the column list
		// filled into an INSERT), and drop it again so the cache does not
		// grow with every statement.
		id := sess.ID()
		e.gms.PreparedDataCache.CacheStmt(id, text, parsed)
		defer e.gms.PreparedDataCache.UncacheStmt(id, text)
	}
	sch, iter, _, err := e.gms.QueryWithBindings(sctx, text, parsed, plannerBindings(sctx, bindings, params), nil)
	// Planning is over (shortPathIndexes charges a short path's to its
	// end): rows are evaluated uncharged.
	sess.budget.folding.Store(0)
	if err != nil {
		if sess.deleting && returningJoinError(err) {
			// A DELETE ... RETURNING runs as an UPDATE, which the engine
			// joins where a DELETE would not have needed it.
			return nil, errReturningJoin
		}
		return nil, e.statementError(err, parsed, sctx.GetCurrentDatabase())
	}
	res, err := e.drain(sctx, sch, iter, maxRows, maxBytes)
	if err != nil {
		return nil, translateError(err)
	}
	if constant && sess.fatalError() == nil {
		e.keepConstant(cs, res)
	}
	return res, nil
}

// drain reads every row of a result and encodes it for the wire, up to
// maxRows rows and maxBytes bytes (0: no bound) of encoded values.
func (e *Engine) drain(sctx *sql.Context, sch sql.Schema, iter sql.RowIter, maxRows int, maxBytes int64) (*QueryResult, error) {
	defer iter.Close(sctx)
	if types.IsOkResultSchema(sch) {
		var affected int64
		for {
			r, err := iter.Next(sctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			if ok, isOK := r[0].(types.OkResult); isOK {
				affected += int64(ok.RowsAffected)
			}
		}
		return &QueryResult{RowsAffected: affected}, nil
	}
	w := e.newResultWriter(sctx, sch, maxRows, maxBytes)
	if err := w.countNames(); err != nil {
		return nil, err
	}
	for {
		r, err := iter.Next(sctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := w.add(r); err != nil {
			return nil, err
		}
	}
	return w.res, nil
}

// resultWriter encodes the rows of a result for the wire, the same way
// for the planner's results and the fast path's: each column's wire type
// from the result schema (columnType), its values by wireEncoder, within
// the statement's row and byte bounds.
type resultWriter struct {
	res      *QueryResult
	encode   []func(any) any
	maxRows  int
	maxBytes int64
	// onRow takes the rows instead of res (QueryRequest.OnRow).
	onRow func(row []any, size int64) error
	// charge is the server memory the kept rows are reserved under, and
	// budget.resultAhead what is reserved there and not yet used (given
	// back when the statement ends). The first row is reserved as it is,
	// later ones in steps of resultReserveStep: a one-row result reserves
	// what it holds, and a longer one touches the shared account once per
	// step, not once per row.
	charge   *memory.Charge
	budget   *memoryBudget
	reserved bool
}

// resultReserveStep is the least a result reserves at a time after its
// first row.
const resultReserveStep = 16 << 10

// newResultWriter encodes a statement's rows for the wire, or hands them
// to the session's row sink (QueryRequest.OnRow) when it has one.
func (e *Engine) newResultWriter(sctx *sql.Context, sch sql.Schema, maxRows int, maxBytes int64) *resultWriter {
	return newResultWriterFor(sctx, e.layoutOf(sch), maxRows, maxBytes)
}

// resultLayout is how the columns of a result are described and encoded;
// the fast path works it out once per plan.
type resultLayout struct {
	cols   []ResultColumn
	encode []func(any) any
}

func (e *Engine) layoutOf(sch sql.Schema) *resultLayout {
	l := &resultLayout{cols: make([]ResultColumn, len(sch)), encode: make([]func(any) any, len(sch))}
	for i, c := range sch {
		dt, stored := e.columnType(c)
		l.cols[i] = ResultColumn{Name: c.Name, WireType: schema.WireName(dt)}
		l.encode[i] = wireEncoder(dt, stored)
	}
	return l
}

// newResultWriterFor is newResultWriter of a layout worked out before.
func newResultWriterFor(sctx *sql.Context, l *resultLayout, maxRows int, maxBytes int64) *resultWriter {
	sess := sctx.Session.(*Session)
	return &resultWriter{res: &QueryResult{ReturnsRows: true, Columns: append([]ResultColumn(nil), l.cols...)},
		encode: l.encode, maxRows: maxRows, maxBytes: maxBytes, onRow: sess.onRow, charge: sess.budget.resultCharge(), budget: &sess.budget}
}

// countNames counts the result's column names and types as its first
// bytes. A name is its expression's text, and one name may stand for
// many columns (`x.*` repeated): uncounted, 200 kB of SQL answered 160 MB
// past max_result_bytes, written after the statement's time limit.
func (w *resultWriter) countNames() error {
	if w.onRow != nil {
		return nil
	}
	for _, c := range w.res.Columns {
		w.res.Bytes += int64(len(c.Name) + len(c.WireType))
	}
	if w.maxBytes > 0 && w.res.Bytes > w.maxBytes {
		return ResultTooLarge(w.maxBytes)
	}
	return nil
}

// add encodes one row; it fails once the result passes a bound.
func (w *resultWriter) add(r sql.Row) error {
	return w.encodeInto(r, make([]any, len(r)))
}

// addOwned is add of a row nothing else holds (a fresh row of a fast
// path's iterator), encoded in place instead of into a copy.
func (w *resultWriter) addOwned(r sql.Row) error {
	if len(r) != len(w.encode) {
		return w.add(r)
	}
	return w.encodeInto(r, r)
}

// encodeInto encodes the values of r into out (len(r) entries, which may
// be r itself).
func (w *resultWriter) encodeInto(r sql.Row, out []any) error {
	if w.onRow == nil && len(w.res.Rows) >= w.maxRows {
		return apierror.Wrap(apierror.SQLExecutionError, ErrTooManyRows,
			fmt.Sprintf("query returns more than %d rows; add a LIMIT or a narrower WHERE", w.maxRows))
	}
	var size int64
	for i, v := range r {
		if i < len(w.encode) {
			out[i] = w.encode[i](v)
			size += wireSize(out[i])
		}
	}
	w.res.Bytes += size
	if w.onRow != nil {
		return w.onRow(out, size)
	}
	if w.maxBytes > 0 && w.res.Bytes > w.maxBytes {
		return ResultTooLarge(w.maxBytes)
	}
	if ahead := w.budget.resultAhead; size > ahead {
		n := size - ahead
		if w.reserved {
			n = max(n, resultReserveStep)
		}
		if !w.charge.Reserve(n) {
			return w.charge.Refusal()
		}
		w.budget.resultAhead += n
		w.reserved = true
	}
	w.budget.resultAhead -= size
	w.res.Rows = append(w.res.Rows, out)
	return nil
}

// columnType is the data-model type of a result column: the declared
// type when the column comes straight from a KalamDB table (so UUID and
// DATETIME keep their names), else the model type of the engine type; and
// whether the type is a stored column's.
func (e *Engine) columnType(c *sql.Column) (dialect.DataType, bool) {
	if c.Source != "" && c.DatabaseSource != "" {
		if t, ok := e.cat.Snapshot().Table(strings.ToLower(c.DatabaseSource), strings.ToLower(c.Source)); ok {
			if col, ok := t.Column(strings.ToLower(c.Name)); ok && schema.MustEngineType(col.Type).Equals(c.Type) {
				return col.Type, true
			}
		}
	}
	return schema.TypeOfEngine(c.Type), false
}
