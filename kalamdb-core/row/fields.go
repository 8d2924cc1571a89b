package row

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
)

// Field is one value of a row as it is stored, decoded without boxing it
// in an interface: what scans that look at a few columns of many rows
// (filters, aggregates) need, without the two allocations per row Decode
// makes.
type Field struct {
	// Null is set for NULL (and for a wanted column the row's version
	// lacks: see Projection.Missing).
	Null bool
	// I holds integers, BOOLEAN (0 or 1), TIMESTAMP and TIME in
	// microseconds and DATE in days since the epoch.
	I int64
	// F holds FLOAT and DOUBLE.
	F float64
	// B views the bytes of TEXT (UTF-8), BYTES, JSON (its text) and UUID
	// (16 bytes) inside the row it was decoded from: valid only while that
	// buffer is.
	B []byte
}

// ErrNotFieldable is matched by the error of DecodeFields for a
// projection it cannot decode into Fields: a wanted column of type
// DECIMAL, or one re-typed since the row was written (Decode converts
// those).
var ErrNotFieldable = errors.New("row: columns need Decode")

// Fieldable reports whether DecodeFields can decode this projection.
func (p *Projection) Fieldable() bool {
	if len(p.convs) > 0 {
		return false
	}
	for _, st := range p.steps {
		if st.slot >= 0 && st.kind == schema.KindDecimal {
			return false
		}
	}
	return true
}

// DecodeFields decodes row version b like Decode, into dst (Len() entries)
// as stored values: nothing is allocated, and text and bytes stay views of
// b. Missing columns and NULLs are Null; a tombstone stored without
// values leaves every entry Null.
func (p *Projection) DecodeFields(b []byte, dst []Field) (Header, error) {
	if len(dst) != len(p.missing) {
		return Header{}, fmt.Errorf("row: decode: dst has %d entries, projection has %d columns", len(dst), len(p.missing))
	}
	if !p.Fieldable() {
		return Header{}, ErrNotFieldable
	}
	for i := range dst {
		dst[i] = Field{Null: true}
	}
	h, bitmap, pos, err := p.columns(b)
	if err != nil || bitmap == nil {
		return h, err
	}
	for i := range p.steps {
		if bitmap[i>>3]&(1<<(i&7)) != 0 {
			continue
		}
		st := &p.steps[i]
		if st.slot < 0 {
			if pos, err = skipValue(b, pos, st.kind); err != nil {
				return h, err
			}
			continue
		}
		f := &dst[st.slot]
		f.Null = false
		switch st.kind {
		case schema.KindBool:
			if pos >= len(b) || b[pos] > 1 {
				return h, corrupt("bad BOOLEAN")
			}
			f.I = int64(b[pos])
			pos++
		case schema.KindInt16, schema.KindInt32, schema.KindInt64, schema.KindTimestamp, schema.KindDate, schema.KindTime:
			v, m := binary.Varint(b[pos:])
			if m <= 0 {
				return h, corrupt("bad integer")
			}
			pos += m
			switch {
			case st.kind == schema.KindInt16 && (v < math.MinInt16 || v > math.MaxInt16):
				return h, corrupt("SMALLINT %d out of range", v)
			case st.kind == schema.KindInt32 && (v < math.MinInt32 || v > math.MaxInt32):
				return h, corrupt("INT %d out of range", v)
			case st.kind == schema.KindTimestamp && (v < minUnixMicro || v > maxUnixMicro):
				return h, corrupt("timestamp %d out of range", v)
			case st.kind == schema.KindDate && (v < minUnixDay || v > maxUnixDay):
				return h, corrupt("date %d out of range", v)
			case st.kind == schema.KindTime && (v < -maxTimespan || v > maxTimespan):
				return h, corrupt("TIME %d out of range", v)
			}
			f.I = v
		case schema.KindFloat32:
			if len(b)-pos < 4 {
				return h, corrupt("truncated FLOAT")
			}
			f.F = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[pos:])))
			pos += 4
		case schema.KindFloat64:
			if len(b)-pos < 8 {
				return h, corrupt("truncated DOUBLE")
			}
			f.F = math.Float64frombits(binary.LittleEndian.Uint64(b[pos:]))
			pos += 8
		case schema.KindText, schema.KindBytes, schema.KindJSON:
			start, end, err := readLen(b, pos)
			if err != nil {
				return h, err
			}
			pos = end
			f.B = b[start:end:end]
		case schema.KindUUID:
			if len(b)-pos < 16 {
				return h, corrupt("truncated UUID")
			}
			f.B = b[pos : pos+16 : pos+16]
			pos += 16
		default:
			return h, corrupt("unknown kind %d", st.kind)
		}
	}
	if p.full && pos != len(b) {
		return h, corrupt("%d trailing bytes", len(b)-pos)
	}
	return h, nil
}
