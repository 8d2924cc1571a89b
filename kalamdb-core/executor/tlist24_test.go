package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A select list had no bound: SELECT * over a join of three 1600-column
// tables planned for 9 to 18 s inside the engine's binder, deaf to the
// time limit. PostgreSQL refuses a target list of more than 1664 entries
// ("target lists can have at most 1664 entries", SQLSTATE 54011); so does
// KalamDB now, before planning, with a * counted as the columns it stands
// for (_seq and _deleted included). (Every refusal here was answered, or
// planned for seconds, before.)
func TestTlist24TargetListBound(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user`)
	wideTable(root, "w", systable.MaxTableColumns-1)
	// 800 declared columns each; with _seq and _deleted a * over both is
	// 1604 entries.
	wideTable(root, "h1", 799)
	wideTable(root, "h2", 799)
	root.must(`INSERT INTO app.h1 (id) VALUES (1); INSERT INTO app.h2 (id) VALUES (1); CREATE TABLE app.t (id BIGINT PRIMARY KEY, a BIGINT)`)
	alice := e.user("alice")
	want := fmt.Sprintf("target lists can have at most %d entries", engine.MaxTargetListEntries)
	literals := func(n int) string { return "SELECT " + strings.TrimSuffix(strings.Repeat("1, ", n), ", ") }
	for _, q := range []string{
		`SELECT * FROM app.w a JOIN app.w b ON a.id = b.id JOIN app.w c ON b.id = c.id`,
		`SELECT * FROM app.w a, app.w b`,
		`SELECT a.*, b.* FROM app.w a, app.w b`,
		`SELECT a.*, a.id, a.* FROM app.w a`,
		literals(engine.MaxTargetListEntries + 1),
		`SELECT 1 FROM app.t WHERE EXISTS (` + literals(engine.MaxTargetListEntries+1) + `)`,
		`SELECT count(*) FROM (SELECT * FROM app.h1, app.w) s`,
		`WITH c AS (SELECT * FROM app.w a, app.h1 b) SELECT 1`,
		`SELECT id FROM app.t UNION ALL SELECT 1 FROM (SELECT a.*, b.* FROM app.w a, app.w b) s`,
		`SELECT *, x.* FROM (SELECT * FROM app.h1) x, (SELECT * FROM app.h2) y`,
		`INSERT INTO app.t (id, a) SELECT 1, 2 FROM (` + literals(engine.MaxTargetListEntries+1) + `) s`,
		`UPDATE app.t SET a = 1 RETURNING *, ` + strings.TrimPrefix(literals(engine.MaxTargetListEntries), "SELECT "),
		`EXPLAIN SELECT * FROM app.w a, app.w b`,
	} {
		alice.failsNaming(apierror.ResourceLimitExceeded, want, q)
		alice.failsNaming(apierror.ResourceLimitExceeded, "max_target_list_entries", q)
	}
	if got := root.rows(`SELECT count(*) FROM app.t`); got != `[[0]]` {
		t.Fatalf("rows after the refused INSERT: %s", got)
	}
	// At the bound: answered.
	if got := alice.must(literals(engine.MaxTargetListEntries))[0]; len(got.Schema) != engine.MaxTargetListEntries {
		t.Fatalf("%d literals: %d columns", engine.MaxTargetListEntries, len(got.Schema))
	}
	star := alice.must(`SELECT * FROM app.h1 a JOIN app.h2 b ON a.id = b.id`)[0]
	if len(star.Schema) != 2*802 || len(star.Rows) != 1 {
		t.Fatalf("SELECT * over 2×800 columns: %d columns, %d rows", len(star.Schema), len(star.Rows))
	}
	if got := alice.must(`SELECT a.*, b.* FROM app.h1 a, app.h2 b`)[0]; len(got.Schema) != 2*802 {
		t.Fatalf("SELECT a.*, b.* over 2×800 columns: %d columns", len(got.Schema))
	}
}

// A view whose query would pass the bound is not created; one whose
// expansion passes it where it is read is refused there.
func TestTlist24Views(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app`)
	wideTable(root, "h1", 799)
	wideTable(root, "h2", 799)
	want := fmt.Sprintf("target lists can have at most %d entries", engine.MaxTargetListEntries)
	aliased := make([]string, engine.MaxTargetListEntries+1)
	for i := range aliased {
		aliased[i] = fmt.Sprintf("1 AS x%d", i)
	}
	root.failsNaming(apierror.ResourceLimitExceeded, want, `CREATE VIEW app.v AS SELECT `+strings.Join(aliased, ", "))
	// PostgreSQL counts the list before it looks at the names.
	root.failsNaming(apierror.ResourceLimitExceeded, want, `CREATE VIEW app.v AS SELECT *, a.* FROM app.h1 a, app.h2 b`)
	// A view, like a table, has at most 1600 columns, as in PostgreSQL
	// (_seq and _deleted not counted: TestCollimit24DerivedOverTheWidestTable
	// makes a view of SELECT * over a 1600-column table).
	root.failsNaming(apierror.ResourceLimitExceeded, "tables can have at most 1600 columns (limit: max_table_columns)",
		`CREATE VIEW app.v AS SELECT `+strings.Join(aliased[:systable.MaxTableColumns+1], ", "))
	root.must(`CREATE VIEW app.v1600 AS SELECT ` + strings.Join(aliased[:systable.MaxTableColumns], ", "))
	if got := root.rows(`SELECT count(*) FROM system.views WHERE view_name = 'v'`); got != `[[0]]` {
		t.Fatalf("views after the refused CREATE VIEW: %s", got)
	}
	// 798 declared columns: a view of them is read within
	// max_derived_columns, which does not count _seq and _deleted.
	wideTable(root, "m", 797)
	root.must(`CREATE VIEW app.v AS SELECT * FROM app.m`)
	// Three times the view's 800 columns: over, counted through the
	// view's query.
	root.failsNaming(apierror.ResourceLimitExceeded, want, `SELECT *, v.*, v.* FROM app.v`)
	root.failsNaming(apierror.ResourceLimitExceeded, "max_target_list_entries", `SELECT *, v.*, v.* FROM app.v`)
	root.must(`INSERT INTO app.m (id) VALUES (1)`)
	if got := root.must(`SELECT * FROM app.v`)[0]; len(got.Schema) != 800 || len(got.Rows) != 1 {
		t.Fatalf("view: %d columns, %d rows", len(got.Schema), len(got.Rows))
	}
}

// A statement's * stands for the tables' columns when it runs: the same
// text, planned and cached at the bound, is refused once a table grows.
func TestTlist24CachedStatementSeesTheCatalog(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app`)
	// 830 declared columns, with _seq and _deleted 832: 1664 together.
	wideTable(root, "a", 829)
	wideTable(root, "b", 829)
	q := `SELECT * FROM app.a, app.b`
	for range 2 {
		if got := root.must(q)[0]; len(got.Schema) != engine.MaxTargetListEntries {
			t.Fatalf("at the bound: %d columns", len(got.Schema))
		}
	}
	root.must(`ALTER TABLE app.a ADD COLUMN extra BIGINT`)
	root.failsNaming(apierror.ResourceLimitExceeded, "max_target_list_entries", q)
	root.failsNaming(apierror.ResourceLimitExceeded, "max_target_list_entries", `SELECT b.*, a.* FROM app.a, app.b`)
}
