package engine

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
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

// pgInSubquery is x IN (subquery) compared in the wider of the two types,
// as PostgreSQL compares. The engine converts x to the subquery column's
// type and looks the result up among the rows' hashes: a conversion that
// rounds found a false match (1.5 IN (SELECT 2) was true, 1.5 NOT IN
// (SELECT 2) false) and one that fails answered false even when the rows
// hold a NULL (NULL in PostgreSQL). It is used where that conversion can
// lose something (inSubqueryMayNarrow); elsewhere the engine's IN stays,
// which the planner can turn into a semi-join.
type pgInSubquery struct {
	*plan.InSubquery
}

var _ sql.Expression = (*pgInSubquery)(nil)

func (in *pgInSubquery) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 2 {
		return nil, sql.ErrInvalidChildrenNumber.New(in, len(children), 2)
	}
	return &pgInSubquery{InSubquery: plan.NewInSubquery(children[0], children[1])}, nil
}

// nullRowKey is the hash of a row holding one NULL, as the engine's
// subquery cache keys it.
var nullRowKey, _ = sql.HashOf(nil, sql.NewRow(nil))

// Eval is three-valued as in PostgreSQL: NULL IN (no rows) is false, NULL
// IN (rows) is NULL; a value found is true; a value not found is NULL
// when the rows hold a NULL, else false. A value the column's type cannot
// hold exactly is found nowhere.
func (in *pgInSubquery) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	sq, ok := in.Right().(*plan.Subquery)
	if !ok {
		return in.InSubquery.Eval(ctx, row)
	}
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

// pgInSubqueryOf makes x IN (subquery) a pgInSubquery when the engine's
// conversion of x could lose something.
func pgInSubqueryOf(in *plan.InSubquery) (sql.Expression, transform.TreeIdentity, error) {
	sq, ok := in.Right().(*plan.Subquery)
	if !ok {
		return in, transform.SameTree, nil
	}
	if _, tuple := in.Left().(expression.Tuple); tuple {
		return in, transform.SameTree, nil
	}
	sch := sq.Query.Schema()
	if len(sch) != 1 || !inSubqueryMayNarrow(in.Left().Type(), sch[0].Type) {
		return in, transform.SameTree, nil
	}
	if err := inSubqueryOperands(in); err != nil {
		return nil, transform.SameTree, err
	}
	return &pgInSubquery{InSubquery: in}, transform.NewTree, nil
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
