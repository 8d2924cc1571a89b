package cold

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackCold22TimeFiltersNeverDrop: over random files of TIMESTAMP
// and DATE values (before and after 1970, runs of NULLs making row groups
// with only a null count, tombstones, small row groups and pages) and
// random filters whose bounds are instants with nanoseconds, in zones, a
// DATE bound off midnight, strict or not, in spans or not, a read never
// drops or marks filtered a row whose value passes the bounds compared as
// instants (as the engine compares them), whichever the direction, and
// with KeepFiltered none is marked filtered.
func TestAttackCold22TimeFiltersNeverDrop(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 11))
	sch := &systable.TableSchema{TableID: "app:tm", Version: 1, Columns: []systable.ColumnSchema{
		pkCol(1, "id", dialect.TypeBigInt), col(2, "at", dialect.TypeTimestamp), col(3, "d", dialect.TypeDate)}}
	base := time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)
	zones := []*time.Location{time.UTC, time.FixedZone("", 5*3600), time.FixedZone("", -9*3600-1800), time.FixedZone("", 14*3600)}
	for round := range 10 {
		st := newFS(t)
		n := 300 + rng.IntN(2000)
		rows := make([]Row, 0, n)
		for i := range n {
			id := int64(i + 1)
			at := any(base.Add(time.Duration(i)*time.Hour + time.Duration(rng.IntN(3))*time.Microsecond))
			d := any(base.AddDate(0, 0, i/5))
			if rng.IntN(5) == 0 {
				at = base.Add(time.Duration(rng.IntN(n)) * time.Hour)
			}
			if rng.IntN(9) == 0 {
				at = nil
			}
			if rng.IntN(9) == 0 {
				d = nil
			}
			if round%3 == 1 && i/150%2 == 1 {
				at, d = nil, nil
			}
			r := Row{Key: bigintKey(t, id), Seq: id, Values: []any{id, at, d}}
			if rng.IntN(25) == 0 {
				r.Deleted, r.Values = true, []any{nil, nil, nil}
			}
			rows = append(rows, r)
		}
		p := fmt.Sprintf("tm%d.parquet", round)
		writeRows(t, st, p, sch, rows, WriteOptions{RowGroupRows: 100 + rng.IntN(300), PageBytes: 256})
		f := openFile(t, st, p)
		offsets := []time.Duration{0, 0, 0, 1, 500, 999, 1000, -1, -500, 12 * time.Hour, -12 * time.Hour, time.Microsecond, -time.Microsecond}
		bound := func(date bool) func() any {
			return func() any {
				i := rng.IntN(n+20) - 10
				var v time.Time
				if date {
					v = base.AddDate(0, 0, i/5)
				} else {
					v = base.Add(time.Duration(i)*time.Hour + time.Duration(rng.IntN(3))*time.Microsecond)
				}
				return v.Add(offsets[rng.IntN(len(offsets))]).In(zones[rng.IntN(len(zones))])
			}
		}
		compare := func(x, b any) int { return x.(time.Time).Compare(b.(time.Time)) }
		for q := range 60 {
			column := 1 + q%2
			fl, pass := randFilter(rng, bound(column == 2), compare)
			if q%10 == 9 {
				// More spans than the engine hands over.
				fl.Spans = nil
				for range 1500 {
					fl.Spans = append(fl.Spans, Point(bound(column == 2)()))
				}
				pass = filterPass(fl, compare)
			}
			fl.Column = column
			for _, rev := range []bool{false, true} {
				keep := rng.IntN(3) == 0
				got := map[string]bool{} // by key: a filtered row has no values
				if err := f.ScanRows(context.Background(), sch, nil, Range{Reverse: rev, KeepFiltered: keep, Filters: []Filter{fl}}, func(r Row) error {
					got[string(r.Key)] = !r.Filtered
					return nil
				}); err != nil {
					t.Fatalf("round %d query %d: %v", round, q, err)
				}
				for _, r := range rows {
					if r.Deleted || !pass(r.Values[column]) {
						continue
					}
					if !got[string(r.Key)] {
						t.Fatalf("round %d query %d reverse %v keep %v: row %d (%v) passes %+v but was dropped", round, q, rev, keep, r.Values[0], r.Values[column], fl)
					}
				}
			}
		}
	}
}
