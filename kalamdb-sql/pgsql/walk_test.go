package pgsql

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dolthub/vitess/go/vt/sqlparser"
)

// Walk enters what the parser's walk leaves out: a set operation's WITH,
// ORDER BY and LIMIT, a SELECT's WINDOW clause, EXPLAIN's statement and
// RETURNING.
func TestWalkEntersEveryPart(t *testing.T) {
	for _, c := range []struct {
		sql  string
		want []string // tables, qualified columns and parameters the walk must see
	}{
		{`WITH c AS (SELECT a FROM t1) SELECT a FROM c UNION SELECT a FROM t2`, []string{"t1", "c", "t2"}},
		{`WITH c AS (SELECT a FROM t1) SELECT a FROM c INTERSECT SELECT a FROM c EXCEPT SELECT a FROM t2`, []string{"t1", "c", "t2"}},
		{`SELECT a FROM t1 UNION SELECT a FROM t2 ORDER BY a LIMIT $1 OFFSET $2`, []string{"t1", "t2", ":v1", ":v2"}},
		{`SELECT 1 UNION (WITH c AS (SELECT 1 FROM t1) SELECT 1 FROM c UNION SELECT 1)`, []string{"t1", "c"}},
		{`SELECT * FROM (WITH c AS (SELECT a FROM t1) SELECT a FROM c UNION SELECT 1) s`, []string{"t1", "c"}},
		{`EXPLAIN WITH c AS (SELECT a FROM t1) SELECT a FROM c UNION SELECT 1`, []string{"t1", "c"}},
		{`INSERT INTO t0 (a) WITH c AS (SELECT a FROM t1) SELECT a FROM c UNION SELECT 1`, []string{"t1", "c"}},
		{`SELECT a FROM t1 WINDOW w AS (PARTITION BY (SELECT max(b) FROM t2))`, []string{"t1", "t2"}},
		{`INSERT INTO t1 (a) VALUES (1) RETURNING t1.b`, []string{"t1.b"}},
		{`UPDATE t1 SET a = 1 RETURNING t1.b`, []string{"t1.b"}},
		{`DELETE FROM t1 RETURNING t1.b`, []string{"t1.b"}},
	} {
		st, err := Translate(c.sql, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		var seen []string
		_ = Walk(func(n sqlparser.SQLNode) (bool, error) {
			switch n := n.(type) {
			case sqlparser.TableName:
				seen = append(seen, n.Name.String())
			case *sqlparser.ColName:
				if !n.Qualifier.IsEmpty() {
					seen = append(seen, n.Qualifier.Name.String()+"."+n.Name.String())
				}
			case *sqlparser.SQLVal:
				if n.Type == sqlparser.ValArg {
					seen = append(seen, string(n.Val))
				}
			}
			return true, nil
		}, st.AST)
		for _, w := range c.want {
			if !slices.Contains(seen, w) {
				t.Errorf("%s: the walk did not see %s (saw %s)", c.sql, w, strings.Join(seen, " "))
			}
		}
	}
}

// Walk visits each node once: the walk it replaced entered a WITH's
// queries twice (its own way and the parser's), so a walk cost 2^n in n
// nested WITHs, and a statement of under a kilobyte was checked for
// minutes before any time limit applied.
func TestWalkVisitsEachNodeOnce(t *testing.T) {
	const depth = 24
	q := "SELECT 1 UNION SELECT 2"
	for i := range depth {
		name := "c" + strings.Repeat("x", i)
		q = "WITH " + name + " AS (" + q + ") SELECT * FROM " + name + " UNION ALL SELECT 3"
	}
	st, err := Translate(q, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	visits := map[uintptr]int{}
	withs := 0
	_ = Walk(func(n sqlparser.SQLNode) (bool, error) {
		if w, ok := n.(*sqlparser.With); ok && w != nil {
			withs++
		}
		if v := reflect.ValueOf(n); v.Kind() == reflect.Pointer && !v.IsNil() {
			if visits[v.Pointer()]++; visits[v.Pointer()] > 1 {
				t.Fatalf("%T visited twice", n)
			}
		}
		return true, nil
	}, st.AST)
	if withs != depth {
		t.Errorf("%d WITH clauses visited, want %d", withs, depth)
	}
}
