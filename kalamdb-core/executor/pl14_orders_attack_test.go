package executor_test

import (
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
)

// TestPL14OrdersMatchScan: a SHARED table with a third index (conv, d);
// top-Ns ordered by id, by c (the order index then (conv, c), its
// fallback (conv, id) under conditions on the primary key), by several
// columns, with conditions on several conversations and on the third
// index's column: every answer the table without indexes'.
func TestPL14OrdersMatchScan(t *testing.T) {
	slowParallel(t)
	for _, budget := range []int{1, 2} {
		t.Run(fmt.Sprint("budget ", budget), func(t *testing.T) {
			t.Parallel() // each has its own environment
			e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: budget})
			a := e.root()
			var vals []string
			for v := 0; v < 25; v++ {
				vals = append(vals, fmt.Sprint(v%9))
			}
			vals = append(vals, "NULL", "NULL")
			pl14Tables(t, e, "SHARED", "BIGINT", 400, vals, e.root())
			createIndex(t, e, "CREATE INDEX c_conv_d ON ns.m (conv, d)")
			wheres := []string{
				"conv = 1 AND id IN (5, 7, 9, 300, 301, 302, 399)",
				"conv = 1 AND id BETWEEN 100 AND 140",
				"conv = 1 AND (id < 20 OR id > 380)",
				"conv = 1 AND id NOT BETWEEN 10 AND 390",
				"conv = 1 AND (id, c) > (390, 2)",
				"conv = 1 AND c IN (1, 2) AND d IN (3, 4)",
				"conv = 1 AND c IN (1, 2) AND d = 3",
				"conv = 1 AND d = 3 AND c > 6",
				"conv = 1 AND (c = 1 OR d = 3)",
				"conv = 1 AND (c = 1 OR c = 2) AND (d = 1 OR d = 2)",
				"conv IN (1, 2) AND c IN (1, 2)",
				"(conv = 1 OR conv = 2) AND c = 1",
				"conv = 1 AND c IN (1, 2) AND id > 200",
				"conv = 1 AND c BETWEEN 1 AND 2 AND id BETWEEN 100 AND 200",
				"conv = 1 AND c IS NULL AND d > 2",
				"conv = 1 AND c > 7",
			}
			orders := []string{
				"ORDER BY id DESC LIMIT 3", "ORDER BY id LIMIT 3 OFFSET 1", "ORDER BY c, id LIMIT 4 OFFSET 3", "ORDER BY c DESC, id DESC LIMIT 4 OFFSET 2",
				"ORDER BY c, id LIMIT 4", "ORDER BY c DESC, id DESC LIMIT 4", "ORDER BY c DESC, id LIMIT 4", "ORDER BY id DESC, c LIMIT 3",
				"ORDER BY d, id LIMIT 3", "ORDER BY d DESC, id DESC LIMIT 3", "ORDER BY conv, id LIMIT 3", "ORDER BY c NULLS FIRST, id LIMIT 3",
				"ORDER BY c DESC NULLS LAST, id DESC LIMIT 3",
			}
			switched := 0
			check := func(stage string) {
				for _, w := range wheres {
					for _, o := range orders {
						if pl14Diff(t, e, a, stage, "SELECT id, c, d FROM $T WHERE "+w+" "+o) {
							switched++
						}
					}
				}
			}
			check("hot")
			pl14FlushBoth(t, e)
			check("cold")
			for _, tb := range []string{"ns.m", "ns.r"} {
				a.must("UPDATE " + tb + " SET c = 8 - c WHERE id % 4 = 0")
				a.must("UPDATE " + tb + " SET d = 4 - d WHERE id % 6 = 0")
				a.must("DELETE FROM " + tb + " WHERE id % 13 = 0")
			}
			check("both tiers")
			if switched == 0 {
				t.Fatal("no read switched")
			}
			t.Logf("switched %d", switched)
		})
	}
}
