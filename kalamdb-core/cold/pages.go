package cold

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
)

// Reads work on decoded pages: a data page of one column chunk, turned
// into Go slices once (and cached), from which rows are picked by index.
// A page's rows are a run of the row group's rows; pages of different
// columns do not line up, so a reader keeps one current page per column.

// chunkPages says where the pages of a column chunk start, from its
// offset index. A chunk without one is read as a single page.
type chunkPages struct {
	first []int64 // first row of each page, ascending, first[0] == 0
	rows  int64   // rows of the row group
}

func (cp *chunkPages) numPages() int { return len(cp.first) }

// pageOf returns the page that holds row r.
func (cp *chunkPages) pageOf(r int64) int {
	return sort.Search(len(cp.first), func(p int) bool { return cp.first[p] > r }) - 1
}

// bounds returns the first row of page p and its row count.
func (cp *chunkPages) bounds(p int) (first, n int64) {
	first = cp.first[p]
	if p+1 < len(cp.first) {
		return first, cp.first[p+1] - first
	}
	return first, cp.rows - first
}

func (cp *chunkPages) size() int64 { return int64(len(cp.first)) * 8 }

// pageStats is a column chunk's column index: each page's min and max in
// Parquet's plain encoding, nil when the page has none (all NULL, or
// dropped for size). A chunk without a column index has none at all.
type pageStats struct {
	min, max [][]byte
}

func (ps *pageStats) has(p int) bool {
	return p < len(ps.min) && ps.min[p] != nil && ps.max[p] != nil
}

func (ps *pageStats) size() int64 {
	n := int64(len(ps.min)) * 48
	for p := range ps.min {
		n += int64(len(ps.min[p]) + len(ps.max[p]))
	}
	return n
}

// colPage is one decoded data page. Values are row-aligned: index j is
// the page's row j, whether NULL or not. It is shared through the cache
// and never modified after decoding.
type colPage struct {
	first int64  // row of the row group the page starts at
	n     int    // rows
	nulls []bool // nil: no NULL in the page

	i64   []int64
	i32   []int32
	f32   []float32
	f64   []float64
	bools []bool
	// Byte arrays: value j is str[offs[j]:offs[j+1]] for TEXT columns (one
	// immutable string, so values are substrings and cost nothing), else
	// data[offs[j]:offs[j+1]]; fixed-length ones are data[j*width:].
	offs  []int32
	data  []byte
	str   string
	width int
}

func (pg *colPage) size() int64 {
	return int64(len(pg.nulls) + 8*len(pg.i64) + 4*len(pg.i32) + 4*len(pg.f32) + 8*len(pg.f64) +
		len(pg.bools) + 4*len(pg.offs) + len(pg.data) + len(pg.str))
}

func (pg *colPage) null(j int) bool { return pg.nulls != nil && pg.nulls[j] }

// bytesAt is byte array value j (read-only: it is the cache's memory).
func (pg *colPage) bytesAt(j int) []byte {
	if pg.width > 0 {
		return pg.data[j*pg.width : (j+1)*pg.width : (j+1)*pg.width]
	}
	s, e := pg.offs[j], pg.offs[j+1]
	return pg.data[s:e:e]
}

func (pg *colPage) strAt(j int) string { return pg.str[pg.offs[j]:pg.offs[j+1]] }

// chunkReader decodes pages of one column chunk. It reads consecutive
// pages without seeking, so a scan reads its chunk front to back as one
// stream; a page out of order costs a seek through the offset index.
type chunkReader struct {
	cr   file.ColumnChunkReader
	next int // page the reader is positioned at; -1: unknown
}

func (rd *chunkReader) close() {
	if rd.cr != nil {
		_ = rd.cr.Close()
		rd.cr = nil
	}
}

// decodePage reads page p (rows first..first+n of its row group) through
// rd and decodes it. asText keeps byte arrays as one string. A negative
// p decodes rows first..first+n wherever they are, a run of a page that
// is not cached (a lookup's one row).
func decodePage(rd *chunkReader, p int, first, n int64, asText bool) (*colPage, error) {
	if rd.next != p || p < 0 {
		if err := rd.cr.SeekToRow(first); err != nil {
			rd.next = -1
			return nil, err
		}
	}
	rd.next = -1
	pg := &colPage{first: first, n: int(n)}
	var def []int16
	if rd.cr.Descriptor().MaxDefinitionLevel() > 0 {
		def = make([]int16, n)
	}
	var (
		total int64
		vals  int
		err   error
	)
	switch c := rd.cr.(type) {
	case *file.Int64ColumnChunkReader:
		pg.i64, pg.nulls, total, err = readValues(n, def, c.ReadBatch)
	case *file.Int32ColumnChunkReader:
		pg.i32, pg.nulls, total, err = readValues(n, def, c.ReadBatch)
	case *file.Float32ColumnChunkReader:
		pg.f32, pg.nulls, total, err = readValues(n, def, c.ReadBatch)
	case *file.Float64ColumnChunkReader:
		pg.f64, pg.nulls, total, err = readValues(n, def, c.ReadBatch)
	case *file.BooleanColumnChunkReader:
		pg.bools, pg.nulls, total, err = readValues(n, def, c.ReadBatch)
	case *file.ByteArrayColumnChunkReader:
		// The values point into the reader's page buffer, valid until it
		// reads the next page: each page's values are copied out before
		// the next read (a chunk read as one page has several).
		pg.offs = make([]int32, n+1)
		tmp := make([]parquet.ByteArray, n)
		var buf []byte
		var text strings.Builder // TEXT goes straight into the page's string
		for total < n {
			var t int64
			var v int
			t, v, err = c.ReadBatchInPage(n-total, tmp[:n-total], sub(def, total), nil)
			if err != nil || t == 0 {
				break
			}
			if buf == nil {
				size := 0
				for _, x := range tmp[:v] {
					size += len(x)
				}
				if asText {
					text.Grow(size)
				} else {
					buf = make([]byte, 0, size)
				}
			}
			k := 0
			for j := total; j < total+t; j++ {
				if def == nil || def[j] > 0 {
					if k >= v {
						return nil, corruptf("page %d: more values than definition levels say", p)
					}
					if asText {
						text.Write(tmp[k])
					} else {
						buf = append(buf, tmp[k]...)
					}
					k++
				}
				end := len(buf) + text.Len()
				if end > math.MaxInt32 {
					return nil, corruptf("page %d: over 2 GiB of values", p)
				}
				pg.offs[j+1] = int32(end)
			}
			total += t
			vals += v
		}
		if err == nil && total == n {
			pg.nulls = nullsOf(def, total, vals)
			if asText {
				pg.str = text.String()
			} else {
				if buf == nil {
					buf = []byte{}
				}
				pg.data = buf
			}
		}
	case *file.FixedLenByteArrayColumnChunkReader:
		w := rd.cr.Descriptor().TypeLength()
		if w <= 0 {
			return nil, corruptf("fixed-length column of width %d", w)
		}
		// ReadBatch copies fixed-length values out of the page buffer.
		var tmp []parquet.FixedLenByteArray
		tmp, pg.nulls, total, err = readValues(n, def, c.ReadBatch)
		if err == nil && total == n {
			pg.width = w
			pg.data = make([]byte, int(n)*w)
			for j, x := range tmp {
				if pg.null(j) {
					continue
				}
				if len(x) != w {
					return nil, corruptf("page %d: bad fixed-length value", p)
				}
				copy(pg.data[j*w:], x)
			}
		}
	default:
		return nil, corruptf("column of unsupported physical type %s", rd.cr.Type())
	}
	if err != nil {
		return nil, err
	}
	if total != n {
		return nil, corruptf("page %d holds %d rows, its page index says %d", p, total, n)
	}
	rd.next = p + 1
	return pg, nil
}

// readValues reads n rows of a fixed-width column through read (a typed
// column reader's ReadBatch) and returns them row-aligned, with the NULL
// flags (nil: none) and the number of rows read.
func readValues[T any](n int64, def []int16, read func(int64, []T, []int16, []int16) (int64, int, error)) ([]T, []bool, int64, error) {
	v := make([]T, n)
	var total int64
	vals := 0
	for total < n {
		t, k, err := read(n-total, v[vals:], sub(def, total), nil)
		if err != nil {
			return nil, nil, total, err
		}
		if t == 0 {
			break
		}
		total += t
		vals += k
	}
	return v, spread(v, def, total, vals), total, nil
}

func sub(def []int16, from int64) []int16 {
	if def == nil {
		return nil
	}
	return def[from:]
}

// spread moves the vals dense values of a page read with definition
// levels def to their rows (in place, back to front) and returns the
// NULL flags, nil when there is no NULL.
func spread[T any](v []T, def []int16, total int64, vals int) []bool {
	if def == nil || int64(vals) == total {
		return nil
	}
	nulls := make([]bool, total)
	k := vals - 1
	var zero T
	for j := int(total) - 1; j >= 0; j-- {
		if def[j] > 0 && k >= 0 {
			v[j] = v[k]
			k--
		} else {
			v[j] = zero
			nulls[j] = true
		}
	}
	return nulls
}

func nullsOf(def []int16, total int64, vals int) []bool {
	if def == nil || int64(vals) == total {
		return nil
	}
	nulls := make([]bool, total)
	for j := range nulls {
		nulls[j] = def[j] == 0
	}
	return nulls
}

// value is the canonical Go value (package row) of page row j of a
// column stored as sl describes, converted to the current type if the
// column was re-typed since the file was written.
func (pg *colPage) value(j int, sl *slot) (any, error) {
	if pg.null(j) {
		return nil, nil
	}
	v, err := pg.stored(j, sl)
	if err != nil || !sl.conv {
		return v, err
	}
	return convert(sl.col.Name, sl.from.Type, sl.col.Type, v)
}

func (pg *colPage) stored(j int, sl *slot) (any, error) {
	switch sl.kind {
	case schema.KindBool:
		if pg.bools == nil {
			break
		}
		if pg.bools[j] {
			return int8(1), nil
		}
		return int8(0), nil
	case schema.KindInt16:
		if pg.i32 == nil {
			break
		}
		x := pg.i32[j]
		if x < math.MinInt16 || x > math.MaxInt16 {
			return nil, corruptf("column %q: SMALLINT %d out of range", sl.name, x)
		}
		return int16(x), nil
	case schema.KindInt32:
		if pg.i32 != nil {
			return pg.i32[j], nil
		}
	case schema.KindDate:
		if pg.i32 != nil {
			return dateValue(sl.name, int64(pg.i32[j]))
		}
	case schema.KindInt64:
		if pg.i64 != nil {
			return pg.i64[j], nil
		}
	case schema.KindTimestamp:
		if pg.i64 != nil {
			return timestampValue(sl.name, pg.i64[j])
		}
	case schema.KindTime:
		if pg.i64 != nil {
			return timeValue(sl.name, pg.i64[j])
		}
	case schema.KindFloat32:
		if pg.f32 != nil {
			return pg.f32[j], nil
		}
	case schema.KindFloat64:
		if pg.f64 != nil {
			return pg.f64[j], nil
		}
	case schema.KindText:
		if pg.offs != nil && pg.data == nil {
			return pg.strAt(j), nil
		}
	case schema.KindBytes:
		if pg.offs != nil && pg.data != nil {
			// A copy: the page is shared, a caller may modify its value.
			return append([]byte{}, pg.bytesAt(j)...), nil
		}
	case schema.KindJSON:
		if pg.offs != nil && pg.data != nil {
			return jsonValue(sl.name, pg.bytesAt(j))
		}
	case schema.KindUUID:
		if pg.width == 16 {
			return uuidValue(pg.bytesAt(j)), nil
		}
	case schema.KindDecimal:
		if pg.width > 0 {
			return decimalFromBytes(sl.name, pg.bytesAt(j), sl.scale)
		}
	}
	return nil, corruptf("column %q is not stored as a %s column", sl.name, sl.kind.GoTypeName())
}

// searchKeys returns the first index in [0, n) of a _key page whose key
// is >= key, and whether it equals key.
func (pg *colPage) searchKeys(key []byte) (int, bool) {
	j := sort.Search(pg.n, func(j int) bool { return bytes.Compare(pg.bytesAt(j), key) >= 0 })
	return j, j < pg.n && bytes.Equal(pg.bytesAt(j), key)
}

// checkOffsets validates an offset index against its row group.
func checkOffsets(first []int64, rows int64) error {
	for p, r := range first {
		if (p == 0 && r != 0) || (p > 0 && r <= first[p-1]) || r >= rows {
			return fmt.Errorf("page %d starts at row %d of %d", p, r, rows)
		}
	}
	return nil
}
