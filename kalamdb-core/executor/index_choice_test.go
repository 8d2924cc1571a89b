package executor_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// boundQuery is a statement over $T (ns.m, or ns.r without indexes) with
// its parameters, the index it must read, and the prefix its ranges must
// have (what binds the index's leading columns).
type boundQuery struct {
	q      string
	params []any
	index  string
	ranges string
}

// mostBoundQueries are statements without ORDER BY ... LIMIT over
// fallbackTables' ns.m (a_conv_id, a_conv_score, b_conv_created) whose
// WHERE binds more leading columns of b_conv_created (conv, then a range
// or points of created_at) than of a_conv_id (conv alone): each matches
// a few rows of a conversation of n.
func mostBoundQueries(n int) []boundQuery {
	v := func(d int) string { return fmt.Sprint(n - d) }
	created := "b_conv_created"
	return []boundQuery{
		{"SELECT id, conv, created_at, score, body FROM $T WHERE conv = 1 AND created_at > $1", []any{int64(n - 4)}, created, "[{[1, 1], (" + v(4) + ", ∞)"},
		{"SELECT id, created_at FROM $T WHERE created_at > " + v(4) + " AND conv = 1", nil, created, "[{[1, 1], (" + v(4) + ", ∞)"},
		{"SELECT id FROM $T WHERE conv = $1 AND created_at BETWEEN $2 AND $3", []any{int64(1), int64(n - 6), int64(n - 3)}, created, "[{[1, 1], [" + v(6) + ", " + v(3) + "]"},
		{"SELECT id FROM $T WHERE conv = 1 AND created_at IN (" + v(1) + ", " + v(5) + ", 17)", nil, created, "[{[1, 1], [17, 17]"},
		{"SELECT id FROM $T WHERE conv = 1 AND created_at IN ($1, $2)", []any{int64(n - 2), int64(n - 7)}, created, "[{[1, 1], [" + v(7) + ", " + v(7) + "]"},
		{"SELECT x.id FROM $T x WHERE x.conv = 1 AND x.created_at > " + v(4), nil, created, "[{[1, 1], (" + v(4) + ", ∞)"},
		// An ORDER BY without a LIMIT reads every row anyway: the fewest.
		{"SELECT id, created_at FROM $T WHERE conv = 1 AND created_at >= " + v(4) + " ORDER BY id DESC", nil, created, "[{[1, 1], [" + v(4) + ", ∞)"},
		{"SELECT count(*), max(id) FROM $T WHERE conv = 1 AND created_at < 5", nil, created, "[{[1, 1], (NULL, 5)"},
		// Equalities on both columns of b_conv_created beat the equality
		// on the leading column of a_conv_id.
		{"SELECT id, conv, created_at, score, body FROM $T WHERE conv = 1 AND created_at = $1", []any{int64(n - 9)}, created, "[{[1, 1], [" + v(9) + ", " + v(9) + "]"},
		{"SELECT id, score FROM $T WHERE score = 3 AND conv = 1 AND body <> 'b5'", nil, "a_conv_score", "[{[1, 1], [3, 3]"},
	}
}

// TestIndexChoiceBindsMost: without ORDER BY ... LIMIT, the index whose
// ranges bind the most leading columns is read (conv and created_at,
// not conv alone), whatever the parameters, with the plan cache and the
// fast path on and off; its ranges are the WHERE's, only the few rows of
// the range are fetched, and the answers are those of the table without
// indexes, hot and cold.
func TestIndexChoiceBindsMost(t *testing.T) {
	slowParallel(t)
	const n = 6000
	for _, slow := range []bool{true, false} {
		t.Run(fmt.Sprint("slow ", slow), func(t *testing.T) {
			t.Parallel() // each has its own environment
			e := newEnvWith(t, slow)
			a := fallbackTables(t, e, n)
			check := func(stage string) {
				t.Helper()
				for _, bq := range mostBoundQueries(n) {
					q := strings.ReplaceAll(bq.q, "$T", "ns.m")
					plan := explain(a, q, bq.params...)
					if !planUsesIndex(plan, bq.index, "") || !strings.HasPrefix(planLine(plan, "ranges: "), bq.ranges) {
						t.Fatalf("%s: %s %v: not read through %s with ranges %s...:\n%s", stage, q, bq.params, bq.index, bq.ranges, plan)
					}
					want := rowSet(a, strings.ReplaceAll(bq.q, "$T", "ns.r"), bq.params...)
					before := e.db.Engine.IndexRowsFetched()
					if got := rowSet(a, q, bq.params...); got != want {
						t.Fatalf("%s: %s %v: %s, want %s", stage, q, bq.params, got, want)
					}
					// A few rows match (a fifth of a conversation for score =
					// 3); the conversation has n.
					limit := int64(12)
					if bq.index == "a_conv_score" {
						limit = n / 4
					}
					if fetched := e.db.Engine.IndexRowsFetched() - before; fetched > limit {
						t.Fatalf("%s: %s %v: %d rows fetched through indexes, want at most %d", stage, q, bq.params, fetched, limit)
					}
				}
			}
			check("hot")
			runJob(t, e, "STORAGE FLUSH TABLE ns.m")
			runJob(t, e, "STORAGE FLUSH TABLE ns.r")
			check("cold")
		})
	}
}

// TestIndexChoiceByShape: the choice is the statement's shape's, not its
// parameters': the same text with a range holding the whole conversation
// and one holding nothing reads the same index, and a plan cached for
// one serves the other.
func TestIndexChoiceByShape(t *testing.T) {
	const n = 3000
	e := newEnv(t)
	a := fallbackTables(t, e, n)
	q := "SELECT id FROM ns.m WHERE conv = $1 AND created_at > $2"
	for _, after := range []int64{-1, n - 3, n + 10, n - 3} {
		plan := explain(a, q, int64(1), after)
		if !planUsesIndex(plan, "b_conv_created", "") {
			t.Fatalf("%s with created_at > %d: not read through b_conv_created:\n%s", q, after, plan)
		}
		want := rowSet(a, strings.Replace(q, "ns.m", "ns.r", 1), int64(1), after)
		if got := rowSet(a, q, int64(1), after); got != want {
			t.Fatalf("%s with created_at > %d: %s, want %s", q, after, got, want)
		}
	}
}

// TestIndexChoiceTies: where indexes bind the same leading columns the
// engine's own tie-break stands (conv alone: a_conv_id, the shortest;
// conv and a range on each of created_at and score: a_conv_score, whose
// name sorts first, not a_conv_id, which binds less); an equality or IN
// on the primary key leaves the choice to the engine, which reads the
// keys; a top-N by id still reads a_conv_id in order with its fallback.
func TestIndexChoiceTies(t *testing.T) {
	const n = 3000
	e := newEnvWith(t, true)
	a := fallbackTables(t, e, n)
	for _, c := range []struct{ q, index, exprs, ranges string }{
		{"SELECT id FROM ns.m WHERE conv = 1", "a_conv_id", "", "[{[1, 1], [NULL, ∞)}]"},
		{"SELECT id FROM ns.m WHERE conv = 1 AND body = 'b7'", "a_conv_id", "", "[{[1, 1], [NULL, ∞)}]"},
		{"SELECT id FROM ns.m WHERE conv = 1 AND created_at > 2990 AND score > 3", "a_conv_score", "", "[{[1, 1], (3, ∞), [NULL, ∞)}]"},
		{"SELECT id FROM ns.m WHERE id IN (5, 6) AND conv = 1 AND created_at > 0", "PRIMARY", "", "[{[5, 5]}, {[6, 6]}]"},
		{"SELECT id FROM ns.m WHERE id = 5 AND conv = 1 AND created_at = 3", "PRIMARY", "", "[{[5, 5]}]"},
		{"SELECT id FROM ns.m WHERE conv = 1 AND created_at > 2990 ORDER BY id DESC LIMIT 50", "a_conv_id", "", "[{[1, 1], [NULL, ∞)}]"},
	} {
		plan := explain(a, c.q)
		if !planUsesIndex(plan, c.index, c.exprs) || planLine(plan, "ranges: ") != c.ranges {
			t.Fatalf("%s: not read through %s with ranges %s:\n%s", c.q, c.index, c.ranges, plan)
		}
		if strings.Contains(c.q, "LIMIT") && (planSorts(plan) || !strings.Contains(plan, "fallback: index b_conv_created")) {
			t.Fatalf("%s: not read in order with a fallback:\n%s", c.q, plan)
		}
		if got, want := rowSet(a, c.q), rowSet(a, strings.Replace(c.q, "ns.m", "ns.r", 1)); got != want {
			t.Fatalf("%s: %s, want %s", c.q, got, want)
		}
	}
}

// rowSet is the rows of a query as JSON text, one row a line, sorted: a
// statement without ORDER BY returns them in the order its read finds
// them, which depends on the index read.
func rowSet(c *caller, q string, params ...any) string {
	c.e.t.Helper()
	res := c.must(q, params...)
	if len(res) != 1 {
		c.e.t.Fatalf("%s: %d results", q, len(res))
	}
	rows := make([]string, 0, len(res[0].Rows))
	for _, r := range res[0].Rows {
		raw, err := json.Marshal(r)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rows = append(rows, string(raw))
	}
	slices.Sort(rows)
	return strings.Join(rows, "\n")
}
