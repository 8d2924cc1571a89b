package engine

import (
	"fmt"
	"math"
	"testing"
)

// TestSpanSets pins the set operations the scan filters combine a WHERE's
// conditions with, at the ends of int64 where a + 1 or a - 1 overflows.
func TestSpanSets(t *testing.T) {
	const lo, hi = math.MinInt64, math.MaxInt64
	for _, c := range []struct {
		name      string
		got, want spanSet
	}{
		{"normal merges overlaps and neighbours", spanSet{{7, 9}, {1, 2}, {3, 3}, {8, 12}, {hi, hi}, {hi - 1, hi - 1}}.normal(), spanSet{{1, 3}, {7, 12}, {hi - 1, hi}}},
		{"normal of nothing", spanSet{}.normal(), spanSet{}},
		{"intersect", spanSet{{1, 1}, {7, 7}, {9, 9}}.intersect(spanSet{{6, hi}}), spanSet{{7, 7}, {9, 9}}},
		{"intersect, empty", spanSet{{1, 2}}.intersect(spanSet{{6, hi}}), spanSet{}},
		{"intersect of ranges", spanSet{{lo, 2}, {28, hi}}.intersect(spanSet{{1, 28}}), spanSet{{1, 2}, {28, 28}}},
		{"complement of points", spanSet{{1, 1}, {2, 2}}.normal().complement(), spanSet{{lo, 0}, {3, hi}}},
		{"complement of everything", spanSet{{lo, hi}}.complement(), spanSet{}},
		{"complement of nothing", spanSet{}.complement(), spanSet{{lo, hi}}},
		{"complement at the ends", spanSet{{lo, 5}, {hi, hi}}.complement(), spanSet{{6, hi - 1}}},
	} {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	s := spanSet{{1, 3}, {7, 7}, {hi, hi}}
	for v, want := range map[int64]bool{lo: false, 0: false, 1: true, 3: true, 4: false, 7: true, 8: false, hi - 1: false, hi: true} {
		if s.contains(v) != want {
			t.Errorf("%v contains %d: %v", s, v, !want)
		}
	}
}
