package pgsql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// maxExprDepth bounds the nesting of translated expressions.
const maxExprDepth = 1000

// location is the parse location of a node, or -1.
func location(n *pg.Node) int32 {
	if n == nil {
		return -1
	}
	m := n.ProtoReflect()
	fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("node"))
	if fd == nil || fd.Message() == nil {
		return -1
	}
	inner := m.Get(fd).Message()
	lf := inner.Descriptor().Fields().ByName("location")
	if lf == nil {
		return -1
	}
	return int32(inner.Get(lf).Int())
}

// nodeName names a node's type for messages ("FuncCall", "A_ArrayExpr").
func nodeName(n *pg.Node) string {
	if n == nil || n.GetNode() == nil {
		return "empty node"
	}
	name := fmt.Sprintf("%T", n.GetNode())
	name = strings.TrimPrefix(name, "*pg_query.Node_")
	return name
}

// checkIdent refuses identifiers that MySQL would read differently: a
// backslash in a quoted identifier is an escape there.
func (t *translator) checkIdent(s string, loc int32) error {
	if strings.IndexByte(s, '\\') >= 0 {
		return t.errorAt(loc, "a backslash in an identifier is not supported")
	}
	return nil
}

func call(name string, args ...sqlparser.Expr) *sqlparser.FuncExpr {
	f := &sqlparser.FuncExpr{Name: sqlparser.NewColIdent(name)}
	for _, a := range args {
		f.Exprs = append(f.Exprs, &sqlparser.AliasedExpr{Expr: a})
	}
	return f
}

func str(s string) *sqlparser.SQLVal { return sqlparser.NewStrVal([]byte(s)) }

// IntLiteral is the engine expression of an integer constant (see FnInt).
func IntLiteral(n int64) sqlparser.Expr {
	return call(FnInt, sqlparser.NewIntVal(strconv.AppendInt(nil, n, 10)))
}

// UnwrapInt returns the integer constant of an IntLiteral expression.
func UnwrapInt(e sqlparser.Expr) (*sqlparser.SQLVal, bool) {
	f, ok := e.(*sqlparser.FuncExpr)
	if !ok || f.Name.Lowered() != FnInt || len(f.Exprs) != 1 {
		return nil, false
	}
	ae, ok := f.Exprs[0].(*sqlparser.AliasedExpr)
	if !ok {
		return nil, false
	}
	v, ok := ae.Expr.(*sqlparser.SQLVal)
	return v, ok && v.Type == sqlparser.IntVal
}

// expr translates a scalar expression.
func (t *translator) expr(n *pg.Node) (sqlparser.Expr, error) {
	if n == nil {
		return nil, t.errorAt(-1, "missing expression")
	}
	t.depth++
	defer func() { t.depth-- }()
	if t.depth > maxExprDepth {
		return nil, apierror.New(apierror.InvalidSQL, "expression nested too deeply (more than %d levels)", maxExprDepth)
	}
	switch x := n.GetNode().(type) {
	case *pg.Node_ColumnRef:
		return t.columnRef(x.ColumnRef)
	case *pg.Node_ParamRef:
		return t.param(x.ParamRef)
	case *pg.Node_AConst:
		return t.constant(x.AConst)
	case *pg.Node_TypeCast:
		return t.typeCast(x.TypeCast)
	case *pg.Node_AExpr:
		return t.aExpr(x.AExpr)
	case *pg.Node_BoolExpr:
		return t.boolExpr(x.BoolExpr)
	case *pg.Node_NullTest:
		if x.NullTest.Argisrow {
			return nil, t.unsupported(x.NullTest.Location, "IS NULL on a row is not supported")
		}
		e, err := t.expr(x.NullTest.Arg)
		if err != nil {
			return nil, err
		}
		op := sqlparser.IsNullStr
		if x.NullTest.Nulltesttype == pg.NullTestType_IS_NOT_NULL {
			op = sqlparser.IsNotNullStr
		}
		return &sqlparser.IsExpr{Operator: op, Expr: e}, nil
	case *pg.Node_BooleanTest:
		e, err := t.expr(x.BooleanTest.Arg)
		if err != nil {
			return nil, err
		}
		var op string
		switch x.BooleanTest.Booltesttype {
		case pg.BoolTestType_IS_TRUE:
			op = sqlparser.IsTrueStr
		case pg.BoolTestType_IS_NOT_TRUE:
			op = sqlparser.IsNotTrueStr
		case pg.BoolTestType_IS_FALSE:
			op = sqlparser.IsFalseStr
		case pg.BoolTestType_IS_NOT_FALSE:
			op = sqlparser.IsNotFalseStr
		case pg.BoolTestType_IS_UNKNOWN:
			op = sqlparser.IsNullStr
		default:
			op = sqlparser.IsNotNullStr
		}
		// The engine accepts any value for IS TRUE; the type check of the
		// engine's KalamDB rules requires a boolean, as PostgreSQL does.
		return &sqlparser.IsExpr{Operator: op, Expr: e}, nil
	case *pg.Node_FuncCall:
		return t.funcCall(x.FuncCall)
	case *pg.Node_CaseExpr:
		return t.caseExpr(x.CaseExpr)
	case *pg.Node_CoalesceExpr:
		return t.variadic(FnCoalesce, x.CoalesceExpr.Args)
	case *pg.Node_MinMaxExpr:
		name := FnGreatest
		if x.MinMaxExpr.Op == pg.MinMaxOp_IS_LEAST {
			name = FnLeast
		}
		return t.variadic(name, x.MinMaxExpr.Args)
	case *pg.Node_SubLink:
		return t.subLink(x.SubLink)
	case *pg.Node_SqlvalueFunction:
		return t.sqlValueFunction(x.SqlvalueFunction)
	case *pg.Node_RowExpr:
		return t.row(x.RowExpr.Args)
	case *pg.Node_CollateClause:
		return nil, t.unsupported(x.CollateClause.Location, "COLLATE is not supported (text compares by code point)")
	case *pg.Node_AArrayExpr:
		return nil, t.unsupported(x.AArrayExpr.Location, "arrays are not supported")
	case *pg.Node_AIndirection:
		return nil, t.unsupported(location(x.AIndirection.Arg), "subscripts and field selection are not supported")
	case *pg.Node_SetToDefault:
		return nil, t.errorAt(x.SetToDefault.Location, "DEFAULT is only allowed as a value of INSERT or UPDATE")
	case *pg.Node_GroupingFunc:
		return nil, t.unsupported(x.GroupingFunc.Location, "GROUPING() is not supported")
	}
	return nil, t.unsupported(location(n), "%s is not supported", describeNode(n))
}

// describeNode names a parse node the way a user would recognise it.
func describeNode(n *pg.Node) string {
	switch n.GetNode().(type) {
	case *pg.Node_XmlExpr, *pg.Node_XmlSerialize:
		return "XML"
	case *pg.Node_JsonObjectConstructor, *pg.Node_JsonArrayConstructor, *pg.Node_JsonArrayQueryConstructor,
		*pg.Node_JsonObjectAgg, *pg.Node_JsonArrayAgg, *pg.Node_JsonIsPredicate, *pg.Node_JsonFuncExpr,
		*pg.Node_JsonParseExpr, *pg.Node_JsonScalarExpr, *pg.Node_JsonSerializeExpr:
		return "SQL/JSON syntax (use the json functions)"
	}
	return nodeName(n)
}

// variadic translates a call of an engine function on a list of
// expressions.
func (t *translator) variadic(name string, args []*pg.Node) (sqlparser.Expr, error) {
	out := call(name)
	for _, a := range args {
		e, err := t.expr(a)
		if err != nil {
			return nil, err
		}
		out.Exprs = append(out.Exprs, &sqlparser.AliasedExpr{Expr: e})
	}
	return out, nil
}

// refNames returns the names of a column reference's fields, without a
// final *.
func (t *translator) refNames(cr *pg.ColumnRef) ([]string, error) {
	fields := cr.Fields
	if isStar(cr) {
		fields = fields[:len(fields)-1]
	}
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		s := f.GetString_()
		if s == nil {
			return nil, t.errorAt(cr.Location, "invalid column reference")
		}
		if err := t.checkIdent(s.Sval, cr.Location); err != nil {
			return nil, err
		}
		names = append(names, s.Sval)
	}
	return names, nil
}

// qualifier is the table a [namespace.]table name list names.
func (t *translator) qualifier(names []string, loc int32) (sqlparser.TableName, error) {
	switch len(names) {
	case 0:
		return sqlparser.TableName{}, nil
	case 1:
		return sqlparser.TableName{Name: sqlparser.NewTableIdent(names[0])}, nil
	case 2:
		return sqlparser.TableName{DbQualifier: sqlparser.NewTableIdent(names[0]), Name: sqlparser.NewTableIdent(names[1])}, nil
	}
	return sqlparser.TableName{}, t.errorAt(loc, "improper qualified name (too many dotted names): %s", strings.Join(names, "."))
}

func (t *translator) columnRef(cr *pg.ColumnRef) (sqlparser.Expr, error) {
	if isStar(cr) {
		return nil, t.errorAt(cr.Location, "* is only allowed in the select list and in count(*)")
	}
	names, err := t.refNames(cr)
	if err != nil {
		return nil, err
	}
	q, err := t.qualifier(names[:len(names)-1], cr.Location)
	if err != nil {
		return nil, err
	}
	return &sqlparser.ColName{Name: sqlparser.NewColIdent(names[len(names)-1]), Qualifier: q}, nil
}

func (t *translator) param(p *pg.ParamRef) (sqlparser.Expr, error) {
	n := int(p.Number)
	if n < 1 || n > MaxParams {
		return nil, t.codeAt(apierror.InvalidParameter, p.Location, "parameters are numbered $1..$%d", MaxParams)
	}
	t.params = max(t.params, n)
	for len(t.refs) < n {
		t.refs = append(t.refs, 0)
	}
	t.refs[n-1]++
	return sqlparser.NewValArg([]byte(":" + BindName(n))), nil
}

// constant translates a literal. Integers are integers (the engine types
// them BIGINT), numbers with a point or an exponent are exact decimals as
// in PostgreSQL, strings are taken byte for byte (PostgreSQL has already
// applied the quoting rules, so nothing is escaped twice).
func (t *translator) constant(c *pg.A_Const) (sqlparser.Expr, error) {
	if c.Isnull {
		return &sqlparser.NullVal{}, nil
	}
	switch v := c.GetVal().(type) {
	case *pg.A_Const_Ival:
		return IntLiteral(int64(v.Ival.GetIval())), nil
	case *pg.A_Const_Fval:
		return t.numeric(v.Fval.GetFval(), c.Location)
	case *pg.A_Const_Sval:
		return str(v.Sval.GetSval()), nil
	case *pg.A_Const_Boolval:
		return sqlparser.BoolVal(v.Boolval.GetBoolval()), nil
	case *pg.A_Const_Bsval:
		return nil, t.unsupported(c.Location, "bit-string literals (B'...', X'...') are not supported; write bytes as '\\x...'::BYTEA")
	}
	return nil, t.errorAt(c.Location, "unknown constant")
}

// numeric translates a PostgreSQL numeric literal (anything PostgreSQL
// lexes as a number that is not an int4).
func (t *translator) numeric(text string, loc int32) (sqlparser.Expr, error) {
	e, err := NumericLiteral(strings.ReplaceAll(text, "_", ""))
	if err != nil {
		return nil, t.errorAt(loc, "%s", err.Error())
	}
	return e, nil
}

// Numeric literals are at most MaxLiteralDigits significant digits, at
// most MaxLiteralScale of them after the point: the engine's widest
// decimal.
const (
	MaxLiteralDigits = 65
	MaxLiteralScale  = 30
)

// NumericLiteral is the engine literal of a number written in decimal
// (a numeric literal of SQL text, or a JSON number given as a parameter):
// an integer that fits 64 bits stays an integer, everything else is an
// exact decimal, written in the form the engine reads as one (digits, a
// point, digits). Its size is checked on the text before the text is
// converted, which costs time quadratic in its digits.
func NumericLiteral(plain string) (sqlparser.Expr, error) {
	if n, err := strconv.ParseInt(plain, 10, 64); err == nil {
		return IntLiteral(n), nil
	}
	text := dialect.Snippet(plain)
	if strings.HasPrefix(plain, "0x") || strings.HasPrefix(plain, "0o") || strings.HasPrefix(plain, "0b") ||
		strings.HasPrefix(plain, "0X") || strings.HasPrefix(plain, "0O") || strings.HasPrefix(plain, "0B") {
		return nil, fmt.Errorf("integer literal %s is out of range", text)
	}
	outOfRange := fmt.Errorf("numeric literal %s is out of range (at most %d digits, %d after the point)", text, MaxLiteralDigits, MaxLiteralScale)
	shape, ok := dialect.ReadNumericShape(plain)
	if !ok {
		return nil, fmt.Errorf("invalid number %s", text)
	}
	if shape.Before > MaxLiteralDigits || shape.After > MaxLiteralScale {
		return nil, outOfRange
	}
	d, err := decimal.NewFromString(plain)
	if err != nil {
		return nil, fmt.Errorf("invalid number %s", text)
	}
	if d.IsZero() {
		// A zero's shape bounds its scale, not its exponent (0e2000000000
		// passes), and writing it out at a positive exponent computes
		// 10 to that power: its exponent only sets its scale.
		d = decimal.New(0, -int32(shape.After))
	}
	scale := int32(0)
	if i := strings.IndexByte(plain, '.'); i >= 0 {
		frac := plain[i+1:]
		if j := strings.IndexAny(frac, "eE"); j >= 0 {
			frac = frac[:j]
		}
		scale = int32(len(frac))
	}
	// PostgreSQL keeps the written scale, less the exponent: 1.50 has 2
	// digits after the point, 1.5e1 none, 1e-3 three.
	if exp := d.Exponent(); -exp > scale {
		scale = -exp
	}
	if strings.ContainsAny(plain, "eE") {
		scale = max(-d.Exponent(), 0)
	}
	s := d.StringFixed(scale)
	if scale == 0 {
		s += "."
	}
	if len(strings.TrimLeft(strings.TrimPrefix(s, "-"), "0.")) > MaxLiteralDigits || scale > MaxLiteralScale {
		return nil, outOfRange
	}
	return sqlparser.NewFloatVal([]byte(widestDecimalText(s, int(scale)))), nil
}

// literalPrecision is the fewest digits a decimal literal is written with:
// one more than a DECIMAL column can have (38).
const literalPrecision = 39

// widestDecimalText pads the integer part of a decimal's text s (scale
// digits after the point) with leading zeros to literalPrecision digits in
// all, so that the engine types the literal DECIMAL(39,scale) or wider: it
// types a decimal literal by its written digits, and converts one compared
// with a DECIMAL(p,s) column whose type is at least as wide to the
// column's type, rounding it to s (a DECIMAL(10,2) holding 1.25 then
// equalled 1.251). No column is 39 digits wide, so the literal keeps its
// value and is compared exactly; the value, its scale and its text form
// are unchanged. The set operations' common type counts a literal's
// significant digits, not these zeros (pgsetop.go).
func widestDecimalText(s string, scale int) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intDigits := strings.IndexByte(s, '.')
	if intDigits < 0 {
		intDigits = len(s)
	}
	if pad := literalPrecision - scale - intDigits; pad > 0 {
		s = strings.Repeat("0", pad) + s
	}
	return sign + s
}

// typeCast translates CAST(x AS t), x::t and TRY_CAST(x AS t).
func (t *translator) typeCast(tc *pg.TypeCast) (sqlparser.Expr, error) {
	dt, interval, err := t.castType(tc.TypeName)
	if err != nil {
		return nil, err
	}
	if interval {
		loc := tc.Location
		if loc < 0 {
			loc = tc.TypeName.Location
		}
		return nil, t.unsupported(loc, "INTERVAL values are only supported added to or subtracted from a timestamp or date (ts + INTERVAL '5 minutes')")
	}
	arg, err := t.expr(tc.Arg)
	if err != nil {
		return nil, err
	}
	fn := FnCast
	if t.pre.tryCasts[int(tc.Location)] {
		fn = FnTryCast
	}
	return call(fn, arg, str(dt.SQL())), nil
}

// intervalOperand returns the text expression of an INTERVAL operand of
// + or -, or nil when n is not one: INTERVAL '...', or one multiplied or
// divided by a number (ts + g * INTERVAL '1 hour'), which the engine
// computes as interval text.
func (t *translator) intervalOperand(n *pg.Node) (sqlparser.Expr, bool, error) {
	if a := n.GetAExpr(); a != nil && a.Kind == pg.A_Expr_Kind_AEXPR_OP && a.Lexpr != nil {
		return t.scaledInterval(a)
	}
	if fc := n.GetFuncCall(); fc != nil && funcName(fc) == "make_interval" {
		return t.makeInterval(fc)
	}
	tc := n.GetTypeCast()
	if tc == nil {
		return nil, false, nil
	}
	_, interval, err := t.castType(tc.TypeName)
	if err != nil || !interval {
		return nil, false, err
	}
	arg, err := t.expr(tc.Arg)
	return arg, true, err
}

// scaledInterval translates interval * number, number * interval and
// interval / number (PostgreSQL's float8 operators), or returns nil when a
// is none of them.
func (t *translator) scaledInterval(a *pg.A_Expr) (sqlparser.Expr, bool, error) {
	op, ok := operatorName(a.Name)
	if !ok || op != "*" && op != "/" {
		return nil, false, nil
	}
	mode, factor := "mul", a.Rexpr
	if op == "/" {
		mode = "div"
	}
	iv, ok, err := t.intervalOperand(a.Lexpr)
	switch {
	case err != nil:
		return nil, false, err
	case ok:
		// Each side is looked at once: a chain of products stays linear.
		if _, both, err := t.intervalOperand(factor); err != nil {
			return nil, false, err
		} else if both {
			return nil, false, t.errorAt(a.Location, "operator does not exist: interval %s interval", op)
		}
	case op == "*":
		mode, factor = "rmul", a.Lexpr
		if iv, ok, err = t.intervalOperand(a.Rexpr); err != nil || !ok {
			return nil, false, err
		}
	default:
		return nil, false, nil
	}
	f, err := t.expr(factor)
	if err != nil {
		return nil, false, err
	}
	return call(FnIntervalMul, iv, f, str(mode)), true, nil
}

// makeIntervalArgs are make_interval's parameters, in order.
var makeIntervalArgs = []string{"years", "months", "weeks", "days", "hours", "mins", "secs"}

// makeInterval translates make_interval(years, months, weeks, days,
// hours, mins, secs), positional or named (days => 3), each 0 when not
// given, into kdb_make_interval with all seven.
func (t *translator) makeInterval(fc *pg.FuncCall) (sqlparser.Expr, bool, error) {
	args := make([]sqlparser.Expr, len(makeIntervalArgs))
	named := false
	for i, a := range fc.Args {
		pos, val := i, a
		if na := a.GetNamedArgExpr(); na != nil {
			named, pos, val = true, slices.Index(makeIntervalArgs, na.Name), na.Arg
		} else if named {
			return nil, false, t.errorAt(location(a), "positional argument cannot follow named argument")
		}
		if pos < 0 || pos >= len(args) || args[pos] != nil {
			return nil, false, t.errorAt(fc.Location, "function make_interval() does not exist with these arguments: it takes years, months, weeks, days, hours, mins and secs, each at most once")
		}
		e, err := t.expr(val)
		if err != nil {
			return nil, false, err
		}
		args[pos] = e
	}
	for i := range args {
		if args[i] == nil {
			args[i] = IntLiteral(0)
		}
	}
	return call(FnMakeInterval, args...), true, nil
}

// binaryOps maps PostgreSQL operators to engine functions.
var binaryOps = map[string]string{
	"+": FnAdd, "-": FnSub, "*": FnMul, "/": FnDiv, "%": FnMod, "^": FnPower,
	"||": FnConcatOp, "&": FnBitAnd, "|": FnBitOr, "<<": FnShiftLeft, ">>": FnShiftRight,
	"->": FnJSONGet, "->>": FnJSONText, "#>": FnJSONPath, "#>>": FnJSONPathT, "?": FnJSONExists,
}

var comparisonOps = map[string]string{
	"=": sqlparser.EqualStr, "<>": sqlparser.NotEqualStr, "<": sqlparser.LessThanStr,
	">": sqlparser.GreaterThanStr, "<=": sqlparser.LessEqualStr, ">=": sqlparser.GreaterEqualStr,
}

func operatorName(names []*pg.Node) (string, bool) {
	if len(names) == 1 {
		return names[0].GetString_().GetSval(), true
	}
	if len(names) == 2 && names[0].GetString_().GetSval() == "pg_catalog" {
		return names[1].GetString_().GetSval(), true
	}
	return "", false
}

func (t *translator) aExpr(a *pg.A_Expr) (sqlparser.Expr, error) {
	op, ok := operatorName(a.Name)
	if !ok {
		return nil, t.unsupported(a.Location, "qualified operators (OPERATOR(...)) are not supported")
	}
	switch a.Kind {
	case pg.A_Expr_Kind_AEXPR_OP:
		return t.operator(a, op)
	case pg.A_Expr_Kind_AEXPR_DISTINCT, pg.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		l, r, err := t.operands(a)
		if err != nil {
			return nil, err
		}
		if err := t.rowOperands(a, l, r); err != nil {
			return nil, err
		}
		l, r = keepBoolean(a, l, r)
		var e sqlparser.Expr = &sqlparser.ComparisonExpr{Operator: sqlparser.NullSafeEqualStr, Left: l, Right: r}
		if a.Kind == pg.A_Expr_Kind_AEXPR_DISTINCT {
			e = &sqlparser.NotExpr{Expr: e}
		}
		return e, nil
	case pg.A_Expr_Kind_AEXPR_NULLIF:
		l, r, err := t.operands(a)
		if err != nil {
			return nil, err
		}
		return call(FnNullIf, l, r), nil
	case pg.A_Expr_Kind_AEXPR_IN:
		l, err := t.expr(a.Lexpr)
		if err != nil {
			return nil, err
		}
		list, err := t.tuple(a.Rexpr.GetList().GetItems())
		if err != nil {
			return nil, err
		}
		cmp := sqlparser.InStr
		if op == "<>" {
			cmp = sqlparser.NotInStr
		}
		return &sqlparser.ComparisonExpr{Operator: cmp, Left: l, Right: list}, nil
	case pg.A_Expr_Kind_AEXPR_LIKE, pg.A_Expr_Kind_AEXPR_ILIKE:
		return t.like(a, op)
	case pg.A_Expr_Kind_AEXPR_SIMILAR:
		return nil, t.unsupported(a.Location, "SIMILAR TO is not supported; use LIKE or ~ (regular expressions)")
	case pg.A_Expr_Kind_AEXPR_BETWEEN, pg.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		return t.between(a, false, a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN)
	case pg.A_Expr_Kind_AEXPR_BETWEEN_SYM, pg.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM:
		return t.between(a, true, a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM)
	case pg.A_Expr_Kind_AEXPR_OP_ANY, pg.A_Expr_Kind_AEXPR_OP_ALL:
		return t.anyAll(a, op)
	}
	return nil, t.unsupported(a.Location, "operator %s is not supported", op)
}

// between translates [NOT] BETWEEN [SYMMETRIC]. x BETWEEN SYMMETRIC a AND
// b is (x BETWEEN a AND b) OR (x BETWEEN b AND a), as PostgreSQL expands
// it (x evaluated in both, NULLs giving what the OR gives).
func (t *translator) between(a *pg.A_Expr, symmetric, not bool) (sqlparser.Expr, error) {
	bounds := a.Rexpr.GetList().GetItems()
	if len(bounds) != 2 {
		return nil, t.errorAt(a.Location, "BETWEEN needs two bounds")
	}
	rangeCond := func(from, to *pg.Node, cmp string) (*sqlparser.RangeCond, error) {
		l, err := t.expr(a.Lexpr)
		if err != nil {
			return nil, err
		}
		f, err := t.expr(from)
		if err != nil {
			return nil, err
		}
		u, err := t.expr(to)
		if err != nil {
			return nil, err
		}
		return &sqlparser.RangeCond{Operator: cmp, Left: l, From: f, To: u}, nil
	}
	if !symmetric {
		cmp := sqlparser.BetweenStr
		if not {
			cmp = sqlparser.NotBetweenStr
		}
		return rangeCond(bounds[0], bounds[1], cmp)
	}
	// The operands are translated twice, and again for every level of
	// nesting above them.
	if t.symmetric >= MaxSymmetricNesting {
		return nil, limitError("max_symmetric_nesting", "the statement nests BETWEEN SYMMETRIC more than %d levels deep "+
			"in the operands of others", MaxSymmetricNesting)
	}
	t.symmetric++
	defer func() { t.symmetric-- }()
	ab, err := rangeCond(bounds[0], bounds[1], sqlparser.BetweenStr)
	if err != nil {
		return nil, err
	}
	ba, err := rangeCond(bounds[1], bounds[0], sqlparser.BetweenStr)
	if err != nil {
		return nil, err
	}
	var e sqlparser.Expr = &sqlparser.ParenExpr{Expr: &sqlparser.OrExpr{Left: ab, Right: ba}}
	if not {
		e = &sqlparser.NotExpr{Expr: e}
	}
	return e, nil
}

func (t *translator) operands(a *pg.A_Expr) (sqlparser.Expr, sqlparser.Expr, error) {
	l, err := t.expr(a.Lexpr)
	if err != nil {
		return nil, nil, err
	}
	r, err := t.expr(a.Rexpr)
	if err != nil {
		return nil, nil, err
	}
	return l, r, nil
}

// rowOperands checks the operands of a comparison of rows, (a, b) < (c,
// d): both rows, of as many values (the engine compares them as
// PostgreSQL does, pair by pair). A row compared with a subquery or a
// single value is not translated.
func (t *translator) rowOperands(a *pg.A_Expr, l, r sqlparser.Expr) error {
	lt, lok := l.(sqlparser.ValTuple)
	rt, rok := r.(sqlparser.ValTuple)
	switch {
	case !lok && !rok:
		return nil
	case !lok || !rok:
		return t.unsupported(a.Location, "a row can only be compared with another row of values")
	case len(lt) != len(rt):
		return t.errorAt(a.Location, "unequal number of entries in row expressions")
	}
	return nil
}

// keepBoolean marks TRUE or FALSE compared with a column (int_col =
// true): the engine's planner turns a boolean literal next to an integer
// column into 1 or 0 (MySQL's rule) before the type-checking rule could
// refuse it, as PostgreSQL does ("operator does not exist: integer =
// boolean"). A marked literal (a boolean parameter is marked the same
// way) is a boolean literal again when its type is checked.
func keepBoolean(a *pg.A_Expr, l, r sqlparser.Expr) (sqlparser.Expr, sqlparser.Expr) {
	isColumn := func(n *pg.Node) bool { return n.GetColumnRef() != nil }
	if _, ok := l.(sqlparser.BoolVal); ok && isColumn(a.Rexpr) {
		l = call(FnBoolParam, l)
	}
	if _, ok := r.(sqlparser.BoolVal); ok && isColumn(a.Lexpr) {
		r = call(FnBoolParam, r)
	}
	return l, r
}

func (t *translator) operator(a *pg.A_Expr, op string) (sqlparser.Expr, error) {
	if a.Lexpr == nil {
		return t.prefixOperator(a, op)
	}
	if cmp, ok := comparisonOps[op]; ok {
		l, r, err := t.operands(a)
		if err != nil {
			return nil, err
		}
		if err := t.rowOperands(a, l, r); err != nil {
			return nil, err
		}
		l, r = keepBoolean(a, l, r)
		return &sqlparser.ComparisonExpr{Operator: cmp, Left: l, Right: r}, nil
	}
	switch op {
	case "+", "-":
		// timestamp +/- INTERVAL '...'
		iv, ok, err := t.intervalOperand(a.Rexpr)
		if err != nil {
			return nil, err
		}
		if ok {
			l, err := t.expr(a.Lexpr)
			if err != nil {
				return nil, err
			}
			sign := int64(1)
			if op == "-" {
				sign = -1
			}
			return call(FnInterval, l, iv, IntLiteral(sign)), nil
		}
		if op == "+" {
			if iv, ok, err := t.intervalOperand(a.Lexpr); err != nil {
				return nil, err
			} else if ok {
				r, err := t.expr(a.Rexpr)
				if err != nil {
					return nil, err
				}
				return call(FnInterval, r, iv, IntLiteral(1)), nil
			}
		}
	case "~", "~*", "!~", "!~*":
		l, r, err := t.operands(a)
		if err != nil {
			return nil, err
		}
		return call(FnRegexMatch, l, r, str(op)), nil
	case "#":
		return nil, t.errorAt(a.Location, "'#' is not supported (it starts a comment in MySQL and is XOR in PostgreSQL); use -- or /* */ for comments")
	}
	fn, ok := binaryOps[op]
	if !ok {
		return nil, t.unsupported(a.Location, "operator %s is not supported", op)
	}
	l, r, err := t.operands(a)
	if err != nil {
		return nil, err
	}
	return call(fn, l, r), nil
}

func (t *translator) prefixOperator(a *pg.A_Expr, op string) (sqlparser.Expr, error) {
	var fn string
	switch op {
	case "-":
		fn = FnNeg
	case "+":
		fn = FnPos
	case "~":
		fn = FnBitNot
	case "@", "@@":
		return nil, t.errorAt(a.Location, "'@' is not supported (MySQL reads @name as a variable); use abs() for an absolute value")
	case "#":
		return nil, t.errorAt(a.Location, "'#' is not supported; use -- or /* */ for comments")
	default:
		return nil, t.unsupported(a.Location, "prefix operator %s is not supported", op)
	}
	if c := a.Rexpr.GetAConst(); c != nil && (c.GetSval() != nil || c.Isnull) {
		if op != "+" {
			// PostgreSQL has - and ~ for several types and cannot choose
			// one for an untyped literal (- '1' was a decimal here).
			return nil, t.errorAt(a.Location, "operator is not unique: %s unknown (cast the operand)", op)
		}
		// Unary + of an untyped literal is double precision's, the
		// preferred numeric type: +'5' is 5 as a float8, +'x' invalid
		// input for it.
		e, err := t.expr(a.Rexpr)
		if err != nil {
			return nil, err
		}
		return call(fn, call(FnCast, e, str(dialect.DataType{Name: dialect.TypeDouble}.SQL()))), nil
	}
	e, err := t.expr(a.Rexpr)
	if err != nil {
		return nil, err
	}
	return call(fn, e), nil
}

// like translates [NOT] LIKE and [NOT] ILIKE, with their ESCAPE (which
// PostgreSQL's parser turns into a like_escape() call on the pattern).
func (t *translator) like(a *pg.A_Expr, op string) (sqlparser.Expr, error) {
	l, err := t.expr(a.Lexpr)
	if err != nil {
		return nil, err
	}
	patNode := a.Rexpr
	var escape sqlparser.Expr
	if fc := patNode.GetFuncCall(); fc != nil {
		if name := funcName(fc); name == "like_escape" && len(fc.Args) == 2 {
			patNode = fc.Args[0]
			if escape, err = t.expr(fc.Args[1]); err != nil {
				return nil, err
			}
		}
	}
	pat, err := t.expr(patNode)
	if err != nil {
		return nil, err
	}
	not := strings.HasPrefix(op, "!")
	if a.Kind == pg.A_Expr_Kind_AEXPR_ILIKE {
		if escape == nil {
			escape = str(`\`)
		}
		var e sqlparser.Expr = call(FnILike, l, pat, escape)
		if not {
			e = &sqlparser.NotExpr{Expr: e}
		}
		return e, nil
	}
	cmp := sqlparser.LikeStr
	if not {
		cmp = sqlparser.NotLikeStr
	}
	return &sqlparser.ComparisonExpr{Operator: cmp, Left: l, Right: pat, Escape: escape}, nil
}

// anyAll translates x = ANY (ARRAY[...]) and x <> ALL (ARRAY[...]), the
// forms that mean IN and NOT IN.
func (t *translator) anyAll(a *pg.A_Expr, op string) (sqlparser.Expr, error) {
	arr := a.Rexpr.GetAArrayExpr()
	anyEq := a.Kind == pg.A_Expr_Kind_AEXPR_OP_ANY && op == "="
	allNe := a.Kind == pg.A_Expr_Kind_AEXPR_OP_ALL && op == "<>"
	if arr == nil || !(anyEq || allNe) {
		return nil, t.unsupported(a.Location, "ANY/ALL is supported as = ANY (ARRAY[...]) and <> ALL (ARRAY[...]) only")
	}
	l, err := t.expr(a.Lexpr)
	if err != nil {
		return nil, err
	}
	list, err := t.tuple(arr.Elements)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, t.unsupported(a.Location, "an empty ARRAY[] is not supported")
	}
	cmp := sqlparser.InStr
	if allNe {
		cmp = sqlparser.NotInStr
	}
	return &sqlparser.ComparisonExpr{Operator: cmp, Left: l, Right: list}, nil
}

func (t *translator) tuple(items []*pg.Node) (sqlparser.ValTuple, error) {
	out := make(sqlparser.ValTuple, 0, len(items))
	for _, it := range items {
		e, err := t.expr(it)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (t *translator) row(args []*pg.Node) (sqlparser.Expr, error) {
	if len(args) < 2 {
		return nil, t.unsupported(-1, "ROW() with fewer than two fields is not supported")
	}
	return t.tuple(args)
}

func (t *translator) boolExpr(b *pg.BoolExpr) (sqlparser.Expr, error) {
	args := make([]sqlparser.Expr, 0, len(b.Args))
	for _, a := range b.Args {
		e, err := t.expr(a)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	switch b.Boolop {
	case pg.BoolExprType_NOT_EXPR:
		if sl := b.Args[0].GetSubLink(); sl != nil && sl.SubLinkType == pg.SubLinkType_EXISTS_SUBLINK {
			// The engine turns NOT EXISTS into an anti-join that drops
			// rows whose correlation is NULL (NOT IN's rule); KalamDB's
			// NOT keeps NOT EXISTS a per-row test.
			return call(FnNot, args[0]), nil
		}
		return &sqlparser.NotExpr{Expr: args[0]}, nil
	case pg.BoolExprType_AND_EXPR:
		out := args[0]
		for _, a := range args[1:] {
			out = &sqlparser.AndExpr{Left: out, Right: a}
		}
		return out, nil
	}
	out := args[0]
	for _, a := range args[1:] {
		out = &sqlparser.OrExpr{Left: out, Right: a}
	}
	return out, nil
}

// caseExpr translates CASE into kdb_case: PostgreSQL types the result
// from all branches (and refuses branches of incompatible types), where
// the engine's CASE would turn a mix into text. The first argument says
// which form it is: 'searched' or 'simple', with ',else' when an ELSE
// follows the WHEN pairs.
func (t *translator) caseExpr(c *pg.CaseExpr) (sqlparser.Expr, error) {
	mode := "searched"
	var args []sqlparser.Expr
	if c.Arg != nil {
		mode = "simple"
		a, err := t.expr(c.Arg)
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	for _, w := range c.Args {
		cw := w.GetCaseWhen()
		cond, err := t.expr(cw.Expr)
		if err != nil {
			return nil, err
		}
		val, err := t.expr(cw.Result)
		if err != nil {
			return nil, err
		}
		args = append(args, cond, val)
	}
	if c.Defresult != nil {
		mode += ",else"
		e, err := t.expr(c.Defresult)
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	return call(FnCase, append([]sqlparser.Expr{str(mode)}, args...)...), nil
}

func (t *translator) subquery(n *pg.Node) (*sqlparser.Subquery, error) {
	q := n.GetSelectStmt()
	if q == nil {
		return nil, t.errorAt(location(n), "expected a subquery")
	}
	sel, err := t.selectStmt(q)
	if err != nil {
		return nil, err
	}
	return &sqlparser.Subquery{Select: sel}, nil
}

func (t *translator) subLink(s *pg.SubLink) (sqlparser.Expr, error) {
	if t.aggs.refusedIn == ReturningClause {
		// The engine evaluates RETURNING over the written row, outside the
		// planner's subquery machinery (and the checks that walk a
		// statement's queries, such as view expansion, do not see it).
		return nil, t.unsupported(s.Location, "a subquery in RETURNING is not supported")
	}
	sq, err := t.subquery(s.Subselect)
	if err != nil {
		return nil, err
	}
	switch s.SubLinkType {
	case pg.SubLinkType_EXISTS_SUBLINK:
		ex := &sqlparser.ExistsExpr{Subquery: sq}
		if t.inWrite {
			// The engine runs an UPDATE or DELETE of one table whose
			// statement holds no subquery expression on a short path that
			// leaves an EXISTS unanalysed ("attempted to evaluate
			// uninitialized subquery"); (SELECT EXISTS (...)), the same
			// condition, is a subquery expression.
			return &sqlparser.Subquery{Select: &sqlparser.Select{SelectExprs: sqlparser.SelectExprs{&sqlparser.AliasedExpr{Expr: ex}}}}, nil
		}
		return ex, nil
	case pg.SubLinkType_EXPR_SUBLINK:
		return sq, nil
	case pg.SubLinkType_ANY_SUBLINK, pg.SubLinkType_ALL_SUBLINK:
		op := "="
		if len(s.OperName) > 0 {
			op, _ = operatorName(s.OperName)
		}
		var cmp string
		switch {
		case s.SubLinkType == pg.SubLinkType_ANY_SUBLINK && op == "=":
			cmp = sqlparser.InStr
		case s.SubLinkType == pg.SubLinkType_ALL_SUBLINK && op == "<>":
			cmp = sqlparser.NotInStr
		default:
			return nil, t.unsupported(s.Location, "a subquery with ANY/ALL/SOME is supported as IN, = ANY and <> ALL only")
		}
		l, err := t.expr(s.Testexpr)
		if err != nil {
			return nil, err
		}
		return &sqlparser.ComparisonExpr{Operator: cmp, Left: l, Right: sq}, nil
	case pg.SubLinkType_ARRAY_SUBLINK:
		return nil, t.unsupported(s.Location, "ARRAY(subquery) is not supported; use array_agg")
	}
	return nil, t.unsupported(s.Location, "this kind of subquery is not supported")
}

func (t *translator) sqlValueFunction(f *pg.SQLValueFunction) (sqlparser.Expr, error) {
	switch f.Op {
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP:
		return call(FnNow), nil
	case pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP:
		// A timestamp, not a timestamptz: a zoned literal compared with
		// it ignores its zone.
		return call(FnCast, call(FnNow), str(string(dialect.TypeTimestamp))), nil
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		return call(FnCurDate), nil
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg.SQLValueFunctionOp_SVFOP_LOCALTIME:
		return call(FnCurTime), nil
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_USER, pg.SQLValueFunctionOp_SVFOP_USER, pg.SQLValueFunctionOp_SVFOP_SESSION_USER:
		return call(FnCurUser), nil
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_ROLE:
		return call(FnCurRole), nil
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N, pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N,
		pg.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N, pg.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
		return nil, t.unsupported(f.Location, "a precision for the current time is not supported (it has microseconds)")
	}
	return nil, t.unsupported(f.Location, "%s is not supported", strings.TrimPrefix(f.Op.String(), "SVFOP_"))
}
