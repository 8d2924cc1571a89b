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

// windowTable is app.w, the rows every window test below reads.
func windowTable(t *testing.T, c *caller) {
	t.Helper()
	c.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.w (id BIGINT PRIMARY KEY, g BIGINT, n BIGINT, m BIGINT, x BIGINT, d DECIMAL(10,2), s TEXT)`)
	c.must(`INSERT INTO app.w VALUES (1,1,1,1,5,1.25,'a'), (2,1,2,1,3,2.50,'b'), (3,1,2,2,9,NULL,'c'), (4,1,3,1,1,0.10,NULL),
		(5,2,1,1,4,3.00,'e'), (6,2,1,1,8,1.00,'f'), (7,2,2,1,NULL,2.25,'g')`)
}

// TestWindowAggregatesAndFrames: every KalamDB aggregate runs as a
// window function (sum(x) OVER (...) was UNSUPPORTED), over PostgreSQL's
// default frames and explicit ROWS frames, and RANGE frames bounded by
// UNBOUNDED and CURRENT ROW (peers on every ORDER BY key). Every answer is
// PostgreSQL 15's (numeric averages print as KalamDB's exact decimals).
func TestWindowAggregatesAndFrames(t *testing.T) {
	root := newEnv(t).root()
	windowTable(t, root)
	for _, c := range []struct{ q, want string }{
		{"SELECT id, sum(x) OVER (PARTITION BY g ORDER BY n), sum(x) OVER (PARTITION BY g), sum(d) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM app.w ORDER BY id",
			`[[1,5,18,"3.75"],[2,17,18,"3.75"],[3,17,18,"2.60"],[4,18,18,"3.10"],[5,12,12,"4.10"],[6,12,12,"6.25"],[7,12,12,"3.25"]]`},
		{"SELECT id, count(x) OVER (ORDER BY n, m RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING), max(x) OVER (ORDER BY n, id ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING), min(x) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING) FROM app.w ORDER BY id",
			`[[1,6,null,3],[2,3,8,1],[3,2,8,1],[4,1,9,null],[5,6,5,8],[6,6,5,null],[7,3,9,null]]`},
		{"SELECT id, string_agg(s, '-') OVER (PARTITION BY g ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING), bool_and(x > 2) OVER (ORDER BY id), stddev_samp(x) OVER (PARTITION BY g) FROM app.w ORDER BY id",
			`[[1,"a-b",true,3.415650255319866],[2,"a-b-c",true,3.415650255319866],[3,"a-b-c",true,3.415650255319866],[4,"a-b-c",false,3.415650255319866],[5,"e-f",false,2.8284271247461903],[6,"e-f-g",false,2.8284271247461903],[7,"e-f-g",false,2.8284271247461903]]`},
		{"SELECT id, sum(x) FILTER (WHERE n > 1) OVER (PARTITION BY g ORDER BY id), count(*) FILTER (WHERE x IS NULL) OVER (), avg(d) OVER (PARTITION BY g ORDER BY n RANGE CURRENT ROW) FROM app.w ORDER BY id",
			`[[1,null,1,"1.25000000000000000000"],[2,3,1,"2.5000000000000000"],[3,12,1,"2.5000000000000000"],[4,13,1,"0.10000000000000000000"],[5,null,1,"2.0000000000000000"],[6,null,1,"2.0000000000000000"],[7,null,1,"2.2500000000000000"]]`},
		// Two windows of one aggregate in one expression each: the engine
		// named both columns by the aggregate's text and gave the second
		// the first one's values.
		{"SELECT id, sum(x) OVER (ORDER BY id) - sum(x) OVER (ORDER BY id ROWS 1 PRECEDING), coalesce(sum(x) OVER (ORDER BY id ROWS BETWEEN 3 FOLLOWING AND 2 FOLLOWING), -1) FROM app.w ORDER BY id",
			`[[1,0,-1],[2,0,-1],[3,5,-1],[4,8,-1],[5,17,-1],[6,18,-1],[7,22,-1]]`},
		// Ranking functions ignore a frame, as in PostgreSQL.
		{"SELECT g, id, rank() OVER (PARTITION BY g ORDER BY x ROWS 1 PRECEDING), array_agg(x) OVER (PARTITION BY g ORDER BY x DESC NULLS LAST ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM app.w ORDER BY id",
			`[[1,1,3,[5,3,1]],[1,2,2,[3,1]],[1,3,4,[9,5,3,1]],[1,4,1,[1]],[2,5,1,[4,null]],[2,6,2,[8,4,null]],[2,7,3,[null]]]`},
		{"SELECT * FROM (SELECT id, sum(x) OVER (ORDER BY id) AS run FROM app.w) t WHERE run > 17 ORDER BY id",
			`[[4,18],[5,22],[6,30],[7,30]]`},
		// An offset beyond 32 bits frames as a large one does.
		{"SELECT id, sum(x) OVER (ORDER BY id ROWS BETWEEN 9223372036854775807 PRECEDING AND CURRENT ROW) FROM app.w WHERE id < 4 ORDER BY id",
			`[[1,5],[2,8],[3,17]]`},
		{"SELECT sum(x) OVER () FROM app.w WHERE false", `[]`},
	} {
		if got := root.rows(c.q); got != c.want {
			t.Errorf("%s\n got  %s\n want %s", c.q, got, c.want)
		}
	}
	// A sum that overflows fails the statement, in PostgreSQL's words.
	err := root.fails(apierror.SQLExecutionError, "SELECT sum(x * 4611686018427387904) OVER (ORDER BY id) FROM app.w")
	if !strings.Contains(err.Message, "bigint out of range") {
		t.Errorf("overflow: %q", err.Message)
	}
}

// TestWindowFrameRefusals: what PostgreSQL refuses is INVALID_SQL or
// UNSUPPORTED in its words, and the frames KalamDB does not run (offsets
// that are expressions or parameters) are UNSUPPORTED, never run with
// another meaning.
func TestWindowFrameRefusals(t *testing.T) {
	root := newEnv(t).root()
	windowTable(t, root)
	for q, want := range map[string]string{
		"SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM app.w":   "frame starting offset must not be negative",
		"SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN NULL PRECEDING AND CURRENT ROW) FROM app.w": "frame starting offset must not be null",
		"SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND 1 PRECEDING) FROM app.w":    "frame starting from current row cannot have preceding rows",
		"SELECT sum(x) OVER (ORDER BY id ROWS UNBOUNDED FOLLOWING) FROM app.w":                    "frame start cannot be UNBOUNDED FOLLOWING",
	} {
		if err := root.fails(apierror.InvalidSQL, q); !strings.Contains(err.Message, want) {
			t.Errorf("%s: %q, want %q", q, err.Message, want)
		}
	}
	for q, want := range map[string]string{
		"SELECT sum(DISTINCT x) OVER (ORDER BY id) FROM app.w":                                     "DISTINCT is not implemented for window functions",
		"SELECT sum(x ORDER BY x) OVER (ORDER BY id) FROM app.w":                                   "aggregate ORDER BY is not implemented for window functions",
		"SELECT row_number() FILTER (WHERE x > 1) OVER (ORDER BY id) FROM app.w":                   "FILTER is not implemented for non-aggregate window functions",
		"SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN 1 + 1 PRECEDING AND CURRENT ROW) FROM app.w": "a frame offset must be a constant",
		"SELECT g, sum(sum(x)) OVER (ORDER BY g) FROM app.w GROUP BY g":                            "subquery",
		"SELECT g, max(count(*)) OVER (ORDER BY g) FROM app.w GROUP BY g":                          "subquery",
		"SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN $1 PRECEDING AND CURRENT ROW) FROM app.w":    "a frame offset must be a constant",
	} {
		if err := root.fails(apierror.Unsupported, q, int64(1)); !strings.Contains(err.Message, want) {
			t.Errorf("%s: %q, want %q", q, err.Message, want)
		}
	}
	// The suggested form of a window over groups works.
	if got := root.rows("SELECT g, sum(t) OVER (ORDER BY g) FROM (SELECT g, sum(x) AS t FROM app.w GROUP BY g) s ORDER BY g"); got != `[[1,18],[2,30]]` {
		t.Errorf("window over a grouped subquery: %s", got)
	}
}

// TestNamedWindows: the WINDOW clause (it was UNSUPPORTED), with
// PostgreSQL's rules for basing one window on another; names belong to
// one query level. Every answer and message is PostgreSQL 15's.
func TestNamedWindows(t *testing.T) {
	root := newEnv(t).root()
	windowTable(t, root)
	for _, c := range []struct{ q, want string }{
		{"SELECT id, sum(x) OVER w, count(*) OVER w FROM app.w WINDOW w AS (PARTITION BY g ORDER BY id) ORDER BY id",
			`[[1,5,1],[2,8,2],[3,17,3],[4,18,4],[5,4,1],[6,12,2],[7,12,3]]`},
		{"SELECT id, sum(x) OVER (w ROWS 1 PRECEDING), max(x) OVER (w) FROM app.w WINDOW w AS (ORDER BY id) ORDER BY id",
			`[[1,5,5],[2,8,5],[3,12,9],[4,10,9],[5,5,9],[6,12,9],[7,8,9]]`},
		{"SELECT id, sum(x) OVER (w ORDER BY id) FROM app.w WINDOW w AS (PARTITION BY g) ORDER BY id",
			`[[1,5],[2,8],[3,17],[4,18],[5,4],[6,12],[7,12]]`},
		{"SELECT id, sum(x) OVER w2 FROM app.w WINDOW w1 AS (PARTITION BY g), w2 AS (w1 ORDER BY n, id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) ORDER BY id",
			`[[1,8],[2,17],[3,13],[4,10],[5,12],[6,12],[7,8]]`},
		{"SELECT id, sum(x) OVER w FROM app.w WINDOW w AS (ORDER BY id ROWS 1 PRECEDING) ORDER BY id",
			`[[1,5],[2,8],[3,12],[4,10],[5,5],[6,12],[7,8]]`},
		// ORDER BY repeating a window function of the select list (the
		// engine refused it as an ambiguous name).
		{"SELECT id, sum(x) OVER w FROM app.w WINDOW w AS (ORDER BY id) ORDER BY sum(x) OVER w DESC, id",
			`[[6,30],[7,30],[5,22],[4,18],[3,17],[2,8],[1,5]]`},
		{"SELECT id, row_number() OVER (ORDER BY id) FROM app.w ORDER BY row_number() OVER (ORDER BY id) DESC LIMIT 2",
			`[[7,7],[6,6]]`},
		{"SELECT id, sum(x) OVER w FROM app.w WHERE id < 3 WINDOW w AS (ORDER BY id) UNION ALL SELECT id, sum(x) OVER w FROM app.w WHERE id > 5 WINDOW w AS (ORDER BY id DESC) ORDER BY 1",
			`[[1,5],[2,8],[6,8],[7,null]]`},
	} {
		if got := root.rows(c.q); got != c.want {
			t.Errorf("%s\n got  %s\n want %s", c.q, got, c.want)
		}
	}
	for q, want := range map[string]string{
		"SELECT sum(x) OVER (w) FROM app.w WINDOW w AS (ORDER BY id ROWS 1 PRECEDING)":              `cannot copy window "w" because it has a frame clause`,
		"SELECT sum(x) OVER (w ORDER BY n) FROM app.w WINDOW w AS (ORDER BY id)":                    `cannot override ORDER BY clause of window "w"`,
		"SELECT sum(x) OVER (w PARTITION BY n) FROM app.w WINDOW w AS (ORDER BY id)":                `cannot override PARTITION BY clause of window "w"`,
		"SELECT sum(x) OVER nope FROM app.w":                                                        `window "nope" does not exist`,
		"SELECT id FROM app.w WINDOW w AS (ORDER BY id), w AS (ORDER BY n)":                         `window "w" is already defined`,
		"SELECT id, (SELECT sum(x) OVER w FROM app.w LIMIT 1) FROM app.w WINDOW w AS (ORDER BY id)": `window "w" does not exist`,
	} {
		if err := root.fails(apierror.InvalidSQL, q); !strings.Contains(err.Message, want) {
			t.Errorf("%s: %q, want %q", q, err.Message, want)
		}
	}
}

// TestWindowAggregateFramesAreBounded: a running sum over 100,000 rows is
// computed once per row (a buffer fed only the rows each frame adds), and
// a frame that slides (CURRENT ROW to the partition's end: quadratic)
// stops at the statement's time limit.
func TestWindowAggregateFramesAreBounded(t *testing.T) {
	slowParallel(t)
	_, root, alice := newEnvAliceLimited(t)
	from, n := numberedRows(100000)
	window := func(over string) string {
		return fmt.Sprintf("SELECT count(*), max(w) FROM (SELECT sum(%s) OVER (%s) w FROM %s) s", n, strings.ReplaceAll(over, "{n}", n), from)
	}
	withinMinutes(t, "window sums over 100,000 rows", func() {
		if got := root.rows(window("ORDER BY {n}")); got != `[[100000,4999950000]]` {
			t.Errorf("running sum: %s", got)
		}
		alice.failsNaming(apierror.QueryTimeout, "1s", window("ORDER BY {n} ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING"))
	})
	if got := alice.rows("SELECT 1"); got != `[[1]]` {
		t.Fatalf("after the timeout: %s", got)
	}
}

// TestSlidingWindowFramesGiveBackMemory: a sliding frame replaces its
// aggregation buffer on every row; each buffer's rows are charged to the
// statement's memory budget, and were never given back, so a 3-row
// string_agg over 20,000 rows (about 2 MB at any moment) was refused
// under a 16 MB budget after charging every row three times over. The
// whole partition in one string_agg per row is still refused. (The
// budget is 20 MB: the window's results, about 12 MB, and its sorted copy
// of the rows, now charged, fill most of 16.)
func TestSlidingWindowFramesGiveBackMemory(t *testing.T) {
	slowParallel(t)
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{StatementMemoryBytes: 20 << 20, Timeout: engine.Timeouts{Default: time.Hour}})
	root := e.root()
	rows, n := numberedRows(20000)
	q := fmt.Sprintf("SELECT count(*), max(length(w)) FROM (SELECT string_agg(repeat('x', 200) || (%s)::text, ',') OVER (ORDER BY %s ROWS 2 PRECEDING) w FROM %s) s", n, n, rows)
	if got := root.rows(q); got != `[[20000,617]]` {
		t.Errorf("sliding string_agg: %s", got)
	}
	root.failsNaming(apierror.ResourceLimitExceeded, "statement_memory_bytes",
		strings.Replace(q, "ROWS 2 PRECEDING", "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING", 1))
}
