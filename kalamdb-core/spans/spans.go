// Package spans is sets of integers as spans: what a WHERE's IN lists,
// ranges and ORs of them leave of one integer (or time) column, which the
// engine's scan filters intersect and complement and the cold files'
// filters test statistics against. It imports nothing.
package spans

import (
	"math"
	"slices"
)

// Span is the integers from Lo to Hi, both included.
type Span struct{ Lo, Hi int64 }

// Normal sorts s and merges its overlapping and touching spans, in place:
// the result ascends, and no two of its spans overlap or touch.
func Normal(s []Span) []Span {
	slices.SortFunc(s, func(a, b Span) int {
		switch {
		case a.Lo < b.Lo:
			return -1
		case a.Lo > b.Lo:
			return 1
		}
		return 0
	})
	out := s[:0]
	for _, x := range s {
		if n := len(out); n > 0 && (out[n-1].Hi == math.MaxInt64 || x.Lo <= out[n-1].Hi+1) {
			out[n-1].Hi = max(out[n-1].Hi, x.Hi)
			continue
		}
		out = append(out, x)
	}
	return out
}
