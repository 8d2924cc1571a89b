package dialect

import (
	"runtime"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// A DEFAULT nested deeper than any expression the engine takes is refused
// with an error: the fold recursed once per parenthesis or sign, and a
// statement of a few megabytes of "(" overflowed the goroutine's stack,
// which kills the server (it did, before the bound).
func TestReview24DefaultNestingBounded(t *testing.T) {
	const n = 1 << 20
	for name, expr := range map[string]string{
		"parentheses": strings.Repeat("(", n) + "1" + strings.Repeat(")", n),
		"signs":       strings.Repeat("- ", n) + "1",
		"casts":       strings.Repeat("CAST(", n) + "1" + strings.Repeat(" AS INT)", n),
	} {
		_, err := Parse("CREATE TABLE t (c INT DEFAULT " + expr + ")")
		if apierror.CodeOf(err) != apierror.InvalidSQL || !strings.Contains(err.Error(), "nested too deeply") {
			t.Errorf("%s: err = %.200v, want INVALID_SQL nested too deeply", name, err)
		}
	}
	st := parseAs[*CreateTable](t, "CREATE TABLE t (c INT DEFAULT "+strings.Repeat("(", 900)+"1"+strings.Repeat(")", 900)+")")
	if d := st.Columns[0].Default; d == nil || d.Literal != int64(1) {
		t.Fatalf("default = %#v, want 1", d)
	}
}

// A chain of || folds in bytes proportional to the text: it copied the
// text folded so far at each operator, so a megabyte string followed by
// 20,000 || 'y' allocated 20 GB (minutes of CPU for one CREATE TABLE,
// hours at the statement size limit) before.
func TestReview24DefaultConcatLinear(t *testing.T) {
	const n = 20_000
	head := strings.Repeat("x", 1<<20)
	sql := "CREATE TABLE t (c TEXT DEFAULT '" + head + "'" + strings.Repeat(" || 'y'", n) + " || 1 || NULL::text, d TEXT DEFAULT 'a' || 'b' || 2)"
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	stmts, err := Parse(sql)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	st := stmts[0].(*CreateTable)
	if d := st.Columns[0].Default; d.Literal != nil || d.Type != PgText {
		t.Fatalf("NULL at the end: default = %v %q, want NULL text", d.Literal, d.Type)
	}
	if d := st.Columns[1].Default; d.Literal != "ab2" {
		t.Fatalf("default = %v, want ab2", d.Literal)
	}
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(40*len(sql)); got > limit {
		t.Fatalf("parsing %d bytes allocated %d bytes, want at most %d", len(sql), got, limit)
	}
	st = parseAs[*CreateTable](t, "CREATE TABLE t (c TEXT DEFAULT '"+head+"'"+strings.Repeat(" || 'y'", 100)+")")
	if got, want := st.Columns[0].Default.Literal, head+strings.Repeat("y", 100); got != want {
		t.Fatalf("folded text of %d bytes, want %d", len(got.(string)), len(want))
	}
}

// A cast to a floating-point type reads the text as PostgreSQL's float
// input does: out of range is an error, hexadecimal is no number, and
// Infinity and NaN (which the catalog's JSON cannot hold: "encode
// system.table_schemas: json: unsupported value: +Inf" was the answer,
// an internal error) are refused in words. A float cast to an integer
// rounds half to even, as PostgreSQL's rint does (2.5::float8::int was 3,
// PostgreSQL's is 2); a numeric rounds half away from zero.
func TestReview24DefaultFloatCasts(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "float out of range", sql: "CREATE TABLE t (a FLOAT DEFAULT '1e400'::float8)", code: apierror.InvalidSQL, msg: `"1e400" is out of range for type double precision`, pos: 33},
		{name: "infinity", sql: "CREATE TABLE t (a FLOAT DEFAULT 'Infinity'::float8)", code: apierror.Unsupported, msg: "Infinity", pos: 33},
		{name: "nan", sql: "CREATE TABLE t (a FLOAT DEFAULT ' nan '::double precision)", code: apierror.Unsupported, msg: "NaN", pos: 33},
		{name: "hex float", sql: "CREATE TABLE t (a INT DEFAULT '0x1p4'::float8::int)", code: apierror.InvalidSQL, msg: `invalid input syntax for type double precision: "0x1p4"`, pos: 31},
		{name: "underscore", sql: "CREATE TABLE t (a FLOAT DEFAULT '1_0'::real)", code: apierror.InvalidSQL, msg: `invalid input syntax for type real: "1_0"`, pos: 33},
	})
	for expr, want := range map[string]int64{
		"2.5::float8::int":   2,
		"3.5::float8::int":   4,
		"-2.5::float4::int":  -2,
		"2.5::int":           3,
		"-2.5::int":          -3,
		"'2.5'::real::int":   2,
		"'1e3'::float8::int": 1000,
	} {
		st := parseAs[*CreateTable](t, "CREATE TABLE t (c INT DEFAULT "+expr+")")
		if got := st.Columns[0].Default.Literal; got != want {
			t.Errorf("%s = %v, want %d", expr, got, want)
		}
	}
}
