package engine

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// TestNullComparisonsWrapping: nullComparisons wraps the comparisons of
// a WHERE whose operands are column reads, literals and parameters, and
// no other: not <=> (NULL is a value there). Comparisons of computed
// operands and join conditions are wrapped since session 24
// (nullcmp24_internal_test.go). A wrapped comparison is NULL when an operand is, is the
// comparison otherwise, and prints as the comparison.
func TestNullComparisonsWrapping(t *testing.T) {
	ctx := sql.NewEmptyContext()
	col := expression.NewGetField(0, types.Int64, "n", true)
	lit := expression.NewLiteral(int64(3), types.Int64)
	sum := expression.NewArithmetic(col, lit, "+")
	child := plan.NewEmptyTableWithSchema(sql.Schema{{Name: "n", Type: types.Int64, Nullable: true}})
	for _, c := range []struct {
		cond    sql.Expression
		wrapped bool
	}{
		{expression.NewEquals(col, lit), true},
		{expression.NewLessThan(lit, col), true},
		{expression.NewGreaterThanOrEqual(col, expression.NewBindVar("v1")), true},
		{expression.NewNot(expression.NewEquals(col, lit)), true},
		{expression.NewNullSafeEquals(col, lit), false},
		{expression.NewEquals(sum, lit), true},
	} {
		out, _, err := nullComparisons(ctx, nil, plan.NewFilter(c.cond, child), nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := out.(*plan.Filter).Expression
		if got.String() != c.cond.String() {
			t.Errorf("%s prints as %s", c.cond, got)
		}
		cmp := got
		if n, ok := got.(*expression.Not); ok {
			cmp = n.Child
		}
		if _, ok := cmp.(*nullCheckedComparison); ok != c.wrapped {
			t.Errorf("%s: wrapped %v, want %v", c.cond, ok, c.wrapped)
		}
		if _, computed := c.cond.(*expression.Equals); c.wrapped && cmp == got && !computed {
			for _, row := range []sql.Row{{nil}, {int64(3)}, {int64(4)}} {
				want, err1 := c.cond.Eval(ctx, row)
				v, err2 := got.Eval(ctx, row)
				if _, bind := c.cond.(*expression.GreaterThanOrEqual); bind {
					// An unbound parameter fails either way.
					if (err1 == nil) != (err2 == nil) {
						t.Errorf("%s on %v: error %v, want %v", c.cond, row, err2, err1)
					}
					continue
				}
				if err1 != nil || err2 != nil || v != want {
					t.Errorf("%s on %v: %v (%v), want %v (%v)", c.cond, row, v, err2, want, err1)
				}
			}
		}
	}
}

// TestNullComparisonsHaving: a HAVING is a plan.Having, not a Filter; its
// comparisons of aggregates (column reads of the grouping's output) are
// checked for NULL too: a group whose aggregate is NULL (every value NULL)
// would pay the comparison's error otherwise.
func TestNullComparisonsHaving(t *testing.T) {
	ctx := sql.NewEmptyContext()
	col := expression.NewGetField(0, types.Int64, "max(n)", true)
	cond := expression.NewGreaterThan(col, expression.NewLiteral(int64(3), types.Int64))
	child := plan.NewEmptyTableWithSchema(sql.Schema{{Name: "max(n)", Type: types.Int64, Nullable: true}})
	out, _, err := nullComparisons(ctx, nil, plan.NewHaving(cond, child), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*plan.Having).Cond
	if _, ok := got.(*nullCheckedComparison); !ok {
		t.Fatalf("HAVING %s: %T, not wrapped", cond, got)
	}
	if got.String() != cond.String() {
		t.Errorf("%s prints as %s", cond, got)
	}
	for _, row := range []sql.Row{{nil}, {int64(3)}, {int64(4)}} {
		want, _ := cond.Eval(ctx, row)
		if v, err := got.Eval(ctx, row); err != nil || v != want {
			t.Errorf("on %v: %v (%v), want %v", row, v, err, want)
		}
	}
}
