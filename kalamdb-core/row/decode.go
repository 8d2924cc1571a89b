package row

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"time"
	"unsafe"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"

	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Projection decodes rows written under one schema version into the
// wanted columns of another (usually the current) version, matching
// columns by ColumnID. Build one per (written version, current version,
// wanted columns) and cache it: building costs reflection, decoding does
// not. A Projection is immutable and safe for concurrent use.
type Projection struct {
	version int    // schema version of the rows it reads
	ncols   int    // columns of that version
	steps   []step // one per written column, up to the last wanted one
	full    bool   // steps cover every column, so trailing bytes are corrupt
	missing []bool // per wanted column: absent from the written version
	convs   []conversion
	slab    reflect.Type // nil when no wanted column needs one
}

// step says what to do with one written column.
type step struct {
	kind schema.Kind
	slot int32   // index in dst, or -1 to skip the value
	off  uintptr // offset of the slot's field in the slab
}

// conversion re-types a decoded value whose column changed type since
// the row was written.
type conversion struct {
	slot int
	from dialect.DataType
	to   dialect.DataType
	name string
}

// NewProjection builds the projection of rows written under schema
// version written onto the columns current.Columns[want[0]],
// current.Columns[want[1]], ... (want nil: every current column, in order).
// written and current may be the same schema.
func NewProjection(written, current *systable.TableSchema, want []int) (*Projection, error) {
	if written == nil || current == nil {
		return nil, fmt.Errorf("row: projection: nil schema")
	}
	p := &Projection{version: written.Version, ncols: len(written.Columns)}
	byID := make(map[int]int, len(written.Columns))
	steps := make([]step, len(written.Columns))
	for i, c := range written.Columns {
		k := schema.KindOf(c.Type.Name)
		if k == schema.KindInvalid {
			return nil, fmt.Errorf("row: projection: %s version %d column %q has unknown type %q", written.TableID, written.Version, c.Name, c.Type.Name)
		}
		if _, dup := byID[c.ColumnID]; dup {
			return nil, fmt.Errorf("row: projection: %s version %d has column id %d twice", written.TableID, written.Version, c.ColumnID)
		}
		byID[c.ColumnID] = i
		steps[i] = step{kind: k, slot: -1}
	}
	if want == nil {
		want = make([]int, len(current.Columns))
		for i := range want {
			want[i] = i
		}
	}
	p.missing = make([]bool, len(want))
	last := -1
	seen := make(map[int]bool, len(want))
	for slot, ci := range want {
		if ci < 0 || ci >= len(current.Columns) {
			return nil, fmt.Errorf("row: projection: wanted column %d of %d", ci, len(current.Columns))
		}
		if seen[ci] {
			return nil, fmt.Errorf("row: projection: column %d wanted twice", ci)
		}
		seen[ci] = true
		c := current.Columns[ci]
		if schema.KindOf(c.Type.Name) == schema.KindInvalid {
			return nil, fmt.Errorf("row: projection: %s column %q has unknown type %q", current.TableID, c.Name, c.Type.Name)
		}
		wi, ok := byID[c.ColumnID]
		if !ok {
			p.missing[slot] = true
			continue
		}
		steps[wi].slot = int32(slot)
		last = max(last, wi)
		if from := written.Columns[wi].Type; needsConversion(from, c.Type) {
			p.convs = append(p.convs, conversion{slot: slot, from: from, to: c.Type, name: c.Name})
		}
	}
	p.steps = steps[:last+1]
	p.full = len(p.steps) == p.ncols

	var kinds []schema.Kind
	var at []int
	for i, st := range p.steps {
		if st.slot >= 0 && st.kind != schema.KindBool { // int8 0/1 boxes without allocating
			kinds = append(kinds, st.kind)
			at = append(at, i)
		}
	}
	var offs []uintptr
	p.slab, offs = slabLayout(kinds)
	for j, i := range at {
		p.steps[i].off = offs[j]
	}
	return p, nil
}

// needsConversion reports whether values written as from must be converted
// to read as to. A changed VARCHAR length does not count: reading an old
// row never fails on a length the column no longer allows.
func needsConversion(from, to dialect.DataType) bool {
	kf, kt := schema.KindOf(from.Name), schema.KindOf(to.Name)
	if kf != kt {
		return true
	}
	return kt == schema.KindDecimal && (from.Precision != to.Precision || from.Scale != to.Scale)
}

// Len is the number of wanted columns: the length Decode wants of dst.
func (p *Projection) Len() int { return len(p.missing) }

// Version is the schema version of the rows this projection reads.
func (p *Projection) Version() int { return p.version }

// Missing reports whether wanted column i did not exist in the written
// version. Decode leaves it nil; the caller fills in the column's DEFAULT.
func (p *Projection) Missing(i int) bool { return p.missing[i] }

// AnyMissing reports whether Missing is true for some wanted column.
func (p *Projection) AnyMissing() bool {
	for _, m := range p.missing {
		if m {
			return true
		}
	}
	return false
}

// span is a string value waiting for the row's string arena.
type span struct {
	slot  int32
	kind  schema.Kind // schema.KindText or schema.KindUUID
	off   uintptr
	start int
	n     int
}

// Decode decodes row version b into dst, which must have Len() entries:
// dst[i] gets wanted column i, nil for NULL and for missing columns. A
// tombstone stored without values leaves every entry nil.
//
// Values never alias b: the caller may reuse b (a RocksDB buffer) as soon
// as Decode returns, and may reuse dst for the next row (copying the
// interfaces out keeps the values). The TEXT and UUID strings of a row
// share one allocation and its other values a second one (see slab.go), so
// a typical row costs two allocations whatever its width; BYTES, DECIMAL
// and JSON values add their own.
func (p *Projection) Decode(b []byte, dst []any) (Header, error) {
	return p.decode(b, dst, false)
}

// DecodeShared is Decode whose TEXT values are views of b instead of
// copies: b must never be written again (a buffer the caller owns and
// drops, such as the values of a kv MultiGet), and stays alive while any
// of the row's strings does. It saves the row's string allocation and
// copy when every string of b ends up in the result anyway.
func (p *Projection) DecodeShared(b []byte, dst []any) (Header, error) {
	return p.decode(b, dst, true)
}

func (p *Projection) decode(b []byte, dst []any, shared bool) (Header, error) {
	if len(dst) != len(p.missing) {
		return Header{}, fmt.Errorf("row: decode: dst has %d entries, projection has %d columns", len(dst), len(p.missing))
	}
	clear(dst)
	h, bitmap, pos, err := p.columns(b)
	if err != nil || bitmap == nil {
		return h, err
	}

	var base unsafe.Pointer
	var spanBuf [16]span
	spans := spanBuf[:0]
	strBytes := 0
	for i := range p.steps {
		if bitmap[i>>3]&(1<<(i&7)) != 0 {
			continue // NULL: dst[slot] is already nil
		}
		st := &p.steps[i]
		if st.slot < 0 {
			if pos, err = skipValue(b, pos, st.kind); err != nil {
				return h, err
			}
			continue
		}
		if base == nil && st.kind != schema.KindBool {
			base = reflect.New(p.slab).UnsafePointer()
		}
		typ := slabTypeWords[st.kind]
		switch st.kind {
		case schema.KindBool:
			if pos >= len(b) || b[pos] > 1 {
				return h, corrupt("bad BOOLEAN")
			}
			dst[st.slot] = int8(b[pos])
			pos++
		case schema.KindInt16, schema.KindInt32, schema.KindInt64:
			v, m := binary.Varint(b[pos:])
			if m <= 0 {
				return h, corrupt("bad integer")
			}
			pos += m
			switch st.kind {
			case schema.KindInt16:
				if v < math.MinInt16 || v > math.MaxInt16 {
					return h, corrupt("SMALLINT %d out of range", v)
				}
				dst[st.slot] = put(base, st.off, typ, int16(v))
			case schema.KindInt32:
				if v < math.MinInt32 || v > math.MaxInt32 {
					return h, corrupt("INT %d out of range", v)
				}
				dst[st.slot] = put(base, st.off, typ, int32(v))
			default:
				dst[st.slot] = put(base, st.off, typ, v)
			}
		case schema.KindFloat32:
			if len(b)-pos < 4 {
				return h, corrupt("truncated FLOAT")
			}
			dst[st.slot] = put(base, st.off, typ, math.Float32frombits(binary.LittleEndian.Uint32(b[pos:])))
			pos += 4
		case schema.KindFloat64:
			if len(b)-pos < 8 {
				return h, corrupt("truncated DOUBLE")
			}
			dst[st.slot] = put(base, st.off, typ, math.Float64frombits(binary.LittleEndian.Uint64(b[pos:])))
			pos += 8
		case schema.KindDecimal:
			d, next, err := readDecimal(b, pos)
			if err != nil {
				return h, err
			}
			pos = next
			dst[st.slot] = put(base, st.off, typ, d)
		case schema.KindText, schema.KindBytes, schema.KindJSON:
			start, end, err := readLen(b, pos)
			if err != nil {
				return h, err
			}
			pos = end
			switch st.kind {
			case schema.KindText:
				if shared && end > start {
					// Sound for the same reason as the arena below: b is
					// never written after this (the caller's promise).
					dst[st.slot] = put(base, st.off, typ, unsafe.String(unsafe.SliceData(b[start:end]), end-start))
					continue
				}
				spans = append(spans, span{slot: st.slot, kind: schema.KindText, off: st.off, start: start, n: end - start})
				strBytes += end - start
			case schema.KindBytes:
				v := make([]byte, end-start)
				copy(v, b[start:end])
				dst[st.slot] = put(base, st.off, typ, v)
			default:
				var v any
				if err := json.Unmarshal(b[start:end], &v); err != nil {
					return h, corrupt("bad JSON: %v", err)
				}
				dst[st.slot] = put(base, st.off, typ, types.JSONDocument{Val: v})
			}
		case schema.KindUUID:
			if len(b)-pos < 16 {
				return h, corrupt("truncated UUID")
			}
			spans = append(spans, span{slot: st.slot, kind: schema.KindUUID, off: st.off, start: pos, n: 16})
			strBytes += 36
			pos += 16
		case schema.KindTimestamp, schema.KindDate, schema.KindTime:
			v, m := binary.Varint(b[pos:])
			if m <= 0 {
				return h, corrupt("bad time value")
			}
			pos += m
			// TimestampFromMicros, DateFromEpochDays and
			// TimespanFromMicros spelled out: the first two are too big
			// to be inlined into this loop.
			switch st.kind {
			case schema.KindTimestamp:
				if v < minUnixMicro || v > maxUnixMicro {
					return h, corrupt("timestamp %d out of range", v)
				}
				dst[st.slot] = put(base, st.off, typ, time.UnixMicro(v).UTC())
			case schema.KindDate:
				if v < minUnixDay || v > maxUnixDay {
					return h, corrupt("date %d out of range", v)
				}
				dst[st.slot] = put(base, st.off, typ, dateFromDays(v))
			default:
				if v < -maxTimespan || v > maxTimespan {
					return h, corrupt("TIME %d out of range", v)
				}
				dst[st.slot] = put(base, st.off, typ, types.Timespan(v))
			}
		}
	}
	if p.full && pos != len(b) {
		return h, corrupt("%d trailing bytes", len(b)-pos)
	}
	if len(spans) > 0 {
		// One allocation for every string of the row. The arena is never
		// written after unsafe.String, which is what makes sharing it as
		// immutable strings sound (strings.Builder does the same).
		arena := make([]byte, 0, strBytes)
		for _, s := range spans {
			if s.kind == schema.KindUUID {
				arena = ids.AppendUUID(arena, b[s.start:s.start+16])
			} else {
				arena = append(arena, b[s.start:s.start+s.n]...)
			}
		}
		all := unsafe.String(unsafe.SliceData(arena), len(arena))
		at := 0
		for _, s := range spans {
			l := s.n
			if s.kind == schema.KindUUID {
				l = 36
			}
			dst[s.slot] = put(base, s.off, slabTypeWords[s.kind], all[at:at+l])
			at += l
		}
	}
	for _, c := range p.convs {
		if dst[c.slot] == nil {
			continue
		}
		v, err := Normalize(c.to, dst[c.slot])
		if err != nil {
			return h, fmt.Errorf("row: column %q written as %s does not read as %s: %w", c.name, c.from.Name, c.to.Name, err)
		}
		dst[c.slot] = v
	}
	return h, nil
}

// columns reads a row version's header, column count and null bitmap
// for p, and returns where the values start. A tombstone stored without
// values has a nil bitmap.
func (p *Projection) columns(b []byte) (h Header, bitmap []byte, pos int, err error) {
	h, pos, err = decodeHeader(b)
	if err != nil {
		return Header{}, nil, 0, err
	}
	if h.SchemaVersion != p.version {
		return h, nil, 0, fmt.Errorf("%w: row written with version %d, projection reads version %d", ErrVersionMismatch, h.SchemaVersion, p.version)
	}
	n, k := binary.Uvarint(b[pos:])
	if k <= 0 {
		return h, nil, 0, corrupt("bad column count")
	}
	pos += k
	if n == 0 && h.Deleted {
		if pos != len(b) {
			return h, nil, 0, corrupt("%d bytes after a tombstone", len(b)-pos)
		}
		return h, nil, pos, nil
	}
	if n != uint64(p.ncols) {
		return h, nil, 0, corrupt("row has %d columns, schema version %d has %d", n, p.version, p.ncols)
	}
	nb := (p.ncols + 7) / 8
	if len(b)-pos < nb {
		return h, nil, 0, corrupt("truncated null bitmap")
	}
	bitmap = b[pos : pos+nb]
	pos += nb
	if r := p.ncols % 8; r != 0 && bitmap[nb-1]>>r != 0 {
		return h, nil, 0, corrupt("null bitmap has bits past the last column")
	}
	return h, bitmap, pos, nil
}

// readLen reads a uvarint length and returns the bounds of the bytes it
// prefixes.
func readLen(b []byte, pos int) (start, end int, err error) {
	l, m := binary.Uvarint(b[pos:])
	if m <= 0 || l > uint64(len(b)-pos-m) {
		return 0, 0, corrupt("bad length")
	}
	start = pos + m
	return start, start + int(l), nil
}

// skipValue steps over one value of kind k without decoding it.
func skipValue(b []byte, pos int, k schema.Kind) (int, error) {
	switch k {
	case schema.KindBool:
		if pos >= len(b) {
			return pos, corrupt("truncated BOOLEAN")
		}
		return pos + 1, nil
	case schema.KindInt16, schema.KindInt32, schema.KindInt64, schema.KindTimestamp, schema.KindDate, schema.KindTime:
		_, m := binary.Varint(b[pos:])
		if m <= 0 {
			return pos, corrupt("bad varint")
		}
		return pos + m, nil
	case schema.KindFloat32:
		if len(b)-pos < 4 {
			return pos, corrupt("truncated FLOAT")
		}
		return pos + 4, nil
	case schema.KindFloat64:
		if len(b)-pos < 8 {
			return pos, corrupt("truncated DOUBLE")
		}
		return pos + 8, nil
	case schema.KindUUID:
		if len(b)-pos < 16 {
			return pos, corrupt("truncated UUID")
		}
		return pos + 16, nil
	case schema.KindText, schema.KindBytes, schema.KindJSON:
		_, end, err := readLen(b, pos)
		return end, err
	case schema.KindDecimal:
		_, m := binary.Varint(b[pos:])
		if m <= 0 {
			return pos, corrupt("bad decimal exponent")
		}
		pos += m
		h, m := binary.Uvarint(b[pos:])
		if m <= 0 || h>>1 > uint64(len(b)-pos-m) {
			return pos, corrupt("bad decimal coefficient")
		}
		return pos + m + int(h>>1), nil
	}
	return pos, corrupt("unknown kind %d", k)
}
