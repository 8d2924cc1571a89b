package engine

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// TestNumericSeriesEndsAtNumericBound: a numeric series whose last value
// is the largest numeric ends there, as an integer series ends at the
// BIGINT bound; the value after it (never returned) must not fail the
// statement. PostgreSQL 15 gives both rows. (SQL cannot build such a
// value here yet: text casts and power() of numerics stop far below it.)
func TestNumericSeriesEndsAtNumericBound(t *testing.T) {
	one := decimal.NewFromInt(1)
	top := decimal.New(1, dialect.MaxNumericDigitsBefore).Sub(one) // 10^131072 - 1
	for name, args := range map[string][]any{
		"up":   {top.Sub(one), top},
		"down": {top.Neg().Add(one), top.Neg(), one.Neg()},
	} {
		next, err := numericSeries(args)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n := 0
		for {
			_, ok, err := next()
			if err != nil {
				t.Fatalf("%s: row %d: %v", name, n+1, err)
			}
			if !ok {
				break
			}
			n++
		}
		if n != 2 {
			t.Errorf("%s: %d rows, want 2", name, n)
		}
	}
}
