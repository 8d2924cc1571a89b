package executor_test

import (
	"testing"
)

// A NULL written as a column of one side of a set operation is of the
// other side's type, as PostgreSQL reads an unknown-typed NULL: a
// boolean column UNION ALL SELECT NULL is boolean. The engine made the
// column a BIGINT (MySQL's merge of NULL with its TINYINT), so the
// result's true and false came out as 1 and 0 and its type as BigInt.
// It failed before the NULL side took the other side's type.
func TestBool23SetOpNullTakesTheOtherSidesType(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE bq; CREATE SHARED TABLE bq.t (id BIGINT PRIMARY KEY, b BOOLEAN); INSERT INTO bq.t VALUES (1, true), (2, NULL), (3, false)`)
	for _, c := range []struct{ sql, want string }{
		{`SELECT b FROM bq.t UNION ALL SELECT NULL ORDER BY 1`, `[[false],[true],[null],[null]]`},
		{`SELECT b FROM bq.t UNION SELECT NULL ORDER BY 1`, `[[false],[true],[null]]`},
		{`SELECT 1 = 1 UNION ALL SELECT NULL ORDER BY 1`, `[[true],[null]]`},
		{`SELECT x FROM (SELECT NULL AS x UNION ALL SELECT b FROM bq.t) s ORDER BY 1`, `[[false],[true],[null],[null]]`},
		{`SELECT NULL AS x UNION ALL SELECT b FROM bq.t ORDER BY x`, `[[false],[true],[null],[null]]`},
		{`SELECT b FROM bq.t EXCEPT SELECT NULL ORDER BY 1`, `[[false],[true]]`},
		{`SELECT x, count(*) FROM (SELECT b AS x FROM bq.t UNION ALL SELECT NULL) s GROUP BY x ORDER BY 1`, `[[false,1],[true,1],[null,2]]`},
		{`SELECT b, NULL FROM bq.t WHERE id = 1 UNION ALL SELECT NULL, b FROM bq.t WHERE id = 3`, `[[true,null],[null,false]]`},
		{`SELECT NULL AS x UNION ALL SELECT id FROM bq.t ORDER BY x`, `[[1],[2],[3],[null]]`},
		{`SELECT NULL AS x UNION ALL SELECT id * 1.5 FROM bq.t WHERE id = 1`, `[[null],["1.5"]]`},
	} {
		if got := root.rows(c.sql); got != c.want {
			t.Errorf("%s: %s, want %s", c.sql, got, c.want)
		}
	}
	res := root.must(`SELECT b FROM bq.t UNION ALL SELECT NULL`)
	if got := res[0].Schema[0].DataType; got != "Boolean" {
		t.Errorf("the column's type is %s, want Boolean", got)
	}
}

// A DISTINCT aggregate without ORDER BY reads its values in their order,
// as PostgreSQL does (it sorts them to tell them apart): array_agg,
// json_agg, jsonb_agg and string_agg of DISTINCT values listed them as
// they came, true before false when the first row was true.
func TestBool23DistinctAggregateListsItsValuesInOrder(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE bq; CREATE SHARED TABLE bq.t (id BIGINT PRIMARY KEY, b BOOLEAN, n INT, s TEXT); INSERT INTO bq.t VALUES (1, true, 3, 'b'), (2, NULL, 1, NULL), (3, false, 2, 'a'), (4, true, 1, 'b')`)
	for _, c := range []struct{ sql, want string }{
		{`SELECT array_agg(DISTINCT COALESCE(b, 1 = 1)) FROM bq.t`, `[[[false,true]]]`},
		{`SELECT json_agg(DISTINCT b) FROM bq.t`, `[[[false,true,null]]]`},
		{`SELECT jsonb_agg(DISTINCT b) FROM bq.t`, `[[[false,true,null]]]`},
		{`SELECT array_agg(DISTINCT n) FROM bq.t`, `[[[1,2,3]]]`},
		{`SELECT string_agg(DISTINCT s, ',') FROM bq.t`, `[["a,b"]]`},
		{`SELECT string_agg(DISTINCT b::text, ',') FROM bq.t`, `[["false,true"]]`},
		{`SELECT array_agg(DISTINCT n ORDER BY n DESC) FROM bq.t`, `[[[3,2,1]]]`},
	} {
		if got := root.rows(c.sql); got != c.want {
			t.Errorf("%s: %s, want %s", c.sql, got, c.want)
		}
	}
}

// A set operation's ORDER BY of a column its left side writes as a
// literal sorts that column. The engine sorted by the literal itself, a
// constant, and kept the rows in the order they came: SELECT NULL UNION
// ALL SELECT b ... ORDER BY 1 listed NULL first and true before false.
// It failed before the key read the result's column.
func TestBool23SetOpOrderByALiteralColumn(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE bq; CREATE SHARED TABLE bq.t (id BIGINT PRIMARY KEY, b BOOLEAN); INSERT INTO bq.t VALUES (1, true), (2, NULL), (3, false)`)
	for _, c := range []struct{ sql, want string }{
		{`SELECT NULL UNION ALL SELECT b FROM bq.t ORDER BY 1`, `[[false],[true],[null],[null]]`},
		{`SELECT true UNION ALL SELECT b FROM bq.t ORDER BY 1`, `[[false],[true],[true],[null]]`},
		{`SELECT true UNION ALL SELECT b FROM bq.t ORDER BY 1 DESC`, `[[null],[true],[true],[false]]`},
		{`SELECT 5 UNION ALL SELECT id FROM bq.t ORDER BY 1`, `[[1],[2],[3],[5]]`},
		{`SELECT NULL UNION ALL SELECT id FROM bq.t ORDER BY 1`, `[[1],[2],[3],[null]]`},
		{`SELECT 5 UNION ALL SELECT 7 UNION ALL SELECT id FROM bq.t ORDER BY 1 DESC`, `[[7],[5],[3],[2],[1]]`},
		{`SELECT 5, 'x' UNION ALL SELECT id, 'y' FROM bq.t ORDER BY 1 LIMIT 2`, `[[1,"y"],[2,"y"]]`},
		{`SELECT 0 AS n UNION ALL SELECT id FROM bq.t ORDER BY n DESC`, `[[3],[2],[1],[0]]`},
	} {
		if got := root.rows(c.sql); got != c.want {
			t.Errorf("%s: %s, want %s", c.sql, got, c.want)
		}
	}
}
