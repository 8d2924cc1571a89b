package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// nullComparisonsRuleID identifies nullComparisons in the engine's traces.
const nullComparisonsRuleID analyzer.RuleId = 10_012

// The engine's comparisons (=, <, <=, >, >=) learn that an operand is NULL
// by creating an error, stack trace included (ErrNilOperand.New: 32
// frames of runtime.Callers and their formatting), which their Eval then
// recognises and turns into NULL: about 20 µs per row whose operand is
// NULL, so a filter over a mostly NULL column cost seconds per 100,000
// rows. nullComparisons gives the comparisons of the plan's filters a
// look at their operands first.
//
// It runs once after all other rules (on the full path and on the
// engine's short rule list for UPDATE and DELETE, which both end with
// OnceAfterAll): the index choices, the scan filters, the join planners
// and the engine's own rules recognise comparisons by their node types,
// and must have seen them unwrapped. Only WHERE and HAVING conditions
// (plan.Filter, plan.Having) are rewritten, not join conditions: the
// engine's merge join reads its condition's comparison at execution.
// The engine runs the whole analysis again on each subquery before the
// rules of the statement around it (which may still move its conditions
// about), so the rule waits for the statement's own last batch (scope depth 0) and
// rewrites the derived tables' filters from there; the conditions of
// subquery expressions (IN (SELECT ...), scalar subqueries) are left as
// they are.
func init() {
	analyzer.OnceAfterAll = append(analyzer.OnceAfterAll, analyzer.Rule{Id: nullComparisonsRuleID, Apply: nullComparisons})
}

func nullComparisons(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, scope *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if scope.RecursionDepth() > 0 {
		return n, transform.SameTree, nil
	}
	n, sameFilters, err := mapFilters(n, nullChecked)
	if err != nil {
		return nil, transform.SameTree, err
	}
	// A HAVING is a node of its own, not a Filter.
	n, sameHaving, err := transform.NodeWithOpaque(n, func(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
		h, ok := node.(*plan.Having)
		if !ok {
			return node, transform.SameTree, nil
		}
		c, same, err := transform.Expr(h.Cond, nullChecked)
		if err != nil || same {
			return node, transform.SameTree, err
		}
		return plan.NewHaving(c, h.Child), transform.NewTree, nil
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, sameFilters && sameHaving, nil
}

// nullChecked is e wrapped in a nullCheckedComparison when it is one of
// the comparisons it serves with cheap operands.
func nullChecked(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	switch e.(type) {
	case *expression.Equals, *expression.LessThan, *expression.LessThanOrEqual,
		*expression.GreaterThan, *expression.GreaterThanOrEqual:
		// Not NullSafeEquals: NULL <=> NULL is true.
	default:
		return e, transform.SameTree, nil
	}
	c := e.(nullCheckable)
	if !cheapOperand(c.Left()) || !cheapOperand(c.Right()) {
		return e, transform.SameTree, nil
	}
	return &nullCheckedComparison{nullCheckable: c}, transform.NewTree, nil
}

// nullCheckable is what the engine's comparisons implement.
type nullCheckable interface {
	sql.Expression
	sql.CollationCoercible
	expression.Comparer
	Left() sql.Expression
	Right() sql.Expression
}

// nullCheckedComparison is a comparison that is NULL when an operand is,
// without asking the comparison; otherwise it is the comparison, which it
// prints as (EXPLAIN shows the plan as before).
type nullCheckedComparison struct {
	nullCheckable
}

func (c *nullCheckedComparison) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	// Both operands first, as the comparison evaluates them: an error of
	// either is the comparison's error, NULL or not.
	l, err := c.Left().Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	r, err := c.Right().Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	if l == nil || r == nil {
		return nil, nil
	}
	return c.nullCheckable.Eval(ctx, row)
}

func (c *nullCheckedComparison) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	n, err := c.nullCheckable.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	nc, ok := n.(nullCheckable)
	if !ok {
		return n, nil
	}
	return &nullCheckedComparison{nullCheckable: nc}, nil
}

func (c *nullCheckedComparison) DebugString() string { return sql.DebugString(c.nullCheckable) }
