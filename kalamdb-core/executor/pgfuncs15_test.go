package executor_test

import "testing"

// TestPostgresFunctionAnswers15: answers a differential run against
// PostgreSQL 15 found different (sqlattack15), each with PostgreSQL's.
func TestPostgresFunctionAnswers15(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app;
		CREATE SHARED TABLE app.b (id BIGINT PRIMARY KEY, ok BOOLEAN, i INT);
		INSERT INTO app.b VALUES (1, true, 5), (2, false, -1), (3, NULL, 0);
		CREATE SHARED TABLE app.ev (id BIGINT PRIMARY KEY, at TIMESTAMP);
		INSERT INTO app.ev VALUES (1, '2025-06-30 12:00:00'), (2, '2025-07-01 12:00:00')`)
	cases := []struct{ sql, want string }{
		// A fraction of a year is whole months (rounded half to even), not
		// 30-day months' worth of days.
		{"SELECT (TIMESTAMP '2024-01-01' + INTERVAL '1.5 years')::text", `[["2025-07-01 00:00:00"]]`},
		{"SELECT (TIMESTAMP '2024-01-01' + INTERVAL '0.25 year')::text", `[["2024-04-01 00:00:00"]]`},
		{"SELECT (TIMESTAMP '2024-01-01' - INTERVAL '1.5 years')::text", `[["2022-07-01 00:00:00"]]`},
		{"SELECT (TIMESTAMP '2024-01-01' + INTERVAL '0.1 decade')::text", `[["2025-01-01 00:00:00"]]`},
		{"SELECT (TIMESTAMP '2024-01-01' + INTERVAL '0.01 century')::text", `[["2025-01-01 00:00:00"]]`},
		{"SELECT (DATE '2024-01-31' + INTERVAL '0.5 year')::text", `[["2024-07-31 00:00:00"]]`},
		{"SELECT (TIMESTAMP '2024-01-01' + INTERVAL '1.5 months')::text", `[["2024-02-16 00:00:00"]]`},
		{"SELECT (TIMESTAMP '2024-01-01' + INTERVAL '1.5 days')::text", `[["2024-01-02 12:00:00"]]`},
		{"SELECT id FROM app.ev WHERE at > TIMESTAMP '2024-01-01' + INTERVAL '1.5 years' ORDER BY id", `[[2]]`},
		// A timestamp's Julian day carries its day's fraction; a date's is whole.
		{"SELECT EXTRACT(julian FROM TIMESTAMP '2024-01-01 12:00') = 2460311.5", `[[true]]`},
		{"SELECT EXTRACT(julian FROM TIMESTAMP '1969-12-31 18:00')", `[[2440587.75]]`},
		{"SELECT EXTRACT(julian FROM DATE '2024-01-01'), EXTRACT(julian FROM DATE '1969-12-31')", `[[2460311,2440587]]`},
		// concat and concat_ws write a boolean as t or f; a cast and || as true/false.
		{"SELECT concat(true), concat_ws(',', true, false)", `[["t","t,f"]]`},
		{"SELECT concat(ok, i), concat_ws('-', ok, i) FROM app.b ORDER BY id", `[["t5","t-5"],["f-1","f--1"],["0","0"]]`},
		{"SELECT ok::text, 'x' || ok FROM app.b WHERE id < 3 ORDER BY id", `[["true","xtrue"],["false","xfalse"]]`},
	}
	for _, c := range cases {
		if got := root.rows(c.sql); got != c.want {
			t.Errorf("%s: %s, want %s", c.sql, got, c.want)
		}
	}
}

// TestToCharPatterns15: to_char and to_timestamp template fields, each
// checked against PostgreSQL 15.
func TestToCharPatterns15(t *testing.T) {
	root := newEnv(t).root()
	const ts = `TIMESTAMP '2024-03-01 09:05:03.0405'`
	for _, c := range []struct{ format, want string }{
		{"IYYY Y,YYY SSSS YYYY BC DDth MMth FF3 CC W RM|FMRM|rm J Ith SSSSS", "2024 2,024 32703 2024 AD 01st 03rd 040 21 1 III |III|iii  2460371 4th 32703"},
		{"YYYY-MM-DDTHH24:MI:SS", "2024-03-01STH24:05:03"},
		{"FF1 FF6 a.d. B.C. DDTH", "0 040500 a.d. A.D. 01ST"},
		{"YYYY-MM-DD HH24:MI:SS", "2024-03-01 09:05:03"},
	} {
		q := "SELECT to_char(" + ts + ", '" + c.format + "')"
		if got := root.rows(q); got != `[["`+c.want+`"]]` {
			t.Errorf("%s: %s, want %q", q, got, c.want)
		}
	}
	for _, c := range []struct{ sql, want string }{
		{"SELECT to_timestamp('2024 060', 'YYYY DDD')::text", `[["2024-02-29 00:00:00"]]`},
		{"SELECT to_timestamp('20240301', 'YYYYMMDD')::text", `[["2024-03-01 00:00:00"]]`},
		{"SELECT to_timestamp('2024-03-01 09:05', 'YYYY-MM-DD HH24:MI')::text", `[["2024-03-01 09:05:00"]]`},
		{"SELECT to_timestamp('1st March 2024', 'DDth Month YYYY')::text", `[["2024-03-01 00:00:00"]]`},
	} {
		if got := root.rows(c.sql); got != c.want {
			t.Errorf("%s: %s, want %s", c.sql, got, c.want)
		}
	}
}

// TestDateTextForms15: date and timestamp text PostgreSQL reads beyond
// zero-padded ISO: one-digit months, days and hours, packed YYYYMMDD and
// month names, in casts and when written into DATE and TIMESTAMP columns.
func TestDateTextForms15(t *testing.T) {
	root := newEnv(t).root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.d (id BIGINT PRIMARY KEY, dt DATE, ts TIMESTAMP, tz DATETIME)`)
	for _, c := range []struct{ sql, want string }{
		{"SELECT '2024-1-5'::date::text", `[["2024-01-05"]]`},
		{"SELECT '20240105'::date::text", `[["2024-01-05"]]`},
		{"SELECT 'Jan 5 2024'::date::text, 'January 5 2024'::date::text", `[["2024-01-05","2024-01-05"]]`},
		{"SELECT '2024-1-5 7:08'::timestamp::text", `[["2024-01-05 07:08:00"]]`},
		{"SELECT '2024-1-5 7:08:09.5+01'::timestamptz::text", `[["2024-01-05 06:08:09.5"]]`},
		{"SELECT '2024-02-30'::date::text", ``},
	} {
		if c.want == "" {
			root.fails("SQL_EXECUTION_ERROR", c.sql)
			continue
		}
		if got := root.rows(c.sql); got != c.want {
			t.Errorf("%s: %s, want %s", c.sql, got, c.want)
		}
	}
	root.must("INSERT INTO app.d VALUES (1, '2024-1-5', '2024-1-5 7:08', '2024-1-5 7:08+01')")
	root.must("INSERT INTO app.d VALUES ($1, $2, $3, $4)", 2, "20240105", "Jan 5 2024", "2024-1-5 7:08:00Z")
	if got := root.rows("SELECT id, dt::text, ts::text, tz::text FROM app.d ORDER BY id"); got != `[[1,"2024-01-05","2024-01-05 07:08:00","2024-01-05 06:08:00"],[2,"2024-01-05","2024-01-05 00:00:00","2024-01-05 07:08:00"]]` {
		t.Errorf("rows: %s", got)
	}
}

// TestByteaConcatenation15: bytea || bytea is bytea, and a literal beside
// a bytea is read as bytea; a TEXT value || bytea stays text.
func TestByteaConcatenation15(t *testing.T) {
	root := newEnv(t).root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.b (id BIGINT PRIMARY KEY, b BYTES, s TEXT);
		INSERT INTO app.b VALUES (1, '\x0102', 'x'), (2, NULL, NULL)`)
	for _, c := range []struct{ sql, want string }{
		{`SELECT ('\x41'::bytea || '\x42'::bytea)::text`, `[["\\x4142"]]`},
		{`SELECT ('x' || '\x41'::bytea)::text, ('\x41'::bytea || '\x42')::text`, `[["\\x7841","\\x4142"]]`},
		{`SELECT (b || '\xff')::text, (b || b)::text, s || '\x41'::bytea FROM app.b ORDER BY id`, `[["\\x0102ff","\\x01020102","x\\x41"],[null,null,null]]`},
		{`SELECT (NULL || '\x41'::bytea) IS NULL`, `[[true]]`},
	} {
		if got := root.rows(c.sql); got != c.want {
			t.Errorf("%s: %s, want %s", c.sql, got, c.want)
		}
	}
}
