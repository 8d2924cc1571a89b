package cold

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackcold21BloomPointsMatchBruteForce: filters of a few points on
// the primary key's column (which has bloom filters) of every type the
// engine pushes (SMALLINT, INT, BIGINT, TEXT), with values at the edges
// of their types and beyond them, NULL-free, tombstones among the rows,
// return exactly the rows holding those values, in both directions.
func TestAttackcold21BloomPointsMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(2121, 11))
	for _, tn := range []dialect.TypeName{dialect.TypeSmallInt, dialect.TypeInt, dialect.TypeBigInt, dialect.TypeText} {
		sch := &systable.TableSchema{TableID: "app:b", Version: 1, Columns: []systable.ColumnSchema{
			pkCol(1, "k", tn), col(2, "v", dialect.TypeBigInt)}}
		var lim int64
		switch tn {
		case dialect.TypeSmallInt:
			lim = math.MaxInt16
		case dialect.TypeInt:
			lim = math.MaxInt32
		default:
			lim = math.MaxInt64
		}
		edges := []int64{0, 1, -1, lim, -lim - 1, lim - 1, -lim}
		val := func() int64 {
			if rng.IntN(3) == 0 {
				return edges[rng.IntN(len(edges))]
			}
			return int64(rng.IntN(4000) - 2000)
		}
		stored := func(x int64) any {
			switch tn {
			case dialect.TypeSmallInt:
				return int16(x)
			case dialect.TypeInt:
				return int32(x)
			case dialect.TypeText:
				return fmt.Sprintf("k%d", x)
			}
			return x
		}
		seen := map[int64]bool{}
		var xs []int64
		for range 1500 {
			x := val()
			if !seen[x] {
				seen[x] = true
				xs = append(xs, x)
			}
		}
		type kr struct {
			key []byte
			x   int64
			r   Row
		}
		var krs []kr
		for i, x := range xs {
			k, err := row.AppendKey(nil, sch.Columns[0].Type, stored(x))
			if err != nil {
				t.Fatal(err)
			}
			r := Row{Key: k, Seq: int64(i + 1), Values: []any{stored(x), int64(i)}}
			if rng.IntN(15) == 0 {
				r.Deleted, r.Values = true, []any{nil, nil}
			}
			krs = append(krs, kr{k, x, r})
		}
		slices.SortFunc(krs, func(a, b kr) int { return bytes.Compare(a.key, b.key) })
		rows := make([]Row, len(krs))
		for i := range krs {
			rows[i] = krs[i].r
		}
		st := newFS(t)
		writeRows(t, st, "b.parquet", sch, rows, WriteOptions{RowGroupRows: 100, PageBytes: 256})
		f := openFile(t, st, "b.parquet")
		for q := range 200 {
			var pts []Span
			want := map[string]bool{}
			for range 1 + rng.IntN(5) {
				x := val()
				if rng.IntN(4) == 0 {
					x = xs[rng.IntN(len(xs))]
				}
				if tn == dialect.TypeText {
					pts = append(pts, Point(fmt.Sprintf("k%d", x)))
					want[fmt.Sprintf("k%d", x)] = true
				} else {
					pts = append(pts, Point(x))
					want[fmt.Sprint(x)] = true
				}
			}
			fl := Filter{Column: 0, Spans: pts}
			if len(pts) == 1 {
				fl = Filter{Column: 0, Min: pts[0].Min, Max: pts[0].Max}
			}
			for _, rev := range []bool{false, true} {
				var got []string
				if err := f.ScanRows(context.Background(), sch, nil, Range{Reverse: rev, Filters: []Filter{fl}}, func(r Row) error {
					got = append(got, fmt.Sprint(r.Values[0]))
					return nil
				}); err != nil {
					t.Fatalf("%s query %d: %v", tn, q, err)
				}
				var exp []string
				for _, r := range rows {
					if !r.Deleted && want[fmt.Sprint(r.Values[0])] {
						exp = append(exp, fmt.Sprint(r.Values[0]))
					}
				}
				if rev {
					slices.Reverse(exp)
				}
				if !slices.Equal(got, exp) {
					t.Fatalf("%s query %d %+v reverse %v: %v, want %v", tn, q, fl, rev, got, exp)
				}
			}
		}
		// The bloom filters were probed, and ruled row groups out.
		if s := f.Stats(); s.BloomChecks == 0 || s.BloomNegatives == 0 {
			t.Fatalf("%s: bloom filters not used: %+v", tn, s)
		}
	}
}
