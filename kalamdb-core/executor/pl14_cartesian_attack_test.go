package executor_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPL14CartesianRanges: the fallback index on (conv, c, d) under
// c IN (n values) AND d IN (n values): n² ranges, built by the extra
// planning pass (the order index's table is offered no other index, so
// the statement's own planning does not build them). Logs the time and
// allocation of the statement against the table with only the order
// index; the answers must match the table without indexes.
func TestPL14CartesianRanges(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 1})
	a := e.as("alice", systable.RoleUser)
	pl14Tables(t, e, "USER", "BIGINT", 200, []string{"1", "2", "3", "4", "5"}, a)
	e.root().must("DROP INDEX ns.b_conv_c")
	createIndex(t, e, "CREATE INDEX b_conv_c_d ON ns.m (conv, c, d)")
	e.root().must("CREATE USER TABLE ns.o (id BIGINT PRIMARY KEY, conv BIGINT, c BIGINT, d BIGINT)")
	createIndex(t, e, "CREATE INDEX o_conv_id ON ns.o (conv, id)")
	for _, n := range []int{10, 100, 300, 1000} {
		var in []string
		for i := 0; i < n; i++ {
			in = append(in, fmt.Sprint(i))
		}
		w := "c IN (" + strings.Join(in, ", ") + ") AND d IN (" + strings.Join(in, ", ") + ")"
		q := "SELECT id, c, d FROM $T WHERE conv = 1 AND " + w + " ORDER BY id DESC LIMIT 3"
		pl14Diff(t, e, a, fmt.Sprint(n), q)
		line := fmt.Sprintf("n=%d:", n)
		for _, tb := range []string{"ns.m", "ns.o"} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := a.exec(strings.ReplaceAll(q, "$T", tb))
			d := time.Since(start)
			runtime.ReadMemStats(&after)
			line += fmt.Sprintf(" %s %.1fms %dMB allocated (err %v)", tb, float64(d.Microseconds())/1000, (after.TotalAlloc-before.TotalAlloc)>>20, err)
		}
		plan := explain(a, strings.ReplaceAll(q, "$T", "ns.m"))
		t.Log(line, " fallback:", strings.Contains(plan, "fallback: index"), len(planLine(plan, "fallback ranges: ")))
	}
}
