package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// A NUMERIC DEFAULT keeps every digit it was written with, as
// PostgreSQL's numeric does: a literal wider than a float64 and a folded
// sum of fractions (0.1 + 0.2) were stored through a float64 (rounded,
// or refused), unless quoted. Inserts through the fast path (VALUES) and
// the planner (INSERT ... SELECT), the rows written before an ADD
// COLUMN, hot and flushed, and all of them after a restart.
func TestNumericDefaultExact(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app")
	root.must(`CREATE TABLE app.t (id BIGINT PRIMARY KEY,
		n NUMERIC(38,0) DEFAULT 123456789012345678901234567890,
		s NUMERIC(10,2) DEFAULT 0.1 + 0.2,
		f NUMERIC(10,2) DEFAULT 1.10,
		m NUMERIC(38,10) DEFAULT -(12345678901234567890.5 * 2) + 0.0000000001)`)
	root.must("INSERT INTO app.t (id) VALUES (1)")
	flushTable(t, e, "app.t")
	root.must("INSERT INTO app.t (id) SELECT 2")
	root.must("ALTER TABLE app.t ADD COLUMN b NUMERIC(38,0) DEFAULT 99999999999999999999999999999999999999")
	root.must("ALTER TABLE app.t ADD COLUMN c NUMERIC(20,10) DEFAULT 1234567890.0123456789 - 0.0000000001")
	root.must("INSERT INTO app.t (id) VALUES (3)")
	root.must("INSERT INTO app.t (id) SELECT 4")
	const q = "SELECT id, n::text, s::text, f::text, m::text, b::text, c::text FROM app.t ORDER BY id"
	const row = `"123456789012345678901234567890","0.30","1.10","-24691357802469135780.9999999999","99999999999999999999999999999999999999","1234567890.0123456788"]`
	const want = `[[1,` + row + `,[2,` + row + `,[3,` + row + `,[4,` + row + `]`
	if got := root.rows(q); got != want {
		t.Fatalf("before the restart:\n got %s\nwant %s", got, want)
	}
	e.reopen()
	root = e.root()
	if got := root.rows(q); got != want {
		t.Errorf("after a restart:\n got %s\nwant %s", got, want)
	}
	root.must("INSERT INTO app.t (id) VALUES (5)")
	root.must("INSERT INTO app.t (id) SELECT 6")
	if got := root.rows(q + " OFFSET 4"); got != `[[5,`+row+`,[6,`+row+`]` {
		t.Errorf("inserted after a restart: %s", got)
	}
}

// A NUMERIC DEFAULT wider than its column is PostgreSQL's "numeric field
// overflow", at CREATE TABLE and ADD COLUMN, however it is written; the
// table is not created.
func TestNumericDefaultOverflow(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE app")
	for _, def := range []string{
		"123456789012345678901234567890",
		"12345678901234567890123456789 * 10",
		"99999999.995",
		"99999999.99 + 0.01",
	} {
		err := root.fails(apierror.InvalidSQL, "CREATE TABLE app.o (id BIGINT PRIMARY KEY, n NUMERIC(10,2) DEFAULT "+def+")")
		if err.Message != "numeric field overflow" {
			t.Errorf("DEFAULT %s: %q", def, err.Message)
		}
	}
	root.must("CREATE TABLE app.o (id BIGINT PRIMARY KEY)")
	err := root.fails(apierror.InvalidSQL, "ALTER TABLE app.o ADD COLUMN n NUMERIC(20,0) DEFAULT 123456789012345678901234567890")
	if err.Message != "numeric field overflow" {
		t.Errorf("ADD COLUMN: %q", err.Message)
	}
	if got := root.rows("SELECT column_name FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'o' AND column_name <> '_seq' AND column_name <> '_deleted'"); got != `[["id"]]` {
		t.Errorf("columns of app.o: %s", got)
	}
}
