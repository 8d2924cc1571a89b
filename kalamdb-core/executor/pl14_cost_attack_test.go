package executor_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPL14PlanningCost logs (does not assert: a shared machine) what
// planning a hostile WHERE costs on the table whose fallback plans it a
// second time, against a table with only the order index. A measurement:
// make test plans each shape once, at its smallest size (which still
// runs the fallback's second planning of every shape under the race
// detector); KALAMDB_PL14_COST=1 runs the whole sweep of sizes to read.
func TestPL14PlanningCost(t *testing.T) {
	if testing.Short() {
		t.Skip("a measurement")
	}
	sizes := []int{50}
	if envInt("KALAMDB_PL14_COST", 0) != 0 {
		sizes = []int{50, 100, 200, 300, 400, 600, 800}
	}
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 1})
	a := e.as("alice", systable.RoleUser)
	pl14Tables(t, e, "USER", "BIGINT", 50, []string{"1", "2", "3"}, a)
	e.root().must("CREATE USER TABLE ns.o (id BIGINT PRIMARY KEY, conv BIGINT, c BIGINT, d BIGINT)")
	createIndex(t, e, "CREATE INDEX o_conv_id ON ns.o (conv, id)")
	e.root().must("CREATE USER TABLE ns.q (id BIGINT PRIMARY KEY, conv BIGINT, c BIGINT, d BIGINT)")
	createIndex(t, e, "CREATE INDEX q_conv_c ON ns.q (conv, c)")
	shapes := map[string]func(n int) string{
		"overlapping ranges": func(n int) string {
			var or []string
			for i := 0; i < n; i++ {
				or = append(or, fmt.Sprintf("(c > %d AND c < %d)", i, 2*n-i))
			}
			return "(" + strings.Join(or, " OR ") + ")"
		},
		"disjoint ranges": func(n int) string {
			var or []string
			for i := 0; i < n; i++ {
				or = append(or, fmt.Sprintf("(c > %d AND c < %d)", 3*i, 3*i+2))
			}
			return "(" + strings.Join(or, " OR ") + ")"
		},
		"row comparisons": func(n int) string {
			var or []string
			for i := 0; i < n; i++ {
				or = append(or, fmt.Sprintf("(c, id) > (%d, %d)", i, n-i))
			}
			return "(" + strings.Join(or, " OR ") + ")"
		},
		"not between": func(n int) string {
			var and []string
			for i := 0; i < n; i++ {
				and = append(and, fmt.Sprintf("c NOT BETWEEN %d AND %d", 3*i, 3*i+1))
			}
			return strings.Join(and, " AND ")
		},
		"ands of ors": func(n int) string {
			var and []string
			for i := 0; i < n; i++ {
				and = append(and, fmt.Sprintf("(c = %d OR c = %d OR c > %d)", i, i+1, 10*n-i))
			}
			return strings.Join(and, " AND ")
		},
	}
	for name, shape := range shapes {
		for _, n := range sizes {
			w := shape(n)
			line := fmt.Sprintf("%-20s n=%4d:", name, n)
			for _, tb := range []string{"ns.m", "ns.o", "ns.q", "ns.r"} {
				q := "SELECT id FROM " + tb + " WHERE conv = 1 AND " + w + " ORDER BY id DESC LIMIT 5"
				start := time.Now()
				_, err := a.exec(q)
				line += fmt.Sprintf(" %s %8.1fms", tb, float64(time.Since(start).Microseconds())/1000)
				if err != nil {
					line += fmt.Sprintf(" (%.80v)", err)
				}
			}
			t.Log(line)
		}
	}
}
