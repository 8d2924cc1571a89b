package database_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// ExampleOpen embeds the database in a program, with no HTTP: open the
// store and the core over a directory, then run SQL as users. A USER
// table is partitioned per user, so the same query shows each user only
// their own rows.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "kalamdb-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	store, err := kv.Open(filepath.Join(dir, "rocksdb"), kv.Options{})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	db, err := database.Open(store, database.Config{StorageDir: filepath.Join(dir, "storage"), BcryptCost: 4})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := db.Start(); err != nil {
		panic(err)
	}

	ctx := context.Background()
	run := func(userID string, role systable.Role, sql string) []executor.Result {
		res, err := db.Executor.Execute(ctx, executor.Request{UserID: userID, Role: role, SQL: sql})
		if err != nil {
			panic(err)
		}
		return res
	}
	run("root", systable.RoleSystem, `CREATE NAMESPACE notes;
		CREATE TABLE notes.items (id BIGINT PRIMARY KEY, body TEXT NOT NULL);
		CREATE USER 'alice' WITH PASSWORD 'secret-a' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'secret-b' ROLE user`)
	alice, _ := db.Catalog.UserByName("alice")
	bob, _ := db.Catalog.UserByName("bob")

	run(alice.UserID, alice.Role, "INSERT INTO notes.items VALUES (1, 'buy milk'), (2, 'call mum')")
	run(bob.UserID, bob.Role, "INSERT INTO notes.items VALUES (1, 'fix bike')")
	for _, u := range []*systable.User{alice, bob} {
		res := run(u.UserID, u.Role, "SELECT id, body FROM notes.items ORDER BY id")
		rows, _ := json.Marshal(res[0].Rows)
		fmt.Printf("%s sees %s\n", u.Username, rows)
	}
	// Output:
	// alice sees [[1,"buy milk"],[2,"call mum"]]
	// bob sees [[1,"fix bike"]]
}
