package executor_test

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttack24SortOverProjectionIsCharged: an ORDER BY keeps every row it
// sorts, and its rows are its child's. When the child was a projection
// (the select list of the query it orders), the charge skipped it and fell
// on the rows under it, before the select list computed its values: a
// `user` sorting a thousand values of a megabyte held a gigabyte under a
// 256 MiB budget (`SELECT count(*) FROM (SELECT repeat('a', 1000000) || g
// x FROM generate_series(1, 1000) g ORDER BY 1) t`, 2 GB resident, 15 s).
// The same holds for the rows of the other operators that keep their
// child's: a window's, a join's cached side.
func TestAttack24SortOverProjectionIsCharged(t *testing.T) {
	const budget = 16 << 20
	acct := memory.NewAccount(1 << 30)
	e := newEnvWithMemory(t, budget, acct)
	alice := e.as("alice", systable.RoleUser)
	for _, q := range []string{
		"SELECT count(*) FROM (SELECT repeat('a', 100000) || g AS x FROM generate_series(1, 400) g ORDER BY 1) t",
		"SELECT count(*) FROM (SELECT repeat('a', 100000) || g AS x FROM generate_series(1, 400) g ORDER BY 1 DESC LIMIT 400) t",
		"SELECT count(*) FROM generate_series(1, 3) a WHERE 'z' IN (SELECT repeat('a', 100000) || g FROM generate_series(1, 400) g)",
		"SELECT count(*) FROM generate_series(1, 3) a WHERE 'z' IN (SELECT repeat('a', 100000) || g || a FROM generate_series(1, 400) g)",
		"SELECT count(*) FROM (SELECT x, row_number() OVER (ORDER BY x) FROM (SELECT repeat('a', 100000) || g AS x FROM generate_series(1, 400) g) s) t",
	} {
		alice.failsNaming(apierror.ResourceLimitExceeded, "statement_memory_bytes", q)
		if used := acct.Used(); used != 0 {
			t.Errorf("%.80s: the server's account still holds %d bytes", q, used)
		}
	}
	// Within the budget the same shapes answer as before.
	if got := alice.rows("SELECT count(*) FROM (SELECT repeat('a', 1000) || g AS x FROM generate_series(1, 400) g ORDER BY 1) t"); got != `[[400]]` {
		t.Errorf("within the budget: %s", got)
	}
	if got := alice.rows("SELECT x FROM (SELECT g % 3 AS x FROM generate_series(1, 5) g ORDER BY g DESC) t"); got != `[[2],[1],[0],[2],[1]]` {
		t.Errorf("order kept: %s", got)
	}
}

// TestAttack24ColumnNamesCountAgainstTheResult: a result column is named
// by the text of its expression, and one name can stand for many columns
// (`x.*` repeated over a derived table). Names were not counted against
// max_result_bytes: 200 kB of SQL (`SELECT x.*, x.*, … 799 times FROM
// (SELECT length('<200,000 a>')) x`) answered 160 MB, 2.5 times the 64 MiB
// bound, and a request of 10 MiB could ask for 8 GB, encoded after the
// statement ended, outside its time limit.
func TestAttack24ColumnNamesCountAgainstTheResult(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{MaxResultBytes: 1 << 20}, engine.Limits{})
	alice := e.as("alice", systable.RoleUser)
	name := "length('" + strings.Repeat("a", 20000) + "')"
	wide := "SELECT " + strings.Repeat("x.*, ", 99) + "x.* FROM (SELECT " + name + ") x"
	alice.failsNaming(apierror.ResourceLimitExceeded, "max_result_bytes", wide)
	alice.failsNaming(apierror.ResourceLimitExceeded, "max_result_bytes", wide+" WHERE false")
	// Names count with the request's rows: two statements under it alone
	// are not under it together.
	half := "SELECT " + strings.Repeat("x.*, ", 29) + "x.* FROM (SELECT " + name + ") x"
	alice.must(half)
	alice.fails(apierror.ResourceLimitExceeded, half+"; "+half)
}

// TestAttack24ValuesAreComputedAsTheyAreRead: a VALUES list computed all
// of its rows before returning the first, and kept them, uncharged: 30 kB
// of SQL (`SELECT count(*) FROM (VALUES (repeat('a', 10000000) || '0'),
// … 100 rows) v(x)`) held a gigabyte (1.6 GB resident) under a 256 MiB
// budget, and a thousand rows of 16 MiB would be 16 GB. PostgreSQL computes
// a row when it is read, so a LIMIT stops before a failing row.
func TestAttack24ValuesAreComputedAsTheyAreRead(t *testing.T) {
	const budget = 4 << 20
	acct := memory.NewAccount(1 << 30)
	e := newEnvWithMemory(t, budget, acct)
	root := e.root()
	root.must("CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY, b TEXT) WITH (TYPE = 'USER')")
	alice := e.as("alice", systable.RoleUser)
	if got := alice.rows("SELECT x FROM (VALUES (1), (1 / (random()::int * 0))) v(x) LIMIT 1"); got != `[[1]]` {
		t.Errorf("LIMIT 1 over a failing second row: %s", got)
	}
	// The rows an INSERT writes are charged as it writes them; the values
	// it writes must not all be built first.
	var rows []string
	for i := range 100 {
		rows = append(rows, "("+strconv.Itoa(i)+", repeat('a', 1000000) || '"+strconv.Itoa(i)+"')")
	}
	for _, q := range []string{
		"INSERT INTO app.t VALUES " + strings.Join(rows, ", "),
		"SELECT x FROM (VALUES " + strings.Join(rows, ", ") + ") v(i, x) ORDER BY x",
	} {
		runtime.GC()
		before := heapAllocated()
		alice.failsNaming(apierror.ResourceLimitExceeded, "statement_memory_bytes", q)
		allocated := heapAllocated() - before
		t.Logf("%.40s: %d MiB allocated", q, allocated>>20)
		if allocated > 8*budget {
			t.Errorf("%.60s: allocated %d MiB before failing, over eight times the budget of %d MiB", q, allocated>>20, budget>>20)
		}
	}
	if got := alice.rows("SELECT count(*) FROM app.t"); got != `[[0]]` {
		t.Errorf("rows kept: %s", got)
	}
	// A row computed after the rows before it were written still reads
	// the table as the statement found it, as in PostgreSQL.
	alice.must("INSERT INTO app.t VALUES (1, (SELECT count(*) FROM app.t)::text), (2, (SELECT count(*) FROM app.t)::text), (3, (SELECT max(id) FROM app.t)::text)")
	if got := alice.rows("SELECT id, b FROM app.t ORDER BY id"); got != `[[1,"0"],[2,"0"],[3,null]]` {
		t.Errorf("rows read by later VALUES rows: %s", got)
	}
}

// TestAttack24FoldedConstantsAreCharged: the planner folds the parts of a
// WHERE without columns into constants before the statement runs, each
// kept in the plan: `SELECT 1 WHERE 'z' IN (repeat('a', 10000000) || '0',
// … 100 values)`, 3 kB of SQL, held 3.4 GB while it was planned, and ran
// 8.5 s under a 2 s time limit, in one planner step. What folding builds
// is charged to the statement's budget, and folding stops at its time
// limit.
func TestAttack24FoldedConstantsAreCharged(t *testing.T) {
	const budget = 4 << 20
	acct := memory.NewAccount(1 << 30)
	e := newEnvWithMemory(t, budget, acct)
	alice := e.as("alice", systable.RoleUser)
	var vals []string
	for i := range 40 {
		vals = append(vals, "repeat('a', 1000000) || '"+strconv.Itoa(i)+"'")
	}
	for _, q := range []string{
		"SELECT 1 WHERE 'z' IN (" + strings.Join(vals, ", ") + ")",
		"SELECT g FROM generate_series(1, 3) g WHERE 'z' = " + strings.Join(vals, " OR 'z' = "),
	} {
		alice.failsNaming(apierror.ResourceLimitExceeded, "statement_memory_bytes", q)
		if used := acct.Used(); used != 0 {
			t.Errorf("%.80s: the server's account still holds %d bytes", q, used)
		}
	}
	if got := alice.rows("SELECT g FROM generate_series(1, 3) g WHERE repeat('a', 3) || g IN ('aaa2', repeat('b', 1000))"); got != `[[2]]` {
		t.Errorf("within the budget: %s", got)
	}
}

// TestAttack24OneRowStopsAtTheTimeLimit: the engine checks a statement's
// context between rows, and a single row can be any amount of work: 300
// columns of length(repeat('a', 16000000) || '0') ran 8.8 s under a 2 s
// limit, and 20,000 (800 kB of SQL) would run for minutes. Every function
// that builds a value checks the context first. Bounded by the bytes the
// statement allocates: 100 columns allocate 3 GB when they all run.
func TestAttack24OneRowStopsAtTheTimeLimit(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{Timeout: engine.Timeouts{Default: 50 * time.Millisecond}})
	alice := e.as("alice", systable.RoleUser)
	var cols []string
	for i := range 100 {
		cols = append(cols, "length(repeat('a', 16000000) || '"+strconv.Itoa(i)+"')")
	}
	runtime.GC()
	before := heapAllocated()
	alice.fails(apierror.QueryTimeout, "SELECT "+strings.Join(cols, ", ")+" FROM generate_series(1, 1)")
	if allocated := heapAllocated() - before; allocated > 1<<30 {
		t.Errorf("allocated %d MiB before stopping", allocated>>20)
	}
}
