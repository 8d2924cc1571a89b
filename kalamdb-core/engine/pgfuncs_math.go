package engine

import (
	"math"
	"math/rand/v2"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

// Math functions. Integers stay integers where the value is exact (abs,
// ceil, floor, round and trunc of an integer), decimals stay exact,
// transcendental functions compute in double precision.

// numArg types a numeric argument: untyped literals become DECIMAL.
func numArg(name string, args []sql.Expression, i int) ([]sql.Expression, family, error) {
	out := append([]sql.Expression(nil), args...)
	f := familyOf(args[i])
	switch {
	case f.numeric() || f == famNull:
	case f == famUnknown:
		c, err := coerce(args[i], numericDT)
		if err != nil {
			return nil, 0, err
		}
		out[i], f = c, famNumeric
	default:
		return nil, 0, noFunction(name, args)
	}
	return out, f, nil
}

// buildSameType builds a function of one number whose result has the
// argument's type (abs, ceil, floor, sign and one-argument round, trunc).
func buildSameType(name string, onInt func(int64) (int64, error), onDec func(decimal.Decimal) decimal.Decimal, onFloat func(float64) float64) fnBuilder {
	return func(args []sql.Expression) (*pgFunc, error) {
		if len(args) != 1 {
			return nil, noFunction(name, args)
		}
		a, fam, err := numArg(name, args, 0)
		if err != nil {
			return nil, err
		}
		t := a[0].Type()
		if fam == famNull {
			t = types.Int64
		}
		return newFuncOfType(a, t, func(_ *sql.Context, vals []any) (any, error) {
			switch fam {
			case famInt:
				n, err := onInt(num(vals[0]))
				if err != nil {
					return nil, err
				}
				return intValue(n, intTypeName(t))
			case famNumeric:
				d, _ := toDecimal(vals[0])
				return onDec(d), nil
			}
			f, _ := toFloat64(vals[0])
			r := onFloat(f)
			if t.Type() == types.Float32.Type() {
				return float32(r), nil
			}
			return r, nil
		}), nil
	}
}

func identityInt(n int64) (int64, error) { return n, nil }

func absInt(n int64) (int64, error) {
	if n == math.MinInt64 {
		return 0, execError("bigint out of range")
	}
	if n < 0 {
		return -n, nil
	}
	return n, nil
}

func signInt(n int64) (int64, error) { return int64(cmpInt(n, 0)), nil }

// buildRounding builds round(x[, n]) and trunc(x[, n]).
func buildRounding(name string, trunc bool) fnBuilder {
	one := buildSameType(name, identityInt,
		func(d decimal.Decimal) decimal.Decimal {
			if trunc {
				return d.Truncate(0)
			}
			return d.Round(0)
		},
		func(f float64) float64 {
			if trunc {
				return math.Trunc(f)
			}
			return math.RoundToEven(f)
		})
	return func(args []sql.Expression) (*pgFunc, error) {
		if len(args) == 1 {
			return one(args)
		}
		if len(args) != 2 {
			return nil, noFunction(name, args)
		}
		a, fam, err := numArg(name, args, 0)
		if err != nil {
			return nil, err
		}
		if a, err = intArgs(name, a, 1); err != nil {
			return nil, err
		}
		t := a[0].Type()
		if fam == famNull {
			t = numericType
		}
		return newFuncOfType(a, t, func(_ *sql.Context, vals []any) (any, error) {
			places := num(vals[1])
			if places > 1000 || places < -1000 {
				return nil, execError("%s: the number of places must be between -1000 and 1000", name)
			}
			switch fam {
			case famInt:
				d := decimal.NewFromInt(num(vals[0]))
				var r decimal.Decimal
				if trunc {
					// decimal.Truncate keeps every digit for negative
					// places: trunc(1299, -2) was 1299.
					r = truncDecimal(d, int32(places))
				} else {
					r = d.Round(int32(places))
				}
				if places >= 0 {
					r = d
				}
				if !r.IsInteger() || r.GreaterThan(decimal.NewFromInt(math.MaxInt64)) || r.LessThan(decimal.NewFromInt(math.MinInt64)) {
					return nil, execError("bigint out of range")
				}
				return intValue(r.IntPart(), intTypeName(t))
			case famNumeric:
				d, _ := toDecimal(vals[0])
				if trunc {
					return truncDecimal(d, int32(places)), nil
				}
				return d.Round(int32(places)), nil
			}
			f, _ := toFloat64(vals[0])
			p := math.Pow(10, float64(places))
			var r float64
			if trunc {
				r = math.Trunc(f*p) / p
			} else {
				r = math.Round(f*p) / p
			}
			if t.Type() == types.Float32.Type() {
				return float32(r), nil
			}
			return r, nil
		}), nil
	}
}

// truncDecimal truncates toward zero to places digits after the point
// (negative: before it), keeping that scale as PostgreSQL does.
func truncDecimal(d decimal.Decimal, places int32) decimal.Decimal {
	if places >= 0 {
		// Truncate keeps a shorter scale as it is; PostgreSQL shows the
		// places asked for (trunc(1.5, 3) is 1.500), as round does.
		return d.Truncate(places).Round(places)
	}
	p := decimal.New(1, -places)
	return d.Div(p).Truncate(0).Mul(p)
}

// buildFloatFunc builds a double precision function of numbers.
func buildFloatFunc(name string, arity int, fn func(x []float64) (float64, error)) fnBuilder {
	return func(args []sql.Expression) (*pgFunc, error) {
		if len(args) != arity {
			return nil, noFunction(name, args)
		}
		a := args
		var err error
		for i := range args {
			if a, _, err = numArg(name, a, i); err != nil {
				return nil, err
			}
		}
		return newFunc(a, doubleType, func(_ *sql.Context, vals []any) (any, error) {
			xs := make([]float64, len(vals))
			for i, v := range vals {
				xs[i], _ = toFloat64(v)
			}
			r, err := fn(xs)
			if err != nil {
				return nil, err
			}
			if math.IsInf(r, 0) {
				for _, x := range xs {
					if math.IsInf(x, 0) {
						return r, nil
					}
				}
				return nil, execError("value out of range: overflow")
			}
			return r, nil
		}), nil
	}
}

func unary(fn func(float64) float64) func([]float64) (float64, error) {
	return func(x []float64) (float64, error) { return fn(x[0]), nil }
}

// expOf is e to the power x; a result too small for a double is an
// error, as in PostgreSQL (exp(-1000) was 0).
func expOf(x []float64) (float64, error) {
	r := math.Exp(x[0])
	if r == 0 && !math.IsInf(x[0], -1) {
		return 0, execError("value out of range: underflow")
	}
	return r, nil
}

func logOf(x float64) error {
	switch {
	case x == 0:
		return execError("cannot take logarithm of zero")
	case x < 0:
		return execError("cannot take logarithm of a negative number")
	}
	return nil
}

// buildLog builds log(x), numeric of a numeric (log(10, x)) else DOUBLE,
// and log(b, x), which PostgreSQL has for numerics only: integers and
// untyped literals are numeric there, a float argument names no function.
func buildLog(args []sql.Expression) (*pgFunc, error) {
	if len(args) == 1 {
		return buildNumericOrFloat(numericLog10, buildFloatFunc("log", 1, log10Of))(args)
	}
	if len(args) != 2 {
		return nil, noFunction("log", args)
	}
	a := args
	for i := range args {
		f := familyOf(a[i])
		if f == famFloat {
			return nil, noFunction("log", args)
		}
		var err error
		if a, _, err = numArg("log", a, i); err != nil {
			return nil, err
		}
	}
	return newFuncOfType(a, numericType, func(_ *sql.Context, vals []any) (any, error) {
		b, _ := toDecimal(vals[0])
		x, _ := toDecimal(vals[1])
		return numericLog(b, x)
	}), nil
}

// buildNumericOrFloat builds a function of one number that is numeric of
// a numeric (onDec) and otherwise DOUBLE (float): an integer or an
// untyped literal takes float8's, PostgreSQL's preferred numeric type.
func buildNumericOrFloat(onDec func(decimal.Decimal) (decimal.Decimal, error), float fnBuilder) fnBuilder {
	return func(args []sql.Expression) (*pgFunc, error) {
		if len(args) == 1 && familyOf(args[0]) == famNumeric {
			return newFuncOfType(args, numericType, func(_ *sql.Context, vals []any) (any, error) {
				d, _ := toDecimal(vals[0])
				return onDec(d)
			}), nil
		}
		return float(args)
	}
}

// buildSqrt builds sqrt: numeric of a numeric (pgnumfuncs.go), else
// DOUBLE.
func buildSqrt(args []sql.Expression) (*pgFunc, error) {
	return buildNumericOrFloat(numericSqrt, buildFloatFunc("sqrt", 1, func(x []float64) (float64, error) {
		if x[0] < 0 {
			return 0, execError("cannot take square root of a negative number")
		}
		return math.Sqrt(x[0]), nil
	}))(args)
}

// lnOf is ln of a double.
func lnOf(x []float64) (float64, error) {
	if err := logOf(x[0]); err != nil {
		return 0, err
	}
	return math.Log(x[0]), nil
}

// log10Of is log10 of a double.
func log10Of(x []float64) (float64, error) {
	if err := logOf(x[0]); err != nil {
		return 0, err
	}
	return math.Log10(x[0]), nil
}

func buildRandom(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 0 {
		return nil, noFunction("random", args)
	}
	f := newFunc(args, doubleType, func(*sql.Context, []any) (any, error) { return rand.Float64(), nil })
	f.volatile = true
	return f, nil
}

func (fs functionSet) registerMathFunctions() {
	fs.register("kdb_abs", buildSameType("abs", absInt, decimal.Decimal.Abs, math.Abs))
	fs.register("kdb_ceil", buildSameType("ceil", identityInt, func(d decimal.Decimal) decimal.Decimal { return d.Ceil() }, math.Ceil))
	fs.register("kdb_floor", buildSameType("floor", identityInt, func(d decimal.Decimal) decimal.Decimal { return d.Floor() }, math.Floor))
	fs.register("kdb_sign", buildSameType("sign", signInt, func(d decimal.Decimal) decimal.Decimal { return decimal.NewFromInt(int64(d.Sign())) },
		func(f float64) float64 {
			if math.IsNaN(f) {
				return f
			}
			return float64(cmpFloat(f, 0))
		}))
	fs.register("kdb_round", buildRounding("round", false))
	fs.register("kdb_trunc", buildRounding("trunc", true))
	fs.register("kdb_intdiv", buildIntDiv)
	fs.register("kdb_sqrt", buildSqrt)
	fs.register("kdb_cbrt", buildFloatFunc("cbrt", 1, unary(math.Cbrt)))
	fs.register("kdb_exp", buildNumericOrFloat(numericExp, buildFloatFunc("exp", 1, expOf)))
	fs.register("kdb_ln", buildNumericOrFloat(numericLn, buildFloatFunc("ln", 1, lnOf)))
	fs.register("kdb_log", buildLog)
	fs.register("kdb_log10", buildNumericOrFloat(numericLog10, buildFloatFunc("log10", 1, log10Of)))
	fs.register("kdb_pi", buildFloatFunc("pi", 0, func([]float64) (float64, error) { return math.Pi, nil }))
	fs.register("kdb_random", buildRandom)
	fs.register("kdb_degrees", buildFloatFunc("degrees", 1, unary(func(x float64) float64 { return x * 180 / math.Pi })))
	fs.register("kdb_radians", buildFloatFunc("radians", 1, unary(func(x float64) float64 { return x * math.Pi / 180 })))
	fs.register("kdb_sin", buildFloatFunc("sin", 1, unary(math.Sin)))
	fs.register("kdb_cos", buildFloatFunc("cos", 1, unary(math.Cos)))
	fs.register("kdb_tan", buildFloatFunc("tan", 1, unary(math.Tan)))
	fs.register("kdb_asin", buildFloatFunc("asin", 1, func(x []float64) (float64, error) {
		if x[0] < -1 || x[0] > 1 {
			return 0, execError("input is out of range")
		}
		return math.Asin(x[0]), nil
	}))
	fs.register("kdb_acos", buildFloatFunc("acos", 1, func(x []float64) (float64, error) {
		if x[0] < -1 || x[0] > 1 {
			return 0, execError("input is out of range")
		}
		return math.Acos(x[0]), nil
	}))
	fs.register("kdb_atan", buildFloatFunc("atan", 1, unary(math.Atan)))
	fs.register("kdb_atan2", buildFloatFunc("atan2", 2, func(x []float64) (float64, error) { return math.Atan2(x[0], x[1]), nil }))
	fs.register("kdb_cot", buildFloatFunc("cot", 1, func(x []float64) (float64, error) { return 1 / math.Tan(x[0]), nil }))
}
