package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
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

// statementEntries adds up every list a statement has planned: each arm,
// subquery and WITH query where it is read, and the arms of a long chain
// of set operations more than once. Each query is worked out once: a
// WITH query read twice at each of 60 levels is counted without walking
// its 2^60 expansions.
func TestTsum25StatementEntries(t *testing.T) {
	doubling := "WITH c0 AS (SELECT 1, 2)"
	for i := 1; i <= 60; i++ {
		doubling += fmt.Sprintf(", c%d AS (SELECT a.* FROM c%d a, c%d b)", i, i-1, i-1)
	}
	doubling += " SELECT 1 FROM c60"
	chain := func(n int) string { return "SELECT 1" + strings.Repeat(" UNION ALL SELECT 1", n-1) }
	for _, c := range []struct {
		sql  string
		want int64
	}{
		{"SELECT 1, 2", 2},
		{"SELECT 1, 2 UNION ALL SELECT 3, 4 UNION ALL (SELECT 5, 6)", 6},
		{"SELECT 1 WHERE EXISTS (SELECT 1, 2) AND 1 IN (SELECT 1)", 4},
		{"SELECT count(*) FROM (SELECT 1, 2, 3) s", 4},
		// Read twice: counted twice, with the outer * (3 + 3).
		{"WITH c AS (SELECT 1, 2, 3) SELECT * FROM c a, c b", 12},
		// Read nowhere: counted once.
		{"WITH c AS (SELECT 1, 2, 3) SELECT 1", 4},
		{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r", 3},
		{chain(chainFreeArms), chainFreeArms},
		// 9 arms count 9/8 times: ⌈81/8⌉.
		{chain(chainFreeArms + 1), 11},
		{chain(200), 200 * 200 / chainFreeArms},
		// A chain in an arm of another counts in its own right.
		{"SELECT 1 UNION ALL SELECT count(*) FROM (" + chain(16) + ") s", 1 + 1 + 16*16/chainFreeArms},
		{doubling, 10001},
	} {
		st, err := pgsql.Translate(c.sql, pgsql.Limits{MaxExpressionDepth: 1e6, MaxStatementComplexity: 1e12})
		if err != nil {
			t.Fatalf("%.60s: %v", c.sql, err)
		}
		d := newDerivedCost(st.AST, nil, "", MaxTargetListEntries, true)
		if got := statementEntries(d, st.AST, 10000); got != c.want {
			t.Errorf("%.60s: %d entries, want %d", c.sql, got, c.want)
		}
	}
}
