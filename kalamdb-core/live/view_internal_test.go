package live

import (
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A change written under another version of the table (a transaction that
// began before an ALTER TABLE) is mapped onto the subscription's version
// by column id: dropped columns disappear, added ones read NULL.
func TestMatchRowProjectsOtherSchemaVersions(t *testing.T) {
	text := dialect.DataType{Name: dialect.TypeText}
	table := func(version int, cols ...systable.ColumnSchema) *catalog.Table {
		return &catalog.Table{Meta: &systable.TableMeta{TableID: "ns:t"}, Schema: &systable.TableSchema{Version: version, Columns: cols}}
	}
	v1 := table(1, systable.ColumnSchema{ColumnID: 1, Name: "id", Type: text}, systable.ColumnSchema{ColumnID: 2, Name: "old", Type: text})
	v2 := table(2, systable.ColumnSchema{ColumnID: 1, Name: "id", Type: text}, systable.ColumnSchema{ColumnID: 3, Name: "added", Type: text})
	v := &view{table: v2}
	if got := fmt.Sprint(v.matchRow(v1, []any{"k", "gone"}, 9)); got != "[k <nil> 9 0]" {
		t.Fatalf("v1 row on v2: %s", got)
	}
	if got := fmt.Sprint(v.matchRow(v2, []any{"k", "new"}, 10)); got != "[k new 10 0]" {
		t.Fatalf("v2 row on v2: %s", got)
	}
	if got := fmt.Sprint(v.matchRow(v1, []any{"j", "gone"}, 11)); got != "[j <nil> 11 0]" {
		t.Fatalf("cached projection: %s", got)
	}
}
