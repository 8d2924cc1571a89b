package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestUpdateSetListReadsTheOldRow: every expression of an UPDATE's SET
// list reads the row as it was before the UPDATE (PostgreSQL, the SQL
// standard), so SET a = b, b = a swaps the two. The engine evaluates the
// list left to right over the row it is building (MySQL's rule), which
// wrote b's value into both columns, silently. Two assignments to one
// column are refused, as PostgreSQL refuses them, and nothing changes.
func TestUpdateSetListReadsTheOldRow(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app;
		CREATE SHARED TABLE app.sh (id BIGINT PRIMARY KEY, a INT, b INT, c TEXT);
		CREATE TABLE app.us (id BIGINT PRIMARY KEY, a INT, b INT, c TEXT)`)
	for _, tbl := range []string{"app.sh", "app.us"} {
		root.must("INSERT INTO " + tbl + " VALUES (1, 1, 2, 'x'), (2, 10, 20, 'y'), (3, 5, 6, 'z'), (4, 7, 0, 'w'), (5, 1, 1, 'v')")
		root.must("UPDATE " + tbl + " SET a = b, b = a WHERE id = 1")
		root.must("UPDATE "+tbl+" SET b = $1, a = b WHERE id = 2", 30)
		root.must("UPDATE " + tbl + " SET c = c || c, a = length(c) WHERE id = 3")
		root.must("UPDATE " + tbl + " SET a = a * 2, b = a * 2 WHERE id = 4")
		// A plan read from the cache keeps the rule: the same text again.
		root.must("UPDATE " + tbl + " SET a = b, b = a WHERE id = 1")
		root.must("UPDATE " + tbl + " SET a = b, b = a WHERE id = 1")
		want := `[[1,2,1,"x"],[2,20,30,"y"],[3,1,6,"zz"],[4,14,14,"w"],[5,1,1,"v"]]`
		if got := root.rows("SELECT id, a, b, c FROM " + tbl + " ORDER BY id"); got != want {
			t.Errorf("%s after the UPDATEs: %s, want %s", tbl, got, want)
		}
		for _, bad := range []string{
			"UPDATE " + tbl + " SET a = 1, a = 2 WHERE id = 5",
			"UPDATE " + tbl + " SET a = b, c = 'q', a = 3 WHERE id = 5",
		} {
			if err := root.fails(apierror.InvalidSQL, bad); err.Message != `multiple assignments to same column "a"` {
				t.Errorf("%s: %q", bad, err.Message)
			}
		}
		if got := root.rows("SELECT a, b, c FROM " + tbl + " WHERE id = 5"); got != `[[1,1,"v"]]` {
			t.Errorf("%s: a refused UPDATE changed the row: %s", tbl, got)
		}
		// A value out of the column's range is still refused, whichever
		// assignment holds it.
		root.fails(apierror.InvalidInput, "UPDATE "+tbl+" SET b = a, a = 3000000000 WHERE id = 5")
	}
}
