package cold

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/spans"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Filter is a constraint on one column that a range read (Range.Filters)
// uses to skip row groups and pages by their statistics, and rows before
// decoding their other columns. A row passes when the column's value is
// not NULL and lies within the bounds; a nil bound is open (so a filter
// with neither bound means IS NOT NULL).
//
// Filters narrow what a read returns but are not exact: a read may return
// rows that fail them (a file written before the column existed, whose
// DEFAULT the caller fills in, or before it was re-typed, is not
// filtered), so the caller still applies its own predicate. They never
// drop a row that passes.
//
// Values compare in storage order: integers, dates, times and timestamps
// numerically, TEXT and BYTES bytewise (UTF-8 code point order). A caller
// whose SQL comparison differs (a collation other than binary) must not
// push it down. Bounds are canonical Go values of the column's type
// (package row), or any Go integer for the integer types.
type Filter struct {
	// Column is the index of the column in the read's current schema.
	Column int
	// Min and Max bound the value; nil is unbounded.
	Min, Max any
	// MinExclusive and MaxExclusive make the bounds strict.
	MinExclusive, MaxExclusive bool
	// Spans, when not nil, narrow the filter to a union of ranges: a value
	// passes only when it also lies within one of them (an IN list is a
	// span per value, an OR of ranges a span per range; an empty, non-nil
	// list passes nothing). Row groups and pages are then skipped when no
	// span meets their statistics, not only when [Min, Max] misses them:
	// id IN (1, 1000000) skips a row group of ids 1000..2000, which its
	// hull [1, 1000000] covers. Spans may come in any order and overlap.
	Spans []Span
}

// Span is one range of a Filter's union, bounded as Filter is: a nil
// bound is open, and the flags make a bound strict.
type Span struct {
	Min, Max                   any
	MinExclusive, MaxExclusive bool
}

// Point is the span of the single value v.
func Point(v any) Span { return Span{Min: v, Max: v} }

// maxBloomPoints is the most values a filter probes a row group's bloom
// filter for: each probe is a hash and a lookup, and a longer list is
// unlikely to miss every one of them at a 1% false-positive rate anyway.
const maxBloomPoints = 64

// ErrFilter is matched by the error for a filter a read cannot use: a
// column of a type it does not compare, or a bound of the wrong type.
var ErrFilter = errors.New("cold: unusable filter")

// FilterSupported reports whether filters on a column of type dt are
// accepted.
func FilterSupported(dt dialect.DataType) bool {
	switch schema.KindOf(dt.Name) {
	case schema.KindBool, schema.KindInt16, schema.KindInt32, schema.KindInt64, schema.KindDate, schema.KindTimestamp,
		schema.KindTime, schema.KindText, schema.KindBytes:
		return true
	}
	return false
}

// colFilter is a Filter compiled for one file: bounds in the column's
// storage domain, inclusive.
type colFilter struct {
	leaf int
	col  int // index in the cursor's columns
	num  bool
	// Numeric bounds (BOOLEAN is 0/1).
	lo, hi int64
	// Byte bounds; strict flags kept since bytes have no successor.
	blo, bhi       []byte
	hasLo, hasHi   bool
	loStrict       bool
	hiStrict       bool
	empty          bool   // no value can pass
	pageOut        []int8 // per page of the current row group: 0 unknown, 1 excluded, 2 may match
	isBool, isText bool
	i32            bool // stored as INT32
	// The union of Filter.Spans, sorted, disjoint and not empty (nil: no
	// spans): nspans for numbers (inclusive), bspans for bytes.
	hasSpans bool
	nspans   []spans.Span
	bspans   []byteSpan
	// points are the only values that pass when there are at most
	// maxBloomPoints of them (an IN list, or Min = Max), to probe a
	// column's bloom filter with: int64 for numbers, []byte for bytes.
	points []any
}

// byteSpan is a range of byte strings; an unbounded side has no bytes.
type byteSpan struct {
	lo, hi             []byte
	hasLo, hasHi       bool
	loStrict, hiStrict bool
}

// compileFilter checks fl against the current schema and maps it onto
// the file's column. ok is false when the file cannot apply it.
func (f *File) compileFilter(current *systable.TableSchema, fl Filter) (cf colFilter, ok bool, err error) {
	if fl.Column < 0 || fl.Column >= len(current.Columns) {
		return cf, false, fmt.Errorf("%w: column %d of %d", ErrFilter, fl.Column, len(current.Columns))
	}
	sl, err := f.slotOf(current, fl.Column)
	if err != nil {
		return cf, false, err
	}
	k := schema.KindOf(sl.col.Type.Name)
	if !FilterSupported(sl.col.Type) {
		return cf, false, fmt.Errorf("%w: column %q of type %s", ErrFilter, sl.col.Name, sl.col.Type.Name)
	}
	cf.hasLo, cf.hasHi = fl.Min != nil, fl.Max != nil
	cf.loStrict, cf.hiStrict = fl.MinExclusive, fl.MaxExclusive
	switch k {
	case schema.KindText, schema.KindBytes:
		cf.isText = k == schema.KindText
		if cf.blo, err = bytesBound(sl.col.Name, k, fl.Min); err == nil {
			cf.bhi, err = bytesBound(sl.col.Name, k, fl.Max)
		}
	default:
		cf.num = true
		cf.isBool = k == schema.KindBool
		cf.i32 = k == schema.KindInt16 || k == schema.KindInt32 || k == schema.KindDate
		var empty bool
		cf.lo, cf.hi, empty, err = numRange(sl.col.Name, k, Span{fl.Min, fl.Max, fl.MinExclusive, fl.MaxExclusive})
		cf.empty = empty
	}
	if err != nil {
		return cf, false, err
	}
	if fl.Spans != nil {
		if err = cf.compileSpans(sl.col.Name, k, fl.Spans); err != nil {
			return cf, false, err
		}
	}
	cf.points = cf.pointSet()
	if sl.leaf < 0 || sl.conv {
		return cf, false, nil
	}
	cf.leaf = sl.leaf
	return cf, true, nil
}

func bytesBound(name string, k schema.Kind, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if k == schema.KindText {
			return []byte(x), nil
		}
	case []byte:
		if k == schema.KindBytes {
			return bytes.Clone(x), nil
		}
	}
	return nil, fmt.Errorf("%w: column %q: bound %T is not a %s", ErrFilter, name, v, k.GoTypeName())
}

// numBound is v in the storage domain of kind k; rounded reports that v
// had a fraction the domain drops (it was rounded down).
func numBound(name string, k schema.Kind, v any) (n int64, rounded bool, err error) {
	if v == nil {
		return 0, false, nil
	}
	bad := func() (int64, bool, error) {
		return 0, false, fmt.Errorf("%w: column %q: bound %T is not a %s", ErrFilter, name, v, k.GoTypeName())
	}
	switch k {
	case schema.KindBool:
		switch x := v.(type) {
		case int8:
			return int64(x), false, nil
		case bool:
			if x {
				return 1, false, nil
			}
			return 0, false, nil
		}
		return bad()
	case schema.KindInt16, schema.KindInt32, schema.KindInt64:
		switch x := v.(type) {
		case int:
			return int64(x), false, nil
		case int8:
			return int64(x), false, nil
		case int16:
			return int64(x), false, nil
		case int32:
			return int64(x), false, nil
		case int64:
			return x, false, nil
		}
		return bad()
	case schema.KindTimestamp:
		t, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		return t.UnixMicro(), t.Nanosecond()%1000 != 0, nil
	case schema.KindDate:
		t, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		d := row.EpochDays(t)
		return d, !t.Equal(time.Unix(d*86400, 0)), nil
	case schema.KindTime:
		x, ok := v.(types.Timespan)
		if !ok {
			return bad()
		}
		return int64(x), false, nil
	}
	return bad()
}

// passNum reports whether stored value x passes.
func (cf *colFilter) passNum(x int64) bool {
	return x >= cf.lo && x <= cf.hi && (!cf.hasSpans || cf.inNumSpans(x))
}

func (cf *colFilter) passBytes(b []byte) bool {
	if cf.hasLo {
		c := bytes.Compare(b, cf.blo)
		if c < 0 || (c == 0 && cf.loStrict) {
			return false
		}
	}
	if cf.hasHi {
		c := bytes.Compare(b, cf.bhi)
		if c > 0 || (c == 0 && cf.hiStrict) {
			return false
		}
	}
	return true
}

func (cf *colFilter) passString(s string) bool {
	if cf.hasLo {
		c := compareStringBytes(s, cf.blo)
		if c < 0 || (c == 0 && cf.loStrict) {
			return false
		}
	}
	if cf.hasHi {
		c := compareStringBytes(s, cf.bhi)
		if c > 0 || (c == 0 && cf.hiStrict) {
			return false
		}
	}
	return true
}

func compareStringBytes(s string, b []byte) int {
	n := min(len(s), len(b))
	for i := 0; i < n; i++ {
		if s[i] != b[i] {
			if s[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(s) < len(b):
		return -1
	case len(s) > len(b):
		return 1
	}
	return 0
}

// passRow reports whether row j of page pg (of the filter's column)
// passes.
func (cf *colFilter) passRow(pg *colPage, j int) bool {
	if cf.empty || pg.null(j) {
		return false
	}
	switch {
	case cf.isText:
		s := pg.strAt(j)
		return cf.passString(s) && (!cf.hasSpans || cf.inStringSpans(s))
	case !cf.num:
		b := pg.bytesAt(j)
		return cf.passBytes(b) && (!cf.hasSpans || cf.inByteSpans(b))
	case cf.isBool:
		x := int64(0)
		if pg.bools[j] {
			x = 1
		}
		return cf.passNum(x)
	case cf.i32:
		return cf.passNum(int64(pg.i32[j]))
	default:
		return cf.passNum(pg.i64[j])
	}
}

// excludes reports whether statistics min..max (Parquet's plain
// encoding) prove that no value passes. Statistics it cannot read prove
// nothing.
func (cf *colFilter) excludes(minB, maxB []byte) bool {
	if cf.empty {
		return true
	}
	if minB == nil || maxB == nil {
		return false
	}
	if !cf.num {
		return (cf.hasHi && !cf.passBytesHi(minB)) || (cf.hasLo && !cf.passBytesLo(maxB)) ||
			(cf.hasSpans && cf.spansExcludeBytes(minB, maxB))
	}
	lo, ok1 := cf.decodeStat(minB)
	hi, ok2 := cf.decodeStat(maxB)
	if !ok1 || !ok2 {
		return false
	}
	return hi < cf.lo || lo > cf.hi || (cf.hasSpans && cf.spansExcludeNum(lo, hi))
}

func (cf *colFilter) passBytesLo(b []byte) bool {
	c := bytes.Compare(b, cf.blo)
	return c > 0 || (c == 0 && !cf.loStrict)
}

func (cf *colFilter) passBytesHi(b []byte) bool {
	c := bytes.Compare(b, cf.bhi)
	return c < 0 || (c == 0 && !cf.hiStrict)
}

func (cf *colFilter) decodeStat(b []byte) (int64, bool) {
	switch {
	case cf.isBool:
		if len(b) != 1 {
			return 0, false
		}
		return int64(b[0] & 1), true
	case cf.i32:
		if len(b) != 4 {
			return 0, false
		}
		return int64(int32(binary.LittleEndian.Uint32(b))), true
	default:
		if len(b) != 8 {
			return 0, false
		}
		return int64(binary.LittleEndian.Uint64(b)), true
	}
}
