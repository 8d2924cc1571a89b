package executor_test

import (
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPL14ModifyColumnIndexed: the other index's column widened by
// MODIFY COLUMN (its entries written under the narrower type), hot and
// cold, then rows written under the wider type: switching top-Ns, and
// ordinary reads of that index, answer as the table without indexes.
func TestPL14ModifyColumnIndexed(t *testing.T) {
	cases := []struct {
		from, to string
		vals     []string
		wheres   []string
	}{
		{"SMALLINT", "BIGINT", []string{"1", "-1", "0", "32767", "-32768", "NULL", "7"},
			[]string{"c IN (1, 7, 32767)", "c BETWEEN -1 AND 1", "c NOT BETWEEN -1 AND 1", "(c = -32768 OR c > 7)", "c > 40000", "c IN (5000000000, 7)"}},
		{"INT", "BIGINT", []string{"1", "-1", "0", "2147483647", "NULL", "7"},
			[]string{"c IN (1, 7, 2147483647)", "c BETWEEN -1 AND 1", "(c = -1 OR c > 7)", "c > 2147483647"}},
		{"REAL", "DOUBLE", []string{"0.1", "-0.0", "1.5", "NULL", "3.3", "'NaN'", "'Infinity'"},
			[]string{"c IN (0.1, 1.5, 3.3)", "c BETWEEN 0 AND 2", "c = 0.1", "(c = 1.5 OR c > 3)", "c > 0.1", "c < 0.1", "c IN ('NaN', 'Infinity')"}},
		{"VARCHAR(3)", "TEXT", []string{"'a'", "'abc'", "''", "NULL", "'b '"},
			[]string{"c IN ('a', 'abc', 'abcd')", "c BETWEEN 'a' AND 'b'", "(c = '' OR c > 'b')"}},
	}
	for _, tc := range cases {
		t.Run(tc.from+" to "+tc.to, func(t *testing.T) {
			t.Parallel() // each has its own environment
			e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 1})
			a := e.as("alice", systable.RoleUser)
			pl14Tables(t, e, "USER", tc.from, 120, tc.vals, a)
			pl14FlushBoth(t, e)
			for i := 0; i < 40; i++ {
				for _, tb := range []string{"ns.m", "ns.r"} {
					a.must(fmt.Sprintf("UPDATE %s SET d = d + 1 WHERE id = %d", tb, 3*i+1))
				}
			}
			for _, tb := range []string{"ns.m", "ns.r"} {
				e.root().must("ALTER TABLE " + tb + " MODIFY COLUMN c " + tc.to)
			}
			check := func(stage string) {
				for _, w := range tc.wheres {
					for _, tail := range []string{"ORDER BY id DESC LIMIT 3", "ORDER BY id LIMIT 2 OFFSET 1", "ORDER BY c, id LIMIT 3"} {
						pl14Diff(t, e, a, stage, "SELECT id, c FROM $T WHERE conv = 1 AND "+w+" "+tail)
					}
				}
			}
			check("modified")
			for i, v := range tc.vals {
				for _, tb := range []string{"ns.m", "ns.r"} {
					a.must(fmt.Sprintf("INSERT INTO %s VALUES (%d, 1, %s, 9)", tb, 5000+i, v))
				}
			}
			check("written after")
			pl14FlushBoth(t, e)
			check("flushed after")
		})
	}
}
