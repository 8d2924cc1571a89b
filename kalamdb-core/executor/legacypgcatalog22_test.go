package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// A namespace named pg_catalog, which versions before the name was
// reserved let CREATE NAMESPACE create, keeps being served under its
// name as it was (catalog.Snapshot.LegacyPGCatalog): its tables read,
// written, flushed, described, listed once and dropped as any
// namespace's, while the
// engine's pg_catalog (pg_tables, pg_views) is not there. Dropping the
// namespace brings the engine's pg_catalog back, with no restart. Before,
// its tables were TABLE_NOT_FOUND, listed as unreadable BASE TABLEs under
// a pg_catalog listed twice, and DDL on them PERMISSION_DENIED.
func TestLegacyPgCatalogNamespaceIsServed(t *testing.T) {
	e := newEnv(t)
	e.close()
	store, err := kv.Open(e.dir+"/rocksdb", kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	nss, err := systable.Open(store, systable.Namespaces)
	if err == nil {
		err = nss.Put(&systable.Namespace{NamespaceID: "pg_catalog"})
	}
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	e.open()
	root := e.root()
	root.must(`CREATE SHARED TABLE pg_catalog.t (id BIGINT PRIMARY KEY, v TEXT) WITH (ACCESS_LEVEL = 'public')`)
	root.must(`INSERT INTO pg_catalog.t (id, v) VALUES (1, 'kept')`)
	root.must(`CREATE VIEW pg_catalog.tv AS SELECT v FROM pg_catalog.t`)
	e.reopen()
	root = e.root()
	alice := e.as("alice", systable.RoleUser)
	for _, c := range []struct {
		who     *caller
		q, want string
	}{
		{root, `SELECT id, v FROM pg_catalog.t`, `[[1,"kept"]]`},
		{alice, `SELECT v FROM pg_catalog.tv`, `[["kept"]]`},
		{alice, `SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'pg_catalog'`, `[[1]]`},
		{alice, `SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'pg_catalog' ORDER BY 1`,
			`[["t","BASE TABLE"],["tv","VIEW"]]`},
		{alice, `SELECT column_name FROM information_schema.columns WHERE table_schema = 'pg_catalog' AND table_name = 't' ORDER BY ordinal_position`,
			`[["id"],["v"],["_seq"],["_deleted"]]`},
	} {
		if got := c.who.rows(c.q); got != c.want {
			t.Errorf("%s: %s, want %s", c.q, got, c.want)
		}
	}
	refusedWith(t, alice, apierror.TableNotFound, `SELECT * FROM pg_catalog.pg_tables`)
	if got := root.rows(`SHOW TABLES IN pg_catalog`); !strings.Contains(got, `"t"`) {
		t.Errorf("SHOW TABLES IN pg_catalog: %s", got)
	}
	if got := root.rows(`DESCRIBE TABLE pg_catalog.t`); !strings.Contains(got, `"v"`) {
		t.Errorf("DESCRIBE TABLE pg_catalog.t: %s", got)
	}
	flushTable(t, e, "pg_catalog.t")
	if got := alice.rows(`SELECT v FROM pg_catalog.t`); got != `[["kept"]]` {
		t.Errorf("pg_catalog.t flushed: %s", got)
	}
	root.must(`UPDATE pg_catalog.t SET v = 'changed' WHERE id = 1`)
	root.must(`ALTER TABLE pg_catalog.t ADD COLUMN w INT`)
	if got := root.rows(`SELECT v, w FROM pg_catalog.t`); got != `[["changed",null]]` {
		t.Errorf("after UPDATE and ALTER: %s", got)
	}
	refusedWith(t, root, apierror.InvalidSQL, `CREATE NAMESPACE IF NOT EXISTS pg_catalog`)

	// The way out docs/sql.md gives: copy each table (a USER table once
	// per user), then drop the namespace.
	root.must(`CREATE USER 'bob' WITH PASSWORD 'pw' ROLE user`)
	bob := e.user("bob")
	root.must(`CREATE USER TABLE pg_catalog.notes (id BIGINT PRIMARY KEY, body TEXT)`)
	bob.must(`INSERT INTO pg_catalog.notes (id, body) VALUES (1, 'mine')`)
	root.must(`CREATE NAMESPACE app; CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT)`)
	root.must(`EXECUTE AS USER 'bob' (INSERT INTO app.notes (id, body) SELECT id, body FROM pg_catalog.notes)`)
	root.must(`DROP NAMESPACE pg_catalog CASCADE`)
	if got := bob.rows(`SELECT id, body FROM app.notes`); got != `[[1,"mine"]]` {
		t.Errorf("bob's notes after the move: %s", got)
	}
	if got := alice.rows(`SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'pg_catalog'`); got != `[[0]]` {
		t.Errorf("pg_catalog.pg_tables after the drop: %s", got)
	}
	refusedWith(t, root, apierror.PermissionDenied, `CREATE SHARED TABLE pg_catalog.t (id BIGINT PRIMARY KEY)`)
	refusedWith(t, root, apierror.PermissionDenied, `INSERT INTO pg_catalog.pg_tables (tablename) VALUES ('x')`)
}
