package catalog

import (
	"reflect"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// A table whose durations were stored past the bound by an older version
// opens (the tables keep working, each duration read as the bound) and is
// listed once, for the server's start to report.
func TestDurationProblemsListStoredValuesPastTheBound(t *testing.T) {
	dir := t.TempDir()
	db, c := open(t, dir, Options{})
	if _, err := c.CreateNamespace("app", false); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fine", "old"} {
		st := &dialect.CreateTable{Table: dialect.TableName{Namespace: "app", Name: name},
			Columns: []dialect.ColumnDef{{Name: "id", Type: dialect.DataType{Name: dialect.TypeInt}}}}
		if _, err := c.CreateTable(st, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.DurationProblems(); got != nil {
		t.Fatalf("tables created now: %+v", got)
	}
	db.Close()
	storeTableMeta(t, dir, "app:old", func(m *systable.TableMeta) {
		h := int64(3_000_000)
		m.DeletedRetentionHrs = &h
		m.FlushIntervalSeconds = 1 << 62
	})
	db, c = open(t, dir, Options{})
	defer db.Close()
	want := []DurationProblem{{TableID: "app:old", Values: []string{
		"DELETED_RETENTION_HOURS = 3000000 (read as 876000)",
		"FLUSH_POLICY interval 4611686018427387904 (read as 3153600000)",
	}}}
	if got := c.DurationProblems(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if tb, ok := c.Snapshot().Table("app", "old"); !ok || *tb.Meta.DeletedRetentionHrs != 3_000_000 {
		t.Fatal("the stored value is kept as stored")
	}
}

// storeTableMeta rewrites a table's row of system.tables in the store in
// dir as an earlier version left it, without the catalog's checks.
func storeTableMeta(t *testing.T, dir, tableID string, edit func(*systable.TableMeta)) {
	t.Helper()
	db, err := kv.Open(dir, kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := systable.Open(db, systable.Tables)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tables.Get(tableID)
	if err != nil {
		t.Fatal(err)
	}
	edit(m)
	if err := tables.Put(m); err != nil {
		t.Fatal(err)
	}
}
