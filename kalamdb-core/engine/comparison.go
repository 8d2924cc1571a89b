package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
)

// The engine's comparisons by their operator, for the rules that rewrite
// them (float comparisons, scan filters): one place that knows which node
// is which operator and how an operator reads from its other operand.

// comparisonOp is the operator of the engine comparison e: "=", "<=>",
// "<", "<=", ">" or ">=" (ok false for anything else).
func comparisonOp(e sql.Expression) (op string, ok bool) {
	switch e.(type) {
	case *expression.Equals:
		return "=", true
	case *expression.NullSafeEquals:
		return "<=>", true
	case *expression.LessThan:
		return "<", true
	case *expression.LessThanOrEqual:
		return "<=", true
	case *expression.GreaterThan:
		return ">", true
	case *expression.GreaterThanOrEqual:
		return ">=", true
	}
	return "", false
}

// mirroredOp is op read from its right operand: a < b is b > a.
func mirroredOp(op string) string {
	switch op {
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return op // = and <=> are symmetric
}

// newComparison is the engine comparison l op r, op one of comparisonOp's.
func newComparison(op string, l, r sql.Expression) sql.Expression {
	switch op {
	case "=":
		return expression.NewEquals(l, r)
	case "<=>":
		return expression.NewNullSafeEquals(l, r)
	case "<":
		return expression.NewLessThan(l, r)
	case "<=":
		return expression.NewLessThanOrEqual(l, r)
	case ">":
		return expression.NewGreaterThan(l, r)
	default:
		return expression.NewGreaterThanOrEqual(l, r)
	}
}
