package engine

import (
	"math"
	"slices"
	"sort"
)

// span is the integers from lo to hi, both included.
type span struct{ lo, hi int64 }

// spanSet is a set of integers as spans, ascending, disjoint and not
// touching (normal). A WHERE's IN lists, ORs of ranges, NOT IN and <> on
// one integer column are such sets, and their AND is the sets'
// intersection: id IN (1, 7, 9) AND id > 5 is {7, 9}, id IN (1, 2) AND
// id > 5 nothing.
type spanSet []span

// normal sorts s and merges its overlapping and touching spans, in
// place.
func (s spanSet) normal() spanSet {
	slices.SortFunc(s, func(a, b span) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	out := s[:0]
	for _, x := range s {
		if n := len(out); n > 0 && (out[n-1].hi == math.MaxInt64 || x.lo <= out[n-1].hi+1) {
			out[n-1].hi = max(out[n-1].hi, x.hi)
			continue
		}
		out = append(out, x)
	}
	return out
}

// intersect is the values in both s and o.
func (s spanSet) intersect(o spanSet) spanSet {
	out := spanSet{}
	for i, j := 0, 0; i < len(s) && j < len(o); {
		lo, hi := max(s[i].lo, o[j].lo), min(s[i].hi, o[j].hi)
		if lo <= hi {
			out = append(out, span{lo, hi})
		}
		if s[i].hi < o[j].hi {
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
		if x.lo > next {
			out = append(out, span{next, x.lo - 1})
		}
		if x.hi == math.MaxInt64 {
			open = false
			break
		}
		next = x.hi + 1
	}
	if open {
		out = append(out, span{next, math.MaxInt64})
	}
	return out
}

// contains reports whether v is in s.
func (s spanSet) contains(v int64) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i].hi >= v })
	return i < len(s) && s[i].lo <= v
}
