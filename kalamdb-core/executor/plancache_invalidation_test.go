package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// cachedRun runs one statement text that the plan cache already holds (it
// fails the test when the run was not a cache hit) and returns its rows.
func cachedRun(t *testing.T, c *caller, sqlText string, params ...any) string {
	t.Helper()
	before := c.e.db.Engine.PlanCacheStats().Hits
	got := c.rows(sqlText, params...)
	if c.e.db.Engine.PlanCacheStats().Hits == before {
		t.Fatalf("%s: not served from the plan cache", sqlText)
	}
	return got
}

// TestPlanCacheFollowsViewChanges: a statement text cached while it read
// one definition of a view reads the view's current definition after
// CREATE OR REPLACE VIEW, fails after DROP VIEW, and reads the table that
// takes the view's name after that; through the fast path's shapes too
// (WHERE id = $1), which must never treat a view as its table.
func TestPlanCacheFollowsViewChanges(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE ns;
		CREATE TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT);
		CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'pw' ROLE user`)
	alice, bob := e.user("alice"), e.user("bob")
	alice.must(`INSERT INTO ns.m VALUES (1, 1, 'a1'), (2, 2, 'a2'), (3, 1, 'a3')`)
	bob.must(`INSERT INTO ns.m VALUES (1, 1, 'b1'), (2, 2, 'b2')`)
	root.must(`CREATE VIEW ns.v AS SELECT id, body FROM ns.m WHERE conv = 1`)

	const scan, point = `SELECT id, body FROM ns.v ORDER BY id`, `SELECT body FROM ns.v WHERE id = $1`
	if got := alice.rows(scan); got != `[[1,"a1"],[3,"a3"]]` {
		t.Fatalf("first read: %s", got)
	}
	if got := alice.rows(point, 3); got != `[["a3"]]` {
		t.Fatalf("first point read: %s", got)
	}
	// Cached, the same texts still read each caller's own partition.
	if got := cachedRun(t, bob, scan); got != `[[1,"b1"]]` {
		t.Fatalf("bob through the cached text: %s", got)
	}
	if got := cachedRun(t, bob, point, 1); got != `[["b1"]]` {
		t.Fatalf("bob's point read through the cached text: %s", got)
	}

	root.must(`CREATE OR REPLACE VIEW ns.v AS SELECT id, body FROM ns.m WHERE conv = 2`)
	if got := cachedRun(t, alice, scan); got != `[[2,"a2"]]` {
		t.Fatalf("after CREATE OR REPLACE VIEW: %s", got)
	}
	if got := cachedRun(t, alice, point, 3); got != `[]` {
		t.Fatalf("point read of a row the new definition leaves out: %s", got)
	}
	if got := cachedRun(t, alice, point, 2); got != `[["a2"]]` {
		t.Fatalf("point read after CREATE OR REPLACE VIEW: %s", got)
	}

	root.must(`DROP VIEW ns.v`)
	for _, q := range []string{scan, point} {
		var params []any
		if q == point {
			params = []any{2}
		}
		before := e.db.Engine.PlanCacheStats().Hits
		alice.fails(apierror.TableNotFound, q, params...)
		if e.db.Engine.PlanCacheStats().Hits == before {
			t.Fatalf("%s after DROP VIEW: not served from the plan cache", q)
		}
	}

	// A table takes the name: the cached texts read it, the point read on
	// the fast path.
	root.must(`CREATE TABLE ns.v (id BIGINT PRIMARY KEY, body TEXT)`)
	alice.must(`INSERT INTO ns.v VALUES (2, 'table row')`)
	if got := cachedRun(t, alice, scan); got != `[[2,"table row"]]` {
		t.Fatalf("after the table took the view's name: %s", got)
	}
	fast := e.db.Engine.FastPathStatements()
	if got := cachedRun(t, alice, point, 2); got != `[["table row"]]` {
		t.Fatalf("point read of the table: %s", got)
	}
	if e.db.Engine.FastPathStatements() == fast {
		t.Fatal("the point read of a table did not take the fast path")
	}
}

// TestPlanCacheFollowsIndexChanges: a statement text cached before an
// index existed uses the index once it is ready (the fast path's plan is
// compiled again for the table's new version), and stops using it once it
// is dropped, with the same answers throughout.
func TestPlanCacheFollowsIndexChanges(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE ns; CREATE TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT)`)
	alice := e.as("alice", systable.RoleUser)
	alice.must(`INSERT INTO ns.m VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 1, 'c'), (4, 1, 'd'), (5, 2, 'e')`)
	const q = `SELECT id FROM ns.m WHERE conv = $1 ORDER BY id DESC LIMIT 2`
	const want = `[[4],[3]]`
	// run runs q from the cache and reports whether it took the fast
	// path, and how many rows an index read fetched for it.
	run := func(stage string) (fast bool, fetched int64) {
		t.Helper()
		hits, rows := e.db.Engine.FastPathStatements(), e.db.Engine.IndexRowsFetched()
		if got := cachedRun(t, alice, q, 1); got != want {
			t.Fatalf("%s: %s, want %s", stage, got, want)
		}
		return e.db.Engine.FastPathStatements() > hits, e.db.Engine.IndexRowsFetched() - rows
	}

	if got := alice.rows(q, 1); got != want {
		t.Fatalf("first run: %s", got)
	}
	if fast, fetched := run("without an index"); fast || fetched != 0 {
		t.Fatalf("without an index: fast path %v, %d index rows", fast, fetched)
	}

	createIndex(t, e, "CREATE INDEX m_conv ON ns.m (conv, id)")
	if fast, fetched := run("index created"); !fast || fetched != 2 {
		t.Fatalf("after CREATE INDEX: fast path %v, %d index rows fetched, want the fast path and 2", fast, fetched)
	}
	if plan := explain(alice, "SELECT id FROM ns.m WHERE conv = 1 ORDER BY id DESC LIMIT 2"); !planUsesIndex(plan, "m_conv", "m.conv,m.id") {
		t.Fatalf("the planner does not use the new index:\n%s", plan)
	}

	e.root().must("DROP INDEX ns.m_conv")
	if fast, fetched := run("index dropped"); fast || fetched != 0 {
		t.Fatalf("after DROP INDEX: fast path %v, %d index rows fetched", fast, fetched)
	}

	// A table dropped under a cached text: the text fails as a missing
	// table would, and reads the new table of the same name.
	e.root().must("DROP TABLE ns.m")
	alice.fails(apierror.TableNotFound, q, 1)
	e.root().must(`CREATE TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT)`)
	alice.must(`INSERT INTO ns.m VALUES (7, 1)`)
	if got := cachedRun(t, alice, q, 1); got != `[[7]]` {
		t.Fatalf("after DROP and CREATE TABLE: %s", got)
	}
}
