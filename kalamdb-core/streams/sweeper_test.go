package streams_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/streams"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

type env struct {
	t  testing.TB
	kv *kv.DB
	db *database.Database
}

func newEnv(t testing.TB) *env {
	dir := t.TempDir()
	store, err := kv.Open(dir, kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := database.Open(store, database.Config{BcryptCost: bcrypt.MinCost, StorageDir: dir + "/storage"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		store.Close()
	})
	return &env{t: t, kv: store, db: db}
}

func (e *env) sql(sqlText string) string {
	e.t.Helper()
	return e.as("root", systable.RoleSystem, sqlText)
}

// as runs SQL as a user and returns the last result's rows as JSON.
func (e *env) as(user string, role systable.Role, sqlText string) string {
	e.t.Helper()
	res, err := e.db.Executor.Execute(context.Background(), executor.Request{UserID: user, Role: role, SQL: sqlText})
	if err != nil {
		e.t.Fatalf("%s: %v", sqlText, err)
	}
	raw, _ := json.Marshal(res[len(res)-1].Rows)
	return string(raw)
}

func (e *env) table(ns, name string) *catalog.Table {
	t, ok := e.db.Catalog.Snapshot().Table(ns, name)
	if !ok {
		e.t.Fatalf("no table %s.%s", ns, name)
	}
	return t
}

// stored counts the events physically present (reads hide expired ones,
// so only the raw family shows what the sweeper removed).
func (e *env) stored(t *catalog.Table) int {
	cf, ok := e.kv.LookupColumnFamily(t.Family)
	if !ok {
		e.t.Fatal("no family")
	}
	it, err := cf.NewIter(kv.IterOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	return n
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestMaxBufferKeepsTheNewest(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE NAMESPACE app; CREATE STREAM TABLE app.events (n INT) WITH (TTL_SECONDS = 3600, MAX_BUFFER = 5);
		CREATE STREAM TABLE app.unbounded (n INT) WITH (TTL_SECONDS = 3600)`)
	for i := 1; i <= 8; i++ {
		e.sql(fmt.Sprintf("INSERT INTO app.events VALUES (%d); INSERT INTO app.unbounded VALUES (1)", i))
	}
	s := streams.New(e.kv, e.db.Catalog, streams.Options{})
	mustSweep(t, s)
	events := e.table("app", "events")
	if got := e.sql("SELECT n FROM app.events ORDER BY _seq"); got != "[[4],[5],[6],[7],[8]]" {
		t.Fatalf("after trim: %s", got)
	}
	if n := e.stored(events); n != 5 {
		t.Fatalf("stored after trim: %d", n)
	}
	if n := e.stored(e.table("app", "unbounded")); n != 8 {
		t.Fatalf("a table without MAX_BUFFER keeps its events: %d", n)
	}
	// Later inserts are counted as the live manager reports them, without
	// another scan.
	e.sql("INSERT INTO app.events VALUES (10), (11), (12)")
	s.Inserted(events, "root", 3)
	mustSweep(t, s)
	if got := e.sql("SELECT n FROM app.events ORDER BY _seq"); got != "[[7],[8],[10],[11],[12]]" {
		t.Fatalf("after second trim: %s", got)
	}
	mustSweep(t, s)
	if n := e.stored(events); n != 5 {
		t.Fatalf("a sweep with nothing to do deletes nothing: %d", n)
	}
}

func TestTTLDeletesExpiredEvents(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE NAMESPACE app; CREATE STREAM TABLE app.typing (who TEXT) WITH (TTL_SECONDS = 60)`)
	e.sql("INSERT INTO app.typing VALUES ('a'), ('b')")
	typing := e.table("app", "typing")
	clk := &clock{now: time.Now()}
	s := streams.New(e.kv, e.db.Catalog, streams.Options{Now: clk.Now})
	mustSweep(t, s)
	if n := e.stored(typing); n != 2 {
		t.Fatalf("unexpired events are kept: %d", n)
	}
	clk.add(61 * time.Second)
	mustSweep(t, s)
	if n := e.stored(typing); n != 0 {
		t.Fatalf("expired events are deleted: %d", n)
	}
	// Events written after the sweep are unaffected.
	e.sql("INSERT INTO app.typing VALUES ('c')")
	if got := e.sql("SELECT who FROM app.typing"); got != `[["c"]]` {
		t.Fatalf("after expiry: %s", got)
	}
}

func TestBackgroundSweepsStop(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE NAMESPACE app; CREATE STREAM TABLE app.events (n INT) WITH (TTL_SECONDS = 3600, MAX_BUFFER = 1)`)
	e.sql("INSERT INTO app.events VALUES (1), (2), (3)")
	errs := make(chan error, 1)
	s := streams.New(e.kv, e.db.Catalog, streams.Options{Interval: time.Millisecond, OnError: func(err error) {
		select {
		case errs <- err:
		default:
		}
	}})
	s.Start()
	events := e.table("app", "events")
	for e.stored(events) != 1 {
		select {
		case err := <-errs:
			t.Fatal(err)
		case <-time.After(time.Millisecond):
		}
	}
	s.Stop()
	s.Stop() // idempotent
	e.sql("DROP STREAM TABLE app.events")
	if err := s.SweepOnce(); err != nil {
		t.Fatalf("a dropped table is not swept: %v", err)
	}
}

// partitionKeys returns the stored keys of one user's partition.
func (e *env) partitionKeys(t *catalog.Table, user string) [][]byte {
	e.t.Helper()
	cf, ok := e.kv.LookupColumnFamily(t.Family)
	if !ok {
		e.t.Fatal("no family")
	}
	it, err := cf.NewIter(kv.PrefixOptions(keyenc.AppendUserPrefix(nil, user)))
	if err != nil {
		e.t.Fatal(err)
	}
	defer it.Close()
	var out [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		out = append(out, append([]byte(nil), it.Key()...))
	}
	return out
}

// TestMaxBufferIsPerPartition: MAX_BUFFER bounds each user's partition, so
// one user's burst never evicts another user's events.
func TestMaxBufferIsPerPartition(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE NAMESPACE app; CREATE STREAM TABLE app.events (n INT) WITH (TTL_SECONDS = 3600, MAX_BUFFER = 3)`)
	alice := func(q string) string { return e.as("alice", systable.RoleUser, q) }
	bob := func(q string) string { return e.as("bob", systable.RoleUser, q) }
	alice("INSERT INTO app.events VALUES (1), (2)")
	for i := 1; i <= 10; i++ {
		bob(fmt.Sprintf("INSERT INTO app.events VALUES (%d)", 100+i))
	}
	s := streams.New(e.kv, e.db.Catalog, streams.Options{})
	mustSweep(t, s)
	if got := alice("SELECT n FROM app.events ORDER BY _seq"); got != "[[1],[2]]" {
		t.Fatalf("alice's events after bob's burst: %s", got)
	}
	if got := bob("SELECT n FROM app.events ORDER BY _seq"); got != "[[108],[109],[110]]" {
		t.Fatalf("bob's partition trimmed to MAX_BUFFER: %s", got)
	}
	// Counted per partition as the live manager reports inserts.
	alice("INSERT INTO app.events VALUES (3), (4)")
	s.Inserted(e.table("app", "events"), "alice", 2)
	mustSweep(t, s)
	if got := alice("SELECT n FROM app.events ORDER BY _seq"); got != "[[2],[3],[4]]" {
		t.Fatalf("alice trimmed: %s", got)
	}
	if got := bob("SELECT n FROM app.events ORDER BY _seq"); got != "[[108],[109],[110]]" {
		t.Fatalf("bob untouched by alice's trim: %s", got)
	}
	if n := e.stored(e.table("app", "events")); n != 6 {
		t.Fatalf("stored events: %d", n)
	}
}

// TestTTLIsPerPartition: expiry deletes each partition's expired events
// and nothing newer, in every partition.
func TestTTLIsPerPartition(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE NAMESPACE app; CREATE STREAM TABLE app.typing (who TEXT) WITH (TTL_SECONDS = 60)`)
	typing := e.table("app", "typing")
	e.as("alice", systable.RoleUser, "INSERT INTO app.typing VALUES ('a1'), ('a2')")
	e.as("bob", systable.RoleUser, "INSERT INTO app.typing VALUES ('b1')")
	// The event times are the writes' wall clock: wait for the next
	// millisecond so the later events are strictly newer.
	newest := func(user string) int64 {
		keys := e.partitionKeys(typing, user)
		_, ms, _, err := keyenc.DecodeStreamKey(keys[len(keys)-1])
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	last := max(newest("alice"), newest("bob"))
	for time.Now().UnixMilli() <= last {
		time.Sleep(time.Millisecond)
	}
	e.as("alice", systable.RoleUser, "INSERT INTO app.typing VALUES ('a3')")
	e.as("bob", systable.RoleUser, "INSERT INTO app.typing VALUES ('b2')")
	_, cutMs, _, err := keyenc.DecodeStreamKey(e.partitionKeys(typing, "alice")[2])
	if err != nil {
		t.Fatal(err)
	}
	cutMs = min(cutMs, newest("bob"))
	// The sweep's clock puts the TTL's cut right at the newer events.
	clk := &clock{now: time.UnixMilli(cutMs + 60_000)}
	s := streams.New(e.kv, e.db.Catalog, streams.Options{Now: clk.Now})
	mustSweep(t, s)
	if n, m := len(e.partitionKeys(typing, "alice")), len(e.partitionKeys(typing, "bob")); n != 1 || m != 1 {
		t.Fatalf("events left: alice %d, bob %d (want the newest of each)", n, m)
	}
	clk.add(time.Hour)
	mustSweep(t, s)
	if n := e.stored(typing); n != 0 {
		t.Fatalf("expired events are deleted in every partition: %d left", n)
	}
}

// TestLegacyStreamKeysAreDropped: events stored by a version before
// per-user partitions (keys without a user prefix) are never shown to
// anyone, and the first sweep deletes them and reports how many.
func TestLegacyStreamKeysAreDropped(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE NAMESPACE app; CREATE STREAM TABLE app.events (n INT) WITH (TTL_SECONDS = 3600)`)
	events := e.table("app", "events")
	e.as("alice", systable.RoleUser, "INSERT INTO app.events VALUES (1)")
	cf, _ := e.kv.LookupColumnFamily(events.Family)
	value, err := cf.Get(e.partitionKeys(events, "alice")[0])
	if err != nil {
		t.Fatal(err)
	}
	// The old layout: big-endian milliseconds, then _seq, no owner.
	var b kv.Batch
	now := time.Now().UnixMilli()
	for i := range 3 {
		b.Put(cf, keyenc.AppendUint64(keyenc.AppendUint64(nil, uint64(now)), uint64(i+1)), value)
	}
	if err := e.kv.Write(&b); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob", "root"} {
		want := "[]"
		if u == "alice" {
			want = "[[1]]"
		}
		if got := e.as(u, systable.RoleUser, "SELECT n FROM app.events"); got != want && !(want == "[]" && got == "null") {
			t.Fatalf("%s reads %s before the sweep", u, got)
		}
	}
	var dropped []string
	s := streams.New(e.kv, e.db.Catalog, streams.Options{OnLegacyDropped: func(table string, n int64) {
		dropped = append(dropped, fmt.Sprintf("%s:%d", table, n))
	}})
	mustSweep(t, s)
	if fmt.Sprint(dropped) != "[app:events:3]" {
		t.Fatalf("reported: %v", dropped)
	}
	if n := e.stored(events); n != 1 {
		t.Fatalf("stored after the sweep: %d (alice's event only)", n)
	}
	mustSweep(t, s)
	if len(dropped) != 1 {
		t.Fatalf("reported again: %v", dropped)
	}
}

func mustSweep(t *testing.T, s *streams.Sweeper) {
	t.Helper()
	if err := s.SweepOnce(); err != nil {
		t.Fatal(err)
	}
}
