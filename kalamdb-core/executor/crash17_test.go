package executor_test

import (
	"strings"
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

// TestCrash17IndexOnColumnAddedLater: an index created on a column added
// after rows were written (hot and in Parquet, under the old schema
// version) holds those rows under the column's DEFAULT, as a read gives
// it; after a restart too.
func TestCrash17IndexOnColumnAddedLater(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	a := e.as("a", systable.RoleUser)
	root.must("CREATE NAMESPACE n; CREATE TABLE n.t (id BIGINT PRIMARY KEY, v TEXT)")
	a.must("INSERT INTO n.t VALUES (1, 'x'), (2, 'y'), (3, 'z')")
	flushTable(t, e, "n.t")
	a.must("INSERT INTO n.t VALUES (4, 'w'), (5, 'u')")
	root.must("ALTER TABLE n.t ADD COLUMN b BIGINT DEFAULT 7")
	a.must("INSERT INTO n.t (id, v, b) VALUES (6, 'q', 8)")
	a.must("UPDATE n.t SET b = 9 WHERE id = 2")
	root.must("CREATE INDEX t_b ON n.t (b)")
	waitIdle(t, e)
	check := func(when string) {
		t.Helper()
		if plan := a.rows("EXPLAIN SELECT id FROM n.t WHERE b = 7"); !strings.Contains(plan, "t_b") && !strings.Contains(plan, "index: [t.b") {
			t.Fatalf("%s: the index is not used: %s", when, plan)
		}
		for _, b := range []int{7, 8, 9} {
			via := a.rows("SELECT id FROM n.t WHERE b = $1 ORDER BY id", b)
			scan := a.rows("SELECT id FROM n.t WHERE b + 0 = $1 ORDER BY id", b)
			if via != scan {
				t.Fatalf("%s: b = %d through the index %s, scanned %s", when, b, via, scan)
			}
		}
		if got := a.rows("SELECT id FROM n.t WHERE b = 7 ORDER BY id"); got != "[[1],[3],[4],[5]]" {
			t.Fatalf("%s: b = 7: %s", when, got)
		}
	}
	check("after the build")
	e.reopen()
	a = e.as("a", systable.RoleUser)
	check("after a restart")
}
