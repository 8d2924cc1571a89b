package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
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
// OnceAfterAll; rules.go registers it after textSortKeys there): the
// index choices, the scan filters, the join planners and the engine's
// own rules recognise comparisons by their node types, and must have
// seen them unwrapped. It rewrites the conditions of WHERE (plan.Filter),
// HAVING (plan.Having) and of joins (plan.JoinNode, the engine's hash
// joins included): a join evaluates its whole condition on each pair it
// considers, so an outer join whose key is NULL paid the error once per
// row of the other side. The merge join reads its first conjunct as an
// expression.Comparer and takes ErrNilOperand from its Compare as "no
// match": the wrapper's Compare is the comparison's, unchanged. The
// engine runs the whole analysis again on each subquery before the rules
// of the statement around it (which may still move its conditions
// about), so the rule waits for the statement's own last batch (scope
// depth 0) and rewrites the derived tables' conditions and those of the
// subquery expressions (IN, EXISTS, scalar subqueries; correlated ones
// read their outer row as columns) from there.
var nullComparisons = statementRule(nullComparisonsOff{}, nullCheckedConditions)

// statementRule is a once-after-all rule that applies f to every node of
// a statement's plan (everyNode) from the statement's own last batch
// (scope depth 0), unless the statement's context has a value for off.
func statementRule(off any, f func(sql.Node) (sql.Node, transform.TreeIdentity, error)) analyzer.RuleFunc {
	return func(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, scope *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
		if scope.RecursionDepth() > 0 || ctx.Value(off) != nil {
			return n, transform.SameTree, nil
		}
		return everyNode(n, f)
	}
}

// nullComparisonsOff, as a key of a statement's context, turns the rule
// off for that statement: tests compare the answers with and without it.
// A context value rather than a switch on the package, so that a test
// cannot turn it off for statements other tests run at the same time.
type nullComparisonsOff struct{}

// nullCheckedConditions is node with the comparisons of its own condition
// wrapped (nullChecked); the rule applies it to every node, those of the
// queries of subquery expressions included.
func nullCheckedConditions(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
	var cond sql.Expression
	switch x := node.(type) {
	case *plan.Filter:
		cond = x.Expression
	case *plan.Having:
		cond = x.Cond
	case *plan.JoinNode:
		cond = x.Filter
	}
	if cond == nil {
		return node, transform.SameTree, nil
	}
	c, same, err := transform.Expr(cond, nullChecked)
	if err != nil || same {
		return node, transform.SameTree, err
	}
	switch x := node.(type) {
	case *plan.Filter:
		return plan.NewFilter(c, x.Child), transform.NewTree, nil
	case *plan.Having:
		return plan.NewHaving(c, x.Child), transform.NewTree, nil
	}
	j := *node.(*plan.JoinNode)
	j.Filter = c
	return &j, transform.NewTree, nil
}

// everyNode is n with f applied to each of its nodes, those of its
// derived tables and of the queries of its subquery expressions included
// (the engine analyses those before the statement around them, which may
// still move their conditions about).
func everyNode(n sql.Node, f func(sql.Node) (sql.Node, transform.TreeIdentity, error)) (sql.Node, transform.TreeIdentity, error) {
	return transform.NodeWithOpaque(n, func(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
		node, sameSubqueries, err := transform.OneNodeExpressions(node, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			sq, ok := e.(*plan.Subquery)
			if !ok {
				return e, transform.SameTree, nil
			}
			q, same, err := everyNode(sq.Query, f)
			if err != nil || same {
				return e, transform.SameTree, err
			}
			return sq.WithQuery(q), transform.NewTree, nil
		})
		if err != nil {
			return nil, transform.SameTree, err
		}
		out, same, err := f(node)
		if err != nil {
			return nil, transform.SameTree, err
		}
		return out, same && sameSubqueries, nil
	})
}

// nullChecked is e wrapped in a nullCheckedComparison when it is one of
// the comparisons it serves.
func nullChecked(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	switch e.(type) {
	case *expression.Equals, *expression.LessThan, *expression.LessThanOrEqual,
		*expression.GreaterThan, *expression.GreaterThanOrEqual:
		// Not NullSafeEquals: NULL <=> NULL is true.
	default:
		return e, transform.SameTree, nil
	}
	c := e.(nullCheckable)
	if cheapOperand(c.Left()) && cheapOperand(c.Right()) {
		return &nullCheckedComparison{nullCheckable: c}, transform.NewTree, nil
	}
	if !computedOperand(c.Left()) || !computedOperand(c.Right()) {
		return e, transform.SameTree, nil
	}
	values, err := c.WithChildren(operandValue(c.Left(), 0), operandValue(c.Right(), 1))
	if err != nil {
		return nil, transform.SameTree, err
	}
	return &nullCheckedComparison{nullCheckable: c, values: values}, transform.NewTree, nil
}

// computedOperand reports whether a comparison may be answered from e's
// value (operandValue): the comparison tells some operands apart by their
// node types (a user variable's type decides the comparison's), and a row
// of values is compared element by element.
func computedOperand(e sql.Expression) bool {
	switch e.(type) {
	case *expression.UserVar, *expression.SystemVar, *expression.ProcedureParam:
		return false
	}
	return !types.IsTuple(e.Type())
}

// operandValue is what stands for operand e of a comparison evaluated on
// the row of its operands' values, e's value at index i: a column is the
// same column read there (the comparison decides on the types of column
// operands), a literal or a parameter itself, anything else a
// computedValue.
func operandValue(e sql.Expression, i int) sql.Expression {
	switch x := e.(type) {
	case *expression.GetField:
		return x.WithIndex(i)
	case *expression.BindVar:
		return e
	}
	if isLiteral(e) {
		return e
	}
	return &computedValue{of: e, index: i}
}

// computedValue is the value of a computed operand read from the row of
// a comparison's operand values: of's type, nullability and collation,
// without evaluating of again.
type computedValue struct {
	of    sql.Expression
	index int
}

var _ sql.CollationCoercible = (*computedValue)(nil)

func (v *computedValue) Resolved() bool                                { return true }
func (v *computedValue) String() string                                { return v.of.String() }
func (v *computedValue) Type() sql.Type                                { return v.of.Type() }
func (v *computedValue) IsNullable() bool                              { return v.of.IsNullable() }
func (v *computedValue) Children() []sql.Expression                    { return nil }
func (v *computedValue) Eval(_ *sql.Context, row sql.Row) (any, error) { return row[v.index], nil }

func (v *computedValue) CollationCoercibility(ctx *sql.Context) (sql.CollationID, byte) {
	return sql.GetCoercibility(ctx, v.of)
}

func (v *computedValue) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(v, len(children), 0)
	}
	return v, nil
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
// prints as (EXPLAIN shows the plan as before). Its Compare (a merge
// join's) is the comparison's.
type nullCheckedComparison struct {
	nullCheckable
	// values is the comparison over the operands' values (operandValue)
	// when an operand is computed: such an operand is evaluated once per
	// row, as by the comparison (its cost, and random() or nextval() are
	// called once), and the comparison is then answered from the values.
	// Nil when both operands are cheap: the comparison evaluates them
	// again.
	values sql.Expression
}

func (c *nullCheckedComparison) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	// Both operands first, in the comparison's order: an error of either
	// is the comparison's error, NULL or not.
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
	if c.values != nil {
		return c.values.Eval(ctx, sql.Row{l, r})
	}
	return c.nullCheckable.Eval(ctx, row)
}

func (c *nullCheckedComparison) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	n, err := c.nullCheckable.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	out, _, err := nullChecked(n)
	return out, err
}

func (c *nullCheckedComparison) DebugString() string { return sql.DebugString(c.nullCheckable) }
