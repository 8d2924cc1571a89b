package engine

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// TestBoundRank: an index ranks four per leading column its WHERE binds
// to points (= or IN of constants or parameters), then two for a range
// on the next column, whatever the values; a column bound by anything
// else (a column, <>) ends the prefix; IS NULL holds a column at one key
// (NULL) and continues the prefix but earns one at most, after a column
// bound to values (NULL is often most rows' key), IS NOT NULL binds a
// range.
func TestBoundRank(t *testing.T) {
	col := func(name string) *expression.GetField {
		return expression.NewGetFieldWithTable(0, 0, types.Int64, "", "m", name, true)
	}
	lit := func(v int64) sql.Expression { return expression.NewLiteral(v, types.Int64) }
	bind := func(name string) sql.Expression { return expression.NewBindVar(name) }
	index := []string{"conv", "created_at", "id"}
	for _, tc := range []struct {
		name  string
		where sql.Expression
		want  int
	}{
		{"equality on the first", expression.NewEquals(col("conv"), lit(1)), 4},
		{"then a range", expression.NewAnd(expression.NewEquals(col("conv"), lit(1)), expression.NewGreaterThan(col("created_at"), bind("v2"))), 6},
		{"then an equality", expression.NewAnd(expression.NewEquals(bind("v1"), col("conv")), expression.NewEquals(col("created_at"), lit(5))), 8},
		{"then an IN", expression.NewAnd(expression.NewEquals(col("conv"), lit(1)),
			expression.NewInTuple(col("created_at"), expression.NewTuple(lit(1), lit(2)))), 8},
		{"then BETWEEN", expression.NewAnd(expression.NewEquals(col("conv"), lit(1)),
			expression.NewAnd(expression.NewGreaterThanOrEqual(col("created_at"), lit(1)), expression.NewLessThanOrEqual(col("created_at"), lit(9)))), 6},
		{"all three", expression.NewAnd(expression.NewAnd(expression.NewEquals(col("conv"), lit(1)), expression.NewEquals(col("created_at"), lit(5))),
			expression.NewLessThan(col("id"), lit(9))), 10},
		{"a range on the first", expression.NewLessThan(col("conv"), lit(3)), 2},
		{"the second alone", expression.NewEquals(col("created_at"), lit(5)), 0},
		{"a range stops the prefix", expression.NewAnd(expression.NewGreaterThan(col("conv"), lit(1)), expression.NewEquals(col("created_at"), lit(5))), 2},
		{"another column", expression.NewAnd(expression.NewEquals(col("conv"), col("id")), expression.NewEquals(col("created_at"), lit(5))), 0},
		{"IS NULL continues the prefix", expression.NewAnd(expression.NewIsNull(col("conv")), expression.NewEquals(col("created_at"), lit(5))), 4},
		{"IS NULL then a range", expression.NewAnd(expression.NewIsNull(col("conv")), expression.NewGreaterThan(col("created_at"), lit(5))), 2},
		{"IS NULL alone", expression.NewIsNull(col("conv")), 0},
		{"then IS NULL", expression.NewAnd(expression.NewEquals(col("conv"), lit(1)), expression.NewIsNull(col("created_at"))), 5},
		{"IS NULL beside an equality", expression.NewAnd(expression.NewIsNull(col("conv")), expression.NewEquals(col("conv"), lit(1))), 4},
		{"IS NULL in an OR", expression.NewOr(expression.NewIsNull(col("conv")), expression.NewEquals(col("conv"), lit(1))), 4},
		{"IS NOT NULL is a range", expression.NewAnd(expression.NewNot(expression.NewIsNull(col("conv"))), expression.NewEquals(col("created_at"), lit(5))), 2},
		{"then IS NOT NULL", expression.NewAnd(expression.NewEquals(col("conv"), lit(1)), expression.NewNot(expression.NewIsNull(col("created_at")))), 6},
		{"another table's IS NULL", expression.NewIsNull(expression.NewGetFieldWithTable(0, 0, types.Int64, "", "x", "conv", true)), 0},
		{"<>", expression.NewNot(expression.NewEquals(col("conv"), lit(1))), 0},
	} {
		if got := boundRank(index, columnBindings(tc.where, "m", ""), nullOnlyColumns(tc.where, "m", "")); got != tc.want {
			t.Errorf("%s: %s ranks %d, want %d", tc.name, tc.where, got, tc.want)
		}
	}
}
