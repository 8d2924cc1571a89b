package engine

import (
	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// MaxTargetListEntries bounds every select list and RETURNING list of a
// statement, a * counted as the columns it stands for: PostgreSQL's
// bound. The engine's binder works out a query's columns per column from
// the tables below, in one step the time limit cannot stop: SELECT * over
// a join of two 1600-column tables planned for 1.5 s, of three for 9 to
// 18 s.
const MaxTargetListEntries = 1664

// boundTargetLists refuses a statement with a select list (at any level:
// subqueries, derived tables, WITH queries, set operations' arms, views as
// expanded) or RETURNING list of more than MaxTargetListEntries entries.
// Tables are resolved in snap, names without a namespace in namespace;
// with snap nil each is taken as wide as a table may be, so a statement
// that passes then passes whatever the catalog holds.
// Each query's width is worked out once: the walk is linear.
func boundTargetLists(stmt sqlparser.SQLNode, snap *catalog.Snapshot, namespace string) error {
	d := newDerivedCost(stmt, snap, namespace, MaxTargetListEntries, true)
	if targetListsOver(d, stmt) {
		return limitError("max_target_list_entries", "target lists can have at most %d entries", MaxTargetListEntries)
	}
	return nil
}

// targetListsOver reports whether a list of stmt has more than d.limit
// entries.
func targetListsOver(d *derivedCost, stmt sqlparser.SQLNode) bool {
	over := false
	returning := func(exprs sqlparser.SelectExprs, from sqlparser.TableExprs) {
		if len(exprs) > 0 {
			over = over || d.listWidth(exprs, from) > d.limit
		}
	}
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		switch n := n.(type) {
		case sqlparser.SelectStatement:
			over = over || d.width(n) > d.limit
		case *sqlparser.Insert:
			returning(n.Returning, sqlparser.TableExprs{&sqlparser.AliasedTableExpr{Expr: n.Table}})
		case *sqlparser.Update:
			returning(n.Returning, n.TableExprs)
		case *sqlparser.Delete:
			returning(n.Returning, n.TableExprs)
		}
		return !over, nil
	}, stmt)
	return over
}

// hasStar reports whether a statement has a * in a select or RETURNING
// list: only then do its lists' widths depend on the catalog.
func hasStar(stmt sqlparser.SQLNode) bool {
	found := false
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		_, star := n.(*sqlparser.StarExpr)
		found = found || star
		return !found, nil
	}, stmt)
	return found
}

// hiddenColumns is how many of _seq and _deleted a * over t shows
// (tableColumns).
func hiddenColumns(t *catalog.Table) int64 {
	if t.Meta.TableType == dialect.TableTypeStream {
		return 1
	}
	return 2
}
