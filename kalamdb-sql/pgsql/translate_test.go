package pgsql

import (
	"strings"
	"testing"

	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

func mustTranslate(t *testing.T, sql string) *Statement {
	t.Helper()
	st, err := Translate(sql, Limits{})
	if err != nil {
		t.Fatalf("Translate(%q): %v", sql, err)
	}
	return st
}

// TestTranslateShapes checks the engine AST of representative statements
// through its printed form.
func TestTranslateShapes(t *testing.T) {
	cases := []struct {
		sql, want string
		params    int
		kind      dialect.Kind
	}{
		{"SELECT 1", "select kdb_int(1)", 0, dialect.KindSelect},
		{"SELECT * FROM generate_series(1, 3000000000, $1) WITH ORDINALITY AS g(n)",
			"select * from kdb_generate_series(kdb_cast(kdb_int(1), 'INT'), kdb_int(3000000000), :v1, 'n', 'ordinality') as g", 1, dialect.KindSelect},
		{"SELECT * FROM generate_series(now(), now(), interval '1 hour'), unnest(ARRAY[1, 2.5]) u",
			"select * from kdb_generate_series(kdb_now(), kdb_now(), '1 hour', 'generate_series', '') as generate_series, kdb_unnest(kdb_cast(kdb_int(1), 'INT'), 00000000000000000000000000000000000002.5, 'u', '') as u", 0, dialect.KindSelect},
		{"SELECT a + 1 FROM ns.t WHERE key = $1", "select kdb_add(a, kdb_int(1)) from ns.t where `key` = :v1", 1, dialect.KindSelect},
		{"SELECT 'a' || 'b', 7 / 2, 7 % 2", "select kdb_concat_op('a', 'b'), kdb_div(kdb_int(7), kdb_int(2)), kdb_mod(kdb_int(7), kdb_int(2))", 0, dialect.KindSelect},
		{"SELECT x::int, CAST(y AS VARCHAR(3)), TRY_CAST(z AS BIGINT) FROM t", "select kdb_cast(x, 'INT'), kdb_cast(y, 'VARCHAR(3)'), kdb_try_cast(z, 'BIGINT') from t", 0, dialect.KindSelect},
		{"SELECT CAST(f AS FLOAT), f::float8, CAST(f AS DOUBLE PRECISION), CAST(f AS FLOAT(53)) FROM t",
			"select kdb_cast(f, 'FLOAT'), kdb_cast(f, 'DOUBLE'), kdb_cast(f, 'DOUBLE'), kdb_cast(f, 'DOUBLE') from t", 0, dialect.KindSelect},
		{"SELECT * FROM t WHERE id = ? AND doc ? 'k' AND n IN (?, ?)", "select * from t where id = :v1 and kdb_json_exists(doc, 'k') and n in (:v2, :v3)", 3, dialect.KindSelect},
		{"SELECT id FROM t WHERE id=?AND x", "select id from t where id = :v1 and x", 1, dialect.KindSelect},
		{"SELECT '?', \"?\" FROM t -- ?\n WHERE a = $2", "select '?', `?` from t where a = :v2", 2, dialect.KindSelect},
		{"SELECT a FROM t ORDER BY a, b DESC, c NULLS FIRST, d DESC NULLS LAST",
			"select a from t order by a asc, kdb_nulls('0:last') asc, b desc, kdb_nulls('2:first') asc, c asc, d desc", 0, dialect.KindSelect},
		{"SELECT a AS x, count(*) FROM t GROUP BY 1 ORDER BY 2 DESC", "select a as x, count(*) from t group by 1 order by 2 desc, kdb_nulls('0:first') asc", 0, dialect.KindSelect},
		{"SELECT a IS DISTINCT FROM b, a IS NOT DISTINCT FROM b FROM t", "select not a <=> b, a <=> b from t", 0, dialect.KindSelect},
		{"SELECT * FROM t WHERE a ILIKE 'x%' AND b NOT LIKE 'y!%' ESCAPE '!'", "select * from t where kdb_ilike(a, 'x%', '\\\\') and b not like 'y!%' escape '!'", 0, dialect.KindSelect},
		{"SELECT ts + INTERVAL '1 day', ts - INTERVAL '2 hours' FROM t", "select kdb_add_interval(ts, '1 day', kdb_int(1)), kdb_add_interval(ts, '2 hours', kdb_int(-1)) from t", 0, dialect.KindSelect},
		{"SELECT ts - make_interval(1, hours => h, secs => 2.5) FROM t",
			"select kdb_add_interval(ts, kdb_make_interval(kdb_int(1), kdb_int(0), kdb_int(0), kdb_int(0), h, kdb_int(0), 00000000000000000000000000000000000002.5), kdb_int(-1)) from t", 0, dialect.KindSelect},
		{"SELECT ts + g * INTERVAL '1 hour', ts - INTERVAL '1 day' / 4, INTERVAL '1 day' * 1.5 + ts FROM t",
			"select kdb_add_interval(ts, kdb_interval_mul('1 hour', g, 'rmul'), kdb_int(1)), kdb_add_interval(ts, kdb_interval_mul('1 day', kdb_int(4), 'div'), kdb_int(-1)), kdb_add_interval(ts, kdb_interval_mul('1 day', 00000000000000000000000000000000000001.5, 'mul'), kdb_int(1)) from t", 0, dialect.KindSelect},
		{"SELECT sum(DISTINCT x) FILTER (WHERE x > 1), string_agg(s, ',' ORDER BY s DESC) FROM t",
			"select std('sum;distinct;filter', x, x > kdb_int(1)), std('string_agg;order=df', s, ',', s) from t", 0, dialect.KindSelect},
		{"SELECT CURRENT_USER(), CURRENT_USER, NOW(), CURRENT_TIMESTAMP", "select current_user(), current_user(), kdb_now(), kdb_now()", 0, dialect.KindSelect},
		{"SELECT EXTRACT(YEAR FROM ts), SUBSTRING(s FROM 2 FOR 3), POSITION('b' IN s), TRIM(BOTH 'x' FROM s) FROM t",
			"select kdb_date_part('year', ts, 'extract'), kdb_substr(s, kdb_int(2), kdb_int(3)), kdb_strpos(s, 'b'), kdb_btrim(s, 'x') from t", 0, dialect.KindSelect},
		{"SELECT 1.50, 1e3, 99999999999999999999", "select " + zeros(36) + "1.50, " + zeros(35) + "1000., " + zeros(19) + "99999999999999999999.", 0, dialect.KindSelect},
		{"VALUES (1, 'a'), (2, 'b')", "select * from (values row(kdb_int(1), 'a'), row(kdb_int(2), 'b')) as `*VALUES*` (column1, column2)", 0, dialect.KindSelect},
		{"INSERT INTO app.config (key, value) VALUES ('a', 'b'), ('c', DEFAULT)", "insert into app.config(`key`, `value`) values ('a', 'b'), ('c', default)", 0, dialect.KindInsert},
		{"INSERT INTO t DEFAULT VALUES", "insert into t values ()", 0, dialect.KindInsert},
		{"UPDATE t SET (a, b) = (1, 2) WHERE id = 3", "update t set a = kdb_int(1), b = kdb_int(2) where id = kdb_int(3)", 0, dialect.KindUpdate},
		{"DELETE FROM t AS x WHERE x.id = ANY (ARRAY[1, 2])", "delete from t as x where x.id in (kdb_int(1), kdb_int(2))", 0, dialect.KindDelete},
		// In UPDATE and DELETE an EXISTS is a scalar subquery's value, so
		// the engine analyses it; elsewhere it stays an EXISTS.
		{"DELETE FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.y = t.x)", "delete from t where kdb_not((select exists (select kdb_int(1) from u where u.y = t.x)))", 0, dialect.KindDelete},
		{"UPDATE t SET a = 1 WHERE EXISTS (SELECT 1 FROM u)", "update t set a = kdb_int(1) where (select exists (select kdb_int(1) from u))", 0, dialect.KindUpdate},
		{"SELECT id FROM t WHERE EXISTS (SELECT 1 FROM u)", "select id from t where exists (select kdb_int(1) from u)", 0, dialect.KindSelect},
		{"WITH c AS (SELECT 1 AS n) SELECT n FROM c", "with c as (select kdb_int(1) as n) select n from c", 0, dialect.KindSelect},
		{"SELECT * FROM a LEFT JOIN b USING (id) FULL JOIN c ON c.x = a.x", "select * from a left join b using (id) full outer join c on c.x = a.x", 0, dialect.KindSelect},
		{"SELECT a FROM t LIMIT ALL OFFSET 2", "select a from t limit 2, 9223372036854775807", 0, dialect.KindSelect},
		// LIMIT and OFFSET take constant expressions, folded to the bigint
		// PostgreSQL converts them to (numerics round half away from zero).
		{"SELECT a FROM t LIMIT 2 + 1 OFFSET (1 + 1) * 2", "select a from t limit 4, 3", 0, dialect.KindSelect},
		{"SELECT a FROM t LIMIT 1.5", "select a from t limit 2", 0, dialect.KindSelect},
		{"SELECT a FROM t LIMIT -1.5 + 4", "select a from t limit 3", 0, dialect.KindSelect},
		{"SELECT a FROM t LIMIT 2.4999", "select a from t limit 2", 0, dialect.KindSelect},
		{"SELECT a FROM t LIMIT 7 / 2", "select a from t limit 3", 0, dialect.KindSelect},
		{"SELECT a FROM t LIMIT 7 / 2.0", "select a from t limit 4", 0, dialect.KindSelect},
		{"SELECT a FROM t LIMIT ' 2 '", "select a from t limit 2", 0, dialect.KindSelect},
		{"SELECT a FROM t LIMIT 0.4", "select a from t limit 0", 0, dialect.KindSelect},
		{"SELECT a FROM t LIMIT 9223372036854775806 + 1", "select a from t limit 9223372036854775807", 0, dialect.KindSelect},
	}
	for _, c := range cases {
		st := mustTranslate(t, c.sql)
		got := sqlparser.String(st.AST)
		if got != c.want || st.Params != c.params || st.Kind != c.kind {
			t.Errorf("%s\n got: %s (params %d, kind %s)\nwant: %s (params %d, kind %s)", c.sql, got, st.Params, st.Kind, c.want, c.params, c.kind)
		}
	}
}

// Unaliased expressions are labelled by their text as written; column
// references keep the column's name.
func TestLabels(t *testing.T) {
	st := mustTranslate(t, "SELECT id, count( * ), a + 1 /* c */ , TRY_CAST(x AS INT), CASE WHEN a IS DISTINCT FROM b THEN 1 END, ? FROM t")
	sel := st.AST.(*sqlparser.Select)
	want := []string{"", "count( * )", "a + 1", "TRY_CAST(x AS INT)", "CASE WHEN a IS DISTINCT FROM b THEN 1 END", "?"}
	for i, w := range want {
		if got := sel.SelectExprs[i].(*sqlparser.AliasedExpr).InputExpression; got != w {
			t.Errorf("label %d = %q, want %q", i, got, w)
		}
	}
}

// String literals reach the engine byte for byte: a backslash is a
// character in a standard string, E” strings take escapes.
func TestStringLiteralsExact(t *testing.T) {
	cases := map[string]string{
		`SELECT 'a \ b'`:        `a \ b`,
		`SELECT 'x\y'`:          `x\y`,
		`SELECT 'c:\temp\new'`:  `c:\temp\new`,
		`SELECT 'it''s'`:        `it's`,
		`SELECT E'c:\\temp\tx'`: "c:\\temp\tx",
		`SELECT E'it\'s'`:       `it's`,
		`SELECT $$a'b\c$$`:      `a'b\c`,
		`SELECT $q$ $$ ; $q$`:   ` $$ ; `,
		`SELECT U&'d\0061t'`:    `dat`,
		"SELECT '😀\u0001'":      "😀\u0001",
		"SELECT 'line1\nline2'": "line1\nline2",
	}
	for sql, want := range cases {
		st := mustTranslate(t, sql)
		v, ok := st.AST.(*sqlparser.Select).SelectExprs[0].(*sqlparser.AliasedExpr).Expr.(*sqlparser.SQLVal)
		if !ok || v.Type != sqlparser.StrVal || string(v.Val) != want {
			t.Errorf("%s: got %#v, want %q", sql, v, want)
		}
	}
}

func TestTranslateErrors(t *testing.T) {
	cases := []struct {
		sql  string
		code apierror.Code
		msg  string
		pos  int // 0: not checked
	}{
		{"SELECT a FORM t", apierror.InvalidSQL, "syntax error at position 15 near 't'", 15},
		{"SELECT 1 +", apierror.InvalidSQL, "syntax error at end of input", 0},
		{"SELECT é FROM t WHERE x = = 1", apierror.InvalidSQL, "syntax error at position 28 near '='", 28},
		{"SELECT `a` FROM t", apierror.InvalidSQL, "double quotes", 8},
		{"SELECT * INTO x FROM t", apierror.InvalidSQL, "SELECT ... INTO is not supported", 0},
		{"SELECT LOAD_FILE('/etc/passwd')", apierror.InvalidSQL, "function load_file() is not supported: statements may not read files", 8},
		{"SELECT 1 # 2", apierror.InvalidSQL, "'#' is not supported", 10},
		{"SELECT @x FROM t", apierror.InvalidSQL, "'@' is not supported", 8},
		{`SELECT "a\b" FROM t`, apierror.InvalidSQL, "backslash in an identifier", 0},
		{"SELECT 1 /*! evil */", apierror.InvalidSQL, "executable comments", 10},
		{"SELECT /*+ SET_VAR(x=1) */ 1", apierror.InvalidSQL, "optimizer hints", 8},
		{"SELECT * FROM t WHERE a = $1 AND b = ?", apierror.InvalidParameter, "not both", 38},
		{"SELECT $0", apierror.InvalidParameter, "numbered $1", 8},
		{"SELECT a FROM t FOR UPDATE", apierror.Unsupported, "FOR UPDATE", 0},
		{"SELECT DISTINCT ON (a) a FROM t", apierror.Unsupported, "DISTINCT ON", 0},
		{"SELECT * FROM ns.t, generate_series(1, t.n)", apierror.Unsupported, "may not name columns", 0},
		// In the WITH of a set operation, which the parser's walk skips.
		{"SELECT * FROM ns.t, generate_series(1, (WITH c AS (SELECT t.n AS m) SELECT m FROM c UNION SELECT 1 LIMIT 1))", apierror.Unsupported, "may not name columns", 0},
		{"SELECT generate_series(1, 3)", apierror.Unsupported, "only supported in FROM", 8},
		{"SELECT * FROM unnest(ARRAY[1], ARRAY[2])", apierror.Unsupported, "several arrays", 0},
		{"SELECT * FROM abs(1)", apierror.Unsupported, "only generate_series and unnest", 0},
		{"SELECT * FROM ROWS FROM (generate_series(1, 2))", apierror.Unsupported, "ROWS FROM", 0},
		{"SELECT * FROM generate_series(1, 3) AS g(a, b)", apierror.InvalidSQL, "1 columns available but 2", 0},
		{"SELECT * FROM unnest(ARRAY[])", apierror.InvalidSQL, "empty array", 0},
		{"SELECT ARRAY[1, 2]", apierror.Unsupported, "arrays are not supported", 8},
		{"SELECT a SIMILAR TO 'x' FROM t", apierror.Unsupported, "SIMILAR TO", 0},
		{"SELECT * FROM t WHERE (a, b) < (1, 2, 3)", apierror.InvalidSQL, "unequal number of entries in row expressions", 0},
		{"SELECT * FROM t WHERE (a, b) IS DISTINCT FROM (1)", apierror.Unsupported, "compared with another row", 0},
		{"SELECT * FROM t WHERE (a, b) = (SELECT 1, 2)", apierror.Unsupported, "compared with another row", 0},
		{"SELECT ts AT TIME ZONE 'UTC' FROM t", apierror.Unsupported, "AT TIME ZONE", 0},
		{"SELECT INTERVAL '1 day'", apierror.Unsupported, "INTERVAL values are only supported", 8},
		{"SELECT ts + INTERVAL '1 day' * INTERVAL '1 day' FROM t", apierror.InvalidSQL, "operator does not exist: interval * interval", 0},
		{"SELECT 2 * INTERVAL '1 day'", apierror.Unsupported, "INTERVAL values are only supported", 0},
		{"SELECT ts + make_interval(days => 2, 1) FROM t", apierror.InvalidSQL, "positional argument cannot follow named argument", 0},
		{"SELECT ts + make_interval(nope => 2) FROM t", apierror.InvalidSQL, "function make_interval() does not exist", 0},
		{"SELECT make_interval(days => 2)", apierror.Unsupported, "INTERVAL values are only supported", 0},
		{"SELECT x::int[] FROM t", apierror.Unsupported, "array types", 0},
		{"SELECT x::money FROM t", apierror.InvalidSQL, "type \"money\" does not exist", 0},
		{"SELECT x::pg_catalog.point FROM t", apierror.Unsupported, "type point is not supported", 0},
		{"SELECT x::nosuch FROM t", apierror.InvalidSQL, "type \"nosuch\" does not exist", 0},
		// A quoted type name keeps its case, and no type has upper case.
		{`SELECT CAST(x AS "Int") FROM t`, apierror.InvalidSQL, `type "Int" does not exist`, 0},
		{`SELECT x::"TEXT" FROM t`, apierror.InvalidSQL, `type "TEXT" does not exist`, 0},
		{"SELECT a COLLATE \"C\" FROM t", apierror.Unsupported, "COLLATE", 0},
		{"INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", apierror.Unsupported, "ON CONFLICT", 0},
		{"INSERT INTO t VALUES (1) RETURNING (SELECT 1)", apierror.Unsupported, "a subquery in RETURNING is not supported", 36},
		{"UPDATE t SET a = 1 RETURNING a IN (SELECT b FROM u)", apierror.Unsupported, "a subquery in RETURNING is not supported", 0},
		{"DELETE FROM t RETURNING EXISTS (SELECT 1)", apierror.Unsupported, "a subquery in RETURNING is not supported", 25},
		{"INSERT INTO t VALUES (1) RETURNING count(*)", apierror.InvalidSQL, "aggregate functions are not allowed in RETURNING", 36},
		{"UPDATE t SET a = 1 RETURNING sum(a) OVER ()", apierror.InvalidSQL, "window functions are not allowed in RETURNING", 30},
		{"DELETE FROM t RETURNING row_number() OVER ()", apierror.InvalidSQL, "window functions are not allowed in RETURNING", 25},
		{"UPDATE t SET a = 1 FROM u", apierror.Unsupported, "UPDATE ... FROM", 0},
		{"DELETE FROM t USING u", apierror.Unsupported, "DELETE ... USING", 0},
		{"WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", apierror.Unsupported, "data-modifying", 0},
		{"SELECT a FROM t ORDER BY 3", apierror.InvalidSQL, "ORDER BY position 3 is not in select list", 26},
		// A parameter is a value, not a position: under DISTINCT it must be
		// in the select list.
		{"SELECT a FROM t UNION SELECT b FROM u ORDER BY (SELECT max(c) FROM v)", apierror.InvalidSQL, "invalid UNION/INTERSECT/EXCEPT ORDER BY clause", 48},
		{"SELECT DISTINCT a FROM t ORDER BY $1", apierror.InvalidSQL, "for SELECT DISTINCT, ORDER BY expressions must appear in select list", 35},
		{"SELECT DISTINCT a FROM t ORDER BY a, ($1)", apierror.InvalidSQL, "for SELECT DISTINCT, ORDER BY expressions must appear in select list", 39},
		{"SELECT DISTINCT a, $2 FROM t ORDER BY $1", apierror.InvalidSQL, "for SELECT DISTINCT, ORDER BY expressions must appear in select list", 39},
		{"SELECT DISTINCT * FROM t ORDER BY $1", apierror.InvalidSQL, "for SELECT DISTINCT, ORDER BY expressions must appear in select list", 35},
		{"SELECT * FROM (SELECT DISTINCT a FROM t ORDER BY $1) s", apierror.InvalidSQL, "for SELECT DISTINCT, ORDER BY expressions must appear in select list", 0},
		{"SELECT a, b FROM t GROUP BY 3", apierror.InvalidSQL, "GROUP BY position 3 is not in select list", 29},
		{"SELECT count(DISTINCT (a, b)) FROM t", apierror.Unsupported, "a row value as the argument of aggregate count() is not supported", 23},
		{"SELECT 1, 2 UNION SELECT 1", apierror.InvalidSQL, "each UNION query must have the same number of columns", 26},
		{"SELECT 1 INTERSECT (SELECT 1, 2)", apierror.InvalidSQL, "each INTERSECT query must have the same number of columns", 28},
		{"SELECT 1 EXCEPT VALUES (1, 2)", apierror.InvalidSQL, "each EXCEPT query must have the same number of columns", 0},
		{"SELECT a FROM t LIMIT -1", apierror.InvalidSQL, "LIMIT must not be negative", 0},
		{"SELECT a FROM t LIMIT 1 - 2", apierror.InvalidSQL, "LIMIT must not be negative", 25},
		{"SELECT a FROM t OFFSET -0.5", apierror.InvalidSQL, "OFFSET must not be negative", 0},
		{"SELECT a FROM t LIMIT '1.5'", apierror.InvalidSQL, `invalid input syntax for type bigint: "1.5"`, 23},
		{"SELECT a FROM t LIMIT 'x'", apierror.InvalidSQL, `invalid input syntax for type bigint: "x"`, 23},
		// Division by zero is a run-time error, as when the engine divides.
		{"SELECT a FROM t LIMIT 1 / 0", apierror.SQLExecutionError, "division by zero", 25},
		{"SELECT a FROM t OFFSET 1.5 / 0", apierror.SQLExecutionError, "division by zero", 28},
		// Overflow is a run-time error, as when the engine computes it.
		{"SELECT a FROM t LIMIT 9223372036854775807 + 1", apierror.SQLExecutionError, "bigint out of range", 0},
		{"SELECT a FROM t LIMIT 99999999999999999999.5", apierror.SQLExecutionError, "bigint out of range", 0},
		{"SELECT a FROM t LIMIT '99999999999999999999'", apierror.SQLExecutionError, `value "99999999999999999999" is out of range for type bigint`, 0},
		{"SELECT sum(a) OVER (ORDER BY a ROWS 9223372036854775808 PRECEDING) FROM t", apierror.SQLExecutionError, "bigint out of range", 0},
		{"SELECT sum(a) OVER (ORDER BY a ROWS '99999999999999999999' PRECEDING) FROM t", apierror.SQLExecutionError,
			`value "99999999999999999999" is out of range for type bigint`, 0},
		{"SELECT a FROM t LIMIT a + 1", apierror.InvalidSQL, "LIMIT must be a constant number or a parameter", 25},
		{"SELECT a FROM t LIMIT $1 + 1", apierror.InvalidSQL, "LIMIT must be a constant number or a parameter", 26},
		{"SELECT lower(a) OVER () FROM t", apierror.InvalidSQL, "not an aggregate function", 8},
		{"SELECT row_number() FROM t", apierror.InvalidSQL, "requires an OVER clause", 8},
		{"SELECT sum(a) OVER (GROUPS 1 PRECEDING) FROM t", apierror.InvalidSQL, "GROUPS mode requires an ORDER BY clause", 20},
		{"SELECT sum(a) OVER (ORDER BY a ROWS a PRECEDING) FROM t", apierror.InvalidSQL, "argument of ROWS must not contain variables", 37},
		{"SELECT sum(a) OVER (ORDER BY a ROWS 1 + 1 PRECEDING) FROM t", apierror.Unsupported, "a frame offset must be a constant", 39},
		{"SELECT sum(a) FILTER (WHERE sum(a) > 1) OVER () FROM t", apierror.InvalidSQL, "aggregate functions are not allowed in FILTER", 29},
		{"SELECT 1 FROM t WINDOW w AS (ORDER BY a, b RANGE 1 PRECEDING)", apierror.InvalidSQL, "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column", 29},
		{"SELECT 1; SELECT 2", apierror.InvalidSQL, "expected one statement", 0},
		{"DELETE FROM t\x00 WHERE id = 1", apierror.InvalidSQL, "NUL character", 14},
		{"SELECT '\xff'", apierror.InvalidSQL, "not valid UTF-8", 0},
		{"CREATE TABLE x (a int)", apierror.Unsupported, "unsupported statement", 0},
	}
	for _, c := range cases {
		_, err := Translate(c.sql, Limits{})
		ae, ok := apierror.As(err)
		if !ok || ae.Code != c.code || !strings.Contains(ae.Message, c.msg) {
			t.Errorf("%s: got %v, want %s containing %q", c.sql, err, c.code, c.msg)
			continue
		}
		if c.pos > 0 {
			d, _ := ae.Details.(map[string]any)
			if d["position"] != c.pos {
				t.Errorf("%s: position %v, want %d (%v)", c.sql, d["position"], c.pos, ae)
			}
		}
	}
}

// A translation is a pure function of the text: the same text gives the
// same AST, and translating does not change an earlier result.
func TestTranslateIsPure(t *testing.T) {
	q := "SELECT a, count(*) FROM t WHERE b = $1 GROUP BY a ORDER BY a"
	a, b := mustTranslate(t, q), mustTranslate(t, q)
	if sqlparser.String(a.AST) != sqlparser.String(b.AST) || a.Params != b.Params {
		t.Fatal("two translations of one text differ")
	}
}

func TestWhereText(t *testing.T) {
	cases := map[string]string{
		"SELECT * FROM t":             "",
		"SELECT * FROM t WHERE a = 1": "a = 1",
		"SELECT * FROM t WHERE (a = 'where') AND b IN (SELECT x FROM u WHERE y = 2) ORDER BY a": "(a = 'where') AND b IN (SELECT x FROM u WHERE y = 2)",
		"SELECT * FROM t WHERE a -- note\n = 1;":                                                "a -- note\n = 1",
	}
	for sql, want := range cases {
		if got := WhereText(sql); got != want {
			t.Errorf("WhereText(%q) = %q, want %q", sql, got, want)
		}
	}
}

// A parameter ORDER BY key of SELECT DISTINCT that the select list has
// ($n, or $n cast, which types it in PostgreSQL), and one without
// DISTINCT, are accepted as PostgreSQL 15 accepts them.
func TestDistinctParamKeysInSelectList(t *testing.T) {
	for _, q := range []string{
		"SELECT DISTINCT a, $1 FROM t ORDER BY $1",
		"SELECT DISTINCT a, ($1) AS x FROM t ORDER BY a, $1",
		"SELECT DISTINCT a, $1::int FROM t ORDER BY $1",
		"SELECT DISTINCT a, CAST($1 AS TEXT) FROM t ORDER BY $1 DESC",
		"SELECT DISTINCT a + $1 FROM t ORDER BY a + $1",
		"SELECT a FROM t GROUP BY a ORDER BY $1",
		"SELECT a FROM t ORDER BY $1",
		"SELECT DISTINCT a FROM t UNION SELECT b FROM u ORDER BY 1",
	} {
		mustTranslate(t, q)
	}
}
