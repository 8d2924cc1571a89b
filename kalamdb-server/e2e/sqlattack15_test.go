//go:build sqlattack15

// Differential findings of the fifteenth SQL attack session: each test
// states PostgreSQL 15's answer (checked against a real server) for a
// statement where KalamDB-Go answers differently and docs/sql.md does not
// choose the difference. They fail on main, so they are kept behind the
// sqlattack15 build tag until the engine is fixed:
//
//	go test -tags sqlattack15 ./e2e/ -run SQLAttack15
package e2e_test

import (
	"net/http"
	"strings"
	"testing"
)

// attackCase is one statement and PostgreSQL's rows for it, as the
// harness's rows() prints them (no rows is "null").
type attackCase struct{ sql, want string }

// checkRows runs every case and reports each wrong answer or failure
// without stopping, so one run shows the whole extent of a finding.
func checkRows(t *testing.T, s *server, phase string, cases []attackCase, params ...any) {
	t.Helper()
	for _, c := range cases {
		r := s.sql(root, c.sql, params...)
		if r.httpStatus != http.StatusOK || r.Status != "success" {
			t.Errorf("%s: %s: failed: %s, want rows %s", phase, c.sql, r, c.want)
			continue
		}
		if got := r.rows(t); got != c.want {
			t.Errorf("%s: %s: got %s, want %s", phase, c.sql, got, c.want)
		}
	}
}

// TestSQLAttack15UpdateAssignmentsReadOldRow: in PostgreSQL every
// expression of an UPDATE's SET list reads the row as it was before the
// UPDATE, so SET a = b, b = a swaps. The engine evaluates the list left to
// right over the row it is building (MySQL's rule), so b = a reads the new
// a: the swap writes b's value into both columns, silently, on USER and
// SHARED tables. PostgreSQL also refuses two assignments to one column.
func TestSQLAttack15UpdateAssignmentsReadOldRow(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app;
		CREATE SHARED TABLE app.sh (id BIGINT PRIMARY KEY, a INT, b INT, c TEXT);
		CREATE TABLE app.us (id BIGINT PRIMARY KEY, a INT, b INT, c TEXT) WITH (TYPE = 'USER')`)
	for _, tbl := range []string{"app.sh", "app.us"} {
		s.ok(root, "INSERT INTO "+tbl+" VALUES (1, 1, 2, 'x'), (2, 10, 20, 'y'), (3, 5, 6, 'z'), (4, 7, 0, 'w')")
		s.ok(root, "UPDATE "+tbl+" SET a = b, b = a WHERE id = 1")
		s.ok(root, "UPDATE "+tbl+" SET (a, b) = (b, a) WHERE id = 2")
		s.ok(root, "UPDATE "+tbl+" SET c = c || c, a = length(c) WHERE id = 3")
		s.ok(root, "UPDATE "+tbl+" SET a = a * 2, b = a * 2 WHERE id = 4")
		want := `[[1,2,1,"x"],[2,20,10,"y"],[3,1,6,"zz"],[4,14,14,"w"]]`
		if got := s.ok(root, "SELECT id, a, b, c FROM "+tbl+" ORDER BY id").rows(t); got != want {
			t.Errorf("%s after UPDATEs: %s, want %s", tbl, got, want)
		}
		r := s.sql(root, "UPDATE "+tbl+" SET a = 1, a = 2 WHERE id = 1")
		if r.Status == "success" {
			t.Errorf("UPDATE %s SET a = 1, a = 2: %s, want an error (PostgreSQL: multiple assignments to same column \"a\")", tbl, r)
		}
	}
}

// TestSQLAttack15UngroupedColumnsRefused: PostgreSQL refuses a column
// that is neither grouped nor aggregated (nor functionally dependent on a
// grouped primary key) in the select list, HAVING or ORDER BY of a grouped
// query, and an ORDER BY outside the select list of SELECT DISTINCT. The
// engine answers them as MySQL without ONLY_FULL_GROUP_BY does: with the
// value of an arbitrary row of each group.
func TestSQLAttack15UngroupedColumnsRefused(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app;
		CREATE SHARED TABLE app.g (id BIGINT PRIMARY KEY, i INT, txt TEXT, ok BOOLEAN);
		INSERT INTO app.g VALUES (1, 1, 'abc', true), (2, 2, 'ABC', false), (3, 3, 'xyz', true), (4, 4, 'q', false)`)
	const groupMsg = "must appear in the GROUP BY clause or be used in an aggregate function"
	const distinctMsg = "for SELECT DISTINCT, ORDER BY expressions must appear in select list"
	cases := []struct{ sql, msg string }{
		{"SELECT txt, count(*) FROM app.g GROUP BY ok", groupMsg},
		{"SELECT txt, count(*) FROM app.g", groupMsg},
		{"SELECT count(*), txt FROM app.g WHERE id = 1", groupMsg},
		{"SELECT ok, i + 1 FROM app.g GROUP BY ok", groupMsg},
		{"SELECT ok, txt FROM app.g GROUP BY 1", groupMsg},
		{"SELECT i % 2 AS k, txt FROM app.g GROUP BY k", groupMsg},
		{"SELECT ok FROM app.g GROUP BY ok ORDER BY id", groupMsg},
		{"SELECT ok, count(*) FROM app.g GROUP BY ok HAVING max(i) > 0 AND i > 0", groupMsg},
		{"SELECT count(*) FROM app.g ORDER BY txt", groupMsg},
		{"SELECT DISTINCT ok FROM app.g ORDER BY id", distinctMsg},
	}
	for _, c := range cases {
		r := s.sql(root, c.sql)
		if r.Status == "success" {
			t.Errorf("%s: answered %s, want INVALID_SQL %q", c.sql, r.raw, c.msg)
			continue
		}
		if r.Error == nil || r.Error.Code != "INVALID_SQL" || !strings.Contains(r.Error.Message, c.msg) {
			t.Errorf("%s: %s, want INVALID_SQL %q", c.sql, r, c.msg)
		}
	}
	// Functionally dependent on the grouped primary key: valid PostgreSQL.
	if got := s.ok(root, "SELECT id, txt FROM app.g GROUP BY id ORDER BY id").rows(t); got != `[[1,"abc"],[2,"ABC"],[3,"xyz"],[4,"q"]]` {
		t.Errorf("GROUP BY primary key: %s", got)
	}
}

// TestSQLAttack15DecimalComparisonKeepsBothScales: comparing two decimals
// of different scales compares their exact values in PostgreSQL. The
// engine converts both operands to the left operand's DECIMAL(p,s) before
// comparing (go-mysql-server's DecimalType.Compare rounds to the type's
// scale), so a DECIMAL(10,2) column "equals" 1.251 and 1.249, `d2 = d3`
// and `d3 = d2` disagree, and an UPDATE or DELETE whose WHERE names a
// value the column does not hold changes rows. Hot and cold alike.
func TestSQLAttack15DecimalComparisonKeepsBothScales(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app;
		CREATE SHARED TABLE app.m (id BIGINT PRIMARY KEY, d2 DECIMAL(10,2), d3 DECIMAL(10,3), note TEXT);
		INSERT INTO app.m VALUES (1, 1.25, 1.251, 'keep'), (2, 2.00, 2.000, 'keep'), (3, 3.00, 2.999, 'keep'), (4, 9.99, 9.990, 'keep')`)
	cases := []attackCase{
		{"SELECT id FROM app.m WHERE d2 = 1.251", `null`},
		{"SELECT id FROM app.m WHERE d2 = 1.249", `null`},
		{"SELECT id FROM app.m WHERE 1.251 = d2", `null`},
		{"SELECT id FROM app.m WHERE d2 = '1.251'", `null`},
		{"SELECT id FROM app.m WHERE d2 = CAST(1.251 AS DECIMAL(10,3))", `null`},
		{"SELECT id FROM app.m WHERE d2 <> 1.251 ORDER BY id", `[[1],[2],[3],[4]]`},
		{"SELECT id FROM app.m WHERE d2 >= 1.251 ORDER BY id", `[[2],[3],[4]]`},
		{"SELECT id FROM app.m WHERE d2 > 1.249 AND d2 < 1.2501", `[[1]]`},
		{"SELECT id FROM app.m WHERE d2 BETWEEN 1.2501 AND 1.9 ORDER BY id", `null`},
		{"SELECT id, d2 = 1.251, d2 IS DISTINCT FROM 1.251 FROM app.m WHERE id = 1", `[[1,false,true]]`},
		{"SELECT CAST(1.25 AS DECIMAL(10,2)) = CAST(1.251 AS DECIMAL(10,3))", `[[false]]`},
		{"SELECT CAST(1.25 AS DECIMAL(10,2)) < CAST(1.251 AS DECIMAL(10,3))", `[[true]]`},
		{"SELECT id FROM app.m WHERE d2 = d3 ORDER BY id", `[[2],[4]]`},
		{"SELECT id FROM app.m WHERE d3 = d2 ORDER BY id", `[[2],[4]]`},
		{"SELECT id FROM app.m WHERE d2 < d3 ORDER BY id", `[[1]]`},
		{"SELECT id FROM app.m WHERE d2 > d3 ORDER BY id", `[[3]]`},
		{"SELECT a.id, b.id FROM app.m a JOIN app.m b ON a.d2 = b.d3 ORDER BY 1, 2", `[[2,2],[4,4]]`},
	}
	checkRows(t, s, "hot", cases)
	// A parameter is numeric without a scale in PostgreSQL: no rounding.
	checkRows(t, s, "param", []attackCase{{"SELECT id FROM app.m WHERE d2 = $1", `null`}}, jsonNumber("1.251"))
	checkRows(t, s, "text param", []attackCase{{"SELECT id FROM app.m WHERE d2 = $1", `null`}}, "1.251")

	if st, msg := waitJob(t, s, jobOf(t, s, "STORAGE FLUSH TABLE app.m")); st != "completed" {
		t.Fatalf("flush: %s %s", st, msg)
	}
	checkRows(t, s, "cold", cases)

	// The writes: PostgreSQL matches no row, so nothing may change.
	if r := s.ok(root, "UPDATE app.m SET note = 'hit' WHERE d2 = 1.251"); r.Results[0].RowCount != 0 {
		t.Errorf("UPDATE ... WHERE d2 = 1.251 changed %d rows, want 0", r.Results[0].RowCount)
	}
	if r := s.ok(root, "DELETE FROM app.m WHERE d2 = 9.994"); r.Results[0].RowCount != 0 {
		t.Errorf("DELETE ... WHERE d2 = 9.994 deleted %d rows, want 0", r.Results[0].RowCount)
	}
	if r := s.ok(root, "DELETE FROM app.m WHERE d2 = d3 AND id = 3"); r.Results[0].RowCount != 0 {
		t.Errorf("DELETE ... WHERE d2 = d3 AND id = 3 deleted %d rows, want 0", r.Results[0].RowCount)
	}
	want := `[[1,"1.25","keep"],[2,"2.00","keep"],[3,"3.00","keep"],[4,"9.99","keep"]]`
	if got := s.ok(root, "SELECT id, d2, note FROM app.m ORDER BY id").rows(t); got != want {
		t.Errorf("rows after writes that match nothing in PostgreSQL: %s, want %s", got, want)
	}
}

// TestSQLAttack15FractionalYearIntervals: PostgreSQL turns a fraction of
// a year, decade, century or millennium into whole months ('1.5 years' is
// 1 year 6 months); the engine turns it into 30-day months' worth of days,
// so '1.5 years' after 2024-01-01 is 2025-06-30 instead of 2025-07-01.
// (Fractions of months and weeks already answer as PostgreSQL does.)
func TestSQLAttack15FractionalYearIntervals(t *testing.T) {
	s := startServer(t, t.TempDir())
	checkRows(t, s, "interval", []attackCase{
		{"SELECT (TIMESTAMP '2024-01-01' + INTERVAL '1.5 years')::text", `[["2025-07-01 00:00:00"]]`},
		{"SELECT (TIMESTAMP '2024-01-01' + INTERVAL '0.25 year')::text", `[["2024-04-01 00:00:00"]]`},
		{"SELECT (TIMESTAMP '2024-01-01' - INTERVAL '1.5 years')::text", `[["2022-07-01 00:00:00"]]`},
		{"SELECT (TIMESTAMP '2024-01-01' + INTERVAL '0.1 decade')::text", `[["2025-01-01 00:00:00"]]`},
		{"SELECT (DATE '2024-01-31' + INTERVAL '0.5 year')::text", `[["2024-07-31 00:00:00"]]`},
		{"SELECT (TIMESTAMP '2024-01-01' + INTERVAL '1.5 months')::text", `[["2024-02-16 00:00:00"]]`},
	})
	s.ok(root, `CREATE NAMESPACE app;
		CREATE SHARED TABLE app.ev (id BIGINT PRIMARY KEY, at TIMESTAMP);
		INSERT INTO app.ev VALUES (1, '2025-06-30 12:00:00'), (2, '2025-07-01 12:00:00')`)
	// Rows "newer than 1.5 years after" a date: the wrong interval lets a
	// row in that PostgreSQL leaves out.
	checkRows(t, s, "filter", []attackCase{
		{"SELECT id FROM app.ev WHERE at > TIMESTAMP '2024-01-01' + INTERVAL '1.5 years' ORDER BY id", `[[2]]`},
	})
}

// TestSQLAttack15DateTextFormats: PostgreSQL's date input reads more than
// zero-padded ISO text; these common forms are read by PostgreSQL and
// refused by KalamDB ("invalid input syntax for type date"), in a cast
// and when written into a DATE column. docs/sql.md limits input to the
// years 0001-9999, not to these forms.
func TestSQLAttack15DateTextFormats(t *testing.T) {
	s := startServer(t, t.TempDir())
	checkRows(t, s, "cast", []attackCase{
		{"SELECT '2024-1-5'::date::text", `[["2024-01-05"]]`},
		{"SELECT '20240105'::date::text", `[["2024-01-05"]]`},
		{"SELECT 'Jan 5 2024'::date::text", `[["2024-01-05"]]`},
		{"SELECT '2024-1-5 7:08'::timestamp::text", `[["2024-01-05 07:08:00"]]`},
	})
	s.ok(root, `CREATE NAMESPACE app; CREATE SHARED TABLE app.d (id BIGINT PRIMARY KEY, dt DATE)`)
	if r := s.sql(root, "INSERT INTO app.d VALUES (1, '2024-1-5')"); r.Status != "success" {
		t.Errorf("INSERT '2024-1-5' into DATE: %s, want success (PostgreSQL stores 2024-01-05)", r)
	}
}

// TestSQLAttack15VarcharTrailingSpaces: PostgreSQL (the SQL standard)
// stores a text longer than VARCHAR(n) when only spaces are past the n-th
// character, dropping them; KalamDB refuses it as too long.
func TestSQLAttack15VarcharTrailingSpaces(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE SHARED TABLE app.v (id BIGINT PRIMARY KEY, v VARCHAR(3))`)
	if r := s.sql(root, "INSERT INTO app.v VALUES (1, 'abc   ')"); r.Status != "success" {
		t.Fatalf("INSERT 'abc   ' into VARCHAR(3): %s, want success", r)
	}
	if got := s.ok(root, "SELECT v, length(v) FROM app.v").rows(t); got != `[["abc",3]]` {
		t.Fatalf("rows: %s, want [[\"abc\",3]]", got)
	}
	s.fail(root, 400, "INVALID_INPUT", "INSERT INTO app.v VALUES (2, 'abc  x')")
}

// TestSQLAttack15NoMySQLErrorTexts: values that do not fit their column
// are refused with the right code, but the message is go-mysql-server's
// (MySQL's) wording, which a KalamDB (PostgreSQL) user has never seen; and
// count(DISTINCT (a, b)), valid PostgreSQL, is refused with MySQL's
// "operand should have 1 columns" instead of saying what is unsupported.
// kalamdb-core/executor/dml_test.go asserts the two MySQL texts today and
// changes with the fix.
func TestSQLAttack15NoMySQLErrorTexts(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE SHARED TABLE app.w (id BIGINT PRIMARY KEY, v VARCHAR(3), d DECIMAL(5,2), ok BOOLEAN);
		INSERT INTO app.w VALUES (1, 'abc', 1.00, true)`)
	cases := []struct{ sql, code, pgText, mysqlText string }{
		{"INSERT INTO app.w (id, v) VALUES (2, 'abcd')", "INVALID_INPUT", "value too long for type character varying(3)", "is too large for column"},
		{"INSERT INTO app.w (id, d) VALUES (2, 999.995)", "INVALID_INPUT", "numeric field overflow", "Out of range value for column"},
		{"UPDATE app.w SET d = d * 1000 WHERE id = 1", "INVALID_INPUT", "numeric field overflow", "Out of range value for column"},
	}
	for _, c := range cases {
		r := s.sql(root, c.sql)
		if r.Error == nil || r.Error.Code != c.code {
			t.Errorf("%s: %s, want %s", c.sql, r, c.code)
			continue
		}
		if strings.Contains(r.Error.Message, c.mysqlText) || !strings.Contains(r.Error.Message, c.pgText) {
			t.Errorf("%s: message %q, want PostgreSQL's %q", c.sql, r.Error.Message, c.pgText)
		}
	}
	r := s.sql(root, "SELECT count(DISTINCT (v, ok)) FROM app.w")
	if r.Status == "success" {
		if got := r.rows(t); got != `[[1]]` {
			t.Errorf("count(DISTINCT (v, ok)): %s, want [[1]]", got)
		}
	} else if r.Error == nil || strings.Contains(r.Error.Message, "operand should have") {
		t.Errorf("count(DISTINCT (v, ok)): %s, want PostgreSQL's answer 1 or an UNSUPPORTED naming the row value", r)
	}
}

// TestSQLAttack15LimitExpressions: PostgreSQL's LIMIT and OFFSET take any
// constant expression of a number type (rounded to bigint): LIMIT 2 + 1,
// LIMIT 1.5 (2 rows), LIMIT '2'. KalamDB refuses each as INVALID_SQL ("LIMIT
// must be a non-negative integer or a parameter"), which docs/sql.md does
// not list among the differences.
func TestSQLAttack15LimitExpressions(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE SHARED TABLE app.l (id BIGINT PRIMARY KEY);
		INSERT INTO app.l VALUES (1), (2), (3), (4)`)
	checkRows(t, s, "limit", []attackCase{
		{"SELECT id FROM app.l ORDER BY id LIMIT 2 + 1", `[[1],[2],[3]]`},
		{"SELECT id FROM app.l ORDER BY id LIMIT 1.5", `[[1],[2]]`},
		{"SELECT id FROM app.l ORDER BY id LIMIT '2'", `[[1],[2]]`},
		{"SELECT id FROM app.l ORDER BY id LIMIT 1 OFFSET 1 + 1", `[[3]]`},
	})
}

// TestSQLAttack15ConcatOfBooleans: concat and concat_ws write each
// argument with its type's output function, so a boolean is t or f in
// PostgreSQL (unlike ::text and ||, which give true/false); KalamDB
// writes true/false.
func TestSQLAttack15ConcatOfBooleans(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE SHARED TABLE app.b (id BIGINT PRIMARY KEY, ok BOOLEAN, i INT);
		INSERT INTO app.b VALUES (1, true, 5), (2, false, -1)`)
	checkRows(t, s, "concat", []attackCase{
		{"SELECT concat(true), concat_ws(',', true, false)", `[["t","t,f"]]`},
		{"SELECT concat(ok, i), concat_ws('-', ok, i) FROM app.b ORDER BY id", `[["t5","t-5"],["f-1","f--1"]]`},
		// The cast and || are PostgreSQL's true/false already.
		{"SELECT ok::text, 'x' || ok FROM app.b ORDER BY id", `[["true","xtrue"],["false","xfalse"]]`},
	})
}

// TestSQLAttack15InsertShortValuesList: PostgreSQL fills the columns a
// VALUES row leaves out at the end (without a column list) with their
// defaults; KalamDB refuses the row with go-mysql-server's "number of
// values does not match number of columns provided". And a NULL written
// into a NOT NULL column is refused with MySQL's wording.
func TestSQLAttack15InsertShortValuesList(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app;
		CREATE SHARED TABLE app.ins (id BIGINT PRIMARY KEY, a INT, b TEXT DEFAULT 'dflt', c INT NOT NULL DEFAULT 5)`)
	if r := s.sql(root, "INSERT INTO app.ins VALUES (2, 1)"); r.Status != "success" {
		t.Errorf("INSERT INTO app.ins VALUES (2, 1): %s, want success", r)
	} else if got := s.ok(root, "SELECT id, a, b, c FROM app.ins").rows(t); got != `[[2,1,"dflt",5]]` {
		t.Errorf("rows: %s, want [[2,1,\"dflt\",5]]", got)
	}
	r := s.sql(root, "INSERT INTO app.ins (id, c) VALUES (4, NULL)")
	if r.Error == nil || r.Error.Code != "INVALID_INPUT" {
		t.Fatalf("NULL into NOT NULL: %s, want INVALID_INPUT", r)
	}
	if msg := r.Error.Message; strings.Contains(msg, "is non-nullable but attempted to set a value of null") ||
		!strings.Contains(msg, `null value in column "c"`) {
		t.Errorf("NULL into NOT NULL: message %q, want PostgreSQL's `null value in column \"c\" ... violates not-null constraint`", msg)
	}
}

// TestSQLAttack15DatetimeLiteralZone: docs/sql.md says a zone in DATETIME
// (timestamptz) input converts to UTC, and it does when the text is
// written into the column or cast (::timestamptz). But an untyped literal
// or text parameter compared with a DATETIME column loses its offset: it is
// read as that wall-clock time in UTC, so `at = '...+01:30'` matches the
// row 90 minutes away and misses the one written with the same text, and
// an UPDATE changes it. (A DATETIME primary key converts correctly.)
func TestSQLAttack15DatetimeLiteralZone(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app;
		CREATE SHARED TABLE app.tz (id BIGINT PRIMARY KEY, at DATETIME, note TEXT);
		INSERT INTO app.tz VALUES (1, '2024-03-10 23:30:00-05', 'keep'), (2, '2024-03-11 00:30:00+01:30', 'keep'), (3, '2024-03-11 12:00:00', 'keep')`)
	// Row 2 is 2024-03-10 23:00:00 UTC.
	checkRows(t, s, "literal", []attackCase{
		{"SELECT id FROM app.tz WHERE at = '2024-03-11 00:30:00+01:30'", `[[2]]`},
		{"SELECT id FROM app.tz WHERE at IN ('2024-03-11 00:30:00+01:30')", `[[2]]`},
		{"SELECT id FROM app.tz WHERE at = '2024-03-10 23:00:00+01:30'", `null`},
		{"SELECT id FROM app.tz WHERE at < '2024-03-11 00:30:00+01:30'", `null`},
		{"SELECT id FROM app.tz WHERE at BETWEEN '2024-03-10 22:00:00-02' AND '2024-03-11 02:00:00-02'", `null`},
		{"SELECT id, at = '2024-03-11 00:30:00+01:30' FROM app.tz ORDER BY id", `[[1,false],[2,true],[3,false]]`},
		// The cast already converts: the control.
		{"SELECT id FROM app.tz WHERE at = '2024-03-11 00:30:00+01:30'::timestamptz", `[[2]]`},
	})
	checkRows(t, s, "param", []attackCase{{"SELECT id FROM app.tz WHERE at = $1", `[[2]]`}}, "2024-03-11 00:30:00+01:30")
	if r := s.ok(root, "UPDATE app.tz SET note = 'hit' WHERE at = '2024-03-10 23:00:00+01:30'"); r.Results[0].RowCount != 0 {
		t.Errorf("UPDATE ... WHERE at = '2024-03-10 23:00:00+01:30' changed %d rows, want 0", r.Results[0].RowCount)
	}
}

// TestSQLAttack15VarcharJoinsText: a join (or correlated EXISTS) of a
// VARCHAR(n) column with a TEXT column whose values are longer than n
// fails the whole statement with INVALID_INPUT "string '[97 98 99 100]' is
// too large for column 'varchar(3)'" (the join key is converted to the
// VARCHAR(3) side's type, and the message is MySQL's, with the text's
// bytes). PostgreSQL compares the texts: a longer text is simply not
// equal. The same comparison in a WHERE answers correctly.
func TestSQLAttack15VarcharJoinsText(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app;
		CREATE SHARED TABLE app.cc (id BIGINT PRIMARY KEY, v VARCHAR(3), txt TEXT);
		INSERT INTO app.cc VALUES (1, 'abc', 'abcd'), (2, 'xy', 'xy'), (3, 'a', 'A')`)
	checkRows(t, s, "join", []attackCase{
		{"SELECT id FROM app.cc WHERE v = txt ORDER BY id", `[[2]]`},
		{"SELECT a.id, c.id FROM app.cc a JOIN app.cc c ON a.v = c.txt ORDER BY 1, 2", `[[2,2]]`},
		{"SELECT a.id, c.id FROM app.cc a JOIN app.cc c ON c.txt = a.v ORDER BY 1, 2", `[[2,2]]`},
		{"SELECT a.id, c.id FROM app.cc a LEFT JOIN app.cc c ON a.v = c.txt ORDER BY 1, 2", `[[1,null],[2,2],[3,null]]`},
		{"SELECT a.id, c.id FROM app.cc a, app.cc c WHERE a.v = c.txt ORDER BY 1, 2", `[[2,2]]`},
		{"SELECT a.id FROM app.cc a WHERE EXISTS (SELECT 1 FROM app.cc c WHERE c.txt = a.v) ORDER BY 1", `[[2]]`},
	})
}

// TestSQLAttack15NegativeZeroGroupsWithZero: -0 equals 0 (docs/sql.md),
// so PostgreSQL puts them in one group and counts them as one distinct
// value. GROUP BY and count(DISTINCT) of a computed float keep -0 apart
// from 0: round(-0.4) and round(0.4) make two groups, both printed 0.
// (SELECT DISTINCT, UNION and window partitions already merge them.)
func TestSQLAttack15NegativeZeroGroupsWithZero(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE SHARED TABLE app.rz (id BIGINT PRIMARY KEY, f DOUBLE);
		INSERT INTO app.rz VALUES (1, 0.4), (2, -0.4), (3, 1.6)`)
	checkRows(t, s, "group", []attackCase{
		{"SELECT round(f) AS r, count(*) FROM app.rz GROUP BY round(f) ORDER BY 1, 2", `[[0,2],[2,1]]`},
		{"SELECT count(DISTINCT round(f)) FROM app.rz", `[[2]]`},
		{"SELECT count(*) FROM (SELECT round(f) FROM app.rz GROUP BY 1) q", `[[2]]`},
		{"SELECT x, count(*) FROM (VALUES (0.0::float8), ('-0'::float8)) v(x) GROUP BY x", `[[0,2]]`},
		{"SELECT count(DISTINCT x) FROM (VALUES (0.0::real), ('-0'::real)) v(x)", `[[1]]`},
		{"SELECT DISTINCT round(f) FROM app.rz ORDER BY 1", `[[0],[2]]`},
	})
}

// TestSQLAttack15BooleanParamAgainstIntegers: a JSON true/false parameter
// is a BOOLEAN (docs/api.md: params are typed values), and PostgreSQL has
// no bigint = boolean operator: `id = $1` with true is an error there, as
// `id IN ($1)`, `$1 + 1` and INSERT of it into an integer column already
// are here. A comparison of an integer column with it instead reads true
// as 1 and false as 0 (MySQL's booleans), on the primary-key path and off
// it, so DELETE ... WHERE id = $1 with true deletes row 1.
func TestSQLAttack15BooleanParamAgainstIntegers(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE SHARED TABLE app.bp (id BIGINT PRIMARY KEY, b BIGINT);
		INSERT INTO app.bp VALUES (0, 5), (1, 0), (2, 1)`)
	cases := []struct {
		sql   string
		param bool
	}{
		{"SELECT id FROM app.bp WHERE id = $1", true},
		{"SELECT id FROM app.bp WHERE id = $1", false},
		{"SELECT id FROM app.bp WHERE id > $1 ORDER BY id", true},
		{"SELECT id FROM app.bp WHERE b = $1 ORDER BY id", false},
		{"SELECT id FROM app.bp WHERE b = $1 ORDER BY id", true},
		{"DELETE FROM app.bp WHERE id = $1", true},
		{"UPDATE app.bp SET b = 9 WHERE b = $1", false},
	}
	for _, c := range cases {
		r := s.sql(root, c.sql, c.param)
		if r.Status == "success" {
			t.Errorf("%s with %v: answered %s, want INVALID_SQL (operator does not exist: bigint = boolean)", c.sql, c.param, r.raw)
		} else if r.Error == nil || r.Error.Code != "INVALID_SQL" {
			t.Errorf("%s with %v: %s, want INVALID_SQL", c.sql, c.param, r)
		}
	}
	if got := s.ok(root, "SELECT id, b FROM app.bp ORDER BY id").rows(t); got != `[[0,5],[1,0],[2,1]]` {
		t.Errorf("rows after refused writes: %s, want [[0,5],[1,0],[2,1]]", got)
	}
}

// TestSQLAttack15ByteaLiteralComparisons: an untyped literal or text
// parameter meeting a BYTES (bytea) column is read with bytea's input
// rules in PostgreSQL, so '\x00ff' is the two bytes 00 ff, as it is when
// INSERT writes it and when IN compares with it here. In `=`, `<>`, `<`,
// `>` it is compared as its text's bytes instead: a row written with
// '\x00ff' is not found by `WHERE bt = '\x00ff'`.
func TestSQLAttack15ByteaLiteralComparisons(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE SHARED TABLE app.by (id BIGINT PRIMARY KEY, bt BYTES);
		INSERT INTO app.by VALUES (1, 'abc'), (2, '\x00ff'), (3, '\x'), (4, '\x41')`)
	checkRows(t, s, "literal", []attackCase{
		{`SELECT id FROM app.by WHERE bt = '\x00ff'`, `[[2]]`},
		{`SELECT id FROM app.by WHERE bt = '\x616263'`, `[[1]]`},
		{`SELECT id FROM app.by WHERE bt = '\x'`, `[[3]]`},
		{`SELECT id FROM app.by WHERE bt > '\x00' ORDER BY id`, `[[1],[2],[4]]`},
		{`SELECT id, bt = '\x00ff' FROM app.by ORDER BY id`, `[[1,false],[2,true],[3,false],[4,false]]`},
		// Controls that already answer as PostgreSQL does.
		{`SELECT id FROM app.by WHERE bt IN ('\x00ff', '\x41') ORDER BY id`, `[[2],[4]]`},
		{`SELECT id FROM app.by WHERE bt = '\x00ff'::bytea`, `[[2]]`},
		{`SELECT id FROM app.by WHERE bt = 'abc'`, `[[1]]`},
	})
	checkRows(t, s, "param", []attackCase{{`SELECT id FROM app.by WHERE bt = $1`, `[[2]]`}}, `\x00ff`)
	if r := s.ok(root, `DELETE FROM app.by WHERE bt = '\x00ff'`); r.Results[0].RowCount != 1 {
		t.Errorf(`DELETE ... WHERE bt = '\x00ff' deleted %d rows, want 1`, r.Results[0].RowCount)
	}
	// A BYTES primary key: the point lookup reads the literal as bytea,
	// a range does not.
	s.ok(root, `CREATE SHARED TABLE app.bk (k BYTES PRIMARY KEY, n INT); INSERT INTO app.bk VALUES ('\x00ff', 1), ('abc', 2)`)
	checkRows(t, s, "primary key", []attackCase{
		{`SELECT n FROM app.bk WHERE k = '\x00ff'`, `[[1]]`},
		{`SELECT n FROM app.bk WHERE k > '\x00' ORDER BY n`, `[[1],[2]]`},
	})
}

// TestSQLAttack15JsonOrdering: docs/sql.md makes json and jsonb one type
// with jsonb's `=`; jsonb's ordering (used by <, >, ORDER BY, min/max)
// ranks kinds (object > array > boolean > number > string > null),
// compares objects by their number of pairs before their keys, and arrays
// by length before elements. KalamDB orders differently, so `<` and `>`
// on JSON answer otherwise than PostgreSQL.
func TestSQLAttack15JsonOrdering(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE SHARED TABLE app.js (id BIGINT PRIMARY KEY, j JSON);
		INSERT INTO app.js VALUES (1, '{"a":1}'), (2, '{"a":"x"}'), (5, '[1,2]'), (6, '{"b":[1,{"c":2}]}')`)
	checkRows(t, s, "json", []attackCase{
		{`SELECT '"b"'::jsonb < '1'::jsonb, '[9]'::jsonb < '[1,1]'::jsonb, 'true'::jsonb > '100'::jsonb`, `[[true,true,true]]`},
		{`SELECT id FROM app.js WHERE j > '{"a":0}' ORDER BY id`, `[[1],[6]]`},
	})
}

// TestSQLAttack15GroupByPositionErrors: a GROUP BY position past the
// select list, or naming an aggregate, is a planning error in PostgreSQL
// (INVALID_SQL here, as ORDER BY's positions already are). KalamDB fails
// while running with SQL_EXECUTION_ERROR and go-mysql-server's internal
// texts ("column ordinal out of range: 3", "unable to find field with
// index 16 in row of 1 columns").
func TestSQLAttack15GroupByPositionErrors(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE SHARED TABLE app.gp (id BIGINT PRIMARY KEY, ok BOOLEAN);
		INSERT INTO app.gp VALUES (1, true), (2, false)`)
	cases := []struct{ sql, msg string }{
		{"SELECT ok, count(*) FROM app.gp GROUP BY 3", "GROUP BY position 3 is not in select list"},
		{"SELECT ok, count(*) FROM app.gp GROUP BY 2", "aggregate functions are not allowed in GROUP BY"},
	}
	for _, c := range cases {
		r := s.sql(root, c.sql)
		if r.Error == nil || r.Error.Code != "INVALID_SQL" || !strings.Contains(r.Error.Message, c.msg) {
			t.Errorf("%s: %s, want INVALID_SQL %q", c.sql, r, c.msg)
		}
	}
}

// TestSQLAttack15RegexBackslashB: in PostgreSQL's regular expressions
// \b is a backspace and \B a backslash (\y and \Y are word boundaries).
// RE2 reads \b and \B as word boundaries, so the same pattern silently
// matches other texts; docs/sql.md refuses the RE2 features PostgreSQL
// lacks, but these two are taken with RE2's meaning, while PostgreSQL's
// word boundaries (\y, \Y, \m, \M) fail as invalid escapes.
func TestSQLAttack15RegexBackslashB(t *testing.T) {
	s := startServer(t, t.TempDir())
	checkRows(t, s, "regex", []attackCase{
		{`SELECT 'a b' ~ 'a\b', 'ab' ~ 'a\Bb'`, `[[false,false]]`},
		{`SELECT E'a\bb' ~ 'a\bb', 'a\b' ~ 'a\Bb'`, `[[true,true]]`},
		{`SELECT regexp_replace('foo bar', '\b', '|', 'g')`, `[["foo bar"]]`},
		// PostgreSQL's own word boundaries are refused instead.
		{`SELECT 'a b' ~ 'a\y', 'ab' ~ 'a\Yb', 'foo bar' ~ '\mbar', 'foo bar' ~ 'o\M'`, `[[true,true,true,true]]`},
	})
}

// TestSQLAttack15ToCharPatterns: to_char's template fields that KalamDB
// does not know are copied into the text, or read as other fields, instead
// of being formatted or refused: IYYY prints "I024", Y,YYY "4,024", SSSS
// "0303", BC stays "BC" for a year AD, the TH suffix is copied ("01th").
// And to_timestamp refuses DDD (listed as covered in docs/sql.md) and a
// template without separators (YYYYMMDD).
func TestSQLAttack15ToCharPatterns(t *testing.T) {
	s := startServer(t, t.TempDir())
	const ts = `TIMESTAMP '2024-03-01 09:05:03.0405'`
	cases := []attackCase{}
	for _, c := range []struct{ format, want string }{
		{"IYYY", "2024"},
		{"Y,YYY", "2,024"},
		{"SSSS", "32703"},
		{"YYYY BC", "2024 AD"},
		{"DDth", "01st"},
		{"MMth", "03rd"},
		{"FF3", "040"},
		{"CC", "21"},
		{"W", "1"},
		{"RM", "III "},
		{"TZ", ""},
	} {
		cases = append(cases, attackCase{"SELECT to_char(" + ts + ", '" + c.format + "')", `[["` + c.want + `"]]`})
	}
	cases = append(cases,
		attackCase{"SELECT to_timestamp('2024 060', 'YYYY DDD')::text", `[["2024-02-29 00:00:00"]]`},
		attackCase{"SELECT to_timestamp('20240301', 'YYYYMMDD')::text", `[["2024-03-01 00:00:00"]]`},
	)
	checkRows(t, s, "to_char", cases)
}

// TestSQLAttack15ExtractJulianKeepsTimeOfDay: EXTRACT(julian FROM ts) is
// the Julian day with the time of day as its fraction in PostgreSQL
// (2460311.5 at noon); KalamDB types julian as a whole-number field and
// drops the fraction.
func TestSQLAttack15ExtractJulianKeepsTimeOfDay(t *testing.T) {
	s := startServer(t, t.TempDir())
	checkRows(t, s, "julian", []attackCase{
		{"SELECT EXTRACT(julian FROM TIMESTAMP '2024-01-01 12:00') = 2460311.5", `[[true]]`},
		{"SELECT EXTRACT(julian FROM DATE '2024-01-01') = 2460311", `[[true]]`},
	})
}

// TestSQLAttack15UnionColumnCount: set-operation branches with different
// numbers of columns are a planning error in PostgreSQL ("each UNION query
// must have the same number of columns"); KalamDB answers
// SQL_EXECUTION_ERROR with go-mysql-server's "cannot union two queries
// whose schemas are different lengths".
func TestSQLAttack15UnionColumnCount(t *testing.T) {
	s := startServer(t, t.TempDir())
	for _, q := range []string{"SELECT 1, 2 UNION SELECT 1", "SELECT 1 INTERSECT SELECT 1, 2", "SELECT 1, 2 EXCEPT SELECT 1"} {
		r := s.sql(root, q)
		if r.Error == nil || r.Error.Code != "INVALID_SQL" || !strings.Contains(r.Error.Message, "must have the same number of columns") {
			t.Errorf("%s: %s, want INVALID_SQL \"... must have the same number of columns\"", q, r)
		}
	}
}

// TestSQLAttack15ByteaConcatenation: || of two byteas (or of an untyped
// literal and a bytea) is bytea concatenation in PostgreSQL; KalamDB
// refuses bytea || bytea and turns 'x' || bytea into text holding the
// bytea's \x form.
func TestSQLAttack15ByteaConcatenation(t *testing.T) {
	s := startServer(t, t.TempDir())
	checkRows(t, s, "bytea ||", []attackCase{
		{`SELECT ('\x41'::bytea || '\x42'::bytea)::text`, `[["\\x4142"]]`},
		{`SELECT ('x' || '\x41'::bytea)::text`, `[["\\x7841"]]`},
	})
}

// TestSQLAttack15DecimalInputMessage: bad text for a DECIMAL column names
// the type as "decimal(0,0)" rather than PostgreSQL's "numeric".
func TestSQLAttack15DecimalInputMessage(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE SHARED TABLE app.dm (id BIGINT PRIMARY KEY, d DECIMAL(6,2))`)
	r := s.sql(root, "SELECT id FROM app.dm WHERE d = '1,25'")
	if r.Error == nil || r.Error.Code != "INVALID_INPUT" || !strings.Contains(r.Error.Message, `invalid input syntax for type numeric: "1,25"`) {
		t.Errorf("d = '1,25': %s, want INVALID_INPUT `invalid input syntax for type numeric: \"1,25\"`", r)
	}
}
