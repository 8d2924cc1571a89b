package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
)

// TestSpanSets pins the set operations the scan filters combine a WHERE's
// conditions with, at the ends of int64 where a + 1 or a - 1 overflows.
func TestSpanSets(t *testing.T) {
	const lo, hi = math.MinInt64, math.MaxInt64
	for _, c := range []struct {
		name      string
		got, want spanSet
	}{
		{"normal merges overlaps and neighbours", spanSet{{Lo: 7, Hi: 9}, {Lo: 1, Hi: 2}, {Lo: 3, Hi: 3}, {Lo: 8, Hi: 12}, {Lo: hi, Hi: hi}, {Lo: hi - 1, Hi: hi - 1}}.normal(), spanSet{{Lo: 1, Hi: 3}, {Lo: 7, Hi: 12}, {Lo: hi - 1, Hi: hi}}},
		{"normal of nothing", spanSet{}.normal(), spanSet{}},
		{"intersect", spanSet{{Lo: 1, Hi: 1}, {Lo: 7, Hi: 7}, {Lo: 9, Hi: 9}}.intersect(spanSet{{Lo: 6, Hi: hi}}), spanSet{{Lo: 7, Hi: 7}, {Lo: 9, Hi: 9}}},
		{"intersect, empty", spanSet{{Lo: 1, Hi: 2}}.intersect(spanSet{{Lo: 6, Hi: hi}}), spanSet{}},
		{"intersect of ranges", spanSet{{Lo: lo, Hi: 2}, {Lo: 28, Hi: hi}}.intersect(spanSet{{Lo: 1, Hi: 28}}), spanSet{{Lo: 1, Hi: 2}, {Lo: 28, Hi: 28}}},
		{"complement of points", spanSet{{Lo: 1, Hi: 1}, {Lo: 2, Hi: 2}}.normal().complement(), spanSet{{Lo: lo, Hi: 0}, {Lo: 3, Hi: hi}}},
		{"complement of everything", spanSet{{Lo: lo, Hi: hi}}.complement(), spanSet{}},
		{"complement of nothing", spanSet{}.complement(), spanSet{{Lo: lo, Hi: hi}}},
		{"complement at the ends", spanSet{{Lo: lo, Hi: 5}, {Lo: hi, Hi: hi}}.complement(), spanSet{{Lo: 6, Hi: hi - 1}}},
	} {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	s := spanSet{{Lo: 1, Hi: 3}, {Lo: 7, Hi: 7}, {Lo: hi, Hi: hi}}
	for v, want := range map[int64]bool{lo: false, 0: false, 1: true, 3: true, 4: false, 7: true, 8: false, hi - 1: false, hi: true} {
		if s.contains(v) != want {
			t.Errorf("%v contains %d: %v", s, v, !want)
		}
	}
}

// TestCoarseSpans: a span set cut to n spans keeps every value of it, is
// normal, and merges where the values are closest.
func TestCoarseSpans(t *testing.T) {
	const lo, hi = math.MinInt64, math.MaxInt64
	s := spanSet{{Lo: lo, Hi: lo}, {Lo: 1, Hi: 1}, {Lo: 3, Hi: 3}, {Lo: 5, Hi: 9}, {Lo: 100, Hi: 100}, {Lo: 102, Hi: 103}, {Lo: hi - 1, Hi: hi}}
	for n, want := range map[int]spanSet{
		7: s,
		6: {{Lo: lo, Hi: lo}, {Lo: 1, Hi: 3}, {Lo: 5, Hi: 9}, {Lo: 100, Hi: 100}, {Lo: 102, Hi: 103}, {Lo: hi - 1, Hi: hi}},
		4: {{Lo: lo, Hi: lo}, {Lo: 1, Hi: 9}, {Lo: 100, Hi: 103}, {Lo: hi - 1, Hi: hi}},
		2: {{Lo: lo, Hi: lo}, {Lo: 1, Hi: hi}},
		1: {{Lo: lo, Hi: hi}},
	} {
		if got := s.coarse(n); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("coarse(%d): %v, want %v", n, got, want)
		}
	}
	rng := rand.New(rand.NewPCG(22, 1))
	for range 200 {
		set := spanSet{}
		for range rng.IntN(300) {
			v := rng.Int64N(10_000) - 5_000
			set = append(set, span{Lo: v, Hi: v + rng.Int64N(3)})
		}
		set = set.normal()
		n := 1 + rng.IntN(40)
		c := set.coarse(n)
		if len(c) > n || fmt.Sprint(c.normal()) != fmt.Sprint(c) {
			t.Fatalf("coarse(%d) of %v: %v", n, set, c)
		}
		for _, x := range set {
			if !c.contains(x.Lo) || !c.contains(x.Hi) {
				t.Fatalf("coarse(%d) of %v lost %v: %v", n, set, x, c)
			}
		}
	}
}

// TestCoarseSpansOfText: an IN list's values in runs, and the hull of
// anything else.
func TestCoarseSpansOfText(t *testing.T) {
	points := []cold.Span{cold.Point("d"), cold.Point("a"), cold.Point("c"), cold.Point("a"), cold.Point("b"), cold.Point("é")}
	if got := fmt.Sprint(coarseSpans(points, 2, textKind.compare)); got != "[{a b false false} {c é false false}]" {
		t.Errorf("points: %s", got)
	}
	if got := fmt.Sprint(coarseSpans(points, 9, textKind.compare)); got != "[{a a false false} {b b false false} {c c false false} {d d false false} {é é false false}]" {
		t.Errorf("points, room for each: %s", got)
	}
	ranges := []cold.Span{cold.Point("m"), {Min: "b", MinExclusive: true}, {Min: "c", Max: "d", MaxExclusive: true}}
	if got := fmt.Sprint(coarseSpans(ranges, 2, textKind.compare)); got != "[{b <nil> false false}]" {
		t.Errorf("ranges: %s", got)
	}
}

// TestTimeConstants: a time constant is pushed only of the column's own
// type and within the timestamps whose microseconds an int64 holds.
func TestTimeConstants(t *testing.T) {
	col := expression.NewGetField(0, types.DatetimeMaxPrecision, "at", true)
	at := time.Date(2024, 2, 29, 12, 0, 0, 1500, time.UTC)
	for _, c := range []struct {
		name string
		lit  sql.Expression
		ok   bool
	}{
		{"same type", expression.NewLiteral(at, types.DatetimeMaxPrecision), true},
		{"a date", expression.NewLiteral(at.Truncate(24*time.Hour), types.Date), false},
		{"text", expression.NewLiteral("2024-02-29", types.LongText), false},
		{"last timestamp", expression.NewLiteral(maxTimestamp, types.DatetimeMaxPrecision), true},
		{"past it", expression.NewLiteral(maxTimestamp.Add(time.Microsecond), types.DatetimeMaxPrecision), false},
		{"before the first", expression.NewLiteral(minTime.Add(-time.Microsecond), types.DatetimeMaxPrecision), false},
	} {
		if _, ok := timeConstantOf(col, c.lit); ok != c.ok {
			t.Errorf("%s: pushed %v, want %v", c.name, ok, c.ok)
		}
	}
}
