package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestCachedStatementsAreNeverChanged: one cached translation serves
// every execution of its text, concurrently, so neither KalamDB's checks
// nor the engine's planner may change it. Statements of many shapes run
// from several goroutines at once (the race detector sees a write to a
// shared node), and each cached tree must print afterwards as a fresh
// translation of its text does.
func TestCachedStatementsAreNeverChanged(t *testing.T) {
	db := openDatabase(t)
	exec := func(user string, role systable.Role, ns, text string, params ...any) ([]executor.Result, error) {
		return db.Executor.Execute(context.Background(), executor.Request{UserID: user, Role: role, SQL: text, Params: params, Namespace: ns})
	}
	if _, err := exec("root", systable.RoleSystem, "", `CREATE NAMESPACE app;
		CREATE TABLE app.m (id BIGINT PRIMARY KEY, conv INT, body TEXT, at TIMESTAMP DEFAULT NOW());
		CREATE TABLE app.c (id INT PRIMARY KEY, title TEXT)`); err != nil {
		t.Fatal(err)
	}
	stmts := []struct {
		ns, text string
		params   func(w, i int) []any
	}{
		{"", "INSERT INTO app.m (id, conv, body) VALUES ($1, $2, $3)", func(w, i int) []any { return []any{w*1000 + i, i % 3, fmt.Sprint("m", i)} }},
		{"app", "INSERT INTO m VALUES ($1, $2, $3, NOW())", func(w, i int) []any { return []any{w*1000 + 500 + i, i % 3, "x"} }},
		{"", "INSERT INTO app.c VALUES ($1, $2)", func(w, i int) []any { return []any{i, fmt.Sprint("c", i)} }},
		{"", "SELECT * FROM app.m WHERE id = $1", func(w, i int) []any { return []any{w*1000 + i} }},
		{"app", "SELECT body AS b FROM m WHERE id = $1", func(w, i int) []any { return []any{w*1000 + i} }},
		{"", "SELECT conv, count(*), max(length(body)) FROM app.m GROUP BY conv ORDER BY conv", nil},
		{"", "SELECT m.body, c.title FROM app.m m JOIN app.c c ON m.conv = c.id WHERE m.id > $1 ORDER BY m.id DESC LIMIT 5", func(w, i int) []any { return []any{w * 1000} }},
		{"", "SELECT id FROM app.m WHERE conv IN (SELECT id FROM app.c WHERE title LIKE $1) ORDER BY 1 LIMIT 3", func(w, i int) []any { return []any{"c%"} }},
		{"", "WITH r AS (SELECT id, conv FROM app.m WHERE conv = $1) SELECT count(*) FROM r", func(w, i int) []any { return []any{i % 3} }},
		{"", "SELECT id, row_number() OVER (PARTITION BY conv ORDER BY id) AS n FROM app.m ORDER BY id LIMIT 4", nil},
		{"", "UPDATE app.m SET body = $1 WHERE id = $2", func(w, i int) []any { return []any{"edited", w*1000 + i} }},
		{"", "UPDATE app.c SET title = upper(title) WHERE id = $1", func(w, i int) []any { return []any{i} }},
		{"", "DELETE FROM app.m WHERE id = $1 AND conv = $2", func(w, i int) []any { return []any{w*1000 + 500 + i, i % 3} }},
		{"", "SELECT CASE WHEN conv > 1 THEN 'hi' ELSE 'lo' END, coalesce(body, '-') FROM app.m WHERE _deleted = false AND id < $1 ORDER BY id LIMIT 2", func(w, i int) []any { return []any{w*1000 + 10} }},
		{"", "INSERT INTO app.c (id, title) SELECT id + 100000, body FROM app.m WHERE id = $1", func(w, i int) []any { return []any{w*1000 + i} }},
	}
	const workers, rounds = 4, 12
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			user := fmt.Sprint("u", w)
			for i := 0; i < rounds; i++ {
				for _, s := range stmts {
					var params []any
					if s.params != nil {
						params = s.params(w, i)
					}
					if _, err := exec(user, systable.RoleUser, s.ns, s.text, params...); err != nil {
						errs <- fmt.Errorf("%s: %v", s.text, err)
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, s := range stmts {
		ast := engine.CachedAST(db.Engine, s.text, s.ns)
		if ast == nil {
			t.Fatalf("%s is not cached", s.text)
		}
		// A fresh translation is what the cached tree looked like before
		// anything ran it.
		fresh, err := pgsql.Translate(s.text, pgsql.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if before, after := sqlparser.String(fresh.AST), sqlparser.String(ast); after != before {
			t.Errorf("%s: the cached tree changed\n before %s\n after  %s", s.text, before, after)
		}
	}
}

// openDatabase is a started database on a temp dir, closed when t ends.
func openDatabase(t *testing.T) *database.Database {
	t.Helper()
	dir := t.TempDir()
	store, err := kv.Open(dir+"/rocksdb", kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := database.Open(store, database.Config{BcryptCost: bcrypt.MinCost, StorageDir: dir + "/storage", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(); store.Close() })
	return db
}
