package spans

import (
	"fmt"
	"math"
	"testing"
)

// TestNormal merges overlaps and neighbours in any order, at the ends of
// int64 where hi + 1 overflows.
func TestNormal(t *testing.T) {
	const lo, hi = math.MinInt64, math.MaxInt64
	for _, c := range []struct{ in, want []Span }{
		{[]Span{{7, 9}, {1, 2}, {3, 3}, {8, 12}, {hi, hi}, {hi - 1, hi - 1}}, []Span{{1, 3}, {7, 12}, {hi - 1, hi}}},
		{[]Span{{lo, lo}, {lo + 2, 5}, {hi, hi}, {0, hi}}, []Span{{lo, lo}, {lo + 2, hi}}},
		{[]Span{{5, 5}, {5, 5}}, []Span{{5, 5}}},
		{[]Span{}, []Span{}},
	} {
		if got := Normal(append([]Span(nil), c.in...)); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("Normal(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
