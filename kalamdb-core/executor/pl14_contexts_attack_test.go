package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPL14ContextsMatchScan: switching top-Ns inside subqueries, joins,
// CTEs, UNIONs, correlated subqueries and DML, hot, after compaction
// and after ALTER TABLE; the tables (and answers) must stay the same as
// the table without indexes'.
func TestPL14ContextsMatchScan(t *testing.T) {
	slowParallel(t)
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 1})
	a, b := e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser)
	vals := pl14Ints(20)
	vals = append(vals, "NULL")
	pl14Tables(t, e, "USER", "BIGINT", 300, vals, a, b)
	top := func(set string) string {
		return "SELECT id, c FROM $T WHERE conv = 1 AND c IN (" + set + ") ORDER BY id DESC LIMIT 3"
	}
	qs := []string{
		"SELECT * FROM (" + top("3, 5") + ") s ORDER BY id",
		"SELECT s.id, t.d FROM (" + top("3, 5") + ") s JOIN $T t ON t.id = s.id ORDER BY s.id",
		"SELECT s.id, t.id FROM (" + top("3, 5") + ") s JOIN (" + top("4, 6") + ") t ON t.c = s.c - 1 ORDER BY s.id, t.id",
		"WITH x AS (" + top("3, 5") + ") SELECT * FROM x ORDER BY c, id",
		"SELECT id FROM $T WHERE id IN (SELECT id FROM (" + top("3, 5") + ") q) ORDER BY id",
		"(" + top("3, 5") + ") UNION ALL (" + top("7") + ") ORDER BY 1",
		"SELECT (SELECT MAX(id) FROM (" + top("3, 5") + ") s)",
		"SELECT o.id, (SELECT i.id FROM $T i WHERE i.conv = 1 AND i.c = o.c ORDER BY i.id DESC LIMIT 1) FROM $T o WHERE o.id < 30 ORDER BY o.id",
		"SELECT o.id, (SELECT i.id FROM $T i WHERE i.conv = 1 AND i.c IN (o.c, 3) ORDER BY i.id DESC LIMIT 1 OFFSET 1) FROM $T o WHERE o.id < 30 ORDER BY o.id",
		"SELECT o.id, (SELECT i.id FROM $T i WHERE i.conv = o.conv AND i.c BETWEEN 3 AND 4 ORDER BY i.id LIMIT 1) FROM $T o WHERE o.id < 30 ORDER BY o.id",
		"SELECT o.id FROM $T o WHERE EXISTS (SELECT 1 FROM $T i WHERE i.conv = 1 AND i.c IN (3, 5) AND i.id > o.id ORDER BY i.id DESC LIMIT 1) AND o.id > 250 ORDER BY o.id",
		"SELECT COUNT(*), SUM(id) FROM (" + top("1, 2, 3, 4, 5, 6, 7, 8, 9") + ") s",
	}
	dml := []string{
		"UPDATE $T SET d = d + 100 WHERE id IN (SELECT id FROM (" + top("3, 5") + ") q)",
		"UPDATE $T SET c = 19 - c WHERE id IN (SELECT id FROM (" + top("2, 17") + ") q)",
		"DELETE FROM $T WHERE id IN (SELECT id FROM (" + top("4") + ") q)",
		"INSERT INTO $T SELECT id + 50000, conv, c, d FROM $T WHERE conv = 1 AND c IN (6, 8) ORDER BY id DESC LIMIT 3",
	}
	whole := "SELECT id, conv, c, d FROM $T ORDER BY id"
	check := func(stage string) {
		t.Helper()
		switched := 0
		for _, c := range []*caller{a, b} {
			for _, q := range qs {
				if pl14Diff(t, e, c, stage, q) {
					switched++
				}
			}
		}
		if switched == 0 {
			t.Errorf("%s: no query switched", stage)
		}
		t.Logf("%s: %d of %d switched", stage, switched, 2*len(qs))
	}
	check("hot")
	for _, c := range []*caller{a, b} {
		for _, d := range dml {
			for _, tb := range []string{"ns.m", "ns.r"} {
				c.must(strings.ReplaceAll(d, "$T", tb))
			}
			pl14Diff(t, e, c, "after "+d, whole)
		}
	}
	check("after DML")
	for i := 0; i < 2; i++ {
		for _, tb := range []string{"ns.m", "ns.r"} {
			a.must("UPDATE " + tb + " SET c = (c + 3) % 20 WHERE id % 5 = " + fmt.Sprint(i))
			runJob(t, e, "STORAGE FLUSH TABLE "+tb)
		}
	}
	for _, tb := range []string{"ns.m", "ns.r"} {
		runJob(t, e, "STORAGE COMPACT TABLE "+tb)
	}
	check("compacted")
	for _, tb := range []string{"ns.m", "ns.r"} {
		e.root().must("ALTER TABLE " + tb + " ADD COLUMN note TEXT")
	}
	check("column added")
	for _, tb := range []string{"ns.m", "ns.r"} {
		e.root().must("ALTER TABLE " + tb + " DROP COLUMN d")
	}
	pl14Diff(t, e, a, "column dropped", "SELECT id, c FROM $T WHERE conv = 1 AND c IN (3, 5) ORDER BY id DESC LIMIT 3")
	pl14Diff(t, e, a, "column dropped", "SELECT id, conv, c, note FROM $T WHERE conv = 1 AND c BETWEEN 3 AND 5 ORDER BY id LIMIT 3")
}
