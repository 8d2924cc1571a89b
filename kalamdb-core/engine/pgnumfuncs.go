package engine

import (
	"math"
	"math/big"

	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// PostgreSQL's power (and ^), sqrt, exp, ln, log and log10 of numeric
// arguments are numeric, with the scale its numeric.c chooses (PostgreSQL
// 15): at least 16 significant digits, never fewer digits after the point
// than an argument shows, at most 1000. KalamDB computed them in double
// precision: power(2::numeric, 10) was 1024 where PostgreSQL prints
// 1024.0000000000000000, and exp(1.0) was 2.718281828459045 where it
// prints 2.7182818284590452. An integer power and a square root are
// computed exactly here and rounded half away from zero; a fractional
// power, exp and the logarithms in binary floating point with more bits
// than the result shows, then rounded the same way (numeric.c computes
// them with 8 more digits than it shows, then rounds: the two agree but
// for a value within about 1e-8 of a tie at the last digit shown). A
// fractional power needs operands and a result within double precision's
// range (its scale is chosen from double precision estimates).

const (
	numericMinSigDigits    = 16   // NUMERIC_MIN_SIG_DIGITS
	numericMaxDisplayScale = 1000 // NUMERIC_MAX_DISPLAY_SCALE
)

// clampScale bounds a result scale as numeric.c does.
func clampScale(s int) int { return min(max(s, 0), numericMaxDisplayScale) }

// numericPower is PostgreSQL's numeric power(a, b).
func numericPower(a, b decimal.Decimal) (decimal.Decimal, error) {
	if a.IsZero() && b.Sign() < 0 {
		return decimal.Decimal{}, execError("zero raised to a negative power is undefined")
	}
	if b.Equal(b.Truncate(0)) && b.Abs().LessThanOrEqual(decimal.NewFromInt(math.MaxInt32)) {
		// power_var: an integer exponent that fits an int.
		return powerInt(a, b.IntPart(), clampScale(max(numericMinSigDigits, displayScale(a))))
	}
	if a.IsZero() {
		return decimal.New(0, -numericMinSigDigits), nil
	}
	if a.Sign() < 0 {
		return decimal.Decimal{}, execError("a negative number raised to a non-integer power yields a complex result")
	}
	af, _ := a.Float64()
	bf, _ := b.Float64()
	lg := math.Log10(af) * bf // the decimal weight of the result, about
	switch {
	case lg > float64(dialect.MaxNumericDigitsBefore)+1:
		return decimal.Decimal{}, errNumericOverflow()
	case lg+1 < -numericMaxDisplayScale:
		return decimal.New(0, -numericMaxDisplayScale), nil // rounds to 0
	}
	rscale := clampScale(max(numericMinSigDigits-int(lg), displayScale(a), displayScale(b)))
	if p := math.Pow(af, bf); p == 0 || math.IsInf(p, 0) || af == 0 || math.IsInf(af, 0) {
		// The estimates above hold within double precision's range only.
		return decimal.Decimal{}, execError("power(%s, %s): a fractional power is computed within the range of double precision here (about 1e-308 to 1e308)", a, b)
	}
	// exp(b * ln a) with the result's significant digits and a margin:
	// the result's relative error is the absolute error of b * ln a, b
	// times that of ln a.
	sig := float64(rscale) + lg + 1
	prec := uint(sig*math.Log2(10)+math.Log2(math.Abs(bf)+1)) + 96
	x := bigDecimal(a, prec)
	y := bigLn(x, prec)
	y.Mul(y, bigDecimal(b, prec))
	return boundDecimal(bigRounded(bigExp(y, prec), rscale))
}

// bigDecimal is d as a binary float of prec bits.
func bigDecimal(d decimal.Decimal, prec uint) *big.Float {
	f := new(big.Float).SetPrec(prec).SetInt(d.Coefficient())
	if e := int64(d.Exponent()); e > 0 {
		f.Mul(f, new(big.Float).SetPrec(prec).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(e), nil)))
	} else if e < 0 {
		f.Quo(f, new(big.Float).SetPrec(prec).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(-e), nil)))
	}
	return f
}

// bigRounded is f rounded half away from zero to scale decimal digits
// (through scale+10 digits: f is not exact, a tie cannot be told).
func bigRounded(f *big.Float, scale int) decimal.Decimal {
	d, err := decimal.NewFromString(f.Text('f', scale+10))
	if err != nil {
		return decimal.New(0, -int32(scale)) // not reached: Text('f') is decimal text
	}
	return d.Round(int32(scale))
}

// bigExp is e^x to prec bits: the Taylor series of x / 2^k, |x / 2^k| <
// 2^-16, squared k times (each squaring costs a bit, added first).
func bigExp(x *big.Float, prec uint) *big.Float {
	k := max(x.MantExp(nil)+16, 0)
	wp := prec + uint(k) + 32
	r := new(big.Float).SetPrec(wp).SetMantExp(x, -k)
	sum := new(big.Float).SetPrec(wp).SetInt64(1)
	term := new(big.Float).SetPrec(wp).SetInt64(1)
	for i := int64(1); ; i++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetInt64(i))
		if term.Sign() == 0 || term.MantExp(nil) < sum.MantExp(nil)-int(wp) {
			break
		}
		sum.Add(sum, term)
	}
	for range k {
		sum.Mul(sum, sum)
	}
	return sum.SetPrec(prec)
}

// bigLn is ln x, x > 0, to prec bits: Halley's iteration y += 2(x - e^y) /
// (x + e^y) from double precision's estimate, which triples the correct
// bits each step, each step with only the bits it can make correct (the
// last one's cost is most of the whole).
func bigLn(x *big.Float, prec uint) *big.Float {
	wp := prec + 32
	m := new(big.Float)
	e := x.MantExp(m) // x = m * 2^e, m in [0.5, 1)
	mf, _ := m.Float64()
	y := new(big.Float).SetPrec(wp).SetFloat64(math.Log(mf) + float64(e)*math.Ln2)
	// The estimate's absolute error is below 2^-30: |ln x| < 2^20 for
	// every numeric (10^131072 and 10^-16383 are within it).
	for bits := uint(30); bits < wp+64; {
		bits *= 3
		p := min(bits+64, wp)
		xp := new(big.Float).SetPrec(p).Set(x)
		ey := bigExp(y, p)
		num := new(big.Float).SetPrec(p).Sub(xp, ey)
		den := new(big.Float).SetPrec(p).Add(xp, ey)
		num.Quo(num, den)
		y.Add(y, num.Mul(num, big.NewFloat(2)))
	}
	return y.SetPrec(prec)
}

// powerInt is numeric.c's power_var_int: a to the integer power n, with
// result scale rscale.
func powerInt(a decimal.Decimal, n int64, rscale int) (decimal.Decimal, error) {
	switch {
	case n == 0:
		return decimal.New(1, 0).Round(int32(rscale)), nil
	case a.IsZero():
		return decimal.New(0, -int32(rscale)), nil // n > 0: n < 0 failed before
	}
	// The decimal weight of the result, to fail early on overflow and
	// answer 0 early on underflow, as PostgreSQL does.
	af, _ := a.Abs().Float64()
	weight := float64(n) * math.Log10(af)
	if weight > float64(dialect.MaxNumericDigitsBefore)+1 {
		return decimal.Decimal{}, errNumericOverflow()
	}
	if weight+1 < -float64(rscale) {
		return decimal.New(0, -int32(rscale)), nil
	}
	m := n
	if m < 0 {
		m = -m
	}
	if int64(len(a.Coefficient().String()))*m > maxExactPowerDigits {
		return boundDecimal(powerApprox(a, n, m, weight, rscale))
	}
	// a = coef * 10^exp exactly, so a^|n| = coef^|n| * 10^(exp*|n|).
	exp := int64(a.Exponent()) * m
	p := new(big.Int).Exp(a.Coefficient(), big.NewInt(m), nil)
	if n > 0 {
		return boundDecimal(decimal.NewFromBigInt(p, int32(exp)).Round(int32(rscale)))
	}
	// 1 / (p * 10^exp), rounded to rscale: 10^(rscale+1-exp) / p
	// truncated, then rounded by its last digit (below a quotient digit
	// 5 lies a tie only if the division is exact, and a tie rounds up).
	shift := int64(rscale) + 1 - exp
	if shift < 0 {
		return decimal.New(0, -int32(rscale)), nil
	}
	num := new(big.Int).Exp(big.NewInt(10), big.NewInt(shift), nil)
	return boundDecimal(roundLastDigit(num.Quo(num, p), rscale))
}

// maxExactPowerDigits bounds the digits of an exact integer power
// (1.0000000001 ^ 1000000000 has 11 billion): past it powerApprox
// computes with as many digits as the result shows, and some more.
const maxExactPowerDigits = 20000

// powerApprox is a^n (m = |n|, weight the result's decimal weight) in
// binary floating point with the result's significant digits and a
// margin for the rounding of the multiplications, as power_var_int
// works, rounded to rscale.
func powerApprox(a decimal.Decimal, n, m int64, weight float64, rscale int) decimal.Decimal {
	sig := 1 + float64(rscale) + weight + math.Log10(float64(m)) + 20
	prec := uint(sig*math.Log2(10)) + 64
	base, _, _ := new(big.Float).SetPrec(prec).Parse(a.String(), 10)
	r := new(big.Float).SetPrec(prec).SetInt64(1)
	for e := m; e > 0; e >>= 1 {
		if e&1 == 1 {
			r.Mul(r, base)
		}
		if e > 1 {
			base.Mul(base, base)
		}
	}
	if n < 0 {
		r.Quo(new(big.Float).SetPrec(prec).SetInt64(1), r)
	}
	d, err := decimal.NewFromString(r.Text('f', rscale+10))
	if err != nil {
		return decimal.New(0, -int32(rscale)) // not reached: Text('f') is decimal text
	}
	return d.Round(int32(rscale))
}

// roundLastDigit is q * 10^-(scale+1) rounded half away from zero to
// scale digits, q truncated toward zero from the exact value.
func roundLastDigit(q *big.Int, scale int) decimal.Decimal {
	q = new(big.Int).Set(q)
	neg := q.Sign() < 0
	q.Abs(q)
	last := new(big.Int)
	q.QuoRem(q, big.NewInt(10), last)
	if last.Int64() >= 5 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return decimal.NewFromBigInt(q, -int32(scale))
}

// numericSqrt is PostgreSQL's numeric sqrt(a), exactly rounded.
func numericSqrt(a decimal.Decimal) (decimal.Decimal, error) {
	if a.Sign() < 0 {
		return decimal.Decimal{}, execError("cannot take square root of a negative number")
	}
	// numeric_sqrt: sweight, the result's weight in decimal digits, from
	// the argument's base-10000 weight.
	w, _ := dialect.NumericBaseWeight(a)
	sweight := (w+1)*4/2 - 1
	rscale := clampScale(max(numericMinSigDigits-sweight, displayScale(a)))
	if a.IsZero() {
		return decimal.New(0, -int32(rscale)), nil
	}
	// sqrt(coef * 10^exp) * 10^(rscale+1) = sqrt(coef * 10^(exp + 2*(rscale+1))),
	// a whole power of ten as rscale >= -exp.
	shift := int64(a.Exponent()) + 2*(int64(rscale)+1)
	n := new(big.Int).Mul(a.Coefficient(), new(big.Int).Exp(big.NewInt(10), big.NewInt(shift), nil))
	return roundLastDigit(n.Sqrt(n), rscale), nil
}

// errNumericExpOverflow is exp's error past its range (numeric.c's
// exp_var: an argument of 6000 or more).
func errNumericExpOverflow() error { return execError("value overflows numeric format") }

// numericExp is PostgreSQL's numeric exp(a) (numeric_exp, exp_var).
func numericExp(a decimal.Decimal) (decimal.Decimal, error) {
	val, _ := a.Float64()
	// The result's decimal weight, about, bounded as numeric_exp bounds
	// it; Go's int() truncates toward zero as C's (int) does.
	w := min(max(val*0.434294481903252, -2*numericMaxDisplayScale), 2*numericMaxDisplayScale)
	rscale := clampScale(max(numericMinSigDigits-int(w), displayScale(a)))
	if math.Abs(val) >= 6000 || math.IsNaN(val) {
		if val > 0 {
			return decimal.Decimal{}, errNumericExpOverflow()
		}
		return decimal.New(0, -int32(rscale)), nil // below any scale shown
	}
	// The result has dweight + rscale + 1 significant digits; x's
	// absolute error becomes the result's relative error, |x| < 6000.
	dweight := int(val * 0.434294481903252)
	sig := max(dweight+rscale+1, 0) + extraDigits
	prec := digitsToBits(sig) + 16
	return boundDecimal(bigRounded(bigExp(bigDecimal(a, prec), prec), rscale))
}

// extraDigits are the digits computed past those shown, so that rounding
// the computed value gives the exact value's rounding unless the exact
// value lies within 1e-20 of a tie.
const extraDigits = 20

// digitsToBits is the bits of a binary float that hold sig decimal
// digits, with a margin for the rounding of the operations.
func digitsToBits(sig int) uint { return uint(float64(max(sig, 1))*math.Log2(10)) + 64 }

// checkLogArgument is ln_var's check of its argument (logOf's).
func checkLogArgument(a decimal.Decimal) error { return logOf(float64(a.Sign())) }

// numericLn is PostgreSQL's numeric ln(a) (numeric_ln).
func numericLn(a decimal.Decimal) (decimal.Decimal, error) {
	if err := checkLogArgument(a); err != nil {
		return decimal.Decimal{}, err
	}
	dw := lnDweight(a)
	rscale := clampScale(max(numericMinSigDigits-dw, displayScale(a)))
	return boundDecimal(bigRounded(lnToScale(a, rscale, dw), rscale))
}

// numericLog10 is PostgreSQL's numeric log(num) and log10(num), SQL
// functions calling log(10, num).
func numericLog10(num decimal.Decimal) (decimal.Decimal, error) {
	return numericLog(decimal.New(10, 0), num)
}

// numericLog is PostgreSQL's numeric log(base, num) (log_var).
func numericLog(base, num decimal.Decimal) (decimal.Decimal, error) {
	if err := checkLogArgument(base); err != nil {
		return decimal.Decimal{}, err
	}
	if err := checkLogArgument(num); err != nil {
		return decimal.Decimal{}, err
	}
	if base.Equal(decimal.New(1, 0)) {
		return decimal.Decimal{}, errDivisionByZero // ln 1 is 0
	}
	bw, nw := lnDweight(base), lnDweight(num)
	rw := nw - bw // the result's decimal weight, about
	rscale := clampScale(max(numericMinSigDigits-rw, displayScale(base), displayScale(num)))
	// Both logarithms with the result's significant digits and more,
	// each to the scale that gives them (log_var's ln_*_rscale).
	lb := lnToScale(base, max(rscale+rw-bw, 0), bw)
	ln := lnToScale(num, max(rscale+rw-nw, 0), nw)
	prec := max(lb.Prec(), ln.Prec())
	q := new(big.Float).SetPrec(prec).Quo(ln, lb)
	return boundDecimal(bigRounded(q, rscale))
}

// lnToScale is ln a, a > 0, with scale correct digits after the point
// and more; dweight is the decimal weight of ln a, about (lnDweight).
func lnToScale(a decimal.Decimal, scale, dweight int) *big.Float {
	prec := digitsToBits(scale + max(dweight, 0) + 1 + extraDigits)
	return bigLn(bigDecimal(a, prec), prec)
}

// lnDweight is numeric.c's estimate_ln_dweight: the decimal weight of ln
// a, a > 0, from a's first base-10000 digits, or from a - 1 for a between
// 0.9 and 1.1. The result scales of ln and log follow from it, so it is
// PostgreSQL's estimate, not the exact weight.
func lnDweight(a decimal.Decimal) int {
	if a.Sign() <= 0 {
		return 0
	}
	if a.GreaterThanOrEqual(decimal.New(9, -1)) && a.LessThanOrEqual(decimal.New(11, -1)) {
		x := a.Sub(decimal.New(1, 0))
		if x.IsZero() {
			return 0 // ln 1 is 0 exactly
		}
		w, first := dialect.NumericBaseWeight(x)
		return w*4 + int(math.Log10(float64(first)))
	}
	digits, dweight := nbaseLead(a)
	ln := math.Log(float64(digits)) + float64(dweight)*2.302585092994046
	return int(math.Log10(math.Abs(ln)))
}

// nbaseLead is a > 0 as PostgreSQL's estimate_ln_dweight reads it:
// a ~= digits * 10^dweight, digits its first base-10000 digit, or its
// first two when it has more than one (PostgreSQL stores no trailing
// zero digits).
func nbaseLead(a decimal.Decimal) (digits int, dweight int) {
	w, first := dialect.NumericBaseWeight(a)
	// a / 10000^(w-1): the first two base-10000 digits before the point.
	shift := int64(a.Exponent()) - int64(w-1)*4
	coef := new(big.Int).Abs(a.Coefficient())
	rest := false
	if shift >= 0 {
		coef.Mul(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(shift), nil))
	} else {
		r := new(big.Int)
		coef.QuoRem(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(-shift), nil), r)
		rest = r.Sign() != 0
	}
	two := int(coef.Int64())
	if two%10000 == 0 && !rest {
		return first, w * 4
	}
	return two, w*4 - 4
}
