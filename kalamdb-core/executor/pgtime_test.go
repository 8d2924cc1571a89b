package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// The expected answers of this file are PostgreSQL 15's.

// TestTimestampFractionRounds: more than 6 digits of a second round to
// microseconds as PostgreSQL rounds them (the fraction as a double, times
// 10^6, half to even), in casts, comparisons, INSERT and UPDATE, literals
// and parameters, with and without an index.
func TestTimestampFractionRounds(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	checkCastTexts(root, []castText{
		{"2024-01-01 00:00:00.0000015", "timestamp", "2024-01-01 00:00:00.000002"},
		{"2024-01-01 00:00:00.0000005", "timestamp", "2024-01-01 00:00:00"},
		{"2024-01-01 00:00:00.0000025", "timestamp", "2024-01-01 00:00:00.000002"},
		{"2024-01-01 00:00:00.0000035", "timestamp", "2024-01-01 00:00:00.000004"},
		{"1969-12-31 23:59:59.9999995", "timestamp", "1970-01-01 00:00:00"},
		{"1969-12-31 23:59:59.9999985", "timestamp", "1969-12-31 23:59:59.999998"},
		{"2024-01-01 00:00:00.00000149999", "timestamp", "2024-01-01 00:00:00.000001"},
		{"2024-01-01 00:00:00.1234565", "timestamp", "2024-01-01 00:00:00.123456"},
		{"2024-01-01 00:00:00.123456789012", "timestamp", "2024-01-01 00:00:00.123457"},
		{"2024-02-28 23:59:59.99999951", "timestamp", "2024-02-29 00:00:00"},
		{"2024-01-01T10:00:00.0000015", "timestamp", "2024-01-01 10:00:00.000002"},
		{"2024-01-01 10:00:00.0000015+02", "timestamp", "2024-01-01 10:00:00.000002"},
		{"2024-01-01 10:00:00.0000015+02", "timestamptz", "2024-01-01 08:00:00.000002"},
		{"2024-01-01 10:00:00.9999996Z", "timestamptz", "2024-01-01 10:00:01"},
		{"23:59:59.9999995", "time", "24:00:00"},
		{"12:00:00.1234565", "time", "12:00:00.123456"},
		{"00:00:00.0000015", "time", "00:00:00.000002"},
	})

	root.must(`CREATE NAMESPACE app;
		CREATE TABLE app.ts (id BIGINT PRIMARY KEY, ts TIMESTAMP);
		CREATE TABLE app.tsx (id BIGINT PRIMARY KEY, ts TIMESTAMP);
		CREATE INDEX tsx_ts ON app.tsx (ts)`)
	for _, tb := range []string{"app.ts", "app.tsx"} {
		root.must("INSERT INTO "+tb+" VALUES (1, '2024-01-01 00:00:00.000001'), (2, '2024-01-01 00:00:00.000002'), "+
			"(3, '1969-12-31 23:59:59.999999'), (4, '1970-01-01 00:00:00'), (5, '2024-01-01 00:00:00.0000015'), (6, $1)",
			"2024-01-01 00:00:00.0000025")
		root.must("INSERT INTO " + tb + " (id, ts) VALUES (7, '2024-01-01 00:00:00')")
		root.must("UPDATE "+tb+" SET ts = $1 WHERE id = 7", "2024-01-01 00:00:00.0000035")
		if got, want := root.rows("SELECT id, ts::text FROM "+tb+" ORDER BY id"),
			`[[1,"2024-01-01 00:00:00.000001"],[2,"2024-01-01 00:00:00.000002"],[3,"1969-12-31 23:59:59.999999"],`+
				`[4,"1970-01-01 00:00:00"],[5,"2024-01-01 00:00:00.000002"],[6,"2024-01-01 00:00:00.000002"],[7,"2024-01-01 00:00:00.000004"]]`; got != want {
			t.Errorf("%s: stored %s, want %s", tb, got, want)
		}
		for _, c := range []struct {
			cond   string
			params []any
			want   string
		}{
			{"ts = '2024-01-01 00:00:00.0000015'", nil, "[[2],[5],[6]]"},
			{"ts = $1", []any{"2024-01-01 00:00:00.0000011"}, "[[1]]"},
			{"ts >= '1969-12-31 23:59:59.9999995' AND ts < '2000-01-01'", nil, "[[4]]"},
			{"ts < '1969-12-31 23:59:59.9999995'", nil, "[[3]]"},
			{"ts > '2024-01-01 00:00:00.0000005' AND ts < timestamp '2024-01-01 00:00:00.0000025'", nil, "[[1]]"},
		} {
			q := "SELECT id FROM " + tb + " WHERE " + c.cond + " ORDER BY id"
			if got := root.rows(q, c.params...); got != c.want {
				t.Errorf("%s %v: %s, want %s", q, c.params, got, c.want)
			}
		}
	}
}

// TestClockPastMinuteAndDay: PostgreSQL reads second 60 as the next
// minute (a fraction kept: a timestamp's 00:00:60.5 is 00:01:00.5) and
// 24:00[:00] as the next midnight; DATE input drops the clock. Other
// fields past their range are invalid. The same in INSERT, with literals
// and parameters, and in comparisons with an indexed column.
func TestClockPastMinuteAndDay(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	checkCastTexts(root, []castText{
		{"2024-01-01 00:00:60", "timestamp", "2024-01-01 00:01:00"},
		{"2024-12-31 23:59:60", "timestamp", "2025-01-01 00:00:00"},
		{"2024-01-01 00:00:60.5", "timestamp", "2024-01-01 00:01:00.5"},
		{"2024-01-01 00:00:60.0000001", "timestamp", "2024-01-01 00:01:00"},
		{"2024-01-01T23:59:60", "timestamp", "2024-01-02 00:00:00"},
		{"2024-01-01 24:00", "timestamp", "2024-01-02 00:00:00"},
		{"2024-02-28 24:00:00", "timestamp", "2024-02-29 00:00:00"},
		{"2024-01-01T24:00:00Z", "timestamp", "2024-01-02 00:00:00"},
		{"2024-01-01 00:00:60+02", "timestamptz", "2023-12-31 22:01:00"},
		{"2024-01-01T23:59:60Z", "timestamptz", "2024-01-02 00:00:00"},
		{"2024-12-31 23:59:60", "date", "2024-12-31"},
		{"2024-12-31 24:00:00", "date", "2024-12-31"},
		{"23:59:60", "time", "24:00:00"},
		{"12:00:60", "time", "12:01:00"},
	})
	for _, q := range []string{
		"SELECT '2024-01-01 00:00:61'::timestamp",
		"SELECT '2024-01-01 00:60:00'::timestamp",
		"SELECT '2024-01-01 24:00:01'::timestamp",
		"SELECT '2024-01-01 24:00:00.5'::timestamp",
		"SELECT '2024-01-01 25:00'::timestamp",
		"SELECT '23:59:60.5'::time",
		"SELECT '24:00:60'::time",
	} {
		root.fails(apierror.SQLExecutionError, q)
	}

	root.must(`CREATE NAMESPACE app;
		CREATE TABLE app.ts (id BIGINT PRIMARY KEY, ts TIMESTAMP, t TIME);
		CREATE TABLE app.tsx (id BIGINT PRIMARY KEY, ts TIMESTAMP, t TIME);
		CREATE INDEX tsx_ts ON app.tsx (ts)`)
	for _, tb := range []string{"app.ts", "app.tsx"} {
		root.must("INSERT INTO "+tb+" VALUES (1, '2024-01-01 23:59:60', '23:59:60'), (2, $1, $2), (3, '2024-01-01 24:00', '00:00:60')",
			"2024-06-30 23:59:60.25", "12:59:60")
		if got, want := root.rows("SELECT id, ts::text, t::text FROM "+tb+" ORDER BY id"),
			`[[1,"2024-01-02 00:00:00","24:00:00"],[2,"2024-07-01 00:00:00.25","13:00:00"],[3,"2024-01-02 00:00:00","00:01:00"]]`; got != want {
			t.Errorf("%s: stored %s, want %s", tb, got, want)
		}
		if got := root.rows("SELECT id FROM " + tb + " WHERE ts = '2024-01-01 23:59:60' ORDER BY id"); got != "[[1],[3]]" {
			t.Errorf("%s: ts = '2024-01-01 23:59:60': %s", tb, got)
		}
		if got := root.rows("SELECT id FROM "+tb+" WHERE ts < $1 ORDER BY id", "2024-01-01 23:59:60"); got != "null" && got != "[]" {
			t.Errorf("%s: ts < $1: %s", tb, got)
		}
	}
	root.fails(apierror.InvalidInput, "INSERT INTO app.ts VALUES (9, '2024-01-01 00:00:61', NULL)")
}

// castText is a text cast to a type and the text of the result.
type castText struct{ in, typ, want string }

// checkCastTexts runs SELECT ('in'::typ)::text for each case.
func checkCastTexts(c *caller, cases []castText) {
	c.e.t.Helper()
	for _, k := range cases {
		q := "SELECT ('" + k.in + "'::" + k.typ + ")::text"
		if got, want := c.rows(q), `[["`+k.want+`"]]`; got != want {
			c.e.t.Errorf("%s: %s, want %s", q, got, want)
		}
	}
}
