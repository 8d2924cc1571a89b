package executor_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestInSubqueryComparesAsRowByRow: IN (subquery) answers as the same
// comparison row by row does (PostgreSQL): a DECIMAL equal to a DOUBLE as
// floats is IN the DOUBLE's subquery, and a row constructor of NULLs is
// not IN a subquery whose row is NULLs (NULL = NULL is NULL).
func TestInSubqueryComparesAsRowByRow(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app;
		CREATE TABLE app.a (id BIGINT PRIMARY KEY, n DECIMAL(20, 18), f DOUBLE, b BIGINT);
		CREATE TABLE app.c (id BIGINT PRIMARY KEY, n DECIMAL(20, 18), f DOUBLE, b BIGINT)`)
	alice := e.as("alice", systable.RoleUser)
	for _, tbl := range []string{"a", "c"} {
		alice.must(`INSERT INTO app.` + tbl + ` VALUES (1, 0.100000000000000001, 0.1, 1), (2, 2, 2, 2), (3, NULL, NULL, NULL)`)
	}
	if got := alice.rows("SELECT a.n = c.f FROM app.a a JOIN app.c c ON c.id = a.id WHERE a.id = 1"); got != "[[true]]" {
		t.Fatalf("0.100000000000000001::numeric = 0.1::float8: %s", got)
	}
	for _, q := range []struct{ sql, want string }{
		{"SELECT a.id FROM app.a a WHERE a.n IN (SELECT f FROM app.c) ORDER BY 1", "1,2"},
		{"SELECT a.id FROM app.a a WHERE a.f IN (SELECT n FROM app.c) ORDER BY 1", "1,2"},
		{"SELECT a.id FROM app.a a WHERE (a.n, a.b) IN (SELECT n, b FROM app.c) ORDER BY 1", "1,2"},
		{"SELECT a.id FROM app.a a WHERE (a.f, a.b) IN (SELECT f, b FROM app.c) ORDER BY 1", "1,2"},
		{"SELECT a.id FROM app.a a WHERE (a.n, a.b) NOT IN (SELECT n, b FROM app.c) ORDER BY 1", ""},
		{"SELECT a.id FROM app.a a WHERE (a.n, a.b) NOT IN (SELECT n, b FROM app.c WHERE id < 3) ORDER BY 1", ""},
		{"SELECT a.id FROM app.a a WHERE (a.n, a.b) NOT IN (SELECT n, b FROM app.c WHERE id = 2) ORDER BY 1", "1"},
		{"SELECT a.id FROM app.a a WHERE a.n NOT IN (SELECT f FROM app.c WHERE id < 3) ORDER BY 1", ""},
		{"SELECT a.id FROM app.a a WHERE a.n NOT IN (SELECT f FROM app.c WHERE id < 0) ORDER BY 1", "1,2,3"},
	} {
		if got := idList(alice, q.sql); got != q.want {
			t.Errorf("%s: [%s], want [%s]", q.sql, got, q.want)
		}
	}
	for _, q := range []struct {
		sql  string
		want int64
	}{
		{"UPDATE app.a a SET b = b WHERE (a.n, a.b) IN (SELECT n, b FROM app.c)", 2},
		{"UPDATE app.a a SET b = b WHERE (a.n, a.b) NOT IN (SELECT n, b FROM app.c WHERE id = 2)", 1},
		{"UPDATE app.a a SET b = b WHERE a.n IN (SELECT f FROM app.c)", 2},
		{"UPDATE app.a a SET b = b WHERE (a.n, a.b) IN (SELECT n, b FROM app.c c WHERE c.id = a.id)", 2},
	} {
		if got := alice.must(q.sql)[0].RowCount; got != q.want {
			t.Errorf("%s: %d rows, want %d", q.sql, got, q.want)
		}
	}
	deleteLeaves(alice, "app.a a", "(a.f, a.b) NOT IN (SELECT f, b FROM app.c WHERE id = 2)", 1, "2,3")
	for _, q := range []struct{ sql, want string }{
		{"SELECT (NULL, NULL) IN (SELECT NULL, NULL)", "[[null]]"},
		{"SELECT (NULL, NULL) NOT IN (SELECT NULL, NULL)", "[[null]]"},
		{"SELECT (1, NULL) IN (SELECT 1, 2)", "[[null]]"},
		{"SELECT (1, NULL) IN (SELECT 2, 2)", "[[false]]"},
		{"SELECT (1, NULL) NOT IN (SELECT 2, NULL)", "[[true]]"},
		{"SELECT (1, 2) IN (SELECT 1, NULL)", "[[null]]"},
		{"SELECT (1, 2) IN (SELECT 1, NULL UNION ALL SELECT 1, 2)", "[[true]]"},
		{"SELECT NULL::int IN (SELECT 1 WHERE false)", "[[false]]"},
		{"SELECT NULL::int NOT IN (SELECT 1 WHERE false)", "[[true]]"},
		{"SELECT (NULL::int, NULL::int) NOT IN (SELECT 1, 1 WHERE false)", "[[true]]"},
		{"SELECT 0.100000000000000001 IN (SELECT 0.1::double precision)", "[[true]]"},
		{"SELECT '-0'::double precision IN (SELECT 0::numeric)", "[[true]]"},
		{"SELECT 'NaN'::double precision IN (SELECT 'NaN'::double precision)", "[[true]]"},
	} {
		if got := alice.rows(q.sql); got != q.want {
			t.Errorf("%s: %s, want %s", q.sql, got, q.want)
		}
	}
}

// TestRowComparisonsWithNulls: (a, b) = (c, d) is a = c AND b = d, and a
// row IN a list the OR of such, as in PostgreSQL: the engine compared rows
// as tuples with NULL equal to NULL ((NULL, 1) = (NULL, 1) was true,
// (1, 2) = (1, NULL) false) and a DECIMAL with a DOUBLE as a DECIMAL.
func TestRowComparisonsWithNulls(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app;
		CREATE TABLE app.a (id BIGINT PRIMARY KEY, n DECIMAL(20, 18), f DOUBLE, b BIGINT)`)
	alice := e.as("alice", systable.RoleUser)
	alice.must(`INSERT INTO app.a VALUES (1, 0.100000000000000001, 0.1, 1), (2, 2, 2, 2), (3, NULL, NULL, NULL)`)
	for _, q := range []struct{ sql, want string }{
		{"SELECT (NULL::int, 1) = (NULL::int, 1), (1, 2) = (1, NULL::int), (1, 2) <> (1, NULL::int), (1, 2) <> (3, NULL::int)", "[[null,null,null,true]]"},
		{"SELECT (NULL::int, NULL::int) IN ((NULL::int, NULL::int)), (1, 2) IN ((1, NULL::int), (3, 4)), (1, 2) NOT IN ((2, NULL::int), (3, 4))", "[[null,null,true]]"},
		{"SELECT (n, b) = (f, b), (n, b) IN ((f, b)), (n, b) IN ((0.1::float8, 1), (2.0::float8, 2)) FROM app.a ORDER BY id", "[[true,true,true],[true,true,true],[null,null,null]]"},
		{"SELECT a.id FROM app.a a JOIN app.a c ON (a.n, a.b) = (c.n, c.b) ORDER BY 1", "[[1],[2]]"},
		{"SELECT a.id FROM app.a a JOIN app.a c ON (a.n, a.b) = (c.f, c.b) ORDER BY 1", "[[1],[2]]"},
		{"SELECT id FROM app.a WHERE (n, b) NOT IN ((f, b), (7, 7)) ORDER BY 1", "[]"},
		{"SELECT id FROM app.a WHERE (n, b) <> (f + 1, b) ORDER BY 1", "[[1],[2]]"},
	} {
		if got := alice.rows(q.sql); got != q.want {
			t.Errorf("%s: %s, want %s", q.sql, got, q.want)
		}
	}
}

// inRowCase is x IN (SELECT ys FROM from WHERE where), x and ys as lists.
type inRowCase struct {
	left, sel   []string
	from, where string
}

// inRowCases pair every comparison of DECIMAL, DOUBLE and BIGINT, single
// and in rows; {C} is the subquery's table.
var inRowCases = []inRowCase{
	{[]string{"a.n"}, []string{"c.f"}, "{C} c", "true"},
	{[]string{"a.f"}, []string{"c.n"}, "{C} c", "true"},
	{[]string{"a.f"}, []string{"c.f"}, "{C} c", "true"},
	{[]string{"a.n"}, []string{"c.n"}, "{C} c", "true"},
	{[]string{"a.b"}, []string{"c.f"}, "{C} c", "true"},
	{[]string{"a.f"}, []string{"c.b"}, "{C} c", "true"},
	{[]string{"a.b"}, []string{"c.n"}, "{C} c", "true"},
	{[]string{"a.n"}, []string{"c.b"}, "{C} c", "true"},
	{[]string{"a.b"}, []string{"c.b"}, "{C} c", "true"},
	{[]string{"a.n"}, []string{"c.f"}, "{C} c", "c.f IS NOT NULL"},
	{[]string{"a.n"}, []string{"c.f"}, "{C} c", "c.id < 0"},
	{[]string{"a.n"}, []string{"c.f"}, "{C} c", "c.id = 3"},
	{[]string{"a.f"}, []string{"c.n"}, "{C} c", "c.id = a.id"},
	{[]string{"a.n"}, []string{"c.f"}, "{C} c", "c.id <> a.id"},
	{[]string{"a.n"}, []string{"s.v"}, "(SELECT b AS v FROM {C} UNION ALL SELECT n FROM {C} UNION ALL SELECT f FROM {C} WHERE id <> 6) s", "true"},
	{[]string{"a.f"}, []string{"s.v"}, "(SELECT b AS v FROM {C} UNION ALL SELECT n FROM {C} UNION ALL SELECT f FROM {C} WHERE id <> 6) s", "true"},
	{[]string{"a.n", "a.b"}, []string{"c.n", "c.b"}, "{C} c", "true"},
	{[]string{"a.f", "a.b"}, []string{"c.f", "c.b"}, "{C} c", "true"},
	{[]string{"a.n", "a.b"}, []string{"c.f", "c.b"}, "{C} c", "true"},
	{[]string{"a.b", "a.f"}, []string{"c.b", "c.n"}, "{C} c", "true"},
	{[]string{"a.n", "a.f", "a.b"}, []string{"c.f", "c.n", "c.b"}, "{C} c", "true"},
	{[]string{"a.n", "a.b"}, []string{"c.n", "c.b"}, "{C} c", "c.b IS NOT NULL"},
	{[]string{"a.n", "a.b"}, []string{"c.n", "c.b"}, "{C} c", "c.id < 0"},
	{[]string{"a.n", "a.b"}, []string{"c.n", "c.b"}, "{C} c", "c.id = 3"},
	{[]string{"a.n", "a.b"}, []string{"c.n", "c.b"}, "{C} c", "c.id >= a.id"},
	{[]string{"a.f", "a.b"}, []string{"c.n", "c.b"}, "{C} c", "c.id <> a.id"},
	{[]string{"a.n", "a.b"}, []string{"NULL::numeric", "c.b"}, "{C} c", "true"},
}

// sqlList joins expressions as a row when there are several.
func sqlList(es []string) string {
	if len(es) == 1 {
		return es[0]
	}
	return "(" + strings.Join(es, ", ") + ")"
}

// conds are the condition x IN (subquery) and its row-by-row formulation:
// true when x = y for a row, else NULL when x = y is NULL for a row,
// else false; x = y of rows is the AND of their pairs' comparisons.
func (c inRowCase) conds(table string) (in, rowByRow string) {
	from := strings.ReplaceAll(c.from, "{C}", table)
	in = sqlList(c.left) + " IN (SELECT " + strings.Join(c.sel, ", ") + " FROM " + from + " WHERE " + c.where + ")"
	eq := make([]string, len(c.left))
	for i := range c.left {
		eq[i] = c.sel[i] + " = " + c.left[i]
	}
	e := strings.Join(eq, " AND ")
	rowByRow = "CASE WHEN EXISTS (SELECT 1 FROM " + from + " WHERE (" + c.where + ") AND (" + e + ")) THEN true" +
		" WHEN EXISTS (SELECT 1 FROM " + from + " WHERE (" + c.where + ") AND (" + e + ") IS NULL) THEN NULL ELSE false END"
	return in, rowByRow
}

// TestInSubqueryMatchesRowByRow: x IN (subquery), x NOT IN (subquery) and
// NOT (x IN ...) give, for every row, the value of x = y tried on every
// row of the subquery (true if one is true, else NULL if one is NULL,
// else false), and select the rows where that is true: DECIMAL, DOUBLE
// and BIGINT against each other, alone and in rows, with NULLs, -0, NaN,
// an empty subquery, one of NULLs, a UNION of the three types, correlated
// subqueries, hot and cold, with and without indexes.
func TestInSubqueryMatchesRowByRow(t *testing.T) {
	slowParallel(t)
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app`)
	const rows = `(1, 0.100000000000000001, 0.1, 1), (2, 2, 2, 2), (3, NULL, NULL, NULL), (4, 0, '-0'::double precision, 3),
		(5, 0, 0, NULL), (6, 7, 'NaN'::double precision, 7), (7, NULL, 2, 2), (8, 0.3, 0.30000000000000004, 8)`
	alice := e.as("alice", systable.RoleUser)
	for _, tbl := range []string{"a", "c", "ai", "ci"} {
		e.root().must(`CREATE TABLE app.` + tbl + ` (id BIGINT PRIMARY KEY, n DECIMAL(20, 18), f DOUBLE, b BIGINT)`)
		alice.must(`INSERT INTO app.` + tbl + ` VALUES ` + rows)
	}
	for _, tbl := range []string{"ai", "ci"} {
		createIndex(t, e, "CREATE INDEX "+tbl+"_f ON app."+tbl+" (f)")
		createIndex(t, e, "CREATE INDEX "+tbl+"_b ON app."+tbl+" (b)")
	}
	values := func(q string) string { return conditionValues(alice, q) }
	check := func(phase string) {
		for _, c := range inRowCases {
			for _, p := range [][2]string{{"app.a", "app.c"}, {"app.ai", "app.ci"}, {"app.a", "app.ci"}, {"app.ai", "app.c"}} {
				in, ref := c.conds(p[1])
				want := values("SELECT id, " + ref + " FROM " + p[0] + " a ORDER BY id")
				if got := values("SELECT id, " + in + " FROM " + p[0] + " a ORDER BY id"); got != want {
					t.Errorf("%s: %s: %s, row by row %s", phase, in, got, want)
				}
				var ins, outs []string
				for i, v := range strings.Split(want, ",") {
					switch v {
					case "true":
						ins = append(ins, strconv.Itoa(i+1))
					case "false":
						outs = append(outs, strconv.Itoa(i+1))
					}
				}
				for _, w := range []struct{ cond, ids string }{
					{in, strings.Join(ins, ",")},
					{"NOT (" + in + ")", strings.Join(outs, ",")},
					{strings.Replace(in, " IN (", " NOT IN (", 1), strings.Join(outs, ",")},
					{in + " OR a.id < 0", strings.Join(ins, ",")},
				} {
					q := "SELECT id FROM " + p[0] + " a WHERE " + w.cond + " ORDER BY id"
					if got := idList(alice, q); got != w.ids {
						t.Errorf("%s: %s: [%s], want [%s]", phase, q, got, w.ids)
					}
				}
			}
		}
	}
	check("hot")
	for _, tbl := range []string{"a", "c", "ai", "ci"} {
		flushTable(t, e, "app."+tbl)
	}
	check("cold")
}
