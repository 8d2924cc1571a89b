package engine

// This file is longer than most on purpose: the type-checking rule is one
// walk over every kind of expression, and its cases are read together.

import (
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation/window"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	krow "github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// pgTypesRuleID identifies KalamDB's type-checking rule.
const pgTypesRuleID analyzer.RuleId = 10_001

// The engine analyzes an INSERT of constants and a single-table UPDATE or
// DELETE with a short rule list of its own, which only extends through
// this list; the rule must run there too (it also runs first on the full
// path, as a pre-analyze rule, before the engine rewrites filters).
func init() {
	analyzer.AlwaysBeforeDefault = append(analyzer.AlwaysBeforeDefault, analyzer.Rule{Id: pgTypesRuleID, Apply: keepDeleteFlags(pgTypes)})
}

// pgTypes applies PostgreSQL's typing to the engine constructs that
// statements still use directly (comparisons, IN, BETWEEN, LIKE, AND, OR,
// NOT, WHERE/HAVING/ON, UNION, INSERT and UPDATE values), before the
// engine plans anything from them:
//
//   - the operands of a comparison must be of comparable types (numbers
//     with numbers, text with text, ...): the engine would compare 'abc'
//     with 0 as equal numbers;
//   - an untyped literal (a string or a parameter) takes the type of what
//     it is compared with or assigned to, read with PostgreSQL's input
//     rules ('yes' is a boolean, '\x01' a BYTES value), and fails the
//     statement when it does not convert;
//   - conditions must be booleans;
//   - the columns of a UNION must have compatible types, and numbers of
//     different types in one column (of a set operation or a VALUES list)
//     get PostgreSQL's common type (pgsetop.go);
//   - row comparisons compare their pairs as PostgreSQL does (rowEquality,
//     rowComparison).
//
// Before typing, it applies PostgreSQL's rules for the columns a grouped
// query or SELECT DISTINCT may use (checkGrouping, pggroup.go).
//
// It also drops the (key IS NULL) sort keys that the translation adds for
// PostgreSQL's NULL ordering when the key cannot be NULL, so an ORDER BY
// of a primary key still reads the index in order.
func pgTypes(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if err := checkGrouping(n); err != nil {
		return nil, transform.SameTree, err
	}
	n, rewSame, err := rewriteEverywhere(n)
	if err != nil {
		return nil, transform.SameTree, err
	}
	n, dupSame, err := windowDuplicateRefs(n)
	if err != nil {
		return nil, transform.SameTree, err
	}
	rewSame = rewSame && dupSame
	n, litSame, err := typeLiterals(n) // pgboolparam.go, pgzoned.go
	if err != nil {
		return nil, transform.SameTree, err
	}
	out, same, err := pgTypesNode(n)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return out, same && rewSame && litSame, nil
}

func pgTypesNode(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	var r retyper
	return transform.Node(n, func(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
		node, refreshed, err := r.refresh(node)
		if err != nil {
			return nil, transform.SameTree, err
		}
		node, retyped, err := r.typeNode(node)
		if err != nil {
			return nil, transform.SameTree, err
		}
		// One bottom-up walk of each of the node's expressions: checkExpr
		// sees every subexpression once, so the rule is linear in the
		// size of the statement (walking again from every subexpression
		// made a chain of n ORs cost n²).
		node, same, err := transform.OneNodeExpressions(node, checkExpr)
		if err != nil {
			return nil, transform.SameTree, err
		}
		out, same2, err := checkNode(node)
		if err != nil {
			return nil, transform.SameTree, err
		}
		return out, same && same2 && refreshed && retyped, nil
	})
}

// checkNode applies the node-level rules.
func checkNode(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
	switch x := node.(type) {
	case *plan.Filter:
		c, err := condition("WHERE", x.Expression)
		if err != nil {
			return nil, transform.SameTree, err
		}
		c = likePrefixRanges(c)
		if c, err = boundIndexRanges(c); err != nil {
			return nil, transform.SameTree, err
		}
		if c, err = evaluateUncorrelatedExists(c); err != nil || c == x.Expression {
			return node, transform.SameTree, err
		}
		return plan.NewFilter(c, x.Child), transform.NewTree, nil
	case *plan.Having:
		c, err := condition("HAVING", x.Cond)
		if err != nil || c == x.Cond {
			return node, transform.SameTree, err
		}
		return plan.NewHaving(c, x.Child), transform.NewTree, nil
	case *plan.JoinNode:
		if x.Filter != nil {
			if _, err := condition("JOIN/ON", x.Filter); err != nil {
				return nil, transform.SameTree, err
			}
		}
	case *plan.GroupBy:
		return checkGroupBy(x) // pgnegzero.go
	case *plan.InsertInto:
		return checkInsert(x)
	case *plan.UpdateSource:
		return checkUpdate(x)
	case *plan.SetOp:
		if err := checkSetOp(x); err != nil {
			return nil, transform.SameTree, err
		}
		fields, changed, err := sortFields(x.SortFields)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if changed {
			c := *x
			c.SortFields = fields
			return &c, transform.NewTree, nil
		}
	case *plan.Sort:
		fields, changed, err := sortFields(x.SortFields)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if changed {
			if len(fields) == 0 {
				return x.Child, transform.NewTree, nil
			}
			return plan.NewSort(fields, x.Child), transform.NewTree, nil
		}
	case *plan.Window:
		return windowNullMarkers(x)
	}
	return node, transform.SameTree, nil
}

// condition checks that a condition is a boolean; an untyped literal is
// read as one.
func condition(what string, e sql.Expression) (sql.Expression, error) {
	switch familyOf(e) {
	case famBool, famNull:
		return e, nil
	case famUnknown:
		return coerce(e, boolType)
	}
	return nil, sqlError("argument of %s must be type BOOLEAN, not type %s", what, typeName(e))
}

// lagDefault types lag's or lead's default (lag(v, n, d)) as v, which is
// the result's type: the engine returned d as it was, so lag(int_col, 1,
// 'x') answered the text 'x' in an INT column and lag(text_col, 1, 5) the
// number 5. PostgreSQL's lag(anycompatible, integer, anycompatible) gives
// their common type; a default that would widen v's type (lag(int_col, 1,
// 1.5), numeric there) is refused, since the engine fixed the result's type
// when it planned the window.
func lagDefault(e sql.Expression, name string, w *sql.WindowDefinition, args []sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	if len(args) != 2 {
		return e, transform.SameTree, nil
	}
	vf, df := familyOf(args[0]), familyOf(args[1])
	if vf == famNull || vf == famUnknown || df == famNull {
		return e, transform.SameTree, nil
	}
	_, fam, err := commonType(name, args)
	if err != nil {
		return nil, transform.SameTree, err
	}
	if fam != vf {
		return nil, transform.SameTree, apierror.New(apierror.Unsupported,
			"%s of %s with a default of type %s is not supported: cast the value to the wider type (%s(v::%s, ...))",
			name, typeName(args[0]), typeName(args[1]), name, strings.ToLower(typeName(args[1])))
	}
	dt := operandType(args[0])
	if vf == famFloat {
		dt = floatDataType(args[0].Type())
	}
	d, err := coerce(args[1], dt)
	if err != nil {
		return nil, transform.SameTree, err
	}
	if d == args[1] {
		return e, transform.SameTree, nil
	}
	out, err := e.WithChildren(append(w.ToExpressions(), args[0], d)...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return out, transform.NewTree, nil
}

// checkExpr applies the expression-level rules.
func checkExpr(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	switch x := e.(type) {
	case *plan.Subquery:
		if err := outerAggregate(x); err != nil {
			return nil, transform.SameTree, err
		}
		q, same, err := pgTypesNode(x.Query)
		if err != nil || same {
			return e, transform.SameTree, err
		}
		return x.WithQuery(q), transform.NewTree, nil
	case *expression.Equals, *expression.NullSafeEquals, *expression.LessThan, *expression.LessThanOrEqual,
		*expression.GreaterThan, *expression.GreaterThanOrEqual:
		if eq, ok := e.(*expression.Equals); ok {
			if out, ok, err := rowEquality(eq); ok || err != nil {
				return out, transform.NewTree, err
			}
		} else if out, ok, err := rowComparison(e); ok || err != nil {
			return out, transform.NewTree, err
		}
		out, same, err := comparison(e, e.Children())
		if err != nil {
			return nil, transform.SameTree, err
		}
		return guardScalarSubqueries(out, same)
	case *expression.Between:
		out, same, err := comparison(e, e.Children())
		if b, ok := out.(*expression.Between); ok && err == nil {
			if once := evalOnce(b); once != out {
				return once, transform.NewTree, nil
			}
		}
		return out, same, err
	case *pgAgg:
		return x.checked()
	case *window.Lag:
		return lagDefault(e, "lag", x.Window(), x.ChildExpressions)
	case *window.Lead:
		return lagDefault(e, "lead", x.Window(), x.ChildExpressions)
	case *expression.InTuple:
		l := x.Left()
		t, ok := x.Right().(expression.Tuple)
		if !ok {
			return e, transform.SameTree, nil
		}
		if lt, ok := l.(expression.Tuple); ok {
			if out, ok, err := rowIn(lt, t); ok || err != nil {
				return out, transform.NewTree, err
			}
			return e, transform.SameTree, nil
		}
		children := append([]sql.Expression{l}, t...)
		out, same, err := comparison(nil, children)
		if err != nil {
			return e, transform.SameTree, err
		}
		cs := children
		if !same {
			cs = out.(*exprList).list
		}
		if comparesFloats(cs) {
			if cs, err = realInList(cs); err != nil {
				return nil, transform.SameTree, err
			}
			if in, ok := indexableFloatIn(cs); ok {
				return in, transform.NewTree, nil
			}
			f, err := floatIn(cs)
			return f, transform.NewTree, err
		}
		if in, ok, err := exactDecimalIn(cs); ok || err != nil {
			return in, transform.NewTree, err // exact decimals (pgdeccmp.go)
		}
		if in, ok := integerInList(cs); ok {
			return in, transform.NewTree, nil
		}
		if same {
			return e, transform.SameTree, nil
		}
		return expression.NewInTuple(cs[0], expression.NewTuple(cs[1:]...)), transform.NewTree, nil
	case *plan.InSubquery:
		if err := inSubqueryOperands(x); err != nil {
			return nil, transform.SameTree, err
		}
	case *expression.And, *expression.Or:
		for _, c := range e.Children() {
			if f := familyOf(c); f != famBool && f != famNull && f != famUnknown {
				return nil, transform.SameTree, sqlError("argument of AND/OR must be type BOOLEAN, not type %s", typeName(c))
			}
		}
	case *aggregation.Max, *aggregation.Min:
		if err := noJSONExtreme(e); err != nil {
			return nil, transform.SameTree, err
		}
		return floatExtreme(e)
	case *expression.Not:
		if err := notOperand(x.Child); err != nil {
			return nil, transform.SameTree, err
		}
	case *expression.IsTrue:
		if f := familyOf(x.Child); f != famBool && f != famNull && f != famUnknown {
			return nil, transform.SameTree, sqlError("argument of IS TRUE/FALSE must be type BOOLEAN, not type %s", typeName(x.Child))
		}
	}
	return e, transform.SameTree, nil
}

// rowEquality makes (a, b) = (c, d) a = c AND b = d, PostgreSQL's
// definition of row equality, each pair compared (and typed) as a
// comparison of its own: false when a pair differs, else NULL when a value
// is NULL. The engine compared the rows as tuples, in the first operand's
// types, with NULL equal to NULL: (NULL, 1) = (NULL, 1) was true, (1, 2) =
// (1, NULL) false, and a DECIMAL was compared with a DOUBLE as a DECIMAL.
// NOT over it (<>) is then the OR of the pairs' <>.
func rowEquality(eq *expression.Equals) (sql.Expression, bool, error) {
	l, lok := eq.Left().(expression.Tuple)
	r, rok := eq.Right().(expression.Tuple)
	if !lok || !rok || len(l) != len(r) || len(l) < 2 {
		return eq, false, nil // a mismatch is the engine's to report
	}
	pairs := make([]sql.Expression, len(l))
	for i := range l {
		c, _, err := checkExpr(expression.NewEquals(l[i], r[i]))
		if err != nil {
			return nil, false, err
		}
		pairs[i] = c
	}
	return expression.JoinAnd(pairs...), true, nil
}

// exprList carries the checked operands of an IN list.
type exprList struct {
	sql.Expression
	list []sql.Expression
}

// comparison checks the operands of a comparison and types its untyped
// literals; e is rebuilt with the new operands (nil: an exprList is
// returned).
func comparison(e sql.Expression, ops []sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	// The type the comparison is made in: the first typed operand's,
	// widened by the others.
	var typed sql.Expression
	for _, o := range ops {
		if f := familyOf(o); f != famUnknown && f != famNull {
			typed = o
			break
		}
	}
	if typed == nil {
		return e, transform.SameTree, nil // all untyped: compared as text
	}
	tf := familyOf(typed)
	ut := operandType(typed)
	if tf == famFloat && isReal(typed.Type()) && !hasDouble(ops) {
		// An untyped literal compared with a REAL is a REAL (r = '0.1'
		// holds for 0.1::real), unless a double widens the comparison.
		ut = dialect.DataType{Name: dialect.TypeFloat}
	}
	out := make([]sql.Expression, len(ops))
	changed := false
	for i, o := range ops {
		out[i] = o
		switch f := familyOf(o); {
		case f == famNull:
		case f == famUnknown:
			c, err := coerce(o, ut)
			if err != nil {
				return nil, transform.SameTree, err
			}
			out[i], changed = c, true
		default:
			if err := comparable(o, tf, "="); err != nil {
				return nil, transform.SameTree, sqlError("operator does not exist: %s = %s", typeName(typed), typeName(o))
			}
		}
	}
	if timed, ok, err := datesAsTimestamps(out); err != nil {
		return nil, transform.SameTree, err
	} else if ok {
		out, changed = timed, true
	}
	if e != nil && comparesFloats(out) {
		// PostgreSQL's float order (pgfloat.go), never the engine's.
		var f sql.Expression
		var err error
		if _, between := e.(*expression.Between); between {
			if c, ok := indexableFloatBetween(out); ok {
				return c, transform.NewTree, nil
			}
			f, err = floatBetween(out)
		} else if c, ok := indexableFloatComparison(e, out); ok {
			return c, transform.NewTree, nil
		} else {
			f, err = floatComparison(e, out[0], out[1])
		}
		if err != nil {
			return nil, transform.SameTree, err
		}
		return f, transform.NewTree, nil
	}
	if c, ok, err := jsonComparison(e, out); err != nil || ok {
		return c, transform.NewTree, err // jsonb's order (pgjsonb.go)
	}
	if c, ok, err := exactDecimalComparison(e, out); err != nil || ok {
		return c, transform.NewTree, err // exact decimals (pgdeccmp.go)
	}
	if _, between := e.(*expression.Between); between {
		if c, ok := timeBetween(out); ok {
			return c, transform.NewTree, nil
		}
	}
	if c, ok := integerBoundComparison(e, out); ok {
		return c, transform.NewTree, nil
	}
	if !changed {
		return e, transform.SameTree, nil
	}
	if e == nil {
		return &exprList{list: out}, transform.NewTree, nil
	}
	n, err := e.WithChildren(out...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, transform.NewTree, nil
}

// datesAsTimestamps casts the DATE operands of a comparison with
// TIMESTAMP operands to TIMESTAMP (PostgreSQL compares them so) when a
// value is computed per row on either side. The engine converted both
// sides to its own DATETIME, which holds only the years 1000..9999 (and
// more loosely 0000), so ts < d + 1 failed with "outside of datetime
// range" for d = 9999-12-31; two values of one type it compares directly.
// A column compared with constants is left for its index (a constant
// outside 0001..9999 is rewritten, timeBeyondRange), and so are two
// columns, whose values are within the years.
func datesAsTimestamps(ops []sql.Expression) ([]sql.Expression, bool, error) {
	perRow := func(o sql.Expression) bool {
		_, col := o.(*expression.GetField)
		return !col && !isConstant(o)
	}
	var date, stamp, computed bool
	for _, o := range ops {
		switch familyOf(o) {
		case famDate:
			date = true
		case famTimestamp:
			stamp = true
		default:
			continue
		}
		computed = computed || perRow(o)
	}
	if !date || !stamp || !computed {
		return nil, false, nil
	}
	out := append([]sql.Expression(nil), ops...)
	for i, o := range ops {
		if familyOf(o) != famDate || isConstant(o) {
			continue
		}
		c, err := newCast(o, tsType, false)
		if err != nil {
			return nil, false, err
		}
		out[i] = c
	}
	return out, true, nil
}

// comparable reports whether a value of e's type compares with family f.
func comparable(e sql.Expression, f family, op string) error {
	g := familyOf(e)
	switch {
	case g == f, g == famNull, f == famNull, g == famUnknown, f == famUnknown:
		return nil
	case g.numeric() && f.numeric():
		return nil
	case (g == famDate || g == famTimestamp) && (f == famDate || f == famTimestamp):
		return nil
	}
	return sqlError("operator does not exist: %s %s %s", f, op, typeName(e))
}

// checkInsert types the values of INSERT ... VALUES by their columns
// (PostgreSQL's assignment rules) and checks INSERT ... SELECT.
func checkInsert(ii *plan.InsertInto) (sql.Node, transform.TreeIdentity, error) {
	src, _, err := pgTypesNode(ii.Source)
	if err != nil {
		return nil, transform.SameTree, err
	}
	dest := ii.Destination.Schema()
	cols := make([]*sql.Column, len(ii.ColumnNames))
	for i, name := range ii.ColumnNames {
		if j := dest.IndexOfColName(name); j >= 0 {
			cols[i] = dest[j]
		}
	}
	if v, ok := src.(*plan.Values); ok {
		tuples := make([][]sql.Expression, len(v.ExpressionTuples))
		for r, tuple := range v.ExpressionTuples {
			tuples[r] = make([]sql.Expression, len(tuple))
			for i, x := range tuple {
				tuples[r][i] = x
				if i >= len(cols) || cols[i] == nil {
					continue
				}
				y, err := assign(cols[i], x)
				if err != nil {
					return nil, transform.SameTree, err
				}
				tuples[r][i] = y
			}
		}
		src = plan.NewValues(tuples)
	} else {
		for i, c := range src.Schema() {
			if i < len(cols) && cols[i] != nil {
				if err := assignable(cols[i], familyOfType(c.Type), c.Name); err != nil {
					return nil, transform.SameTree, err
				}
			}
		}
		if src, err = assignSelect(src, cols); err != nil {
			return nil, transform.SameTree, err
		}
	}
	return ii.WithSource(src), transform.NewTree, nil
}

// assignSelect types the columns of INSERT ... SELECT by the columns they
// are written into, as assign does for VALUES: the select list of the
// query (below any LIMIT, ORDER BY or DISTINCT) gets the conversions. A
// query of another shape (a UNION) is left to the engine's conversions.
func assignSelect(src sql.Node, cols []*sql.Column) (sql.Node, error) {
	switch n := src.(type) {
	case *plan.Limit, *plan.Offset, *plan.Sort, *plan.Distinct:
		child, err := assignSelect(n.Children()[0], cols)
		if err != nil || child == n.Children()[0] {
			return src, err
		}
		return n.WithChildren(child)
	case *plan.Project:
		out := append([]sql.Expression(nil), n.Projections...)
		changed := false
		for i, e := range n.Projections {
			if i >= len(cols) || cols[i] == nil {
				continue
			}
			inner := e
			if a, ok := e.(*expression.Alias); ok {
				inner = a.Child
			}
			y, err := assign(cols[i], inner)
			if err != nil {
				return nil, err
			}
			if y == inner {
				continue
			}
			alias := expression.NewAlias(cols[i].Name, y)
			if ide, ok := e.(sql.IdExpression); ok {
				alias = alias.WithId(ide.Id()).(*expression.Alias)
			}
			out[i], changed = alias, true
		}
		if !changed {
			return src, nil
		}
		return n.WithExpressions(out...)
	}
	return src, nil
}

// checkUpdate types the values of UPDATE ... SET like INSERT's, and has
// the list read the old row (setList).
func checkUpdate(u *plan.UpdateSource) (sql.Node, transform.TreeIdentity, error) {
	exprs := make([]sql.Expression, len(u.UpdateExprs))
	changed := false
	for i, e := range u.UpdateExprs {
		exprs[i] = e
		sf, ok := e.(*expression.SetField)
		if !ok {
			continue
		}
		gf, ok := sf.LeftChild.(*expression.GetField)
		if !ok {
			continue
		}
		col := &sql.Column{Name: gf.Name(), Type: gf.Type()}
		v, err := assign(col, sf.RightChild)
		if err != nil {
			return nil, transform.SameTree, err
		}
		if !familyOfType(gf.Type()).numeric() {
			if v != sf.RightChild {
				exprs[i], changed = expression.NewSetField(sf.LeftChild, v), true
			}
			continue
		}
		exprs[i], changed = expression.NewSetField(sf.LeftChild, &rangeChecked{Child: v, typ: gf.Type()}), true
	}
	list, err := setList(exprs)
	if err != nil {
		return nil, transform.SameTree, err
	}
	if len(list) > 0 && len(exprs) > 0 && list[0] != exprs[0] {
		exprs, changed = list, true
	}
	if !changed {
		return u, transform.SameTree, nil
	}
	n, err := u.WithExpressions(exprs...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, transform.NewTree, nil
}

// rangeChecked refuses a value its column's type cannot hold. The engine's
// SET converts with the type's clamping conversion (3000000000 into INT
// stores 2147483647) where INSERT refuses; this check gives UPDATE INSERT's
// error, before anything is written. For a DATE or TIMESTAMP column (col
// set) it refuses a time outside the years 0001..9999 with the error the
// write itself gives (editor.userValues): the engine's conversion, which
// runs first, failed with "value is outside of date range" as an execution
// error, for INSERT and UPDATE alike.
type rangeChecked struct {
	Child sql.Expression
	typ   sql.Type
	col   *sql.Column
}

var _ sql.Expression = (*rangeChecked)(nil)

func (r *rangeChecked) Resolved() bool             { return r.Child.Resolved() }
func (r *rangeChecked) String() string             { return r.Child.String() }
func (r *rangeChecked) Type() sql.Type             { return r.Child.Type() }
func (r *rangeChecked) IsNullable() bool           { return r.Child.IsNullable() }
func (r *rangeChecked) Children() []sql.Expression { return []sql.Expression{r.Child} }
func (r *rangeChecked) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := r.Child.Eval(ctx, row)
	if err != nil || v == nil {
		return v, err
	}
	if r.col != nil {
		if t, ok := v.(time.Time); ok && !krow.InTimeRange(t) {
			_, err := krow.Normalize(columnDataType(r.col), t)
			return nil, columnValueError(r.col.Name, err)
		}
		return v, nil
	}
	typ := r.typ
	if isRealType(typ) {
		typ = realColumnType{types.Float32} // a REAL holds ±Infinity
	}
	if _, inRange, err := typ.Convert(ctx, v); err == nil && inRange != sql.InRange {
		return nil, sql.ErrValueOutOfRange.New(v, r.typ)
	}
	return v, nil
}

func (r *rangeChecked) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(r, len(children), 1)
	}
	return &rangeChecked{Child: children[0], typ: r.typ, col: r.col}, nil
}

// assign types a value written into a column: an untyped literal is read
// as the column's type; another value must be assignable. A computed
// time is checked against the years a DATE or TIMESTAMP holds
// (rangeChecked).
func assign(col *sql.Column, x sql.Expression) (sql.Expression, error) {
	y, err := assignValue(col, x)
	if err != nil {
		return nil, err
	}
	if n, ok := varcharLength(col.Type); ok {
		if y, err = checkLength(y, n); err != nil {
			return nil, err
		}
	}
	switch y.(type) {
	case *pgFunc, *expression.GetField, *plan.Subquery:
		if f := familyOfType(col.Type); f == famDate || f == famTimestamp {
			return &rangeChecked{Child: y, typ: col.Type, col: col}, nil
		}
	}
	return y, nil
}

func assignValue(col *sql.Column, x sql.Expression) (sql.Expression, error) {
	f := familyOf(x)
	if f == famUnknown {
		if isLiteral(x) {
			return coerce(x, columnDataType(col))
		}
		return x, nil
	}
	if err := assignable(col, f, x.String()); err != nil {
		return nil, err
	}
	cf := familyOfType(col.Type)
	switch {
	case cf == famText && f != famText && f != famNull && f != famOther:
		// Any value goes into TEXT in its text form, as in PostgreSQL.
		return newCast(x, textType, false)
	case cf == famInt && (f == famFloat || f == famNumeric):
		// PostgreSQL's rounding (floats half to even, decimals half away
		// from zero) and range check; a value out of range is bad input,
		// as an integer's is (rangeChecked), not a failed cast.
		return assignmentCast(x, columnDataType(col))
	case cf == famNumeric && (f == famNumeric || f == famInt || f == famFloat):
		// The engine's conversion refuses a value too large for the
		// column's precision without naming it ("numeric field
		// overflow"), and panics on a float NaN or infinity; KalamDB's
		// names the column's type and its bound, and a value too large
		// is bad input whatever its type (999.995::float8 into
		// DECIMAL(5,2) as 999.995).
		return assignmentCast(x, columnDataType(col))
	case cf == famFloat && col.Type.Type() == types.Float32.Type() && f.numeric() && x.Type().Type() != types.Float32.Type():
		// PostgreSQL's rounding to a REAL (the engine's refuses a value
		// above REAL's largest that rounds to it, and makes a tiny one
		// 0); a constant is converted once.
		if isLiteral(x) {
			return coerce(x, columnDataType(col))
		}
		return realAssignment(x)
	}
	return x, nil
}

// assignable reports whether a value of family f may be written into col.
func assignable(col *sql.Column, f family, what string) error {
	cf := familyOfType(col.Type)
	switch {
	case f == cf, f == famNull, f == famUnknown, f == famOther, cf == famOther:
		return nil
	case f.numeric() && cf.numeric():
		return nil
	case cf == famText:
		return nil
	case (f == famDate || f == famTimestamp) && (cf == famDate || cf == famTimestamp):
		return nil
	case cf == famJSON && f == famText, cf == famUUID && f == famText:
		return nil
	}
	return sqlError("column %s is of type %s but expression is of type %s", col.Name, columnDataType(col).SQL(), f)
}

func columnDataType(col *sql.Column) dialect.DataType {
	dt := schema.TypeOfEngine(col.Type)
	if dt.Name == dialect.TypeText {
		dt.MaxLength = 0 // the engine checks lengths when it writes
	}
	if dt.Name == dialect.TypeDecimal {
		return dt
	}
	return dt
}

// checkSetOp checks that the columns of a UNION, INTERSECT or EXCEPT have
// compatible types.
func checkSetOp(s *plan.SetOp) error {
	// The engine plans a set operation's sides apart, without KalamDB's
	// rules: a set operation nested in a side (the first two queries of
	// a UNION of three) is checked only from here. It had given a JSON
	// column text values ('[1.0]' a JSON string) and BIGINT with TEXT
	// their MySQL mix.
	for _, side := range []sql.Node{s.Left(), s.Right()} {
		if inner, ok := side.(*plan.SetOp); ok {
			if err := checkSetOp(inner); err != nil {
				return err
			}
		}
	}
	l, r := setOpTypes(s.Left()), setOpTypes(s.Right())
	if len(l) != len(r) {
		return nil // the engine reports it
	}
	for i := range l {
		a, b := familyOfType(l[i]), familyOfType(r[i])
		switch {
		case a == b, a == famNull, b == famNull, a.numeric() && b.numeric():
		case (a == famDate || a == famTimestamp) && (b == famDate || b == famTimestamp):
		default:
			return sqlError("UNION types %s and %s cannot be matched", a, b)
		}
	}
	return nil
}

// setOpTypes is the column types of one side of a set operation as
// written: the engine has already wrapped a side whose types differ from
// the other's in conversions to a common type, which it picks the MySQL
// way (text for a number and a text).
func setOpTypes(n sql.Node) []sql.Type {
	sch := n.Schema()
	out := make([]sql.Type, len(sch))
	p, _ := n.(*plan.Project)
	for i, c := range sch {
		out[i] = c.Type
		if p == nil || i >= len(p.Projections) {
			continue
		}
		e := p.Projections[i]
		if a, ok := e.(*expression.Alias); ok {
			e = a.Child
		}
		if cv, ok := e.(*expression.Convert); ok {
			out[i] = cv.Child.Type()
		}
	}
	return out
}

// sortFields applies the NULL ordering markers and PostgreSQL's float
// order to the keys of an ORDER BY.
func sortFields(fields sql.SortFields) (sql.SortFields, bool, error) {
	fields, markers := applyNullMarkers(fields)
	fields, floats, err := floatSortFields(fields)
	return fields, markers || floats, err
}

// nullsMarker is the ORDER BY marker of pgsql.FnNulls: the key before it
// sorts its NULLs first or last. applyNullMarkers consumes it.
type nullsMarker struct {
	key   int
	first bool
}

var _ sql.Expression = (*nullsMarker)(nil)

func buildNullsMarker(args ...sql.Expression) (sql.Expression, error) {
	spec := ""
	if len(args) == 1 {
		spec, _ = constString(args[0])
	}
	k, place, ok := strings.Cut(spec, ":")
	n, err := strconv.Atoi(k)
	if !ok || err != nil || (place != "first" && place != "last") {
		return nil, sqlError("malformed NULL ordering marker")
	}
	return &nullsMarker{key: n, first: place == "first"}, nil
}

func (m *nullsMarker) Resolved() bool             { return true }
func (m *nullsMarker) IsNullable() bool           { return false }
func (m *nullsMarker) Type() sql.Type             { return types.Int64 }
func (m *nullsMarker) Children() []sql.Expression { return nil }
func (m *nullsMarker) Eval(*sql.Context, sql.Row) (any, error) {
	return int64(0), nil
}
func (m *nullsMarker) String() string {
	place := "last"
	if m.first {
		place = "first"
	}
	return "nulls_" + place + "(" + strconv.Itoa(m.key) + ")"
}
func (m *nullsMarker) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(m, len(children), 0)
	}
	return m, nil
}

// applyNullMarkers gives each key followed by a marker the marker's NULL
// placement and removes the markers. The engine's NullOrdering is
// relative to the direction: NullsFirst puts NULLs first ascending and
// last descending.
func applyNullMarkers(fields sql.SortFields) (sql.SortFields, bool) {
	has := false
	for _, f := range fields {
		if _, ok := f.Column.(*nullsMarker); ok {
			has = true
		}
	}
	if !has {
		return fields, false
	}
	out := make(sql.SortFields, 0, len(fields))
	for _, f := range fields {
		m, ok := f.Column.(*nullsMarker)
		if !ok {
			out = append(out, f)
			continue
		}
		if len(out) == 0 {
			continue
		}
		prev := &out[len(out)-1]
		if m.first == (prev.Order == sql.Ascending) {
			prev.NullOrdering = sql.NullsFirst
		} else {
			prev.NullOrdering = sql.NullsLast
		}
	}
	return out, true
}

// windowNullMarkers applies the markers in the ORDER BY of window
// definitions.
func windowNullMarkers(w *plan.Window) (sql.Node, transform.TreeIdentity, error) {
	changed := false
	exprs := make([]sql.Expression, len(w.SelectExprs))
	for i, e := range w.SelectExprs {
		exprs[i] = e
		out, same, err := transform.Expr(e, func(x sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			wa, ok := x.(sql.WindowAdaptableExpression)
			if !ok || wa.Window() == nil {
				return x, transform.SameTree, nil
			}
			def := *wa.Window()
			fields, ch, err := sortFields(def.OrderBy)
			if err != nil {
				return x, transform.SameTree, err
			}
			def.OrderBy = fields
			// A float partition key is one too: the engine sorts and
			// splits partitions with its float comparison, which puts NaN
			// both above and below every value (PARTITION BY f split the
			// rows of one value into several partitions).
			parts, floats, err := floatKeys(def.PartitionBy)
			if err != nil || !ch && floats == transform.SameTree {
				return x, transform.SameTree, err
			}
			def.PartitionBy = parts
			return wa.WithWindow(&def), transform.NewTree, nil
		})
		if err != nil {
			return nil, transform.SameTree, err
		}
		if !same {
			exprs[i], changed = out, true
		}
	}
	if !changed {
		return w, transform.SameTree, nil
	}
	n, err := w.WithExpressions(exprs...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, transform.NewTree, nil
}

// windowDuplicateRefs points the references to a window function that the
// engine's planner dropped at the equal one it kept. The planner gives
// every window function of a SELECT its own column but keeps, in the
// window node, only the first of the functions with one text (sum(x) OVER
// w written twice), so the node above read a column nobody produced and
// the statement failed with "unable to find field with index 11".
func windowDuplicateRefs(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
		// The window node under this one, through the nodes of one child
		// (a sort, a filter, a limit) between them.
		var w *plan.Window
		for c := node.Children(); len(c) == 1 && w == nil; c = c[0].Children() {
			switch x := c[0].(type) {
			case *plan.Window:
				w = x
			case *plan.SubqueryAlias:
				c = nil // another query level
			}
			if c == nil {
				break
			}
		}
		if w == nil {
			return node, transform.SameTree, nil
		}
		kept := map[sql.ColumnId]bool{}
		for _, e := range w.SelectExprs {
			if ie, ok := e.(sql.IdExpression); ok {
				kept[ie.Id()] = true
			}
		}
		// The kept functions by text, made only for a dropped reference:
		// the text prints every literal of the function's window, which
		// for a large parameter is megabytes per function.
		var byName map[string]sql.Expression
		return transform.OneNodeExpressions(node, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			gf, ok := e.(*expression.GetField)
			if !ok || kept[gf.Id()] {
				return e, transform.SameTree, nil
			}
			if byName == nil {
				byName = map[string]sql.Expression{}
				for _, e := range w.SelectExprs {
					_, isID := e.(sql.IdExpression)
					if _, isWindow := e.(sql.WindowAdaptableExpression); isID && isWindow {
						byName[strings.ToLower(e.String())] = e
					}
				}
			}
			same, ok := byName[strings.ToLower(gf.Name())]
			if !ok {
				return e, transform.SameTree, nil
			}
			return gf.WithId(same.(sql.IdExpression).Id()), transform.NewTree, nil
		})
	})
}
