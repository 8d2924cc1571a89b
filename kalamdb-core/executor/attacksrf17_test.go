package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestSeriesWithoutNamespaceReadsNoSystemTable: without a selected
// namespace, a statement with a set-returning function must not resolve
// a name it leaves unqualified in the system namespace. A CTE's name
// used outside its WITH (and a UNION's WITH, which the engine's walker
// skips) escaped the unqualified-name check and read system.users
// (PostgreSQL: relation "users" does not exist).
func TestSeriesWithoutNamespaceReadsNoSystemTable(t *testing.T) {
	e := newEnv(t)
	alice := e.as("alice", systable.RoleUser)
	for _, q := range []string{
		"SELECT * FROM generate_series(1, 1) g, (WITH users AS (SELECT 1 AS x) SELECT * FROM users) a, (SELECT * FROM users) b",
		"WITH a AS (SELECT user_id FROM users) SELECT * FROM a, generate_series(1, 1) g UNION ALL (WITH a AS (SELECT 'x') SELECT * FROM a, generate_series(1, 1) g)",
	} {
		alice.fails(apierror.TableNotFound, q)
	}
	if got := alice.rows("WITH s AS (SELECT 2 AS n) SELECT g FROM s, generate_series(1, 3) g WHERE g >= s.n"); got != `[[2],[3]]` {
		t.Fatalf("a CTE beside a series: %s", got)
	}
}

// TestSeriesArgumentsNamingOuterRowRefused: a subquery in the arguments
// of a function in FROM that plainly names the row around it (a column
// qualified by an outer table, or any column when it reads no table) is
// PostgreSQL's implicit LATERAL, refused as UNSUPPORTED like a column
// named directly. Before, inside EXISTS the engine failed with an
// internal error ("unable to find field with index 1 in row of 1
// columns"), and beside the outer table it said "table not found".
func TestSeriesArgumentsNamingOuterRowRefused(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE app; CREATE SHARED TABLE app.pub (id BIGINT PRIMARY KEY) WITH (ACCESS_LEVEL = 'PUBLIC'); INSERT INTO app.pub VALUES (1), (3)")
	alice := e.as("alice", systable.RoleUser)
	for _, q := range []string{
		"SELECT a.x FROM generate_series(1, 4) a(x) WHERE EXISTS (SELECT 1 FROM generate_series(1, (SELECT a.x)) g WHERE g = 3)",
		"SELECT a.x FROM generate_series(1, 4) a(x) WHERE EXISTS (SELECT 1 FROM generate_series((SELECT x), 2) g)",
		"SELECT a.x FROM generate_series(1, 4) a(x) WHERE EXISTS (SELECT 1 FROM generate_series(1, (SELECT count(*) FROM app.pub p WHERE p.id <= a.x)) g)",
		"SELECT * FROM app.pub p, generate_series(1, (SELECT p.id)) g",
		"SELECT * FROM unnest(ARRAY[(SELECT q.id)]) u, app.pub q",
	} {
		alice.fails(apierror.Unsupported, q)
	}
	// Subqueries over their own tables stay allowed, qualified or not.
	for q, want := range map[string]string{ // PostgreSQL 15's answers
		"SELECT * FROM generate_series(1, (SELECT max(id) FROM app.pub))":                                                    `[[1],[2],[3]]`,
		"SELECT * FROM generate_series(1, (SELECT max(p.id) FROM app.pub p WHERE p.id < 3))":                                 `[[1]]`,
		"SELECT * FROM generate_series((SELECT min(pub.id) FROM app.pub), 2)":                                                `[[1],[2]]`,
		"SELECT * FROM generate_series(1, (WITH c AS (SELECT 2 AS n) SELECT c.n FROM c))":                                    `[[1],[2]]`,
		"SELECT * FROM generate_series(1, (SELECT max(s.s) FROM generate_series(1, 2) s))":                                   `[[1],[2]]`,
		"SELECT x, (SELECT count(*) FROM generate_series(1, 3) y WHERE y <= o.x) FROM generate_series(1, 2) o(x) ORDER BY x": `[[1,1],[2,2]]`,
	} {
		if got := alice.rows(q); got != want {
			t.Errorf("%s: got %s, want %s", q, got, want)
		}
	}
}
