package engine

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// TestBoundRank: an index ranks two per leading column its WHERE binds
// to points (= or IN of constants or parameters), then one for a range
// on the next column, whatever the values; a column bound by anything
// else (a column, <>) ends the prefix; IS NULL binds a point (NULL is
// one key in an index), IS NOT NULL a range.
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
		{"equality on the first", expression.NewEquals(col("conv"), lit(1)), 2},
		{"then a range", expression.NewAnd(expression.NewEquals(col("conv"), lit(1)), expression.NewGreaterThan(col("created_at"), bind("v2"))), 3},
		{"then an equality", expression.NewAnd(expression.NewEquals(bind("v1"), col("conv")), expression.NewEquals(col("created_at"), lit(5))), 4},
		{"then an IN", expression.NewAnd(expression.NewEquals(col("conv"), lit(1)),
			expression.NewInTuple(col("created_at"), expression.NewTuple(lit(1), lit(2)))), 4},
		{"then BETWEEN", expression.NewAnd(expression.NewEquals(col("conv"), lit(1)),
			expression.NewAnd(expression.NewGreaterThanOrEqual(col("created_at"), lit(1)), expression.NewLessThanOrEqual(col("created_at"), lit(9)))), 3},
		{"all three", expression.NewAnd(expression.NewAnd(expression.NewEquals(col("conv"), lit(1)), expression.NewEquals(col("created_at"), lit(5))),
			expression.NewLessThan(col("id"), lit(9))), 5},
		{"a range on the first", expression.NewLessThan(col("conv"), lit(3)), 1},
		{"the second alone", expression.NewEquals(col("created_at"), lit(5)), 0},
		{"a range stops the prefix", expression.NewAnd(expression.NewGreaterThan(col("conv"), lit(1)), expression.NewEquals(col("created_at"), lit(5))), 1},
		{"another column", expression.NewAnd(expression.NewEquals(col("conv"), col("id")), expression.NewEquals(col("created_at"), lit(5))), 0},
		{"IS NULL is a point", expression.NewAnd(expression.NewIsNull(col("conv")), expression.NewEquals(col("created_at"), lit(5))), 4},
		{"then IS NULL", expression.NewAnd(expression.NewEquals(col("conv"), lit(1)), expression.NewIsNull(col("created_at"))), 4},
		{"IS NOT NULL is a range", expression.NewAnd(expression.NewNot(expression.NewIsNull(col("conv"))), expression.NewEquals(col("created_at"), lit(5))), 1},
		{"then IS NOT NULL", expression.NewAnd(expression.NewEquals(col("conv"), lit(1)), expression.NewNot(expression.NewIsNull(col("created_at")))), 3},
		{"another table's IS NULL", expression.NewIsNull(expression.NewGetFieldWithTable(0, 0, types.Int64, "", "x", "conv", true)), 0},
		{"<>", expression.NewNot(expression.NewEquals(col("conv"), lit(1))), 0},
	} {
		if got := boundRank(index, columnBindings(tc.where, "m", "")); got != tc.want {
			t.Errorf("%s: %s ranks %d, want %d", tc.name, tc.where, got, tc.want)
		}
	}
}
