package executor_test

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
)

// TestConditionChainsAllocateLinearly: planning a WHERE of n ORs or ANDs
// allocates in proportion to n, a few KB per term. Time cannot be
// asserted, but work that is quadratic in the chain (printing nested
// expressions at every level, as a rule that named each conjunct did)
// allocates quadratically: doubling n quadruples the bytes, where linear
// work doubles them.
func TestConditionChainsAllocateLinearly(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{MaxSQLBytes: 10 << 20}, engine.Limits{Timeout: engine.Timeouts{Default: 24 * time.Hour}})
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT); CREATE INDEX t_v ON app.t (v);
		INSERT INTO app.t VALUES (0, 'v0'), (1, 'v1'), (2, 'v2')`)
	terms := func(n int, format, sep string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = strings.ReplaceAll(format, "%d", fmt.Sprint(i))
		}
		return strings.Join(parts, sep)
	}
	shapes := map[string]func(n int) string{
		"OR of constants":  func(n int) string { return "SELECT 1 WHERE " + terms(n, "1=1", " OR ") },
		"AND of constants": func(n int) string { return "SELECT 1 WHERE " + terms(n, "1=1", " AND ") },
		"LIKE and ORs": func(n int) string {
			return "SELECT count(*) FROM app.t WHERE v LIKE 'v%' AND (" + terms(n, "id = %d", " OR ") + ")"
		},
	}
	// The counters are the whole process's: background goroutines can
	// only add to a measurement, so the least of two is the statement's.
	allocated := func(q string) uint64 {
		least := uint64(math.MaxUint64)
		for range 2 {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			root.must(q)
			runtime.ReadMemStats(&after)
			least = min(least, after.TotalAlloc-before.TotalAlloc)
		}
		return least
	}
	for name, q := range shapes {
		root.must(q(100)) // first-use costs out of the way
		// 2,000 terms take a few MB. With a chain printed by nesting at
		// each level (the likePrefixRanges regression put back), 2,000
		// terms took 80 MB (OR of constants) and 257 MB (LIKE and ORs),
		// and twice the terms 4.1 and 6.2 times the bytes; 4,000 and
		// 8,000 terms only doubled the run time under -race.
		small, large := allocated(q(2_000)), allocated(q(4_000))
		t.Logf("%s: %d KB for 2,000 terms, %d KB for 4,000", name, small>>10, large>>10)
		if float64(large) > 3*float64(small) {
			t.Errorf("%s: twice the terms allocate %.1f times the bytes", name, float64(large)/float64(small))
		}
		// A few KB per term is the planner's own work; a fresh engine
		// session per compared constant was ~80 KB.
		if perTerm := large / 4_000; perTerm > 32<<10 {
			t.Errorf("%s: %d KB per term", name, perTerm>>10)
		}
	}
}
