package executor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// crossJoin is a statement that reads n^4 generated rows: no table, so
// only the engine's own operators see them (VALUES, a cross join, a
// grouping). With n = 200 that is 1.6 billion rows, minutes of work.
func crossJoin(n int) string {
	rows := strings.TrimSuffix(strings.Repeat("(1),", n), ",")
	v := "(VALUES " + rows + ")"
	return fmt.Sprintf("SELECT COUNT(*) FROM %s a(x), %s b(x), %s c(x), %s d(x)", v, v, v, v)
}

// failsNaming runs SQL that must fail with code and a message that
// contains want (the limit it names, or why).
func (c *caller) failsNaming(code apierror.Code, want, sqlText string) {
	c.e.t.Helper()
	if ae := c.fails(code, sqlText); !strings.Contains(ae.Message, want) {
		c.e.t.Errorf("%.80s: message %q does not contain %q", sqlText, ae.Message, want)
	}
}

// execCtx runs sql as c under ctx.
func (c *caller) execCtx(ctx context.Context, sqlText string) ([]executor.Result, error) {
	return c.e.db.Executor.Execute(ctx, executor.Request{UserID: c.user, Role: c.role, SQL: sqlText, Namespace: c.ns})
}

func TestRegexpRunsInLinearTime(t *testing.T) {
	e := newEnv(t)
	alice := e.as("alice", systable.RoleUser)
	// A backtracking engine takes time exponential in the length of the
	// text for these; RE2 answers at once. The deadline only keeps a
	// regression from hanging the test run.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for q, want := range map[string]string{
		"SELECT regexp_like(repeat('a', 100000), '(a*)*b')":                                        `[[false]]`,
		"SELECT repeat('a', 100000) ~ '(a|aa)*c', repeat('a', 100000) ~* '(x+x+)+y'":               `[[false,false]]`,
		"SELECT repeat('a', 100000) !~ '(a*)*b'":                                                   `[[true]]`,
		"SELECT regexp_count(repeat('a', 100000), '(a*)*b')":                                       `[[0]]`,
		"SELECT length(regexp_replace(repeat('a', 100000), '(a|aa)*$', 'x'))":                      `[[1]]`,
		"SELECT length(regexp_replace(repeat('ab', 50000), '(a|b)', 'x', 'g'))":                    `[[100000]]`,
		"SELECT regexp_like('', ''), 'abc' ~ '', regexp_replace('abc', '', '-')":                   `[[true,true,"-abc"]]`,
		"SELECT regexp_like('CamelCase', 'camelcase'), regexp_like('CamelCase', 'camelcase', 'i')": `[[false,true]]`,
	} {
		res, err := alice.execCtx(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got := rowsJSON(t, res); got != want {
			t.Errorf("%s = %s, want %s", q, got, want)
		}
	}
	// RE2 semantics: what needs backtracking is refused, not run.
	for _, q := range []string{
		`SELECT regexp_like('aa', '(a)\1')`,
		"SELECT 'ab' ~ 'a(?=b)'",
		"SELECT regexp_like('ab', 'a(?<=a)b')",
	} {
		alice.failsNaming(apierror.Unsupported, "linear time", q)
	}
	// A possessive quantifier is no regular expression to PostgreSQL either.
	alice.failsNaming(apierror.SQLExecutionError, "invalid regular expression: quantifier operand invalid",
		"SELECT regexp_like('aaa', 'a*+')")
	alice.fails(apierror.ResourceLimitExceeded, "SELECT regexp_like('a', repeat('a', 5000))")
	alice.fails(apierror.ResourceLimitExceeded, "SELECT 'a' ~ '((a{1000}){1000}){1000}'")
}

// allocatedDuring is roughly how many bytes f allocated.
func allocatedDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestFunctionsCannotBuildHugeValues(t *testing.T) {
	e := newEnv(t)
	alice := e.as("alice", systable.RoleUser)
	for _, q := range []string{
		"SELECT length(repeat('a', 1000000000))",
		"SELECT length(repeat('ab', 2147483647))",
		"SELECT length(repeat('ab', 9223372036854775807))",
		"SELECT length(lpad('', 1000000000, 'a'))",
		"SELECT length(rpad('x', 1000000000, 'ab'))",
		"SELECT length(concat(repeat('a', 10000000), repeat('b', 10000000)))",
		"SELECT length(repeat('a', 10000000) || repeat('b', 10000000))",
		"SELECT length(concat_ws(repeat('-', 10000000), 'a', 'b', 'c'))",
		"SELECT length(replace(repeat('a', 1000000), 'a', repeat('b', 100)))",
		"SELECT length(regexp_replace(repeat('a', 1000000), 'a', repeat('b', 100), 'g'))",
		"SELECT length(regexp_replace(repeat('a', 1000000), '.*', repeat('\\&', 100)))",
		// A document doubled per step shares its halves: it is the text
		// that would be large.
		"WITH RECURSIVE r(n, j) AS (SELECT 1, json_build_array(1) UNION ALL SELECT n+1, json_build_array(j, j) FROM r WHERE n < 40) SELECT max(n) FROM r",
		"WITH RECURSIVE r(n, s) AS (SELECT 1, 'ab'::text UNION ALL SELECT n+1, s || s FROM r WHERE n < 40) SELECT max(n) FROM r",
	} {
		var ae *apierror.Error
		n := allocatedDuring(func() { ae = alice.fails(apierror.ResourceLimitExceeded, q) })
		if !strings.Contains(ae.Message, "max_value_bytes") {
			t.Errorf("%s: message %q does not name the limit", q, ae.Message)
		}
		// The value is refused before it is built: what was allocated is
		// the arguments and the statement, not the result.
		if n > 256<<20 {
			t.Errorf("%s: allocated %d MiB before refusing", q, n>>20)
		}
	}
	// Under the limit the functions work as before.
	if got := alice.rows("SELECT length(repeat('ab', 3)), lpad('7', 3, '0'), rpad('a', 3, 'bc'), concat('[', repeat(' ', 2), ']'), replace('aXa', 'X', 'yy')"); got != `[[6,"007","abc","[  ]","ayya"]]` {
		t.Fatalf("small values: %s", got)
	}
	if got := alice.rows("SELECT length(repeat(' ', 10000000))"); got != `[[10000000]]` {
		t.Fatalf("repeat: %s", got)
	}
}

func TestStatementMemoryBudget(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{StatementMemoryBytes: 1 << 20})
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.blobs (id INT PRIMARY KEY, b TEXT)`)
	for i := 0; i < 100; i++ {
		root.must(fmt.Sprintf("INSERT INTO app.blobs VALUES (%d, repeat('x', 20000))", i))
	}
	for _, q := range []string{
		// Each value is small; together they pass the statement's budget.
		"SELECT length(string_agg(b, ',')) FROM app.blobs",
		"SELECT json_array_length(array_agg(b)) FROM app.blobs",
		"SELECT count(DISTINCT b || id) FROM app.blobs",
		// Operators that keep rows: a sort, a join's cached side, a
		// recursive CTE's working set.
		"SELECT id FROM app.blobs ORDER BY length(b) DESC, b",
		"SELECT count(*) FROM app.blobs x JOIN app.blobs y ON x.b = y.b",
		// Twice the rows each step: 2^30 rows.
		"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r, (VALUES (1), (2)) v(x) WHERE n < 30) SELECT count(*) FROM r",
	} {
		root.failsNaming(apierror.ResourceLimitExceeded, "statement_memory_bytes", q)
	}
	// Values built for one row and dropped are not kept: a scan may build
	// far more than the budget in all.
	if got := root.rows("SELECT count(*) FROM app.blobs WHERE length(b || b || b) > 0"); got != `[[100]]` {
		t.Fatalf("scan building values: %s", got)
	}
	// Under the budget the same operators work.
	if got := root.rows("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1000) SELECT count(*) FROM r"); got != `[[1000]]` {
		t.Fatalf("small recursive CTE: %s", got)
	}
	if got := root.rows("SELECT id FROM app.blobs WHERE id < 3 ORDER BY length(b) DESC, id DESC"); got != `[[2],[1],[0]]` {
		t.Fatalf("small sort: %s", got)
	}
	// The budget is per statement: the next statement starts afresh.
	if got := root.rows("SELECT length(string_agg(left(b, 100), ',')) FROM app.blobs WHERE id < 10"); got != `[[1009]]` {
		t.Fatalf("string_agg within budget: %s", got)
	}
}

func TestStatementTimeout(t *testing.T) {
	// The limit leaves the small statements of the test (200-row INSERT,
	// DELETE) room on a loaded machine; the cross joins would run for
	// hours.
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{Timeout: engine.Timeouts{Default: time.Hour, User: time.Second}})
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY);
		CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user`)
	alice := e.as("alice", systable.RoleUser)
	alice.failsNaming(apierror.QueryTimeout, "1s", crossJoin(200))
	// The same over table scans and joins: every iterator the statement
	// opened is closed when it stops (the engine's joins leave some open
	// when a row fails, and an open one would hold the snapshot).
	var rows []string
	for i := 0; i < 200; i++ {
		rows = append(rows, fmt.Sprintf("(%d)", i))
	}
	alice.must("INSERT INTO app.t VALUES " + strings.Join(rows, ","))
	alice.fails(apierror.QueryTimeout, "SELECT COUNT(*) FROM app.t a, app.t b, app.t c, app.t d")
	alice.fails(apierror.QueryTimeout, "SELECT COUNT(*) FROM app.t a JOIN app.t b ON a.id % 2 = b.id % 2, app.t c, app.t d")
	alice.must("DELETE FROM app.t")
	// The limit of the role a statement runs as applies inside EXECUTE AS.
	root.fails(apierror.QueryTimeout, "EXECUTE AS USER 'alice' ("+crossJoin(200)+")")
	// A request's statements share the limit, and a timed-out transaction
	// keeps nothing.
	alice.fails(apierror.QueryTimeout, "BEGIN; INSERT INTO app.t VALUES (1); "+crossJoin(200)+"; COMMIT")
	if got := alice.rows("SELECT COUNT(*) FROM app.t"); got != `[[0]]` {
		t.Fatalf("rolled back transaction left %s rows", got)
	}
	// Other roles keep their own limit.
	root.must("SELECT 1")
}

func TestCancelStopsRunningStatement(t *testing.T) {
	e := newEnv(t)
	cancelEnds(t, e.as("alice", systable.RoleUser), crossJoin(200))
}

// cancelEnds runs sqlText as c and cancels its context once it runs: the
// statement must end with context.Canceled.
func cancelEnds(t *testing.T, c *caller, sqlText string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.execCtx(ctx, sqlText)
		done <- err
	}()
	// Give the statement time to be well inside its operators; whenever
	// the cancellation lands, it must end the statement.
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled statement ended with %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("statement still running two minutes after its context was cancelled")
	}
}

func TestStatementSizeLimits(t *testing.T) {
	// The server's default SQL size, so that the longest statements a
	// client can send are checked.
	e := newEnvWithLimits(t, executor.Limits{MaxSQLBytes: 10 << 20}, engine.Limits{})
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY, a INT, b TEXT)`)
	// An operator chain the planner would take a minute over, and one that
	// would overflow the engine parser's recursive walk (and kill the
	// process) are refused before the engine sees them.
	for _, q := range []string{
		"SELECT 1" + strings.Repeat("+1", 8000),
		"SELECT 1" + strings.Repeat("+1", 3_000_000),
		"SELECT " + strings.Repeat("- ", 3_000_000) + "1",
		"SELECT " + strings.Repeat("1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1,", 5000) + "1",
	} {
		ae := root.fails(apierror.ResourceLimitExceeded, q)
		if !strings.Contains(ae.Message, "max_expression_depth") && !strings.Contains(ae.Message, "max_statement_complexity") {
			t.Errorf("%.40s…: message %q does not name the limit", q, ae.Message)
		}
	}
	// Each limit on its own.
	small := newEnvWithLimits(t, executor.Limits{}, engine.Limits{MaxExpressionDepth: 10})
	small.root().failsNaming(apierror.ResourceLimitExceeded, "max_expression_depth", "SELECT 1"+strings.Repeat("+1", 20))
	small.root().must("SELECT (1+1+1+1+1)+(1+1+1+1+1)+(1+1+1+1+1)")
	small = newEnvWithLimits(t, executor.Limits{}, engine.Limits{MaxStatementComplexity: 100})
	small.root().failsNaming(apierror.ResourceLimitExceeded, "max_statement_complexity", "SELECT 1"+strings.Repeat(",1", 100))
	// INSERT, a 50-row INSERT of 150 parameters, long IN lists.
	var rows []string
	for i := 0; i < 5000; i++ {
		rows = append(rows, fmt.Sprintf("(%d, %d, 'row %d')", i, i*2, i))
	}
	root.must("INSERT INTO app.t VALUES " + strings.Join(rows, ", "))
	var params []any
	rows = rows[:0]
	for i := 0; i < 50; i++ {
		rows = append(rows, fmt.Sprintf("($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3))
		params = append(params, 10000+i, i, "p")
	}
	root.must("INSERT INTO app.t VALUES "+strings.Join(rows, ", "), params...)
	in := strings.TrimSuffix(strings.Repeat("7,", 20000), ",")
	if got := root.rows("SELECT COUNT(*) FROM app.t WHERE a IN (" + in + ") OR id > 10040"); got != `[[10]]` {
		t.Fatalf("IN list: %s", got)
	}
	if got := root.rows("SELECT COUNT(*) FROM app.t WHERE a = 1" + strings.Repeat(" OR a = 2", 300)); got != `[[3]]` {
		t.Fatalf("OR chain: %s", got)
	}
}

func TestResultBytesLimit(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{MaxResultBytes: 1 << 20}, engine.Limits{})
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY, b TEXT)`)
	for i := 0; i < 20; i++ {
		root.must(fmt.Sprintf("INSERT INTO app.t VALUES (%d, REPEAT('x', 100000))", i))
	}
	root.failsNaming(apierror.ResourceLimitExceeded, "max_result_bytes", "SELECT b FROM app.t")
	// The bound is on the request: two statements under it alone are not
	// under it together.
	root.must("SELECT b FROM app.t WHERE id < 6")
	root.fails(apierror.ResourceLimitExceeded, "SELECT b FROM app.t WHERE id < 6; SELECT b FROM app.t WHERE id >= 14")
}

// TestResultBytesLimitOnTheFastPath: primary-key lookups, which skip the
// planner, count against the request's result bound like any query.
func TestResultBytesLimitOnTheFastPath(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{MaxResultBytes: 1 << 20}, engine.Limits{})
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY, b TEXT)`)
	for i := 0; i < 12; i++ {
		root.must(fmt.Sprintf("INSERT INTO app.t VALUES (%d, REPEAT('x', 100000))", i))
	}
	var batch []string
	for i := 0; i < 12; i++ {
		batch = append(batch, fmt.Sprintf("SELECT b FROM app.t WHERE id = %d", i))
	}
	before := e.db.Engine.FastPathStatements()
	root.must(strings.Join(batch[:6], "; "))
	if n := e.db.Engine.FastPathStatements() - before; n != 6 {
		t.Fatalf("fast path took %d of 6 lookups", n)
	}
	root.failsNaming(apierror.ResourceLimitExceeded, "max_result_bytes", strings.Join(batch, "; "))
}

func rowsJSON(t *testing.T, res []executor.Result) string {
	t.Helper()
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	return mustJSON(t, res[0].Rows)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// The engine stops a recursive WITH query after 10,001 steps. That is a
// limit like the others: RESOURCE_LIMIT_EXCEEDED, saying which and how to
// stay under it, not an execution error in the engine's words.
func TestRecursiveCTEStepLimit(t *testing.T) {
	root := newEnv(t).root()
	root.failsNaming(apierror.ResourceLimitExceeded, "10001 steps",
		"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 20000) SELECT count(*) FROM r")
	if got := root.rows("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10001) SELECT count(*) FROM r"); got != `[[10001]]` {
		t.Fatalf("recursive CTE at the limit: %s", got)
	}
	// The same with UNION, which KalamDB runs itself (recursiveIter).
	root.failsNaming(apierror.ResourceLimitExceeded, "10001 steps",
		"WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n + 1 FROM r WHERE n < 20000) SELECT count(*) FROM r")
	if got := root.rows("WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n + 1 FROM r WHERE n < 10001) SELECT count(*) FROM r"); got != `[[10001]]` {
		t.Fatalf("recursive UNION at the limit: %s", got)
	}
}
