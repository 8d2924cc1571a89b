package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

func TestAlterTableSchemaVersions(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT, n SMALLINT)")
	a := e.as("a", systable.RoleUser)
	a.must("INSERT INTO n.t VALUES (1, 'cold', 1)")
	flushTable(t, e, "n.t")
	a.must("INSERT INTO n.t VALUES (2, 'hot', 2)")

	root.must("ALTER TABLE n.t ADD COLUMN status TEXT NOT NULL DEFAULT 'new'")
	root.must("ALTER TABLE n.t ADD COLUMN note TEXT")
	root.must("ALTER TABLE n.t MODIFY COLUMN n BIGINT")
	root.must("ALTER TABLE n.t DROP COLUMN v")
	a.must("INSERT INTO n.t (id, n, status, note) VALUES (3, 9000000000, 'set', 'x')")
	want := `[[1,1,"new",null],[2,2,"new",null],[3,9000000000,"set","x"]]`
	if got := a.rows("SELECT id, n, status, note FROM n.t ORDER BY id"); got != want {
		t.Fatalf("rows across schema versions:\n got %s\nwant %s", got, want)
	}
	if got := a.rows("SELECT status FROM n.t WHERE id = 1"); got != `[["new"]]` {
		t.Fatalf("cold point lookup of an added column: %s", got)
	}
	a.fails(apierror.InvalidSQL, "SELECT v FROM n.t")
	// Flush and compaction keep the values reads gave, under the new schema.
	flushTable(t, e, "n.t")
	runJob(t, e, "STORAGE COMPACT TABLE n.t")
	if got := a.rows("SELECT id, n, status, note FROM n.t ORDER BY id"); got != want {
		t.Fatalf("after flush and compaction:\n got %s\nwant %s", got, want)
	}
	// Re-adding a dropped column does not resurrect old values.
	root.must("ALTER TABLE n.t ADD COLUMN v TEXT")
	if got := a.rows("SELECT count(*) FROM n.t WHERE v IS NULL"); got != `[[3]]` {
		t.Fatalf("re-added column: %s", got)
	}
	got := root.rows("DESCRIBE TABLE n.t HISTORY")
	for _, c := range []string{"CREATE TABLE", "ADD COLUMN status TEXT", "MODIFY COLUMN n BIGINT", "DROP COLUMN v"} {
		if !strings.Contains(got, c) {
			t.Fatalf("history lacks %q: %s", c, got)
		}
	}
	if got := root.rows("SELECT current_schema_version FROM system.tables WHERE table_name = 't'"); got != `[[6]]` {
		t.Fatalf("schema version: %s", got)
	}
	res := root.must("DESCRIBE TABLE n.t")[0]
	if c := res.Schema[len(res.Schema)-1]; c.Name != "schema_version" || c.DataType != "Int" {
		t.Fatalf("DESCRIBE's last column: %+v", c)
	}
	for _, r := range res.Rows {
		if r[len(r)-1] != int64(6) {
			t.Fatalf("DESCRIBE row %v lacks the current schema version 6", r)
		}
	}
	for _, bad := range []struct {
		code apierror.Code
		sql  string
	}{
		{apierror.InvalidSQL, "ALTER TABLE n.t MODIFY COLUMN n INT"},
		{apierror.InvalidSQL, "ALTER TABLE n.t MODIFY COLUMN status INT"},
		{apierror.InvalidSQL, "ALTER TABLE n.t MODIFY COLUMN note TEXT NOT NULL"},
		{apierror.InvalidSQL, "ALTER TABLE n.t ADD COLUMN must TEXT NOT NULL"},
		{apierror.AlreadyExists, "ALTER TABLE n.t ADD COLUMN status TEXT"},
		{apierror.InvalidSQL, "ALTER TABLE n.t DROP COLUMN id"},
		{apierror.InvalidSQL, "ALTER TABLE n.t DROP COLUMN nope"},
		{apierror.InvalidSQL, "ALTER TABLE n.t SET TBLPROPERTIES (ACCESS_LEVEL = 'PUBLIC')"},
		{apierror.TableNotFound, "ALTER TABLE n.nope ADD COLUMN x INT"},
	} {
		root.fails(bad.code, bad.sql)
	}
	a.fails(apierror.PermissionDenied, "ALTER TABLE n.t ADD COLUMN x INT")
	root.must("ALTER TABLE n.t SET TBLPROPERTIES (FLUSH_POLICY = 'rows:10')")
	if got := root.rows("SELECT flush_policy FROM system.tables WHERE table_name = 't'"); got != `[["rows:10"]]` {
		t.Fatalf("flush policy: %s", got)
	}
	// The schema survives a restart.
	e.reopen()
	if got := e.as("a", systable.RoleUser).rows("SELECT id, n, status FROM n.t ORDER BY id"); got != `[[1,1,"new"],[2,2,"new"],[3,9000000000,"set"]]` {
		t.Fatalf("after restart: %s", got)
	}
}

// TestDroppedColumnDoesNotComeBack: a column added under the name of a
// dropped one is a new column. Its values start empty (or at its DEFAULT)
// for every row written before, whether that row is in the hot tier or in
// a Parquet file, also when the dropped column had the highest column id.
func TestDroppedColumnDoesNotComeBack(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE n;
		CREATE TABLE n.u (id INT PRIMARY KEY, secret TEXT);
		CREATE SHARED TABLE n.s (id INT PRIMARY KEY, secret TEXT) WITH (ACCESS_LEVEL = 'PUBLIC')`)
	a := e.as("a", systable.RoleUser)
	for _, tbl := range []string{"n.u", "n.s"} {
		w := a // the writer: a user writes her partition, a SHARED table needs service or above
		if tbl == "n.s" {
			w = root
		}
		w.must("INSERT INTO " + tbl + " VALUES (1, 'cold secret')")
		flushTable(t, e, tbl)
		w.must("INSERT INTO " + tbl + " VALUES (2, 'hot secret')")

		root.must("ALTER TABLE " + tbl + " DROP COLUMN secret")
		root.must("ALTER TABLE " + tbl + " ADD COLUMN secret TEXT")
		if got := a.rows("SELECT id, secret FROM " + tbl + " ORDER BY id"); got != `[[1,null],[2,null]]` {
			t.Fatalf("%s: re-added column shows old values: %s", tbl, got)
		}
		if got := a.rows("SELECT secret FROM " + tbl + " WHERE id = 1"); got != `[[null]]` {
			t.Fatalf("%s: cold point lookup: %s", tbl, got)
		}
		if got := a.rows("SELECT count(*) FROM " + tbl + " WHERE secret = 'cold secret' OR secret = 'hot secret'"); got != `[[0]]` {
			t.Fatalf("%s: a filter finds the old values: %s", tbl, got)
		}

		// Dropped and added again with a DEFAULT: earlier rows read the
		// constant DEFAULT, as for any added column.
		root.must("ALTER TABLE " + tbl + " DROP COLUMN secret")
		root.must("ALTER TABLE " + tbl + " ADD COLUMN secret TEXT DEFAULT 'redacted'")
		w.must("INSERT INTO " + tbl + " (id, secret) VALUES (3, 'new')")
		want := `[[1,"redacted"],[2,"redacted"],[3,"new"]]`
		if got := a.rows("SELECT id, secret FROM " + tbl + " ORDER BY id"); got != want {
			t.Fatalf("%s: re-added column with DEFAULT:\n got %s\nwant %s", tbl, got, want)
		}
		// Moving the rows between tiers keeps what reads gave.
		flushTable(t, e, tbl)
		runJob(t, e, "STORAGE COMPACT TABLE "+tbl)
		if got := a.rows("SELECT id, secret FROM " + tbl + " ORDER BY id"); got != want {
			t.Fatalf("%s: after flush and compaction:\n got %s\nwant %s", tbl, got, want)
		}
		ids := root.rows("SELECT version, columns FROM system.table_schemas WHERE table_id = '" + strings.Replace(tbl, ".", ":", 1) + "' ORDER BY version")
		for _, id := range []string{`"column_id":2,`, `"column_id":3,`, `"column_id":4,`} {
			if !strings.Contains(ids, id) {
				t.Fatalf("%s: each secret column gets a new id; lacks %s in %s", tbl, id, ids)
			}
		}
	}
}
