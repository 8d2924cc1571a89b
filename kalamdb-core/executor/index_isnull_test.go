package executor_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestIndexIsNullBinding: col IS NULL binds an index column to one point
// (the entries of NULL sort last in the index, after every value, as
// PostgreSQL's NULLS LAST ascending) and col IS NOT NULL to a range, so
// conv = $1 AND deleted_at IS NULL reads the few live messages of a
// conversation through (conv, deleted_at, created_at), not the whole
// conversation through (conv, id), and a top-N of them by created_at
// reads that index in order, without a sort. Answers are those of the
// table without indexes, NULLs ordered as PostgreSQL orders them.
func TestIndexIsNullBinding(t *testing.T) {
	slowParallel(t)
	for _, slow := range []bool{true, false} {
		t.Run(fmt.Sprint("slow ", slow), func(t *testing.T) {
			t.Parallel() // each has its own environment
			testIndexIsNullBinding(t, slow)
		})
	}
}

// testIndexIsNullBinding is TestIndexIsNullBinding with the plan cache
// and the fast path off (slow) or on.
func testIndexIsNullBinding(t *testing.T, slow bool) {
	const n = 3000
	e := newEnvWith(t, slow)
	a := joinTables(t, e, n)
	createIndex(t, e, "CREATE INDEX d_conv_deleted ON ns.msg (conv, deleted_at, created_at)")
	for _, tb := range []string{"ns.msg", "ns.rmsg"} {
		// One message in about eight is live (deleted_at NULL).
		a.must("UPDATE " + tb + " SET deleted_at = id WHERE deleted_at IS NULL AND id % 7 <> 0")
	}
	type isNullQuery struct {
		q       string
		params  []any
		index   string // "" for the engine's choice
		ranges  string
		fetched int64
		// sorted: read in order, no sort left (the first batch of an
		// index read fetches 8 rows)
		sorted bool
	}
	queries := []isNullQuery{
		{"SELECT id, body FROM $T WHERE conv = $1 AND deleted_at IS NULL", []any{int64(3)}, "d_conv_deleted", "[{[3, 3], [NULL, NULL]", 12, false},
		{"SELECT id FROM $T WHERE deleted_at IS NULL AND conv = 3 AND body <> 'x'", nil, "d_conv_deleted", "[{[3, 3], [NULL, NULL]", 12, false},
		{"SELECT count(*) FROM $T WHERE conv = 4 AND deleted_at IS NULL", nil, "d_conv_deleted", "[{[4, 4], [NULL, NULL]", 12, false},
		{"SELECT id, created_at FROM $T WHERE conv = $1 AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 3", []any{int64(5)}, "d_conv_deleted", "[{[5, 5], [NULL, NULL]", 8, true},
		{"SELECT id, created_at FROM $T WHERE conv = 5 AND deleted_at IS NULL ORDER BY created_at, id LIMIT 4", nil, "d_conv_deleted", "[{[5, 5], [NULL, NULL]", 8, true},
		{"SELECT id FROM $T WHERE conv = 6 AND deleted_at IS NULL AND created_at > $1", []any{int64(n / 2)}, "d_conv_deleted", "[{[6, 6], [NULL, NULL], (1500, ∞)", 12, false},
		// IS NOT NULL: a range of the index's values, before its NULLs.
		{"SELECT id FROM $T WHERE conv = 7 AND deleted_at IS NOT NULL", nil, "d_conv_deleted", "[{[7, 7], (NULL, ∞)", n / 50, false},
		{"SELECT id, deleted_at FROM $T WHERE conv = 7 AND deleted_at IS NOT NULL ORDER BY deleted_at DESC LIMIT 5", nil, "", "", n, false},
		{"SELECT id, deleted_at FROM $T WHERE conv = 7 ORDER BY deleted_at NULLS FIRST, id LIMIT 12", nil, "", "", n, false},
		{"SELECT id, deleted_at FROM $T WHERE conv = 7 ORDER BY deleted_at DESC, id LIMIT 12", nil, "", "", n, false},
		{"SELECT id, deleted_at FROM $T WHERE conv = 7 AND (deleted_at IS NULL OR deleted_at > 2900) ORDER BY deleted_at, id", nil, "", "", n, false},
		{"SELECT id FROM $T WHERE parent_id IS NULL AND conv = 8 ORDER BY id", nil, "", "", n, false},
		{"SELECT id FROM $T WHERE conv IS NULL", nil, "", "", n, false},
	}
	check := func(stage string, c isNullQuery) {
		t.Helper()
		q := strings.ReplaceAll(c.q, "$T", "ns.msg")
		plan := explain(a, q, c.params...)
		if c.index != "" && (!planUsesIndex(plan, c.index, "") || !strings.HasPrefix(planLine(plan, "ranges: "), c.ranges)) {
			t.Fatalf("%s: %s %v: not read through %s with ranges %s...:\n%s", stage, q, c.params, c.index, c.ranges, plan)
		}
		if c.sorted && planSorts(plan) {
			t.Fatalf("%s: %s %v: sorted, not read in order:\n%s", stage, q, c.params, plan)
		}
		want := rows(a, strings.ReplaceAll(c.q, "$T", "ns.rmsg"), c.params...)
		fetched := e.db.Engine.IndexRowsFetched()
		if got := rows(a, q, c.params...); got != want {
			t.Fatalf("%s: %s %v:\n%s\nwant\n%s", stage, q, c.params, got, want)
		}
		if f := e.db.Engine.IndexRowsFetched() - fetched; f > c.fetched {
			t.Fatalf("%s: %s %v: %d rows fetched through indexes, want at most %d", stage, q, c.params, f, c.fetched)
		}
	}
	for _, c := range queries {
		check("hot", c)
	}
	runJob(t, e, "STORAGE FLUSH TABLE ns.msg")
	runJob(t, e, "STORAGE FLUSH TABLE ns.rmsg")
	for _, c := range queries {
		check("cold", c)
	}
}

// rows is a statement's rows in the order it returns them when it has
// an ORDER BY, sorted otherwise.
func rows(c *caller, q string, params ...any) string {
	if strings.Contains(q, "ORDER BY") {
		return c.rows(q, params...)
	}
	return rowSet(c, q, params...)
}
