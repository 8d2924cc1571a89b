package pgsql

import (
	"testing"

	"github.com/dolthub/vitess/go/vt/sqlparser"
)

// RETURNING lists come out as the select list of the write, stars kept
// (the engine expands them), labels as in a SELECT.
func TestReturningList(t *testing.T) {
	cases := []struct {
		sql  string
		list func(sqlparser.Statement) sqlparser.SelectExprs
		want []string
	}{
		{"INSERT INTO t (a) VALUES (1) RETURNING *", insertReturning, []string{"*"}},
		{"INSERT INTO t (a) VALUES ($1) RETURNING id, a + 1 AS b", insertReturning, []string{"id", "kdb_add(a, kdb_int(1)) as b"}},
		{"INSERT INTO t (a) SELECT a FROM u RETURNING t.*, _seq", insertReturning, []string{"t.*", "_seq"}},
		{"UPDATE t AS x SET a = 1 WHERE id = 2 RETURNING x.a, upper(s)", func(s sqlparser.Statement) sqlparser.SelectExprs { return s.(*sqlparser.Update).Returning },
			[]string{"x.a", "kdb_upper(s)"}},
		{"DELETE FROM t WHERE id = $1 RETURNING *", func(s sqlparser.Statement) sqlparser.SelectExprs { return s.(*sqlparser.Delete).Returning }, []string{"*"}},
		{"INSERT INTO t (a) VALUES (1)", insertReturning, nil},
	}
	for _, c := range cases {
		st := mustTranslate(t, c.sql)
		list := c.list(st.AST)
		if len(list) != len(c.want) {
			t.Errorf("%s: RETURNING %s, want %v", c.sql, sqlparser.String(list), c.want)
			continue
		}
		for i, se := range list {
			if got := sqlparser.String(se); got != c.want[i] {
				t.Errorf("%s: item %d is %q, want %q", c.sql, i, got, c.want[i])
			}
		}
	}
}

func insertReturning(s sqlparser.Statement) sqlparser.SelectExprs {
	return s.(*sqlparser.Insert).Returning
}
