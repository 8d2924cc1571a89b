package engine

import (
	"slices"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// An untyped literal (a string or a text parameter) compared with a
// DATETIME column is a DATETIME (PostgreSQL's timestamptz), so a zone in
// its text converts it to UTC, as it does when the text is written into
// the column or cast. TIMESTAMP and DATETIME columns have one engine type,
// so the type-checking rule, which types such a literal by the engine
// type it meets, read it as a TIMESTAMP and dropped the zone: at =
// '2024-03-11 00:30:00+01:30' matched the row 90 minutes away and missed
// the one written with the same text, and an UPDATE changed it. Before
// that rule runs, zonedLiterals types the literals compared (=, <=>, <,
// <=, >, >=, BETWEEN, IN) with a DATETIME value: a DATETIME column (from
// its declared type, which the plan's tables know) or any timestamptz
// expression of PostgreSQL (zonedExpr: at + interval '1 hour',
// date_trunc('hour', at), COALESCE(at, ts), a subquery selecting at).
// Next to a TIMESTAMP value the zone stays ignored, as PostgreSQL ignores
// it in timestamp input.

// dateTimeDT is the type of DATETIME columns.
var dateTimeDT = dialect.DataType{Name: dialect.TypeDateTime}

// columnKey names a column of a plan: its table's id and its name.
type columnKey struct {
	table sql.TableId
	name  string
}

// dateTimeTable is a table that knows which of its columns were declared
// DATETIME.
type dateTimeTable interface {
	isDateTime(column string) bool
}

// isDateTime reports whether the column named column was declared
// DATETIME.
func (t *dataTable) isDateTime(column string) bool {
	return t.shape.dateTime != nil && t.shape.dateTime[strings.ToLower(column)]
}

// zonedLiterals types the untyped literals compared with DATETIME columns
// in n (and its subqueries) as DATETIME.
func zonedLiterals(n sql.Node) (sql.Node, transform.TreeIdentity, error) {
	n, insSame, err := transform.Node(n, zonedInsert)
	if err != nil {
		return nil, transform.SameTree, err
	}
	out, same, err := zonedLiteralsIn(n, nil)
	return out, same && insSame, err
}

// zonedInsert types the untyped literals INSERT ... VALUES writes into
// DATETIME columns as DATETIME (the fast path for plain INSERTs reads them
// with the column's declared type already).
func zonedInsert(node sql.Node) (sql.Node, transform.TreeIdentity, error) {
	ii, ok := node.(*plan.InsertInto)
	if !ok {
		return node, transform.SameTree, nil
	}
	vals, ok := ii.Source.(*plan.Values)
	if !ok {
		return node, transform.SameTree, nil
	}
	dest := ii.Destination
	if d, ok := dest.(*plan.InsertDestination); ok {
		dest = d.Child
	}
	rt, ok := dest.(*plan.ResolvedTable)
	if !ok {
		return node, transform.SameTree, nil
	}
	dt, ok := rt.UnderlyingTable().(dateTimeTable)
	if !ok {
		return node, transform.SameTree, nil
	}
	var zoned []int
	for i, name := range ii.ColumnNames {
		if dt.isDateTime(name) {
			zoned = append(zoned, i)
		}
	}
	if len(zoned) == 0 {
		return node, transform.SameTree, nil
	}
	var rows [][]sql.Expression
	for r, tuple := range vals.ExpressionTuples {
		for _, i := range zoned {
			if i >= len(tuple) || familyOf(tuple[i]) != famUnknown {
				continue
			}
			c, err := coerce(tuple[i], dateTimeDT)
			if err != nil {
				return nil, transform.SameTree, err
			}
			if rows == nil {
				rows = make([][]sql.Expression, len(vals.ExpressionTuples))
				copy(rows, vals.ExpressionTuples)
			}
			if &rows[r][0] == &vals.ExpressionTuples[r][0] {
				rows[r] = append([]sql.Expression(nil), tuple...)
			}
			rows[r][i] = c
		}
	}
	if rows == nil {
		return node, transform.SameTree, nil
	}
	src, err := vals.WithExpressions(flatten(rows)...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return ii.WithSource(src), transform.NewTree, nil
}

// flatten lists the expressions of rows in order.
func flatten(rows [][]sql.Expression) []sql.Expression {
	var out []sql.Expression
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func zonedLiteralsIn(n sql.Node, outer map[columnKey]bool) (sql.Node, transform.TreeIdentity, error) {
	// No early return without DATETIME columns: now() and
	// ts::timestamptz are DATETIME values too.
	cols := dateTimeColumns(n, outer)
	return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		if sq, ok := e.(*plan.Subquery); ok {
			q, same, err := zonedLiteralsIn(sq.Query, cols)
			if err != nil || same {
				return e, transform.SameTree, err
			}
			return sq.WithQuery(q), transform.NewTree, nil
		}
		if sf, ok := e.(*expression.SetField); ok {
			// UPDATE ... SET at = '...+01:30'.
			if gf, ok := sf.LeftChild.(*expression.GetField); ok && cols[columnKey{gf.TableId(), strings.ToLower(gf.Name())}] &&
				familyOf(sf.RightChild) == famUnknown {
				c, err := coerce(sf.RightChild, dateTimeDT)
				if err != nil {
					return nil, transform.SameTree, err
				}
				return expression.NewSetField(sf.LeftChild, c), transform.NewTree, nil
			}
			return e, transform.SameTree, nil
		}
		if f, ok := e.(*pgFunc); ok {
			return zonedArgs(f, cols)
		}
		return zonedComparison(e, cols)
	})
}

// zoneLiteral is an untyped literal with a zone that COALESCE, GREATEST,
// LEAST, NULLIF or CASE typed as a TIMESTAMP next to their other
// timestamps, the zone ignored. Those functions are built when the
// statement is planned, before the plan's tables tell a DATETIME column
// from a TIMESTAMP one (both are the engine's DATETIME), so the literal
// keeps its instant: zonedArgs makes it the value when another argument
// turns out to be a DATETIME, as PostgreSQL resolves COALESCE(at,
// '...+02') to timestamptz and reads the zone. Only literals whose zone
// changes their value are wrapped; the rest stay the engine's literals.
type zoneLiteral struct {
	*expression.Literal
	// instant is the DATETIME value: the text read with its zone.
	instant any
	// zoned: the literal is a DATETIME (instant is its value).
	zoned bool
}

var _ sql.Expression = (*zoneLiteral)(nil)

// WithChildren implements sql.Expression: the embedded literal's would
// return the literal itself, without its instant.
func (l *zoneLiteral) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(l, len(children), 0)
	}
	return l, nil
}

// coerceTimestampText reads the untyped literal e as a TIMESTAMP (its zone
// ignored), a zoneLiteral when its zone changes its instant; a parameter
// not bound yet is cast when evaluated.
func coerceTimestampText(e sql.Expression) (sql.Expression, error) {
	c, err := coerce(e, tsType)
	if err != nil {
		return nil, err
	}
	lit, ok := asLiteral(e)
	tsLit, isLit := asLiteral(c)
	if !ok || !isLit {
		return c, nil
	}
	inst, err := castValue(nil, lit.Value(), famUnknown, dateTimeDT, false)
	if err != nil {
		// Read as a TIMESTAMP it converted, which is what is asked
		// here; as a DATETIME it has no other instant to offer.
		return c, nil
	}
	a, aok := tsLit.Value().(time.Time)
	b, bok := inst.(time.Time)
	if !aok || !bok || a.Equal(b) {
		return c, nil
	}
	return &zoneLiteral{Literal: tsLit, instant: inst}, nil
}

// zonedArgs makes the zoneLiterals among the arguments f gives one type
// DATETIMEs when another of them is a DATETIME value (zonedExpr): all
// the arguments of COALESCE, GREATEST, LEAST and NULLIF, the results of a
// CASE, and a simple CASE's subject with its WHEN values.
func zonedArgs(f *pgFunc, cols map[columnKey]bool) (sql.Expression, transform.TreeIdentity, error) {
	var groups [][]int
	switch f.name {
	case pgsql.FnCoalesce, pgsql.FnGreatest, pgsql.FnLeast, pgsql.FnNullIf:
		all := make([]int, len(f.args))
		for i := range all {
			all[i] = i
		}
		groups = append(groups, all)
	case pgsql.FnCase:
		c, err := splitCase(f.args)
		if err != nil {
			return f, transform.SameTree, nil
		}
		first := 1
		var whens []int
		if c.simple {
			whens, first = append(whens, 1), 2
		}
		var vals []int
		for i := range c.conds {
			whens = append(whens, first+2*i)
			vals = append(vals, first+2*i+1)
		}
		if c.hasElse {
			vals = append(vals, len(f.args)-1)
		}
		groups = append(groups, vals)
		if c.simple {
			groups = append(groups, whens)
		}
	default:
		return f, transform.SameTree, nil
	}
	var out []sql.Expression
	for _, g := range groups {
		// zonedExpr walks an argument's timestamp subexpressions: only
		// a group with a literal to convert pays for it, so nested
		// COALESCEs without one are not walked once per level.
		if !slices.ContainsFunc(g, func(i int) bool { z, ok := f.args[i].(*zoneLiteral); return ok && !z.zoned }) ||
			!slices.ContainsFunc(g, func(i int) bool { return zonedExpr(f.args[i], cols) }) {
			continue
		}
		if out == nil {
			out = append([]sql.Expression(nil), f.args...)
		}
		for _, i := range g {
			if z, ok := f.args[i].(*zoneLiteral); ok && !z.zoned {
				out[i] = &zoneLiteral{Literal: expression.NewLiteral(z.instant, z.Type()), instant: z.instant, zoned: true}
			}
		}
	}
	if out == nil {
		return f, transform.SameTree, nil
	}
	g, err := f.WithChildren(out...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return g, transform.NewTree, nil
}

// dateTimeColumns lists the DATETIME columns of n's tables, with outer's.
// Each walk stops at a subquery in FROM, a view or a CTE (SubqueryAlias),
// whose columns one recursive call lists and hands up: walking through
// them as well made every level list all the levels below it again, so n
// nested ones cost 2^n.
func dateTimeColumns(n sql.Node, outer map[columnKey]bool) map[columnKey]bool {
	var cols map[columnKey]bool
	add := func(id sql.TableId, t sql.Table) {
		dt, ok := t.(dateTimeTable)
		if !ok {
			return
		}
		for _, c := range t.Schema() {
			if dt.isDateTime(c.Name) {
				if cols == nil {
					cols = make(map[columnKey]bool, len(outer)+1)
				}
				cols[columnKey{id, strings.ToLower(c.Name)}] = true
			}
		}
	}
	var aliases []*plan.SubqueryAlias
	transform.Inspect(n, func(n sql.Node) bool {
		switch x := n.(type) {
		case *plan.ResolvedTable:
			add(x.Id(), x.UnderlyingTable())
		case *plan.TableAlias:
			if rt, ok := x.Child.(*plan.ResolvedTable); ok {
				add(x.Id(), rt.UnderlyingTable())
			}
		case *plan.SubqueryAlias:
			aliases = append(aliases, x)
			return false
		}
		return true
	})
	if len(outer) > 0 {
		if cols == nil {
			cols = make(map[columnKey]bool, len(outer))
		}
		for k := range outer {
			cols[k] = true
		}
	}
	// The DATETIME columns of a subquery in FROM, a view or a CTE are the
	// DATETIME values it selects.
	for _, sa := range aliases {
		inner := dateTimeColumns(sa.Child, outer)
		if len(inner) > 0 && cols == nil {
			cols = make(map[columnKey]bool, len(inner)+1)
		}
		for k := range inner {
			cols[k] = true
		}
		exprs := projection(sa.Child)
		if len(exprs) == 0 {
			continue
		}
		sch := sa.Schema()
		for i, e := range exprs {
			if i < len(sch) && zonedExpr(e, inner) {
				if cols == nil {
					cols = make(map[columnKey]bool, len(outer)+1)
				}
				cols[columnKey{sa.Id(), strings.ToLower(sch[i].Name)}] = true
			}
		}
	}
	// An aggregate of one (max(at)) is read by its name, in the table 0,
	// from a GroupBy's or a Window's output (the columns they pass on are
	// read from their tables).
	transform.Inspect(n, func(n sql.Node) bool {
		if _, ok := n.(*plan.SubqueryAlias); ok {
			return false // listed with its columns above
		}
		p, ok := n.(sql.Projector)
		if _, isProject := n.(*plan.Project); !ok || isProject {
			return true
		}
		sch := n.Schema()
		for i, e := range p.ProjectedExprs() {
			if _, pass := e.(*expression.GetField); !pass && i < len(sch) && zonedExpr(e, cols) {
				if cols == nil {
					cols = make(map[columnKey]bool, len(outer)+1)
				}
				cols[columnKey{0, strings.ToLower(sch[i].Name)}] = true
			}
		}
		return true
	})
	return cols
}

// zonedComparison types the untyped literals of the comparison e as
// DATETIME when one of its operands is a DATETIME value (zonedExpr).
func zonedComparison(e sql.Expression, cols map[columnKey]bool) (sql.Expression, transform.TreeIdentity, error) {
	var ops []sql.Expression
	switch x := e.(type) {
	case *expression.Equals, *expression.NullSafeEquals, *expression.LessThan, *expression.LessThanOrEqual,
		*expression.GreaterThan, *expression.GreaterThanOrEqual, *expression.Between:
		ops = e.Children()
	case *expression.InTuple:
		t, ok := x.Right().(expression.Tuple)
		if !ok {
			return e, transform.SameTree, nil
		}
		ops = append([]sql.Expression{x.Left()}, t...)
	default:
		return e, transform.SameTree, nil
	}
	zoned := false
	for _, o := range ops {
		if zonedExpr(o, cols) {
			zoned = true
			break
		}
	}
	if !zoned {
		return e, transform.SameTree, nil
	}
	out, err := coerceUnknown(ops, dateTimeDT)
	if err != nil {
		return nil, transform.SameTree, err
	}
	if &out[0] == &ops[0] { // nothing was untyped
		return e, transform.SameTree, nil
	}
	if _, ok := e.(*expression.InTuple); ok {
		return expression.NewInTuple(out[0], expression.NewTuple(out[1:]...)), transform.NewTree, nil
	}
	n, err := e.WithChildren(out...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return n, transform.NewTree, nil
}

// zonedExpr reports whether e is a DATETIME value (PostgreSQL's
// timestamptz): a DATETIME column of cols, a cast to DATETIME, now(),
// to_timestamp(), a scalar subquery selecting one, or a timestamp
// computed from one: at + interval, date_trunc, max, and COALESCE,
// GREATEST and CASE results, which PostgreSQL resolves to timestamptz
// when any of their timestamps is one (NULLIF takes its first
// argument's type). Only timestamp
// subexpressions are followed, so the walk stops at the conditions of a
// CASE and at comparisons, which zonedLiteralsIn visits on their own.
func zonedExpr(e sql.Expression, cols map[columnKey]bool) bool {
	if familyOf(e) != famTimestamp {
		return false
	}
	switch x := e.(type) {
	case *zoneLiteral:
		return x.zoned
	case *expression.GetField:
		return cols[columnKey{x.TableId(), strings.ToLower(x.Name())}]
	case *plan.Subquery:
		return zonedQuery(x.Query, cols)
	case *pgFunc:
		switch x.name {
		case pgsql.FnCast, pgsql.FnTryCast:
			// ts::timestamptz is one, at::timestamp is not.
			if len(x.args) != 2 {
				return false
			}
			name, _ := constString(x.args[1])
			dt, err := dialect.ParseDataType(name)
			return err == nil && dt.Name == dialect.TypeDateTime
		case pgsql.FnNow, pgsql.FnClock, fnToTimestamp:
			return true
		case pgsql.FnNullIf:
			// NULLIF(ts, at) is a timestamp: its first argument's type
			// (NULLIF('...+02', at) a DATETIME: zonedArgs made its
			// literal one).
			return len(x.args) > 0 && zonedExpr(x.args[0], cols)
		case pgsql.FnCase:
			// The subject of a simple CASE does not type its result.
			c, err := splitCase(x.args)
			if err != nil {
				return false
			}
			for _, v := range c.vals {
				if zonedExpr(v, cols) {
					return true
				}
			}
			return false
		}
	}
	for _, c := range e.Children() {
		if zonedExpr(c, cols) {
			return true
		}
	}
	return false
}

// fnToTimestamp is to_timestamp, whose result is a timestamptz.
const fnToTimestamp = "kdb_to_timestamp"

// zonedQuery reports whether the first column of the query n is a
// DATETIME value; outer are the DATETIME columns of the queries around it.
func zonedQuery(n sql.Node, outer map[columnKey]bool) bool {
	return zonedColumn(n, 0, outer)
}

// zonedColumn reports whether column i of the query n is a DATETIME
// value; outer are the DATETIME columns of the queries around it.
func zonedColumn(n sql.Node, i int, outer map[columnKey]bool) bool {
	if p, ok := n.(*plan.Project); ok && i < len(p.Projections) {
		// The engine projects a set operation's side again above its
		// own projection: the column is the one below.
		if _, conv := engineConversion(p.Projections[i]); conv {
			return zonedColumn(p.Child, i, outer)
		}
		if _, ref := p.Projections[i].(*expression.GetField); ref {
			if _, below := p.Child.(*plan.Project); below {
				return zonedColumn(p.Child, i, outer)
			}
		}
	}
	if exprs := projection(n); len(exprs) > 0 {
		return i < len(exprs) && zonedExpr(exprs[i], dateTimeColumns(n, outer))
	}
	for n != nil {
		if so, ok := n.(*plan.SetOp); ok {
			// A UNION of a timestamp and a timestamptz is a timestamptz.
			return zonedColumn(so.Left(), i, outer) || zonedColumn(so.Right(), i, outer)
		}
		ch := n.Children()
		if len(ch) != 1 {
			return false
		}
		n = ch[0]
	}
	return false
}

// projection is the list of expressions the query n selects, from its
// topmost Project, GroupBy or Window; nil for a set operation.
func projection(n sql.Node) []sql.Expression {
	for n != nil {
		if p, ok := n.(sql.Projector); ok {
			return p.ProjectedExprs()
		}
		ch := n.Children()
		if len(ch) != 1 {
			return nil
		}
		n = ch[0]
	}
	return nil
}
