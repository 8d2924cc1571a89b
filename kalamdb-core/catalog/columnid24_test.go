package catalog

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// ADD COLUMN found the next column id by decoding every schema version the
// table ever had: time growing with the versions times the columns
// (adding the 600th column one at a time took 1.5 s, with 1600 columns
// and versions unbounded). The next id is kept in the table's metadata
// instead: an ADD COLUMN reads no older version, and the id stays unique
// across a restart. (Before, with the version holding the dropped column
// gone from the history, the new column took the dropped one's id.)
func TestColumnID24NextIDKeptInMetadata(t *testing.T) {
	dir := t.TempDir()
	db, c := open(t, dir, Options{})
	if _, err := c.CreateNamespace("n", false); err != nil {
		t.Fatal(err)
	}
	col := func(name string) dialect.ColumnDef {
		return dialect.ColumnDef{Name: name, Type: dialect.DataType{Name: dialect.TypeInt}}
	}
	name := dialect.TableName{Namespace: "n", Name: "t"}
	if _, err := c.CreateTable(&dialect.CreateTable{Table: name, Columns: []dialect.ColumnDef{col("id"), col("a"), col("b")}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AlterTable(&dialect.AlterTable{Table: name, Op: dialect.AlterDropColumn, ColumnName: "b"}); err != nil {
		t.Fatal(err)
	}
	// Only the metadata may say b's id was used: version 1 is gone.
	if err := c.schemas.Delete(systable.SchemaID(systable.TableID("n", "t"), 1)); err != nil {
		t.Fatal(err)
	}
	add := func(name string) int {
		t.Helper()
		c2 := col(name)
		tbl, err := c.AlterTable(&dialect.AlterTable{Table: dialect.TableName{Namespace: "n", Name: "t"}, Op: dialect.AlterAddColumn, Column: &c2})
		if err != nil {
			t.Fatal(err)
		}
		return tbl.Schema.Columns[len(tbl.Schema.Columns)-1].ColumnID
	}
	if id := add("c"); id != 4 {
		t.Fatalf("ADD COLUMN c took id %d, want 4 (b had 3)", id)
	}
	db.Close()
	db, c = open(t, dir, Options{})
	defer db.Close()
	if id := add("d"); id != 5 {
		t.Fatalf("ADD COLUMN d after a restart took id %d, want 5", id)
	}
}
