package engine

// This file is longer than most on purpose: the operators' typing is a
// matrix of operand type pairs, kept in one place.

import (
	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// Arithmetic with PostgreSQL's (and DataFusion's) rules: integers stay
// integers of the wider operand type and fail on overflow instead of
// wrapping or widening; integer division truncates toward zero; dividing
// by zero fails; exact decimals stay exact (a quotient gets PostgreSQL's
// scale: at least 16 significant digits); a float operand makes the
// result a float. An untyped literal (a string or parameter) takes the
// other operand's type. Anything else is "operator does not exist".

// numericDT is an unconstrained DECIMAL: values keep their own scale.
var numericDT = dialect.DataType{Name: dialect.TypeDecimal}

// buildIntLiteral builds kdb_int(n): the BIGINT constant n.
func buildIntLiteral(args ...sql.Expression) (sql.Expression, error) {
	if len(args) != 1 {
		return nil, sqlError("kdb_int takes one argument")
	}
	lit, ok := asLiteral(args[0])
	if !ok {
		return nil, sqlError("kdb_int takes a constant")
	}
	n, ok := toInt64(lit.Value())
	if !ok {
		return nil, sqlError("kdb_int takes an integer")
	}
	return expression.NewLiteral(n, types.Int64), nil
}

// operands types an operator's operands: an untyped literal takes the
// type of the other operand.
func operands(op string, args []sql.Expression) (sql.Expression, sql.Expression, family, family, error) {
	if len(args) != 2 {
		return nil, nil, 0, 0, sqlError("operator %s takes two operands", op)
	}
	l, r := args[0], args[1]
	lf, rf := familyOf(l), familyOf(r)
	if op == "-" && lf == famJSON {
		// jsonb's - deletes keys or elements; typing the right side as
		// JSON would fail on 'a' as if it were bad input.
		return nil, nil, 0, 0, apierror.New(apierror.Unsupported, "the JSON operator - (deleting a key or an element) is not supported")
	}
	var err error
	switch {
	case lf == famUnknown && rf == famUnknown:
		return nil, nil, 0, 0, sqlError("operator is not unique: unknown %s unknown (cast one operand)", op)
	case lf == famUnknown:
		if l, err = coerce(l, operandType(r)); err != nil {
			return nil, nil, 0, 0, err
		}
		lf = familyOf(l)
	case rf == famUnknown:
		if r, err = coerce(r, operandType(l)); err != nil {
			return nil, nil, 0, 0, err
		}
		rf = familyOf(r)
	}
	return l, r, lf, rf, nil
}

// operandType is the KalamDB type an untyped literal takes next to e.
func operandType(e sql.Expression) dialect.DataType {
	t := e.Type()
	switch familyOf(e) {
	case famInt:
		return dialect.DataType{Name: intTypeName(t)}
	case famFloat:
		return doubleType
	case famNumeric:
		return numericDT
	case famBool:
		return boolType
	case famTimestamp:
		return tsType
	case famDate:
		return dateType
	case famTime:
		return timeType
	case famUUID:
		return uuidDT
	case famJSON:
		return jsonType
	case famBytes:
		return bytesType
	}
	return textType
}

func noOperator(l sql.Expression, op string, r sql.Expression) error {
	return sqlError("operator does not exist: %s %s %s", typeName(l), op, typeName(r))
}

// arithType is the result type of a numeric operation.
func arithType(l, r sql.Expression, lf, rf family) sql.Type {
	switch {
	case lf == famFloat || rf == famFloat:
		if (lf == famFloat && l.Type().Type() == types.Float32.Type() || lf == famNull) &&
			(rf == famFloat && r.Type().Type() == types.Float32.Type() || rf == famNull) {
			return types.Float32
		}
		return types.Float64
	case lf == famNumeric || rf == famNumeric:
		return numericType
	case lf == famNull && rf == famNull:
		return types.Int64
	case lf == famNull:
		return intTypeOfWidth(intWidth(r.Type()))
	case rf == famNull:
		return intTypeOfWidth(intWidth(l.Type()))
	}
	return intTypeOfWidth(max(intWidth(l.Type()), intWidth(r.Type())))
}

func isNumOrNull(f family) bool { return f.numeric() || f == famNull }

// buildArith builds kdb_add, kdb_sub, kdb_mul, kdb_div and kdb_mod.
func buildArith(op string) fnBuilder {
	return func(args []sql.Expression) (*pgFunc, error) {
		tl, tr, lf, rf, err := operands(op, typesOnce(args))
		if err != nil {
			return nil, err
		}
		l, r := untyped(tl), untyped(tr)
		args = []sql.Expression{l, r}
		if isNumOrNull(lf) && isNumOrNull(rf) {
			t := arithType(tl, tr, lf, rf)
			return newFuncOfType(args, t, numericOp(op, t)), nil
		}
		if f, ok := dateArith(op, args, lf, rf); ok {
			return f, nil
		}
		if (lf == famTimestamp || lf == famDate) && (rf == famTimestamp || rf == famDate) && op == "-" {
			return nil, sqlError("timestamp - timestamp gives an interval, which KalamDB cannot return; compare EXTRACT(EPOCH FROM a) - EXTRACT(EPOCH FROM b)")
		}
		return nil, noOperator(l, op, r)
	}
}

// numericOp evaluates an arithmetic operator in the result type t.
func numericOp(op string, t sql.Type) evalFn {
	fam := familyOfType(t)
	width := 64
	if fam == famInt {
		width = intWidth(t)
	}
	return func(ctx *sql.Context, vals []any) (any, error) {
		switch fam {
		case famInt:
			a, _ := toInt64(vals[0])
			b, _ := toInt64(vals[1])
			n, err := intOp(op, a, b)
			if err != nil {
				return nil, err
			}
			return intValue(n, intTypeName(intTypeOfWidth(width)))
		case famNumeric:
			a, _ := toDecimal(vals[0])
			b, _ := toDecimal(vals[1])
			return decimalOp(op, a, b)
		}
		a, _ := toFloat64(vals[0])
		b, _ := toFloat64(vals[1])
		f, err := floatOp(op, a, b)
		if err != nil {
			return nil, err
		}
		if t.Type() == types.Float32.Type() {
			return toFloat32(f)
		}
		return f, nil
	}
}

var errDivisionByZero = execError("division by zero")

func intOp(op string, a, b int64) (int64, error) {
	switch op {
	case "+":
		r := a + b
		if (a > 0 && b > 0 && r < 0) || (a < 0 && b < 0 && r >= 0) {
			return 0, errBigintOverflow()
		}
		return r, nil
	case "-":
		r := a - b
		if (a >= 0 && b < 0 && r < 0) || (a < 0 && b > 0 && r >= 0) {
			return 0, errBigintOverflow()
		}
		return r, nil
	case "*":
		if a == 0 || b == 0 {
			return 0, nil
		}
		r := a * b
		if r/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
			return 0, errBigintOverflow()
		}
		return r, nil
	case "/":
		if b == 0 {
			return 0, errDivisionByZero
		}
		if a == math.MinInt64 && b == -1 {
			return 0, errBigintOverflow()
		}
		return a / b, nil
	default: // %
		if b == 0 {
			return 0, errDivisionByZero
		}
		if b == -1 {
			return 0, nil
		}
		return a % b, nil
	}
}

// errBigintOverflow is the error of integer arithmetic that overflows,
// built only when it happens: intOp runs once per row and value.
func errBigintOverflow() error { return execError("bigint out of range") }

func floatOp(op string, a, b float64) (float64, error) {
	var r float64
	switch op {
	case "+":
		r = a + b
	case "-":
		r = a - b
	case "*":
		r = a * b
	case "/":
		if b == 0 {
			return 0, errDivisionByZero
		}
		r = a / b
	default:
		if b == 0 {
			return 0, errDivisionByZero
		}
		r = math.Mod(a, b)
	}
	if math.IsInf(r, 0) && !math.IsInf(a, 0) && !math.IsInf(b, 0) {
		return 0, execError("value out of range: overflow")
	}
	return r, nil
}

// decimalOp computes an operator on exact decimals; a result outside the
// numeric range fails (boundDecimal), so that repeated multiplication
// cannot grow a value without end.
func decimalOp(op string, a, b decimal.Decimal) (any, error) {
	var r decimal.Decimal
	switch op {
	case "+":
		r = a.Add(b)
	case "-":
		r = a.Sub(b)
	case "*":
		r = a.Mul(b)
	case "/":
		var err error
		if r, err = pgDivide(a, b); err != nil {
			return nil, err
		}
	default:
		if b.IsZero() {
			return nil, errDivisionByZero
		}
		r = a.Sub(a.Div(b).Truncate(0).Mul(b))
		r = r.Round(max(-a.Exponent(), -b.Exponent(), 0))
	}
	return boundDecimal(r)
}

// pgDivide divides exact decimals with PostgreSQL's result scale
// (dialect.NumericDivide).
func pgDivide(a, b decimal.Decimal) (decimal.Decimal, error) {
	if b.IsZero() {
		return decimal.Decimal{}, errDivisionByZero
	}
	return dialect.NumericDivide(a, b), nil
}

// displayScale is a decimal's number of digits after the point.
func displayScale(d decimal.Decimal) int { return max(int(-d.Exponent()), 0) }

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// buildIntDiv builds div(a, b): integer quotient, truncated toward zero.
func buildIntDiv(args []sql.Expression) (*pgFunc, error) {
	l, r, lf, rf, err := operands("div", args)
	if err != nil {
		return nil, err
	}
	if !isNumOrNull(lf) || !isNumOrNull(rf) {
		return nil, noFunction("div", args)
	}
	t := arithType(l, r, lf, rf)
	if familyOfType(t) == famFloat {
		t = numericType
	}
	return newFuncOfType([]sql.Expression{l, r}, t, func(_ *sql.Context, vals []any) (any, error) {
		if familyOfType(t) == famInt {
			a, _ := toInt64(vals[0])
			b, _ := toInt64(vals[1])
			n, err := intOp("/", a, b)
			if err != nil {
				return nil, err
			}
			return intValue(n, intTypeName(t))
		}
		a, _ := toDecimal(vals[0])
		b, _ := toDecimal(vals[1])
		if b.IsZero() {
			return nil, errDivisionByZero
		}
		return a.Div(b).Truncate(0), nil
	}), nil
}

// buildNeg builds kdb_neg (-a) and kdb_pos (+a).
func buildSign(neg bool) fnBuilder {
	return func(args []sql.Expression) (*pgFunc, error) {
		if len(args) != 1 {
			return nil, sqlError("a prefix operator takes one operand")
		}
		a := args[0]
		ta := typeOnce(a)
		var err error
		if familyOf(ta) == famUnknown {
			if a, err = coerce(a, numericDT); err != nil {
				return nil, err
			}
			ta = typeOnce(a)
		}
		fam := familyOf(ta)
		if !isNumOrNull(fam) {
			op := "+"
			if neg {
				op = "-"
			}
			return nil, sqlError("operator does not exist: %s %s", op, typeName(a))
		}
		t := ta.Type()
		if fam == famNull {
			t = types.Int64
		}
		return newFuncOfType([]sql.Expression{a}, t, func(_ *sql.Context, vals []any) (any, error) {
			if !neg {
				return vals[0], nil
			}
			switch fam {
			case famInt:
				n, _ := toInt64(vals[0])
				if n == math.MinInt64 {
					return nil, outOfRange(intTypeName(t))
				}
				return intValue(-n, intTypeName(t))
			case famNumeric:
				d, _ := toDecimal(vals[0])
				return d.Neg(), nil
			}
			switch x := vals[0].(type) {
			case float32:
				return -x, nil
			case float64:
				return -x, nil
			}
			f, _ := toFloat64(vals[0])
			return -f, nil
		}), nil
	}
}

// buildPower builds a ^ b and power(a, b): numeric when an operand is
// numeric and none is a float (PostgreSQL's numeric ^ numeric, see
// pgnumfuncs.go), else DOUBLE (float8 ^ float8, which integers take).
func buildPower(args []sql.Expression) (*pgFunc, error) {
	l, r, lf, rf, err := operands("^", args)
	if err != nil {
		return nil, err
	}
	if !isNumOrNull(lf) || !isNumOrNull(rf) {
		return nil, noOperator(l, "^", r)
	}
	if (lf == famNumeric || rf == famNumeric) && lf != famFloat && rf != famFloat {
		return newFuncOfType([]sql.Expression{l, r}, numericType, func(_ *sql.Context, vals []any) (any, error) {
			a, _ := toDecimal(vals[0])
			b, _ := toDecimal(vals[1])
			return numericPower(a, b)
		}), nil
	}
	return newFuncOfType([]sql.Expression{l, r}, types.Float64, func(_ *sql.Context, vals []any) (any, error) {
		a, _ := toFloat64(vals[0])
		b, _ := toFloat64(vals[1])
		if a == 0 && b < 0 {
			return nil, execError("zero raised to a negative power is undefined")
		}
		if a < 0 && b != math.Trunc(b) {
			return nil, execError("a negative number raised to a non-integer power yields a complex result")
		}
		p := math.Pow(a, b)
		if math.IsInf(p, 0) && !math.IsInf(a, 0) {
			return nil, execError("value out of range: overflow")
		}
		return p, nil
	}), nil
}

// buildBitOp builds the integer bit operators & | << >>.
func buildBitOp(op string) fnBuilder {
	return func(args []sql.Expression) (*pgFunc, error) {
		l, r, lf, rf, err := operands(op, args)
		if err != nil {
			return nil, err
		}
		if (lf != famInt && lf != famNull) || (rf != famInt && rf != famNull) {
			return nil, noOperator(l, op, r)
		}
		t := l.Type()
		if lf == famNull {
			t = types.Int64
		}
		if op == "&" || op == "|" {
			t = arithType(l, r, lf, rf)
		}
		w := intWidth(t)
		return newFuncOfType([]sql.Expression{l, r}, t, func(_ *sql.Context, vals []any) (any, error) {
			a, _ := toInt64(vals[0])
			b, _ := toInt64(vals[1])
			var n int64
			switch op {
			case "&":
				n = a & b
			case "|":
				n = a | b
			case "<<":
				n = shift(a, b, w, true)
			default:
				n = shift(a, b, w, false)
			}
			return intValue(n, intTypeName(intTypeOfWidth(w)))
		}), nil
	}
}

// shift shifts within the type's width, as PostgreSQL does (the count is
// taken modulo the width; the result wraps).
func shift(a, b int64, width int, left bool) int64 {
	s := uint(b) % uint(width)
	var r int64
	if left {
		r = a << s
	} else {
		r = a >> s
	}
	switch width {
	case 16:
		return int64(int16(r))
	case 32:
		return int64(int32(r))
	}
	return r
}

func buildBitNot(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 || (familyOf(args[0]) != famInt && familyOf(args[0]) != famNull) {
		return nil, noFunction("~", args)
	}
	t := args[0].Type()
	return newFuncOfType(args, t, func(_ *sql.Context, vals []any) (any, error) {
		a, _ := toInt64(vals[0])
		return intValue(^a, intTypeName(t))
	}), nil
}

// dateArith is date + integer, integer + date, date - integer (a date)
// and date - date (days, an integer).
func dateArith(op string, args []sql.Expression, lf, rf family) (*pgFunc, bool) {
	switch {
	case lf == famDate && rf == famInt && (op == "+" || op == "-"):
		return newFunc(args, dateType, func(_ *sql.Context, vals []any) (any, error) {
			d, _ := toTime(vals[0])
			n, _ := toInt64(vals[1])
			if op == "-" {
				n = -n
			}
			return addDays(d, n)
		}), true
	case lf == famInt && rf == famDate && op == "+":
		return newFunc(args, dateType, func(_ *sql.Context, vals []any) (any, error) {
			d, _ := toTime(vals[1])
			n, _ := toInt64(vals[0])
			return addDays(d, n)
		}), true
	case lf == famDate && rf == famDate && op == "-":
		return newFunc(args, intType, func(_ *sql.Context, vals []any) (any, error) {
			a, _ := toTime(vals[0])
			b, _ := toTime(vals[1])
			return int32(daysBetween(a, b)), nil
		}), true
	}
	return nil, false
}
