package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// Planning runs on the statement's goroutine and mostly cannot be
// interrupted, so the statement's size is bounded before it is parsed
// (pgsql.Limits) and what the planner does with it is bounded here:
//
//   - every analyzer rule checks the statement's context before it runs,
//     so a statement that is cancelled or times out while it is planned
//     stops at the next rule;
//   - the join optimizer tries every order of a join of up to 15 tables
//     (the engine plans larger joins greedily), in time exponential in the
//     number of tables, in one step that nothing interrupts: a join may
//     have at most MaxJoinTables tables (PostgreSQL's join_collapse_limit
//     is 8 too) unless it has more than 15, and a statement's joins
//     together may cost no more than one join of 10 tables and have no
//     more than MaxStatementJoinTables tables;
//   - the index planner checks every pair of the ranges it builds for one
//     index lookup, in time quadratic in their number: a column compared
//     with more than MaxIndexRanges values in one WHERE (a long IN list,
//     a chain of ORs) is filtered by a scan instead of looked up, which
//     takes time linear in the rows and stops with the statement; so are
//     the columns of one table whose value counts multiply (an index on
//     several columns has a range per combination) past MaxIndexRanges.

const (
	// MaxJoinTables is the most tables one join may have when the
	// optimizer tries every order: 8 tables take tens of milliseconds to
	// plan, and each more about three times as long (10 tables up to a
	// second, 14 a minute).
	MaxJoinTables = 8
	// joinBudgetTables sizes the join planning a statement may do in all:
	// as much as one join of that many tables.
	joinBudgetTables = 10
	// exhaustiveJoinTables is the most tables the engine's join optimizer
	// orders exhaustively; beyond it it plans greedily, in the order
	// written where no lookup chain fits.
	exhaustiveJoinTables = 15
	// MaxStatementJoinTables is the most tables a statement's joins may
	// have together. Beyond exhaustiveJoinTables the optimizer plans
	// greedily, but still in time super-quadratic in the tables and in one
	// step nothing interrupts (400 tables took 11 s, 1,000 minutes), and
	// its memo holds at most 64 tables in one join.
	MaxStatementJoinTables = 64
	// MaxIndexRanges is the most values one column may be compared with in
	// one WHERE and still be looked up through an index: 1,000 ranges take
	// the planner about 50 ms, 10,000 five seconds.
	MaxIndexRanges = 1000
)

// boundPlanning wraps the analyzer's rules: each checks the statement's
// context first, the join optimizer checks the statement's join budget,
// and the large literals simplifyFilters folds are planned as
// largeLiterals. The batches' rule lists are copied first: the engine's defaults
// are package variables shared by every analyzer.
func boundPlanning(a *analyzer.Analyzer) {
	for bi, b := range a.Batches {
		rules := append([]analyzer.Rule(nil), b.Rules...)
		for i, r := range rules {
			apply := r.Apply
			if r.Id.String() == "optimizeJoins" {
				apply = chargeFolded(boundJoins(apply)) // largeliteral.go
			}
			if r.Id.String() == "simplifyFilters" {
				apply = wrapFolded(apply) // largeliteral.go
			}
			if bi == 0 && i == 0 {
				apply = countJoins(apply)
			}
			rules[i].Apply = checkContext(apply)
		}
		b.Rules = rules
	}
}

// countJoins refuses, before any rule has worked on it, a plan whose joins
// have more than MaxStatementJoinTables tables: the rules before the join
// optimizer take time super-quadratic in them too (400 tables: 12 s). A
// plan with k joins has at least k+1 tables.
func countJoins(apply analyzer.RuleFunc) analyzer.RuleFunc {
	return func(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, scope *plan.Scope, sel analyzer.RuleSelector, qf *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
		joins := 0
		transform.Inspect(n, func(n sql.Node) bool {
			if _, ok := n.(*plan.JoinNode); ok {
				joins++
			}
			return true
		})
		if joins+1 > MaxStatementJoinTables {
			return n, transform.SameTree, limitError("max_join_tables", "the statement joins at least %d tables; a statement "+
				"may join at most %d (the planner's time grows faster than the square of the tables); split it into several statements",
				joins+1, MaxStatementJoinTables)
		}
		return apply(ctx, a, n, scope, sel, qf)
	}
}

// checkContext runs a rule unless the statement has been stopped.
func checkContext(apply analyzer.RuleFunc) analyzer.RuleFunc {
	return func(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, scope *plan.Scope, sel analyzer.RuleSelector, qf *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
		if ctx.Err() != nil {
			return n, transform.SameTree, context.Cause(ctx)
		}
		return apply(ctx, a, n, scope, sel, qf)
	}
}

// boundJoins charges the joins the optimizer is about to order to the
// statement's planning budget, and refuses them past it.
func boundJoins(apply analyzer.RuleFunc) analyzer.RuleFunc {
	return func(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, scope *plan.Scope, sel analyzer.RuleSelector, qf *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
		if s, err := sessionOf(ctx); err == nil {
			for _, tables := range joinSizes(n) {
				if err := s.chargeJoin(tables); err != nil {
					return n, transform.SameTree, err
				}
			}
		}
		return apply(ctx, a, n, scope, sel, qf)
	}
}

// joinCost is what ordering a join of n tables costs, in units of the
// smallest join: the optimizer visits every split of every subset of the
// tables, about 3^n.
func joinCost(n int) int64 {
	if n < 2 || n > exhaustiveJoinTables {
		return 0
	}
	c := int64(1)
	for range n {
		c *= 3
	}
	return c
}

// chargeJoin charges the ordering of a join of n tables.
func (s *Session) chargeJoin(n int) error {
	if n > MaxJoinTables && n <= exhaustiveJoinTables {
		return limitError("max_join_tables", "the statement joins %d tables at once; the planner tries every order of a join, "+
			"in time exponential in its tables, so a join may have at most %d (join some of them in a subquery in FROM, "+
			"which is planned on its own)", n, MaxJoinTables)
	}
	if s.joinTables += n; s.joinTables > MaxStatementJoinTables {
		return limitError("max_join_tables", "the statement joins %d tables in all; a statement may join at most %d "+
			"(the planner's time grows faster than the square of the tables); split it into several statements",
			s.joinTables, MaxStatementJoinTables)
	}
	s.joinCost += joinCost(n)
	if s.joinCost > joinCost(joinBudgetTables) {
		return limitError("max_join_tables", "the statement has too many joins to plan: together they cost more than "+
			"one join of %d tables; split it into several statements", joinBudgetTables)
	}
	return nil
}

// joinSizes lists the tables of each join the optimizer will order in n:
// the first join on every path from the root, counted as the optimizer
// counts them (subqueries in FROM are one table; they are planned on
// their own).
func joinSizes(n sql.Node) []int {
	var out []int
	var walk func(n sql.Node)
	walk = func(n sql.Node) {
		if _, ok := n.(sql.OpaqueNode); ok {
			return
		}
		if j, ok := n.(*plan.JoinNode); ok {
			out = append(out, joinTables(j))
			return
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(n)
	return out
}

// joinTables counts the tables of a join tree as the optimizer's join
// order builder does: through joins and the unary nodes it looks through;
// anything else is one table.
func joinTables(n sql.Node) int {
	switch x := n.(type) {
	case *plan.JoinNode:
		return joinTables(x.Left()) + joinTables(x.Right())
	case *plan.Filter, *plan.Having, *plan.Limit, *plan.Project, *plan.Sort, *plan.Distinct,
		*plan.StripRowNode, *plan.CachedResults, *plan.Max1Row:
		return joinTables(n.Children()[0])
	}
	return 1
}

// boundIndexRanges keeps the index planner's ranges for one WHERE within
// MaxIndexRanges per lookup: a column compared with more values than that,
// or one that takes the product of a table's columns' counts past it, is
// wrapped (noIndex) in those comparisons, so the planner does not build
// ranges for it and the WHERE filters by it after a scan or a lookup on
// the other columns.
func boundIndexRanges(cond sql.Expression) (sql.Expression, error) {
	counts := map[string]int{}
	tables := map[string][]string{}
	transform.InspectExpr(cond, func(e sql.Expression) bool {
		cols := rangeColumns(e)
		if not, ok := e.(*expression.Not); ok {
			// x <> v and x NOT IN (...) are ranges on both sides of each
			// value.
			cols = rangeColumns(not.Child)
		}
		for _, c := range cols {
			if _, seen := counts[c.key]; !seen {
				tables[c.table] = append(tables[c.table], c.key)
			}
			counts[c.key] += 1 + c.extra
		}
		return false
	})
	hot := map[string]bool{}
	for _, keys := range tables {
		for _, k := range hotColumns(keys, counts) {
			hot[k] = true
		}
	}
	if len(hot) == 0 {
		return cond, nil
	}
	out, _, err := transform.Expr(cond, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		cols := rangeColumns(e)
		if len(cols) == 0 {
			return e, transform.SameTree, nil
		}
		children := append([]sql.Expression(nil), e.Children()...)
		changed := false
		for _, c := range cols {
			if hot[c.key] {
				children[c.child] = noIndex(children[c.child])
				changed = true
			}
		}
		if !changed {
			return e, transform.SameTree, nil
		}
		if in, ok := e.(*expression.InTuple); ok {
			return expression.NewInTuple(children[0], in.Right()), transform.NewTree, nil
		}
		n, err := e.WithChildren(children...)
		return n, transform.NewTree, err
	})
	return out, err
}

// hotColumns picks, among one table's compared columns (keys), those whose
// comparisons the index planner must not see. A lookup through an index on
// several of them has one range per combination of their values, the
// product of their counts, so the columns with the most values are hidden
// until that product is within MaxIndexRanges. The product is taken over
// every compared column of the table, indexed together or not: an upper
// bound on any one index's ranges that needs no catalog.
func hotColumns(keys []string, counts map[string]int) []string {
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var hot []string
	for i, k := range keys {
		product := 1
		for _, rest := range keys[i:] {
			// Saturate instead of overflowing: past the bound is enough.
			if product *= counts[rest]; product > MaxIndexRanges {
				break
			}
		}
		if product <= MaxIndexRanges {
			break
		}
		hot = append(hot, k)
	}
	return hot
}

// rangeColumn is a column that a comparison lets the index planner turn
// into ranges: its key, its table, the comparison's child that is the
// column, and the ranges it adds beyond one.
type rangeColumn struct {
	key   string
	table string
	child int
	extra int
}

// rangeColumns lists the columns compared directly with something in e.
func rangeColumns(e sql.Expression) []rangeColumn {
	var out []rangeColumn
	add := func(child sql.Expression, i, extra int) {
		if gf, ok := child.(*expression.GetField); ok {
			out = append(out, rangeColumn{key: fmt.Sprintf("%s.%s#%d", gf.Table(), gf.Name(), gf.Id()), table: gf.Table(), child: i, extra: extra})
		}
	}
	switch x := e.(type) {
	case *expression.Equals, *expression.NullSafeEquals, *expression.LessThan, *expression.LessThanOrEqual,
		*expression.GreaterThan, *expression.GreaterThanOrEqual:
		add(x.Children()[0], 0, 0)
		add(x.Children()[1], 1, 0)
	case *expression.Between:
		add(x.Val, 0, 1)
	case *expression.InTuple:
		if t, ok := x.Right().(expression.Tuple); ok {
			add(x.Left(), 0, len(t)-1)
		}
	}
	return out
}

// noIndexName names the wrapper that hides a column from the index
// planner.
const noIndexName = "kdb_no_index"

// indexHidden is e without the wrapper noIndex put around it: the
// column itself, whose value it is, for the scan filters (scanfilter.go),
// which bound a column compared with any number of values.
func indexHidden(e sql.Expression) sql.Expression {
	if f, ok := e.(*pgFunc); ok && f.name == noIndexName && len(f.args) == 1 {
		return f.args[0]
	}
	return e
}

// noIndex is its argument, hidden from the index planner.
func noIndex(e sql.Expression) sql.Expression {
	f, err := buildNoIndex([]sql.Expression{e})
	if err != nil {
		return e
	}
	return f
}

func buildNoIndex(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 {
		return nil, sqlError("kdb_no_index takes one argument")
	}
	t := args[0].Type()
	if t == nil {
		t = types.Null
	}
	f := newFuncOfType(args, t, func(_ *sql.Context, vals []any) (any, error) { return vals[0], nil })
	f.name, f.build = noIndexName, buildNoIndex
	return f, nil
}

// noUnnestName names the wrapper that keeps an uncorrelated EXISTS an
// expression.
const noUnnestName = "kdb_evaluate"

// evaluateUncorrelatedExists keeps the uncorrelated EXISTS subqueries of a
// WHERE as expressions (evaluated once, then cached) instead of letting
// the engine turn them into joins: it joins every such subquery's tables
// into the outer query, where two subqueries reading the same table
// collide ("Not unique table/alias"), which PostgreSQL accepts.
func evaluateUncorrelatedExists(cond sql.Expression) (sql.Expression, error) {
	var walk func(e sql.Expression) (sql.Expression, bool, error)
	walk = func(e sql.Expression) (sql.Expression, bool, error) {
		switch x := e.(type) {
		case *pgFunc:
			if x.name == noUnnestName {
				return e, false, nil
			}
		case *plan.ExistsSubquery:
			if x.Query != nil && x.Query.Correlated().Empty() {
				f, err := buildEvaluate([]sql.Expression{e})
				return f, true, err
			}
			return e, false, nil
		}
		children := e.Children()
		var out []sql.Expression
		for i, c := range children {
			n, changed, err := walk(c)
			if err != nil {
				return nil, false, err
			}
			if changed {
				if out == nil {
					out = append([]sql.Expression(nil), children...)
				}
				out[i] = n
			}
		}
		if out == nil {
			return e, false, nil
		}
		n, err := e.WithChildren(out...)
		return n, true, err
	}
	out, _, err := walk(cond)
	return out, err
}

func buildEvaluate(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 {
		return nil, sqlError("%s takes one argument", noUnnestName)
	}
	f := newFuncOfType(args, args[0].Type(), func(_ *sql.Context, vals []any) (any, error) { return vals[0], nil })
	f.nullIn = true
	f.name, f.build = noUnnestName, buildEvaluate
	return f, nil
}
