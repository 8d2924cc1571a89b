package executor_test

import (
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// pl14BigintWheres are conditions on c (BIGINT) and d of every shape
// the fallback's planner pass reads.
var pl14BigintWheres = []string{
	"c IN (3, 3, 5, NULL, 7)",
	"c IN (NULL)",
	"c IN ('3', 5.5, 1e300, -0, 7)",
	"c IN (-9223372036854775808, 9223372036854775807, 4)",
	"c IN (1e19, -1e19, 4)",
	"c IN (4.0, 4.5, '6', '6abc')",
	"c NOT IN (3, 5, 7)",
	"c NOT IN (3, NULL)",
	"c BETWEEN 3 AND 6",
	"c BETWEEN 6 AND 3",
	"c BETWEEN SYMMETRIC 6 AND 3",
	"c NOT BETWEEN 2 AND 17",
	"c NOT BETWEEN 17 AND 2",
	"c BETWEEN 2.5 AND 5.5",
	"c BETWEEN '2' AND '5'",
	"c BETWEEN NULL AND 5",
	"(c = 3 OR c = 9)",
	"(c = 3 OR c > 17)",
	"(c < 2 OR c > 17)",
	"(c = 3 OR d = 1)",
	"(c = 3 OR c IS NULL)",
	"(c IS NULL OR c = 3)",
	"(c = 3 OR (c = 9 AND d = 2))",
	"(c = 3 OR (c > 9 AND c < 12) OR c IN (15, 16))",
	"((c, id) > (15, 30) AND c < 18)",
	"(c, id) < (2, 50)",
	"(c, d) IN ((3, 1), (5, 2), (7, 3))",
	"(c, d) = (3, 1)",
	"(c, d) <> (3, 1) AND c > 15",
	"c > 15 AND c <> 16",
	"c > 15 OR c < 1",
	"NOT (c <> 5)",
	"NOT (c NOT IN (5, 6))",
	"c IN (5, 6) AND c IN (6, 7)",
	"c IN (5, 6) AND c > 5",
	"c IN (5, 6) AND c NOT IN (6)",
	"c = 5 AND c = 6",
	"c > 5 AND c < 5",
	"c = -0",
	"c IN (SELECT 5)",
	"c IN (5) AND conv IN (1, 2)",
	"(c = 5 OR conv = 2)",
	"(c = 5 AND conv = 1) OR (c = 6 AND conv = 1)",
	"c IS NOT NULL AND c < 2",
	"c <=> 5",
	"c <=> NULL",
	"c + 0 = 5",
	"c = d",
	"c IN (d, 5)",
	"c = 5 IS TRUE",
	"(c = 5) = TRUE",
	"COALESCE(c, 5) = 5",
	"c > 2.5", "c >= 2.5", "c < 2.5", "c <= 2.5", "c < -0.5", "c > -0.5", "c >= -2.5", "c <= -2.5",
	"c NOT BETWEEN 2.5 AND 5.5", "(c, id) > (2.5, 3)", "(c, id) <= (2.5, 300)", "(c = 2.5 OR c < 1.5)",
	"c > 2.9999999999999999", "c < 3.0000000000000001", "c > '2.5'", "c IN (2.5, 3.5)", "c BETWEEN -0.5 AND 0.5",
	"conv IN (2, 3) AND c IN (3)", "(conv = 2 OR c = 3)", "c IN (3) AND conv > 5", "c IN (3) AND conv >= 1 AND conv <= 1",
	"conv IN (1) AND c BETWEEN 2 AND 4", "(conv, c) IN ((1, 3), (1, 5))", "(conv, c) = (1, 3)", "(conv, c) > (1, 17)", "(c, conv) IN ((3, 1), (5, 2))",
	"c IN (3) IS NOT FALSE", "c IN (CAST('3' AS BIGINT), 5)", "c IN ('3'::bigint)", "c = ANY(ARRAY[3, 5])", "c = ANY('{3,5}')",
	"c IN (3, 3 + 2)", "c IN (ABS(-3))", "c IN (NULLIF(3, 3), 5)", "c BETWEEN (SELECT 1) AND 5", "c > ALL(SELECT 17)",
	"c IN (3) AND c IN (SELECT 3)", "c IN (CASE WHEN 1 = 1 THEN 3 END)", "(c) IN ((3), (5))", "c IN (3, 5) = true",
	"NOT NOT (c IN (3, 5))", "NOT (c < 3 OR c > 5)", "NOT (c NOT BETWEEN 3 AND 5)", "c IN (COALESCE(NULL, 3))",
	"c IN (3, LENGTH('abcde'))", "c IN (EXTRACT(DAY FROM DATE '2024-01-05'))", "c >= LEAST(3, 4) AND c <= GREATEST(4, 5)",
	"c > 9223372036854775806.5", "c < -9223372036854775807.5", "c > 1e18", "c < -1e19", "c > 99999999999999999999",
}

// TestPL14ShapesMatchScan: a top-N on conv = 1 ordered by id read
// through (conv, id) with a budget of 1 or 2 entries, its fallback the
// ranges the planner builds of (conv, c), returns what the table
// without indexes returns, for every shape of condition on c, as two
// users of a USER table, hot, cold and in both tiers.
func TestPL14ShapesMatchScan(t *testing.T) {
	slowParallel(t)
	for _, budget := range []int{1, 2} {
		t.Run(fmt.Sprint("budget ", budget), func(t *testing.T) {
			t.Parallel() // each has its own environment
			e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: budget})
			a, b := e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser)
			vals := pl14Ints(20)
			vals = append(vals, "NULL", "-0", "-1", "-2", "-3", "9223372036854775807", "-9223372036854775808")
			pl14Tables(t, e, "USER", "BIGINT", 300, vals, a, b)
			switched := 0
			check := func(stage string) {
				for _, c := range []*caller{a, b} {
					for _, w := range pl14BigintWheres {
						for _, tail := range []string{"ORDER BY id DESC LIMIT 4", "ORDER BY id LIMIT 3 OFFSET 2", "ORDER BY id DESC LIMIT 0", "ORDER BY id DESC LIMIT 2 OFFSET 1000"} {
							if pl14Diff(t, e, c, stage, "SELECT id, c FROM $T WHERE conv = 1 AND "+w+" "+tail) {
								switched++
							}
						}
					}
				}
			}
			check("hot")
			pl14FlushBoth(t, e)
			check("cold")
			for _, c := range []*caller{a, b} {
				for _, tb := range []string{"ns.m", "ns.r"} {
					c.must("UPDATE " + tb + " SET c = 19 - c WHERE id % 4 = 0 AND c BETWEEN -100 AND 100")
					c.must("UPDATE " + tb + " SET conv = 3 - conv WHERE id % 11 = 0")
					c.must("DELETE FROM " + tb + " WHERE id % 13 = 0")
					c.must("INSERT INTO " + tb + " VALUES (99999, 1, 5, 1), (99998, 1, NULL, 2)")
				}
			}
			check("both tiers")
			if switched == 0 {
				t.Fatal("no read switched to its fallback")
			}
			t.Logf("switched %d", switched)
		})
	}
}
