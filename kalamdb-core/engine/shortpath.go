package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// shortPathRuleID identifies shortPathIndexes in the engine's traces.
const shortPathRuleID analyzer.RuleId = 10_011

// The engine analyzes a single-table UPDATE or DELETE without subqueries
// with a short rule list of its own (analyzer/node_batches.go): the
// once-always rules (pgTypes, then this rule), its own index choice
// (optimizeJoins) and the once-after-all rules. KalamDB's rules that run
// before the index choice on the full path (preferMostBound) or after it
// (pushScanFilters) were skipped there: a cold DELETE ... WHERE g = 7
// decoded the whole table where the SELECT decoded g's row group, and
// UPDATE ... WHERE a = 1 AND b = 2 read every row with a = 1 through an
// index on a alone while the same WHERE in a SELECT read its one row
// through the index on (a, b). This rule runs them on that path only,
// before the engine's index choice; the full path runs them where it
// always did. The other rules that path skips do not matter there: it
// has no join (preferJoinLookup, hashReadOnce, exactHashKeys), no
// subquery (holdSubqueryRows; a subquery sends the statement down the
// full path), no sort (preferOrderIndex, sortByIndex), and its casts and
// literals are typed by pgTypes, which it runs (strictCasts).
func init() {
	analyzer.AlwaysBeforeDefault = append(analyzer.AlwaysBeforeDefault, analyzer.Rule{Id: shortPathRuleID, Apply: keepDeleteFlags(shortPathIndexes)})
}

// keepDeleteFlags runs rule and gives the DELETE node it returns the
// flags of the one it was given. The engine decides from the node it
// plans whether a DELETE takes the short rule list (RefsSingleRel: no
// subquery), but its DeleteFrom.WithChildren builds the copy without
// them: once pgTypes had rewritten anything under a DELETE (typing the
// text of c = 'x'), the copy claimed a subquery, so shortPathIndexes
// left the statement to the full path while the engine went on down the
// short one, without the scan filters: DELETE ... WHERE c = 'x' AND g = 7
// decoded every cold row of the table, and with id > 5 AND id < 3 read
// every hot row, where the same UPDATE read none. The rules that run
// before shortPathIndexes keep them.
func keepDeleteFlags(rule analyzer.RuleFunc) analyzer.RuleFunc {
	return func(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, scope *plan.Scope, sel analyzer.RuleSelector, qf *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
		out, same, err := rule(ctx, a, n, scope, sel, qf)
		if err != nil || same == transform.SameTree {
			return out, same, err
		}
		in, ok := n.(*plan.DeleteFrom)
		d, isDelete := out.(*plan.DeleteFrom)
		if ok && isDelete && d != in {
			// d is the rule's new node, shared with nothing yet.
			d.RefsSingleRel, d.IsProcNested = in.RefsSingleRel, in.IsProcNested
		}
		return out, same, err
	}
}

// onShortPath reports whether the engine analyzes n with its short rule
// list: the conditions of its getBatchesForNode for UPDATE and DELETE.
func onShortPath(n sql.Node) bool {
	switch n := n.(type) {
	case *plan.Update:
		return n.HasSingleRel && !n.IsJoin
	case *plan.DeleteFrom:
		return !n.HasExplicitTargets() && n.RefsSingleRel
	}
	return false
}

// shortPathIndexes offers the table of a short-path UPDATE or DELETE the
// indexes binding the most of its WHERE, its BETWEENs read as bounds, and
// its scan the bounds the WHERE sets on integer columns, as the full path
// does.
func shortPathIndexes(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, scope *plan.Scope, sel analyzer.RuleSelector, qf *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if !onShortPath(n) {
		return n, transform.SameTree, nil
	}
	if s, err := sessionOf(ctx); err == nil {
		// The short list runs the engine's optimizeJoins unwrapped (the
		// list is the engine's own, out of boundPlanning's reach), whose
		// index coster evaluates the WHERE's constants and keeps them
		// in the plan: a regular user's DELETE on sixty
		// repeat('a', 15000000) held 1 GB uncharged, and its UPDATE of
		// a table it may not write built as much before its refusal.
		// What the rest of the planning builds is charged as the full
		// path's folding is (chargeFolded); execute ends it once the
		// statement is planned.
		s.budget.folding.Add(1)
	}
	// The full path's simplifyFilters turns BETWEEN into the two bounds
	// the index planner reads (id BETWEEN 1 AND 2 is a range of the
	// primary key, not a scan of the partition). Only that rewrite: the
	// rule's constant folding, run this early, fails on expressions the
	// full path evaluates (DATE '9999-12-31' + 1 inside COALESCE).
	n, _, err := transform.Node(n, func(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
		f, ok := node.(*plan.Filter)
		if !ok {
			return node, transform.SameTree, nil
		}
		return transform.OneNodeExprsWithNode(f, func(_ sql.Node, e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			return transform.Expr(e, betweenBounds)
		})
	})
	if err != nil {
		return nil, transform.SameTree, err
	}
	n, _, err = preferMostBound(ctx, a, n, scope, sel, qf)
	if err != nil {
		return nil, transform.SameTree, err
	}
	// Before the index choice too: the engine builds its index access on
	// the table pushScanFilters returns, so the cold scan of DELETE ...
	// WHERE g = 7 skips the row groups whose statistics exclude 7.
	n, _, err = pushScanFilters(ctx, a, n, scope, sel, qf)
	return n, transform.NewTree, err
}

// betweenBounds is e BETWEEN lo AND hi as e >= lo AND e <= hi, as the
// engine's simplifyFilters writes it.
func betweenBounds(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
	b, ok := e.(*expression.Between)
	if !ok {
		return e, transform.SameTree, nil
	}
	return expression.NewAnd(expression.NewGreaterThanOrEqual(b.Val, b.Lower), expression.NewLessThanOrEqual(b.Val, b.Upper)), transform.NewTree, nil
}
