package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// The WITH of a set operation (WITH c AS (...) SELECT ... FROM c UNION
// ...) is the set operation's own, which the parser's walk does not
// enter: without a namespace selected, the names of its queries were not
// known and c was reported missing (TABLE_NOT_FOUND, "no namespace is
// selected"), wherever the set operation was (the statement, a derived
// table, a parenthesised branch).
func TestSetOp22WithOfASetOperationNamesItsQueries(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	for _, c := range []struct{ sql, want string }{
		{`WITH c AS (SELECT 1 AS a) SELECT a FROM c UNION ALL SELECT a FROM c`, `[[1],[1]]`},
		{`WITH c AS (SELECT 1 AS a UNION SELECT 2) SELECT a FROM c INTERSECT SELECT a FROM c ORDER BY a`, `[[1],[2]]`},
		{`WITH c AS (SELECT 1 AS a), d AS (SELECT 2 AS a) SELECT a FROM c UNION SELECT a FROM d EXCEPT SELECT a FROM d`, `[[1]]`},
		{`WITH c AS (SELECT 1 AS a) SELECT a FROM c UNION SELECT a + 1 FROM c ORDER BY a DESC LIMIT 1`, `[[2]]`},
		{`SELECT * FROM (WITH c AS (SELECT 1 AS a) SELECT a FROM c UNION ALL SELECT a FROM c) s`, `[[1],[1]]`},
		{`SELECT 0 AS a UNION ALL (WITH c AS (SELECT 1 AS a) SELECT a FROM c UNION ALL SELECT a FROM c) ORDER BY a`, `[[0],[1],[1]]`},
		{`SELECT 5 IN (WITH c AS (SELECT 5 AS a) SELECT a FROM c UNION SELECT 6)`, `[[true]]`},
		{`EXPLAIN WITH c AS (SELECT 1 AS a) SELECT a FROM c UNION ALL SELECT a FROM c`, ``},
	} {
		if c.want == "" {
			root.must(c.sql)
			continue
		}
		if got := root.rows(c.sql); got != c.want {
			t.Errorf("%s: got %s, want %s", c.sql, got, c.want)
		}
	}
	// A table that is not one of the queries is still missing.
	ae := root.fails(apierror.TableNotFound, `WITH c AS (SELECT 1 AS a) SELECT a FROM c UNION ALL SELECT a FROM nosuch`)
	if !strings.Contains(ae.Message, "table nosuch does not exist: no namespace is selected") {
		t.Errorf("got %q", ae.Message)
	}
}

// A WHERE on _deleted shows soft-deleted rows in any part of the
// statement; in a query of a set operation's WITH it went unseen, and the
// deleted rows it asked for were not there.
func TestSetOp22DeletedFilterInASetOperation(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t (id) VALUES (1), (2); DELETE FROM app.t WHERE id = 2`)
	// With a namespace selected, as without one.
	root := e.root()
	root.ns = "app"
	for _, q := range []string{
		`SELECT id FROM app.t WHERE _deleted UNION ALL SELECT 0 ORDER BY id`,
		`SELECT 0 AS id UNION SELECT id FROM app.t WHERE _deleted ORDER BY id`,
		`WITH c AS (SELECT id FROM app.t WHERE _deleted) SELECT id FROM c UNION SELECT 0 ORDER BY id`,
		`WITH c AS (SELECT id FROM app.t WHERE _deleted) SELECT 0 AS id UNION ALL SELECT id FROM c ORDER BY id`,
		`SELECT * FROM (WITH c AS (SELECT id FROM app.t WHERE _deleted) SELECT id FROM c INTERSECT SELECT id FROM c UNION SELECT 0) s ORDER BY id`,
	} {
		if got := root.rows(q); got != `[[0],[2]]` {
			t.Errorf("%s: got %s, want [[0],[2]]", q, got)
		}
	}
	if got := root.rows(`WITH c AS (SELECT id FROM app.t) SELECT id FROM c UNION SELECT 0 ORDER BY id`); got != `[[0],[1]]` {
		t.Errorf("without a filter on _deleted: %s", got)
	}
}

// A function in FROM (generate_series, unnest) needs no namespace, in a
// set operation's branch or in its WITH.
func TestSetOp22TableFunctionInASetOperation(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	for _, c := range []struct{ sql, want string }{
		{`SELECT 0 AS v UNION ALL SELECT v FROM generate_series(1, 2) AS g(v)`, `[[0],[1],[2]]`},
		{`WITH g AS (SELECT v FROM generate_series(1, 3) AS s(v)) SELECT v FROM g UNION SELECT 10 ORDER BY 1`, `[[1],[2],[3],[10]]`},
		{`WITH g AS (SELECT v FROM unnest(ARRAY[4, 5]) AS s(v)) SELECT v FROM g EXCEPT SELECT 5`, `[[4]]`},
	} {
		if got := root.rows(c.sql); got != c.want {
			t.Errorf("%s: got %s, want %s", c.sql, got, c.want)
		}
	}
}

// A set operation reads its tables with the reader's permissions wherever
// they are named: its WITH is no way around them.
func TestSetOp22SetOperationReadsAsTheReader(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE USER 'alice' WITH PASSWORD 'secret1' ROLE user")
	root.must(`CREATE NAMESPACE app; CREATE USER TABLE app.notes (id INT PRIMARY KEY, body TEXT)`)
	root.must(`INSERT INTO app.notes (id, body) VALUES (1, 'root''s')`)
	alice := e.user("alice")
	alice.must(`INSERT INTO app.notes (id, body) VALUES (2, 'alice''s')`)
	for _, q := range []string{
		`WITH c AS (SELECT namespace_id FROM system.namespaces) SELECT namespace_id FROM c UNION SELECT 'x'`,
		`SELECT 'x' UNION (WITH c AS (SELECT table_name FROM system.tables) SELECT table_name FROM c UNION SELECT 'y')`,
	} {
		alice.fails(apierror.PermissionDenied, q)
	}
	if got := alice.rows(`WITH c AS (SELECT username FROM system.users) SELECT username FROM c UNION ALL SELECT username FROM c`); got != `[["alice"],["alice"]]` {
		t.Errorf("alice's system.users through a set operation: %s", got)
	}
	if got := alice.rows(`WITH c AS (SELECT id FROM app.notes) SELECT id FROM c UNION SELECT id FROM app.notes WHERE _deleted OR NOT _deleted ORDER BY id`); got != `[[2]]` {
		t.Errorf("alice's notes through a set operation: %s", got)
	}
}

// A view whose query is a set operation with a WITH reads its namespace's
// tables, and is read like a table in a set operation's WITH.
func TestSetOp22ViewsAndSetOperationWiths(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t (id) VALUES (1), (2)`)
	inApp := e.root()
	inApp.ns = "app"
	inApp.must(`CREATE VIEW v AS WITH c AS (SELECT id FROM t) SELECT id FROM c UNION SELECT 0`)
	for _, q := range []string{
		`SELECT id FROM app.v ORDER BY id`,
		`WITH c AS (SELECT id FROM app.v) SELECT id FROM c WHERE id > 0 UNION ALL SELECT 0 ORDER BY id`,
		`SELECT * FROM (WITH c AS (SELECT id FROM app.v) SELECT id FROM c EXCEPT SELECT 3) s ORDER BY id`,
	} {
		if got := root.rows(q); got != `[[0],[1],[2]]` {
			t.Errorf("%s: got %s, want [[0],[1],[2]]", q, got)
		}
	}
}

// Nested WITHs are checked in time linear in the statement: the checks'
// walk entered a WITH's queries twice, doubling at every level, so a
// statement of under a kilobyte with 40 levels was checked for longer
// than any time limit, before the limit applied. And a chain of them,
// each reading the one inside it, is as many references as levels (it
// counted as 2^levels, past max_cte_expansions from 17 levels).
func TestSetOp22NestedWithsAreWalkedOnce(t *testing.T) {
	e := newEnv(t)
	unread, chain := "SELECT 1 AS a", "SELECT 1 AS a"
	for i := range 40 {
		unread = fmt.Sprintf("WITH c%d AS (%s) SELECT 1 AS a", i, unread)
		chain = fmt.Sprintf("WITH c%d AS (%s) SELECT a FROM c%d", i, chain, i)
	}
	for _, q := range []string{unread, chain} {
		if got := e.root().rows(q); got != `[[1]]` {
			t.Fatalf("%.60s...: got %s", q, got)
		}
	}
}

// A view is listed, described and read only by those who may read every
// table it reads, a table read only in a WINDOW clause too: the walk that
// recorded what a view reads did not enter the clause, so alice, who may
// not read app.secrets, was shown the view and its columns.
func TestSetOp22ViewReadingATableInAWindowClause(t *testing.T) {
	e := viewsEnv(t)
	e.root().must(`CREATE VIEW app.win AS SELECT key FROM app.config WINDOW w AS (PARTITION BY (SELECT max(key) FROM app.secrets))`)
	alice := e.user("alice")
	if got := alice.rows(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'app' AND table_type = 'VIEW'`); got != `null` && got != `[]` {
		t.Errorf("alice is shown views %s", got)
	}
	for _, q := range []string{`SELECT * FROM app.win`, `DESCRIBE TABLE app.win`} {
		alice.fails(apierror.PermissionDenied, q)
	}
	if got := e.user("svc").rows(`SELECT * FROM app.win`); got != `[["theme"]]` {
		t.Errorf("the service reads the view: %s", got)
	}
}
