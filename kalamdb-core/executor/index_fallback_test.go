package executor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// fallbackTables creates ns.m, with indexes on (conv, id), (conv, score)
// and (conv, created_at), and ns.r without indexes, holding the same
// rows of alice: n rows in conversation 1 (a few in conversation 2),
// created_at a shuffle of the ids with the newest (created_at > n-4)
// spread over the conversation, score with many ties.
func fallbackTables(t *testing.T, e *env, n int) *caller {
	t.Helper()
	e.root().must("CREATE NAMESPACE ns")
	for _, tb := range []string{"ns.m", "ns.r"} {
		e.root().must("CREATE TABLE " + tb + " (id BIGINT PRIMARY KEY, conv BIGINT, created_at BIGINT, score INT, body TEXT)")
	}
	createIndex(t, e, "CREATE INDEX a_conv_id ON ns.m (conv, id)")
	createIndex(t, e, "CREATE INDEX a_conv_score ON ns.m (conv, score)")
	createIndex(t, e, "CREATE INDEX b_conv_created ON ns.m (conv, created_at)")
	a := e.as("alice", systable.RoleUser)
	var vals []string
	for i := 1; i <= n; i++ {
		// 7919 is prime and coprime with n: a permutation of 0..n-1.
		created := (i * 7919) % n
		conv := 1
		if i%97 == 0 {
			conv = 2
		}
		score := "NULL"
		if i%13 != 0 {
			score = fmt.Sprint(i % 5)
		}
		vals = append(vals, fmt.Sprintf("(%d, %d, %d, %s, 'b%d')", i, conv, created, score, i))
	}
	for _, tb := range []string{"ns.m", "ns.r"} {
		a.must("INSERT INTO " + tb + " VALUES " + strings.Join(vals, ", "))
	}
	return a
}

// fallbackQuery is a top-N the order index serves, and whether its
// rows are rare enough in it, and the WHERE simple enough, that the read
// switches to its fallback.
type fallbackQuery struct {
	q        string
	fallback bool
}

// fallbackQueries are top-Ns the order index serves whose rows are rare
// in it, and a range of the other index holds few rows; and some that do
// not switch.
func fallbackQueries(n int) []fallbackQuery {
	newest := fmt.Sprint(n - 12)
	return []fallbackQuery{
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND created_at > " + newest + " ORDER BY id DESC LIMIT 50", true},
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND created_at > " + newest + " ORDER BY id LIMIT 50", true},
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND created_at > " + newest + " ORDER BY id DESC LIMIT 3 OFFSET 2", true},
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND created_at >= " + newest + " ORDER BY id LIMIT 4 OFFSET 3", true},
		{"SELECT id FROM $T WHERE conv = 1 AND " + newest + " < created_at AND created_at <= " + fmt.Sprint(n-3) + " ORDER BY id DESC LIMIT 5", true},
		// Ties in the sort column, NULLs among them: score, then id.
		{"SELECT id, score FROM $T WHERE conv = 1 AND created_at > " + newest + " ORDER BY score DESC, id DESC LIMIT 6", true},
		{"SELECT id, score FROM $T WHERE conv = 1 AND created_at > " + newest + " ORDER BY score, id LIMIT 7 OFFSET 1", true},
		// Not the index's NULL order: sorted, no fallback.
		{"SELECT id, score FROM $T WHERE conv = 1 AND created_at > " + newest + " AND body <> 'b5' ORDER BY score NULLS FIRST, id LIMIT 5", false},
		// Nothing in the range.
		{"SELECT id FROM $T WHERE conv = 1 AND created_at > " + fmt.Sprint(n+5) + " ORDER BY id DESC LIMIT 5", true},
		// Under an alias; with a subquery in the WHERE (no fallback: the
		// WHERE is not evaluated on the fallback's rows).
		{"SELECT x.id FROM $T x WHERE x.conv = 1 AND x.created_at > " + newest + " ORDER BY x.id DESC LIMIT 4 OFFSET 1", true},
		{"SELECT id FROM $T WHERE conv = 1 AND created_at > " + newest + " AND EXISTS (SELECT 1 FROM $T b WHERE b.id = $T.id) ORDER BY id DESC LIMIT 5", false},
		// The LIMIT met before the budget: no fallback.
		{"SELECT id FROM $T WHERE conv = 1 AND created_at > 10 ORDER BY id DESC LIMIT 5", false},
	}
}

// TestOrderIndexFallbackMatchesSort: a top-N read through the index in
// its sort's order whose rows are rare in it switches to the index on
// the range (conv, created_at) and returns what a scan and a sort do,
// ascending and descending, with OFFSETs and ties, hot, cold and in both
// tiers.
func TestOrderIndexFallbackMatchesSort(t *testing.T) {
	const n = 3000
	e := newEnvWith(t, true)
	a := fallbackTables(t, e, n)
	check := func(stage string) {
		t.Helper()
		for _, fq := range fallbackQueries(n) {
			q := fq.q
			before := e.db.Engine.OrderIndexFallbacks()
			got := a.rows(strings.ReplaceAll(q, "$T", "ns.m"))
			switched := e.db.Engine.OrderIndexFallbacks() > before
			want := a.rows(strings.ReplaceAll(q, "$T", "ns.r"))
			// The writes of the last stage change which rows are rare.
			if got != want || (switched != fq.fallback && stage != "both tiers") {
				t.Fatalf("%s: %s:\n with indexes: %s (fallback %v, want %v)\n without:      %s\n%s", stage, q, got, switched, fq.fallback,
					want, explain(a, strings.ReplaceAll(q, "$T", "ns.m")))
			}
		}
	}
	check("hot")
	runJob(t, e, "STORAGE FLUSH TABLE ns.m")
	runJob(t, e, "STORAGE FLUSH TABLE ns.r")
	check("cold")
	for _, tb := range []string{"ns.m", "ns.r"} {
		a.must(fmt.Sprintf("UPDATE %s SET created_at = %d WHERE id IN (5, 1500, 2999)", tb, n+1))
		a.must(fmt.Sprintf("INSERT INTO %s VALUES (%d, 1, %d, 4, 'new'), (%d, 1, 7, 4, 'old')", tb, n+1, n+2, n+2))
		a.must(tb[:0] + "DELETE FROM " + tb + " WHERE created_at = " + fmt.Sprint(n-1))
	}
	check("both tiers")
}

// TestOrderIndexFallbackReadsFew: conv = 1 AND created_at > $2 ORDER BY
// id DESC LIMIT 50 over a conversation of 3000 rows, 3 of them newer
// than $2, reads its budget of entries of a_conv_id and then the 3
// entries of b_conv_created, not the conversation (2,970 rows, over twice
// the 1,283 allowed); EXPLAIN says so.
func TestOrderIndexFallbackReadsFew(t *testing.T) {
	const n = 3000
	e := newEnvWith(t, true)
	a := fallbackTables(t, e, n)
	q := "SELECT id FROM ns.m WHERE conv = $1 AND created_at > $2 ORDER BY id DESC LIMIT 50"
	want := a.rows(strings.Replace(q, "ns.m", "ns.r", 1), int64(1), int64(n-4))
	if want == "[]" {
		t.Fatal("the reference has no rows")
	}
	plan := explain(a, q, int64(1), int64(n-4))
	if !planUsesIndex(plan, "a_conv_id", "m.conv,m.id") || planSorts(plan) || !strings.Contains(plan, "fallback: index b_conv_created") {
		t.Fatalf("%s: not read through a_conv_id with a fallback:\n%s", q, plan)
	}
	before := e.db.Engine.IndexRowsFetched()
	if got := a.rows(q, int64(1), int64(n-4)); got != want {
		t.Fatalf("%s: %s, want %s", q, got, want)
	}
	// The budget (1024 for LIMIT 50), what its last batch fetched ahead
	// (256 at most), and the 3 rows of the range.
	if fetched := e.db.Engine.IndexRowsFetched() - before; fetched > 1024+256+3 {
		t.Fatalf("%s: %d rows fetched through indexes", q, fetched)
	}
}

// TestOrderIndexFallbackHoldsInBudget: the rows the fallback keeps count
// against the statement's memory: 40 rows of 64 KB are more than 1 MB.
// Read through the order index alone (its budget large enough) the same
// query holds nothing and succeeds.
func TestOrderIndexFallbackHoldsInBudget(t *testing.T) {
	slowParallel(t)
	for _, budget := range []int{0, 1 << 20} {
		e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{StatementMemoryBytes: 1 << 20, OrderIndexBudget: budget})
		a := fallbackTables(t, e, 3000)
		big := strings.Repeat("x", 64<<10)
		for i := 0; i < 40; i++ {
			a.must(fmt.Sprintf("UPDATE ns.m SET created_at = %d, body = '%s' WHERE id = %d", 5000+i, big, 1+i*70))
		}
		q := "SELECT id, body FROM ns.m WHERE conv = 1 AND created_at >= 5000 ORDER BY id DESC LIMIT 40"
		_, err := a.exec(q)
		switch {
		case budget == 0 && (err == nil || !strings.Contains(err.Error(), "fallback")):
			t.Fatalf("%s: %v, want the statement memory limit of the fallback's rows", q, err)
		case budget != 0 && err != nil:
			t.Fatalf("%s without a fallback: %v", q, err)
		}
	}
}

// TestOrderIndexFallbackStopsWhenCancelled: a statement cancelled while
// its fallback reads the other index (rows fetched from the cold tier)
// stops there, with the cancellation, and so does one cancelled while
// it still reads the order index. The conversation has 2,970 rows, five
// times the 576 a stopped statement may fetch.
func TestOrderIndexFallbackStopsWhenCancelled(t *testing.T) {
	e, _, onRead := newEnvWatchingColdReads(t, engine.Limits{OrderIndexBudget: 64})
	const n = 3000
	a := fallbackTables(t, e, n)
	runJob(t, e, "STORAGE FLUSH TABLE ns.m")
	// No row has that body: the order index's budget runs out, and the
	// fallback reads the whole of created_at > 10.
	q := "SELECT id FROM ns.m WHERE conv = 1 AND created_at > 10 AND body = 'none' ORDER BY id DESC LIMIT 5"
	if plan := explain(a, q); !strings.Contains(plan, "fallback: index b_conv_created") {
		t.Fatalf("%s: no fallback:\n%s", q, plan)
	}
	stop := errors.New("the test cancelled the statement")
	for _, phase := range []string{"order index", "fallback"} {
		fallbacks := e.db.Engine.OrderIndexFallbacks()
		fetched := e.db.Engine.IndexRowsFetched()
		ctx, cancel := context.WithCancelCause(context.Background())
		onRead.Store(func() {
			if phase == "order index" || e.db.Engine.OrderIndexFallbacks() > fallbacks {
				cancel(stop)
			}
		})
		_, err := e.db.Executor.Execute(ctx, executor.Request{UserID: a.user, Role: a.role, SQL: q})
		onRead.Store(func() {})
		cancel(nil)
		if !errors.Is(err, stop) {
			t.Fatalf("cancelled in the %s: %v, want the cancellation", phase, err)
		}
		if got := e.db.Engine.OrderIndexFallbacks() - fallbacks; (got == 1) != (phase == "fallback") {
			t.Fatalf("cancelled in the %s: %d fallbacks", phase, got)
		}
		// Stopped within a batch or two of the cancellation, not after
		// the conversation.
		if got := e.db.Engine.IndexRowsFetched() - fetched; got > 64+2*256 {
			t.Fatalf("cancelled in the %s: %d rows fetched", phase, got)
		}
	}
	if got, want := a.rows(strings.Replace(q, "'none'", "'b2000'", 1)), "[[2000]]"; got != want {
		t.Fatalf("after the cancellations: %s, want %s", got, want)
	}
}

// rangeShapeQueries are top-Ns through a_conv_id whose other condition
// on created_at is not one plain comparison: BETWEEN, IN (also as
// parameters and as an OR of equalities), NOT BETWEEN and a row
// comparison, each a few rows of a conversation of n.
func rangeShapeQueries(n int) []struct {
	q      string
	params []any
} {
	v := func(d int) string { return fmt.Sprint(n - d) }
	return []struct {
		q      string
		params []any
	}{
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND created_at BETWEEN " + v(12) + " AND " + v(3) + " ORDER BY id DESC LIMIT 50", nil},
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND created_at BETWEEN $1 AND $2 ORDER BY id LIMIT 4 OFFSET 2", []any{int64(n - 12), int64(n - 3)}},
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND created_at IN (" + v(1) + ", " + v(5) + ", " + v(9) + ", 17, " + fmt.Sprint(n+9) + ") ORDER BY id DESC LIMIT 50", nil},
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND created_at IN (" + v(2) + ", " + v(4) + ", 3, 6) ORDER BY id LIMIT 2 OFFSET 1", nil},
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND created_at IN ($1, $2, $3) ORDER BY id DESC LIMIT 50", []any{int64(n - 1), int64(n - 6), int64(40)}},
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND (created_at = " + v(2) + " OR created_at = " + v(7) + ") ORDER BY id DESC LIMIT 50", nil},
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND created_at NOT BETWEEN 3 AND " + v(8) + " ORDER BY id DESC LIMIT 50", nil},
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND created_at NOT BETWEEN 3 AND " + v(8) + " ORDER BY id LIMIT 3 OFFSET 4", nil},
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND (created_at, id) > (" + v(12) + ", 1500) ORDER BY id DESC LIMIT 50", nil},
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND (created_at, id) <= ($1, $2) AND created_at > $3 ORDER BY id LIMIT 5", []any{int64(n - 3), int64(2000), int64(n - 12)}},
		// Under an alias.
		{"SELECT x.id FROM $T x WHERE x.conv = 1 AND x.created_at NOT BETWEEN 3 AND " + v(8) + " AND x.created_at <> " + v(2) + " ORDER BY x.id DESC LIMIT 4", nil},
		// Ties in the sort column, NULLs among them.
		{"SELECT id, score FROM $T WHERE conv = 1 AND created_at IN (" + v(1) + ", " + v(5) + ", " + v(9) + ", 1, 2, 3) ORDER BY score DESC, id DESC LIMIT 4", nil},
		{"SELECT id, score FROM $T WHERE conv = 1 AND created_at NOT BETWEEN 5 AND " + v(8) + " ORDER BY score, id LIMIT 6 OFFSET 1", nil},
	}
}

// TestOrderIndexFallbackRangeShapes: the fallback is armed when the
// other index's column is bound by BETWEEN, an IN list, an OR of
// equalities or ranges (NOT BETWEEN) or a row comparison, its ranges are
// those an ordinary read of that index builds from the same WHERE, and
// the answers are a scan's and a sort's, hot, cold and in both tiers,
// with a budget of 2 entries and with the default one.
func TestOrderIndexFallbackRangeShapes(t *testing.T) {
	slowParallel(t)
	const n = 3000
	for _, budget := range []int{2, 0} {
		t.Run(fmt.Sprint("budget ", budget), func(t *testing.T) {
			t.Parallel() // each has its own environment
			e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: budget})
			a := fallbackTables(t, e, n)
			// An ordinary read of (conv, created_at): the table with only
			// that index.
			e.root().must("CREATE TABLE ns.q (id BIGINT PRIMARY KEY, conv BIGINT, created_at BIGINT, score INT, body TEXT)")
			createIndex(t, e, "CREATE INDEX q_conv_created ON ns.q (conv, created_at)")
			for _, sq := range rangeShapeQueries(n) {
				plan := explain(a, strings.ReplaceAll(sq.q, "$T", "ns.m"), sq.params...)
				order := !planUsesIndex(plan, "a_conv_id", "m.conv,m.id") && !planUsesIndex(plan, "a_conv_score", "m.conv,m.score")
				if order || planSorts(plan) || !strings.Contains(plan, "fallback: index b_conv_created") {
					t.Fatalf("%s: not read through its order index with a fallback:\n%s", sq.q, plan)
				}
				ordinary := explain(a, strings.ReplaceAll(strings.Split(sq.q, " ORDER BY")[0], "$T", "ns.q"), sq.params...)
				if want := planLine(ordinary, "ranges: "); want == "" || planLine(plan, "fallback ranges: ") != want {
					t.Fatalf("%s: the fallback's ranges are not the ordinary read's %q:\n%s\n%s", sq.q, want, plan, ordinary)
				}
			}
			check := func(stage string) {
				t.Helper()
				for _, sq := range rangeShapeQueries(n) {
					before := e.db.Engine.OrderIndexFallbacks()
					got := a.rows(strings.ReplaceAll(sq.q, "$T", "ns.m"), sq.params...)
					switched := e.db.Engine.OrderIndexFallbacks() > before
					want := a.rows(strings.ReplaceAll(sq.q, "$T", "ns.r"), sq.params...)
					if got != want || (!switched && stage != "both tiers") {
						t.Fatalf("%s: %s %v:\n with indexes: %s (fallback %v)\n without:      %s\n%s", stage, sq.q, sq.params, got, switched,
							want, explain(a, strings.ReplaceAll(sq.q, "$T", "ns.m"), sq.params...))
					}
				}
			}
			check("hot")
			runJob(t, e, "STORAGE FLUSH TABLE ns.m")
			runJob(t, e, "STORAGE FLUSH TABLE ns.r")
			check("cold")
			for _, tb := range []string{"ns.m", "ns.r"} {
				a.must(fmt.Sprintf("UPDATE %s SET created_at = %d WHERE id IN (5, 1500, 2999)", tb, n-5))
				a.must(fmt.Sprintf("INSERT INTO %s VALUES (%d, 1, %d, 4, 'new'), (%d, 1, 3, NULL, 'old')", tb, n+1, n-9, n+2))
				a.must("DELETE FROM " + tb + " WHERE created_at = " + fmt.Sprint(n-1))
			}
			check("both tiers")
		})
	}
}

// planLine is the text after prefix on the plan line that has it, or "".
func planLine(plan, prefix string) string {
	i := strings.Index(plan, prefix)
	if i < 0 {
		return ""
	}
	rest := plan[i+len(prefix):]
	if j := strings.Index(rest, `\n`); j >= 0 {
		rest = rest[:j]
	}
	return rest
}
