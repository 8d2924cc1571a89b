package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestEnginesBuiltConcurrently: engines built at the same time in one
// process do not race (run it under -race): go-mysql-server's engine
// constructor (re)initialises that library's status variables, a
// package-level global, without synchronisation. Rounds of four engines
// over one database's parts, each round's constructors released at once.
func TestEnginesBuiltConcurrently(t *testing.T) {
	dir := t.TempDir()
	store := openStore(t, dir)
	db, err := database.Open(store, database.Config{BcryptCost: bcrypt.MinCost, StorageDir: dir + "/storage", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	deps := engine.Deps{DB: store, Catalog: db.Catalog, Tables: tables.NewRegistry(store, db.Catalog), Tier: db.Tier, Txns: db.Txns}
	if deps.Seq, err = ids.NewSnowflake(1, nil); err != nil {
		t.Fatal(err)
	}
	for round := range 8 {
		engines := make([]*engine.Engine, 4)
		errs := make([]error, len(engines))
		var fns []func()
		for i := range engines {
			fns = append(fns, func() { engines[i], errs[i] = engine.New(deps, engine.Options{}) })
		}
		atOnce(fns...)
		for i, e := range engines {
			if errs[i] != nil {
				t.Fatalf("round %d, engine %d: %v", round, i, errs[i])
			}
			if err := e.Close(); err != nil {
				t.Fatalf("round %d, engine %d: close: %v", round, i, err)
			}
		}
	}
}

// atOnce runs each of fns on its own goroutine, all released at once, and
// waits for them.
func atOnce(fns ...func()) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn()
		}()
	}
	close(start)
	wg.Wait()
}

// openStore opens a store in dir, closed at the end of the test.
func openStore(t *testing.T, dir string) *kv.DB {
	t.Helper()
	store, err := kv.Open(dir+"/rocksdb", kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// TestEnginesStartConcurrently: databases opened at the same time in one
// process (an application embedding two of them, tests in parallel) do
// not race (run it under -race), and neither do statements of several
// engines while others start: every statement counts itself in
// go-mysql-server's status variables, the global an engine's
// construction resets. Two databases open at once; then two more open
// at once while the first two run statements from several goroutines
// each.
func TestEnginesStartConcurrently(t *testing.T) {
	const n = 4
	stores := make([]*kv.DB, n)
	dirs := make([]string, n)
	for i := range stores {
		dirs[i] = t.TempDir()
		stores[i] = openStore(t, dirs[i])
	}
	dbs := make([]*database.Database, n)
	errs := make([]error, n)
	open := func(i int) {
		db, err := database.Open(stores[i], database.Config{BcryptCost: bcrypt.MinCost, StorageDir: dirs[i] + "/storage", DataDir: dirs[i]})
		if err == nil {
			err = db.Start()
		}
		dbs[i], errs[i] = db, err
	}
	// opened are the databases open so far: closed before their stores.
	opened := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			if dbs[i] != nil {
				db := dbs[i]
				t.Cleanup(func() { db.Close() })
			}
		}
		for i := from; i < to; i++ {
			if errs[i] != nil {
				t.Fatalf("database %d: %v", i, errs[i])
			}
		}
	}
	atOnce(func() { open(0) }, func() { open(1) })
	opened(0, 2)
	exec := func(db *database.Database, user string, role systable.Role, text string) error {
		_, err := db.Executor.Execute(context.Background(), executor.Request{UserID: user, Role: role, SQL: text})
		return err
	}
	for i := range 2 {
		if err := exec(dbs[i], "root", systable.RoleSystem, "CREATE NAMESPACE app; CREATE TABLE app.m (id BIGINT PRIMARY KEY, body TEXT)"); err != nil {
			t.Fatal(err)
		}
	}
	// Statements on the first two databases, two users each, while the
	// other two open.
	var stmtErrs [2][2]error
	var fns []func()
	for i := range 2 {
		for w := range 2 {
			fns = append(fns, func() {
				user := fmt.Sprint("u", w)
				for k := range 20 {
					for _, q := range []string{
						fmt.Sprintf("INSERT INTO app.m VALUES (%d, 'm%d')", k, k),
						fmt.Sprintf("SELECT body FROM app.m WHERE id = %d", k),
						"SELECT count(*), max(length(body)) FROM app.m",
						fmt.Sprintf("UPDATE app.m SET body = upper(body) WHERE id = %d", k),
					} {
						if err := exec(dbs[i], user, systable.RoleUser, q); err != nil {
							stmtErrs[i][w] = fmt.Errorf("database %d, %s: %s: %w", i, user, q, err)
							return
						}
					}
				}
			})
		}
	}
	atOnce(append(fns, func() { open(2) }, func() { open(3) })...)
	opened(2, n)
	for _, es := range stmtErrs {
		for _, err := range es {
			if err != nil {
				t.Error(err)
			}
		}
	}
	// Each of the first two databases holds each user's 20 rows; the
	// other two answer.
	for i, db := range dbs {
		q, want := "SELECT count(*) FROM app.m", "[[20]]"
		if i >= 2 {
			q, want = "SELECT 1 + 1", "[[2]]"
		}
		for _, user := range []string{"u0", "u1"} {
			res, err := db.Executor.Execute(context.Background(), executor.Request{UserID: user, Role: systable.RoleUser, SQL: q})
			if err != nil || len(res) != 1 || fmt.Sprint(res[0].Rows) != want {
				t.Errorf("database %d, %s: %s: %v (%v), want %s", i, user, q, res, err, want)
			}
		}
	}
}
