package engine

import (
	"strings"

	"github.com/dolthub/vitess/go/vt/sqlparser"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// MaxScalarSubqueryDepth bounds how deeply scalar subqueries may nest in
// select lists: (SELECT (SELECT ... ) ...) where each subquery's type is
// the type of a select list that holds the next one. The engine works out
// a subquery's type from its query's columns, twice, and their types from
// their expressions again, unremembered, so planning such a chain takes
// time that multiplies at every level (2.5 to 4 times, by shape), much of
// it inside single planner steps the time limit cannot stop: 14 levels,
// 300 bytes of SQL, planned for 23 s. At 6 levels the worst shapes found
// (a subquery in COALESCE, CASE, arithmetic or a derived table at every
// level) plan in a few hundred ms on a loaded machine. Derived tables,
// WITH queries, views and set operations pass their columns' types
// through, so they count where they are read. Subqueries side by side in
// one select list add up when they hold subqueries of their own (two
// count as one level more): a WITH query read twice per level would
// otherwise double the work at every level.
const MaxScalarSubqueryDepth = 6

// boundScalarSubqueries refuses a statement whose scalar subqueries nest
// past MaxScalarSubqueryDepth, counted as subqueryWeights counts them, in
// time linear in the statement (each query's weight is worked out once).
func boundScalarSubqueries(stmt sqlparser.SQLNode) error {
	w := newSubqueryWeights(stmt)
	limit := int64(1) << MaxScalarSubqueryDepth
	var refused bool
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		switch n := n.(type) {
		case sqlparser.SelectStatement:
			refused = w.of(n) >= limit
		case *sqlparser.Subquery:
			// A scalar subquery anywhere (in a WHERE too) is typed by its
			// query's select list: one level over it.
			refused = !w.notScalar[n] && 2*w.of(n.Select) >= limit
		}
		return !refused, nil
	}, stmt)
	if refused {
		return limitError("max_scalar_subquery_depth", "the statement nests scalar subqueries in select lists more than %d levels deep "+
			"(counting subqueries that hold subqueries side by side in one select list as deeper); "+
			"use a join or a derived table instead, or materialize a step into a table", MaxScalarSubqueryDepth)
	}
	return nil
}

// subqueryWeights is the weight of each query of a statement: how many
// times working out the query's columns' types works out the type of a
// subquery at the bottom of a chain, 2^(d-1) for a chain d deep (a
// subquery of a constant weighs 1 however many there are side by side;
// each level above doubles the weight of what it holds, and a select
// list adds up its subqueries' weights).
type subqueryWeights struct {
	limit int64
	// ctes are the WITH queries by name, matched as cteNames matches them:
	// by name, wherever the WITH is (a name that is a table too counts
	// the WITH query: too much, never too little).
	ctes       map[string]sqlparser.SelectStatement
	inProgress map[string]bool
	memo       map[sqlparser.SelectStatement]int64
	// notScalar are the subqueries that are not values: derived tables,
	// WITH queries, EXISTS and IN operands, whose types nothing reads.
	notScalar map[*sqlparser.Subquery]bool
}

func newSubqueryWeights(stmt sqlparser.SQLNode) *subqueryWeights {
	r := subqueryRolesOf(stmt)
	for sq := range r.operands {
		r.tables[sq] = true
	}
	return &subqueryWeights{limit: int64(1) << MaxScalarSubqueryDepth, ctes: r.ctes,
		inProgress: map[string]bool{}, memo: map[sqlparser.SelectStatement]int64{}, notScalar: r.tables}
}

// subqueryRoles are the subqueries of a statement that are not values.
type subqueryRoles struct {
	// ctes are the WITH queries by name.
	ctes map[string]sqlparser.SelectStatement
	// tables are derived tables and WITH queries.
	tables map[*sqlparser.Subquery]bool
	// operands are EXISTS and IN (NOT IN, = ANY, <> ALL) operands.
	operands map[*sqlparser.Subquery]bool
}

func subqueryRolesOf(stmt sqlparser.SQLNode) subqueryRoles {
	r := subqueryRoles{ctes: map[string]sqlparser.SelectStatement{}, tables: map[*sqlparser.Subquery]bool{},
		operands: map[*sqlparser.Subquery]bool{}}
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		switch n := n.(type) {
		case *sqlparser.With:
			if n == nil {
				return false, nil
			}
			for _, c := range n.Ctes {
				if sq, ok := c.AliasedTableExpr.Expr.(*sqlparser.Subquery); ok {
					r.ctes[strings.ToLower(c.As.String())] = sq.Select
					r.tables[sq] = true
				}
			}
		case *sqlparser.AliasedTableExpr:
			if sq, ok := n.Expr.(*sqlparser.Subquery); ok {
				r.tables[sq] = true
			}
		case *sqlparser.ExistsExpr:
			r.operands[n.Subquery] = true
		case *sqlparser.ComparisonExpr:
			if sq, ok := n.Right.(*sqlparser.Subquery); ok && (n.Operator == sqlparser.InStr || n.Operator == sqlparser.NotInStr) {
				r.operands[sq] = true
			}
		}
		return true, nil
	}, stmt)
	return r
}

// of is the weight of query q, at most limit.
func (w *subqueryWeights) of(q sqlparser.SelectStatement) int64 {
	if v, ok := w.memo[q]; ok {
		return v
	}
	var v int64
	switch q := q.(type) {
	case *sqlparser.Select:
		var sum int64
		leaf := false
		for _, se := range q.SelectExprs {
			if ae, ok := se.(*sqlparser.AliasedExpr); ok {
				s, l := w.exprs(ae.Expr)
				sum, leaf = w.add(sum, s), leaf || l
			}
		}
		sum = w.add(sum, w.sources(q.From))
		if sum == 0 && leaf {
			sum = 1
		}
		v = sum
	case *sqlparser.SetOp:
		v = w.add(w.of(q.Left), w.of(q.Right))
	case *sqlparser.ParenSelect:
		v = w.of(q.Select)
	}
	w.memo[q] = v
	return v
}

// exprs is the summed weight of the scalar subqueries in e that hold
// subqueries of their own (twice their query's), and whether e has one
// that does not.
func (w *subqueryWeights) exprs(e sqlparser.SQLNode) (sum int64, leaf bool) {
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		sq, ok := n.(*sqlparser.Subquery)
		if !ok {
			return sum < w.limit, nil
		}
		if w.notScalar[sq] {
			return false, nil
		}
		if inner := w.of(sq.Select); inner > 0 {
			sum = w.add(sum, 2*inner)
		} else {
			leaf = true
		}
		return false, nil
	}, e)
	return sum, leaf
}

// sources is the summed weight of the queries a FROM reads: their columns'
// types are the select list's.
func (w *subqueryWeights) sources(from sqlparser.TableExprs) int64 {
	var sum int64
	for _, te := range from {
		sum = w.add(sum, w.source(te))
	}
	return sum
}

func (w *subqueryWeights) source(te sqlparser.TableExpr) int64 {
	switch te := te.(type) {
	case *sqlparser.AliasedTableExpr:
		switch x := te.Expr.(type) {
		case *sqlparser.Subquery:
			return w.of(x.Select)
		case *sqlparser.ValuesStatement:
			var sum int64
			leaf := false
			for _, row := range x.Rows {
				for _, e := range row {
					s, l := w.exprs(e)
					sum, leaf = w.add(sum, s), leaf || l
				}
			}
			if sum == 0 && leaf {
				sum = 1
			}
			return sum
		case sqlparser.TableName:
			name := strings.ToLower(x.Name.String())
			body, isCTE := w.ctes[name]
			if !isCTE || !x.DbQualifier.IsEmpty() || w.inProgress[name] {
				return 0
			}
			w.inProgress[name] = true
			defer delete(w.inProgress, name)
			return w.of(body)
		}
	case *sqlparser.JoinTableExpr:
		return w.add(w.source(te.LeftExpr), w.source(te.RightExpr))
	case *sqlparser.ParenTableExpr:
		return w.sources(te.Exprs)
	}
	return 0
}

func (w *subqueryWeights) add(a, b int64) int64 {
	return min(a+b, w.limit)
}

// MaxSubqueryDepth bounds how deeply subqueries that are expressions
// (IN, NOT IN, = ANY, <> ALL, EXISTS and scalar subqueries, anywhere in
// a statement) may nest in one another, through derived tables, WITH
// queries and views between them (which do not count themselves). The
// engine frees an IN's subquery twice when a statement ends, each time
// with all it holds, after the rows are sent: a chain of 1 IN (SELECT
// ...) took 0.4 s at 18 levels, 1.7 at 20, doubling; it renames a
// correlated EXISTS's repeated table aliases through all the subqueries
// it holds, and a scalar subquery whose WHERE holds an IN multiplies
// planning again: 12 levels of EXISTS over the same tables took 1.2 s,
// 14 over 30 s, deaf to the time limit; 10 levels of COALESCE((SELECT 1
// WHERE 1 IN (...)), 1), 5.3 s. At 10 levels the worst of these plan and
// run in tens of milliseconds; queries write 2 or 3.
const MaxSubqueryDepth = 10

// boundSubqueryDepth refuses a statement whose subqueries nest past
// MaxSubqueryDepth, in time linear in the statement (each query's depth
// is worked out once).
func boundSubqueryDepth(stmt sqlparser.SQLNode) error {
	r := subqueryRolesOf(stmt)
	d := subqueryDepths{ctes: r.ctes, inProgress: map[string]bool{}, memo: map[sqlparser.SelectStatement]int{}, notExpr: r.tables}
	if d.of(stmt) > MaxSubqueryDepth {
		return limitError("max_subquery_depth", "the statement nests subqueries (IN, EXISTS, ANY, ALL or scalar) more than %d levels deep; "+
			"use a join instead, or materialize a step into a table", MaxSubqueryDepth)
	}
	return nil
}

// subqueryDepths is how deeply expression subqueries nest in each query
// of a statement, a WITH query counted where it is read (matched by name
// as cteNames matches it).
type subqueryDepths struct {
	ctes       map[string]sqlparser.SelectStatement
	inProgress map[string]bool
	memo       map[sqlparser.SelectStatement]int
	// notExpr are derived tables and WITH queries: they pass their
	// subqueries' depth through.
	notExpr map[*sqlparser.Subquery]bool
}

// of is the deepest nesting of expression subqueries in n.
func (d *subqueryDepths) of(n sqlparser.SQLNode) int {
	deepest := 0
	_ = pgsql.Walk(func(n sqlparser.SQLNode) (bool, error) {
		switch n := n.(type) {
		case *sqlparser.Subquery:
			sub := d.query(n.Select)
			if !d.notExpr[n] {
				sub++
			}
			deepest = max(deepest, sub)
			return false, nil
		case sqlparser.TableName:
			name := strings.ToLower(n.Name.String())
			if body, ok := d.ctes[name]; ok && n.DbQualifier.IsEmpty() && !d.inProgress[name] {
				d.inProgress[name] = true
				deepest = max(deepest, d.query(body))
				delete(d.inProgress, name)
			}
		}
		return deepest <= MaxSubqueryDepth, nil
	}, n)
	return deepest
}

func (d *subqueryDepths) query(q sqlparser.SelectStatement) int {
	if v, ok := d.memo[q]; ok {
		return v
	}
	v := d.of(q)
	d.memo[q] = v
	return v
}

// boundStatementShape refuses a statement (its views expanded) whose shape
// the planner would take too long over: WITH queries that expand too far,
// subqueries nested too deeply; and one whose recursive WITH query reads
// itself in its first term, which the planner took apart otherwise.
func boundStatementShape(stmt sqlparser.SQLNode) error {
	if err := boundCTEExpansion(stmt); err != nil {
		return err
	}
	if err := recursiveFirstTerms(stmt); err != nil {
		return err
	}
	return boundSubqueryNesting(stmt)
}

// boundSubqueryNesting refuses a statement whose subqueries nest too
// deeply: scalar subqueries in select lists, or subqueries of any kind.
func boundSubqueryNesting(stmt sqlparser.SQLNode) error {
	if err := boundScalarSubqueries(stmt); err != nil {
		return err
	}
	return boundSubqueryDepth(stmt)
}
