package engine

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// A WHERE over a FULL JOIN must be evaluated on the joined rows: each side
// of a FULL JOIN is filled with NULLs for the other's unmatched rows, and
// a condition on one side rejects those (NULL IN (...) is not true). The
// engine's filter pushdown (pushFilters, and pushdownSubqueryAliasFilters
// for a subquery in FROM) moves a condition that names one table to just
// above that table, below the join, as it may for an inner join and for
// the preserved side of a LEFT JOIN: under a FULL JOIN the rows it
// rejects came back as unmatched rows of the other side (PostgreSQL: 29
// rows, KalamDB 67). go-mysql-server fixed this after v0.20.0
// (dolthub/go-mysql-server#3196, "Do not push down filters for Full Outer
// joins"); until KalamDB upgrades, those two rules run with every FULL
// JOIN fenced off: the pushdown stops at a LIMIT, so each FULL JOIN is
// wrapped in one whose count is fullJoinFence for the rule's run and
// unwrapped right after. Filters inside a side (a subquery's own WHERE, a
// nested join's) are still pushed within that side.

// The engine's join planner (optimizeJoins) takes the equalities of a
// FULL JOIN's ON for equivalences, as an inner join's are: it closes them
// transitively into new join edges, and when one side of such an
// equality is a column of the outer query (a FULL JOIN in a correlated
// subquery, ON q.k = r.k AND q.id = p.id) it looks for a table of the
// join that has that column, finds none and panics ("vertex not found").
// A FULL JOIN's ON makes no two columns equal (its unmatched rows have
// one side's value and NULL), so for that rule's run each of its
// equalities is hidden in a fullJoinEquality, which the planner does not
// take for one, and unwrapped right after.

// fenceFullJoins wraps the filter pushdown rules and the join planner of
// a's batches.
func fenceFullJoins(a *analyzer.Analyzer) {
	for _, b := range a.Batches {
		rules := append([]analyzer.Rule(nil), b.Rules...)
		for i, r := range rules {
			switch r.Id.String() {
			case "pushFilters", "pushdownSubqueryAliasFilters":
				rules[i].Apply = withFullJoinsFenced(r.Apply)
			case "optimizeJoins":
				rules[i].Apply = withFullJoinEqualitiesHidden(r.Apply)
			}
		}
		b.Rules = rules
	}
}

// withFullJoinEqualitiesHidden runs apply on n with the equalities of
// every FULL JOIN's ON hidden.
func withFullJoinEqualitiesHidden(apply analyzer.RuleFunc) analyzer.RuleFunc {
	return aroundRule(apply, "full join equalities", hideFullJoinEqualities, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			if h, ok := e.(fullJoinEquality); ok {
				return h.Expression, transform.NewTree, nil
			}
			return e, transform.SameTree, nil
		})
	})
}

// hideFullJoinEqualities is n with the equalities among the top-level
// conjuncts of every FULL JOIN's ON (those the planner reads) hidden.
func hideFullJoinEqualities(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		j, ok := n.(*plan.JoinNode)
		if !ok || !j.Op.IsFullOuter() || j.Filter == nil {
			return n, transform.SameTree, nil
		}
		conds := expression.SplitConjunction(j.Filter)
		changed := false
		for i, c := range conds {
			switch c.(type) {
			case *expression.Equals, *expression.NullSafeEquals:
				conds[i], changed = fullJoinEquality{c}, true
			}
		}
		if !changed {
			return n, transform.SameTree, nil
		}
		out := *j
		out.Filter = expression.JoinAnd(conds...)
		return &out, transform.NewTree, nil
	})
}

// fullJoinEquality is an equality of a FULL JOIN's ON while the join
// planner runs: it evaluates as the equality does, and is not one
// (expression.Equals, expression.Comparer) to the planner.
type fullJoinEquality struct{ sql.Expression }

func (f fullJoinEquality) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := f.Expression.WithChildren(children...)
	if err != nil {
		return nil, err
	}
	return fullJoinEquality{e}, nil
}

// withFullJoinsFenced runs apply on n with every FULL JOIN fenced off.
func withFullJoinsFenced(apply analyzer.RuleFunc) analyzer.RuleFunc {
	fence := func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
			if j, ok := n.(*plan.JoinNode); ok && j.Op.IsFullOuter() {
				return plan.NewLimit(fullJoinFence{}, j), transform.NewTree, nil
			}
			return n, transform.SameTree, nil
		})
	}
	unfence := func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
			if l, ok := n.(*plan.Limit); ok {
				if _, fence := l.Limit.(fullJoinFence); fence {
					return l.Child, transform.NewTree, nil
				}
			}
			return n, transform.SameTree, nil
		})
	}
	return aroundRule(apply, "full join filter pushdown", fence, unfence)
}

// aroundRule runs apply on n as hide makes it, and undoes that with
// unhide on what apply returns; n itself when hide or apply changed
// nothing (what hide added is then all that differs).
func aroundRule(apply analyzer.RuleFunc, name string, hide, unhide func(sql.Node) (sql.Node, transform.TreeIdentity, error)) analyzer.RuleFunc {
	return func(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, scope *plan.Scope, sel analyzer.RuleSelector, qf *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
		hidden, same, err := hide(n)
		if err != nil || same {
			return apply(ctx, a, n, scope, sel, qf)
		}
		out, same, err := apply(ctx, a, hidden, scope, sel, qf)
		if err != nil || same {
			return n, transform.SameTree, err
		}
		out, _, err = unhide(out)
		if err != nil {
			return n, transform.SameTree, fmt.Errorf("%s: %w", name, err)
		}
		return out, transform.NewTree, nil
	}
}

// fullJoinFence marks the LIMIT that fences a FULL JOIN off from the
// filter pushdown. It is never evaluated: the fence is removed as soon as
// the rule that saw it has run.
type fullJoinFence struct{}

var _ sql.Expression = fullJoinFence{}

func (fullJoinFence) Resolved() bool             { return true }
func (fullJoinFence) String() string             { return "FULL JOIN fence" }
func (fullJoinFence) Type() sql.Type             { return types.Int64 }
func (fullJoinFence) IsNullable() bool           { return false }
func (fullJoinFence) Children() []sql.Expression { return nil }
func (fullJoinFence) Eval(*sql.Context, sql.Row) (any, error) {
	return nil, fmt.Errorf("internal error: a FULL JOIN fence was evaluated")
}
func (f fullJoinFence) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(f, len(children), 0)
	}
	return f, nil
}
