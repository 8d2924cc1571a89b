package cold

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// colDecoder turns the values of one column of a record batch into
// canonical Go values. reset points it at the next batch's array.
//
// Values never alias Arrow buffers, which the reader recycles: the TEXT
// values of a batch are substrings of one string copied from the batch
// (one allocation per column per batch, not one per value), and BYTES and
// _key values sub-slices of one copied byte slice, capped so that an
// append to one cannot overwrite its neighbour. A retained value keeps its
// batch's copy of that column alive, which is the trade for not
// allocating per value.
type colDecoder struct {
	name  string
	kind  schema.Kind
	scale int32

	arr    arrow.Array
	bools  *array.Boolean
	i16    *array.Int16
	i32    *array.Int32
	i64    *array.Int64
	f32    *array.Float32
	f64    *array.Float64
	dec    *array.Decimal128
	ts     *array.Timestamp
	date   *array.Date32
	tm     *array.Time64
	fsb    *array.FixedSizeBinary
	offs   []int32
	raw    []byte // the batch's string or binary data, owned by Arrow
	text   string
	blob   []byte
	copied bool // text/blob hold this batch's data
}

// storageOf unwraps an extension array (arrow.uuid, arrow.json) to the
// array holding its values.
func storageOf(a arrow.Array) arrow.Array {
	if ext, ok := a.(array.ExtensionArray); ok {
		return ext.Storage()
	}
	return a
}

func (d *colDecoder) reset(a arrow.Array) error {
	d.arr = storageOf(a)
	d.copied = false
	d.text, d.blob, d.offs, d.raw = "", nil, nil, nil
	ok := true
	switch d.kind {
	case schema.KindBool:
		d.bools, ok = d.arr.(*array.Boolean)
	case schema.KindInt16:
		d.i16, ok = d.arr.(*array.Int16)
	case schema.KindInt32:
		d.i32, ok = d.arr.(*array.Int32)
	case schema.KindInt64:
		d.i64, ok = d.arr.(*array.Int64)
	case schema.KindFloat32:
		d.f32, ok = d.arr.(*array.Float32)
	case schema.KindFloat64:
		d.f64, ok = d.arr.(*array.Float64)
	case schema.KindDecimal:
		d.dec, ok = d.arr.(*array.Decimal128)
	case schema.KindText:
		var s *array.String
		if s, ok = d.arr.(*array.String); ok {
			d.offs, d.raw = s.ValueOffsets(), s.ValueBytes()
		}
	case schema.KindJSON:
		// pqarrow reads Parquet's JSON logical type as Binary; a String
		// is accepted too.
		var s interface {
			ValueOffsets() []int32
			ValueBytes() []byte
		}
		if s, ok = d.arr.(*array.Binary); !ok {
			s, ok = d.arr.(*array.String)
		}
		if ok {
			d.offs, d.raw = s.ValueOffsets(), s.ValueBytes()
		}
	case schema.KindBytes:
		var b *array.Binary
		if b, ok = d.arr.(*array.Binary); ok {
			d.offs, d.raw = b.ValueOffsets(), b.ValueBytes()
		}
	case schema.KindTimestamp:
		d.ts, ok = d.arr.(*array.Timestamp)
		if ok && d.ts.DataType().(*arrow.TimestampType).Unit != arrow.Microsecond {
			ok = false
		}
	case schema.KindDate:
		d.date, ok = d.arr.(*array.Date32)
	case schema.KindTime:
		d.tm, ok = d.arr.(*array.Time64)
		if ok && d.tm.DataType().(*arrow.Time64Type).Unit != arrow.Microsecond {
			ok = false
		}
	case schema.KindUUID:
		d.fsb, ok = d.arr.(*array.FixedSizeBinary)
		if ok && d.fsb.DataType().(*arrow.FixedSizeBinaryType).ByteWidth != 16 {
			ok = false
		}
	default:
		ok = false
	}
	if !ok {
		return corruptf("column %q holds %s, not a %s column", d.name, a.DataType(), d.kind.GoTypeName())
	}
	return nil
}

// copyData copies the batch's string or binary data once.
func (d *colDecoder) copyData() {
	if d.copied {
		return
	}
	d.copied = true
	if d.kind == schema.KindText {
		d.text = string(d.raw)
	} else {
		d.blob = make([]byte, len(d.raw)) // never nil: an empty BYTES is []byte{}
		copy(d.blob, d.raw)
	}
}

func (d *colDecoder) span(i int) (int, int) {
	base := d.offs[0]
	return int(d.offs[i] - base), int(d.offs[i+1] - base)
}

// value decodes row i of the batch.
func (d *colDecoder) value(i int) (any, error) {
	if d.arr.IsNull(i) {
		return nil, nil
	}
	switch d.kind {
	case schema.KindBool:
		if d.bools.Value(i) {
			return int8(1), nil
		}
		return int8(0), nil
	case schema.KindInt16:
		return d.i16.Value(i), nil
	case schema.KindInt32:
		return d.i32.Value(i), nil
	case schema.KindInt64:
		return d.i64.Value(i), nil
	case schema.KindFloat32:
		return d.f32.Value(i), nil
	case schema.KindFloat64:
		return d.f64.Value(i), nil
	case schema.KindDecimal:
		return numToDecimal(d.dec.Value(i), d.scale), nil
	case schema.KindText:
		d.copyData()
		s, e := d.span(i)
		return d.text[s:e], nil
	case schema.KindJSON:
		// JSON is parsed from the batch's bytes directly; the document
		// does not reference them.
		s, e := d.span(i)
		return jsonValue(d.name, d.raw[s:e])
	case schema.KindBytes:
		d.copyData()
		s, e := d.span(i)
		return d.blob[s:e:e], nil
	case schema.KindTimestamp:
		return timestampValue(d.name, int64(d.ts.Value(i)))
	case schema.KindDate:
		return dateValue(d.name, int64(d.date.Value(i)))
	case schema.KindTime:
		return timeValue(d.name, int64(d.tm.Value(i)))
	case schema.KindUUID:
		return uuidValue(d.fsb.Value(i)), nil
	}
	return nil, corruptf("column %q: unknown type", d.name)
}

// needsConversion reports whether values written as from must be
// converted to read as to (the rule of package row: a changed VARCHAR
// length does not count, a changed DECIMAL precision or scale does).
func needsConversion(from, to dialect.DataType) bool {
	kf, kt := schema.KindOf(from.Name), schema.KindOf(to.Name)
	if kf != kt {
		return true
	}
	if kt == schema.KindDecimal {
		fp, fs := decimalParams(from)
		tp, ts := decimalParams(to)
		return fp != tp || fs != ts
	}
	return false
}

// convert re-types a value of a column whose type changed since the file
// was written, as row.Projection does for hot rows.
func convert(name string, from, to dialect.DataType, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	out, err := row.Normalize(to, v)
	if err != nil {
		return nil, fmt.Errorf("cold: column %q written as %s does not read as %s: %w", name, from.Name, to.Name, err)
	}
	return out, nil
}

// The conversions below from stored numbers and bytes to canonical
// values are shared by scans (Arrow arrays) and lookups (Parquet column
// readers). They check ranges with package row's functions, so both
// tiers accept the same values: a value the writer could not have
// produced means a damaged file.

func timestampValue(name string, v int64) (any, error) {
	t, ok := row.TimestampFromMicros(v)
	if !ok {
		return nil, corruptf("column %q: timestamp %d out of range", name, v)
	}
	return t, nil
}

func dateValue(name string, v int64) (any, error) {
	t, ok := row.DateFromEpochDays(v)
	if !ok {
		return nil, corruptf("column %q: date %d out of range", name, v)
	}
	return t, nil
}

func timeValue(name string, v int64) (any, error) {
	ts, ok := row.TimespanFromMicros(v)
	if !ok {
		return nil, corruptf("column %q: TIME %d out of range", name, v)
	}
	return ts, nil
}

func uuidValue(b []byte) any {
	return string(ids.AppendUUID(make([]byte, 0, 36), b))
}

// jsonValue parses JSON text as package row does; the document does not
// reference raw.
func jsonValue(name string, raw []byte) (any, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, corruptf("column %q: bad JSON: %v", name, err)
	}
	return types.JSONDocument{Val: v}, nil
}

// decimalFromBytes reads Parquet's DECIMAL encoding of a
// FIXED_LEN_BYTE_ARRAY: a big-endian two's-complement integer of at most
// 16 bytes.
func decimalFromBytes(name string, b []byte, scale int32) (any, error) {
	if len(b) == 0 || len(b) > 16 {
		return nil, corruptf("column %q: %d-byte decimal", name, len(b))
	}
	var buf [16]byte
	if b[0]&0x80 != 0 {
		for i := range buf {
			buf[i] = 0xff
		}
	}
	copy(buf[16-len(b):], b)
	hi := int64(binary.BigEndian.Uint64(buf[:8]))
	lo := binary.BigEndian.Uint64(buf[8:])
	return numToDecimal(decimal128.New(hi, lo), scale), nil
}
