package engine

import (
	"time"

	"math"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// integerBoundComparison rewrites an order comparison of an integer column
// with a constant its type does not hold exactly (2147483648 or 2.5 for an
// INT) into the equivalent comparison with a constant it does hold:
// i < 2147483648 is i <= 2147483647, i > 2.5 is i >= 3. The engine's index
// ranges convert a bound to the column's type by clamping it, so left as
// written, i < 2147483648 became i < 2147483647 there and lost the row at
// the limit; the rewritten comparison is the same predicate (NULLs
// included) and its bound converts exactly.
func integerBoundComparison(e sql.Expression, ops []sql.Expression) (sql.Expression, bool) {
	col, c, swapped, ok := columnOperand(ops)
	if !ok {
		return nil, false
	}
	switch e.(type) {
	case *expression.Equals:
		if unheldInteger(col, c) {
			return neverEqual(col), true
		}
		return nil, false
	case *expression.NullSafeEquals:
		if unheldInteger(col, c) {
			return expression.NewLiteral(false, types.Boolean), true
		}
		return nil, false
	}
	upper, ok := upperBound(e, swapped)
	if !ok {
		return nil, false
	}
	if f := familyOf(col); f == famDate || f == famTimestamp {
		if t, ok := timeConstant(c); ok && !row.InTimeRange(t) {
			return timeBeyondRange(col, t, upper), true
		}
		if f == famDate {
			return dateBoundComparison(col, c, upper)
		}
		return nil, false
	}
	lo, hi, ok := signedIntRange(col.Type())
	if !ok {
		return nil, false
	}
	v, ok := constantValue(c)
	if !ok {
		return nil, false
	}
	d, ok := toDecimal(v)
	if !ok {
		return nil, false
	}
	if d.IsInteger() && d.GreaterThanOrEqual(decimal.NewFromInt(lo)) && d.LessThanOrEqual(decimal.NewFromInt(hi)) {
		return nil, false // exact already
	}
	// As col <= k (upper) or col >= k, k an integer: strict and
	// non-strict agree, as d is either fractional or outside the type's
	// range, where no value of the column equals it.
	var k decimal.Decimal
	if upper {
		k = d.Floor()
	} else {
		k = d.Ceil()
	}
	lit := func(n int64) sql.Expression {
		return expression.NewLiteral(convertIntLiteral(n, col.Type()), col.Type())
	}
	switch {
	case upper && k.GreaterThanOrEqual(decimal.NewFromInt(hi)):
		return expression.NewLessThanOrEqual(col, lit(hi)), true
	case upper && k.LessThan(decimal.NewFromInt(lo)):
		return expression.NewLessThan(col, lit(lo)), true
	case upper:
		return expression.NewLessThanOrEqual(col, lit(k.IntPart())), true
	case k.LessThanOrEqual(decimal.NewFromInt(lo)):
		return expression.NewGreaterThanOrEqual(col, lit(lo)), true
	case k.GreaterThan(decimal.NewFromInt(hi)):
		return expression.NewGreaterThan(col, lit(hi)), true
	default:
		return expression.NewGreaterThanOrEqual(col, lit(k.IntPart())), true
	}
}

// columnOperand splits a comparison's two operands into a column and the
// other operand; swapped when the column is on the right.
func columnOperand(ops []sql.Expression) (col, other sql.Expression, swapped, ok bool) {
	if len(ops) != 2 {
		return nil, nil, false, false
	}
	if _, ok := ops[0].(*expression.GetField); ok {
		return ops[0], ops[1], false, true
	}
	if _, ok := ops[1].(*expression.GetField); ok {
		return ops[1], ops[0], true, true
	}
	return nil, nil, false, false
}

// upperBound reports whether an order comparison, with the column on the
// left unless swapped, bounds the column from above.
func upperBound(e sql.Expression, swapped bool) (upper bool, ok bool) {
	switch e.(type) {
	case *expression.LessThan, *expression.LessThanOrEqual:
		return !swapped, true
	case *expression.GreaterThan, *expression.GreaterThanOrEqual:
		return swapped, true
	}
	return false, false
}

// dateBoundComparison is integerBoundComparison for a DATE column and a
// timestamp with a time of day: dt < '2024-01-01 10:00' is
// dt <= '2024-01-01', dt > '2024-01-01 10:00' is dt > '2024-01-01' (the
// engine truncated the bound to the date and kept the comparison).
func dateBoundComparison(col, c sql.Expression, upper bool) (sql.Expression, bool) {
	t, ok := timeConstant(c)
	if !ok {
		return nil, false
	}
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
	if day.Equal(t) {
		return nil, false // exact already
	}
	lit := expression.NewLiteral(day, col.Type())
	if upper {
		return expression.NewLessThanOrEqual(col, lit), true
	}
	return expression.NewGreaterThan(col, lit), true
}

// timeBeyondRange is an order comparison of a DATE or TIMESTAMP column
// with a time t outside the years 0001..9999 the column holds (date
// '9999-12-31' + 1): every value is on one side of t, so it is either
// col <= its last value (or col >= its first), true for every value and
// NULL for NULL, or neverEqual. Left as written, the index planner failed
// the statement converting t to the column's type, while the same
// comparison without an index answered.
func timeBeyondRange(col sql.Expression, t time.Time, upper bool) sql.Expression {
	after := t.Unix() > 0
	if upper != after {
		return neverEqual(col) // col < a time before every value, or col > one after
	}
	first, last := time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, time.December, 31, 0, 0, 0, 0, time.UTC)
	if familyOf(col) == famTimestamp {
		last = last.Add(24*time.Hour - time.Microsecond)
	}
	if after {
		return expression.NewLessThanOrEqual(col, expression.NewLiteral(last, col.Type()))
	}
	return expression.NewGreaterThanOrEqual(col, expression.NewLiteral(first, col.Type()))
}

// timeBetween is col BETWEEN lo AND hi over a DATE or TIMESTAMP column
// with a bound outside the years 0001..9999, as col >= lo AND col <= hi
// (the same predicate, NULLs included) with that bound rewritten
// (timeBeyondRange).
func timeBetween(ops []sql.Expression) (sql.Expression, bool) {
	col, ok := ops[0].(*expression.GetField)
	if !ok {
		return nil, false
	}
	if f := familyOf(col); f != famDate && f != famTimestamp {
		return nil, false
	}
	beyond := func(c sql.Expression) bool {
		t, ok := timeConstant(c)
		return ok && !row.InTimeRange(t)
	}
	if !beyond(ops[1]) && !beyond(ops[2]) {
		return nil, false
	}
	sides := []sql.Expression{expression.NewGreaterThanOrEqual(col, ops[1]), expression.NewLessThanOrEqual(col, ops[2])}
	for i, s := range sides {
		if c, ok := integerBoundComparison(s, s.Children()); ok {
			sides[i] = c
		}
	}
	return expression.NewAnd(sides[0], sides[1]), true
}

// signedIntRange is the range of a signed integer column type.
func signedIntRange(t sql.Type) (lo, hi int64, ok bool) {
	if !types.IsInteger(t) {
		return 0, 0, false
	}
	switch t.Type() {
	case sqltypes.Int8:
		return math.MinInt8, math.MaxInt8, true
	case sqltypes.Int16:
		return math.MinInt16, math.MaxInt16, true
	case sqltypes.Int24:
		return -1 << 23, 1<<23 - 1, true
	case sqltypes.Int32:
		return math.MinInt32, math.MaxInt32, true
	case sqltypes.Int64:
		return math.MinInt64, math.MaxInt64, true
	}
	return 0, 0, false
}

// convertIntLiteral is n as the Go value of the integer type t.
func convertIntLiteral(n int64, t sql.Type) any {
	switch t.Type() {
	case sqltypes.Int8:
		return int8(n)
	case sqltypes.Int16:
		return int16(n)
	case sqltypes.Int24, sqltypes.Int32:
		return int32(n)
	}
	return n
}

// constantValue is the value of a literal, a negated literal, a cast of
// literals, or date and timestamp arithmetic on such constants; never
// now() or CURRENT_DATE, which are the statement's (or transaction's)
// time, unknown here, where a context would give the wall clock (anything
// more would run a user's expression outside the statement's budgets;
// time arithmetic costs the same whatever its operands). The cast is taken
// as it is because the engine folds it into a literal only after these
// rules have run on an UPDATE's or DELETE's WHERE (a SELECT's is checked
// again after the folding), so timestamp '2024-01-01 10:00' or
// 2147483648::numeric were left to the clamping index ranges there, and
// date '9999-12-31' + 1 to the index planner, which failed on a bound past
// the years a DATE holds.
func constantValue(e sql.Expression) (any, bool) {
	if !isConstant(e) {
		return nil, false
	}
	// No context: nothing isConstant admits reads one (a cast of text
	// reads the statement's time through statementTime, which gives the
	// wall clock without a session, as an empty context did). An empty
	// context is a whole GMS session, ~75 KB of variables: built per
	// constant it made a WHERE of n comparisons allocate gigabytes, and
	// kept in a package-level pool it was state shared by every engine.
	v, err := e.Eval(nil, nil)
	if err != nil || v == nil {
		return nil, false
	}
	return v, true
}

// isConstant reports whether constantValue may evaluate e: without a
// context, so only what reads none (TestConstantValueOfEachKind).
func isConstant(e sql.Expression) bool {
	if isLiteral(e) {
		return true
	}
	switch x := e.(type) {
	case *expression.UnaryMinus:
		return isLiteral(x.Child)
	case *pgFunc:
		switch x.name {
		case pgsql.FnCast:
			for _, a := range x.args {
				if !isLiteral(a) {
					return false
				}
			}
			return true
		case pgsql.FnAdd, pgsql.FnSub, pgsql.FnInterval:
			if f := familyOfType(x.Type()); f != famDate && f != famTimestamp {
				return false
			}
			for _, a := range x.args {
				if !isConstant(a) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// unheldInteger reports whether c is a constant no value of the integer,
// DATE or TIMESTAMP column col equals: fractional, or beyond the column
// type's range; for a DATE, a timestamp with a time of day.
func unheldInteger(col, c sql.Expression) bool {
	if f := familyOf(col); f == famDate || f == famTimestamp {
		t, ok := timeConstant(c)
		if !ok {
			return false
		}
		if !row.InTimeRange(t) {
			return true
		}
		return f == famDate && !time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location()).Equal(t)
	}
	lo, hi, ok := signedIntRange(col.Type())
	if !ok {
		return false
	}
	v, ok := constantValue(c)
	if !ok {
		return false
	}
	d, ok := toDecimal(v)
	if !ok {
		return false
	}
	return !d.IsInteger() || d.LessThan(decimal.NewFromInt(lo)) || d.GreaterThan(decimal.NewFromInt(hi))
}

// neverEqual is col = c for an integer, DATE or TIMESTAMP column and a constant c it
// cannot hold (unheldInteger): false, or NULL for a NULL col. Left as
// written, the index ranges clamped c to the type's limit (or truncated a
// timestamp to its date), so NOT (col = c) (col <> c) cut out the row
// holding it. For an integer it is col < the type's minimum, a bound that
// converts exactly and whose ranges are empty; for a time NOT (col = col),
// which no index range is built from.
func neverEqual(col sql.Expression) sql.Expression {
	lo, _, ok := signedIntRange(col.Type())
	if !ok {
		return expression.NewNot(expression.NewEquals(col, col))
	}
	return expression.NewLessThan(col, expression.NewLiteral(convertIntLiteral(lo, col.Type()), col.Type()))
}

// integerInList drops from col IN (items) over an integer, DATE or TIMESTAMP column the
// constants the column cannot hold (unheldInteger): each is false for
// every non-NULL col, so the IN keeps its value, NULL items and NULL cols
// included, and NOT IN no longer cuts out the row at the type's limit the
// index ranges clamped such an item to. With no item left it is
// neverEqual. ok is false when nothing is dropped.
func integerInList(ops []sql.Expression) (sql.Expression, bool) {
	col, ok := ops[0].(*expression.GetField)
	if !ok || len(ops) < 2 {
		return nil, false
	}
	if f := familyOf(col); f != famDate && f != famTimestamp {
		if _, _, ok := signedIntRange(col.Type()); !ok {
			return nil, false
		}
	}
	items := make([]sql.Expression, 0, len(ops)-1)
	for _, o := range ops[1:] {
		if !unheldInteger(col, o) {
			items = append(items, o)
		}
	}
	switch {
	case len(items) == len(ops)-1:
		return nil, false
	case len(items) == 0:
		return neverEqual(col), true
	}
	return expression.NewInTuple(col, expression.NewTuple(items...)), true
}

// timeConstant is the value of a timestamp constant (constantValue).
func timeConstant(c sql.Expression) (time.Time, bool) {
	v, ok := constantValue(c)
	if !ok {
		return time.Time{}, false
	}
	t, ok := v.(time.Time)
	return t, ok
}
