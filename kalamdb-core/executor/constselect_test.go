package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestConstantSelectsAnswerAsPlanned: a SELECT of literals is planned on
// its first run and answered from the plan cache afterwards; every run
// gives exactly what the planner gives (column names, types, values),
// and statements that only look constant (a parameter, a function, a
// clause) are planned every time.
func TestConstantSelectsAnswerAsPlanned(t *testing.T) {
	long := strings.Repeat("x", 5000)
	cases := []struct {
		sql      string
		params   []any
		constant bool
	}{
		{"SELECT 1", nil, true},
		{"select 1", nil, true},
		{"SELECT 1 AS one, 'two' AS two, NULL AS n, true, false", nil, true},
		{"SELECT 2147483648, 9223372036854775807, 9223372036854775808", nil, true},
		{"SELECT 1.5, 1e3, 0.1", nil, true},
		{`SELECT 'ünï😀' AS "Mixed Case", ''`, nil, true},
		{"SELECT -1", nil, true},
		{"SELECT '" + long + "'", nil, false}, // kept answers are small
		{"SELECT $1", []any{7}, false},
		{"SELECT now() IS NOT NULL", nil, false},
		{"SELECT 1 WHERE false", nil, false},
		{"SELECT 1 LIMIT 0", nil, false},
		{"SELECT DISTINCT 1", nil, false},
		{"SELECT 1 AS a ORDER BY a", nil, false},
		{"SELECT 1/0", nil, false},
	}
	fast, slow := newEnvWith(t, false), newEnvWith(t, true)
	for _, c := range cases {
		want := describe(slow.root().exec(c.sql, c.params...))
		before := fast.db.Engine.FastPathStatements()
		for run := 1; run <= 3; run++ {
			if got := describe(fast.root().exec(c.sql, c.params...)); got != want {
				t.Errorf("%.60s, run %d:\n got  %s\n want %s", c.sql, run, got, want)
			}
		}
		kept := fast.db.Engine.FastPathStatements() - before
		if c.constant && kept != 2 {
			t.Errorf("%.60s: answered from the cache %d times of 3, want 2", c.sql, kept)
		}
		if !c.constant && kept != 0 {
			t.Errorf("%.60s: answered from the cache %d times, want planned every time", c.sql, kept)
		}
	}
}

// TestKeptConstantAnswersKeepTheRequestLimits: a kept answer larger than
// what is left of the request's result budget is not returned; the
// statement is planned and fails as it would have.
func TestKeptConstantAnswersKeepTheRequestLimits(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{MaxResultBytes: 100}, engine.Limits{})
	root := e.root()
	q := "SELECT '" + strings.Repeat("y", 60) + "' AS v"
	root.must(q)
	root.must(q)
	// Two results of ~60 bytes in one request pass its 100-byte budget.
	root.fails(apierror.ResourceLimitExceeded, q+"; "+q)
	root.must(q)
}

// TestKeptConstantAnswersAreCopies: what a caller does with its result
// does not change what the next caller gets.
func TestKeptConstantAnswersAreCopies(t *testing.T) {
	e := newEnvWith(t, false)
	root := e.root()
	root.must("SELECT 1 AS v")
	res := root.must("SELECT 1 AS v")
	res[0].Rows[0][0] = "changed"
	res[0].Schema[0].Name = "changed"
	if got := describe(root.exec("SELECT 1 AS v")); strings.Contains(got, "changed") {
		t.Fatalf("the kept answer changed: %s", got)
	}
}
