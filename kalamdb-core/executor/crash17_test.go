package executor_test

import (
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestCrash17DroppedTableCountersDoNotCarryOver: a table's buffered-row
// counters (one per partition, keyed by the table's name) are dropped
// with it, by DROP TABLE and by DROP NAMESPACE CASCADE, and across a
// restart. Left behind, a table created again under the name starts
// with the dropped one's counts: its rows:N flush policy fires for rows
// it never buffered.
func TestCrash17DroppedTableCountersDoNotCarryOver(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	a := e.as("a", systable.RoleUser)
	for _, drop := range []string{"DROP TABLE n.t", "DROP NAMESPACE n CASCADE"} {
		root.must("CREATE NAMESPACE IF NOT EXISTS n; CREATE TABLE n.t (id INT PRIMARY KEY)")
		for i := 1; i <= 4; i++ {
			a.must("INSERT INTO n.t VALUES ($1)", i)
		}
		root.must(drop)
		e.reopen()
		root, a = e.root(), e.as("a", systable.RoleUser)
		root.must("CREATE NAMESPACE IF NOT EXISTS n; CREATE TABLE n.t (id INT PRIMARY KEY) WITH (FLUSH_POLICY = 'rows:5')")
		a.must("INSERT INTO n.t VALUES (1), (2)")
		if err := e.db.Tier.RunFlushPolicies(time.Now()); err != nil {
			t.Fatal(err)
		}
		waitIdle(t, e)
		if n := hotRows(t, e, "user_table:n:t", "a"); n != 2 {
			t.Fatalf("after %s: the new table's partition buffers 2 rows under rows:5, yet %d are hot (a flush ran)", drop, n)
		}
		root.must("DROP NAMESPACE n CASCADE")
		waitIdle(t, e)
	}
}
