package engine

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// TestNullComparisonsRunLast: nullComparisons hides comparisons in its
// wrapper, and textSortKeys, on the engine's short rule list, rewrites
// text comparisons it recognises by their node types: nullComparisons
// must come after it. Registered from two files' init functions, it came
// before (the files' names decided).
func TestNullComparisonsRunLast(t *testing.T) {
	rules := analyzer.OnceAfterAll
	text := -1
	for i, r := range rules {
		if r.Id == textOrderRuleID {
			text = i
		}
	}
	if last := rules[len(rules)-1].Id; last != nullComparisonsRuleID || text < 0 {
		t.Errorf("once-after-all rules end with %v, textSortKeys at %d: want nullComparisons last, after textSortKeys", last, text)
	}
}

// counted is an operand that counts its evaluations (random(), nextval()
// must be evaluated once per row).
type counted struct {
	sql.Expression
	n *int
}

func (c counted) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	*c.n++
	return c.Expression.Eval(ctx, row)
}

func (c counted) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	e, err := c.Expression.WithChildren(children...)
	return counted{Expression: e, n: c.n}, err
}

// TestNullComparisonsComputedOnce: a comparison of a computed operand is
// wrapped so that the operand is evaluated once per row, NULL or not, and
// answers as the comparison: NULL, true and false, through conversions
// (an integer sum against a float, a text against a number), collations
// (lower() of a text column against a literal) and errors. Its Compare
// (a merge join's) is the comparison's, ErrNilOperand included; a row
// comparison is not wrapped.
func TestNullComparisonsComputedOnce(t *testing.T) {
	ctx := sql.NewEmptyContext()
	n := expression.NewGetField(0, types.Int64, "n", true)
	s := expression.NewGetField(1, types.LongText, "s", true)
	var evals int
	sum := counted{Expression: expression.NewArithmetic(n, expression.NewLiteral(int64(1), types.Int64), "+"), n: &evals}
	lower := counted{Expression: function.NewLower(s), n: &evals}
	rows := []sql.Row{{nil, nil}, {int64(3), "ABC"}, {int64(4), "abc"}, {int64(-1), "x"}}
	for _, cond := range []sql.Expression{
		expression.NewEquals(sum, expression.NewLiteral(int64(4), types.Int64)),
		expression.NewLessThan(expression.NewLiteral(float64(4.5), types.Float64), sum),
		expression.NewGreaterThanOrEqual(sum, n),
		expression.NewLessThanOrEqual(n, sum),
		expression.NewEquals(lower, expression.NewLiteral("abc", types.LongText)),
		expression.NewGreaterThan(lower, s),
		expression.NewEquals(lower, expression.NewLiteral(int64(3), types.Int64)),
		expression.NewEquals(sum, lower),
	} {
		w, _, err := nullChecked(cond)
		if err != nil {
			t.Fatal(err)
		}
		wc, ok := w.(*nullCheckedComparison)
		if !ok || wc.values == nil {
			t.Fatalf("%s: %T, not wrapped to evaluate once", cond, w)
		}
		if w.String() != cond.String() || sql.DebugString(w) != sql.DebugString(cond) {
			t.Errorf("%s prints as %s", cond, w)
		}
		for _, row := range rows {
			evals = 0
			want, werr := cond.Eval(ctx, row)
			wantEvals := evals
			evals = 0
			got, gerr := w.Eval(ctx, row)
			if got != want || (werr == nil) != (gerr == nil) {
				t.Errorf("%s on %v: %v (%v), want %v (%v)", cond, row, got, gerr, want, werr)
			}
			if evals != wantEvals {
				t.Errorf("%s on %v: computed operands evaluated %d times, the comparison %d", cond, row, evals, wantEvals)
			}
			_, cerr := w.(expression.Comparer).Compare(ctx, row)
			_, wantCerr := cond.(expression.Comparer).Compare(ctx, row)
			if expression.ErrNilOperand.Is(cerr) != expression.ErrNilOperand.Is(wantCerr) || (cerr == nil) != (wantCerr == nil) {
				t.Errorf("%s on %v: Compare error %v, want %v", cond, row, cerr, wantCerr)
			}
		}
	}
	row := expression.NewTuple(n, n)
	if w, _, _ := nullChecked(expression.NewEquals(row, expression.NewTuple(n, n))); w != nil {
		if _, wrapped := w.(*nullCheckedComparison); wrapped {
			t.Errorf("a row comparison was wrapped")
		}
	}
}

// TestNullComparisonsJoinsAndSubqueries: the conditions of joins (inner
// and outer, the merge join's first conjunct too) and those inside
// subquery expressions (a filter of the subquery's query, a join there)
// are wrapped, and print as before.
func TestNullComparisonsJoinsAndSubqueries(t *testing.T) {
	ctx := sql.NewEmptyContext()
	schema := sql.Schema{{Name: "n", Type: types.Int64, Nullable: true}}
	child := plan.NewEmptyTableWithSchema(schema)
	l := expression.NewGetField(0, types.Int64, "n", true)
	r := expression.NewGetField(1, types.Int64, "n", true)
	for _, j := range []*plan.JoinNode{
		plan.NewInnerJoin(child, child, expression.NewEquals(l, r)),
		plan.NewLeftOuterJoin(child, child, expression.NewAnd(expression.NewEquals(l, r), expression.NewLessThan(l, r))),
		plan.NewFullOuterJoin(child, child, expression.NewNot(expression.NewEquals(l, r))),
		plan.NewJoin(child, child, plan.JoinTypeLeftOuterMerge, expression.NewEquals(l, r)),
		plan.NewJoin(child, child, plan.JoinTypeAnti, expression.NewEquals(l, r)),
	} {
		out, _, err := nullComparisons(ctx, nil, j, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := out.(*plan.JoinNode)
		if got.Filter.String() != j.Filter.String() || got.Op != j.Op {
			t.Errorf("%s: %s %s", j.Filter, got.Op, got.Filter)
		}
		if !hasNullChecked(got.Filter) {
			t.Errorf("%s %s: not wrapped", j.Op, j.Filter)
		}
		if plan.IsNullRejecting(got.Filter) != plan.IsNullRejecting(j.Filter) {
			t.Errorf("%s: null rejection changed", j.Filter)
		}
	}
	inner := plan.NewFilter(expression.NewEquals(expression.NewGetField(1, types.Int64, "n", true), l), child)
	sq := plan.NewSubquery(inner, "select n from t where n = outer.n")
	top := plan.NewFilter(plan.NewInSubquery(l, sq), child)
	out, _, err := nullComparisons(ctx, nil, top, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cond := out.(*plan.Filter).Expression.(*plan.InSubquery)
	if !hasNullChecked(cond.Right().(*plan.Subquery).Query.(*plan.Filter).Expression) {
		t.Errorf("the subquery's filter was not wrapped")
	}
	if cond.String() != top.Expression.String() {
		t.Errorf("%s prints as %s", top.Expression, cond)
	}
}

func hasNullChecked(e sql.Expression) bool {
	found := false
	sql.Inspect(e, func(e sql.Expression) bool {
		if _, ok := e.(*nullCheckedComparison); ok {
			found = true
		}
		return !found
	})
	return found
}
