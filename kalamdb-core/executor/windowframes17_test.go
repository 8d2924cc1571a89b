package executor_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestSlidingFramesStayLinear: a sliding frame of 10,001 rows over 20,000
// rows (ROWS, RANGE and GROUPS offsets, with EXCLUDE too) costs one step
// per row for count, and sum and avg of integers, which take the rows the
// frame leaves out of their buffer, and for min and max (a monotonic
// deque); recomputing each frame was 10^8 steps per aggregate. A frame that must be recomputed for every row (a
// float sum from the current row to the partition's end: quadratic)
// stops at the statement's time limit. Answers: the frame of the last
// row is 9,999..19,999, whose sum is 10,001 * 14,999 = 150,004,999.
func TestSlidingFramesStayLinear(t *testing.T) {
	slowParallel(t)
	_, root, alice := newEnvAliceLimited(t)
	from, n := numberedRows(20000)
	window := func(fn, frame string) string {
		return fmt.Sprintf("SELECT count(*), max(w) FROM (SELECT %s OVER (ORDER BY %s %s) w FROM %s) s", strings.ReplaceAll(fn, "{n}", n), n, frame, from)
	}
	withinMinutes(t, "sliding window sums over 20,000 rows", func() {
		for _, c := range []struct{ fn, frame, want string }{
			{"sum({n})", "ROWS 10000 PRECEDING", `[[20000,150004999]]`},
			{"sum({n})", "RANGE 10000 PRECEDING EXCLUDE CURRENT ROW", `[[20000,149985000]]`},
			{"count(*)", "GROUPS BETWEEN 5000 PRECEDING AND 5000 FOLLOWING", `[[20000,10001]]`},
			{"avg({n})", "ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING", `[[20000,19999]]`},
			{"min({n})", "ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING", `[[20000,19999]]`},
			{"max(-({n}))", "RANGE BETWEEN 5000 FOLLOWING AND 10000 FOLLOWING", `[[20000,-5000]]`},
		} {
			if got := root.rows(window(c.fn, c.frame)); got != c.want {
				t.Errorf("%s OVER (... %s): %s, want %s", c.fn, c.frame, got, c.want)
			}
		}
		alice.failsNaming(apierror.QueryTimeout, "1s", window("sum(({n})::float8)", "ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING"))
	})
	if got := alice.rows("SELECT 1"); got != `[[1]]` {
		t.Fatalf("after the timeout: %s", got)
	}
}

// TestExcludedFramesGiveBackMemory: a frame with EXCLUDE computes an
// aggregate that cannot take rows out (string_agg) in a buffer of its own
// per row, and a RANGE offset frame replaces its buffer as it slides;
// each buffer is given back to the statement's memory budget, so a
// 3-row string_agg over 20,000 rows runs under 20 MB (as in
// TestSlidingWindowFramesGiveBackMemory), and the whole partition in one
// string_agg per row is still refused.
func TestExcludedFramesGiveBackMemory(t *testing.T) {
	slowParallel(t)
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{StatementMemoryBytes: 20 << 20, Timeout: engine.Timeouts{Default: time.Hour}})
	root := e.root()
	rows, n := numberedRows(20000)
	query := func(frame string) string {
		return fmt.Sprintf("SELECT count(*), max(length(w)) FROM (SELECT string_agg(repeat('x', 200) || (%s)::text, ',') OVER (ORDER BY %s %s) w FROM %s) s", n, n, frame, rows)
	}
	for frame, want := range map[string]string{
		"ROWS BETWEEN 3 PRECEDING AND CURRENT ROW EXCLUDE CURRENT ROW": `[[20000,617]]`,
		"RANGE 2 PRECEDING": `[[20000,617]]`,
		"GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE TIES": `[[20000,617]]`,
	} {
		if got := root.rows(query(frame)); got != want {
			t.Errorf("%s: %s, want %s", frame, got, want)
		}
	}
	root.failsNaming(apierror.ResourceLimitExceeded, "statement_memory_bytes",
		query("ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW"))
}

// TestWindowFramesOfRowsFunctions: first_value, last_value and nth_value
// follow the frame (they were refused with one), and a sum that a
// sliding frame's retraction would overflow on the way is still right.
// Every answer is PostgreSQL 15's.
func TestWindowFramesOfRowsFunctions(t *testing.T) {
	root := newEnv(t).root()
	windowTable(t, root)
	checkRows(t, root, []struct{ q, want string }{
		{"SELECT id, first_value(x) OVER w, last_value(x) OVER w, nth_value(x, 2) OVER w FROM app.w WINDOW w AS (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) ORDER BY id",
			`[[1,5,3,3],[2,5,9,3],[3,3,1,9],[4,9,4,1],[5,1,8,4],[6,4,null,8],[7,8,null,null]]`},
		// The frame of id 4 drops ids 1 and 2: taking out -max and then
		// max went past BIGINT on the way, and the frame is summed afresh.
		{"SELECT id, sum(v) OVER (ORDER BY k RANGE 1 PRECEDING) FROM (VALUES (1, 1, -9223372036854775807), (2, 1, 9223372036854775807), (3, 2, 9223372036854775807), (4, 3, -9223372036854775807)) t(id, k, v) ORDER BY id",
			`[[1,0],[2,0],[3,9223372036854775807],[4,0]]`},
	})
}
