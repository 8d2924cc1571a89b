package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/shopspring/decimal"
)

// Decimals compare by their exact values, as in PostgreSQL. The engine
// compares two numbers of different types in the left operand's type
// (the right one's when only it is a decimal), and a column's DECIMAL(p,s)
// rounds every value it converts to its scale s: a DECIMAL(10,2) holding
// 1.25 "equalled" 1.251 and 1.249, d2 = d3 and d3 = d2 disagreed, and an
// UPDATE or DELETE whose WHERE named a value the column does not hold
// changed rows. So the type-checking rule replaces a comparison whose
// engine type would round one of its operands: an equality by the
// equality of the operands' canonical texts (kdb_hash_key, which is still
// an engine equality, so a join on it stays a hash join), an order
// comparison by kdb_numeric_lt and its kin, which compare exact values.
// Comparisons that cannot round (same scales, an integer, a constant of
// the column's scale or less) keep the engine's. DECIMAL columns are
// never indexed or primary keys, so no lookup is lost.

// numericOps names the exact order comparisons, for plans (EXPLAIN).
var numericOps = map[string]string{
	"<=>": "kdb_numeric_not_distinct", "<": "kdb_numeric_lt", "<=": "kdb_numeric_le",
	">": "kdb_numeric_gt", ">=": "kdb_numeric_ge",
}

// exactDecimalComparison is the exact form of the comparison e (=, <=>,
// <, <=, >, >= or BETWEEN) over its checked operands ops when the engine's
// would round one of them (ok false otherwise).
func exactDecimalComparison(e sql.Expression, ops []sql.Expression) (sql.Expression, bool, error) {
	if _, between := e.(*expression.Between); between && len(ops) == 3 {
		// The engine evaluates x BETWEEN lo AND hi as lo <= x AND
		// hi >= x: the same predicate, NULLs included.
		if !roundsDecimal(ops[1], ops[0]) && !roundsDecimal(ops[2], ops[0]) {
			return nil, false, nil
		}
		if !cheapOperand(ops[0]) {
			// Two comparisons would each evaluate (and every rewrite
			// copy) x: nested, that doubles at every level (onceBetween).
			f, err := buildOrderBetween("kdb_numeric_between", func(a, b any) (int, error) { return compareValues(famNumeric, a, b) })(ops)
			return f, err == nil, err
		}
		ge, err := exactCompare(">=", ops[0], ops[1])
		if err != nil {
			return nil, false, err
		}
		le, err := exactCompare("<=", ops[0], ops[2])
		if err != nil {
			return nil, false, err
		}
		return expression.NewAnd(ge, le), true, nil
	}
	op, ok := comparisonOp(e)
	if !ok || len(ops) != 2 || !roundsDecimal(ops[0], ops[1]) {
		return nil, false, nil
	}
	c, err := exactCompare(op, ops[0], ops[1])
	return c, err == nil, err
}

// exactCompare is l op r compared by exact value.
func exactCompare(op string, l, r sql.Expression) (sql.Expression, error) {
	if op == "=" {
		return expression.NewEquals(hashKey(l), hashKey(r)), nil
	}
	return buildNumericCompare(op)([]sql.Expression{l, r})
}

// roundsDecimal reports whether the engine's comparison of l with r (in
// that order) rounds a value: its type is l's when l is a decimal, else
// r's; only a column's DECIMAL(p,s) rounds, to s, and only values of the
// other operand with more digits after the point than s.
func roundsDecimal(l, r sql.Expression) bool {
	if familyOf(l) != famNumeric && familyOf(r) != famNumeric {
		return false
	}
	cmpType, other := l, r
	if familyOf(l) != famNumeric {
		cmpType, other = r, l
	}
	if beyondEngineDecimal(l) || beyondEngineDecimal(r) {
		return true
	}
	s, rounds := roundingScale(cmpType.Type())
	if !rounds {
		return false
	}
	scale, bounded := operandScale(other)
	return !bounded || scale > s
}

// beyondEngineDecimal reports whether e is a decimal that may hold a
// value the engine's comparisons cannot: they convert every decimal to
// DECIMAL(65,30), and a computed one keeps every digit (1e-30 * 1e-30
// was 0 there, 1e60 * 1e60 failed to convert and compared as false). A
// column's DECIMAL(p,s) within DECIMAL(65,30) and a literal fit.
func beyondEngineDecimal(e sql.Expression) bool {
	if familyOf(e) != famNumeric {
		return false
	}
	if v, ok := constantValue(e); ok {
		d, ok := toDecimal(v)
		return ok && !fitsEngineDecimal(d)
	}
	return beyondEngineDecimalType(e.Type())
}

// beyondEngineDecimalType reports whether a value of type t, a decimal
// type, may be one the engine's comparisons cannot hold: t keeps every
// digit, or is wider than a column's. A table's DECIMAL(p,s) fits; a
// VALUES list's column of 1e-30 * 1e-30 has the engine's own type and
// every digit (valuesRows).
func beyondEngineDecimalType(t sql.Type) bool {
	if _, column := roundingScale(t); !column {
		return true
	}
	return wideDecimalType(t)
}

// wideDecimalType reports whether t is a decimal type wider than a
// DECIMAL column's (38 digits): the engine's own, whose values are
// computed numerics that keep every digit.
func wideDecimalType(t sql.Type) bool {
	dt, ok := t.(sql.DecimalType)
	return ok && dt.Precision() > 38
}

// fitsEngineDecimal reports whether d is a DECIMAL(65,30) without
// rounding.
func fitsEngineDecimal(d decimal.Decimal) bool {
	if d.IsZero() {
		return true
	}
	if displayScale(d) > 30 {
		return false
	}
	return coefficientDigits(d.Coefficient())+int64(d.Exponent()) <= 35
}

// roundingScale is the scale a decimal type rounds the values it
// converts to: a column's DECIMAL(p,s) rounds to s; the engine's other
// decimal types keep a value's digits (rounds false).
func roundingScale(t sql.Type) (int, bool) {
	dt, ok := t.(sql.DecimalType)
	if !ok {
		return 0, false
	}
	s := int(dt.Scale())
	probe := decimal.New(1, -int32(s)-1)
	got, err := dt.ConvertToNullDecimal(probe)
	if err != nil || !got.Valid || got.Decimal.Equal(probe) {
		return 0, false
	}
	return s, true
}

// operandScale is the most digits after the point a value of e can have
// (bounded false when the type does not say: a computed decimal).
func operandScale(e sql.Expression) (int, bool) {
	switch familyOf(e) {
	case famInt, famBool, famNull:
		return 0, true
	case famNumeric:
	default:
		return 0, false
	}
	if v, ok := constantValue(e); ok {
		if d, ok := toDecimal(v); ok {
			return displayScale(d), true
		}
	}
	if s, ok := roundingScale(e.Type()); ok {
		return s, true
	}
	return 0, false
}

// buildNumericCompare builds an exact order comparison of numbers (or
// <=>); WithChildren rebuilds it through the same builder.
func buildNumericCompare(op string) fnBuilder {
	return buildOrderCompare(op, numericOps, func(a, b any) (int, error) { return compareValues(famNumeric, a, b) })
}

// decimalInLists rewrites x IN (a, b, ...) of n (subqueries included) as
// x = a OR x = b ... (the same predicate, NULLs included) when the engine
// would round x to an item's DECIMAL(p,s): it compares x with a decimal
// item in that item's type, so d3 IN (d2) held for 1.251 and 1.25. Each
// equality is then checked and made exact as any other.
func decimalInLists(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		switch x := e.(type) {
		case *plan.Subquery:
			q, same, err := decimalInLists(x.Query)
			if err != nil || same {
				return e, transform.SameTree, err
			}
			return x.WithQuery(q), transform.NewTree, nil
		case *expression.InTuple:
			items, ok := x.Right().(expression.Tuple)
			if !ok || familyOf(x.Left()) != famNumeric {
				return e, transform.SameTree, nil
			}
			rounds := beyondEngineDecimal(x.Left())
			for _, it := range items {
				if familyOf(it) == famNumeric && roundsDecimal(it, x.Left()) {
					rounds = true
					break
				}
			}
			if !rounds || onceIn(x.Left(), items) {
				return e, transform.SameTree, nil
			}
			eqs := make([]sql.Expression, len(items))
			for i, it := range items {
				eqs[i] = expression.NewEquals(x.Left(), it)
			}
			return expression.JoinOr(eqs...), transform.NewTree, nil
		}
		return e, transform.SameTree, nil
	})
}

// onceIn reports whether x IN (items), x computed, is left to the
// type-checking rule's exactDecimalIn, which evaluates x once: one
// equality per item, each evaluating (and every rewrite copying) x, grew
// as items^depth when nested in x. Its items must all become numbers
// there (an untyped literal is checked as x's type, as in x = 'lit');
// others keep the equalities.
func onceIn(x sql.Expression, items []sql.Expression) bool {
	if cheapOperand(x) {
		return false
	}
	for _, it := range items {
		switch familyOf(it) {
		case famNumeric, famInt, famNull, famUnknown:
		default:
			return false
		}
	}
	return true
}

// exactDecimalIn is x IN (items) over the checked operands ops (x
// first) compared by exact value with x evaluated once (ok false unless
// decimalInLists left it so: onceIn).
func exactDecimalIn(ops []sql.Expression) (sql.Expression, bool, error) {
	x := ops[0]
	if familyOf(x) != famNumeric || cheapOperand(x) {
		return nil, false, nil
	}
	rounds := beyondEngineDecimal(x)
	for _, it := range ops[1:] {
		switch familyOf(it) {
		case famNumeric:
			rounds = rounds || roundsDecimal(it, x)
		case famInt, famNull:
		default:
			return nil, false, nil
		}
	}
	if !rounds {
		return nil, false, nil
	}
	f, err := numericIn(ops)
	return f, err == nil, err
}

// numericIn is x IN (list) over numbers, compared by exact value.
var numericIn = buildEqualIn("kdb_numeric_in", func(a, b any) (int, error) { return compareValues(famNumeric, a, b) })

// orderHolds reports whether a comparison op (=, <=>, <, <=, >, >=) holds
// for two values whose order is c (negative, zero or positive).
func orderHolds(op string, c int) bool {
	switch op {
	case "=", "<=>":
		return c == 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}
