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
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

type env struct {
	t  *testing.T
	db *database.Database
}

func newEnv(t *testing.T) *env {
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
	return &env{t: t, db: db}
}

func (e *env) sql(sqlText string) string {
	e.t.Helper()
	res, err := e.db.Executor.Execute(context.Background(), executor.Request{UserID: "root", Role: systable.RoleSystem, SQL: sqlText})
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
	cf, ok := e.db.Catalog.DB().LookupColumnFamily(t.Family)
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
	s := streams.New(e.db.Catalog, streams.Options{})
	if err := s.SweepOnce(); err != nil {
		t.Fatal(err)
	}
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
	s.Inserted(events, 3)
	if err := s.SweepOnce(); err != nil {
		t.Fatal(err)
	}
	if got := e.sql("SELECT n FROM app.events ORDER BY _seq"); got != "[[7],[8],[10],[11],[12]]" {
		t.Fatalf("after second trim: %s", got)
	}
	if err := s.SweepOnce(); err != nil {
		t.Fatal(err)
	}
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
	s := streams.New(e.db.Catalog, streams.Options{Now: clk.Now})
	if err := s.SweepOnce(); err != nil {
		t.Fatal(err)
	}
	if n := e.stored(typing); n != 2 {
		t.Fatalf("unexpired events are kept: %d", n)
	}
	clk.add(61 * time.Second)
	if err := s.SweepOnce(); err != nil {
		t.Fatal(err)
	}
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
	s := streams.New(e.db.Catalog, streams.Options{Interval: time.Millisecond, OnError: func(err error) {
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
