package dialect

import (
	"math/big"
	"strings"

	"github.com/shopspring/decimal"
)

// PostgreSQL's numeric range bounds every exact decimal KalamDB reads from
// text or computes: converting text to a decimal costs time quadratic in
// its digits, and rounding a value to a scale costs time linear in the
// distance between its exponent and that scale, so a 30-byte
// '1e999999999' or a five-million-digit literal would otherwise hold a
// core for minutes, deaf to the statement's time limit. Text is checked
// by NumericShape, which reads it once without converting it.
const (
	// MaxNumericDigitsBefore bounds the digits before the point.
	MaxNumericDigitsBefore = 131072
	// MaxNumericDigitsAfter bounds the digits after the point (the
	// display scale).
	MaxNumericDigitsAfter = 16383
	// MaxNumericExponent bounds the exponent written in decimal text,
	// whatever its digits: PostgreSQL 15 refuses one of INT_MAX/2 or more
	// ("value overflows numeric format", even for 0e1073741823). A
	// smaller one is read when the value fits the digits above (1e131071,
	// 0e100000000); only a zero's can be far beyond them, and it only
	// sets the zero's scale.
	MaxNumericExponent = 1<<30 - 2
)

// NumericShape is what the text of a decimal number says about its value,
// read without converting it.
type NumericShape struct {
	// Before is the number of digits of the value before the point, once
	// the exponent is applied, leading zeros not counted.
	Before int64
	// After is the number of digits after the point: those written, less
	// the exponent (PostgreSQL's display scale; 1.50 has 2, 1.5e1 none).
	After int64
	// Exponent is the exponent written after e or E (0 without one),
	// saturated far beyond MaxNumericExponent.
	Exponent int64
}

// ReadNumericShape reads a decimal number, [+|-]digits[.digits][(e|E)[+|-]digits]
// with at least one digit before the exponent, in one pass over s. ok is
// false when s is not such a number (surrounding spaces included).
func ReadNumericShape(s string) (shape NumericShape, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	var (
		intDigits, fracDigits int64
		firstNonZero          int64 = -1 // index among all mantissa digits
		seenPoint             bool
	)
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if c != '0' && firstNonZero < 0 {
				firstNonZero = intDigits + fracDigits
			}
			if seenPoint {
				fracDigits++
			} else {
				intDigits++
			}
			continue
		case c == '.' && !seenPoint:
			seenPoint = true
			continue
		}
		break
	}
	if intDigits+fracDigits == 0 {
		return shape, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		neg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			neg = s[i] == '-'
			i++
		}
		start := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			if shape.Exponent < 1<<40 {
				shape.Exponent = shape.Exponent*10 + int64(s[i]-'0')
			}
		}
		if i == start {
			return shape, false
		}
		if neg {
			shape.Exponent = -shape.Exponent
		}
	}
	if i != len(s) {
		return shape, false
	}
	shape.After = max(fracDigits-shape.Exponent, 0)
	if firstNonZero >= 0 {
		shape.Before = max(intDigits+shape.Exponent-firstNonZero, 0)
	}
	return shape, true
}

// InNumericRange reports whether the value of decimal text of this shape
// is within PostgreSQL's numeric range (and its exponent within what
// PostgreSQL reads); outside it, PostgreSQL's "value overflows numeric
// format".
func (s NumericShape) InNumericRange() bool {
	return s.Exponent >= -MaxNumericExponent && s.Exponent <= MaxNumericExponent &&
		s.Before <= MaxNumericDigitsBefore && s.After <= MaxNumericDigitsAfter
}

// NumericText is PostgreSQL's text of a numeric: every digit after the
// point its display scale has (1.10, not 1.1; 2 * 1.25 is 2.50), which
// a decimal's exponent holds.
func NumericText(d decimal.Decimal) string {
	if e := d.Exponent(); e < 0 {
		return d.StringFixed(-e)
	}
	return d.String()
}

// inNumericRange reports whether a computed decimal is within
// PostgreSQL's numeric range: its digits before and after the point
// (the display scale) within those a numeric holds.
func inNumericRange(d decimal.Decimal) bool {
	e := int64(d.Exponent())
	if -e > MaxNumericDigitsAfter {
		return false
	}
	if d.IsZero() {
		return true
	}
	// BitLen bounds the digits from above within one; the exact count
	// is only needed near the bound.
	c := d.Coefficient()
	if approx := int64(float64(c.BitLen())*0.30103) + 1; approx+e <= MaxNumericDigitsBefore {
		return true
	}
	return int64(len(c.Abs(c).String()))+e <= MaxNumericDigitsBefore
}

// ParseNumeric reads decimal text, measured before it is converted
// (converting costs time quadratic in the digits); ok is false when it
// is no decimal number, overflow true when it is beyond the numeric
// range.
func ParseNumeric(s string) (d decimal.Decimal, ok, overflow bool) {
	shape, ok := ReadNumericShape(s)
	if !ok {
		return d, false, false
	}
	if !shape.InNumericRange() {
		return d, true, true
	}
	if shape.Before == 0 && isZeroText(s) {
		// A zero's exponent only sets its scale; as a decimal's
		// exponent, printing or rounding 0e100000000 would compute ten
		// to that power.
		return decimal.New(0, -int32(shape.After)), true, false
	}
	if len(s) <= 1000 {
		d, err := decimal.NewFromString(s)
		return d, err == nil, false
	}
	// A catalog read back holds every digit of each numeric DEFAULT:
	// read by halves (decimalDigits), not in quadratic time.
	neg := s[0] == '-'
	mant := strings.TrimLeft(s, "+-")
	if i := strings.IndexAny(mant, "eE"); i >= 0 {
		mant = mant[:i]
	}
	exp := shape.Exponent // within ±MaxNumericExponent: InNumericRange
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		exp -= int64(len(mant) - i - 1)
		mant = mant[:i] + mant[i+1:]
	}
	if mant = strings.TrimLeft(mant, "0"); mant == "" {
		mant = "0"
	}
	c := decimalDigits(mant)
	if neg {
		c.Neg(c)
	}
	return decimal.NewFromBigInt(c, int32(exp)), true, false
}

// isZeroText reports whether the mantissa of decimal text (read by
// ReadNumericShape) has no digit but zeros.
func isZeroText(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 'e' || c == 'E':
			return true
		case c >= '1' && c <= '9':
			return false
		}
	}
	return true
}

// NumericDivide is PostgreSQL's numeric quotient a / b (b not zero):
// exact, rounded half away from zero (numeric.c, div_var) to the scale
// of select_div_scale: enough digits for 16 significant ones, at least
// the scale of either operand, at most 1000.
func NumericDivide(a, b decimal.Decimal) decimal.Decimal {
	w1, d1 := NumericBaseWeight(a)
	w2, d2 := NumericBaseWeight(b)
	qweight := w1 - w2
	if d1 <= d2 {
		qweight--
	}
	rscale := 16 - qweight*4
	rscale = max(rscale, int(-a.Exponent()), int(-b.Exponent()), 0)
	return a.DivRound(b, int32(min(rscale, 1000)))
}

// NumericBaseWeight is PostgreSQL's view of a numeric's magnitude: the
// weight of its first non-zero base-10000 digit and that digit (0, 0 for
// zero).
func NumericBaseWeight(d decimal.Decimal) (weight, first int) {
	if d.IsZero() {
		return 0, 0
	}
	coef := new(big.Int).Abs(d.Coefficient())
	msd := len(coef.String()) - 1 + int(d.Exponent()) // exponent of the most significant decimal digit
	weight = msd / 4
	if msd < 0 && msd%4 != 0 {
		weight--
	}
	// The first base-10000 digit: the decimal digits from position
	// weight*4+3 down to weight*4.
	shift := int(d.Exponent()) - weight*4 // value = coef * 10^shift in units of 10000^weight
	if shift >= 0 {
		coef.Mul(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(shift)), nil))
	} else {
		coef.Quo(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-shift)), nil))
	}
	return weight, int(coef.Int64())
}

// decimalDigits is the integer a string of decimal digits writes. Go's
// big.Int reads one in time quadratic in its length (131072 digits, 40
// ms); read by halves, each read at once below a thousand digits and
// joined by one multiplication (Karatsuba's above some hundred words),
// it costs a few milliseconds.
func decimalDigits(s string) *big.Int {
	if len(s) <= 1000 {
		n, _ := new(big.Int).SetString(s, 10)
		return n
	}
	lo := len(s) / 2
	hi := decimalDigits(s[:len(s)-lo])
	hi.Mul(hi, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(lo)), nil))
	return hi.Add(hi, decimalDigits(s[len(s)-lo:]))
}
