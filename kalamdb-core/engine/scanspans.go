package engine

import (
	"math"
	"slices"
	"sort"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/spans"
)

// span is the integers from Lo to Hi, both included.
type span = spans.Span

// spanSet is a set of integers as spans, ascending, disjoint and not
// touching (normal). A WHERE's IN lists, ORs of ranges, NOT IN and <> on
// one integer column are such sets, and their AND is the sets'
// intersection: id IN (1, 7, 9) AND id > 5 is {7, 9}, id IN (1, 2) AND
// id > 5 nothing.
type spanSet []span

// normal sorts s and merges its overlapping and touching spans, in
// place.
func (s spanSet) normal() spanSet { return spans.Normal(s) }

// intersect is the values in both s and o.
func (s spanSet) intersect(o spanSet) spanSet {
	out := spanSet{}
	for i, j := 0, 0; i < len(s) && j < len(o); {
		lo, hi := max(s[i].Lo, o[j].Lo), min(s[i].Hi, o[j].Hi)
		if lo <= hi {
			out = append(out, span{Lo: lo, Hi: hi})
		}
		if s[i].Hi < o[j].Hi {
			i++
		} else {
			j++
		}
	}
	return out
}

// complement is the integers not in s.
func (s spanSet) complement() spanSet {
	out := spanSet{}
	next := int64(math.MinInt64) // the first value not yet placed
	open := true                 // next is a value (not past MaxInt64)
	for _, x := range s {
		if x.Lo > next {
			out = append(out, span{Lo: next, Hi: x.Lo - 1})
		}
		if x.Hi == math.MaxInt64 {
			open = false
			break
		}
		next = x.Hi + 1
	}
	if open {
		out = append(out, span{Lo: next, Hi: math.MaxInt64})
	}
	return out
}

// contains reports whether v is in s.
func (s spanSet) contains(v int64) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i].Hi >= v })
	return i < len(s) && s[i].Lo <= v
}

// maxColdSpans is the most spans a scan filter hands the cold files (per
// column). Each file compiles a filter's spans, and every row group,
// page and row is tested against them, so a statement's IN list of
// 100,000 values (as long as its size limit lets it be) would cost each
// file that much; merged to this many where the values are closest, it
// still skips the files and row groups in the list's larger gaps.
const maxColdSpans = 1024

// coarse is s (normal) with its closest spans merged, until at most n
// are left: a superset of s, which cold files may prune by but rows are
// not filtered by. The gaps merged are the len(s)-n smallest (the
// earlier of equal ones first).
func (s spanSet) coarse(n int) spanSet {
	if len(s) <= n {
		return s
	}
	gaps := make([]int, len(s)-1) // gap i lies between s[i] and s[i+1]
	for i := range gaps {
		gaps[i] = i
	}
	// s[i+1].Lo > s[i].Hi + 1, and the difference fits in a uint64.
	gap := func(i int) uint64 { return uint64(s[i+1].Lo) - uint64(s[i].Hi) }
	slices.SortFunc(gaps, func(a, b int) int {
		if ga, gb := gap(a), gap(b); ga != gb {
			if ga < gb {
				return -1
			}
			return 1
		}
		return a - b
	})
	merged := make([]bool, len(gaps))
	for _, i := range gaps[:len(s)-n] {
		merged[i] = true
	}
	out := make(spanSet, 0, n)
	for i, x := range s {
		if i > 0 && merged[i-1] {
			out[len(out)-1].Hi = x.Hi
			continue
		}
		out = append(out, x)
	}
	return out
}
