package catalog

import (
	"errors"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestTableCreatedAgainNeverSeesADroppedTablesData: a drop whose catalog
// batch committed but whose removal of the table's column families then
// failed leaves the families behind (until a restart drops them as
// orphans). A table created again under the name, which has the same
// family names, must start empty: neither the dropped table's hot rows
// nor its index entries. And a failure to drop one family does not keep
// the other from being dropped.
func TestTableCreatedAgainNeverSeesADroppedTablesData(t *testing.T) {
	for _, how := range []string{"DROP TABLE", "DROP NAMESPACE"} {
		t.Run(how, func(t *testing.T) {
			db, c := open(t, t.TempDir(), Options{})
			t.Cleanup(func() { _ = db.Close() })
			if _, err := c.CreateNamespace("app", false); err != nil {
				t.Fatal(err)
			}
			create := func() *Table {
				t.Helper()
				st := &dialect.CreateTable{Table: dialect.TableName{Namespace: "app", Name: "t"},
					Columns: []dialect.ColumnDef{{Name: "id", Type: dialect.DataType{Name: dialect.TypeInt}}}}
				if _, err := c.CreateTable(st, nil); err != nil {
					t.Fatal(err)
				}
				tbl, ok := c.Snapshot().Table("app", "t")
				if !ok {
					t.Fatal("created table missing")
				}
				return tbl
			}
			old := create()
			// The dropped table's data: a hot row and an index entry.
			var b kv.Batch
			for _, f := range []string{old.Family, old.IndexFamily()} {
				cf, err := db.ColumnFamily(f)
				if err != nil {
					t.Fatal(err)
				}
				b.Put(cf, []byte("old key"), []byte("old value"))
			}
			if err := db.Write(&b); err != nil {
				t.Fatal(err)
			}
			c.seams.dropFamily = func(name string) error {
				if name == old.Family {
					return errDisk
				}
				return db.DropColumnFamily(name)
			}
			var err error
			if how == "DROP TABLE" {
				_, _, err = c.DropTable("app", "t", "", false, nil)
			} else {
				_, _, _, err = c.DropNamespace("app", false, true, nil, nil)
			}
			if !errors.Is(err, errDisk) {
				t.Fatalf("%s: %v, want the family drop's failure", how, err)
			}
			if _, ok := c.Snapshot().Table("app", "t"); ok {
				t.Fatal("the drop's catalog batch did not commit")
			}
			if _, ok := db.LookupColumnFamily(old.IndexFamily()); ok {
				t.Error("the data family's failed drop kept the index family from being dropped")
			}
			c.seams.dropFamily = nil
			if how == "DROP NAMESPACE" {
				if _, err := c.CreateNamespace("app", false); err != nil {
					t.Fatal(err)
				}
			}
			again := create()
			if _, _, _, err := c.CreateIndex(&dialect.CreateIndex{Name: "by_id", Table: dialect.TableName{Namespace: "app", Name: "t"},
				Columns: []string{"id"}}); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{again.Family, again.IndexFamily()} {
				cf, ok := db.LookupColumnFamily(f)
				if !ok {
					t.Fatalf("family %s of the table created again is missing", f)
				}
				it, err := cf.NewIter(kv.IterOptions{})
				if err != nil {
					t.Fatal(err)
				}
				for ok := it.First(); ok; ok = it.Next() {
					t.Errorf("family %s of the table created again holds the dropped table's %q", f, it.Key())
				}
				if err := it.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
