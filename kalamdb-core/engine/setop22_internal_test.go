package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// The checks made on a statement before it is planned see every part of a
// set operation: its WITH (which the parser's walk does not enter), its
// branches, and a set operation inside a derived table, a parenthesised
// branch, a subquery or EXPLAIN.
func TestSetOp22ChecksSeeEveryPartOfASetOperation(t *testing.T) {
	for _, c := range []struct {
		sql           string
		unqualified   string // unqualifiedTable
		deleted       bool   // filtersOnDeleted
		tableFunction bool   // hasTableFunction
	}{
		{sql: `WITH c AS (SELECT 1 AS a) SELECT a FROM c UNION ALL SELECT a FROM c`},
		{sql: `WITH c AS (SELECT 1 AS a) SELECT a FROM c INTERSECT SELECT a FROM c`},
		{sql: `WITH c AS (SELECT 1 AS a), d AS (SELECT a FROM c) SELECT a FROM c EXCEPT ALL SELECT a FROM d ORDER BY a LIMIT 1`},
		{sql: `SELECT * FROM (WITH c AS (SELECT 1 AS a) SELECT a FROM c UNION SELECT a FROM c) s`},
		{sql: `SELECT 1 UNION (WITH c AS (SELECT 1 AS a) SELECT a FROM c EXCEPT SELECT 2)`},
		{sql: `SELECT 1 IN (WITH c AS (SELECT 1 AS a) SELECT a FROM c UNION SELECT 2)`},
		{sql: `EXPLAIN WITH c AS (SELECT 1 AS a) SELECT a FROM c UNION SELECT a FROM c`},
		{sql: `INSERT INTO ns.t (a) WITH c AS (SELECT 1 AS a) SELECT a FROM c UNION SELECT 2`},
		{sql: `WITH c AS (SELECT 1 AS a) SELECT a FROM c UNION SELECT a FROM d`, unqualified: "d"},
		{sql: `SELECT 1 UNION (WITH c AS (SELECT 1 AS a) SELECT a FROM c EXCEPT SELECT a FROM d)`, unqualified: "d"},
		{sql: `WITH c AS (SELECT a FROM d) SELECT a FROM c UNION SELECT 1`, unqualified: "d"},
		{sql: `SELECT id FROM ns.t UNION SELECT id FROM ns.t WHERE NOT _deleted`, deleted: true},
		{sql: `SELECT 0 UNION SELECT t.id FROM ns.t JOIN ns.u ON u._deleted = t._deleted`, deleted: true},
		{sql: `WITH c AS (SELECT id FROM ns.t WHERE _deleted) SELECT id FROM c UNION SELECT 0`, deleted: true},
		{sql: `SELECT * FROM (WITH c AS (SELECT id FROM ns.t WHERE _deleted) SELECT id FROM c UNION SELECT 0) s`, deleted: true},
		{sql: `EXPLAIN WITH c AS (SELECT id FROM ns.t WHERE _deleted) SELECT id FROM c UNION SELECT 0`, deleted: true},
		{sql: `WITH c AS (SELECT id FROM ns.t) SELECT id FROM c UNION SELECT 0`},
		{sql: `SELECT 0 UNION SELECT v FROM generate_series(1, 3) AS s(v)`, tableFunction: true},
		{sql: `WITH g AS (SELECT v FROM generate_series(1, 3) AS s(v)) SELECT v FROM g UNION SELECT 0`, tableFunction: true},
		{sql: `SELECT 0 UNION (WITH g AS (SELECT v FROM unnest(ARRAY[1]) AS s(v)) SELECT v FROM g UNION SELECT 1)`, tableFunction: true},
	} {
		st, err := pgsql.Translate(c.sql, pgsql.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if got := unqualifiedTable(st.AST); got != c.unqualified {
			t.Errorf("%s: unqualifiedTable %q, want %q", c.sql, got, c.unqualified)
		}
		if got := filtersOnDeleted(st.AST); got != c.deleted {
			t.Errorf("%s: filtersOnDeleted %v, want %v", c.sql, got, c.deleted)
		}
		if got := hasTableFunction(st.AST); got != c.tableFunction {
			t.Errorf("%s: hasTableFunction %v, want %v", c.sql, got, c.tableFunction)
		}
	}
}

// WITH queries nested in WITH queries count as the engine inlines them:
// a chain of 40, each reading the one inside it once, is 40 references
// (it was counted as 2^40, the inner ones once per WITH around them, and
// refused), while one reading the one inside it twice still doubles.
func TestSetOp22NestedWithsCountAsInlined(t *testing.T) {
	chain := func(levels int, reads string) string {
		q := "SELECT 1 AS a"
		for i := range levels {
			q = fmt.Sprintf("WITH c%d AS (%s) %s", i, q, strings.ReplaceAll(reads, "$", fmt.Sprintf("c%d", i)))
		}
		return q
	}
	for _, c := range []struct {
		sql     string
		refused bool
	}{
		{chain(40, "SELECT a FROM $"), false},
		{chain(40, "SELECT a FROM $ UNION SELECT a FROM $"), true},
		{chain(12, "SELECT a FROM $ UNION SELECT a FROM $"), false},
	} {
		st, err := pgsql.Translate(c.sql, pgsql.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if err := boundCTEExpansion(st.AST); (err != nil) != c.refused {
			t.Errorf("%.80s...: refused %v, want %v (%v)", c.sql, err != nil, c.refused, err)
		}
	}
}
