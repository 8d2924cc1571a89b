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

// sortByIndexRuleID identifies sortByIndex in the engine's traces.
const sortByIndexRuleID analyzer.RuleId = 10_003

// installSortByIndex runs sortByIndex in the engine's once-after batch
// right before the engine's own sort replacement, after filters have
// become index lookups, and preferOrderIndex then preferMostBound right
// before the step that turns them into lookups (optimizeJoins, which
// costs the indexes of a table that is not joined too), so that the
// order index a top-N gets is not offered away, then preferJoinLookup;
// and hashReadOnce right after that step, to change the nested loops it
// chose (joinhash.go).
func installSortByIndex(a *analyzer.Analyzer) {
	for _, b := range a.Batches {
		if b.Desc != "once-after" {
			continue
		}
		b.Rules = insertRule(b.Rules, "optimizeJoins", analyzer.Rule{Id: orderIndexRuleID, Apply: preferOrderIndex})
		b.Rules = insertRule(b.Rules, "optimizeJoins", analyzer.Rule{Id: mostBoundRuleID, Apply: preferMostBound})
		b.Rules = insertRule(b.Rules, "optimizeJoins", analyzer.Rule{Id: joinLookupRuleID, Apply: preferJoinLookup})
		b.Rules = insertRule(b.Rules, "finalizeSubqueries", analyzer.Rule{Id: hashReadOnceRuleID, Apply: hashReadOnce})
		b.Rules = insertRule(b.Rules, "replaceIdxSort", analyzer.Rule{Id: sortByIndexRuleID, Apply: sortByIndex})
		return
	}
}

// insertRule inserts rule before the rule named before (at the end if
// there is none), into a copy of rules.
func insertRule(rules []analyzer.Rule, before string, rule analyzer.Rule) []analyzer.Rule {
	at := len(rules)
	for i, r := range rules {
		if r.Id.String() == before {
			at = i
			break
		}
	}
	return append(rules[:at:at], append([]analyzer.Rule{rule}, rules[at:]...)...)
}

// sortByIndex removes a sort over a secondary index lookup that already
// returns rows in the sort's order: its leading index columns bound to one
// value each, the same in every range of the lookup (WHERE a = $1, or a
// keyset a = $1 AND (b, id) < ($2, $3), whose ranges differ after a), and
// the sort keys the index's next expressions in order (b, c, then the
// primary key), all ascending or all descending (read backwards), with
// NULLs where the index has them (last ascending, PostgreSQL's default).
// Sort keys on the bound columns are constant and ignored. The LIMIT
// above then stops the scan after n rows: ORDER BY b DESC LIMIT n reads n
// entries.
//
// A sort over a secondary index lookup that it cannot remove gets its
// keys marked (sortKey) so that the engine's own rule, which does not
// know that the index orders NULLs differently, does not remove it
// either.
func sortByIndex(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {
	return transform.Node(n, func(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
		s, ok := n.(*plan.Sort)
		if !ok {
			return n, transform.SameTree, nil
		}
		path, ita, alias := indexAccessUnder(s.Child)
		if ita == nil {
			return n, transform.SameTree, nil
		}
		si, ok := ita.Index().(*secIndex)
		if !ok || !ita.IsStatic() {
			return n, transform.SameTree, nil
		}
		lookup, err := ita.GetLookup(ctx, nil)
		if err != nil {
			return nil, transform.SameTree, err
		}
		reverse, ordered := indexOrders(ctx, si, lookup, s.SortFields, ita.Name(), alias)
		if !ordered {
			return plan.NewSort(guardSortKeys(s.SortFields), s.Child), transform.NewTree, nil
		}
		if reverse {
			ranges := lookup.Ranges.(sql.MySQLRangeCollection)
			lookup = sql.NewIndexLookup(lookup.Index, append(sql.MySQLRangeCollection(nil), ranges...),
				lookup.IsPointLookup, lookup.IsEmptyRange, lookup.IsSpatialLookup, true)
		}
		tn, err := armFallback(ita.TableNode, si)
		if err != nil {
			return nil, transform.SameTree, err
		}
		nita, err := plan.NewStaticIndexedAccessForTableNode(ctx, tn, lookup)
		if err != nil {
			return nil, transform.SameTree, err
		}
		var out sql.Node = nita
		for i := len(path) - 1; i >= 0; i-- {
			if out, err = path[i].WithChildren(out); err != nil {
				return nil, transform.SameTree, err
			}
		}
		return out, transform.NewTree, nil
	})
}

// armFallback arms the fallback preferOrderIndex planned for a read of
// si, now that the read's order is the sort's (indexfallback.go).
func armFallback(tn sql.TableNode, si *secIndex) (sql.TableNode, error) {
	rt, ok := tn.(*plan.ResolvedTable)
	if !ok {
		return tn, nil
	}
	dt, ok := rt.Table.(*dataTable)
	if !ok || dt.fallback == nil || dt.only != si || dt.fallback.armed {
		return tn, nil
	}
	armed := *dt
	f := *dt.fallback
	f.armed = true
	armed.fallback = &f
	out, err := rt.WithTable(&armed)
	if err != nil {
		return nil, fmt.Errorf("arming the fallback of %s: %w", dt, err)
	}
	return out, nil
}

// indexAccessUnder finds the index lookup a sort reads through nodes that
// keep the order of rows (filters, projections, an alias), returning those
// nodes top down and the alias, if any.
func indexAccessUnder(n sql.Node) (path []sql.Node, ita *plan.IndexedTableAccess, alias string) {
	for {
		switch x := n.(type) {
		case *plan.IndexedTableAccess:
			return path, x, alias
		case *plan.TableAlias:
			alias = x.Name()
		case *plan.Filter, *plan.Project:
		default:
			return nil, nil, ""
		}
		path = append(path, n)
		n = n.Children()[0]
	}
}

// indexOrders decides whether the lookup returns rows in the order of the
// sort fields, and whether it must read backwards to.
//
// The lookup's ranges may be several: a keyset predicate, conv = $1 AND
// (created_at, id) < ($2, $3), is the ranges {conv = $1, created_at <
// $2} and {conv = $1, created_at = $2, id < $3}. Their entries are read
// in entry order whatever the ranges (indexLookupPartitions reads the
// ranges' merged byte spans in key order, backwards when reversed), so
// the rows come in the index's order; what the sort needs is that the
// columns it skips, the leading ones, hold one value over every range.
func indexOrders(ctx *sql.Context, si *secIndex, lookup sql.IndexLookup, fields sql.SortFields, table, alias string) (reverse, ok bool) {
	ranges, isMySQL := lookup.Ranges.(sql.MySQLRangeCollection)
	if !isMySQL || len(ranges) == 0 {
		return false, false
	}
	keys, ok := sortOrderKeys(fields, table, alias)
	if !ok {
		return false, false
	}
	return keysFollowIndex(si, boundColumns(ctx, si, ranges), keys)
}

// sortOrderKeys reads sort fields that are plain columns of the table
// (named table, or alias) as order keys.
func sortOrderKeys(fields sql.SortFields, table, alias string) ([]orderKey, bool) {
	keys := make([]orderKey, 0, len(fields))
	for _, f := range fields {
		gf, isField := sortColumn(f.Column)
		if !isField || !tableColumn(gf, table, alias) {
			return nil, false
		}
		// The engine's NULL placement is relative to the direction:
		// NullsFirst puts NULLs first ascending and last descending.
		asc := f.Order == sql.Ascending
		keys = append(keys, orderKey{name: gf.Name(), desc: !asc, nullsFirst: (f.NullOrdering == sql.NullsFirst) == asc})
	}
	return keys, true
}

// tableColumn reports whether gf is a column of the table named table
// (or alias). A field without a table is an output column of a
// projection (SELECT c AS b ... ORDER BY b): its name may be a table
// column's that it does not hold, and with no alias an empty table would
// match the empty alias.
func tableColumn(gf *expression.GetField, table, alias string) bool {
	t := gf.Table()
	return t != "" && (strings.EqualFold(t, table) || strings.EqualFold(t, alias))
}

// boundColumns counts the leading index columns that every range holds
// at one and the same value (or at NULL).
func boundColumns(ctx *sql.Context, si *secIndex, ranges sql.MySQLRangeCollection) int {
	bound := 0
	for ; bound < len(si.cols); bound++ {
		first := ranges[0]
		if bound >= len(first) || !isPointRange(ctx, first[bound]) {
			return bound
		}
		for _, r := range ranges[1:] {
			if bound >= len(r) || !isPointRange(ctx, r[bound]) || !samePoint(ctx, first[bound], r[bound]) {
				return bound
			}
		}
	}
	return bound
}

// samePoint reports whether two point ranges hold the same value.
func samePoint(ctx *sql.Context, a, b sql.MySQLRangeColumnExpr) bool {
	la, aValue := a.LowerBound.(sql.Below)
	lb, bValue := b.LowerBound.(sql.Below)
	if !aValue || !bValue {
		// Points at NULL (BelowNull) are equal; NULL and a value are not.
		return aValue == bValue
	}
	c, err := a.Typ.Compare(ctx, la.Key, lb.Key)
	return err == nil && c == 0
}

// sortColumn is the column a sort key orders by: the column itself, or a
// float column under kdb_float_order, whose order (PostgreSQL's: -0 with
// 0, NaN last) is the order of the column's index keys, or a text column
// under kdb_text_order, whose byte order is its index keys' too (a plan
// analyzed again meets the keys textSortKeys wrapped).
func sortColumn(e sql.Expression) (*expression.GetField, bool) {
	if f, ok := e.(*pgFunc); ok && (f.name == "kdb_float_order" || f.name == "kdb_text_order") && len(f.args) == 1 {
		e = f.args[0]
	}
	gf, ok := e.(*expression.GetField)
	return gf, ok
}

// isPointRange reports a column range that holds one value (or NULL).
func isPointRange(ctx *sql.Context, r sql.MySQLRangeColumnExpr) bool {
	switch lo := r.LowerBound.(type) {
	case sql.Below:
		hi, ok := r.UpperBound.(sql.Above)
		if !ok || lo.Key == nil || hi.Key == nil {
			return false
		}
		c, err := r.Typ.Compare(ctx, lo.Key, hi.Key)
		return err == nil && c == 0
	case sql.BelowNull:
		_, ok := r.UpperBound.(sql.AboveNull)
		return ok
	}
	return false
}

// guardSortKeys marks sort keys as not to be replaced by an index order.
func guardSortKeys(fields sql.SortFields) sql.SortFields {
	out := make(sql.SortFields, len(fields))
	for i, f := range fields {
		if _, done := f.Column.(*sortKey); !done {
			f.Column = &sortKey{f.Column}
		}
		out[i] = f
	}
	return out
}

// sortKey is a sort key evaluated as its expression, whose text differs
// from the expression's, so that the engine's replaceIdxSort, which
// matches sort keys with index expressions by text, leaves the sort alone.
type sortKey struct {
	sql.Expression
}

func (k *sortKey) String() string             { return "sort_key(" + k.Expression.String() + ")" }
func (k *sortKey) Children() []sql.Expression { return []sql.Expression{k.Expression} }
func (k *sortKey) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(k, len(children), 1)
	}
	return &sortKey{children[0]}, nil
}
