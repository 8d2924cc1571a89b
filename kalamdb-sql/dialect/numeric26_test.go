package dialect

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// PostgreSQL 15 reads a numeric's exponent of any size whose value fits
// numeric (131072 digits before the point, 16383 after); only an exponent
// of 2^30 - 1 or more is refused whatever the digits (0e1073741823).
// Exponents above 1000 were refused as invalid input, as PostgreSQL did
// before version 15. Each text is PostgreSQL 15's answer.
func TestNumericExponentsAsPostgreSQL15(t *testing.T) {
	for expr, want := range map[string]string{
		"1e1001":          "1" + strings.Repeat("0", 1001),
		"1e131071":        "1" + strings.Repeat("0", 131071),
		"0.1e131072":      "1" + strings.Repeat("0", 131071),
		"1e-16383":        "0." + strings.Repeat("0", 16382) + "1",
		"0e-16383":        "0." + strings.Repeat("0", 16383),
		"-1.5e-1001":      "-0." + strings.Repeat("0", 1000) + "15",
		"0e100000000":     "0",
		"0.00e1073741822": "0",
		"1e1001 / 1e1000": "10.0000000000000000",
	} {
		st := parseAs[*CreateTable](t, "CREATE TABLE t (c TEXT DEFAULT "+expr+")")
		got, ok := st.Columns[0].Default.Literal.(decimal.Decimal)
		if !ok {
			t.Errorf("%s = %T %v, want a decimal", expr, st.Columns[0].Default.Literal, st.Columns[0].Default.Literal)
			continue
		}
		if s := NumericText(got); s != want {
			t.Errorf("%s = %s, want %s", expr, Snippet(s), Snippet(want))
		}
	}
	var cases []errCase
	for _, lit := range []string{"1e131072", "10e131071", "1e-16384", "0e-16384", "1.5e-16383", "0e1073741823", "0e-1073741823", "1e999999999", "1e" + strings.Repeat("9", 30)} {
		cases = append(cases, errCase{sql: "CREATE TABLE t (c TEXT DEFAULT " + lit + ")", code: apierror.InvalidSQL, msg: "value overflows numeric format"},
			errCase{sql: "CREATE TABLE t (c NUMERIC DEFAULT '" + lit + "'::numeric)", code: apierror.InvalidSQL, msg: "value overflows numeric format"})
	}
	runErrCases(t, cases)
	for _, c := range []struct {
		text          string
		ok, inRange   bool
		before, after int64
	}{
		{"1e1001", true, true, 1002, 0},
		{"0e1073741822", true, true, 0, 0},
		{"0e1073741823", true, false, 0, 0},
		{"0e-1073741822", true, false, 0, 1073741822},
	} {
		s, ok := ReadNumericShape(c.text)
		if ok != c.ok || s.InNumericRange() != c.inRange || s.Before != c.before || s.After != c.after {
			t.Errorf("%s: %+v %v in range %v", c.text, s, ok, s.InNumericRange())
		}
	}
}

// A zero's exponent only sets its scale: 0e100000000 is 0 at once, not
// ten to the hundred-millionth computed to be multiplied by zero.
func TestParseNumericZeroExponent(t *testing.T) {
	for text, want := range map[string]string{"0e100000000": "0", "-0.000e1073741822": "0", "0.0e-5": "0.000000"} {
		d, ok, overflow := ParseNumeric(text)
		if !ok || overflow || NumericText(d) != want {
			t.Errorf("%s = %v %v %v, want %s", text, NumericText(d), ok, overflow, want)
		}
	}
}
