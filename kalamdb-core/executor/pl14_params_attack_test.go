package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPL14ParamsMatchScan: one statement text, cached, run with
// parameters of other values, types and NULL-ness: the fallback's
// ranges are the ones of each run's values.
func TestPL14ParamsMatchScan(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 1})
	a, b := e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser)
	vals := pl14Ints(20)
	vals = append(vals, "NULL")
	pl14Tables(t, e, "USER", "BIGINT", 300, vals, a, b)
	qs := []struct {
		q      string
		params [][]any
	}{
		{"SELECT id, c FROM $T WHERE conv = $1 AND c IN ($2, $3) ORDER BY id DESC LIMIT $4", [][]any{
			{int64(1), int64(3), int64(5), int64(4)}, {int64(1), int64(5), int64(3), int64(4)}, {int64(2), nil, int64(5), int64(4)},
			{int64(1), nil, nil, int64(4)}, {int64(1), "7", 7.5, int64(2)}, {int64(1), int64(3), int64(3), int64(0)}, {int64(1), 3.0, "3", int64(100)},
			{int64(1), int64(3), int64(5), int64(4)}}},
		{"SELECT id, c FROM $T WHERE conv = $1 AND c BETWEEN $2 AND $3 ORDER BY id LIMIT $4 OFFSET $5", [][]any{
			{int64(1), int64(3), int64(5), int64(4), int64(0)}, {int64(1), int64(5), int64(3), int64(4), int64(0)}, {int64(1), nil, int64(5), int64(4), int64(1)},
			{int64(1), 2.5, 5.5, int64(4), int64(2)}, {int64(1), "2", "5", int64(4), int64(0)}, {int64(1), int64(3), int64(5), int64(4), int64(1000)}}},
		{"SELECT id, c FROM $T WHERE conv = $1 AND (c = $2 OR c > $3) ORDER BY id DESC LIMIT 3", [][]any{
			{int64(1), int64(3), int64(17)}, {int64(1), nil, int64(17)}, {int64(1), int64(3), nil}, {int64(2), int64(18), int64(-1)}}},
		{"SELECT id, c FROM $T WHERE conv = $1 AND c NOT BETWEEN $2 AND $3 ORDER BY id DESC LIMIT 3", [][]any{
			{int64(1), int64(2), int64(17)}, {int64(1), int64(17), int64(2)}, {int64(1), nil, int64(2)}, {int64(1), int64(2), nil}}},
		{"SELECT id, c FROM $T WHERE conv = $1 AND (c, id) > ($2, $3) ORDER BY id DESC LIMIT 3", [][]any{
			{int64(1), int64(15), int64(30)}, {int64(1), nil, int64(30)}, {int64(1), int64(15), nil}, {int64(1), "15", 30.5}}},
	}
	for _, c := range []*caller{a, b} {
		for _, q := range qs {
			for _, p := range q.params {
				pl14Diff(t, e, c, "params", q.q, p...)
			}
		}
	}
	if st := e.db.Engine.PlanCacheStats(); st.Hits == 0 {
		t.Fatalf("the plan cache was not used: %+v", st)
	}
}

// TestPL14HugeInList: an IN list past the planner's values limit, and
// an OR of thousands of equalities, on the other index's column: the
// answer is the scan's, and EXPLAIN says what the fallback reads.
func TestPL14HugeInList(t *testing.T) {
	slowParallel(t)
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 1})
	a := e.as("alice", systable.RoleUser)
	var vals []string
	for v := 0; v < 3000; v++ {
		vals = append(vals, fmt.Sprint(v*3))
	}
	pl14Tables(t, e, "USER", "BIGINT", 3000, vals, a)
	for _, n := range []int{999, 1000, 1001, 2500} {
		var in, or []string
		for i := 0; i < n; i++ {
			in = append(in, fmt.Sprint(i*7))
			or = append(or, fmt.Sprintf("c = %d", i*7))
		}
		for _, w := range []string{"c IN (" + strings.Join(in, ", ") + ")", "(" + strings.Join(or, " OR ") + ")"} {
			q := "SELECT id, c FROM $T WHERE conv = 1 AND " + w + " ORDER BY id DESC LIMIT 5"
			pl14Diff(t, e, a, fmt.Sprint(n), q)
			plan := explain(a, strings.ReplaceAll(q, "$T", "ns.m"))
			fr := planLine(plan, "fallback ranges: ")
			t.Logf("%d %s: fallback %v, %d bytes of ranges", n, w[:8], strings.Contains(plan, "fallback: index"), len(fr))
		}
	}
}
