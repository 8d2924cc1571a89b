package engine

import (
	"slices"
	"testing"
	"unsafe"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// The binder asks a table for its schema once per column of every
// projection above it (plan.findDefault): a projected table made its
// schema anew on each call, so a list of every column of a 1600-column
// table planned in time growing as the square of the width (a UNION ALL
// of eight such lists: 4 s). The projected schema is made once. (Before,
// each call returned a new schema.)
func TestTsum25ProjectedSchemaMadeOnce(t *testing.T) {
	var sch sql.Schema
	for _, name := range []string{"id", "a", "b", "c"} {
		sch = append(sch, &sql.Column{Name: name, Type: types.Int64, Nullable: true})
	}
	dt := &dataTable{shape: &tableShape{sch: sch}}
	// In the schema's order, as the analyzer asks, and out of it, in
	// another case and with a name the table does not have.
	for _, c := range []struct{ ask, want []string }{
		{[]string{"id", "b", "c"}, []string{"id", "b", "c"}},
		{[]string{"c", "A", "x", "id"}, []string{"c", "a", "id"}},
		{[]string{}, []string{}},
	} {
		p := dt.WithProjections(c.ask)
		got := p.Schema()
		var names []string
		for _, col := range got {
			names = append(names, col.Name)
		}
		if !slices.Equal(names, c.want) {
			t.Errorf("WithProjections(%q): columns %q, want %q", c.ask, names, c.want)
		}
		if len(got) > 0 && unsafe.SliceData(p.Schema()) != unsafe.SliceData(got) {
			t.Errorf("WithProjections(%q): the schema is made anew on every call", c.ask)
		}
	}
}
