package executor_test

import (
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// heapAllocated is the bytes the Go heap has allocated since the process
// started (runtime/metrics, cumulative).
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestHostileAggregateStaysNearItsBudget: an aggregate that builds a
// value per row over a growing frame is quadratic in bytes, and must fail
// with the statement's memory limit having allocated a small multiple of
// that limit, not many times it. A window's running string_agg over
// 30,000 rows of 100 bytes allocated 1.2 GB under a 256 MiB budget
// (4.6 times it): its builder grew by doubling for every row's value, and
// none of that was charged; the heap peaked at twice the budget.
//
// The bound is on the bytes the heap allocated while the statement ran,
// which bounds how far its peak rose above where it started (whatever the
// collector's timing): the values the statement keeps are charged, so
// they come to at most the budget plus the one value being charged, and
// the rest (the rows generated, their copies for the window's sort, the
// plan) is well under one more budget here.
func TestHostileAggregateStaysNearItsBudget(t *testing.T) {
	const budget = 32 << 20
	acct := memory.NewAccount(1 << 30)
	e := newEnvWithMemory(t, budget, acct)
	alice := e.as("alice", systable.RoleUser)
	rows := "(SELECT g, repeat('x', 200) || g AS body FROM generate_series(1, 20000) g) u"
	for _, q := range []string{
		"SELECT max(length(s)) FROM (SELECT string_agg(body, ',') OVER (ORDER BY g ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s FROM " + rows + ") t",
		"SELECT max(length(s)) FROM (SELECT string_agg(body, ',') OVER (ORDER BY g) AS s FROM " + rows + ") t",
		"SELECT max(length(s)) FROM (SELECT string_agg(body, ',') OVER (ORDER BY g ROWS BETWEEN 5000 PRECEDING AND CURRENT ROW) AS s FROM " + rows + ") t",
		"SELECT max(length(s::text)) FROM (SELECT array_agg(body) OVER (ORDER BY g) AS s FROM " + rows + ") t",
		"SELECT max(length(s::text)) FROM (SELECT json_agg(g) OVER (ORDER BY g) AS s FROM generate_series(1, 20000) g) t",
		"SELECT count(*), max(length(s)) FROM (SELECT g % 10 AS k, string_agg(repeat('x', 1000), ',') AS s FROM generate_series(1, 100000) g GROUP BY g % 10) t",
	} {
		runtime.GC()
		before := heapAllocated()
		alice.failsNaming(apierror.ResourceLimitExceeded, "statement_memory_bytes", q)
		allocated := heapAllocated() - before
		t.Logf("%.60s: %d MiB allocated", q, allocated>>20)
		if allocated > 2*budget {
			t.Errorf("%.80s: allocated %d MiB before failing, over twice the budget of %d MiB", q, allocated>>20, budget>>20)
		}
		if used := acct.Used(); used != 0 {
			t.Errorf("%.80s: the server's account still holds %d bytes", q, used)
		}
	}
	// The server answers afterwards, with the same user's statements.
	if got := alice.rows("SELECT count(*), length(string_agg(body, ',')) FROM " + rows); got != `[[20000,4108893]]` {
		t.Errorf("after: %s", got)
	}
}
