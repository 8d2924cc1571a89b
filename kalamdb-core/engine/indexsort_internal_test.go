package engine

import (
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// TestBoundColumns: the leading columns sortByIndex may skip are those
// every range of a lookup holds at one and the same value (or NULL).
func TestBoundColumns(t *testing.T) {
	ctx := sql.NewEmptyContext()
	si := &secIndex{cols: make([]indexCol, 3)}
	i := types.Int64
	point := func(v int64) sql.MySQLRangeColumnExpr { return sql.ClosedRangeColumnExpr(v, v, i) }
	all := sql.AllRangeColumnExpr(i)
	null := sql.NullRangeColumnExpr(i)
	for _, tc := range []struct {
		name   string
		ranges sql.MySQLRangeCollection
		want   int
	}{
		{"one range", sql.MySQLRangeCollection{{point(1), all, all}}, 1},
		{"all points", sql.MySQLRangeCollection{{point(1), point(2), point(3)}}, 3},
		{"keyset", sql.MySQLRangeCollection{
			{point(1), sql.LessThanRangeColumnExpr(int64(5), i), all},
			{point(1), point(5), sql.LessThanRangeColumnExpr(int64(9), i)},
		}, 1},
		{"two values", sql.MySQLRangeCollection{{point(1), all, all}, {point(2), all, all}}, 0},
		{"same value then two", sql.MySQLRangeCollection{{point(1), point(2), all}, {point(1), point(3), all}}, 1},
		{"NULL twice", sql.MySQLRangeCollection{{null, all, all}, {null, point(2), all}}, 1},
		{"NULL and a value", sql.MySQLRangeCollection{{null, all, all}, {point(1), all, all}}, 0},
		{"a range", sql.MySQLRangeCollection{{sql.GreaterThanRangeColumnExpr(int64(1), i), all, all}}, 0},
	} {
		if got := boundColumns(ctx, si, tc.ranges); got != tc.want {
			t.Errorf("%s: %d bound columns, want %d", tc.name, got, tc.want)
		}
	}
}
