package engine

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
)

// Which index a read uses. The engine picks a table's index by its
// estimate of the rows each would read (costedIndexScans), but without
// statistics every estimate is the same (uniform statistics have no
// histogram), and its hand rules then decide: the most filters matched,
// where a WHERE an index matches whole counts as one (the AND), the same
// as the one conjunct another index matches; then the fewest index
// columns left unmatched; then the name. So with indexes on (conv, id)
// and (conv, created_at) (each with the primary key as its last column),
//
//	WHERE conv = $1 AND created_at > $2     (or = $2, IN, BETWEEN)
//
// read the whole conversation through (conv, id), the shorter index,
// which binds conv alone; and it does not know about the ORDER BY, so
//
//	WHERE conversation_id = $1 AND (created_at, id) < ($2, $3)
//	ORDER BY created_at DESC, id DESC LIMIT 50
//
// with indexes on (conversation_id, id) and (conversation_id,
// created_at, id) could read the whole conversation through the first
// and sort it, where the second reads 50 entries backwards and stops.
// Two rules decide before the engine does, both right before its index
// planner (optimizeJoins) and from the statement's shape alone, never a
// parameter's value: the engine analyses a statement for its values, but
// one statement text must read the same index whatever they are, for
// EXPLAIN to describe it and for answers and costs to be predictable.
//
// preferMostBound (below) applies to any filtered table that is not
// joined and that preferOrderIndex left alone: it offers the engine only
// the indexes whose ranges bind the most leading columns (boundRank: four
// per column bound to points by = or IN, two for a range on the next
// column, one at most for IS NULL), so conv = $1 AND created_at > $2 reads (conv, created_at),
// and equalities on both its columns beat conv = $1 through (conv, id).
// The engine's own rules then break ties between the indexes offered.
// Reading an index with a longer bound prefix reads a part of what the
// index bound on fewer of those columns reads; an index bound on other
// columns may still hold fewer rows, which without statistics nothing
// tells (counting matched filters, the engine is no wiser). It leaves the
// choice to the engine when the primary key is bound to points (it reads
// those keys), when every index ranks the same, and in a statement with a
// join (the engine costs its tables' indexes for the join's lookups too;
// preferJoinLookup, joinchoice.go, offers the side of a join of two
// tables that is read first the indexes binding the most).
//
// preferOrderIndex decides first, for a top-N: under a LIMIT, a sort
// over a filtered table that one of its secondary indexes returns in
// order (sortByIndex will remove the sort) is read through that index,
// when no other index binds, with equalities, a leading column that it
// does not. The engine is then offered that index alone (dataTable.only)
// and builds its ranges from the WHERE as for any index. The reasoning:
// the equality prefix is what narrows an index read the most, and with
// the same columns bound, the index in the sort's order stops after the
// LIMIT's rows that pass the WHERE, where the other reads all of its
// ranges and sorts them. An index binding another column (conv = $1 AND
// body = 'rare', an index on body) may narrow the read to a few entries,
// which counting bound columns cannot tell from a conversation. It
// leaves the engine's choice alone when the primary key is bound by an
// equality (at most one row) or when no index serves the order.
//
// Another index binding a range the chosen one does not (conv = $1 AND
// created_at > $2 ORDER BY id DESC LIMIT 50 with indexes on (conv, id)
// and (conv, created_at); or created_at BETWEEN, IN (...), NOT BETWEEN,
// a row comparison) does not stop the choice, but counting bound
// columns cannot tell three rows after $2 from the conversation either:
// so the read gets a run-time fallback (planOrderFallback, armed by
// sortByIndex once it removes the sort, indexfallback.go). The order
// index examines at most max(orderIndexMinBudget, orderIndexBudgetPerRow
// × (LIMIT + OFFSET)) entries (or Limits.OrderIndexBudget); if the engine
// still wants rows then, the read switches to the other index's ranges
// (an ordinary read's of it, altRanges, planned at the switch) when they
// stay inside the order index's equalities and narrow them
// (narrowsOrderRead), keeps the best LIMIT + OFFSET rows passing the
// WHERE after the last row already returned, and returns them in the
// order index's order. Either way the answer is the order index's; the
// worst case costs the budget more than reading the other index, or,
// when its ranges would not narrow the read (or would leave the
// conversation), the order index's own read of the conversation.

// orderIndexRuleID identifies preferOrderIndex in the engine's traces.
const orderIndexRuleID analyzer.RuleId = 10_006

// preferOrderIndex offers the table under a LIMIT's sort only the index
// that returns the sort's order, as described above.
func preferOrderIndex(ctx *sql.Context, a *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		lim, ok := n.(*plan.Limit)
		if !ok {
			return n, transform.SameTree, nil
		}
		rt, dt, alias, fields, conds := sortedTableUnder(lim.Child)
		if dt == nil || dt.only != nil {
			return n, transform.SameTree, nil
		}
		si, bound := orderIndex(dt, conds, fields, rt.Name(), alias)
		if si == nil {
			return n, transform.SameTree, nil
		}
		only := *dt
		only.only = si
		only.fallback = planOrderFallback(ctx, a, rt, dt, si, bound, conds, alias, lim.Limit, offsetUnder(lim.Child))
		nrt, err := rt.WithTable(&only)
		if err != nil {
			return nil, transform.SameTree, fmt.Errorf("reading %s through index %s: %w", dt, si.ix.Def.Name, err)
		}
		return transform.Node(lim, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
			if n == rt {
				return nrt, transform.NewTree, nil
			}
			return n, transform.SameTree, nil
		})
	})
}

// sortedTableUnder finds, under a LIMIT, the one sort and the table it
// sorts through nodes that keep the rows' order or only drop rows
// (projections, filters, an alias, an OFFSET), with the filters'
// conjuncts. dt is nil when n is not of that shape.
func sortedTableUnder(n sql.Node) (rt *plan.ResolvedTable, dt *dataTable, alias string, fields sql.SortFields, conds []sql.Expression) {
	for {
		switch x := n.(type) {
		case *plan.ResolvedTable:
			dt, ok := x.Table.(*dataTable)
			if !ok || fields == nil {
				return nil, nil, "", nil, nil
			}
			return x, dt, alias, fields, conds
		case *plan.Sort:
			if fields != nil {
				return nil, nil, "", nil, nil
			}
			fields = x.SortFields
		case *plan.Filter:
			conds = append(conds, expression.SplitConjunction(x.Expression)...)
		case *plan.TableAlias:
			alias = x.Name()
		case *plan.Project, *plan.Offset:
		default:
			return nil, nil, "", nil, nil
		}
		n = n.Children()[0]
	}
}

// orderIndex is the secondary index of dt that a top-N sorted by fields
// under the conjuncts conds should read, or nil to leave the choice to
// the engine: among the indexes that return the sort's order with their
// leading columns bound by equalities, the one that binds the most (the
// first of those in the table's order), if no other index binds a column
// it does not.
func orderIndex(dt *dataTable, conds []sql.Expression, fields sql.SortFields, table, alias string) (*secIndex, int) {
	indexes := dt.secondaryIndexes()
	if len(indexes) == 0 {
		return nil, 0
	}
	keys, ok := sortOrderKeys(fields, table, alias)
	if !ok {
		return nil, 0
	}
	eq := equalColumns(conds, table, alias)
	if pk := dt.shape.PK; pk >= 0 && eq[strings.ToLower(dt.shape.sch[pk].Name)] {
		return nil, 0
	}
	bound := func(si *secIndex) int {
		n := 0
		for n < len(si.names) && eq[strings.ToLower(si.names[n])] {
			n++
		}
		return n
	}
	var best *secIndex
	bestBound := 0
	for _, si := range indexes {
		n := bound(si)
		if n == 0 || n <= bestBound {
			continue
		}
		if _, serves := keysFollowIndex(si, n, keys); serves {
			best, bestBound = si, n
		}
	}
	if best == nil {
		return nil, 0
	}
	// Another index that binds a column the chosen one does not may
	// narrow the read far more (conv = $1 AND body = 'rare' through an
	// index on body), and counting bound columns cannot tell: then the
	// engine chooses.
	for _, si := range indexes {
		for _, name := range si.names[:bound(si)] {
			if c := best.column(name); c < 0 || c >= bestBound {
				return nil, 0
			}
		}
	}
	return best, bestBound
}

// offsetUnder is the OFFSET between a LIMIT and its sort, or nil.
func offsetUnder(n sql.Node) sql.Expression {
	for {
		switch x := n.(type) {
		case *plan.Offset:
			return x.Offset
		case *plan.Sort, *plan.ResolvedTable:
			return nil
		}
		ch := n.Children()
		if len(ch) != 1 {
			return nil
		}
		n = ch[0]
	}
}

// equalColumns lists (lower case) the columns of the table that
// conjuncts set equal to a constant or parameter, or hold at NULL (IS
// NULL).
func equalColumns(conds []sql.Expression, table, alias string) map[string]bool {
	out := map[string]bool{}
	for _, c := range conds {
		// IS NULL holds the column at one key, NULL, as an equality
		// does at its value (columnBindings).
		if isNull, ok := c.(*expression.IsNull); ok {
			if gf, isField := isNull.Child.(*expression.GetField); isField && tableColumn(gf, table, alias) {
				out[strings.ToLower(gf.Name())] = true
			}
			continue
		}
		eq, ok := c.(*expression.Equals)
		if !ok {
			continue
		}
		l, r := eq.Left(), eq.Right()
		if _, isField := l.(*expression.GetField); !isField {
			l, r = r, l
		}
		gf, isField := l.(*expression.GetField)
		if !isField || !tableColumn(gf, table, alias) {
			continue
		}
		if _, bind := r.(*expression.BindVar); bind || isConstant(r) {
			out[strings.ToLower(gf.Name())] = true
		}
	}
	return out
}

// mostBoundRuleID identifies preferMostBound in the engine's traces.
const mostBoundRuleID analyzer.RuleId = 10_007

// preferMostBound offers a filtered table that preferOrderIndex left to
// the engine only its indexes whose ranges bind the most leading columns
// of the WHERE (mostBoundIndexes), as described above. A statement with
// a join is left alone: the engine costs its tables' indexes for the
// join's lookups too, which the WHERE's bindings do not describe
// (preferJoinLookup decides the joins it can). The
// bindings are read from the conditions the engine's planner reads
// (analyzer.IndexLeafChildren, as in columnBindings), with values the
// engine has already converted to the column's type (pgTypes), so the
// planner builds ranges of an offered index; if it built none (a value
// it could not convert), it reads the table as it does when that befalls
// its own choice, filtered, with the same answer.
func preferMostBound(_ *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	if hasJoin(n) {
		return n, transform.SameTree, nil
	}
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		f, rt, dt, alias := filteredTable(n)
		if dt == nil || dt.only != nil || dt.offer != nil {
			return n, transform.SameTree, nil
		}
		out, err := offerMostBound(f, rt, dt, expression.SplitConjunction(f.Expression), rt.Name(), alias)
		if err != nil || out == nil {
			return n, transform.SameTree, err
		}
		return out, transform.NewTree, nil
	})
}

// offerMostBound is the filter f over rt with its table dt offered only
// the indexes binding the most leading columns of conds
// (mostBoundIndexes), or nil when that leaves the choice to the engine.
func offerMostBound(f *plan.Filter, rt *plan.ResolvedTable, dt *dataTable, conds []sql.Expression, table, alias string) (sql.Node, error) {
	offer := mostBoundIndexes(dt, conds, table, alias)
	if offer == nil {
		return nil, nil
	}
	offered := *dt
	offered.offer = offer
	out, err := withTable(f, rt, &offered)
	if err != nil {
		return nil, fmt.Errorf("offering %s the indexes binding the most columns: %w", dt, err)
	}
	return out, nil
}

// filteredTable finds a filter directly over a data table (or over an
// alias of one), the shape the engine's index planner turns into an index
// read. dt is nil when n is not of that shape.
func filteredTable(n sql.Node) (f *plan.Filter, rt *plan.ResolvedTable, dt *dataTable, alias string) {
	f, ok := n.(*plan.Filter)
	if !ok {
		return nil, nil, nil, ""
	}
	switch c := f.Child.(type) {
	case *plan.ResolvedTable:
		rt = c
	case *plan.TableAlias:
		rt, _ = c.Child.(*plan.ResolvedTable)
		alias = c.Name()
	}
	if rt == nil {
		return nil, nil, nil, ""
	}
	if dt, ok = rt.Table.(*dataTable); !ok {
		return nil, nil, nil, ""
	}
	return f, rt, dt, alias
}

// withTable is the filter f over rt (directly or under its alias) with
// rt's table replaced by dt.
func withTable(f *plan.Filter, rt *plan.ResolvedTable, dt *dataTable) (sql.Node, error) {
	nrt, err := rt.WithTable(dt)
	if err != nil {
		return nil, err
	}
	var child sql.Node = nrt
	if ta, ok := f.Child.(*plan.TableAlias); ok {
		if child, err = ta.WithChildren(child); err != nil {
			return nil, fmt.Errorf("under alias %s: %w", ta.Name(), err)
		}
	}
	return f.WithChildren(child)
}

// hasJoin reports whether n has a join (outside subquery expressions,
// which the engine plans on their own).
func hasJoin(n sql.Node) bool {
	found := false
	transform.Inspect(n, func(n sql.Node) bool {
		if _, ok := n.(*plan.JoinNode); ok {
			found = true
		}
		return !found
	})
	return found
}

// mostBoundIndexes are the indexes of dt (the primary key's and the
// secondary ones) whose ranges under the conjuncts conds bind the most
// leading columns (boundRank), or nil to leave the choice to the engine:
// when the primary key is bound to points (at most as many rows as
// values, which the engine reads by key), when no index binds a column,
// or when every index binds as many. What binds a column is its shape
// (columnBindings: = or IN of constants or parameters are points, a
// comparison a range), never a value, so that one plan serves every
// value of the statement's parameters.
func mostBoundIndexes(dt *dataTable, conds []sql.Expression, table, alias string) []sql.Index {
	secondary := dt.secondaryIndexes()
	if len(secondary) == 0 {
		return nil
	}
	where := expression.JoinAnd(conds...)
	binds, nulls := columnBindings(where, table, alias), nullOnlyColumns(where, table, alias)
	type ranked struct {
		idx  sql.Index
		rank int
	}
	var all []ranked
	if pk := dt.shape.PK; pk >= 0 && dt.shape.index != nil {
		name := dt.shape.sch[pk].Name
		if points, ok := binds[strings.ToLower(name)]; ok && points {
			return nil
		}
		all = append(all, ranked{dt.shape.index, boundRank([]string{name}, binds, nulls)})
	}
	for _, si := range secondary {
		all = append(all, ranked{si, boundRank(si.names, binds, nulls)})
	}
	top := 0
	for _, r := range all {
		top = max(top, r.rank)
	}
	var out []sql.Index
	for _, r := range all {
		if r.rank == top {
			out = append(out, r.idx)
		}
	}
	if top == 0 || len(out) == len(all) {
		return nil
	}
	return out
}

// boundRank ranks how much of an index with columns names the bindings
// binds: four per leading column bound to points (= or IN), then two if
// the next column is bound to a range. Equalities on (a, b) rank 8,
// a = $1 AND b > $2 ranks 6, a = $1 alone 4: each narrows the index's
// read within the one before. A column held at NULL alone (nullOnly:
// col IS NULL) continues the prefix but earns one at most, after a
// column bound to values (conv = $1 AND deleted_at IS NULL picks (conv,
// deleted_at) over (conv)), and nothing first: NULL is one key, but
// often the key of almost every row (deleted_at IS NULL), so an index
// on (deleted_at, created_at) must not outrank one on (conv) for
// deleted_at IS NULL AND created_at > $1 AND conv = $2, nor make a side
// of a join bound (preferJoinLookup).
func boundRank(names []string, binds, nullOnly map[string]bool) int {
	rank := 0
	for _, name := range names {
		name = strings.ToLower(name)
		points, ok := binds[name]
		switch {
		case !ok:
			return rank
		case !points:
			return rank + 2
		case !nullOnly[name]:
			rank += 4
		case rank > 0:
			rank++
		}
	}
	return rank
}

// nullOnlyColumns are the columns of the table (or alias) that the
// conjunction e holds at NULL (col IS NULL) and binds no other way (no
// = or IN of a value beside it).
func nullOnlyColumns(e sql.Expression, table, alias string) map[string]bool {
	out, valued := map[string]bool{}, map[string]bool{}
	for _, c := range expression.SplitConjunction(e) {
		op, l, r, ok := analyzer.IndexLeafChildren(c)
		if !ok {
			continue
		}
		if _, isField := l.(*expression.GetField); !isField && r != nil {
			l = r
		}
		gf, isField := l.(*expression.GetField)
		if !isField || !tableColumn(gf, table, alias) {
			continue
		}
		switch op {
		case analyzer.IndexScanOpIsNull:
			out[strings.ToLower(gf.Name())] = true
		case analyzer.IndexScanOpEq, analyzer.IndexScanOpInSet:
			valued[strings.ToLower(gf.Name())] = true
		}
	}
	for name := range valued {
		delete(out, name)
	}
	return out
}
