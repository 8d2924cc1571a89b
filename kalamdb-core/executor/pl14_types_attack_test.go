package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPL14TypesMatchScan: the other index's column of each type, bound
// by IN lists, BETWEEN, OR and NOT BETWEEN of values written in other
// types; with a budget of 1 entry the read switches to the ranges the
// planner builds, and must return the table without indexes' rows.
func TestPL14TypesMatchScan(t *testing.T) {
	types := []struct {
		typ    string
		vals   []string
		wheres []string
	}{
		{"TEXT", []string{"'a'", "'A'", "'a '", "'b'", "''", "NULL", "'é'", "'e'", "'E'", "'ß'", "'ss'", "'a\t'", "'B'", "'Z'", "'zz'"},
			[]string{"c IN ('a', 'B', 'é')", "c IN ('A', 'a ', NULL)", "c BETWEEN 'a' AND 'b'", "c BETWEEN 'A' AND 'Z'", "c NOT BETWEEN 'a' AND 'z'",
				"(c = 'a' OR c = 'E')", "(c < 'B' OR c > 'e')", "c IN ('ss', 'SS', 'ß')", "c = 'a '", "c IN ('a', 'a ')", "c >= 'a' AND c < 'a!'",
				"c IN (1, 'a')", "c BETWEEN SYMMETRIC 'z' AND 'a'", "(c, id) > ('b', 10)", "c LIKE 'a%'", "c IN ('')", "c > ''"}},
		{"VARCHAR(4)", []string{"'a'", "'A'", "'a '", "'b'", "''", "NULL", "'é'", "'abcd'"},
			[]string{"c IN ('a', 'abcd', 'abcde')", "c BETWEEN 'a' AND 'abcdz'", "(c = 'a' OR c = 'A')", "c = 'a   '", "c NOT BETWEEN 'b' AND 'z'"}},
		{"DOUBLE", []string{"0.1", "-0.0", "0.0", "1e30", "-2.5", "NULL", "3.25", "'NaN'", "'Infinity'", "'-Infinity'", "1.0", "2"},
			[]string{"c IN (0, 0.1, 'NaN', 2)", "c IN ('Infinity', '-Infinity')", "c BETWEEN -1 AND 'Infinity'", "c BETWEEN '-Infinity' AND 0",
				"c NOT BETWEEN 0 AND 2", "(c = 0 OR c > 3)", "c > 'NaN'", "c < 'NaN'", "c = 'NaN'", "c IN (-0.0)", "(c, id) < (0, 100)",
				"c IN (1, '1', 1.0)", "c BETWEEN 0.1 AND 0.1", "c > 1e29"}},
		{"REAL", []string{"0.1", "-0.0", "1.5", "NULL", "'NaN'", "3.3"},
			[]string{"c IN (0.1, 3.3)", "c BETWEEN 0.1 AND 3.3", "c = 0.1", "(c = 0.1 OR c = 1.5)"}},
		{"TIMESTAMP", []string{"'2024-01-01 00:00:00'", "'2024-01-01 00:00:00.123456'", "NULL", "'1999-12-31 23:59:59'", "'2024-01-01 00:00:01'"},
			[]string{"c IN ('2024-01-01', '1999-12-31 23:59:59')", "c BETWEEN '2024-01-01' AND '2024-01-01 00:00:00.5'", "c NOT BETWEEN '2000-01-01' AND '2024-01-01'",
				"(c = '2024-01-01 00:00:00.123456' OR c < '2000-01-01')", "c IN ('2024-01-01 00:00:00+00', '2024-01-01 02:00:00+02')"}},
		{"DATE", []string{"'2024-01-01'", "'1970-01-01'", "NULL", "'1969-12-31'"},
			[]string{"c IN ('2024-01-01', '1969-12-31 10:00:00')", "c BETWEEN '1969-12-31' AND '1970-01-01'", "c IN ('2024-01-01 00:00:00')"}},
		{"BOOLEAN", []string{"true", "false", "NULL"},
			[]string{"c IN (true)", "c IN (false, NULL)", "c BETWEEN false AND true", "(c = true OR c = false)", "c IN (1, 0)", "c IN ('t')", "c NOT BETWEEN false AND false"}},
		{"UUID", []string{"'00000000-0000-0000-0000-000000000001'", "'ffffffff-0000-0000-0000-000000000001'", "NULL"},
			[]string{"c IN ('00000000-0000-0000-0000-000000000001', 'FFFFFFFF-0000-0000-0000-000000000001')", "c BETWEEN '0' AND 'g'"}},
		{"SMALLINT", []string{"1", "-1", "0", "32767", "NULL", "-32768"},
			[]string{"c IN (32767, 32768, 1)", "c BETWEEN -40000 AND 0", "c IN (1.5, 0.5)", "c NOT BETWEEN -1 AND 1", "c IN (-32769, -32768)"}},
		{"INT", []string{"1", "-1", "0", "2147483647", "NULL"},
			[]string{"c IN (2147483647, 2147483648)", "c > 2147483646.5", "c BETWEEN 0.5 AND 1.5"}},
	}
	for _, tc := range types {
		t.Run(tc.typ, func(t *testing.T) {
			t.Parallel() // each has its own environment
			e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 1})
			a, b := e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser)
			pl14Tables(t, e, "USER", tc.typ, 120, tc.vals, a, b)
			switched := 0
			check := func(stage string) {
				for _, c := range []*caller{a, b} {
					for _, w := range tc.wheres {
						for _, tail := range []string{"ORDER BY id DESC LIMIT 3", "ORDER BY id LIMIT 2 OFFSET 3"} {
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
			for _, tb := range []string{"ns.m", "ns.r"} {
				a.must("UPDATE " + tb + " SET c = NULL WHERE id % 5 = 0")
				a.must("DELETE FROM " + tb + " WHERE id % 7 = 0")
			}
			check("both tiers")
			t.Logf("%s: switched %d", tc.typ, switched)
		})
	}
}
