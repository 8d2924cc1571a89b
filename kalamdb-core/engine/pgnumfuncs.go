package engine

import (
	"math"
	"math/big"

	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// PostgreSQL's power (and ^) and sqrt of numeric arguments are numeric,
// with the scale its numeric.c chooses (PostgreSQL 15): at least 16
// significant digits, never fewer digits after the point than the
// argument shows, at most 1000. KalamDB computed them in double
// precision: power(2::numeric, 10) was 1024 where PostgreSQL prints
// 1024.0000000000000000. An integer power and a square root are computed
// exactly here and rounded half away from zero; a fractional power too,
// as exp(b * ln a) in binary floating point with enough bits, for
// operands and results within double precision's range (the scale is
// chosen from double precision estimates). exp, ln, log and log10 stay
// DOUBLE (see docs/sql.md).

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
// bits each step.
func bigLn(x *big.Float, prec uint) *big.Float {
	wp := prec + 32
	m := new(big.Float)
	e := x.MantExp(m) // x = m * 2^e, m in [0.5, 1)
	mf, _ := m.Float64()
	y := new(big.Float).SetPrec(wp).SetFloat64(math.Log(mf) + float64(e)*math.Ln2)
	xw := new(big.Float).SetPrec(wp).Set(x)
	for bits := uint(50); ; bits *= 3 {
		ey := bigExp(y, wp)
		num := new(big.Float).SetPrec(wp).Sub(xw, ey)
		den := new(big.Float).SetPrec(wp).Add(xw, ey)
		num.Quo(num, den)
		y.Add(y, num.Mul(num, big.NewFloat(2)))
		if bits > wp {
			break
		}
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
	w, _ := nbaseWeight(a)
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
