package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestGroupScanCountsCastConstants: COUNT of a constant that is a cast
// (TIMESTAMPTZ '...', DATE '...' + 1) counts the rows from storage, as
// COUNT of a literal does, hot and cold, with the engine's answers; a
// NULL or a failing cast is left to the engine. Before, only literals
// were counted there, and a typed constant took the engine's GROUP BY.
func TestGroupScanCountsCastConstants(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE gc; CREATE SHARED TABLE gc.t (id BIGINT PRIMARY KEY, g INT)")
	root.must("INSERT INTO gc.t VALUES (1, 1), (2, 1), (3, 2), (4, NULL), (5, 2), (6, 2)")
	const want = `[[1,2,2,2],[2,3,3,3],[null,1,1,1]]`
	for _, cold := range []bool{false, true} {
		if cold {
			flushTable(t, e, "gc.t")
		}
		before := e.db.Engine.GroupScans()
		got := root.rows("SELECT g, count(*), count(TIMESTAMPTZ '2024-01-01 00:00+02'), count(DATE '2024-01-31' + 1) FROM gc.t GROUP BY g ORDER BY g")
		if got != want {
			t.Fatalf("cold=%v: %s, want %s", cold, got, want)
		}
		if e.db.Engine.GroupScans() == before {
			t.Fatalf("cold=%v: the group scan did not run", cold)
		}
		if got := root.rows("SELECT g, count(NULL::timestamptz) FROM gc.t GROUP BY g ORDER BY g"); got != `[[1,0],[2,0],[null,0]]` {
			t.Fatalf("cold=%v: count of a NULL cast: %s", cold, got)
		}
		root.fails(apierror.SQLExecutionError, "SELECT g, count('x'::int) FROM gc.t GROUP BY g")
	}
}
