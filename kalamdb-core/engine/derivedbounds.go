package engine

import (
	"strings"

	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// MaxDerivedColumns bounds the columns a statement's queries pass through
// derived tables: summed over every query that reads a derived table, a
// WITH query or a view, the columns of its select list (a * counted as
// the columns it stands for). The engine works out such a query's columns
// once per column again from the whole chain below it, unremembered, in
// one step the time limit cannot stop, so planning takes time that grows
// as the square of this sum (and somewhat faster with the width): SELECT *
// through 16 derived tables over 400 columns (335 bytes of SQL) planned
// for 13 s, 800 columns 16 deep for over 50 s. At 800 the worst shapes
// found (one level over 800 columns, two over 400) plan in a few hundred
// milliseconds on a loaded machine.
//
// It stays below the widest table (systable.MaxTableColumns): one level of
// SELECT * over 1600 columns planned for 3 to 7 s. The work is go-mysql-
// server's binder looking up each column's default through the derived
// table's schema (plan.findDefault), which SubqueryAlias and Project
// rebuild, with the query's below, on every call: it runs before any
// analyzer rule, on the engine's own node types, so nothing here can
// remember it.
const MaxDerivedColumns = 800

// MaxDerivedDepth bounds how deeply queries that read derived tables,
// WITH queries or views may nest in one another: narrow chains cost per
// level too (EXPLAIN of 2 columns through 128 derived tables planned for
// 1.2 s, 256 for 8.6 s); at 80 they plan in about 0.3 s.
const MaxDerivedDepth = 80

// otherTableColumns is the width taken for a table the catalog does not
// hold (system, information_schema and pg_catalog tables): more columns
// than any of them has.
const otherTableColumns = 64

// readsDerived reports whether a statement has a query that reads a
// derived table or a WITH query: only those are worth boundDerivedColumns'
// look at the catalog (views, once expanded, are derived tables).
func readsDerived(stmt sqlparser.SQLNode) bool {
	found := false
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		switch n := n.(type) {
		case *sqlparser.With:
			found = found || n != nil && len(n.Ctes) > 0
		case *sqlparser.AliasedTableExpr:
			_, sub := n.Expr.(*sqlparser.Subquery)
			found = found || sub
		}
		return !found, nil
	}, stmt)
	return found
}

// boundDerivedColumns refuses a statement whose queries pass more than
// MaxDerivedColumns columns through derived tables, WITH queries and
// (expanded) views, counted as derivedCost counts them; tables are
// resolved in snap, names without a namespace in namespace. It takes time
// linear in the statement: each query's width and cost is worked out once.
func boundDerivedColumns(stmt sqlparser.SQLNode, snap *catalog.Snapshot, namespace string) error {
	d := newDerivedCost(stmt, snap, namespace, MaxDerivedColumns, false)
	d.noteReads(stmt)
	cost, depth := d.in(stmt, nil)
	if cost > MaxDerivedColumns {
		return limitError("max_derived_columns", "the statement passes more than %d columns through derived tables, WITH queries and views "+
			"(summed over every query that reads one, a * counted as the columns it stands for); "+
			"name only the columns needed, or materialize a step into a table", MaxDerivedColumns)
	}
	if depth > MaxDerivedDepth {
		return limitError("max_derived_depth", "the statement nests queries over derived tables, WITH queries and views "+
			"more than %d levels deep; materialize a step into a table", MaxDerivedDepth)
	}
	return nil
}

// noteReads adds to d.read the names stmt reads that could be WITH
// queries'.
func (d *derivedCost) noteReads(stmt sqlparser.SQLNode) {
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if name, ok := cteCandidate(n); ok {
			d.read[name] = true
		}
		return true, nil
	}, stmt)
}

func newDerivedCost(stmt sqlparser.SQLNode, snap *catalog.Snapshot, namespace string, limit int64, hidden bool) *derivedCost {
	return &derivedCost{snap: snap, namespace: namespace, limit: limit, hidden: hidden, ctes: subqueryRolesOf(stmt).ctes,
		inProgress: map[string]bool{}, read: map[string]bool{}, widths: map[sqlparser.SelectStatement]int64{},
		costs: map[sqlparser.SelectStatement]derivedLevels{}}
}

// derivedCost works out the widths of a statement's queries and what
// they cost: a query that reads a derived table or a WITH query costs its
// width, plus what the queries it holds
// cost; a WITH query costs wherever it is read (the engine inlines it),
// or once where it is defined when nothing reads it.
type derivedCost struct {
	snap      *catalog.Snapshot
	namespace string
	// limit caps every sum: past it the exact figure does not matter.
	limit int64
	// hidden counts a table's _seq and _deleted in its width, as * shows
	// them; boundDerivedColumns was measured without them.
	hidden     bool
	ctes       map[string]sqlparser.SelectStatement
	inProgress map[string]bool
	// read are the names of the WITH queries the statement reads.
	read   map[string]bool
	widths map[sqlparser.SelectStatement]int64
	costs  map[sqlparser.SelectStatement]derivedLevels
	// steps counts the queries whose width was worked out (for tests of
	// the walk's linearity).
	steps int
}

// derivedLevels is what a query costs and how deeply queries over derived
// tables nest in it.
type derivedLevels struct {
	cost  int64
	depth int
}

func (d *derivedCost) add(a, b int64) int64 { return min(a+b, d.limit+1) }

// in is the summed cost of the queries in n (n itself left out when it is
// self), each query's worked out once.
func (d *derivedCost) in(n, self sqlparser.SQLNode) (total int64, depth int) {
	held := func(q sqlparser.SelectStatement) {
		l := d.cost(q)
		total, depth = d.add(total, l.cost), max(depth, l.depth)
	}
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		switch n := n.(type) {
		case sqlparser.SelectStatement:
			if n != self {
				held(n)
				return false, nil
			}
		case *sqlparser.With:
			// A WITH query counts where it is read; one read nowhere is
			// planned all the same, and counts once here.
			if n != nil {
				for _, c := range n.Ctes {
					if sq, ok := c.AliasedTableExpr.Expr.(*sqlparser.Subquery); ok && !d.read[strings.ToLower(c.As.String())] {
						held(sq.Select)
					}
				}
			}
			return false, nil
		case *sqlparser.AliasedTableExpr:
			if tn, ok := n.Expr.(sqlparser.TableName); ok {
				if body, ok := d.cte(tn); ok {
					name := strings.ToLower(tn.Name.String())
					d.inProgress[name] = true
					held(body)
					delete(d.inProgress, name)
				}
			}
		}
		return total <= MaxDerivedColumns && depth <= MaxDerivedDepth, nil
	}, n)
	return total, depth
}

// cost is what query q costs, with all it holds.
func (d *derivedCost) cost(q sqlparser.SelectStatement) derivedLevels {
	if v, ok := d.costs[q]; ok {
		return v
	}
	cost, depth := d.in(q, q)
	if s, ok := q.(*sqlparser.Select); ok && d.readsDerived(s.From) {
		cost, depth = d.add(cost, d.width(q)), depth+1
	}
	v := derivedLevels{cost: cost, depth: depth}
	d.costs[q] = v
	return v
}

// cte is the WITH query a table name reads, matched as subqueryWeights
// matches it.
func (d *derivedCost) cte(tn sqlparser.TableName) (sqlparser.SelectStatement, bool) {
	name := strings.ToLower(tn.Name.String())
	body, ok := d.ctes[name]
	return body, ok && tn.DbQualifier.IsEmpty() && !d.inProgress[name]
}

func (d *derivedCost) readsDerived(from sqlparser.TableExprs) bool {
	found := false
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if at, ok := n.(*sqlparser.AliasedTableExpr); ok {
			switch x := at.Expr.(type) {
			case *sqlparser.Subquery:
				found = true
			case sqlparser.TableName:
				_, cte := d.cte(x)
				found = found || cte
			}
			return false, nil
		}
		return !found, nil
	}, from)
	return found
}

// width is the number of columns query q returns (at most limit+1).
func (d *derivedCost) width(q sqlparser.SelectStatement) int64 {
	if v, ok := d.widths[q]; ok {
		return v
	}
	d.steps++
	var v int64
	switch q := q.(type) {
	case *sqlparser.Select:
		v = d.listWidth(q.SelectExprs, q.From)
	case *sqlparser.SetOp:
		v = d.width(q.Left)
	case *sqlparser.ParenSelect:
		v = d.width(q.Select)
	default:
		v = 1
	}
	d.widths[q] = v
	return v
}

// listWidth is the number of entries of select list exprs over from, a *
// counted as the columns it stands for (at most limit+1).
func (d *derivedCost) listWidth(exprs sqlparser.SelectExprs, from sqlparser.TableExprs) int64 {
	var v int64
	var named map[string]sqlparser.TableExpr
	all := int64(-1)
	for _, se := range exprs {
		if v > d.limit {
			// Past the limit: the rest (a list of stars over a long
			// FROM) is not worth looking at.
			break
		}
		star, ok := se.(*sqlparser.StarExpr)
		if !ok {
			v = d.add(v, 1)
			continue
		}
		if !star.TableName.IsEmpty() {
			if named == nil {
				named = map[string]sqlparser.TableExpr{}
				sourceNames(from, named)
			}
			if te, ok := named[strings.ToLower(star.TableName.Name.String())]; ok {
				v = d.add(v, d.source(te))
				continue
			}
		}
		if all < 0 {
			all = 0
			for _, te := range from {
				all = d.add(all, d.source(te))
			}
		}
		v = d.add(v, all)
	}
	return v
}

// sourceNames adds the sources of from to named by the name a qualified *
// would use (the last of a name kept).
func sourceNames(from sqlparser.TableExprs, named map[string]sqlparser.TableExpr) {
	for _, te := range from {
		switch te := te.(type) {
		case *sqlparser.AliasedTableExpr:
			name := te.As
			if tn, ok := te.Expr.(sqlparser.TableName); ok && name.IsEmpty() {
				name = tn.Name
			}
			named[strings.ToLower(name.String())] = te
		case *sqlparser.JoinTableExpr:
			sourceNames(sqlparser.TableExprs{te.LeftExpr, te.RightExpr}, named)
		case *sqlparser.ParenTableExpr:
			sourceNames(te.Exprs, named)
		}
	}
}

// source is the number of columns table expression te has.
func (d *derivedCost) source(te sqlparser.TableExpr) int64 {
	switch te := te.(type) {
	case *sqlparser.AliasedTableExpr:
		switch x := te.Expr.(type) {
		case *sqlparser.Subquery:
			return d.width(x.Select)
		case *sqlparser.ValuesStatement:
			if len(x.Rows) > 0 {
				return int64(len(x.Rows[0]))
			}
			return 1
		case sqlparser.TableName:
			if body, ok := d.cte(x); ok {
				name := strings.ToLower(x.Name.String())
				d.inProgress[name] = true
				defer delete(d.inProgress, name)
				return d.width(body)
			}
			ns, name := strings.ToLower(x.DbQualifier.String()), strings.ToLower(x.Name.String())
			if ns == "" {
				ns = d.namespace
			}
			if d.snap == nil {
				// As wide as a table may be: an upper bound whatever
				// the catalog holds.
				return systable.MaxTableColumns + 2
			}
			if t, ok := d.snap.Table(ns, name); ok {
				n := int64(len(t.Schema.Columns))
				if d.hidden {
					n += hiddenColumns(t)
				}
				return n
			}
		}
		return otherTableColumns
	case *sqlparser.JoinTableExpr:
		return d.add(d.source(te.LeftExpr), d.source(te.RightExpr))
	case *sqlparser.ParenTableExpr:
		var v int64
		for _, e := range te.Exprs {
			v = d.add(v, d.source(e))
		}
		return v
	}
	return otherTableColumns
}
