package engine

import (
	"math"
	"strconv"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function/aggregation"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Floats compare as in PostgreSQL: NaN equals NaN and sorts above every
// other value, -0 equals 0, and a float compared with an integer or an
// exact decimal is compared as a float. The engine's own comparisons get
// all of this wrong: its float comparison calls NaN greater than
// everything, itself included (so NaN = NaN is false and 1 < NaN too),
// and a float compared with a decimal is converted to a decimal, which
// panics on NaN and on infinities. So the type-checking rule replaces
// every comparison that involves a float by one of these functions, and
// wraps every float sort key in floatOrderKey. No primary key is a float,
// so no index lookup is lost.

// floatOps names the comparisons, for plans (EXPLAIN).
var floatOps = map[string]string{
	"=": "kdb_float_eq", "<=>": "kdb_float_not_distinct", "<": "kdb_float_lt", "<=": "kdb_float_le",
	">": "kdb_float_gt", ">=": "kdb_float_ge",
}

// comparesFloats reports whether a comparison of these (typed) operands
// is a float comparison: one is a float and the others are numbers or
// NULL.
func comparesFloats(ops []sql.Expression) bool {
	float := false
	for _, o := range ops {
		switch familyOf(o) {
		case famFloat:
			float = true
		case famInt, famNumeric, famNull:
		default:
			return false
		}
	}
	return float
}

// floatComparison is the PostgreSQL float comparison that replaces the
// engine comparison e (=, <=>, <, <=, >, >=) over the operands l and r.
//
// An equality is the engine's equality of the operands' places in that
// order (floatOrderKey: one BIGINT per float8 value, -0 that of 0, every
// NaN one), which is true, false or NULL exactly when the float comparison
// is: the engine hashes the two sides of such an equality, so a join on it
// (DECIMAL = DOUBLE, BIGINT = REAL, DOUBLE = DOUBLE) is a hash join on the
// float8 values, not a nested loop evaluating kdb_float_eq on every pair.
func floatComparison(e sql.Expression, l, r sql.Expression) (sql.Expression, error) {
	op, ok := comparisonOp(e)
	if !ok {
		return e, nil
	}
	if op == "=" {
		lk, err := floatOrderKey([]sql.Expression{l})
		if err != nil {
			return nil, err
		}
		rk, err := floatOrderKey([]sql.Expression{r})
		if err != nil {
			return nil, err
		}
		return expression.NewEquals(lk, rk), nil
	}
	return buildFloatCompare(op)([]sql.Expression{l, r})
}

// buildFloatCompare builds a float comparison; WithChildren rebuilds it
// through the same builder.
func buildFloatCompare(op string) fnBuilder {
	return buildOrderCompare(op, floatOps, func(a, b any) (int, error) { return cmpFloat(mustFloat(a), mustFloat(b)), nil })
}

// buildOrderCompare builds the comparison op of two values ordered by cmp
// (or <=>), named names[op]; WithChildren rebuilds it through the same
// builder. The float and the exact-decimal comparisons are both this.
func buildOrderCompare(op string, names map[string]string, cmp func(a, b any) (int, error)) fnBuilder {
	var build fnBuilder
	build = func(args []sql.Expression) (*pgFunc, error) {
		if len(args) != 2 {
			return nil, sqlError("operator %s takes two operands", op)
		}
		f := newFunc(args, boolType, func(_ *sql.Context, vals []any) (any, error) {
			if vals[0] == nil || vals[1] == nil {
				// Only <=> sees NULLs (nullIn): equal when both are.
				return boolValue(vals[0] == nil && vals[1] == nil), nil
			}
			c, err := cmp(vals[0], vals[1])
			if err != nil {
				return nil, err
			}
			return boolValue(orderHolds(op, c)), nil
		})
		f.nullIn = op == "<=>"
		f.name, f.build = names[op], build
		return f, nil
	}
	return build
}

// floatBetween is x BETWEEN lo AND hi over floats, x evaluated once, with
// the three-valued logic of x >= lo AND x <= hi.
func floatBetween(args []sql.Expression) (*pgFunc, error) {
	return buildOrderBetween("kdb_float_between", func(a, b any) (int, error) { return cmpFloat(mustFloat(a), mustFloat(b)), nil })(args)
}

// buildOrderBetween builds x BETWEEN lo AND hi over values ordered by cmp,
// named name, x evaluated once, with the three-valued logic of x >= lo AND
// x <= hi; WithChildren rebuilds it through the same builder.
func buildOrderBetween(name string, cmp func(a, b any) (int, error)) fnBuilder {
	var build fnBuilder
	build = func(args []sql.Expression) (*pgFunc, error) {
		if len(args) != 3 {
			return nil, sqlError("BETWEEN takes three operands")
		}
		test := func(a, b any, holds func(int) bool) (any, error) {
			if a == nil || b == nil {
				return nil, nil
			}
			c, err := cmp(a, b)
			if err != nil {
				return nil, err
			}
			return holds(c), nil
		}
		f := newFunc(args, boolType, func(_ *sql.Context, vals []any) (any, error) {
			ge, err := test(vals[0], vals[1], func(c int) bool { return c >= 0 })
			if err != nil {
				return nil, err
			}
			le, err := test(vals[0], vals[2], func(c int) bool { return c <= 0 })
			if err != nil {
				return nil, err
			}
			return and3(ge, le), nil
		})
		f.nullIn = true
		f.name, f.build = name, build
		return f, nil
	}
	return build
}

// floatIn is x IN (list) over floats.
var floatIn = buildEqualIn("kdb_float_in", func(a, b any) (int, error) { return cmpFloat(mustFloat(a), mustFloat(b)), nil })

// buildEqualIn builds x IN (list) over values ordered by cmp, evaluating
// x once: true when an item equals x, else NULL when x or an item is
// NULL, else false (SQL's OR of the equalities); WithChildren rebuilds it
// through the same builder.
func buildEqualIn(name string, cmp func(a, b any) (int, error)) fnBuilder {
	var build fnBuilder
	build = func(args []sql.Expression) (*pgFunc, error) {
		if len(args) < 2 {
			return nil, sqlError("IN needs a list")
		}
		f := newFunc(args, boolType, func(_ *sql.Context, vals []any) (any, error) {
			var out any = boolValue(false)
			for _, v := range vals[1:] {
				if vals[0] == nil || v == nil {
					out = nil
					continue
				}
				c, err := cmp(vals[0], v)
				if err != nil {
					return nil, err
				}
				if c == 0 {
					return boolValue(true), nil
				}
			}
			return out, nil
		})
		f.nullIn = true
		f.name, f.build = name, build
		return f, nil
	}
	return build
}

// and3 is SQL's AND of two truth values (nil is unknown).
func and3(a, b any) any {
	if a == false || b == false {
		return boolValue(false)
	}
	if a == nil || b == nil {
		return nil
	}
	return boolValue(true)
}

// floatOrderKey is a float's place in PostgreSQL's order as a BIGINT:
// -Infinity < ... < -0 = 0 < ... < Infinity < NaN. A float sort key is
// replaced by it, since the engine's float comparison puts NaN both above
// and below everything, which leaves a sort's order undefined.
func floatOrderKey(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 {
		return nil, sqlError("kdb_float_order takes one argument")
	}
	f := newFuncOfType(args, types.Int64, func(_ *sql.Context, vals []any) (any, error) {
		return floatOrder(mustFloat(vals[0])), nil
	})
	f.name, f.build = "kdb_float_order", floatOrderKey
	return f, nil
}

func floatOrder(f float64) int64 {
	if math.IsNaN(f) {
		return math.MaxInt64
	}
	if f == 0 {
		f = 0 // -0 sorts with 0
	}
	b := math.Float64bits(f)
	if b>>63 == 1 {
		b = ^b
	} else {
		b |= 1 << 63
	}
	return int64(b ^ 1<<63)
}

// floatSortFields replaces float and JSON sort keys by their order keys
// (pgOrderKey).
func floatSortFields(fields sql.SortFields) (sql.SortFields, bool, error) {
	return replaceSortKeys(fields, func(e sql.Expression) (sql.Expression, bool, error) { return pgOrderKey(e, false) })
}

// orderKeyFn is an expression read through its order key, ok false when
// it is left as it is.
type orderKeyFn func(e sql.Expression) (key sql.Expression, ok bool, err error)

// replaceSortKeys replaces the sort keys that key reads through an order
// key, in a copy of fields; changed reports a replacement.
func replaceSortKeys(fields sql.SortFields, key orderKeyFn) (out sql.SortFields, changed bool, err error) {
	cols, changed, err := replaceKeys(fields.ToExpressions(), key)
	if err != nil || !changed {
		return fields, false, err
	}
	out = append(sql.SortFields(nil), fields...)
	for i := range out {
		out[i].Column = cols[i]
	}
	return out, true, nil
}

// replaceKeys replaces the expressions that key reads through an order
// key, in a copy of es; changed reports a replacement.
func replaceKeys(es []sql.Expression, key orderKeyFn) (out []sql.Expression, changed bool, err error) {
	for i, e := range es {
		k, ok, err := key(e)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			continue
		}
		if out == nil {
			out = append([]sql.Expression(nil), es...)
		}
		out[i] = k
	}
	if out == nil {
		return es, false, nil
	}
	return out, true, nil
}

// pgOrderKey is e read through its order key when the engine's order or
// equality of its family is not PostgreSQL's: a float through
// kdb_float_order; JSON, to sort, through kdb_json_order (jsonb's order),
// and to group (group), through kdb_json_key (jsonb's equality); a
// boolean, to group, through kdb_bool_key. ok is false for other
// families, which the engine orders and groups right.
func pgOrderKey(e sql.Expression, group bool) (sql.Expression, bool, error) {
	var (
		k   *pgFunc
		err error
	)
	switch familyOf(e) {
	case famFloat:
		k, err = floatOrderKey([]sql.Expression{e})
	case famJSON:
		if group {
			k, err = jsonEqualKey([]sql.Expression{e})
		} else {
			k, err = jsonOrderKey([]sql.Expression{e})
		}
	case famBool:
		if !group {
			return nil, false, nil // the engine's order of booleans reads both ways
		}
		k, err = boolEqualKey([]sql.Expression{e})
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return k, true, nil
}

// floatExtreme replaces the engine's min or max of floats, which follows
// the engine's float order (max skips a NaN, min keeps one), by KalamDB's
// aggregate, which follows PostgreSQL's: NaN is the largest value.
func floatExtreme(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	return pgExtreme(e, func(f family) bool { return f == famFloat })
}

// pgExtreme replaces the engine's min or max (not a window's) of a family
// accepted by KalamDB's aggregate.
func pgExtreme(e sql.Expression, accept func(family) bool) (sql.Expression, transform.TreeIdentity, error) {
	var (
		name, engineName string
		child            sql.Expression
		id               sql.ColumnId
	)
	switch x := e.(type) {
	case *aggregation.Max:
		if x.Window() != nil {
			return e, transform.SameTree, nil
		}
		name, engineName, child, id = "max", "MAX", x.Child, x.Id()
	case *aggregation.Min:
		if x.Window() != nil {
			return e, transform.SameTree, nil
		}
		name, engineName, child, id = "min", "MIN", x.Child, x.Id()
	default:
		return e, transform.SameTree, nil
	}
	if !accept(familyOf(child)) {
		return e, transform.SameTree, nil
	}
	agg, err := buildAggregate(expression.NewLiteral(name, types.LongText), child)
	if err != nil {
		return nil, transform.SameTree, err
	}
	out := agg.(*pgAgg).WithId(id).(*pgAgg)
	out.engineName = engineName
	return out, transform.NewTree, nil
}

// indexableFloatComparison is the engine comparison a float comparison of
// a column with a constant can keep, so that the planner still sees it and
// can serve it from an index on the column: column op constant, with the
// column on the left and the constant a literal of the column's type.
//
// PostgreSQL converts the constant first and then compares exactly: with
// a DOUBLE column to the nearest double (d = 0.1 is d = 0.1::float8); with
// a REAL column a number is compared as a double too (real = numeric runs
// as float8), so r = 0.1 is false for every REAL (none equals the double
// 0.1) while r = '0.1' (an untyped literal, read as a real) holds for
// 0.1::real. A bound a REAL cannot hold is moved to the REALs around it:
// r < 0.1 is r <= the largest REAL below 0.1, r = 0.1 is r strictly
// between the two REALs around 0.1 (no REAL is: false, or NULL for a
// NULL r, as the comparison itself).
//
// It gives PostgreSQL's answer only under these conditions, which it
// checks (ok=false otherwise, and the caller uses the KalamDB function):
// the constant is a number and not NaN (the engine calls NaN unequal to
// itself), a REAL bound is finite (indexableReal), and the column is on
// the left: the engine orders NaN above
// every constant only when NaN is the left operand, which is where
// PostgreSQL puts it too. An index orders its keys as PostgreSQL does
// (keyenc: -0 is 0, NaN above +Infinity), so ranges built from these
// comparisons find what the functions would.
func indexableFloatComparison(e sql.Expression, ops []sql.Expression) (sql.Expression, bool) {
	col, c, swapped, ok := columnOperand(ops)
	if !ok || familyOf(col) != famFloat {
		return nil, false
	}
	f, ok := constantFloat(c)
	if !ok {
		return nil, false
	}
	op, ok := comparisonOp(e)
	if !ok {
		return nil, false
	}
	if swapped {
		op = mirroredOp(op)
	}
	if !isReal(col.Type()) {
		return newComparison(op, col, expression.NewLiteral(f, types.Float64)), true
	}
	if r := float32(f); float64(r) == f {
		if !indexableReal(r) {
			return nil, false
		}
		return newComparison(op, col, expression.NewLiteral(r, col.Type())), true
	}
	below, above := realsAround(f)
	lo, hi := expression.NewLiteral(below, col.Type()), expression.NewLiteral(above, col.Type())
	switch {
	case (op == "<" || op == "<=") && indexableReal(below):
		return expression.NewLessThanOrEqual(col, lo), true
	case (op == ">" || op == ">=") && indexableReal(above):
		return expression.NewGreaterThanOrEqual(col, hi), true
	case op == "=" && indexableReal(below) && indexableReal(above):
		return expression.NewAnd(expression.NewGreaterThan(col, lo), expression.NewLessThan(col, hi)), true
	}
	return nil, false // <=>, or an infinite bound: the function
}

// indexableReal reports whether a REAL literal reaches the index ranges as
// it is. An infinity does not: the engine converts it to the REAL type by
// clamping it to ±FLT_MAX and keeps the comparison strict, so r < +Inf
// lost the row holding FLT_MAX (and NOT (r >= +Inf), from r > 1e39, too);
// such comparisons are left to the float functions.
func indexableReal(r float32) bool {
	return !math.IsInf(float64(r), 0)
}

// indexableFloatBetween is x BETWEEN lo AND hi over a float column and
// constants as x >= lo AND x <= hi (what it means), each an index-usable
// comparison.
func indexableFloatBetween(ops []sql.Expression) (sql.Expression, bool) {
	if len(ops) != 3 {
		return nil, false
	}
	ge, ok1 := indexableFloatComparison(expression.NewGreaterThanOrEqual(ops[0], ops[1]), ops[:2])
	le, ok2 := indexableFloatComparison(expression.NewLessThanOrEqual(ops[0], ops[2]), []sql.Expression{ops[0], ops[2]})
	if !ok1 || !ok2 {
		return nil, false
	}
	return expression.NewAnd(ge, le), true
}

// hasDouble reports whether an operand is a double (a float that is not
// a REAL).
func hasDouble(ops []sql.Expression) bool {
	for _, o := range ops {
		if familyOf(o) == famFloat && !isReal(o.Type()) {
			return true
		}
	}
	return false
}

// realsAround are the REALs next to f, a double no REAL equals: the
// largest below it and the smallest above it (an infinity beyond the
// REAL range).
func realsAround(f float64) (below, above float32) {
	switch {
	case f > math.MaxFloat32:
		return math.MaxFloat32, float32(math.Inf(1))
	case f < -math.MaxFloat32:
		return float32(math.Inf(-1)), -math.MaxFloat32
	}
	r := float32(f)
	if float64(r) < f {
		return r, math.Nextafter32(r, float32(math.Inf(1)))
	}
	return math.Nextafter32(r, float32(math.Inf(-1))), r
}

func isReal(t sql.Type) bool {
	return types.IsFloat(t) && t.Type() == sqltypes.Float32
}

// realInList types the constants of r IN (list) over a REAL column r as
// PostgreSQL does: the list's common type is real when no item is a
// double, so numbers are converted to the nearest REAL (r IN (0.1, 0.5)
// holds for 0.1::real, where r = 0.1 does not) and one beyond the REAL
// range is an error. A list with a double in it, an item that is not a
// constant, or a single item (PostgreSQL compares that one as r = item)
// is left as it is.
func realInList(ops []sql.Expression) ([]sql.Expression, error) {
	col, ok := ops[0].(*expression.GetField)
	if !ok || !isReal(col.Type()) || len(ops) < 3 {
		return ops, nil
	}
	out := make([]sql.Expression, len(ops))
	out[0] = col
	for i, o := range ops[1:] {
		switch familyOf(o) {
		case famNull:
			out[i+1] = o
			continue
		case famFloat:
			if !isReal(o.Type()) {
				return ops, nil
			}
			out[i+1] = o
			continue
		case famInt, famNumeric:
		default:
			return ops, nil
		}
		v, ok := constantValue(o)
		if !ok {
			return ops, nil
		}
		r, err := nearestReal(v)
		if err != nil {
			return nil, err
		}
		out[i+1] = expression.NewLiteral(r, col.Type())
	}
	return out, nil
}

// nearestReal is an exact number rounded once to the nearest REAL
// (through a double it could round twice).
func nearestReal(v any) (float32, error) {
	var r float32
	if d, ok := v.(decimal.Decimal); ok {
		f, err := strconv.ParseFloat(d.String(), 32)
		if err != nil && !math.IsInf(f, 0) {
			err = nil // underflow to 0
		}
		if err != nil {
			return 0, apierror.New(apierror.InvalidInput, "%q is out of range for type real", d.String())
		}
		r = float32(f)
	} else if n, ok := toInt64(v); ok {
		r = float32(n)
	} else if f, ok := toFloat64(v); ok {
		r = float32(f)
	}
	return r, nil
}

// indexableFloatIn is x IN (constants) over a float column as the
// engine's IN, under indexableFloatComparison's conditions for every item;
// each item is converted as the column's = converts it, and must be
// exact in the column's type (realInList has typed a REAL's list).
func indexableFloatIn(ops []sql.Expression) (sql.Expression, bool) {
	col, ok := ops[0].(*expression.GetField)
	if !ok || familyOf(col) != famFloat || len(ops) < 2 {
		return nil, false
	}
	items := make([]sql.Expression, len(ops)-1)
	for i, o := range ops[1:] {
		f, ok := constantFloat(o)
		if !ok {
			return nil, false
		}
		if !isReal(col.Type()) {
			items[i] = expression.NewLiteral(f, types.Float64)
			continue
		}
		if float64(float32(f)) != f || !indexableReal(float32(f)) {
			return nil, false
		}
		items[i] = expression.NewLiteral(float32(f), col.Type())
	}
	return expression.NewInTuple(col, expression.NewTuple(items...)), true
}

// constantFloat is the double PostgreSQL compares a float with for the
// constant e (a literal, or a negated one): a float as it is, an exact
// number rounded to the nearest double. ok is false for anything else,
// NULL and NaN.
func constantFloat(e sql.Expression) (float64, bool) {
	if !familyOf(e).numeric() {
		return 0, false
	}
	v, ok := constantValue(e)
	if !ok {
		return 0, false
	}
	f, ok := toFloat64(v)
	if !ok || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// floatConstant is the constant e as a literal of the float type t, when e
// is built of literals only, is not NULL or NaN, and t holds it exactly.
func floatConstant(t sql.Type, e sql.Expression) (*expression.Literal, bool) {
	if lit, ok := asLiteral(e); ok && familyOf(lit) == famFloat && lit.Type() == t {
		if f, ok := toFloat64(lit.Value()); !ok || math.IsNaN(f) {
			return nil, false
		}
		return lit, true
	}
	v, ok := constantValue(e)
	if !ok {
		return nil, false
	}
	if d, ok := v.(decimal.Decimal); ok {
		// An exact number must survive the trip through a float.
		f, exact := d.Float64()
		if !exact {
			return nil, false
		}
		v = f
	}
	f, ok := toFloat64(v)
	if !ok || math.IsNaN(f) {
		return nil, false
	}
	if u, big := v.(uint64); big && u > math.MaxInt64 {
		return nil, false
	}
	if n, isInt := toInt64(v); isInt && !isFloatValue(v) && (f >= 1<<63 || int64(f) != n) {
		return nil, false // an integer a float cannot hold exactly
	}
	if isReal(t) {
		if float64(float32(f)) != f {
			return nil, false
		}
		return expression.NewLiteral(float32(f), t), true
	}
	return expression.NewLiteral(f, types.Float64), true
}

func isFloatValue(v any) bool {
	switch v.(type) {
	case float32, float64:
		return true
	}
	return false
}
