package executor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// slowParallel marks one of the package's slowest tests parallel: go test
// runs the parallel tests after the sequential ones, two at a time on two
// cores, so the package's run ends sooner than if the slowest ran one
// after the other on one core. A test marked so opens its own env and
// shares nothing else with the test beside it: it sets no environment
// variable, reads no process-wide counter (runtime.MemStats, allocatedBy,
// goroutine counts), changes no runtime setting (GOMAXPROCS, the GC
// percent), listens on no fixed port, and its statements that must answer
// have a time limit of minutes, not the 30 s default, when the other test
// could slow them that far. A test that needs any of these stays
// sequential.
func slowParallel(t *testing.T) {
	t.Helper()
	t.Parallel()
}

// env is a database core on a temp dir, driven like a front end would.
type env struct {
	t   *testing.T
	dir string
	// slow disables the engine's fast path and its plan cache: every
	// statement is parsed and planned, the reference the fast path and
	// the cache are compared with.
	slow bool
	// faults, when set, injects storage failures.
	faults *cold.Faults
	// failpoint, when set, is called at the engine's crash points.
	failpoint func(string)
	// roots are allowed storage roots besides dir/storages.
	roots []string
	// limits and statementLimits, when set, replace the defaults.
	limits          executor.Limits
	statementLimits engine.Limits
	// planCache, when set, bounds the plan cache (slow turns it off).
	planCache engine.PlanCacheOptions
	// rowCacheBytes, when set, bounds the row version cache (negative:
	// off).
	rowCacheBytes int64
	// obsoleteGrace, when set, is how long compacted files stay.
	obsoleteGrace time.Duration
	// memory, when set, is the server's memory account.
	memory *memory.Account
	// systemPartitionsKept, when set, is told of the partitions of system
	// users a flush or compaction left out of a storage.
	systemPartitionsKept func(job, table, storage string, partitions int)
	kv                   *kv.DB
	db                   *database.Database
	// changes records every committed change.
	changes *recordingSink
}

func newEnv(t *testing.T) *env { return newEnvWith(t, false) }

func newEnvWith(t *testing.T, slow bool) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), slow: slow, changes: &recordingSink{}}
	e.open()
	t.Cleanup(e.close)
	return e
}

func (e *env) open() {
	e.t.Helper()
	// The server's layout: RocksDB and the local storage side by side in
	// the data directory, other storages under its storages root.
	var changes txn.Sink
	if e.changes != nil {
		changes = e.changes
	}
	store, err := kv.Open(e.dir+"/rocksdb", kv.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	db, err := database.Open(store, database.Config{BcryptCost: bcrypt.MinCost, StorageDir: e.dir + "/storage", DisableFastPath: e.slow, PlanCache: e.planCacheOptions(), RowCacheBytes: e.rowCacheBytes,
		StorageFaults: e.faults, Failpoint: e.failpoint, DataDir: e.dir, StorageRoots: append([]string{e.dir + "/storages"}, e.roots...),
		Limits: e.limits, StatementLimits: e.statementLimits, Changes: changes, ObsoleteFileGrace: e.obsoleteGrace, Memory: e.memory,
		OnSystemPartitionsKept: e.systemPartitionsKept})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := db.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.kv, e.db = store, db
}

func (e *env) planCacheOptions() engine.PlanCacheOptions {
	if e.slow {
		return engine.PlanCacheOptions{Entries: -1}
	}
	return e.planCache
}

func (e *env) close() {
	if e.db != nil {
		e.db.Close()
		e.kv.Close()
		e.db, e.kv = nil, nil
	}
}

// reopen simulates a restart.
func (e *env) reopen() {
	e.close()
	e.open()
}

type caller struct {
	e    *env
	user string
	role systable.Role
	ns   string
}

func (e *env) as(user string, role systable.Role) *caller {
	return &caller{e: e, user: user, role: role}
}
func (e *env) root() *caller { return e.as("root", systable.RoleSystem) }

// user is a caller acting as the existing user called name, with the id
// and role the catalog has for it: user ids are generated, not the name.
func (e *env) user(name string) *caller {
	e.t.Helper()
	u, ok := e.db.Catalog.UserByName(name)
	if !ok {
		e.t.Fatalf("no user %s", name)
	}
	return &caller{e: e, user: u.UserID, role: u.Role}
}

func (c *caller) exec(sqlText string, params ...any) ([]executor.Result, error) {
	return c.e.db.Executor.Execute(context.Background(), executor.Request{
		UserID: c.user, Role: c.role, SQL: sqlText, Params: params, Namespace: c.ns})
}

// must runs SQL that must succeed and returns its results.
func (c *caller) must(sqlText string, params ...any) []executor.Result {
	c.e.t.Helper()
	res, err := c.exec(sqlText, params...)
	if err != nil {
		c.e.t.Fatalf("%s: %v", sqlText, err)
	}
	return res
}

// fails runs SQL that must fail with code.
func (c *caller) fails(code apierror.Code, sqlText string, params ...any) *apierror.Error {
	c.e.t.Helper()
	_, err := c.exec(sqlText, params...)
	if err == nil {
		c.e.t.Fatalf("%.200s: succeeded, want %s", sqlText, code)
	}
	ae, ok := apierror.As(err)
	if !ok || ae.Code != code {
		c.e.t.Fatalf("%.200s: got %v, want %s", sqlText, err, code)
	}
	return ae
}

// rows runs one query and returns its rows as JSON text for compact asserts.
func (c *caller) rows(sqlText string, params ...any) string {
	c.e.t.Helper()
	return c.rowsOf(sqlText, c.must(sqlText, params...))
}

// rowsOf is the rows of res, the results of one query, as rows gives them.
func (c *caller) rowsOf(sqlText string, res []executor.Result) string {
	c.e.t.Helper()
	if len(res) != 1 {
		c.e.t.Fatalf("%s: %d results", sqlText, len(res))
	}
	raw, err := json.Marshal(res[0].Rows)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return string(raw)
}

func mustStandard(t *testing.T, text string) *dialect.StandardSQL {
	t.Helper()
	st, err := dialect.ParseOne(text)
	if err != nil {
		t.Fatal(err)
	}
	return st.(*dialect.StandardSQL)
}

// executorRequest is c's request for sqlText from clientAddr.
func executorRequest(c *caller, sqlText, clientAddr string) executor.Request {
	return executor.Request{UserID: c.user, Role: c.role, SQL: sqlText, Namespace: c.ns, ClientAddr: clientAddr}
}

// newEnvWithLimits is newEnv with request and statement limits.
func newEnvWithLimits(t *testing.T, l executor.Limits, sl engine.Limits) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), limits: l, statementLimits: sl, changes: &recordingSink{}}
	e.open()
	t.Cleanup(e.close)
	return e
}

// newEnvAliceLimited is an env whose users' statements have one second
// (every other role an hour), with root and the plain user alice: the
// set-up of the tests that prove a hostile statement stops at its time
// limit while the rows it needs are written without one.
func newEnvAliceLimited(t *testing.T) (e *env, root, alice *caller) {
	t.Helper()
	e = newEnvWithLimits(t, executor.Limits{}, engine.Limits{Timeout: engine.Timeouts{Default: time.Hour, User: time.Second}})
	root = e.root()
	root.must(`CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user`)
	return e, root, e.as("alice", systable.RoleUser)
}

// recordingSink records committed changes (database.Config.Changes).
type recordingSink struct {
	mu      sync.Mutex
	changes []txn.Change
}

func (r *recordingSink) Publish(cs []txn.Change, _ *txn.Wakes) {
	r.mu.Lock()
	r.changes = append(r.changes, cs...)
	r.mu.Unlock()
}

func (r *recordingSink) summary() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.changes {
		out = append(out, fmt.Sprintf("%s %s %v->%v", c.UserID, c.Type, c.Old, c.New))
	}
	return out
}

func (r *recordingSink) reset() {
	r.mu.Lock()
	r.changes = nil
	r.mu.Unlock()
}
