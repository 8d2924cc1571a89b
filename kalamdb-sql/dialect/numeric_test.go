package dialect

import (
	"strings"
	"testing"
)

func TestReadNumericShape(t *testing.T) {
	for _, c := range []struct {
		text                    string
		before, after, exponent int64
	}{
		{"0", 0, 0, 0},
		{"-12.50", 2, 2, 0},
		{"1.5e1", 2, 0, 1},
		{"1e-3", 0, 3, -3},
		{"0.001", 0, 3, 0},
		{"123.45e-2", 1, 4, -2},
		{"+.5", 0, 1, 0},
		{"5.", 1, 0, 0},
		{"000000123", 3, 0, 0},
		{"1E+1000", 1001, 0, 1000},
		{"1e999999999", 1000000000, 0, 999999999},
	} {
		s, ok := ReadNumericShape(c.text)
		if !ok || s.Before != c.before || s.After != c.after || s.Exponent != c.exponent {
			t.Errorf("%s: %+v %v, want before %d after %d exponent %d", c.text, s, ok, c.before, c.after, c.exponent)
		}
	}
	// An exponent of any length saturates instead of overflowing.
	for _, text := range []string{"1e" + strings.Repeat("9", 40), "1e-" + strings.Repeat("9", 40)} {
		s, ok := ReadNumericShape(text)
		if e := max(s.Exponent, -s.Exponent); !ok || e < 1<<40 || e > 1<<50 || (s.Exponent < 0) != (text[2] == '-') || s.InNumericRange() {
			t.Errorf("%.8s...: %+v %v", text, s, ok)
		}
	}
	for _, bad := range []string{"", ".", "-", "e5", "1e", "1e+", "1.2.3", " 1", "1 ", "NaN", "Infinity", "0x10", "1_000"} {
		if _, ok := ReadNumericShape(bad); ok {
			t.Errorf("%q read as a number", bad)
		}
	}
	if (NumericShape{Before: MaxNumericDigitsBefore + 1}).InNumericRange() || (NumericShape{After: MaxNumericDigitsAfter + 1}).InNumericRange() ||
		(NumericShape{Exponent: -MaxNumericExponent - 1}).InNumericRange() || !(NumericShape{Before: 38, After: 10, Exponent: -5}).InNumericRange() {
		t.Error("InNumericRange")
	}
}
