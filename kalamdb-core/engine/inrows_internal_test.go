package engine

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/rowexec"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"
)

// TestInSubqueryHashesOnce: x IN (an uncorrelated subquery) reads and
// hashes the subquery's rows once for the statement, whatever the number
// of rows it is evaluated for; each evaluation is a hash lookup.
func TestInSubqueryHashesOnce(t *testing.T) {
	const n = 2000
	tuples := make([][]sql.Expression, n)
	for i := range tuples {
		tuples[i] = []sql.Expression{expression.NewLiteral(float64(i)/10, types.Float64)}
	}
	q := plan.NewProject([]sql.Expression{expression.NewGetField(0, types.Float64, "f", false)}, plan.NewValues(tuples))
	sq := plan.NewSubquery(q, "SELECT f").WithExecBuilder(rowexec.DefaultBuilder)
	left := expression.NewGetField(0, types.MustCreateDecimalType(20, 18), "n", true)
	e, same, err := pgInSubqueryOf(plan.NewInSubquery(left, sq))
	if err != nil || same {
		t.Fatalf("DECIMAL IN (SELECT DOUBLE) is not KalamDB's: %v %v", same, err)
	}
	in := e.(*pgInSubquery)
	ctx := sql.NewEmptyContext()
	var first *inRows
	for i := range n {
		d := decimal.New(int64(i), -1)
		got, err := in.Eval(ctx, sql.NewRow(d))
		if err != nil || got != true {
			t.Fatalf("%s IN (SELECT f): %v %v", d, got, err)
		}
		if first == nil {
			if first = in.cache.rows; first == nil {
				t.Fatal("the subquery's hashed rows are not kept")
			}
		}
		if in.cache.rows != first {
			t.Fatalf("evaluation %d read the subquery again", i)
		}
	}
	if got, err := in.Eval(ctx, sql.NewRow(decimal.New(1, -2))); err != nil || got != false {
		t.Fatalf("0.01 IN (SELECT f): %v %v", got, err)
	}
	if first.build != 1 {
		t.Fatalf("the rows' keys were hashed %d times, want once", first.build)
	}
}

// TestInRowsNulls: a row IN rows with NULLs is true when a row equals it,
// else NULL when a row equals it where both are non-NULL, else false.
func TestInRowsNulls(t *testing.T) {
	rows := []any{[]any{int64(1), nil}, []any{nil, int64(2)}, []any{int64(3), int64(4)}}
	r, err := newInRows([]inKeyKind{keyInt, keyInt}, rows)
	if err != nil {
		t.Fatal(err)
	}
	ctx := sql.NewEmptyContext()
	for _, c := range []struct {
		x    []any
		want any
	}{
		{[]any{int64(3), int64(4)}, true},
		{[]any{int64(1), int64(9)}, nil},
		{[]any{int64(9), int64(2)}, nil},
		{[]any{int64(9), int64(9)}, false},
		{[]any{int64(3), nil}, nil},
		{[]any{nil, nil}, nil},
		{[]any{nil, int64(9)}, nil}, // (1, NULL) and (NULL, 9): NULL
	} {
		if got, err := r.in(ctx, c.x); err != nil || got != c.want {
			t.Errorf("%v IN rows: %v %v, want %v", c.x, got, err, c.want)
		}
	}
	empty, _ := newInRows([]inKeyKind{keyInt, keyInt}, nil)
	if got, _ := empty.in(ctx, []any{nil, nil}); got != false {
		t.Errorf("(NULL, NULL) IN (no rows): %v, want false", got)
	}
}
