package dialect

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// A DEFAULT written as an expression of constants (DEFAULT 1 + 1,
// DEFAULT 'a' || 'b', DEFAULT '5'::int, DEFAULT CAST('5' AS BIGINT),
// DEFAULT TIMESTAMP '2020-01-01 00:00:00') is folded here, when the table
// is created: the table stores a value, not an expression, and PostgreSQL
// would compute the same value at every insert. An error PostgreSQL would
// raise at the first insert (1/0, an overflow) is therefore raised at
// once, as for a literal that does not fit its column.

// PostgreSQL's names of the types a folded DEFAULT may have
// (DefaultExpr.Type).
const (
	PgSmallInt  = "smallint"
	PgInteger   = "integer"
	PgBigInt    = "bigint"
	PgNumeric   = "numeric"
	PgReal      = "real"
	PgDouble    = "double precision"
	PgText      = "text"
	PgVarchar   = "character varying"
	PgBoolean   = "boolean"
	PgTimestamp = "timestamp without time zone"
	PgDate      = "date"
	PgTime      = "time without time zone"
	PgInterval  = "interval"
	PgUUID      = "uuid"
	PgJSON      = "json"
	PgBytea     = "bytea"
)

// constant is a folded DEFAULT operand: v is nil, bool, int64,
// decimal.Decimal (a numeric: exact, as PostgreSQL's is), float64 (a real
// or double precision) or string (the input text of a date, time, UUID,
// JSON or byte string), typ its PostgreSQL type ("" for a string literal,
// whose type is its column's).
type constant struct {
	v   any
	typ string
	pos int
}

// typedLiteralWords are the type names that may precede a string literal
// (TIMESTAMP '...'), mapped to the type the literal takes.
var typedLiteralWords = map[string]string{
	"TIMESTAMP": PgTimestamp, "DATE": PgDate, "TIME": PgTime, "INTERVAL": PgInterval,
}

// endsDefault says whether t ends a DEFAULT expression: the clauses a
// column definition may continue with, a comma or the closing parenthesis.
func (p *parser) endsDefault(t token) bool {
	switch t.kind {
	case TokEOF:
		return true
	case TokPunct:
		r := p.raw(t)
		return r == "," || r == ")" || r == ";"
	case TokWord:
		switch asciiUpper(p.raw(t)) {
		case "NOT", "NULL", "PRIMARY", "DEFAULT", "UNIQUE", "CHECK", "REFERENCES", "CONSTRAINT",
			"COLLATE", "COMMENT", "AUTO_INCREMENT", "AUTOINCREMENT", "GENERATED", "IDENTITY", "ON",
			"FIRST", "AFTER":
			return true
		}
	}
	return false
}

// binaryPrec is the precedence of a binary operator of a DEFAULT
// expression (PostgreSQL's: * / % above + -, above ||), 0 for none.
func binaryPrec(op string) int {
	switch op {
	case "*", "/", "%":
		return 3
	case "+", "-":
		return 2
	case "||":
		return 1
	}
	return 0
}

// maxDefaultDepth bounds the nesting of a DEFAULT expression, as
// pgsql's maxExprDepth bounds a query's: the fold recurses once per
// level, and a statement of megabytes of "(" would overflow the stack.
const maxDefaultDepth = 1000

// constExpr parses and folds a constant expression whose operators bind
// tighter than minPrec.
func (p *parser) constExpr(minPrec int) (constant, error) {
	left, err := p.constUnary()
	if err != nil {
		return constant{}, err
	}
	// A chain of || (the loosest operator, so nothing else follows it at
	// this level) is folded into cat rather than by copying the text so
	// far at each operator, which was quadratic in the chain's length;
	// left then holds "" for the text cat has.
	var cat strings.Builder
	inCat := false
	done := func() constant {
		if inCat {
			left.v = cat.String()
		}
		return left
	}
	for {
		t := p.peek()
		if t.kind != TokPunct {
			return done(), nil
		}
		op := p.raw(t)
		prec := binaryPrec(op)
		if prec == 0 || prec <= minPrec {
			return done(), nil
		}
		p.i++
		right, err := p.constExpr(prec)
		if err != nil {
			return constant{}, err
		}
		if left, err = p.foldBinary(t, op, left, right); err != nil {
			return constant{}, err
		}
		if op != "||" {
			continue
		}
		s, ok := left.v.(string)
		if !ok {
			// NULL: the rest of the chain is NULL too.
			inCat = false
			continue
		}
		if !inCat {
			cat.Reset()
		}
		cat.WriteString(s)
		inCat, left.v = true, ""
	}
}

// constUnary parses a signed operand and the casts after it (:: binds
// tighter than a sign, as in PostgreSQL: -'1'::int is -('1'::int)).
func (p *parser) constUnary() (constant, error) {
	p.defaultDepth++
	defer func() { p.defaultDepth-- }()
	t := p.peek()
	if p.defaultDepth > maxDefaultDepth {
		return constant{}, p.errAt(t.pos, "expression nested too deeply (more than %d levels)", maxDefaultDepth)
	}
	if p.isPunct(t, "-") || p.isPunct(t, "+") {
		p.i++
		// A signed number is one literal, as PostgreSQL reads it.
		if n := p.peek(); n.kind == TokNumber && !p.isPunct(p.peekAt(1), "::") {
			p.i++
			v, err := p.number(n, p.raw(t))
			if err != nil {
				return constant{}, err
			}
			return constant{v: v, typ: numberType(v), pos: t.pos}, nil
		}
		c, err := p.constUnary()
		if err != nil {
			return constant{}, err
		}
		if p.raw(t) == "+" {
			return c, p.requireNumber(t, "+", c)
		}
		return p.negate(t, c)
	}
	c, err := p.constPrimary()
	if err != nil {
		return constant{}, err
	}
	for p.acceptPunct("::") {
		dt, name, err := p.castType()
		if err != nil {
			return constant{}, err
		}
		if c, err = p.cast(c, dt, name); err != nil {
			return constant{}, err
		}
	}
	return c, nil
}

// constPrimary parses a literal, a parenthesised expression, a typed
// literal (DATE '...') or CAST(x AS type).
func (p *parser) constPrimary() (constant, error) {
	t := p.peek()
	switch t.kind {
	case TokString:
		p.i++
		return constant{v: unquote(p.raw(t)), pos: t.pos}, nil
	case TokNumber:
		p.i++
		v, err := p.number(t, "")
		if err != nil {
			return constant{}, err
		}
		return constant{v: v, typ: numberType(v), pos: t.pos}, nil
	case TokEOF:
		return constant{}, p.syntaxError(t, "a DEFAULT value")
	case TokPunct:
		if !p.isPunct(t, "(") {
			return constant{}, p.syntaxError(t, "a DEFAULT value")
		}
		p.i++
		if s := p.peek(); p.isKeyword(s, "SELECT") || p.isKeyword(s, "VALUES") || p.isKeyword(s, "WITH") {
			return constant{}, p.errAt(s.pos, "cannot use subquery in DEFAULT expression")
		}
		c, err := p.constExpr(0)
		if err != nil {
			return constant{}, err
		}
		return c, p.expectPunct(")")
	case TokQuotedIdent:
		return constant{}, p.errAt(t.pos, "cannot use column reference in DEFAULT expression")
	case TokWord:
		kw := asciiUpper(p.raw(t))
		switch kw {
		case "TRUE", "FALSE":
			p.i++
			return constant{v: kw == "TRUE", typ: PgBoolean, pos: t.pos}, nil
		case "NULL":
			p.i++
			return constant{pos: t.pos}, nil
		case "CAST":
			if p.isPunct(p.peekAt(1), "(") {
				p.i += 2
				c, err := p.constExpr(0)
				if err != nil {
					return constant{}, err
				}
				if err := p.expectKeyword("AS"); err != nil {
					return constant{}, err
				}
				dt, name, err := p.castType()
				if err != nil {
					return constant{}, err
				}
				if err := p.expectPunct(")"); err != nil {
					return constant{}, err
				}
				return p.cast(c, dt, name)
			}
		}
		lit := 1 // the string's offset after a type name
		if kw == "DOUBLE" && p.isKeyword(p.peekAt(1), "PRECISION") {
			lit = 2
		}
		if s := p.peekAt(lit); s.kind == TokString {
			// TYPE 'text': the literal read as that type.
			if typ, ok := typedLiteralWords[kw]; ok {
				// The text is kept; the column's input rules read it.
				p.i += 2
				return constant{v: unquote(p.raw(s)), typ: typ, pos: s.pos}, nil
			}
			if _, ok := LookupType(kw); ok {
				dt, name, err := p.castType()
				if err != nil {
					return constant{}, err
				}
				s = p.peek()
				p.i++
				return p.cast(constant{v: unquote(p.raw(s)), pos: s.pos}, dt, name)
			}
		}
		if fn, ok := p.generator(t); ok {
			return constant{}, p.codeAt(apierror.Unsupported, t.pos, "a DEFAULT %s() cannot be part of an expression: write it alone", fn)
		}
		if p.isPunct(p.peekAt(1), "(") {
			return constant{}, p.errAt(t.pos, "unsupported DEFAULT function %s(): use a constant expression or one of %s", snippet(kw), defaultFunctionList)
		}
		if p.isPunct(p.peekAt(1), ".") || !isReservedDefaultWord(kw) {
			return constant{}, p.errAt(t.pos, "cannot use column reference in DEFAULT expression")
		}
	}
	return constant{}, p.errAt(t.pos, "unsupported DEFAULT value '%s': use a constant expression or one of %s", snippet(p.raw(t)), defaultFunctionList)
}

// isReservedDefaultWord reports words that are no column reference in a
// DEFAULT (a generator function written inside an expression, or
// PostgreSQL's other SQL-value functions).
func isReservedDefaultWord(kw string) bool {
	switch kw {
	case "SNOWFLAKE_ID", "UUID_V7", "ULID", "NOW", "CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME",
		"LOCALTIME", "LOCALTIMESTAMP", "CURRENT_USER", "SESSION_USER", "USER", "CASE", "ARRAY", "ROW",
		"INTERVAL", "TIMESTAMP", "DATE", "TIME", "SELECT":
		return true
	}
	return false
}

// castType parses the type of a cast and names it as PostgreSQL does.
func (p *parser) castType() (DataType, string, error) {
	t := p.peek()
	if t.kind == TokWord && asciiUpper(p.raw(t)) == "INTERVAL" {
		p.i++
		return DataType{}, PgInterval, nil
	}
	dt, err := p.dataType()
	if err != nil {
		return DataType{}, "", err
	}
	if dt.Name == TypeDecimal && !p.isPunct(p.toks[p.i-1], ")") {
		// A cast to a bare NUMERIC keeps every digit (a column of it
		// holds DECIMAL(38,10)).
		dt.Precision, dt.Scale = 0, 0
	}
	return dt, pgTypeName(dt), nil
}

// pgTypeName is PostgreSQL's name of a column type.
func pgTypeName(dt DataType) string {
	switch dt.Name {
	case TypeBoolean:
		return PgBoolean
	case TypeSmallInt:
		return PgSmallInt
	case TypeInt:
		return PgInteger
	case TypeBigInt:
		return PgBigInt
	case TypeFloat:
		return PgReal
	case TypeDouble:
		return PgDouble
	case TypeDecimal:
		return PgNumeric
	case TypeText:
		if dt.MaxLength > 0 {
			return PgVarchar
		}
		return PgText
	case TypeBytes:
		return PgBytea
	case TypeJSON:
		return PgJSON
	case TypeTimestamp, TypeDateTime:
		return PgTimestamp
	case TypeDate:
		return PgDate
	case TypeTime:
		return PgTime
	case TypeUUID:
		return PgUUID
	}
	return strings.ToLower(string(dt.Name))
}

// numberType is PostgreSQL's type of a numeric literal: an integer when
// it fits 32 bits, a bigint when 64, else a numeric.
func numberType(v any) string {
	if n, ok := v.(int64); ok {
		if n >= math.MinInt32 && n <= math.MaxInt32 {
			return PgInteger
		}
		return PgBigInt
	}
	return PgNumeric
}

func isIntegerType(typ string) bool {
	return typ == PgSmallInt || typ == PgInteger || typ == PgBigInt
}

func isNumberType(typ string) bool {
	return isIntegerType(typ) || typ == PgNumeric || isFloatType(typ)
}

func isFloatType(typ string) bool { return typ == PgReal || typ == PgDouble }

// intRange checks an integer against PostgreSQL's integer type typ.
func (p *parser) intRange(at int, n int64, typ string) error {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	switch typ {
	case PgSmallInt:
		lo, hi = math.MinInt16, math.MaxInt16
	case PgInteger:
		lo, hi = math.MinInt32, math.MaxInt32
	}
	if n < lo || n > hi {
		return p.errAt(at, "%s out of range", typ)
	}
	return nil
}

func (p *parser) requireNumber(op token, sym string, c constant) error {
	if c.v == nil || isNumberType(c.typ) {
		return nil
	}
	return p.errAt(op.pos, "operator does not exist: %s %s", sym, operandType(c))
}

// operandType names an operand's type in an operator error.
func operandType(c constant) string {
	if c.typ == "" {
		return "unknown"
	}
	return c.typ
}

func (p *parser) negate(op token, c constant) (constant, error) {
	if err := p.requireNumber(op, "-", c); err != nil || c.v == nil {
		return c, err
	}
	switch v := c.v.(type) {
	case int64:
		if v == math.MinInt64 {
			return constant{}, p.errAt(op.pos, "%s out of range", c.typ)
		}
		c.v = -v
		return c, p.intRange(op.pos, -v, c.typ)
	case decimal.Decimal:
		c.v = v.Neg()
	case float64:
		c.v = -v
	}
	return c, nil
}

// foldBinary computes l op r. Integer arithmetic is exact and keeps
// PostgreSQL's result type (the wider operand's) and its overflow and
// division errors; numeric arithmetic is exact too (foldNumeric).
// Arithmetic on a real or double precision is refused rather than done
// in binary floating point, whose rounding PostgreSQL's float8 output
// would have to be matched digit for digit.
func (p *parser) foldBinary(op token, sym string, l, r constant) (constant, error) {
	res := constant{pos: l.pos}
	if sym == "||" {
		if l.typ != "" && l.typ != PgText && l.typ != PgVarchar && r.typ != "" && r.typ != PgText && r.typ != PgVarchar {
			return constant{}, p.errAt(op.pos, "operator does not exist: %s || %s", operandType(l), operandType(r))
		}
		res.typ = PgText
		if l.v == nil || r.v == nil {
			return res, nil
		}
		ls, err := p.asText(op, l)
		if err != nil {
			return constant{}, err
		}
		rs, err := p.asText(op, r)
		if err != nil {
			return constant{}, err
		}
		res.v = ls + rs
		return res, nil
	}
	// NULL, and an untyped string, are read as the other operand's type,
	// as PostgreSQL resolves '2' + 1.
	if l.v == nil && l.typ == "" {
		l.typ = r.typ
	}
	if r.v == nil && r.typ == "" {
		r.typ = l.typ
	}
	var err error
	if l.typ == "" && l.v != nil && isIntegerType(r.typ) {
		if l, err = p.cast(l, DataType{}, r.typ); err != nil {
			return constant{}, err
		}
	}
	if r.typ == "" && r.v != nil && isIntegerType(l.typ) {
		if r, err = p.cast(r, DataType{}, l.typ); err != nil {
			return constant{}, err
		}
	}
	// An untyped string with a numeric is read as a numeric ('0.1' + 0.2).
	if l.typ == "" && l.v != nil && r.typ == PgNumeric {
		if l, err = p.cast(l, DataType{}, PgNumeric); err != nil {
			return constant{}, err
		}
	}
	if r.typ == "" && r.v != nil && l.typ == PgNumeric {
		if r, err = p.cast(r, DataType{}, PgNumeric); err != nil {
			return constant{}, err
		}
	}
	if isNumberType(l.typ) && isNumberType(r.typ) && !isFloatType(l.typ) && !isFloatType(r.typ) &&
		(l.typ == PgNumeric || r.typ == PgNumeric) {
		return p.foldNumeric(op, sym, l, r)
	}
	if !isIntegerType(l.typ) || !isIntegerType(r.typ) {
		if isNumberType(l.typ) && isNumberType(r.typ) {
			return constant{}, p.codeAt(apierror.Unsupported, op.pos, "a DEFAULT computed from non-integer numbers is not supported: write the value")
		}
		if l.typ == "" && r.typ == "" {
			return constant{}, p.errAt(op.pos, "operator is not unique: unknown %s unknown", sym)
		}
		return constant{}, p.errAt(op.pos, "operator does not exist: %s %s %s", operandType(l), sym, operandType(r))
	}
	res.typ = widerInt(l.typ, r.typ)
	if l.v == nil || r.v == nil {
		return res, nil
	}
	a, b := l.v.(int64), r.v.(int64)
	var n int64
	overflow := false
	switch sym {
	case "+":
		n = a + b
		overflow = (b > 0 && n < a) || (b < 0 && n > a)
	case "-":
		n = a - b
		overflow = (b < 0 && n < a) || (b > 0 && n > a)
	case "*":
		n = a * b
		overflow = a != 0 && (n/a != b || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64))
	case "/", "%":
		if b == 0 {
			return constant{}, p.errAt(op.pos, "division by zero")
		}
		if b == -1 {
			if sym == "%" {
				n = 0
				break
			}
			overflow = a == math.MinInt64
			n = -a
			break
		}
		if sym == "/" {
			n = a / b
		} else {
			n = a % b
		}
	}
	if overflow {
		return constant{}, p.errAt(op.pos, "%s out of range", res.typ)
	}
	res.v = n
	return res, p.intRange(op.pos, n, res.typ)
}

// foldNumeric computes l op r for numerics (or a numeric and an
// integer) exactly, with the display scale PostgreSQL gives the result:
// the larger operand's for + and - (and %), their sum for * (a decimal's
// exponent follows the same rules), numericDivScale's for /.
func (p *parser) foldNumeric(op token, sym string, l, r constant) (constant, error) {
	res := constant{typ: PgNumeric, pos: l.pos}
	if l.v == nil || r.v == nil {
		return res, nil
	}
	a, b := asDecimal(l.v), asDecimal(r.v)
	if err := p.chargeNumericWork(op, sym, a, b); err != nil {
		return constant{}, err
	}
	if (sym == "/" || sym == "%") && b.IsZero() {
		return constant{}, p.errAt(op.pos, "division by zero")
	}
	switch sym {
	case "+":
		res.v = a.Add(b)
	case "-":
		res.v = a.Sub(b)
	case "*":
		res.v = a.Mul(b)
	case "/":
		res.v = NumericDivide(a, b)
	case "%":
		// PostgreSQL's mod: a - trunc(a / b) * b, at the larger scale.
		q, _ := a.QuoRem(b, 0)
		res.v = a.Sub(b.Mul(q)).Round(max(-a.Exponent(), -b.Exponent(), 0))
	}
	d := res.v.(decimal.Decimal)
	if !inNumericRange(d) {
		return constant{}, p.errAt(op.pos, "value overflows numeric format")
	}
	if sym == "*" {
		// A product's scale is the sum of its factors' display scales,
		// and a factor with a positive exponent (4e10) has none: the sum
		// of the exponents (157.67299 * 4e10 has 5) is not it.
		if s := displayScale(a) + displayScale(b); s > 0 && int64(d.Exponent()) > -s {
			if err := p.chargeDigits(op.pos, int64(d.Exponent())+s); err != nil {
				return constant{}, err
			}
			res.v = d.Round(int32(s)) // exact: only zeros are added
		}
	}
	return res, nil
}

// displayScale is a numeric's display scale: its digits after the point.
func displayScale(d decimal.Decimal) int64 { return max(-int64(d.Exponent()), 0) }

// maxNumericWork bounds the digits the numeric arithmetic of one
// statement's DEFAULTs may work on. A numeric may have 147455 digits,
// and an operation on such costs up to milliseconds (a division tens):
// a statement of megabytes of "/ 7" after one would hold a core for
// minutes, which no DEFAULT a user means needs (one of ordinary numbers
// costs some tens of digits an operation).
const maxNumericWork = 1 << 20

// chargeNumericWork counts the digits a op b works on, estimated from
// the operands before it is computed: their coefficients' digits, and
// for all but * the distance between their exponents, which the
// operation aligns (1e100000 * 1e1000 costs nothing; 1e100000 + 1 a
// coefficient of 100001 digits).
func (p *parser) chargeNumericWork(op token, sym string, a, b decimal.Decimal) error {
	cost := coefficientDigits(a) + coefficientDigits(b)
	if sym != "*" {
		d := int64(a.Exponent()) - int64(b.Exponent())
		cost += max(d, -d)
	}
	if sym == "/" || sym == "%" {
		// Division scales its operands to the quotient's scale (at most
		// 1000 digits) and works in rounds.
		cost = 8 * (cost + 1000)
	}
	return p.chargeDigits(op.pos, cost)
}

// chargeDigits counts cost digits of numeric work (arithmetic, or
// converting a numeric from or to text, which costs more than linear
// time) against the statement's maxNumericWork.
func (p *parser) chargeDigits(pos int, cost int64) error {
	p.numericWork += cost
	if p.numericWork > maxNumericWork {
		return p.codeAt(apierror.Unsupported, pos, "DEFAULT arithmetic on numbers this large is not supported (more than %d digits worked on in a statement): write the value", maxNumericWork)
	}
	return nil
}

// numericDigits estimates the digits of d written out in full.
func numericDigits(d decimal.Decimal) int64 {
	e := int64(d.Exponent())
	return coefficientDigits(d) + max(e, -e)
}

// coefficientDigits estimates, without converting it, the decimal
// digits of d's coefficient (within one).
func coefficientDigits(d decimal.Decimal) int64 {
	return int64(d.Coefficient().BitLen())*30103/100000 + 1
}

// asDecimal is an integer or numeric operand as a decimal.
func asDecimal(v any) decimal.Decimal {
	if n, ok := v.(int64); ok {
		return decimal.NewFromInt(n)
	}
	return v.(decimal.Decimal)
}

func widerInt(a, b string) string {
	rank := map[string]int{PgSmallInt: 0, PgInteger: 1, PgBigInt: 2}
	if rank[a] >= rank[b] {
		return a
	}
	return b
}

// asText is an operand of || as text: numbers and booleans as
// PostgreSQL prints them; a date, time or the like only as written is
// not PostgreSQL's output form, so it is refused.
func (p *parser) asText(op token, c constant) (string, error) {
	switch v := c.v.(type) {
	case string:
		if c.typ == "" || c.typ == PgText || c.typ == PgVarchar {
			return v, nil
		}
	case int64:
		return strconv.FormatInt(v, 10), nil
	case decimal.Decimal:
		if err := p.chargeDigits(op.pos, numericDigits(v)); err != nil {
			return "", err
		}
		return NumericText(v), nil
	case bool:
		if v {
			return "true", nil
		}
		return "false", nil
	}
	return "", p.codeAt(apierror.Unsupported, op.pos, "a DEFAULT concatenating a %s is not supported: write the text", c.typ)
}

// cast converts c to type typ (dt for a column type). Strings are read
// by the type's input rules, as PostgreSQL reads them.
func (p *parser) cast(c constant, dt DataType, typ string) (constant, error) {
	out := constant{typ: typ, pos: c.pos}
	if c.v == nil {
		return out, nil
	}
	from := operandType(c)
	if c.typ == "" {
		from = PgText
	}
	cannot := func() error {
		return p.codeAt(apierror.InvalidSQL, c.pos, "cannot cast type %s to %s", from, typ)
	}
	if d, ok := c.v.(decimal.Decimal); ok {
		if err := p.chargeDigits(c.pos, numericDigits(d)); err != nil {
			return out, err
		}
	}
	switch {
	case isIntegerType(typ):
		switch v := c.v.(type) {
		case string:
			if !isTextual(c.typ) {
				return out, cannot()
			}
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil && !errorsIsRange(err) {
				return out, p.errAt(c.pos, "invalid input syntax for type %s: %q", typ, snippet(v))
			}
			if err != nil || p.intRange(c.pos, n, typ) != nil {
				return out, p.errAt(c.pos, "value %q is out of range for type %s", snippet(v), typ)
			}
			out.v = n
		case int64:
			out.v = v
			if err := p.intRange(c.pos, v, typ); err != nil {
				return out, err
			}
		case decimal.Decimal:
			// Half away from zero, as PostgreSQL rounds a numeric.
			r := v.Round(0)
			if r.LessThan(minInt64Decimal) || r.GreaterThan(maxInt64Decimal) {
				return out, p.errAt(c.pos, "%s out of range", typ)
			}
			out.v = r.IntPart()
			if err := p.intRange(c.pos, r.IntPart(), typ); err != nil {
				return out, err
			}
		case float64:
			// PostgreSQL's float to integer casts round with rint, half
			// to even.
			r := math.RoundToEven(v)
			if r < math.MinInt64 || r >= math.MaxInt64 {
				return out, p.errAt(c.pos, "%s out of range", typ)
			}
			out.v = int64(r)
			if err := p.intRange(c.pos, int64(r), typ); err != nil {
				return out, err
			}
		case bool:
			if typ != PgInteger {
				return out, cannot()
			}
			out.v = int64(0)
			if v {
				out.v = int64(1)
			}
		}
	case typ == PgNumeric:
		d, err := p.numericCast(c, dt, cannot)
		if err != nil {
			return out, err
		}
		out.v = d
	case isFloatType(typ):
		switch v := c.v.(type) {
		case string:
			if !isTextual(c.typ) {
				return out, cannot()
			}
			f, err := p.floatInput(c.pos, v, typ)
			if err != nil {
				return out, err
			}
			out.v = f
		case int64:
			out.v = float64(v)
		case decimal.Decimal:
			f := v.InexactFloat64()
			if math.IsInf(f, 0) {
				return out, p.errAt(c.pos, "%q is out of range for type %s", snippet(NumericText(v)), typ)
			}
			out.v = f
		case float64:
			out.v = v
		default:
			return out, cannot()
		}
	case typ == PgText || typ == PgVarchar:
		s, err := p.asText(token{pos: c.pos}, c)
		if err != nil {
			return out, err
		}
		if f, ok := c.v.(float64); ok {
			s = strconv.FormatFloat(f, 'f', -1, 64)
		}
		// An explicit cast to VARCHAR(n) cuts the text, as PostgreSQL's does.
		if dt.MaxLength > 0 && utf8.RuneCountInString(s) > dt.MaxLength {
			r := []rune(s)
			s = string(r[:dt.MaxLength])
		}
		out.v = s
	case typ == PgBoolean:
		switch v := c.v.(type) {
		case string:
			if !isTextual(c.typ) {
				return out, cannot()
			}
			b, ok := ParseBool(v)
			if !ok {
				return out, p.errAt(c.pos, "invalid input syntax for type boolean: %q", snippet(v))
			}
			out.v = b
		case bool:
			out.v = v
		case int64:
			if c.typ != PgInteger {
				return out, cannot()
			}
			out.v = v != 0
		default:
			return out, cannot()
		}
	default:
		// Dates, times, UUIDs, JSON, byte strings, intervals: from their
		// own type or text; the column's input rules read the text.
		s, ok := c.v.(string)
		if !ok || !(isTextual(c.typ) || c.typ == typ || (c.typ == PgDate || c.typ == PgTimestamp) && (typ == PgDate || typ == PgTimestamp)) {
			return out, cannot()
		}
		out.v = s
	}
	return out, nil
}

var (
	minInt64Decimal = decimal.NewFromInt(math.MinInt64)
	maxInt64Decimal = decimal.NewFromInt(math.MaxInt64)
)

// numericCast converts c to a numeric, exactly; to dt's precision and
// scale when the cast names them (NUMERIC(10,2); dt.Precision is 0 for a
// bare NUMERIC), rounding half away from zero as PostgreSQL does.
func (p *parser) numericCast(c constant, dt DataType, cannot func() error) (decimal.Decimal, error) {
	var d decimal.Decimal
	switch v := c.v.(type) {
	case string:
		if !isTextual(c.typ) {
			return d, cannot()
		}
		t := strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimLeft(t, "+-")) {
		case "inf", "infinity", "nan":
			return d, p.codeAt(apierror.Unsupported, c.pos, "a DEFAULT of %s computed by a cast is not supported: write '%s' alone", snippet(t), snippet(t))
		}
		if err := p.chargeDigits(c.pos, int64(len(t))); err != nil {
			return d, err
		}
		n, ok, overflow := ParseNumeric(t)
		if overflow {
			return d, p.errAt(c.pos, "value overflows numeric format")
		}
		if !ok {
			return d, p.errAt(c.pos, "invalid input syntax for type numeric: %q", snippet(v))
		}
		d = n
	case int64:
		d = decimal.NewFromInt(v)
	case decimal.Decimal:
		d = v
	case float64:
		// PostgreSQL converts a float to a numeric through its text of
		// 15 significant digits (0.1::float8::numeric is 0.1).
		n, ok, overflow := ParseNumeric(strconv.FormatFloat(v, 'g', 15, 64))
		if !ok || overflow {
			return d, p.errAt(c.pos, "value overflows numeric format")
		}
		d = n
	default:
		return d, cannot()
	}
	if dt.Precision == 0 {
		return d, nil
	}
	r := d.Round(int32(dt.Scale))
	if r.Abs().Cmp(decimal.New(1, int32(dt.Precision-dt.Scale))) >= 0 {
		return d, p.errAt(c.pos, "numeric field overflow")
	}
	return r, nil
}

// floatInput reads text v as a number of type typ the way PostgreSQL's
// float and numeric input does: decimal digits only (Go's parser also
// takes hexadecimal and digit separators), out of range an error rather
// than an infinity. Infinity and NaN, which PostgreSQL's float8 takes,
// are refused: the catalog stores the value as JSON, which has neither.
func (p *parser) floatInput(pos int, v, typ string) (float64, error) {
	t := strings.TrimSpace(v)
	word := strings.ToLower(strings.TrimLeft(t, "+-"))
	switch word {
	case "inf", "infinity", "nan":
		name := "Infinity"
		if word == "nan" {
			name = "NaN"
		}
		return 0, p.codeAt(apierror.Unsupported, pos, "a DEFAULT of %s computed by a cast is not supported: write '%s' alone", name, name)
	}
	if t == "" || strings.IndexFunc(t, func(r rune) bool { return !strings.ContainsRune("0123456789.+-eE", r) }) >= 0 {
		return 0, p.errAt(pos, "invalid input syntax for type %s: %q", typ, snippet(v))
	}
	f, err := strconv.ParseFloat(t, 64)
	if errorsIsRange(err) {
		return 0, p.errAt(pos, "%q is out of range for type %s", snippet(v), typ)
	}
	if err != nil {
		return 0, p.errAt(pos, "invalid input syntax for type %s: %q", typ, snippet(v))
	}
	return f, nil
}

func isTextual(typ string) bool { return typ == "" || typ == PgText || typ == PgVarchar }

func errorsIsRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
