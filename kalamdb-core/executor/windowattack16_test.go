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

// attackTable is app.v: ORDER BY keys of every type, with ties and NULLs.
func attackTable(t *testing.T, c *caller) {
	t.Helper()
	c.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.v (id BIGINT PRIMARY KEY, d DECIMAL(10,2), f DOUBLE PRECISION, t TIMESTAMP, s TEXT, b BOOLEAN, x BIGINT)`)
	c.must(`INSERT INTO app.v VALUES (1,1.50,1.5,'2024-01-01 00:00:00','a',true,1),(2,1.50,'NaN','2024-01-01 00:00:00','a',false,2),(3,2.00,'NaN','2024-01-02 00:00:00','b',true,4),(4,NULL,NULL,NULL,NULL,NULL,8),(5,NULL,NULL,NULL,NULL,NULL,16),(6,2.00,1.5,'2024-01-02 00:00:00','b',true,32)`)
}

func checkRows(t *testing.T, c *caller, cases []struct{ q, want string }) {
	t.Helper()
	for _, k := range cases {
		if got := c.rows(k.q); got != k.want {
			t.Errorf("%s\n got  %s\n want %s", k.q, got, k.want)
		}
	}
}

// TestWindowPeersOfEveryType: RANGE CURRENT ROW (and the default frame
// with ORDER BY) makes equal ORDER BY values peers, whatever their type.
// Every answer is PostgreSQL 15's.
func TestWindowPeersOfEveryType(t *testing.T) {
	root := newEnv(t).root()
	attackTable(t, root)
	checkRows(t, root, []struct{ q, want string }{
		{"SELECT id, sum(x) OVER (ORDER BY d) FROM app.v ORDER BY id", `[[1,3],[2,3],[3,39],[4,63],[5,63],[6,39]]`},
		{"SELECT id, sum(x) OVER (ORDER BY t) FROM app.v ORDER BY id", `[[1,3],[2,3],[3,39],[4,63],[5,63],[6,39]]`},
		{"SELECT id, sum(x) OVER (ORDER BY s RANGE BETWEEN CURRENT ROW AND CURRENT ROW) FROM app.v ORDER BY id", `[[1,3],[2,3],[3,36],[4,24],[5,24],[6,36]]`},
		{"SELECT id, count(*) OVER (ORDER BY d DESC NULLS LAST) FROM app.v ORDER BY id", `[[1,4],[2,4],[3,2],[4,6],[5,6],[6,2]]`},
		{"SELECT id, sum(x) OVER (ORDER BY b) FROM app.v ORDER BY id", `[[1,39],[2,2],[3,39],[4,63],[5,63],[6,39]]`},
		{"SELECT id, sum(x) OVER (ORDER BY f) FROM app.v ORDER BY id", `[[1,33],[2,39],[3,39],[4,63],[5,63],[6,33]]`},
		{"SELECT id, sum(x) OVER (PARTITION BY f), rank() OVER (ORDER BY d), dense_rank() OVER (ORDER BY d DESC), percent_rank() OVER (ORDER BY d), sum(x) OVER (PARTITION BY d ORDER BY f RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM app.v ORDER BY id",
			`[[1,33,1,3,0,3],[2,6,1,3,0,2],[3,6,3,2,0.4,4],[4,24,5,1,0.8,24],[5,24,5,1,0.8,24],[6,33,3,2,0.4,36]]`},
	})
}

// TestWindowsDifferingInNullOrder: two windows of one SELECT that differ
// only in NULLS FIRST or LAST are two orders. The engine grouped the
// functions of one partitioning and order by a key that left the NULL
// ordering out, and computed the second window in the first one's order.
// Every answer is PostgreSQL 15's.
func TestWindowsDifferingInNullOrder(t *testing.T) {
	root := newEnv(t).root()
	windowTable(t, root)
	checkRows(t, root, []struct{ q, want string }{
		{"SELECT id, row_number() OVER (ORDER BY x NULLS FIRST), row_number() OVER (ORDER BY x NULLS LAST) FROM app.w ORDER BY id",
			`[[1,5,4],[2,3,2],[3,7,6],[4,2,1],[5,4,3],[6,6,5],[7,1,7]]`},
		{"SELECT id, sum(x) OVER (ORDER BY x NULLS FIRST), count(*) OVER (ORDER BY x NULLS LAST) FROM app.w ORDER BY id",
			`[[1,13,4],[2,4,2],[3,30,6],[4,1,1],[5,8,3],[6,21,5],[7,null,7]]`},
		{"SELECT id, sum(x) OVER (ORDER BY x NULLS FIRST), sum(x) OVER (ORDER BY x NULLS LAST), sum(x) OVER (ORDER BY x DESC), sum(x) OVER (ORDER BY x DESC NULLS LAST) FROM app.w ORDER BY id",
			`[[1,13,13,22,22],[2,4,4,29,29],[3,30,30,9,9],[4,1,1,30,30],[5,8,8,26,26],[6,21,21,17,17],[7,null,30,null,30]]`},
		{"SELECT id, sum(x) OVER (ORDER BY x NULLS FIRST) + 0, sum(x) OVER (ORDER BY x NULLS LAST) + 0 FROM app.w ORDER BY id",
			`[[1,13,13],[2,4,4],[3,30,30],[4,1,1],[5,8,8],[6,21,21],[7,null,30]]`},
	})
}

// TestWindowFrameOffsetsAndNesting: frame offsets are bigints as in
// PostgreSQL (a numeric one is rounded, one beyond bigint is an error,
// and a window function's frame is checked even though it ignores it),
// and a window function inside another's arguments, FILTER or window
// definition is refused in PostgreSQL's words, not with an engine
// message. Every answer is PostgreSQL 15's.
func TestWindowFrameOffsetsAndNesting(t *testing.T) {
	root := newEnv(t).root()
	windowTable(t, root)
	checkRows(t, root, []struct{ q, want string }{
		{"SELECT id, sum(x) OVER (ORDER BY id ROWS 0.5 PRECEDING), sum(x) OVER (ORDER BY id ROWS BETWEEN 0.4 PRECEDING AND 1.5 FOLLOWING) FROM app.w ORDER BY id",
			`[[1,5,17],[2,8,13],[3,12,14],[4,10,13],[5,5,12],[6,12,8],[7,8,null]]`},
		{"SELECT id, sum(x) OVER (ORDER BY id ROWS BETWEEN -0.4 PRECEDING AND CURRENT ROW), sum(x) OVER (ORDER BY id ROWS 1e3 PRECEDING) FROM app.w ORDER BY id",
			`[[1,5,5],[2,3,8],[3,9,17],[4,1,18],[5,4,22],[6,8,30],[7,null,30]]`},
	})
	for q, want := range map[string]string{
		"SELECT lag(x) OVER (ORDER BY id ROWS -1 PRECEDING) FROM app.w":            "frame starting offset must not be negative",
		"SELECT sum(row_number() OVER ()) OVER () FROM app.w":                      "window function calls cannot be nested",
		"SELECT sum(x) FILTER (WHERE row_number() OVER () > 1) OVER () FROM app.w": "window function calls cannot be nested",
		"SELECT sum(x) OVER (ORDER BY row_number() OVER ()) FROM app.w":            "window function calls cannot be nested",
		"SELECT sum(x) OVER (PARTITION BY sum(x) OVER ()) FROM app.w":              "window function calls cannot be nested",
		"SELECT lag(x) OVER (ORDER BY lead(x) OVER ()) FROM app.w":                 "window function calls cannot be nested",
	} {
		if err := root.fails(apierror.InvalidSQL, q); !strings.Contains(err.Message, want) {
			t.Errorf("%s: %q, want %q", q, err.Message, want)
		}
	}
	// An offset past bigint is a run-time error in PostgreSQL.
	for _, q := range []string{
		"SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 99999999999999999999999 FOLLOWING) FROM app.w",
		"SELECT sum(x) OVER (ORDER BY id ROWS 9223372036854775808 PRECEDING) FROM app.w",
	} {
		if err := root.fails(apierror.SQLExecutionError, q); err.Message != "bigint out of range" {
			t.Errorf("%s: %q, want bigint out of range", q, err.Message)
		}
	}
}

// TestSameWindowFunctionTwice: one window function written twice in a
// SELECT (the same aggregate over the same window, alone or in
// expressions) is computed once and read twice. The engine's planner kept
// one of them in its window node but left the other's column to the
// projection, which failed with "unable to find field with index 11".
// Every answer is PostgreSQL 15's.
func TestSameWindowFunctionTwice(t *testing.T) {
	root := newEnv(t).root()
	windowTable(t, root)
	checkRows(t, root, []struct{ q, want string }{
		{"SELECT id, sum(x) OVER (ORDER BY id), sum(x) OVER (ORDER BY id) FROM app.w ORDER BY id",
			`[[1,5,5],[2,8,8],[3,17,17],[4,18,18],[5,22,22],[6,30,30],[7,30,30]]`},
		{"SELECT id, sum(x) OVER w, sum(x) OVER w FROM app.w WINDOW w AS (ORDER BY id ROWS 1 PRECEDING) ORDER BY id",
			`[[1,5,5],[2,8,8],[3,12,12],[4,10,10],[5,5,5],[6,12,12],[7,8,8]]`},
		{"SELECT id, sum(x) OVER (ORDER BY id ROWS 1 PRECEDING) - sum(x) OVER (ORDER BY id ROWS 2 PRECEDING), sum(x) OVER (ORDER BY id ROWS 2 PRECEDING) FROM app.w ORDER BY id",
			`[[1,0,5],[2,0,8],[3,-5,17],[4,-3,13],[5,-9,14],[6,-1,13],[7,-4,12]]`},
		{"SELECT id, count(x) OVER (ORDER BY id) + 1, count(x) OVER (ORDER BY id) + 2 FROM app.w ORDER BY id",
			`[[1,2,3],[2,3,4],[3,4,5],[4,5,6],[5,6,7],[6,7,8],[7,7,8]]`},
		{"SELECT id, row_number() OVER (ORDER BY id), row_number() OVER (ORDER BY id) FROM app.w ORDER BY id",
			`[[1,1,1],[2,2,2],[3,3,3],[4,4,4],[5,5,5],[6,6,6],[7,7,7]]`},
	})
}

// TestManyWindowsStopAtTheTimeLimit: each window of a SELECT sorts its
// own copy of the rows before computing anything, in a loop that never
// looked at the context: fifty windows over 100,000 rows ran 71 s under
// a 30 s limit (41 s past it). The sort keys now fail once the statement
// is stopped, and the statement fails with its time limit, after which
// the user is served again.
func TestManyWindowsStopAtTheTimeLimit(t *testing.T) {
	_, _, alice := newEnvAliceLimited(t)
	from, n := numberedRows(50000)
	wins := make([]string, 20)
	for k := range wins {
		wins[k] = fmt.Sprintf("sum(v) OVER (ORDER BY v %% %d, v DESC ROWS 1 PRECEDING) AS s%d", k+2, k)
	}
	q := fmt.Sprintf("SELECT count(*), max(s0) FROM (SELECT %s FROM (SELECT %s AS v FROM %s) t) s", strings.Join(wins, ", "), n, from)
	withinMinutes(t, "twenty windows over 50,000 rows", func() {
		alice.failsNaming(apierror.QueryTimeout, "1s", q)
	})
	if got := alice.rows("SELECT 1"); got != `[[1]]` {
		t.Fatalf("after the timeout: %s", got)
	}
}

// TestWindowRowCopiesAreCharged: each window order of a SELECT sorts its
// own copy of every row, which was never charged to the statement's
// memory budget: twenty windows over 100,000 rows held about 130 MB of
// copies (a row slice, its position, the slice header, per row and
// window) under a 64 MB budget, and a plain user could multiply it with
// more windows and wider rows. One window still runs.
func TestWindowRowCopiesAreCharged(t *testing.T) {
	slowParallel(t)
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{StatementMemoryBytes: 64 << 20, Timeout: engine.Timeouts{Default: time.Hour}})
	root := e.root()
	from, number := numberedRows(100000)
	query := func(n int) string {
		wins := make([]string, n)
		for k := range wins {
			wins[k] = fmt.Sprintf("count(*) OVER (ORDER BY v + %d) AS s%d", k, k)
		}
		return fmt.Sprintf("SELECT count(*), max(s0) FROM (SELECT %s FROM (SELECT %s AS v FROM %s) t) s", strings.Join(wins, ", "), number, from)
	}
	if got := root.rows(query(1)); got != `[[100000,100000]]` {
		t.Errorf("one window: %s", got)
	}
	root.failsNaming(apierror.ResourceLimitExceeded, "statement_memory_bytes", query(20))
}

// TestOrderByAWindowOfTheSelectList: ORDER BY a window function (or an
// expression of one) that the select list also computes orders by that
// column. The engine's planner found the two equal and failed with
// "ambiguous column or alias name". Every answer is PostgreSQL 15's.
func TestOrderByAWindowOfTheSelectList(t *testing.T) {
	root := newEnv(t).root()
	windowTable(t, root)
	checkRows(t, root, []struct{ q, want string }{
		{"SELECT id, sum(x) OVER w FROM app.w WINDOW w AS (ORDER BY id ROWS 1 PRECEDING) ORDER BY sum(x) OVER w DESC NULLS LAST, id LIMIT 3",
			`[[3,12],[6,12],[4,10]]`},
		{"SELECT id, sum(x) OVER (ORDER BY id) AS r FROM app.w ORDER BY sum(x) OVER (ORDER BY id) DESC, id LIMIT 3",
			`[[6,30],[7,30],[5,22]]`},
		{"SELECT id, row_number() OVER (ORDER BY x DESC NULLS LAST) FROM app.w ORDER BY row_number() OVER (ORDER BY x DESC NULLS LAST)",
			`[[3,1],[6,2],[1,3],[5,4],[2,5],[4,6],[7,7]]`},
		{"SELECT id, sum(x) OVER (ORDER BY id) + 1 FROM app.w ORDER BY sum(x) OVER (ORDER BY id) + 1 DESC, id LIMIT 2",
			`[[6,31],[7,31]]`},
		{"SELECT id, sum(x) OVER (ORDER BY id) FROM app.w ORDER BY sum(x) OVER (ORDER BY id ROWS 1 PRECEDING), id LIMIT 3",
			`[[1,5],[5,22],[2,8]]`},
	})
}
