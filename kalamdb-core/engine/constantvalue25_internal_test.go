package engine

import (
	"sync"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// constantKinds are an expression of each shape isConstant admits, with
// its value.
func constantKinds(t testing.TB) map[string]struct {
	e    sql.Expression
	want any
} {
	t.Helper()
	text := func(s string) sql.Expression { return expression.NewLiteral(s, types.LongText) }
	zoned, err := newCast(text("2024-01-01 03:00:00+02"), dateTimeDT, false)
	if err != nil {
		t.Fatal(err)
	}
	date, err := newCast(text("2024-01-31"), dialect.DataType{Name: dialect.TypeDate}, false)
	if err != nil {
		t.Fatal(err)
	}
	plusDay, err := buildArith("+")([]sql.Expression{date, expression.NewLiteral(int64(1), types.Int64)})
	if err != nil {
		t.Fatal(err)
	}
	plusDay.name = pgsql.FnAdd
	ts, err := newCast(text("2024-01-31 10:00:00"), tsType, false)
	if err != nil {
		t.Fatal(err)
	}
	plusMonth, err := buildAddInterval([]sql.Expression{ts, text("1 month"), expression.NewLiteral(int64(1), types.Int64)})
	if err != nil {
		t.Fatal(err)
	}
	plusMonth.name = pgsql.FnInterval
	return map[string]struct {
		e    sql.Expression
		want any
	}{
		"literal":     {expression.NewLiteral(int64(7), types.Int64), int64(7)},
		"negated":     {expression.NewUnaryMinus(expression.NewLiteral(int64(7), types.Int64)), int64(-7)},
		"cast":        {zoned, time.Date(2024, 1, 1, 1, 0, 0, 0, time.UTC)},
		"date + 1":    {plusDay, time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)},
		"ts + months": {plusMonth, time.Date(2024, 2, 29, 10, 0, 0, 0, time.UTC)},
	}
}

// TestConstantValueOfEachKind: constantValue evaluates every shape
// isConstant admits, from any number of goroutines at once (run it with
// -race), without a context: none of them reads one.
func TestConstantValueOfEachKind(t *testing.T) {
	kinds := constantKinds(t)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				for name, k := range kinds {
					if !isConstant(k.e) {
						t.Errorf("%s: not a constant", name)
						return
					}
					v, ok := constantValue(k.e)
					if tv, isTime := v.(time.Time); isTime {
						v = tv.UTC()
					}
					if !ok || v != k.want {
						t.Errorf("%s: %v %v, want %v", name, v, ok, k.want)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkConstantValueCast is constantValue of a cast literal, as the
// planner evaluates each item of an IN list of dates.
func BenchmarkConstantValueCast(b *testing.B) {
	e := constantKinds(b)["cast"].e
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := constantValue(e); !ok {
				b.Fatal("not a constant")
			}
		}
	})
}
