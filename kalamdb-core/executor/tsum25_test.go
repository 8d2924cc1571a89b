package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Lists that are each allowed add up: the engine plans every list in
// time growing with its entries times its tables' columns, deaf to the
// time limit, and the arms of a set operation again for every operation
// above them. A UNION ALL of two 1664-entry lists over a 1600-column table
// planned for 12 to 16 s, 200 arms of 16 columns for 23 s. A statement's
// lists together have at most max_statement_target_entries entries, the
// arms of a chain of n > 8 set operations counted n/8 times.
// (Every refusal here was planned, for up to 23 s, before.)
func TestTsum25StatementTargetEntries(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user`)
	// 1600 declared columns, with _seq and _deleted 1602: with 62 more
	// entries a list as long as a list may be.
	wideTable(root, "w", systable.MaxTableColumns-1)
	root.must(`INSERT INTO app.w (id) VALUES (1); CREATE TABLE app.t (id BIGINT PRIMARY KEY, a BIGINT)`)
	full := "SELECT *" + strings.Repeat(", 1", engine.MaxTargetListEntries-systable.MaxTableColumns-2) + " FROM app.w"
	n := engine.DefaultMaxStatementTargetEntries / engine.MaxTargetListEntries
	union := func(arm string, arms int) string {
		return strings.TrimSuffix(strings.Repeat(arm+" UNION ALL ", arms), " UNION ALL ")
	}
	// One entry short of full: with the outer query's one, n lists are
	// at the bound.
	short := strings.Replace(full, ", 1 FROM", " FROM", 1)
	exists := func(arms int, last string) string {
		return "SELECT 1 FROM app.t WHERE " + strings.Repeat("EXISTS ("+full+") AND ", arms-1) + "EXISTS (" + last + ")"
	}
	columns := func(k int) string {
		cols := make([]string, k)
		for i := range cols {
			cols[i] = fmt.Sprintf("c%d", i)
		}
		return "SELECT " + strings.Join(cols, ", ") + " FROM app.w"
	}
	// The WITH query read reads times.
	with := func(reads int, body string) string {
		from := []string{"c"}
		for i := 1; i < reads; i++ {
			from = append(from, fmt.Sprintf("c c%d", i))
		}
		return "WITH c AS (" + body + ") SELECT count(*) FROM " + strings.Join(from, ", ")
	}
	alice := e.user("alice")
	want := fmt.Sprintf("the statement's target lists can have at most %d entries together", engine.DefaultMaxStatementTargetEntries)
	if len(short) != len(full)-3 {
		t.Fatal(short)
	}
	for _, q := range []string{
		union(full, n+1),
		exists(n, full),
		with(n, full),
		`INSERT INTO app.t (id, a) ` + strings.Replace(exists(n, short), "SELECT 1 ", "SELECT 1, 2 ", 1),
		`EXPLAIN ` + union(full, n+1),
		// 200 arms of 2 columns count 200 × 2 × 200/8; 100 arms of 16,
		// 100 × 16 × 100/8.
		union(columns(2), 200),
		union(columns(16), 100),
		// Side by side in derived tables and scalar subqueries.
		fmt.Sprintf("SELECT (SELECT count(*) FROM (%s) a), (SELECT count(*) FROM (%s) b) FROM (%s) x, (%s) y, (%s) z",
			full, full, full, full, full),
	} {
		for range 2 {
			// The second time from the plan cache.
			alice.failsNaming(apierror.ResourceLimitExceeded, want, q)
			alice.failsNaming(apierror.ResourceLimitExceeded, "max_statement_target_entries", q)
		}
	}
	if got := alice.rows(`SELECT count(*) FROM app.t`); got != `[[0]]` {
		t.Fatalf("rows after the refused INSERT: %s", got)
	}
	root.failsNaming(apierror.ResourceLimitExceeded, "max_statement_target_entries", `CREATE VIEW app.v AS `+exists(n, full))
	if got := root.rows(`SELECT count(*) FROM system.views WHERE view_name = 'v'`); got != `[[0]]` {
		t.Fatalf("views after the refused CREATE VIEW: %s", got)
	}
	// At the bound: answered.
	got := alice.must(union(full, n))[0]
	if len(got.Schema) != engine.MaxTargetListEntries || len(got.Rows) != n {
		t.Fatalf("%d arms at the bound: %d columns, %d rows", n, len(got.Schema), len(got.Rows))
	}
	alice.must(`INSERT INTO app.t (id, a) VALUES (1, 2)`)
	if got := alice.rows(exists(n, short)); got != `[[1]]` {
		t.Fatalf("%d EXISTS at the bound: %s", n, got)
	}
	if got := alice.rows(with(n, short)); got != `[[1]]` {
		t.Fatalf("WITH read %d times: %s", n, got)
	}
	// The 200 set operations allowed, of one column: 201 × 1 × 201/8.
	if got := alice.rows(`SELECT count(*) FROM (` + union("SELECT id FROM app.w", 201) + `) s`); got != `[[201]]` {
		t.Fatalf("201 arms of one column: %s", got)
	}
}

// A cached statement's * stands for the tables' columns when it runs: the
// same text, cached within the bound, is refused once a table grows past
// it.
func TestTsum25CachedStatementSeesTheCatalog(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app`)
	// 1100 declared columns, 1102 with _seq and _deleted: six arms are
	// 6612 entries, 44 under the bound.
	wideTable(root, "a", 1099)
	q := "SELECT * FROM app.a" + strings.Repeat(" UNION ALL SELECT * FROM app.a", 5)
	for range 2 {
		if got := root.must(q)[0]; len(got.Schema) != 1102 {
			t.Fatalf("within the bound: %d columns", len(got.Schema))
		}
	}
	for i := range 8 {
		root.must(fmt.Sprintf(`ALTER TABLE app.a ADD COLUMN extra%d BIGINT`, i))
	}
	root.failsNaming(apierror.ResourceLimitExceeded, "max_statement_target_entries", q)
}
