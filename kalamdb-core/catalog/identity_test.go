package catalog

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestEveryTableChangePublishesANewTable: caches of what is compiled
// against a table (the engine's plan cache) are invalidated by comparing
// *Table pointers, so every change of a table must publish a new one, and
// changes of anything else must keep it.
func TestEveryTableChangePublishesANewTable(t *testing.T) {
	db, c := open(t, t.TempDir(), Options{})
	defer db.Close()
	parse := func(text string) dialect.Statement {
		t.Helper()
		st, err := dialect.ParseOne(text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		return st
	}
	create := func(text string) {
		t.Helper()
		if _, err := c.CreateTable(parse(text).(*dialect.CreateTable), nil); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
	}
	alter := func(text string) {
		t.Helper()
		if _, err := c.AlterTable(parse(text).(*dialect.AlterTable)); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
	}
	current := func(name string) *Table {
		t.Helper()
		tb, ok := c.Snapshot().Table("app", name)
		if !ok {
			t.Fatalf("no table app.%s", name)
		}
		return tb
	}
	if _, err := c.CreateNamespace("app", false); err != nil {
		t.Fatal(err)
	}
	create("CREATE TABLE app.t (id BIGINT PRIMARY KEY, a VARCHAR(5))")
	create("CREATE TABLE app.other (id BIGINT PRIMARY KEY)")
	seen := map[*Table]string{}
	last := current("t")
	seen[last] = "CREATE"
	changed := func(what string) {
		t.Helper()
		now := current("t")
		if prev, ok := seen[now]; ok {
			t.Fatalf("after %s, app.t is the *Table published by %s", what, prev)
		}
		seen[now] = what
		last = now
	}
	kept := func(what string) {
		t.Helper()
		if current("t") != last {
			t.Fatalf("%s published a new app.t", what)
		}
	}

	alter("ALTER TABLE app.t ADD COLUMN b INT")
	changed("ADD COLUMN")
	alter("ALTER TABLE app.t DROP COLUMN b")
	changed("DROP COLUMN")
	alter("ALTER TABLE app.t MODIFY COLUMN a VARCHAR(10)")
	changed("MODIFY COLUMN")
	alter("ALTER TABLE app.t SET TBLPROPERTIES (FLUSH_POLICY = 'rows:10')")
	changed("SET TBLPROPERTIES")

	// Changes of other things leave the table alone, so plans stay valid.
	alter("ALTER TABLE app.other ADD COLUMN x INT")
	kept("ALTER TABLE of another table")
	if _, err := c.CreateUser("bob", "pw", systable.RoleUser, "", false); err != nil {
		t.Fatal(err)
	}
	kept("CREATE USER")
	if _, err := c.CreateNamespace("app2", false); err != nil {
		t.Fatal(err)
	}
	kept("CREATE NAMESPACE")

	// Dropped and created again under the same name and columns: a new
	// table, even though nothing about it differs.
	if _, _, err := c.DropTable("app", "t", "", false, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Snapshot().Table("app", "t"); ok {
		t.Fatal("app.t still there after DROP TABLE")
	}
	create("CREATE TABLE app.t (id BIGINT PRIMARY KEY, a TEXT)")
	changed("DROP and CREATE")
}
