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
