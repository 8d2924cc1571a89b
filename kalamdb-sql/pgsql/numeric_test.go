package pgsql

import (
	"strings"
	"testing"

	"github.com/dolthub/vitess/go/vt/sqlparser"
)

// TestNumericLiteral: numbers of SQL text and JSON number parameters are
// integers when they fit 64 bits, exact decimals otherwise (written with
// 39 digits or more, widestDecimalText), and refused by their size before the
// text is converted (a five-million-digit literal took a minute to
// convert).
func TestNumericLiteral(t *testing.T) {
	for text, want := range map[string]string{
		"12":                           "kdb_int(12)",
		"-9223372036854775808":         "kdb_int(-9223372036854775808)",
		"9223372036854775808":          zeros(20) + "9223372036854775808.",
		"1.50":                         zeros(36) + "1.50",
		"-1.50":                        "-" + zeros(36) + "1.50",
		"1e3":                          zeros(35) + "1000.",
		"1.5e-3":                       zeros(34) + "0.0015",
		"0." + strings.Repeat("1", 30): zeros(8) + "0." + strings.Repeat("1", 30),
		strings.Repeat("1", 30) + "." + strings.Repeat("1", 30): strings.Repeat("1", 30) + "." + strings.Repeat("1", 30),
		// A zero's exponent sets only its scale: 0e2000000000 held a
		// core for minutes, past the statement's time limit, computing
		// 10^2000000000 to write it out.
		"0e2000000000":      zeros(39) + ".",
		"-0.000e2000000000": zeros(39) + ".",
		"0.00e1":            zeros(38) + ".0",
	} {
		e, err := NumericLiteral(text)
		if err != nil {
			t.Errorf("%s: %v", text, err)
			continue
		}
		if got := sqlparser.String(e); got != want {
			t.Errorf("%s: %s, want %s", text, got, want)
		}
	}
	for _, text := range []string{"1e999999999", "1e-999999999", strings.Repeat("9", 5_000_000), "0." + strings.Repeat("1", 31),
		strings.Repeat("1", 66), "0x10", "1.2.3"} {
		if _, err := NumericLiteral(text); err == nil {
			t.Errorf("%.20s: accepted", text)
		}
	}
}

// zeros is n leading zeros of a decimal literal's text.
func zeros(n int) string { return strings.Repeat("0", n) }
