package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// columnDefs is "id BIGINT PRIMARY KEY" and n more BIGINT columns c0...
func columnDefs(n int) string {
	defs := []string{"id BIGINT PRIMARY KEY"}
	for i := range n {
		defs = append(defs, fmt.Sprintf("c%d BIGINT", i))
	}
	return strings.Join(defs, ", ")
}

// A table had no bound on its columns; PostgreSQL refuses more than 1600
// ("tables can have at most 1600 columns", SQLSTATE 54011). Past it,
// CREATE TABLE of every kind and ALTER TABLE ADD COLUMN are refused and
// change nothing. (Every refusal here succeeded before.)
func TestCollimit24PastTheBoundRefused(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app`)
	want := fmt.Sprintf("tables can have at most %d columns", systable.MaxTableColumns)
	wide := columnDefs(systable.MaxTableColumns)
	for _, q := range []string{
		"CREATE TABLE app.u (" + wide + ")",
		"CREATE USER TABLE app.u (" + wide + ")",
		"CREATE SHARED TABLE app.u (" + wide + ")",
		"CREATE STREAM TABLE app.u (" + wide + ") WITH (TTL_SECONDS = 30)",
		"CREATE TABLE IF NOT EXISTS app.u (" + wide + ")",
	} {
		root.failsNaming(apierror.ResourceLimitExceeded, want, q)
		root.failsNaming(apierror.ResourceLimitExceeded, "max_table_columns", q)
	}
	if got := root.rows(`SELECT count(*) FROM system.tables WHERE table_name = 'u'`); got != `[[0]]` {
		t.Fatalf("tables after the refused CREATEs: %s", got)
	}
	// At the bound: created; one more column is refused, schema unchanged.
	root.must("CREATE SHARED TABLE app.w (" + columnDefs(systable.MaxTableColumns-1) + ")")
	root.failsNaming(apierror.ResourceLimitExceeded, want, "ALTER TABLE app.w ADD COLUMN extra BIGINT")
	if got := root.rows(`SELECT current_schema_version FROM system.tables WHERE table_name = 'w'`); got != `[[1]]` {
		t.Fatalf("schema version after the refused ADD COLUMN: %s", got)
	}
	// Dropped columns take no room in rows written since, and are not
	// counted (PostgreSQL counts them): a dropped column's place is free.
	root.must("ALTER TABLE app.w DROP COLUMN c5")
	root.must("ALTER TABLE app.w ADD COLUMN extra BIGINT")
	root.failsNaming(apierror.ResourceLimitExceeded, want, "ALTER TABLE app.w ADD COLUMN extra2 BIGINT")
	if got := root.rows(`SELECT current_schema_version FROM system.tables WHERE table_name = 'w'`); got != `[[3]]` {
		t.Fatalf("schema version after DROP and ADD: %s", got)
	}
}

// A table at the bound works end to end: written, described, read whole
// from the hot tier, flushed to Parquet and read whole from the cold tier
// and through the system tables.
func TestCollimit24WidestTableEndToEnd(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	n := systable.MaxTableColumns - 1
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.w (` + columnDefs(n) + `);
		CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user`)
	alice := e.user("alice")
	vals := []string{"1"}
	for i := range n {
		vals = append(vals, fmt.Sprint(i*7))
	}
	alice.must(`INSERT INTO app.w VALUES (` + strings.Join(vals, ", ") + `); INSERT INTO app.w (id, c1598) VALUES (2, -1)`)
	star := alice.must(`SELECT * FROM app.w ORDER BY id`)[0]
	// The declared columns, then _seq and _deleted.
	if len(star.Schema) != systable.MaxTableColumns+2 || len(star.Rows) != 2 {
		t.Fatalf("SELECT *: %d columns, %d rows", len(star.Schema), len(star.Rows))
	}
	hot := alice.rowsOf("SELECT *", []executor.Result{star})
	if !strings.HasPrefix(hot, `[[1,0,7,14,`) || !strings.Contains(hot, `,11179,11186,`) || !strings.Contains(hot, `],[2,null,null,`) || !strings.Contains(hot, `,null,-1,`) {
		t.Fatalf("SELECT * hot: %.40s...%s", hot, hot[len(hot)-40:])
	}
	if got := len(root.must(`DESCRIBE TABLE app.w`)[0].Rows); got != systable.MaxTableColumns+2 {
		t.Fatalf("DESCRIBE: %d rows", got)
	}
	if got := root.rows(`SELECT count(*) FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'w'`); got != fmt.Sprintf("[[%d]]", systable.MaxTableColumns+2) {
		t.Fatalf("information_schema.columns: %s", got)
	}
	flushTable(t, e, "app.w")
	if n := hotRows(t, e, "user_table:app:w", ""); n != 0 {
		t.Fatalf("%d hot rows left after flush", n)
	}
	e.reopen()
	alice = e.user("alice")
	if cold := alice.rows(`SELECT * FROM app.w ORDER BY id`); cold != hot {
		t.Fatalf("SELECT * cold differs from hot:\n%.200s\n%.200s", cold, hot)
	}
	if got := alice.rows(`SELECT c1598, c0 FROM app.w WHERE id = 2`); got != `[[-1,null]]` {
		t.Fatalf("cold point read: %s", got)
	}
}

// A derived table, WITH query or view over a table wider than
// MaxDerivedColumns is refused when the query over it lists every column
// (PostgreSQL answers it): the engine works out such a query's columns
// again for each column (one level of SELECT * over 1600 columns planned
// for seconds on a loaded machine). A query naming the columns it needs
// answers.
func TestCollimit24DerivedOverTheWidestTable(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app`)
	wideTable(root, "w", systable.MaxTableColumns-1)
	root.must(`INSERT INTO app.w (id, c1598) VALUES (1, 2); CREATE VIEW app.v AS SELECT * FROM app.w`)
	for _, q := range []string{
		`SELECT * FROM (SELECT * FROM app.w) s`,
		`SELECT * FROM app.v`,
		`WITH c AS (SELECT * FROM app.w) SELECT * FROM c`,
	} {
		root.failsNaming(apierror.ResourceLimitExceeded, "max_derived_columns", q)
	}
	for _, q := range []string{
		`SELECT id, c1598 FROM (SELECT * FROM app.w) s`,
		`SELECT id, c1598 FROM app.v`,
		`WITH c AS (SELECT * FROM app.w) SELECT id, c1598 FROM c`,
	} {
		if got := root.rows(q); got != `[[1,2]]` {
			t.Errorf("%s: %s", q, got)
		}
	}
	if got := root.rows(`SELECT count(*) FROM app.v`); got != `[[1]]` {
		t.Errorf("count(*) over the view: %s", got)
	}
}
