package cold

import (
	"bytes"
	"math"
	"slices"
	"sort"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/metadata"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/spans"
)

// A filter's union of spans (Filter.Spans): compiled once per read into
// sorted, disjoint spans in the column's storage domain, so that a row
// group's or page's statistics [min, max] are tested against the spans
// that can meet them (a binary search), not against their hull, and a
// row's value is found in one span or none.

// numRange is span s of a column of kind k as inclusive stored values
// lo..hi; empty reports that no value passes. A bound that was rounded
// down (sub-microsecond, part of a day) keeps its row: a read may
// return more, not less.
func numRange(name string, k schema.Kind, s Span) (lo, hi int64, empty bool, err error) {
	l, loRound, err := numBound(name, k, s.Min)
	if err != nil {
		return 0, 0, false, err
	}
	h, hiRound, err := numBound(name, k, s.Max)
	if err != nil {
		return 0, 0, false, err
	}
	lo, hi = math.MinInt64, math.MaxInt64
	if s.Min != nil {
		lo = l
		if s.MinExclusive && !loRound {
			if l == math.MaxInt64 {
				empty = true
			}
			lo = l + 1
		}
	}
	if s.Max != nil {
		hi = h
		if s.MaxExclusive && !hiRound {
			if h == math.MinInt64 {
				empty = true
			}
			hi = h - 1
		}
	}
	return lo, hi, empty || lo > hi, nil
}

// compileSpans sets the filter's union from spans (Filter.Spans).
func (cf *colFilter) compileSpans(name string, k schema.Kind, list []Span) error {
	cf.hasSpans = true
	if cf.num {
		out := make([]spans.Span, 0, len(list))
		for _, s := range list {
			lo, hi, empty, err := numRange(name, k, s)
			if err != nil {
				return err
			}
			// Clipped to [Min, Max]: what is outside passes nothing.
			lo, hi = max(lo, cf.lo), min(hi, cf.hi)
			if !empty && lo <= hi {
				out = append(out, spans.Span{Lo: lo, Hi: hi})
			}
		}
		cf.nspans = spans.Normal(out)
		cf.empty = cf.empty || len(cf.nspans) == 0
		return nil
	}
	out := make([]byteSpan, 0, len(list))
	for _, s := range list {
		lo, err := bytesBound(name, k, s.Min)
		if err != nil {
			return err
		}
		hi, err := bytesBound(name, k, s.Max)
		if err != nil {
			return err
		}
		bs := byteSpan{lo: lo, hi: hi, hasLo: s.Min != nil, hasHi: s.Max != nil, loStrict: s.MinExclusive, hiStrict: s.MaxExclusive}
		if !bs.isEmpty() {
			out = append(out, bs)
		}
	}
	cf.bspans = mergeByteSpans(out)
	cf.empty = cf.empty || len(cf.bspans) == 0
	return nil
}

func (s *byteSpan) isEmpty() bool {
	if !s.hasLo || !s.hasHi {
		return false
	}
	c := bytes.Compare(s.lo, s.hi)
	return c > 0 || (c == 0 && (s.loStrict || s.hiStrict))
}

// mergeByteSpans sorts spans by their start and merges those that
// overlap, so that both their starts and their ends ascend.
func mergeByteSpans(spans []byteSpan) []byteSpan {
	slices.SortFunc(spans, func(a, b byteSpan) int {
		switch {
		case !a.hasLo || !b.hasLo:
			if a.hasLo == b.hasLo {
				return 0
			}
			if !a.hasLo {
				return -1
			}
			return 1
		}
		if c := bytes.Compare(a.lo, b.lo); c != 0 {
			return c
		}
		switch {
		case a.loStrict == b.loStrict:
			return 0
		case !a.loStrict:
			return -1
		}
		return 1
	})
	out := spans[:0]
	for _, s := range spans {
		n := len(out)
		if n == 0 {
			out = append(out, s)
			continue
		}
		cur := &out[n-1]
		// s starts at or after cur: they overlap unless s starts past
		// cur's end (or at it, when neither includes that value).
		overlap := !cur.hasHi || !s.hasLo
		if !overlap {
			c := bytes.Compare(s.lo, cur.hi)
			overlap = c < 0 || (c == 0 && !(cur.hiStrict && s.loStrict))
		}
		if !overlap {
			out = append(out, s)
			continue
		}
		switch {
		case !cur.hasHi:
		case !s.hasHi:
			cur.hi, cur.hasHi, cur.hiStrict = nil, false, false
		default:
			c := bytes.Compare(s.hi, cur.hi)
			if c > 0 {
				cur.hi, cur.hiStrict = s.hi, s.hiStrict
			} else if c == 0 {
				cur.hiStrict = cur.hiStrict && s.hiStrict
			}
		}
	}
	return out
}

// below reports whether every value of s is less than b.
func (s *byteSpan) below(b []byte) bool {
	if !s.hasHi {
		return false
	}
	c := bytes.Compare(s.hi, b)
	return c < 0 || (c == 0 && s.hiStrict)
}

// above reports whether every value of s is greater than b.
func (s *byteSpan) above(b []byte) bool {
	if !s.hasLo {
		return false
	}
	c := bytes.Compare(s.lo, b)
	return c > 0 || (c == 0 && s.loStrict)
}

// spansExcludeNum and spansExcludeBytes report whether no span meets
// the values min..max of a row group's or page's statistics.
func (cf *colFilter) spansExcludeNum(lo, hi int64) bool {
	i := sort.Search(len(cf.nspans), func(i int) bool { return cf.nspans[i].Hi >= lo })
	return i == len(cf.nspans) || cf.nspans[i].Lo > hi
}

func (cf *colFilter) spansExcludeBytes(minB, maxB []byte) bool {
	i := sort.Search(len(cf.bspans), func(i int) bool { return !cf.bspans[i].below(minB) })
	return i == len(cf.bspans) || cf.bspans[i].above(maxB)
}

// inNumSpans reports whether stored value x is in a span.
func (cf *colFilter) inNumSpans(x int64) bool {
	i := sort.Search(len(cf.nspans), func(i int) bool { return cf.nspans[i].Hi >= x })
	return i < len(cf.nspans) && cf.nspans[i].Lo <= x
}

// inByteSpans reports whether b is in a span.
func (cf *colFilter) inByteSpans(b []byte) bool {
	i := sort.Search(len(cf.bspans), func(i int) bool { return !cf.bspans[i].below(b) })
	return i < len(cf.bspans) && !cf.bspans[i].above(b)
}

// inStringSpans is inByteSpans of a TEXT value, without copying it.
func (cf *colFilter) inStringSpans(s string) bool {
	i := sort.Search(len(cf.bspans), func(i int) bool {
		sp := &cf.bspans[i]
		if !sp.hasHi {
			return true
		}
		c := compareStringBytes(s, sp.hi)
		return c < 0 || (c == 0 && !sp.hiStrict)
	})
	if i == len(cf.bspans) {
		return false
	}
	sp := &cf.bspans[i]
	if !sp.hasLo {
		return true
	}
	c := compareStringBytes(s, sp.lo)
	return c > 0 || (c == 0 && !sp.loStrict)
}

// pointSet lists the only values that pass, when there are at most
// maxBloomPoints of them: the spans, when each is one value, or the
// bounds, when they are equal and inclusive. BOOLEAN has no bloom filter
// worth probing.
func (cf *colFilter) pointSet() []any {
	if cf.empty || cf.isBool {
		return nil
	}
	var out []any
	switch {
	case cf.num && cf.hasSpans:
		if len(cf.nspans) > maxBloomPoints {
			return nil
		}
		for _, s := range cf.nspans {
			if s.Lo != s.Hi {
				return nil
			}
			out = append(out, s.Lo)
		}
	case cf.num:
		if cf.lo != cf.hi {
			return nil
		}
		out = append(out, cf.lo)
	case cf.hasSpans:
		if len(cf.bspans) > maxBloomPoints {
			return nil
		}
		for _, s := range cf.bspans {
			if !s.hasLo || !s.hasHi || s.loStrict || s.hiStrict || !bytes.Equal(s.lo, s.hi) {
				return nil
			}
			out = append(out, s.lo)
		}
	default:
		if !cf.hasLo || !cf.hasHi || cf.loStrict || cf.hiStrict || !bytes.Equal(cf.blo, cf.bhi) {
			return nil
		}
		out = append(out, cf.blo)
	}
	return out
}

// bloomExcludes reports whether bloom filter bf (of the filter's column
// in one row group) holds none of the filter's points. Values are hashed
// as the writer inserted them: INT32 columns as int32, INT64 ones as
// int64, byte columns as their bytes.
func (cf *colFilter) bloomExcludes(bf metadata.BloomFilter) bool {
	h := bf.Hasher()
	for _, p := range cf.points {
		var sum uint64
		switch v := p.(type) {
		case int64:
			if cf.i32 {
				if v < math.MinInt32 || v > math.MaxInt32 {
					continue // no INT32 value is v
				}
				sum = metadata.GetHash(h, int32(v))
			} else {
				sum = metadata.GetHash(h, v)
			}
		case []byte:
			sum = metadata.GetHash(h, parquet.ByteArray(v))
		default:
			return false
		}
		if bf.CheckHash(sum) {
			return false
		}
	}
	return true
}
