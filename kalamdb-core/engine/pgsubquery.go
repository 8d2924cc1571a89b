package engine

import (
	"slices"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// subqueryNot is NOT over a condition that reads a subquery: x NOT IN
// (SELECT ...), x <> ALL (SELECT ...), NOT (x = (SELECT ...)), and AND/OR
// of such. It evaluates like the engine's NOT, row by row; only its type
// differs, so the engine's planner does not recognise it.
//
// The planner turns a NOT over an IN or a comparison with a subquery at
// the top of a WHERE (also after pushing NOT through AND/OR) into an
// anti-join, and its anti-joins give MySQL's answer where PostgreSQL's
// three-valued logic makes the condition NULL: a NULL x was kept when the
// subquery had rows, a value missing from rows that hold a NULL was kept,
// the hash anti-join probed one arbitrary bucket, and NOT (x = (SELECT ...))
// kept every row when the subquery was empty. The engine's IN (subquery)
// evaluated as an expression has PostgreSQL's logic: NULL IN (no rows) is
// false, NULL IN (rows) is NULL, and a value not found among rows holding
// a NULL is NULL. An uncorrelated subquery's rows are read once and hashed
// (the engine caches them), so the condition stays linear in the rows.
type subqueryNot struct {
	*expression.Not
}

var _ sql.Expression = (*subqueryNot)(nil)

func (n *subqueryNot) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(n, len(children), 1)
	}
	return &subqueryNot{Not: expression.NewNot(children[0])}, nil
}

// notOverSubquery makes not a subqueryNot when its operand reads a
// subquery (not counting the subqueries of that subquery's own query).
func notOverSubquery(not *expression.Not) (sql.Expression, transform.TreeIdentity, error) {
	if !readsSubquery(not.Child) {
		return not, transform.SameTree, nil
	}
	if err := notOperand(not.Child); err != nil {
		return nil, transform.SameTree, err
	}
	return &subqueryNot{Not: not}, transform.NewTree, nil
}

func readsSubquery(e sql.Expression) bool {
	return transform.InspectExpr(e, func(e sql.Expression) bool {
		_, ok := e.(*plan.Subquery)
		return ok
	})
}

// notOperand checks that NOT's operand is a boolean.
func notOperand(e sql.Expression) error {
	if f := familyOf(e); f != famBool && f != famNull && f != famUnknown {
		return sqlError("argument of NOT must be type BOOLEAN, not type %s", typeName(e))
	}
	return nil
}

// pgInSubquery is x IN (subquery) as PostgreSQL answers it: true when
// x = r for a row r, else NULL when x = r is NULL for a row, else false.
// The engine converts x to the subquery column's type and looks the
// result up among the hashes of the rows' printed values: a conversion
// that rounds found a false match (1.5 IN (SELECT 2) was true) and one
// that fails answered false even when the rows hold a NULL; a DECIMAL
// was not found among the DOUBLEs it equals as a float (PostgreSQL
// compares numeric with float8 as float8), nor -0 among zeros; and a row
// (x, y) was IN when both it and a row of the subquery held NULLs in the
// same places. With kinds, the rows are hashed by the type each position
// compares in (inRows); without, x is converted to the column's type and
// kept only when that loses nothing (a pair of types inRows does not
// hash). It is used for a row (x, y, ...), for a float on either side
// and where the engine's conversion of x can lose something
// (inSubqueryMayNarrow); elsewhere the engine's IN stays, which the
// planner can turn into a semi-join or an index lookup.
type pgInSubquery struct {
	*plan.InSubquery
	kinds []inKeyKind
	cache *inRowsCache
}

var _ sql.Expression = (*pgInSubquery)(nil)

func newPGInSubquery(in *plan.InSubquery, kinds []inKeyKind) *pgInSubquery {
	return &pgInSubquery{InSubquery: in, kinds: kinds, cache: &inRowsCache{}}
}

func (in *pgInSubquery) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 2 {
		return nil, sql.ErrInvalidChildrenNumber.New(in, len(children), 2)
	}
	return newPGInSubquery(plan.NewInSubquery(children[0], children[1]), in.kinds), nil
}

// Eval is three-valued as in PostgreSQL: NULL IN (no rows) is false, NULL
// IN (rows) is NULL; a value found is true; a value not found is NULL
// when the rows hold a NULL, else false.
func (in *pgInSubquery) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	sq, ok := in.Right().(*plan.Subquery)
	if !ok {
		return in.InSubquery.Eval(ctx, row)
	}
	if in.kinds == nil {
		return in.evalConverted(ctx, sq, row)
	}
	left, err := in.Left().Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	rows, transient, err := in.rowsOf(ctx, sq, row)
	if err != nil {
		return nil, err
	}
	if transient {
		defer rows.held.giveBack(ctx)
	}
	return rows.in(ctx, left)
}

// rowsOf is the subquery's rows for row, hashed: once for the statement
// when the engine caches the subquery's result, else for this row only
// (transient).
func (in *pgInSubquery) rowsOf(ctx *sql.Context, sq *plan.Subquery, row sql.Row) (*inRows, bool, error) {
	if !sq.CanCacheResults() {
		vals, err := sq.EvalMultiple(ctx, row)
		if err != nil {
			return nil, false, err
		}
		r, err := newInRows(in.kinds, vals)
		return r, true, err
	}
	c := in.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rows == nil {
		vals, err := sq.EvalMultiple(ctx, row)
		if err != nil {
			return nil, false, err
		}
		if c.rows, err = newInRows(in.kinds, vals); err != nil {
			return nil, false, err
		}
	}
	return c.rows, false, nil
}

// nullRowKey is the hash of a row holding one NULL, as the engine's
// subquery cache keys it.
var nullRowKey, _ = sql.HashOf(nil, sql.NewRow(nil))

// evalConverted converts x to the column's type and looks it up among the
// engine's hashes of the rows; a value the column's type cannot hold
// exactly is found nowhere.
func (in *pgInSubquery) evalConverted(ctx *sql.Context, sq *plan.Subquery, row sql.Row) (any, error) {
	left, err := in.Left().Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	values, err := sq.HashMultiple(ctx, row)
	if err != nil {
		return nil, err
	}
	if left == nil {
		if values.Size() == 0 {
			return false, nil
		}
		return nil, nil
	}
	col := sq.Type()
	if v, _, err := col.Convert(ctx, left); err == nil && v != nil {
		if c, err := in.Left().Type().Compare(ctx, left, v); err == nil && c == 0 {
			key, err := sql.HashOf(ctx, sql.NewRow(v))
			if err != nil {
				return nil, err
			}
			if found, err := values.Get(key); err == nil {
				if c, err := col.Compare(ctx, v, found); err == nil && c == 0 {
					return true, nil
				}
			}
		}
	}
	if _, err := values.Get(nullRowKey); err == nil {
		return nil, nil
	}
	return false, nil
}

// inSubqueryMayNarrow reports whether converting a value of type left to
// the subquery column's type col can change it (a narrower integer, a
// float to a REAL, a decimal or float to an integer, a timestamp to a
// date). Texts of different types count too: the engine's semi-join
// converts the subquery's text to a VARCHAR(n) operand's type, and fails
// on a longer one.
func inSubqueryMayNarrow(left, col sql.Type) bool {
	if left.Equals(col) {
		return false
	}
	lf, cf := familyOfType(left), familyOfType(col)
	switch {
	case lf == famInt && cf == famInt:
		return intWidth(col) < intWidth(left)
	case lf == famFloat && cf == famFloat:
		return col.Type() == types.Float32.Type()
	}
	return true
}

// maxInColumns bounds the columns of a row IN (subquery) that inRows
// hashes (its masks are bits of a uint64).
const maxInColumns = 63

// pgInSubqueryOf makes x IN (subquery) a pgInSubquery when x is a row, a
// float or a boolean is compared, or the engine's conversion of x could
// lose something.
func pgInSubqueryOf(in *plan.InSubquery) (sql.Expression, transform.TreeIdentity, error) {
	sq, ok := in.Right().(*plan.Subquery)
	if !ok {
		return in, transform.SameTree, nil
	}
	_, tuple := in.Left().(expression.Tuple)
	lefts, sch := keyParts(in.Left()), sq.Query.Schema()
	if len(lefts) != len(sch) || len(sch) > maxInColumns {
		return in, transform.SameTree, nil // the engine reports the mismatch
	}
	if err := inSubqueryOperands(in); err != nil {
		return nil, transform.SameTree, err
	}
	kinds := make([]inKeyKind, len(lefts))
	ownHash := false // a float or a boolean: the engine hashes them apart
	for i, l := range lefts {
		cf := familyOfType(sch[i].Type)
		if tuple {
			if err := comparable(l, cf, "="); err != nil {
				return nil, transform.SameTree, err
			}
		}
		k, ok := inKeyKindOf(familyOf(l), cf)
		if !ok {
			kinds = nil
			break
		}
		kinds[i] = k
		// A boolean is carried as bool or as its TINYINT 1 or 0
		// (boolValue), and the engine hashes the rows as it prints them:
		// b IN (SELECT 1 = 1 ...) found none. inRows keys both alike.
		ownHash = ownHash || k == keyFloat || k == keyBool
	}
	narrows := !tuple && inSubqueryMayNarrow(in.Left().Type(), sch[0].Type)
	// A decimal the engine's DECIMAL(65,30) cannot hold is converted with
	// a loss and hashed as printed: 1e-30 * 1e-30 IN (SELECT 1e-30 *
	// 1e-30) was false.
	wide := slices.ContainsFunc(lefts, beyondEngineDecimal) || slices.ContainsFunc(sch, func(c *sql.Column) bool {
		return familyOfType(c.Type) == famNumeric && beyondEngineDecimalType(c.Type)
	})
	switch {
	case kinds != nil && (tuple || ownHash || narrows || wide):
	case kinds == nil && narrows:
	default:
		return in, transform.SameTree, nil
	}
	return newPGInSubquery(in, kinds), transform.NewTree, nil
}

// inSubqueryOperands checks that x can be compared with the subquery's
// column.
func inSubqueryOperands(in *plan.InSubquery) error {
	sq, ok := in.Right().(*plan.Subquery)
	if !ok {
		return nil
	}
	if sch := sq.Query.Schema(); len(sch) == 1 {
		return comparable(in.Left(), familyOfType(sch[0].Type), "IN")
	}
	return nil
}

// oneRowOperand is a scalar subquery compared with = < <= > >= in a
// condition (x = (SELECT ...)) that may give more than one row. It
// evaluates as the subquery does, failing on a second row as PostgreSQL
// does ("more than one row returned by a subquery used as an
// expression"); only its type differs, so the engine's planner does not
// recognise it. The planner turned such a comparison at the top of a
// WHERE into a semi-join on the subquery's rows without the single-row
// check it means to add (go-mysql-server v0.20.0 sets unnestInSubqueries'
// max1 and never reads it, and its coster cannot cost the Max1Row node
// that would check): WHERE v = (SELECT v ... two rows) kept the rows
// equal to either, and v > (SELECT ...) became v > ANY. An uncorrelated
// subquery is still read once (the engine caches its row).
type oneRowOperand struct {
	expression.UnaryExpression
}

var _ sql.Expression = (*oneRowOperand)(nil)

func (o *oneRowOperand) Type() sql.Type { return o.Child.Type() }
func (o *oneRowOperand) String() string { return o.Child.String() }
func (o *oneRowOperand) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	return o.Child.Eval(ctx, row)
}

func (o *oneRowOperand) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(o, len(children), 1)
	}
	return &oneRowOperand{UnaryExpression: expression.UnaryExpression{Child: children[0]}}, nil
}

// guardScalarSubqueries wraps the subquery operands of comparison c that
// could give more than one row in oneRowOperand. A subquery that gives at
// most one row by its shape (an aggregate without GROUP BY, LIMIT 1) is
// left to the planner, whose semi-join on it is the comparison.
func guardScalarSubqueries(c sql.Expression, same transform.TreeIdentity) (sql.Expression, transform.TreeIdentity, error) {
	switch c.(type) {
	case *expression.Equals, *expression.NullSafeEquals, *expression.LessThan, *expression.LessThanOrEqual,
		*expression.GreaterThan, *expression.GreaterThanOrEqual:
	default:
		return c, same, nil
	}
	children := append([]sql.Expression(nil), c.Children()...)
	changed := false
	for i, ch := range children {
		if sq, ok := ch.(*plan.Subquery); ok && !atMostOneRow(sq.Query) {
			children[i] = &oneRowOperand{UnaryExpression: expression.UnaryExpression{Child: sq}}
			changed = true
		}
	}
	if !changed {
		return c, same, nil
	}
	out, err := c.WithChildren(children...)
	if err != nil {
		return nil, transform.SameTree, err
	}
	return out, transform.NewTree, nil
}

// atMostOneRow reports whether query n gives at most one row by its shape:
// an aggregate without GROUP BY, or LIMIT 0 or 1, under projections, sorts
// and filters.
func atMostOneRow(n sql.Node) bool {
	for {
		switch x := n.(type) {
		case *plan.Project, *plan.Sort, *plan.Filter, *plan.Having, *plan.Distinct:
			n = x.Children()[0]
		case *plan.GroupBy:
			return len(x.GroupByExprs) == 0
		case *plan.Limit:
			lit, ok := asLiteral(x.Limit)
			if !ok {
				return false
			}
			v, ok := lit.Value().(int64)
			return ok && v <= 1
		default:
			return false
		}
	}
}

// outerAggregate refuses an aggregate in subquery sq whose arguments read
// only the outer query's columns (SELECT (SELECT max(t.v)) FROM t). In SQL
// such an aggregate belongs to the outer query, which it groups (one row
// there); the engine computed it inside the subquery, over the one outer
// row it sees, so every outer row answered its own value. Refused rather
// than answered otherwise; the aggregate can be written outside the
// subquery.
func outerAggregate(sq *plan.Subquery) error {
	outer := sq.Correlated()
	if outer.Empty() {
		return nil
	}
	var found sql.Expression
	transform.Inspect(sq.Query, func(n sql.Node) bool {
		gb, ok := n.(*plan.GroupBy)
		if !ok || found != nil {
			return found == nil
		}
		for _, e := range gb.SelectedExprs {
			transform.InspectExpr(e, func(e sql.Expression) bool {
				if agg, ok := e.(sql.Aggregation); ok && found == nil && readsOnlyColumns(agg, outer) {
					found = agg
				}
				return found != nil
			})
		}
		return found == nil
	})
	if found != nil {
		return apierror.New(apierror.Unsupported, "the aggregate %s in a subquery reads only the outer query's columns, "+
			"which makes it the outer query's aggregate; this is not supported: write it outside the subquery", found)
	}
	return nil
}

// readsOnlyColumns reports whether e reads at least one column and only
// columns of cols (not counting the columns its subqueries read).
func readsOnlyColumns(e sql.Expression, cols sql.ColSet) bool {
	reads, only := false, true
	transform.InspectExpr(e, func(e sql.Expression) bool {
		// A subquery's columns are no expressions of e: never visited.
		if x, ok := e.(*expression.GetField); ok {
			reads = true
			if !cols.Contains(x.Id()) {
				only = false
			}
		}
		return false
	})
	return reads && only
}
