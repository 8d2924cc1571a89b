package dialect

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// A numeric DEFAULT is folded in exact decimal arithmetic, as
// PostgreSQL's numeric computes it: a literal wider than a float64 keeps
// every digit, 0.1 + 0.2 is 0.3 (it was refused: arithmetic on fractions
// was done in float64 or not at all), and the scale is the one
// PostgreSQL gives the result (1.10 keeps two digits, 2 * 1.25 is 2.50).
// Each want is PostgreSQL 15's text of the expression.
func TestNumericDefaultFoldsExactly(t *testing.T) {
	for expr, want := range map[string]string{
		"123456789012345678901234567890":  "123456789012345678901234567890",
		"-123456789012345678901234567890": "-123456789012345678901234567890",
		"0.1 + 0.2":                       "0.3",
		"1.10":                            "1.10",
		"-1.10":                           "-1.10",
		"1 + 0.50":                        "1.50",
		"2 * 1.25":                        "2.50",
		"1.50 - 2":                        "-0.50",
		"1.5e1":                           "15",
		"1e3":                             "1000",
		"-(12345678901234567890.5 * 2) + 0.0000000001": "-24691357802469135780.9999999999",
		"'0.1' + 0.2":                  "0.3",
		"0.2 + '0.1'":                  "0.3",
		"'1.234'::numeric":             "1.234",
		"'1.235'::numeric(10,2)":       "1.24",
		"CAST(1.005 AS NUMERIC(10,2))": "1.01",
		"0.1::float8::numeric":         "0.1",
		"1e20::float8::numeric":        "100000000000000000000",
		"9223372036854775808 - 1":      "9223372036854775807",
		// Division at PostgreSQL's scale (select_div_scale), rounded
		// half away from zero; % at the larger operand scale.
		"1.5 / 2":                              "0.75000000000000000000",
		"10 / 4.0":                             "2.5000000000000000",
		"1 / 3.0":                              "0.33333333333333333333",
		"100000 / 0.003":                       "33333333.333333333333",
		"0.0001 / 7":                           "0.000014285714285714285714",
		"1e-20 / 3":                            "0.0000000000000000000033333333333333333333",
		"-7.5 / 2":                             "-3.7500000000000000",
		"2 / 3.000000000000000000001":          "0.666666666666666666666",
		"123456789012345678901234567890 / 7.0": "17636684144620811271604938270.0",
		"9999 / 9999.0":                        "1.00000000000000000000",
		"1.0 / 9999":                           "0.00010001000100010001",
		"0.5 / -0.25":                          "-2.0000000000000000",
		"0.0 / 5":                              "0.00000000000000000000",
		"0.5 / 3":                              "0.16666666666666666667",
		"2.5 / 0.5":                            "5.0000000000000000",
		"1 / 7e10":                             "0.0000000000142857142857142857",
		"12345.678 / 0.0001":                   "123456780.000000000000",
		"7 % 2.5":                              "2.0",
		"-7.5 % 2":                             "-1.5",
		"7.25 % -0.5":                          "0.25",
		"1e3 % 7.0":                            "6.0",
		// A product's scale is the sum of its factors' display scales,
		// and 4e10 has none (its exponent is not its scale): the sum of
		// the exponents lost 157.67299 * 4e10 its five digits after the
		// point, and a quotient of such a product its digits.
		"157.67299 * 4e10 * 267 * 58":                                     "97668956925600000.00000",
		"5e6 * (-717.90856)":                                              "-3589542800.00000",
		"(822 * (-4e-9) + 2096149189.33) * 3e12":                          "6288447567989990136000.000000000",
		"527.74789 * (-1e19) / (-266)":                                    "19840146240601503759.39850",
		"((-981.39344) / (-555)) / 193.91608 + 5e13 * (-291.55791) / 335": "-43516105970149.24461122826911276001",
		"1e3 * 1e2":  "100000",
		"1.0 * 1e3":  "1000.0",
		"0.00 * 1e3": "0.00",
	} {
		st := parseAs[*CreateTable](t, "CREATE TABLE t (c NUMERIC(38,10) DEFAULT "+expr+")")
		got, ok := st.Columns[0].Default.Literal.(decimal.Decimal)
		if !ok {
			t.Errorf("%s = %T %v, want a decimal", expr, st.Columns[0].Default.Literal, st.Columns[0].Default.Literal)
			continue
		}
		if s := NumericText(got); s != want {
			t.Errorf("%s = %s, want %s", expr, s, want)
		}
	}
	for expr, want := range map[string]any{
		"1.10 || 'x'":         "1.10x",
		"1.10::text":          "1.10",
		"2.5::int":            int64(3),
		"-2.5::bigint":        int64(-3),
		"(0.1 + 0.2)::float8": 0.3,
	} {
		st := parseAs[*CreateTable](t, "CREATE TABLE t (c TEXT DEFAULT "+expr+")")
		if got := st.Columns[0].Default.Literal; got != want {
			t.Errorf("%s = %T %v, want %T %v", expr, got, got, want, want)
		}
	}
	runErrCases(t, []errCase{
		{sql: "CREATE TABLE t (c BIGINT DEFAULT 123456789012345678901234567890::bigint)", code: apierror.InvalidSQL, msg: "bigint out of range"},
		{sql: "CREATE TABLE t (c BIGINT DEFAULT 9223372036854775807.5::bigint)", code: apierror.InvalidSQL, msg: "bigint out of range"},
		{sql: "CREATE TABLE t (c NUMERIC DEFAULT '12.5x'::numeric)", code: apierror.InvalidSQL, msg: `invalid input syntax for type numeric: "12.5x"`},
		{sql: "CREATE TABLE t (c NUMERIC DEFAULT CAST(123.456 AS NUMERIC(4,2)))", code: apierror.InvalidSQL, msg: "numeric field overflow"},
		{sql: "CREATE TABLE t (c NUMERIC DEFAULT 1.5::boolean)", code: apierror.InvalidSQL, msg: "cannot cast type numeric to boolean"},
		{sql: "CREATE TABLE t (c NUMERIC DEFAULT 1e131072)", code: apierror.InvalidSQL, msg: "value overflows numeric format"},
		{sql: "CREATE TABLE t (c NUMERIC DEFAULT 1" + strings.Repeat(" * 1e1000", 132) + ")", code: apierror.InvalidSQL, msg: "value overflows numeric format"},
		{sql: "CREATE TABLE t (c NUMERIC DEFAULT 0.5::float8 + 0.25)", code: apierror.Unsupported, msg: "non-integer"},
		{sql: "CREATE TABLE t (c NUMERIC DEFAULT 5 / 0.0)", code: apierror.InvalidSQL, msg: "division by zero"},
		{sql: "CREATE TABLE t (c NUMERIC DEFAULT 1 % 0.0)", code: apierror.InvalidSQL, msg: "division by zero"},
		// Arithmetic on numbers of 10^5 digits costs milliseconds an
		// operation: a statement's is bounded.
		{sql: "CREATE TABLE t (c NUMERIC DEFAULT 1e1000" + strings.Repeat(" / 1e-1000", 131) + ")", code: apierror.Unsupported, msg: "DEFAULT arithmetic on numbers this large is not supported"},
		{sql: "CREATE TABLE t (c NUMERIC DEFAULT (1" + strings.Repeat(" * 1e1000", 130) + ")" + strings.Repeat(" + 1", 100000) + ")", code: apierror.Unsupported, msg: "DEFAULT arithmetic on numbers this large is not supported"},
	})
}

// Converting a literal costs time quadratic in its significant digits
// (131072 of them take some 40 ms), which a statement's numeric work
// counts: a 10 MB CREATE TABLE of 80 such DEFAULTs took 3 s to parse,
// deaf to the time limit (a float64, as literals were read before, cost
// microseconds). Before the fix the statement of eight was accepted.
func TestNumericDefaultLiteralsCounted(t *testing.T) {
	lit := strings.Repeat("7", MaxNumericDigitsBefore)
	parseAs[*CreateTable](t, "CREATE TABLE t (c TEXT DEFAULT "+lit+", d TEXT DEFAULT "+strings.Repeat("0", 1000000)+"1)")
	runErrCases(t, []errCase{
		{sql: textDefaults(8, lit), code: apierror.Unsupported, msg: "numbers this large"},
	})
}

// textDefaults is a CREATE TABLE of n TEXT columns of DEFAULT def.
func textDefaults(n int, def string) string {
	cols := make([]string, n)
	for i := range cols {
		cols[i] = fmt.Sprintf("c%d TEXT DEFAULT %s", i, def)
	}
	return "CREATE TABLE t (" + strings.Join(cols, ", ") + ")"
}

// A DEFAULT's numeric is stored in the catalog, and given to each row,
// as its text: one computed to 131001 digits from a hundred bytes
// (1e1000 * ... * 1e1000) counts against the statement's numeric work
// like the text a cast or || makes of it. Before, a 93 KB CREATE TABLE
// of 100 such TEXT columns was accepted: 13 MB of catalog and of every
// row inserted. A lone literal costs only the digits its exponent adds.
func TestNumericDefaultTextCounted(t *testing.T) {
	big := "1e1000" + strings.Repeat(" * 1e1000", 130)
	parseAs[*CreateTable](t, "CREATE TABLE t (c TEXT DEFAULT "+big+")")
	parseAs[*CreateTable](t, "CREATE TABLE t (c TEXT DEFAULT 1"+strings.Repeat("0", 131000)+", d TEXT DEFAULT 1e1000, e TEXT DEFAULT "+big+")")
	runErrCases(t, []errCase{
		{sql: textDefaults(9, big), code: apierror.Unsupported, msg: "DEFAULT arithmetic on numbers this large is not supported"},
	})
}

// A numeric DEFAULT survives the catalog's JSON digit for digit and
// scale for scale; a double precision one stays a float64.
func TestNumericDefaultJSONRoundTrip(t *testing.T) {
	for _, sql := range []string{
		"CREATE TABLE t (c NUMERIC(38,0) DEFAULT 123456789012345678901234567890)",
		"CREATE TABLE t (c NUMERIC(10,2) DEFAULT 1.10)",
		"CREATE TABLE t (c NUMERIC(10,2) DEFAULT -0.1 + 0.2)",
		"CREATE TABLE t (c DOUBLE PRECISION DEFAULT '0.1'::float8)",
		"CREATE TABLE t (c BIGINT DEFAULT 9223372036854775807)",
	} {
		def := parseAs[*CreateTable](t, sql).Columns[0].Default
		b, err := json.Marshal(def)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		var back DefaultExpr
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %s: %v", sql, b, err)
		}
		want, got := def.Literal, back.Literal
		if w, ok := want.(decimal.Decimal); ok {
			g, ok := got.(decimal.Decimal)
			if !ok || NumericText(g) != NumericText(w) {
				t.Errorf("%s: %s read back as %T %v", sql, b, got, got)
			}
			continue
		}
		if got != want {
			t.Errorf("%s: %s read back as %T %v, want %T %v", sql, b, got, got, want, want)
		}
	}
	// A catalog of an untrusted backup is not trusted to be small.
	var d DefaultExpr
	if err := json.Unmarshal([]byte(`{"Kind":1,"Literal":1e999999999,"Text":"x"}`), &d); err == nil {
		t.Errorf("1e999999999 read as %v", d.Literal)
	}
}

// ParseNumeric reads long digit strings by halves (decimalDigits), a
// restart reading every numeric DEFAULT of the catalog back: converting
// 131072 digits at once costs some 40 ms, so a table of 1600 columns of
// them, each added by its own ALTER TABLE, held a start for a minute.
// The value and scale are NewFromString's, digit for digit.
func TestParseNumericByHalves(t *testing.T) {
	rnd := rand.New(rand.NewPCG(25, 1))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + rnd.IntN(10))
		}
		return string(b)
	}
	cases := []string{"0", "-0.000", "1e3", "1.5e-3", "-12.50", "007.10",
		strings.Repeat("0", 5000) + "1", "1" + strings.Repeat("0", 131071), "-" + strings.Repeat("9", 131072) + "." + strings.Repeat("9", 16383)}
	for _, n := range []int{999, 1000, 1001, 2047, 5000, 40000, 131072} {
		cases = append(cases, digits(n), "-"+digits(n)+"."+digits(n%16383+1), digits(n)+"e-"+fmt.Sprint(n%1000), "0."+digits(n%16000+1))
	}
	for _, s := range cases {
		want, err := decimal.NewFromString(s)
		if err != nil {
			t.Fatalf("%.30s: %v", s, err)
		}
		got, ok, overflow := ParseNumeric(s)
		if !ok || overflow || !got.Equal(want) || got.Exponent() != want.Exponent() {
			t.Errorf("%.30s (%d bytes) = %v %v %v, want %v", s, len(s), Snippet(got.String()), ok, overflow, Snippet(want.String()))
		}
	}
	if got := decimalDigits(strings.Repeat("7", 3000)); got.String() != strings.Repeat("7", 3000) {
		t.Errorf("decimalDigits: %s", Snippet(got.String()))
	}
}
