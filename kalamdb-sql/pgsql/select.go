package pgsql

import (
	"slices"
	"strconv"
	"strings"

	"github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// statement translates one top-level statement.
func (t *translator) statement(n *pg.Node) (sqlparser.Statement, dialect.Kind, error) {
	switch s := n.GetNode().(type) {
	case *pg.Node_SelectStmt:
		sel, err := t.selectStmt(s.SelectStmt)
		return sel, dialect.KindSelect, err
	case *pg.Node_InsertStmt:
		ins, err := t.insertStmt(s.InsertStmt)
		return ins, dialect.KindInsert, err
	case *pg.Node_UpdateStmt:
		upd, err := t.updateStmt(s.UpdateStmt)
		return upd, dialect.KindUpdate, err
	case *pg.Node_DeleteStmt:
		del, err := t.deleteStmt(s.DeleteStmt)
		return del, dialect.KindDelete, err
	case *pg.Node_ExplainStmt:
		q := s.ExplainStmt.Query.GetSelectStmt()
		if q == nil || len(s.ExplainStmt.Options) > 0 {
			return nil, dialect.KindSelect, t.unsupported(-1, "EXPLAIN is supported for a SELECT without options only")
		}
		sel, err := t.selectStmt(q)
		if err != nil {
			return nil, dialect.KindSelect, err
		}
		return &sqlparser.Explain{Statement: sel, ExplainFormat: sqlparser.TreeStr}, dialect.KindSelect, nil
	}
	return nil, dialect.KindInvalid, t.unsupported(-1, "unsupported statement: %s", nodeName(n))
}

// selectStmt translates a query: a SELECT, a set operation or VALUES.
func (t *translator) selectStmt(s *pg.SelectStmt) (sqlparser.SelectStatement, error) {
	defer func(was bool, windows map[string]*pg.WindowDef) { t.inWindowArgs, t.windows = was, windows }(t.inWindowArgs, t.windows)
	t.inWindowArgs = false
	if err := t.defineWindows(s.WindowClause); err != nil {
		return nil, err
	}
	if s.IntoClause != nil {
		return nil, t.errorAt(-1, "SELECT ... INTO is not supported: query results are returned to the client only")
	}
	if len(s.LockingClause) > 0 {
		return nil, t.unsupported(-1, "SELECT ... FOR UPDATE/SHARE is not supported")
	}
	// A subquery aggregates its own rows, wherever it is.
	savedAggs := t.aggs
	t.aggs = aggScope{}
	defer func() { t.aggs = savedAggs }()
	if s.WithClause != nil {
		if err := t.pushWith(s.WithClause); err != nil {
			return nil, err
		}
		defer t.popWith()
	}
	var (
		out     sqlparser.SelectStatement
		targets []*pg.Node // the select list that ORDER BY positions refer to
		err     error
	)
	switch {
	case s.Op != pg.SetOperation_SETOP_NONE && s.Op != pg.SetOperation_SET_OPERATION_UNDEFINED:
		out, err = t.setOperation(s)
		targets = leftmostTargets(s)
	case len(s.ValuesLists) > 0:
		out, err = t.valuesQuery(s.ValuesLists)
	default:
		out, err = t.simpleSelect(s)
		targets = s.TargetList
	}
	if err != nil {
		return nil, err
	}
	setOp := s.Op == pg.SetOperation_SETOP_UNION || s.Op == pg.SetOperation_SETOP_INTERSECT || s.Op == pg.SetOperation_SETOP_EXCEPT
	if sel, ok := out.(*sqlparser.Select); ok && sel.QueryOpts.Distinct {
		if err := t.distinctParamKeys(s.SortClause, s.TargetList); err != nil {
			return nil, err
		}
	}
	if len(s.SortClause) > 0 {
		ob, err := t.orderBy(s.SortClause, targets, setOp)
		if err != nil {
			return nil, err
		}
		out.SetOrderBy(ob)
	}
	lim, err := t.limit(s)
	if err != nil {
		return nil, err
	}
	if lim != nil {
		out.SetLimit(lim)
	}
	if s.WithClause != nil {
		w, err := t.with(s.WithClause)
		if err != nil {
			return nil, err
		}
		out.SetWith(w)
	}
	return out, nil
}

// distinctParamKeys refuses an ORDER BY key of SELECT DISTINCT that is a
// parameter not in the select list, as PostgreSQL does: a parameter is a
// value there, not a position, and the engine, which sees the value bound
// as a constant, sorted by it. A select-list entry $n, or $n cast (which
// types the parameter in PostgreSQL), is the key $n.
func (t *translator) distinctParamKeys(sorts, targets []*pg.Node) error {
	for _, n := range sorts {
		key := n.GetSortBy().GetNode().GetParamRef()
		if key == nil {
			continue
		}
		listed := slices.ContainsFunc(targets, func(tn *pg.Node) bool {
			v := tn.GetResTarget().GetVal()
			if c := v.GetTypeCast(); c != nil {
				v = c.Arg
			}
			p := v.GetParamRef()
			return p != nil && p.Number == key.Number
		})
		if !listed {
			return t.errorAt(key.Location, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
		}
	}
	return nil
}

// leftmostTargets is the select list that names a set operation's
// output columns.
func leftmostTargets(s *pg.SelectStmt) []*pg.Node {
	for s != nil && s.Larg != nil {
		s = s.Larg
	}
	if s == nil {
		return nil
	}
	return s.TargetList
}

func (t *translator) setOperation(s *pg.SelectStmt) (sqlparser.SelectStatement, error) {
	left, err := t.setOperand(s.Larg)
	if err != nil {
		return nil, err
	}
	right, err := t.setOperand(s.Rarg)
	if err != nil {
		return nil, err
	}
	if l, ok := outputWidth(s.Larg); ok {
		if r, ok := outputWidth(s.Rarg); ok && l != r {
			// The engine's "cannot union two queries whose schemas are
			// different lengths" was an execution error.
			loc := int32(-1)
			if tl := leftmostTargets(s.Rarg); len(tl) > 0 {
				loc = location(tl[0])
			}
			return nil, t.errorAt(loc, "each %s query must have the same number of columns", setOpName(s.Op))
		}
	}
	var typ string
	switch s.Op {
	case pg.SetOperation_SETOP_UNION:
		typ = sqlparser.UnionStr
		if s.All {
			typ = sqlparser.UnionAllStr
		}
	case pg.SetOperation_SETOP_INTERSECT:
		typ = sqlparser.IntersectStr
		if s.All {
			typ = sqlparser.IntersectAllStr
		}
	default:
		typ = sqlparser.ExceptStr
		if s.All {
			typ = sqlparser.ExceptAllStr
		}
	}
	return &sqlparser.SetOp{Type: typ, Left: left, Right: right}, nil
}

// outputWidth is the number of columns a query returns, when its text
// tells (a * in its select list does not).
func outputWidth(s *pg.SelectStmt) (int, bool) {
	switch {
	case s == nil:
		return 0, false
	case s.Op != pg.SetOperation_SETOP_NONE && s.Op != pg.SetOperation_SET_OPERATION_UNDEFINED:
		return outputWidth(s.Larg)
	case len(s.ValuesLists) > 0:
		if l := s.ValuesLists[0].GetList(); l != nil {
			return len(l.Items), true
		}
		return 0, false
	}
	for _, tn := range s.TargetList {
		if cr := tn.GetResTarget().GetVal().GetColumnRef(); cr != nil && isStar(cr) {
			return 0, false
		}
	}
	return len(s.TargetList), true
}

// setOpName is the keyword of a set operation, for messages.
func setOpName(op pg.SetOperation) string {
	switch op {
	case pg.SetOperation_SETOP_INTERSECT:
		return "INTERSECT"
	case pg.SetOperation_SETOP_EXCEPT:
		return "EXCEPT"
	}
	return "UNION"
}

// setOperand translates one side of a set operation; a side with its own
// ORDER BY or LIMIT stays parenthesised.
func (t *translator) setOperand(s *pg.SelectStmt) (sqlparser.SelectStatement, error) {
	sel, err := t.selectStmt(s)
	if err != nil {
		return nil, err
	}
	if len(s.SortClause) > 0 || s.LimitCount != nil || s.LimitOffset != nil || s.WithClause != nil {
		return &sqlparser.ParenSelect{Select: sel}, nil
	}
	return sel, nil
}

// valuesQuery translates VALUES (...), (...) used as a query: SELECT *
// from the rows as a derived table whose columns are named column1,
// column2, ... as in PostgreSQL. The engine plans a derived table of rows
// in time linear in their number (a UNION ALL of one-row SELECTs, the
// other way to write it, takes time cubic in it: a minute for a thousand
// rows, which no statement may take to plan).
func (t *translator) valuesQuery(rows []*pg.Node) (sqlparser.SelectStatement, error) {
	vt, err := t.valuesTable(rows, "*VALUES*", nil)
	if err != nil {
		return nil, err
	}
	return &sqlparser.Select{SelectExprs: sqlparser.SelectExprs{&sqlparser.StarExpr{}}, From: sqlparser.TableExprs{vt}}, nil
}

// valuesTable translates VALUES rows used as a table named name, with the
// given column names (column1, column2, ... when there are none).
func (t *translator) valuesTable(rows []*pg.Node, name string, cols sqlparser.Columns) (*sqlparser.AliasedTableExpr, error) {
	lists, err := t.valuesLists(rows)
	if err != nil {
		return nil, err
	}
	vs := &sqlparser.ValuesStatement{Columns: cols}
	for _, items := range lists {
		tuple := make(sqlparser.ValTuple, len(items))
		for i, it := range items {
			if tuple[i], err = t.expr(it); err != nil {
				return nil, err
			}
		}
		vs.Rows = append(vs.Rows, tuple)
	}
	width := len(lists[0])
	if len(vs.Columns) > width {
		return nil, t.errorAt(-1, "table \"%s\" has %d columns available but %d columns specified", name, width, len(vs.Columns))
	}
	for i := len(vs.Columns); i < width; i++ {
		vs.Columns = append(vs.Columns, sqlparser.NewColIdent("column"+strconv.Itoa(i+1)))
	}
	return &sqlparser.AliasedTableExpr{Expr: vs, As: sqlparser.NewTableIdent(name)}, nil
}

// valuesLists returns the items of VALUES rows, which must all have the
// same length.
func (t *translator) valuesLists(rows []*pg.Node) ([][]*pg.Node, error) {
	out := make([][]*pg.Node, 0, len(rows))
	for _, r := range rows {
		items := r.GetList().GetItems()
		if len(out) > 0 && len(items) != len(out[0]) {
			return nil, t.errorAt(location(r), "VALUES lists must all be the same length")
		}
		out = append(out, items)
	}
	return out, nil
}

// where translates a WHERE (or HAVING) condition.
func (t *translator) where(typ string, n *pg.Node) (*sqlparser.Where, error) {
	if n == nil {
		return nil, nil
	}
	if n.GetCurrentOfExpr() != nil {
		return nil, t.unsupported(-1, "WHERE CURRENT OF is not supported")
	}
	var e sqlparser.Expr
	translate := func() (err error) {
		e, err = t.expr(n)
		return err
	}
	var err error
	if typ == sqlparser.WhereStr {
		err = t.refuseAggregates("WHERE", translate)
	} else {
		err = translate()
	}
	if err != nil {
		return nil, err
	}
	return sqlparser.NewWhere(typ, e), nil
}

// sortOrder is a sort key's direction and NULL placement, PostgreSQL's
// defaults applied (NULLs last ascending, first descending).
func (t *translator) sortOrder(sb *pg.SortBy) (desc, nullsFirst bool, err error) {
	if sb.SortbyDir == pg.SortByDir_SORTBY_USING {
		return false, false, t.unsupported(sb.Location, "ORDER BY ... USING is not supported")
	}
	desc = sb.SortbyDir == pg.SortByDir_SORTBY_DESC
	nullsFirst = desc
	switch sb.SortbyNulls {
	case pg.SortByNulls_SORTBY_NULLS_FIRST:
		nullsFirst = true
	case pg.SortByNulls_SORTBY_NULLS_LAST:
		nullsFirst = false
	}
	return desc, nullsFirst, nil
}

func (t *translator) simpleSelect(s *pg.SelectStmt) (*sqlparser.Select, error) {
	sel := &sqlparser.Select{}
	switch {
	case len(s.DistinctClause) == 1 && s.DistinctClause[0].GetNode() == nil:
		sel.QueryOpts.Distinct = true
	case len(s.DistinctClause) > 0:
		return nil, t.unsupported(location(s.DistinctClause[0]), "SELECT DISTINCT ON is not supported")
	}
	if s.GroupDistinct {
		return nil, t.unsupported(-1, "GROUP BY DISTINCT is not supported")
	}
	var err error
	if sel.SelectExprs, err = t.selectList(s.TargetList); err != nil {
		return nil, err
	}
	if err := t.checkFromNames(s.FromClause, map[string]bool{}); err != nil {
		return nil, err
	}
	for _, f := range s.FromClause {
		te, err := t.fromItem(f)
		if err != nil {
			return nil, err
		}
		sel.From = append(sel.From, te)
	}
	if sel.Where, err = t.where(sqlparser.WhereStr, s.WhereClause); err != nil {
		return nil, err
	}
	for _, g := range s.GroupClause {
		switch g.GetNode().(type) {
		case *pg.Node_GroupingSet:
			return nil, t.unsupported(location(g), "GROUPING SETS, ROLLUP and CUBE are not supported")
		}
		if c := g.GetAConst(); c != nil && c.GetIval() != nil {
			// GROUP BY n: a position in the select list, which the engine
			// reads from a bare integer (one past the list failed while
			// running, with the engine's "column ordinal out of range").
			k := int(c.GetIval().GetIval())
			if !inSelectList(k, s.TargetList) {
				return nil, t.errorAt(c.Location, "GROUP BY position %d is not in select list", k)
			}
			sel.GroupBy = append(sel.GroupBy, sqlparser.NewIntVal([]byte(strconv.Itoa(k))))
			continue
		} else if c != nil {
			// As in PostgreSQL: a constant names nothing to group by (the
			// engine would call it an ORDER BY position).
			return nil, t.errorAt(c.Location, "non-integer constant in GROUP BY")
		}
		e, err := t.expr(g)
		if err != nil {
			return nil, err
		}
		sel.GroupBy = append(sel.GroupBy, paramAsExpression(g, e))
	}
	having := s.HavingClause
	if having != nil && len(s.GroupClause) == 0 {
		// HAVING without GROUP BY makes the query one group, even over
		// no rows (SELECT 1 FROM t HAVING true is one row). The engine
		// groups only a query that aggregates, and filtered each row
		// instead: the condition is joined with an aggregate that holds
		// for every group, count(*) >= 0.
		countAll := pg.MakeFuncCallNode([]*pg.Node{pg.MakeStrNode("count")}, nil, -1)
		countAll.GetFuncCall().AggStar = true
		holds := pg.MakeAExprNode(pg.A_Expr_Kind_AEXPR_OP, []*pg.Node{pg.MakeStrNode(">=")}, countAll, pg.MakeAConstIntNode(0, -1), -1)
		having = pg.MakeBoolExprNode(pg.BoolExprType_AND_EXPR, []*pg.Node{having, holds}, -1)
	}
	if sel.Having, err = t.where(sqlparser.HavingStr, having); err != nil {
		return nil, err
	}
	if sel.Window, err = t.windowChecks(); err != nil {
		return nil, err
	}
	return sel, nil
}

// selectList translates a target list. An unaliased expression other than
// a column reference is labelled with its text as written (labels.go).
func (t *translator) selectList(targets []*pg.Node) (sqlparser.SelectExprs, error) {
	out := make(sqlparser.SelectExprs, 0, len(targets))
	for _, n := range targets {
		rt := n.GetResTarget()
		if rt == nil {
			return nil, t.errorAt(location(n), "unexpected %s in the select list", nodeName(n))
		}
		if len(rt.Indirection) > 0 {
			return nil, t.unsupported(rt.Location, "subscripts in the select list are not supported")
		}
		if cr := rt.Val.GetColumnRef(); cr != nil && isStar(cr) {
			star, err := t.star(cr)
			if err != nil {
				return nil, err
			}
			out = append(out, star)
			continue
		}
		e, err := t.expr(rt.Val)
		if err != nil {
			return nil, err
		}
		ae := &sqlparser.AliasedExpr{Expr: e}
		switch {
		case rt.Name != "":
			if err := t.checkIdent(rt.Name, rt.Location); err != nil {
				return nil, err
			}
			ae.As = sqlparser.NewColIdent(rt.Name)
		case rt.Val.GetColumnRef() == nil:
			ae.InputExpression = exprText(t.pre.src, t.pre.srcOffset(int(rt.Location)))
		}
		out = append(out, ae)
	}
	return out, nil
}

func isStar(cr *pg.ColumnRef) bool {
	f := cr.Fields
	return len(f) > 0 && f[len(f)-1].GetAStar() != nil
}

// star translates *, t.* and ns.t.*.
func (t *translator) star(cr *pg.ColumnRef) (*sqlparser.StarExpr, error) {
	names, err := t.refNames(cr)
	if err != nil {
		return nil, err
	}
	q, err := t.qualifier(names, cr.Location)
	if err != nil {
		return nil, err
	}
	return &sqlparser.StarExpr{TableName: q}, nil
}

// orderBy translates ORDER BY. PostgreSQL sorts NULLs last ascending and
// first descending, the engine the other way round; where the two differ
// for a key, a marker key (FnNulls) follows it, which the engine's
// analyzer turns into the key's NULL placement and removes. A marker is
// a constant, so it works after any key (an output alias, a position, a
// window function), adds no work, and leaves an ORDER BY of the primary
// key reading the index in order.
func (t *translator) orderBy(sorts []*pg.Node, targets []*pg.Node, setOp bool) (sqlparser.OrderBy, error) {
	var out sqlparser.OrderBy
	for _, n := range sorts {
		sb := n.GetSortBy()
		if sb == nil {
			return nil, t.errorAt(location(n), "unexpected %s in ORDER BY", nodeName(n))
		}
		desc, nullsFirst, err := t.sortOrder(sb)
		if err != nil {
			return nil, err
		}
		e, err := t.sortKey(sb.Node, targets, setOp)
		if err != nil {
			return nil, err
		}
		dir := sqlparser.AscScr
		if desc {
			dir = sqlparser.DescScr
		}
		out = append(out, &sqlparser.Order{Expr: e, Direction: dir})
		// The engine puts NULLs first ascending and last descending.
		if nullsFirst != !desc {
			place := "last"
			if nullsFirst {
				place = "first"
			}
			// The key's position keeps markers distinct: the engine drops
			// an ORDER BY key equal to an earlier one.
			marker := call(FnNulls, str(strconv.Itoa(len(out)-1)+":"+place))
			out = append(out, &sqlparser.Order{Expr: marker, Direction: sqlparser.AscScr})
		}
	}
	return out, nil
}

// sortKey translates one ORDER BY expression; a number is a position in
// the select list, as in PostgreSQL.
func (t *translator) sortKey(n *pg.Node, targets []*pg.Node, setOp bool) (sqlparser.Expr, error) {
	c := n.GetAConst()
	if c == nil {
		if setOp {
			return t.setOpSortKey(n, targets)
		}
		e, err := t.expr(n)
		if err != nil {
			return nil, err
		}
		e = paramAsExpression(n, e)
		if hasWindowCall(n) {
			// The engine's planner finds a window function both here and
			// in the select list and fails ("ambiguous column or alias
			// name"): a key equal to an entry of the list is its position.
			for i, tn := range targets {
				v := tn.GetResTarget().GetVal()
				if cr := v.GetColumnRef(); cr != nil && isStar(cr) {
					break // the positions after a * are not known here
				}
				if v != nil && t.sameExpr(v, e) {
					return sqlparser.NewIntVal([]byte(strconv.Itoa(i + 1))), nil
				}
			}
		}
		return e, nil
	}
	if c.GetIval() == nil {
		return nil, t.errorAt(c.Location, "non-integer constant in ORDER BY")
	}
	k := int(c.GetIval().GetIval())
	if !inSelectList(k, targets) {
		return nil, t.errorAt(c.Location, "ORDER BY position %d is not in select list", k)
	}
	// The engine resolves a position in the select list itself.
	return sqlparser.NewIntVal([]byte(strconv.Itoa(k))), nil
}

// paramAsExpression is e, the translation of n, as a GROUP BY or ORDER BY
// key: a parameter ($1) is a value there, as in PostgreSQL, and its
// placeholder is put in parentheses. The engine reads a bare placeholder
// there as a literal, MySQL's position in the select list: it grouped or
// sorted by the column a number bound to it named, and refused any other
// value for GROUP BY ("expected integer order by literal").
func paramAsExpression(n *pg.Node, e sqlparser.Expr) sqlparser.Expr {
	if n.GetParamRef() == nil {
		return e
	}
	return &sqlparser.ParenExpr{Expr: e}
}

// inSelectList reports whether position k (from 1) may name an entry of
// the select list; with a * in it the list's length is not known here, and
// the engine checks a position past it.
func inSelectList(k int, targets []*pg.Node) bool {
	if k < 1 {
		return false
	}
	for _, tn := range targets {
		if cr := tn.GetResTarget().GetVal().GetColumnRef(); cr != nil && isStar(cr) {
			return true
		}
	}
	return k <= len(targets)
}

// setOpSortKey translates an ORDER BY key of a set operation, which
// PostgreSQL only allows to name an output column.
func (t *translator) setOpSortKey(n *pg.Node, targets []*pg.Node) (sqlparser.Expr, error) {
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) != 1 || cr.Fields[0].GetString_() == nil {
		return nil, t.errorAt(location(n), "invalid UNION/INTERSECT/EXCEPT ORDER BY clause: only a result column's name or position can be used, not expressions or functions")
	}
	// The result's columns are the first query's. A name none of them
	// has is PostgreSQL's error; the engine found it in a table of a
	// branch and failed while sorting ("unable to find field").
	name := cr.Fields[0].GetString_().GetSval()
	if names, ok := outputNames(targets); ok && !slices.Contains(names, name) {
		return nil, t.errorAt(location(n), "column %q does not exist", name)
	}
	return t.expr(n)
}

// outputNames are the names of a select list's columns when each is
// known from the text: an alias, or a column's name; ok is false for a *
// or an expression without an alias.
func outputNames(targets []*pg.Node) (names []string, ok bool) {
	for _, tn := range targets {
		rt := tn.GetResTarget()
		if rt == nil {
			return nil, false
		}
		if rt.Name != "" {
			names = append(names, rt.Name)
			continue
		}
		cr := rt.GetVal().GetColumnRef()
		if cr == nil || len(cr.Fields) == 0 {
			return nil, false
		}
		last := cr.Fields[len(cr.Fields)-1].GetString_()
		if last == nil {
			return nil, false // a *
		}
		names = append(names, last.GetSval())
	}
	return names, len(names) > 0
}

// limit translates LIMIT/OFFSET (and FETCH FIRST n ROWS ONLY, which
// PostgreSQL parses to the same).
func (t *translator) limit(s *pg.SelectStmt) (*sqlparser.Limit, error) {
	if s.LimitOption == pg.LimitOption_LIMIT_OPTION_WITH_TIES {
		return nil, t.unsupported(-1, "FETCH ... WITH TIES is not supported")
	}
	count, err := t.limitValue(s.LimitCount, "LIMIT")
	if err != nil {
		return nil, err
	}
	offset, err := t.limitValue(s.LimitOffset, "OFFSET")
	if err != nil {
		return nil, err
	}
	if count == nil && offset == nil {
		return nil, nil
	}
	if count == nil {
		// OFFSET alone: the engine needs a row count.
		count = sqlparser.NewIntVal([]byte("9223372036854775807"))
	}
	return &sqlparser.Limit{Rowcount: count, Offset: offset}, nil
}

// limitValue is a LIMIT or OFFSET operand: a non-negative integer or a
// parameter; NULL (and LIMIT ALL) mean none.
func (t *translator) limitValue(n *pg.Node, what string) (sqlparser.Expr, error) {
	if n == nil {
		return nil, nil
	}
	if c := n.GetAConst(); c != nil {
		switch {
		case c.Isnull:
			return nil, nil
		case c.GetIval() != nil:
			v := c.GetIval().GetIval()
			if v < 0 {
				return nil, t.errorAt(c.Location, "%s must not be negative", what)
			}
			return sqlparser.NewIntVal([]byte(strconv.FormatInt(int64(v), 10))), nil
		case c.GetFval() != nil:
			v := c.GetFval().GetFval()
			if _, err := strconv.ParseInt(v, 10, 64); err == nil && !strings.HasPrefix(v, "-") {
				return sqlparser.NewIntVal([]byte(v)), nil
			}
		}
	}
	if p := n.GetParamRef(); p != nil {
		return t.expr(n)
	}
	if v, ok, err := t.constantCount(n); err != nil {
		return nil, err
	} else if ok {
		if v < 0 {
			return nil, t.errorAt(location(n), "%s must not be negative", what)
		}
		return sqlparser.NewIntVal([]byte(strconv.FormatInt(v, 10))), nil
	}
	return nil, t.errorAt(location(n), "%s must be a constant number or a parameter", what)
}

// with translates a WITH clause; every CTE must be a query.
func (t *translator) with(w *pg.WithClause) (*sqlparser.With, error) {
	out := &sqlparser.With{Recursive: w.Recursive}
	for _, n := range w.Ctes {
		cte := n.GetCommonTableExpr()
		if cte == nil {
			return nil, t.errorAt(location(n), "unexpected %s in WITH", nodeName(n))
		}
		if cte.SearchClause != nil || cte.CycleClause != nil {
			return nil, t.unsupported(cte.Location, "SEARCH and CYCLE clauses are not supported")
		}
		q := cte.Ctequery.GetSelectStmt()
		if q == nil {
			return nil, t.unsupported(cte.Location, "a WITH query must be a SELECT: data-modifying statements in WITH are not supported")
		}
		if err := t.checkIdent(cte.Ctename, cte.Location); err != nil {
			return nil, err
		}
		sel, err := t.selectStmt(q)
		if err != nil {
			return nil, err
		}
		cols, err := t.nameList(cte.Aliascolnames, cte.Location)
		if err != nil {
			return nil, err
		}
		cols = padColumnNames(cols, sel)
		out.Ctes = append(out.Ctes, &sqlparser.CommonTableExpr{
			AliasedTableExpr: &sqlparser.AliasedTableExpr{Expr: &sqlparser.Subquery{Select: sel}, As: sqlparser.NewTableIdent(t.withName(cte.Ctename))},
			Columns:          cols,
		})
	}
	return out, nil
}

// padColumnNames completes a column alias list shorter than its query's
// columns with the names of the others, as PostgreSQL does ((SELECT a, b
// ...) AS t(x) names the columns x and b); the engine wants one name per
// column. The names are known when the select list (a set operation's
// first) has no *; otherwise, and for a list too long, cols is returned as
// it is and the engine refuses it.
func padColumnNames(cols sqlparser.Columns, sel sqlparser.SelectStatement) sqlparser.Columns {
	if len(cols) == 0 {
		return cols
	}
	for {
		switch s := sel.(type) {
		case *sqlparser.SetOp:
			sel = s.Left
			continue
		case *sqlparser.ParenSelect:
			sel = s.Select
			continue
		}
		break
	}
	s, ok := sel.(*sqlparser.Select)
	if !ok || len(cols) >= len(s.SelectExprs) {
		return cols
	}
	out := append(sqlparser.Columns(nil), cols...)
	for _, se := range s.SelectExprs[len(cols):] {
		ae, ok := se.(*sqlparser.AliasedExpr)
		if !ok {
			return cols // a *
		}
		switch {
		case !ae.As.IsEmpty():
			out = append(out, ae.As)
		case isColName(ae.Expr):
			out = append(out, ae.Expr.(*sqlparser.ColName).Name)
		default:
			out = append(out, sqlparser.NewColIdent(ae.InputExpression))
		}
	}
	return out
}

func isColName(e sqlparser.Expr) bool {
	_, ok := e.(*sqlparser.ColName)
	return ok
}

// nameList translates a list of String nodes (column aliases, USING).
func (t *translator) nameList(nodes []*pg.Node, loc int32) (sqlparser.Columns, error) {
	var out sqlparser.Columns
	for _, c := range nodes {
		s := c.GetString_()
		if s == nil {
			return nil, t.errorAt(loc, "expected a column name")
		}
		if err := t.checkIdent(s.Sval, loc); err != nil {
			return nil, err
		}
		out = append(out, sqlparser.NewColIdent(s.Sval))
	}
	return out, nil
}

// fromItem translates a FROM item: a table, a join or a subquery.
// checkFromNames refuses FROM entries that share a name (a table's, or
// the alias that replaces it), in PostgreSQL's words; seen holds the
// names of the entries before. The engine refuses tables and joined
// entries so, but let subqueries listed with commas through, and then
// called every column they shared ambiguous. A join with an alias is one
// entry of that name; its own entries are checked apart.
func (t *translator) checkFromNames(from []*pg.Node, seen map[string]bool) error {
	for _, n := range from {
		name, loc := "", int32(-1)
		switch f := n.GetNode().(type) {
		case *pg.Node_RangeVar:
			name, loc = f.RangeVar.Relname, f.RangeVar.Location
			if f.RangeVar.Alias != nil {
				name = f.RangeVar.Alias.Aliasname
			}
		case *pg.Node_RangeSubselect:
			if f.RangeSubselect.Alias != nil {
				name = f.RangeSubselect.Alias.Aliasname
			}
		case *pg.Node_RangeFunction:
			if f.RangeFunction.Alias != nil {
				name = f.RangeFunction.Alias.Aliasname
			}
		case *pg.Node_JoinExpr:
			j := f.JoinExpr
			inner := seen
			if j.Alias != nil {
				name, inner = j.Alias.Aliasname, map[string]bool{}
			}
			if err := t.checkFromNames([]*pg.Node{j.Larg, j.Rarg}, inner); err != nil {
				return err
			}
		}
		if name == "" {
			continue
		}
		if seen[name] {
			return t.errorAt(loc, "table name %q specified more than once", name)
		}
		seen[name] = true
	}
	return nil
}

func (t *translator) fromItem(n *pg.Node) (sqlparser.TableExpr, error) {
	switch f := n.GetNode().(type) {
	case *pg.Node_RangeVar:
		ate, err := t.rangeVar(f.RangeVar, true)
		if err != nil {
			return nil, err
		}
		if internal, ok := t.cteName(f.RangeVar); ok {
			if ate.As.IsEmpty() {
				ate.As = sqlparser.NewTableIdent(f.RangeVar.Relname)
			}
			ate.Expr = sqlparser.TableName{Name: sqlparser.NewTableIdent(internal)}
		}
		return ate, nil
	case *pg.Node_JoinExpr:
		return t.join(f.JoinExpr)
	case *pg.Node_RangeSubselect:
		rs := f.RangeSubselect
		if rs.Lateral {
			return nil, t.unsupported(-1, "LATERAL subqueries are not supported")
		}
		q := rs.Subquery.GetSelectStmt()
		if q == nil {
			return nil, t.errorAt(location(rs.Subquery), "unexpected %s in FROM", nodeName(rs.Subquery))
		}
		// PostgreSQL 16 allows an unnamed subquery; the engine needs a name.
		name := "unnamed_subquery"
		var cols sqlparser.Columns
		if rs.Alias != nil {
			if err := t.checkIdent(rs.Alias.Aliasname, -1); err != nil {
				return nil, err
			}
			name = rs.Alias.Aliasname
			var err error
			if cols, err = t.nameList(rs.Alias.Colnames, -1); err != nil {
				return nil, err
			}
		}
		if isPlainValues(q) {
			return t.valuesTable(q.ValuesLists, name, cols)
		}
		sel, err := t.selectStmt(q)
		if err != nil {
			return nil, err
		}
		cols = padColumnNames(cols, sel)
		return &sqlparser.AliasedTableExpr{Expr: &sqlparser.Subquery{Select: sel, Columns: cols}, As: sqlparser.NewTableIdent(name)}, nil
	case *pg.Node_RangeFunction:
		return t.rangeFunction(f.RangeFunction)
	case *pg.Node_RangeTableSample:
		return nil, t.unsupported(f.RangeTableSample.Location, "TABLESAMPLE is not supported")
	}
	return nil, t.unsupported(location(n), "%s in FROM is not supported", nodeName(n))
}

// rangeVar translates a table name; aliased says whether an alias may
// follow it.
func (t *translator) rangeVar(rv *pg.RangeVar, aliased bool) (*sqlparser.AliasedTableExpr, error) {
	tn, err := t.tableName(rv)
	if err != nil {
		return nil, err
	}
	ate := &sqlparser.AliasedTableExpr{Expr: tn}
	if rv.Alias != nil {
		if !aliased {
			return nil, t.unsupported(rv.Location, "a table alias is not supported here")
		}
		if len(rv.Alias.Colnames) > 0 {
			return nil, t.unsupported(rv.Location, "column aliases on a table are not supported")
		}
		if err := t.checkIdent(rv.Alias.Aliasname, rv.Location); err != nil {
			return nil, err
		}
		ate.As = sqlparser.NewTableIdent(rv.Alias.Aliasname)
	}
	return ate, nil
}

func (t *translator) tableName(rv *pg.RangeVar) (sqlparser.TableName, error) {
	if rv.Catalogname != "" {
		return sqlparser.TableName{}, t.errorAt(rv.Location, "a table name has at most two parts (namespace.table): %s.%s.%s", rv.Catalogname, rv.Schemaname, rv.Relname)
	}
	for _, s := range []string{rv.Schemaname, rv.Relname} {
		if err := t.checkIdent(s, rv.Location); err != nil {
			return sqlparser.TableName{}, err
		}
	}
	return sqlparser.TableName{Name: sqlparser.NewTableIdent(rv.Relname), DbQualifier: sqlparser.NewTableIdent(rv.Schemaname)}, nil
}

func (t *translator) join(j *pg.JoinExpr) (sqlparser.TableExpr, error) {
	if j.IsNatural {
		return nil, t.unsupported(-1, "NATURAL JOIN is not supported; name the join columns with USING (...)")
	}
	if j.Alias != nil || j.JoinUsingAlias != nil {
		return nil, t.unsupported(-1, "an alias on a join is not supported")
	}
	left, err := t.fromItem(j.Larg)
	if err != nil {
		return nil, err
	}
	right, err := t.fromItem(j.Rarg)
	if err != nil {
		return nil, err
	}
	out := &sqlparser.JoinTableExpr{LeftExpr: left, RightExpr: right}
	switch j.Jointype {
	case pg.JoinType_JOIN_INNER:
		out.Join = sqlparser.JoinStr
	case pg.JoinType_JOIN_LEFT:
		out.Join = sqlparser.LeftJoinStr
	case pg.JoinType_JOIN_RIGHT:
		out.Join = sqlparser.RightJoinStr
	case pg.JoinType_JOIN_FULL:
		out.Join = sqlparser.FullOuterJoinStr
	default:
		return nil, t.unsupported(-1, "join type %s is not supported", j.Jointype)
	}
	if len(j.UsingClause) > 0 {
		if j.Jointype == pg.JoinType_JOIN_FULL {
			// The engine has no FULL JOIN USING (it failed the statement
			// with its own "unknown using join type"), whose column is
			// PostgreSQL's COALESCE of both sides'.
			return nil, t.unsupported(-1, "FULL JOIN ... USING is not supported; write FULL JOIN ... ON l.col = r.col and COALESCE(l.col, r.col) for the column")
		}
		if out.Condition.Using, err = t.nameList(j.UsingClause, -1); err != nil {
			return nil, err
		}
	}
	if j.Quals != nil {
		if out.Condition.On, err = t.expr(j.Quals); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// isPlainValues reports whether q is VALUES rows and nothing else (no
// ORDER BY, LIMIT or WITH of its own).
func isPlainValues(q *pg.SelectStmt) bool {
	return len(q.ValuesLists) > 0 && len(q.SortClause) == 0 && q.LimitCount == nil && q.LimitOffset == nil && q.WithClause == nil
}

// hasWindowCall reports whether expression n is, or applies an operator
// or a function to, a window function call (f(...) OVER ...).
func hasWindowCall(n *pg.Node) bool {
	switch {
	case n.GetFuncCall() != nil:
		fc := n.GetFuncCall()
		if fc.Over != nil {
			return true
		}
		for _, a := range fc.Args {
			if hasWindowCall(a) {
				return true
			}
		}
	case n.GetAExpr() != nil:
		return hasWindowCall(n.GetAExpr().Lexpr) || hasWindowCall(n.GetAExpr().Rexpr)
	case n.GetTypeCast() != nil:
		return hasWindowCall(n.GetTypeCast().Arg)
	}
	return false
}
