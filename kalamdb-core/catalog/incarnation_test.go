package catalog

import (
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestEveryCreatedTableIsANewIncarnation: a table created again under a
// dropped table's name, at the same instant by the catalog's clock, is
// another incarnation; an incarnation is kept across a restart and a
// change of the table's metadata; a table from before incarnations has a
// stable derived one.
func TestEveryCreatedTableIsANewIncarnation(t *testing.T) {
	dir := t.TempDir()
	fixed := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	db, c := open(t, dir, Options{Now: func() time.Time { return fixed }})
	if _, err := c.CreateNamespace("app", false); err != nil {
		t.Fatal(err)
	}
	st := &dialect.CreateTable{Table: dialect.TableName{Namespace: "app", Name: "t"},
		Columns: []dialect.ColumnDef{{Name: "id", Type: dialect.DataType{Name: dialect.TypeInt}}}}
	create := func() *Table {
		t.Helper()
		if _, err := c.CreateTable(st, nil); err != nil {
			t.Fatal(err)
		}
		tbl, _ := c.Snapshot().Table("app", "t")
		if !ValidIncarnation(tbl.Meta.Incarnation) || tbl.Incarnation() != tbl.Meta.Incarnation {
			t.Fatalf("created table's incarnation %q (recorded %q)", tbl.Incarnation(), tbl.Meta.Incarnation)
		}
		return tbl
	}
	first := create()
	if _, _, err := c.DropTable("app", "t", "", false, nil); err != nil {
		t.Fatal(err)
	}
	second := create()
	if second.Incarnation() == first.Incarnation() || !second.Meta.CreatedAt.Equal(first.Meta.CreatedAt) {
		t.Fatalf("created again at the same instant: incarnation %s, the dropped one's %s", second.Incarnation(), first.Incarnation())
	}
	if first.SameTable(second) || second.SameTable(first) {
		t.Fatal("the table created again is the same table as the dropped one")
	}
	if _, err := c.AlterTable(&dialect.AlterTable{Table: st.Table, Op: dialect.AlterAddColumn,
		Column: &dialect.ColumnDef{Name: "v", Type: dialect.DataType{Name: dialect.TypeText}}}); err != nil {
		t.Fatal(err)
	}
	if altered, _ := c.Snapshot().Table("app", "t"); altered.Incarnation() != second.Incarnation() || !second.SameTable(altered) {
		t.Fatalf("ALTER changed the incarnation: %s, was %s", altered.Incarnation(), second.Incarnation())
	}
	_ = db.Close()
	db, c = open(t, dir, Options{})
	t.Cleanup(func() { _ = db.Close() })
	if reopened, _ := c.Snapshot().Table("app", "t"); reopened.Incarnation() != second.Incarnation() || !second.SameTable(reopened) {
		t.Fatalf("after a restart: %s, was %s", reopened.Incarnation(), second.Incarnation())
	}

	legacy := &Table{Meta: &systable.TableMeta{TableID: "app:t", CreatedAt: fixed}}
	derived := legacy.Incarnation()
	if !ValidIncarnation(derived) || derived != legacy.Incarnation() {
		t.Fatalf("derived incarnation %q", derived)
	}
	later := &Table{Meta: &systable.TableMeta{TableID: "app:t", CreatedAt: fixed.Add(time.Nanosecond)}}
	other := &Table{Meta: &systable.TableMeta{TableID: "app:u", CreatedAt: fixed}}
	if later.Incarnation() == derived || other.Incarnation() == derived {
		t.Fatalf("derived incarnations collide: %s %s %s", derived, later.Incarnation(), other.Incarnation())
	}
	restored := &Table{Meta: &systable.TableMeta{TableID: "app:t", CreatedAt: fixed, Incarnation: NewIncarnation()}}
	if legacy.SameTable(restored) || !legacy.SameTable(&Table{Meta: &systable.TableMeta{TableID: "app:t", CreatedAt: fixed}}) {
		t.Fatal("a table restored with the dropped one's id and creation time is the same table, or a version of a legacy table is not")
	}
}
