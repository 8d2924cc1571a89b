package engine

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
)

// checkGrouping applies PostgreSQL's rules for grouped queries and SELECT
// DISTINCT to a plan as the engine's planner built it, before anything
// rewrites it:
//
//   - in a grouped query (GROUP BY, or aggregates without it), the select
//     list, HAVING and ORDER BY may use a column only inside an aggregate,
//     as a grouped expression (or part of one), or when it is functionally
//     dependent on the grouped columns (every primary-key column of its
//     table is grouped). The engine answers other columns as MySQL without
//     ONLY_FULL_GROUP_BY does, with an arbitrary row's value of the group;
//     its own check (validateGroupBy, removed: withoutMySQLGroupBy) skips
//     the select list and, not knowing primary keys, refused SELECT * ...
//     GROUP BY id;
//   - with SELECT DISTINCT, every ORDER BY expression must be in the
//     select list (the engine sorted by a column the DISTINCT removed).
//
// A column of an outer query (a correlated subquery's) is a constant of
// the inner one and is not checked; nor are subqueries and window
// definitions inside a grouped query (a lenient choice: no valid query is
// refused for them; the engine fails a subquery that uses an ungrouped
// column while running).
func checkGrouping(n sql.Node) error {
	return groupWalk(n, nil)
}

// groupWalk visits n; chain is the nodes above n of its query level that
// evaluate over a GroupBy's output (outermost first).
func groupWalk(n sql.Node, chain []sql.Node) error {
	if err := subqueriesOf(n); err != nil {
		return err
	}
	switch x := n.(type) {
	case *plan.GroupBy:
		if err := checkGroupedLevel(x, chain); err != nil {
			return err
		}
		return groupWalk(x.Child, nil)
	case *plan.Distinct:
		if err := checkDistinctOrder(x); err != nil {
			return err
		}
		return groupWalk(x.Child, extend(chain, n))
	case *plan.Project, *plan.Having, *plan.Sort, *plan.Window, *plan.Limit, *plan.Offset:
		return groupWalk(n.Children()[0], extend(chain, n))
	}
	for _, c := range n.Children() {
		if err := groupWalk(c, nil); err != nil {
			return err
		}
	}
	return nil
}

// extend appends without sharing chain's backing array between branches.
func extend(chain []sql.Node, n sql.Node) []sql.Node {
	return append(chain[:len(chain):len(chain)], n)
}

// subqueriesOf checks the queries of the subquery expressions of n: each
// is a query level of its own.
func subqueriesOf(n sql.Node) error {
	ex, ok := n.(sql.Expressioner)
	if !ok {
		return nil
	}
	var err error
	for _, e := range ex.Expressions() {
		sql.Inspect(e, func(x sql.Expression) bool {
			if err != nil {
				return false
			}
			if sq, ok := x.(*plan.Subquery); ok {
				err = groupWalk(sq.Query, nil)
				return false
			}
			return true
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// groupedLevel is what a grouped query level may use.
type groupedLevel struct {
	// grouped holds the grouping expressions' texts (lower case, aliases
	// unwrapped).
	grouped map[string]bool
	// ids maps a column id produced at this level (a grouping alias, an
	// aggregate, an alias of the select list) to nil when it may be used,
	// or to the error of the ungrouped column it is computed from.
	ids map[sql.ColumnId]error
	// tables holds the names of the level's own tables (lower case), and
	// dependent those whose primary key is grouped.
	tables, dependent map[string]bool
}

func checkGroupedLevel(gb *plan.GroupBy, chain []sql.Node) error {
	g := &groupedLevel{grouped: map[string]bool{}, ids: map[sql.ColumnId]error{}, tables: map[string]bool{}, dependent: map[string]bool{}}
	aggs := map[sql.ColumnId]bool{}
	for _, e := range gb.SelectedExprs {
		if _, ok := e.(sql.Aggregation); ok {
			if ide, ok := e.(sql.IdExpression); ok {
				g.ids[ide.Id()] = nil
				aggs[ide.Id()] = true
			}
		}
	}
	groupedCols := map[string]bool{}
	for _, e := range gb.GroupByExprs {
		e = underFloatOrder(e)
		if aggregates(e, aggs) {
			// GROUP BY count(*), or a position or alias naming one: the
			// engine failed while running ("unable to find field").
			return sqlError("aggregate functions are not allowed in GROUP BY")
		}
		g.grouped[exprKey(e)] = true
		if a, ok := e.(*expression.Alias); ok {
			g.ids[a.Id()] = nil
		}
		if gf, ok := unalias(e).(*expression.GetField); ok {
			g.ids[gf.Id()] = nil
			groupedCols[strings.ToLower(gf.Table())+"."+strings.ToLower(gf.Name())] = true
		}
	}
	levelTables(gb.Child, func(name string, sch sql.Schema) {
		name = strings.ToLower(name)
		g.tables[name] = true
		hasKey, all := false, true
		for _, c := range sch {
			if c.PrimaryKey {
				hasKey = true
				all = all && groupedCols[name+"."+strings.ToLower(c.Name)]
			}
		}
		if hasKey && all {
			g.dependent[name] = true
		}
	})
	// The nodes above the GroupBy, innermost first. A Project or Window
	// below the select list's only passes columns up for the clauses above
	// (ORDER BY, HAVING, an alias's expression): its uses are checked where
	// they are made, its aliases recorded for them.
	selectList := -1
	for i, n := range chain {
		switch n.(type) {
		case *plan.Project, *plan.Window:
			if selectList < 0 {
				selectList = i
			}
		}
	}
	if selectList < 0 {
		// No projection above: the GroupBy's own columns are the result.
		for _, e := range gb.SelectedExprs {
			if _, ok := e.(sql.Aggregation); !ok {
				if err := g.check(e); err != nil {
					return err
				}
			}
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		switch x := chain[i].(type) {
		case *plan.Project:
			if err := g.project(x.Projections, i == selectList); err != nil {
				return err
			}
		case *plan.Window:
			if err := g.project(x.SelectExprs, i == selectList); err != nil {
				return err
			}
		case *plan.Having:
			if err := g.check(x.Cond); err != nil {
				return err
			}
		case *plan.Sort:
			for _, f := range x.SortFields {
				if err := g.check(f.Column); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// aggregates reports whether e computes an aggregate of this level (not
// one of a subquery's), itself or by the id of its column.
func aggregates(e sql.Expression, aggs map[sql.ColumnId]bool) bool {
	found := false
	sql.Inspect(e, func(x sql.Expression) bool {
		switch y := x.(type) {
		case *plan.Subquery:
			return false
		case sql.Aggregation:
			found = true
		case *expression.GetField:
			found = aggs[y.Id()]
		}
		return !found
	})
	return found
}

// project records the aliases of a projection over the grouped rows and,
// for the select list, checks its expressions.
func (g *groupedLevel) project(exprs []sql.Expression, uses bool) error {
	for _, e := range exprs {
		err := g.check(e)
		if err != nil && uses {
			return err
		}
		if a, ok := e.(*expression.Alias); ok {
			g.ids[a.Id()] = err
		}
	}
	return nil
}

// check returns the error of the first column e uses that is neither
// grouped nor aggregated nor dependent on the grouped columns.
func (g *groupedLevel) check(e sql.Expression) error {
	if g.grouped[exprKey(e)] {
		return nil
	}
	switch x := e.(type) {
	case sql.Aggregation, *plan.Subquery:
		return nil
	case *expression.Alias:
		if err, ok := g.ids[x.Id()]; ok {
			return err
		}
	case *expression.GetField:
		if err, ok := g.ids[x.Id()]; ok {
			return err
		}
		table := strings.ToLower(x.Table())
		if !g.tables[table] || g.dependent[table] {
			return nil // an outer query's column, or one of the level's own aliases
		}
		return sqlError("column %q must appear in the GROUP BY clause or be used in an aggregate function", x.Table()+"."+x.Name())
	}
	for _, c := range e.Children() {
		if err := g.check(c); err != nil {
			return err
		}
	}
	return nil
}

// checkDistinctOrder refuses an ORDER BY under SELECT DISTINCT whose key
// is not in the select list (the planner sorts below the projection when a
// key is not projected).
func checkDistinctOrder(d *plan.Distinct) error {
	p, ok := d.Child.(*plan.Project)
	if !ok {
		return nil
	}
	s, ok := p.Child.(*plan.Sort)
	if !ok {
		return nil
	}
	listed := map[string]bool{}
	ids := map[sql.ColumnId]bool{}
	for _, e := range p.Projections {
		listed[exprKey(e)] = true
		if ide, ok := e.(sql.IdExpression); ok {
			ids[ide.Id()] = true
		}
	}
	for _, f := range s.SortFields {
		col := underFloatOrder(f.Column)
		if isLiteral(col) {
			continue
		}
		switch x := col.(type) {
		case *nullsMarker:
			continue
		case sql.IdExpression:
			if ids[x.Id()] {
				continue
			}
		}
		if !listed[exprKey(col)] {
			return sqlError("for SELECT DISTINCT, ORDER BY expressions must appear in select list")
		}
	}
	return nil
}

// levelTables calls fn with the name and schema of each table (or
// derived table) of one query level.
func levelTables(n sql.Node, fn func(string, sql.Schema)) {
	switch x := n.(type) {
	case *plan.TableAlias:
		fn(x.Name(), x.Schema())
		return
	case *plan.ResolvedTable:
		fn(x.Name(), x.Schema())
		return
	case *plan.SubqueryAlias:
		// A derived table or view: its columns depend on no key.
		fn(x.Name(), nil)
		return
	case sql.Nameable:
		if len(n.Children()) == 0 {
			fn(x.Name(), nil)
			return
		}
	}
	for _, c := range n.Children() {
		levelTables(c, fn)
	}
}

func unalias(e sql.Expression) sql.Expression {
	if a, ok := e.(*expression.Alias); ok {
		return a.Child
	}
	return e
}

func exprKey(e sql.Expression) string {
	return strings.ToLower(unalias(e).String())
}

// underFloatOrder is the float, JSON, boolean or text expression a key
// read through its order key (kdb_float_order, kdb_json_order,
// kdb_json_key or kdb_bool_key:
// pgnegzero.go and the sort rules; kdb_text_order: pgtextorder.go) stands
// for: a plan typed a second time meets the keys the first pass wrapped,
// and they group and sort what they wrap.
func underFloatOrder(e sql.Expression) sql.Expression {
	if f, ok := e.(*pgFunc); ok && (f.name == "kdb_float_order" || f.name == "kdb_json_order" || f.name == "kdb_json_key" || f.name == "kdb_bool_key" || f.name == "kdb_text_order") && len(f.args) == 1 {
		return f.args[0]
	}
	return e
}
