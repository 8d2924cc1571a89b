package row

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"

	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// formatV1 is the first byte of every row value; a future layout gets a
// new byte and readers keep decoding the old one.
const formatV1 = 0x01

const (
	flagDeleted = 1 << 0
	knownFlags  = flagDeleted
)

// headerFixed is the fixed-position part of the header: format, flags, _seq.
const headerFixed = 10

// maxDecimalBytes bounds a decimal coefficient's magnitude (77 digits, well
// above DECIMAL's 38), so corrupt input cannot ask for a huge allocation.
const maxDecimalBytes = 32

// Header is the part of a row version that is not column data.
type Header struct {
	// SchemaVersion is the schema version the row was written with.
	SchemaVersion int
	// Seq is the row version's _seq.
	Seq int64
	// Deleted is _deleted: the version is a tombstone.
	Deleted bool
}

// Encode appends the encoding of one row version to dst. values holds one
// value per column of sch, in sch.Columns order, each nil or of its
// column's canonical Go type (see the package doc; Normalize produces
// them). A tombstone may pass nil values with h.Deleted set: it is stored
// without columns.
//
// h.SchemaVersion must be 0 or sch.Version; sch.Version is what is written.
// NOT NULL is not checked here: DEFAULTs and constraints are the write
// path's job, before encoding.
//
// On error dst is returned truncated to its original length, so a caller
// reusing a buffer keeps it.
func Encode(dst []byte, h Header, sch *systable.TableSchema, values []any) ([]byte, error) {
	start := len(dst)
	if sch == nil {
		return dst, fmt.Errorf("row: encode: nil schema")
	}
	if h.SchemaVersion != 0 && h.SchemaVersion != sch.Version {
		return dst, fmt.Errorf("row: encode: header schema version %d, schema is version %d", h.SchemaVersion, sch.Version)
	}
	if sch.Version < 0 || sch.Version > math.MaxInt32 {
		return dst, fmt.Errorf("row: encode: schema version %d out of range", sch.Version)
	}
	cols := sch.Columns
	n := len(cols)
	if values == nil && h.Deleted {
		n = 0
	} else if len(values) != len(cols) {
		return dst, fmt.Errorf("row: encode: %d values for %d columns of %s version %d", len(values), len(cols), sch.TableID, sch.Version)
	}

	flags := byte(0)
	if h.Deleted {
		flags |= flagDeleted
	}
	dst = append(dst, formatV1, flags)
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.Seq))
	dst = binary.AppendUvarint(dst, uint64(sch.Version))
	dst = binary.AppendUvarint(dst, uint64(n))
	bitmap := len(dst)
	for i := 0; i < (n+7)/8; i++ {
		dst = append(dst, 0)
	}
	for i := 0; i < n; i++ {
		v := values[i]
		if v == nil {
			dst[bitmap+i/8] |= 1 << (i % 8)
			continue
		}
		var err error
		dst, err = appendValue(dst, schema.KindOf(cols[i].Type.Name), v)
		if err != nil {
			return dst[:start], fmt.Errorf("row: encode %s column %q (%s): %w", sch.TableID, cols[i].Name, cols[i].Type.Name, err)
		}
	}
	return dst, nil
}

// appendValue appends one non-NULL value of kind k.
func appendValue(dst []byte, k schema.Kind, v any) ([]byte, error) {
	switch k {
	case schema.KindBool:
		if b, ok := v.(int8); ok && (b == 0 || b == 1) {
			return append(dst, byte(b)), nil
		}
	case schema.KindInt16:
		if x, ok := v.(int16); ok {
			return binary.AppendVarint(dst, int64(x)), nil
		}
	case schema.KindInt32:
		if x, ok := v.(int32); ok {
			return binary.AppendVarint(dst, int64(x)), nil
		}
	case schema.KindInt64:
		if x, ok := v.(int64); ok {
			return binary.AppendVarint(dst, x), nil
		}
	case schema.KindFloat32:
		if x, ok := v.(float32); ok {
			return binary.LittleEndian.AppendUint32(dst, math.Float32bits(x)), nil
		}
	case schema.KindFloat64:
		if x, ok := v.(float64); ok {
			return binary.LittleEndian.AppendUint64(dst, math.Float64bits(x)), nil
		}
	case schema.KindDecimal:
		if x, ok := v.(decimal.Decimal); ok {
			return appendDecimal(dst, x)
		}
	case schema.KindText, schema.KindBytes:
		switch x := v.(type) {
		case string:
			if k == schema.KindText {
				dst = binary.AppendUvarint(dst, uint64(len(x)))
				return append(dst, x...), nil
			}
		case []byte:
			if k == schema.KindBytes {
				dst = binary.AppendUvarint(dst, uint64(len(x)))
				return append(dst, x...), nil
			}
		}
	case schema.KindJSON:
		if x, ok := v.(types.JSONDocument); ok {
			raw, err := types.MarshallJsonValue(x.Val)
			if err != nil {
				return dst, fmt.Errorf("JSON value does not marshal: %w", err)
			}
			dst = binary.AppendUvarint(dst, uint64(len(raw)))
			return append(dst, raw...), nil
		}
	case schema.KindUUID:
		if x, ok := v.(string); ok {
			u, ok := ids.ParseUUID(x)
			if !ok {
				return dst, fmt.Errorf("invalid UUID %q", x)
			}
			return append(dst, u[:]...), nil
		}
	case schema.KindTimestamp:
		if x, ok := v.(time.Time); ok {
			if !InTimeRange(x) {
				return dst, fmt.Errorf("time %s outside 0001..9999", x.UTC().Format(time.RFC3339))
			}
			return binary.AppendVarint(dst, x.UnixMicro()), nil
		}
	case schema.KindDate:
		if x, ok := v.(time.Time); ok {
			if !InTimeRange(x) {
				return dst, fmt.Errorf("date %s outside 0001..9999", x.UTC().Format(time.DateOnly))
			}
			return binary.AppendVarint(dst, EpochDays(x)), nil
		}
	case schema.KindTime:
		if x, ok := v.(types.Timespan); ok {
			if x < -maxTimespan || x > maxTimespan {
				return dst, fmt.Errorf("TIME value %d µs outside ±838:59:59.999999", int64(x))
			}
			return binary.AppendVarint(dst, int64(x)), nil
		}
	case schema.KindInvalid:
		return dst, fmt.Errorf("unknown column type")
	}
	if b, ok := v.(int8); ok && k == schema.KindBool {
		return dst, fmt.Errorf("BOOLEAN value %d is not 0 or 1", b)
	}
	return dst, fmt.Errorf("got %T, want %s", v, k.GoTypeName())
}

// appendDecimal writes c × 10^e as described in the package doc.
func appendDecimal(dst []byte, d decimal.Decimal) ([]byte, error) {
	// Coefficient copies; one small allocation per DECIMAL value written
	// is the price of not reaching into the decimal's internals.
	c := d.Coefficient()
	neg := c.Sign() < 0
	var buf [maxDecimalBytes]byte
	if (c.BitLen()+7)/8 > maxDecimalBytes {
		return dst, fmt.Errorf("decimal %s has more than %d bytes of digits", d.String(), maxDecimalBytes)
	}
	mag := c.Abs(c).FillBytes(buf[:])
	i := 0
	for i < len(mag) && mag[i] == 0 {
		i++
	}
	mag = mag[i:]
	h := uint64(len(mag)) << 1
	if neg {
		h |= 1
	}
	dst = binary.AppendVarint(dst, int64(d.Exponent()))
	dst = binary.AppendUvarint(dst, h)
	return append(dst, mag...), nil
}

// readDecimal decodes appendDecimal's output at b[pos:].
func readDecimal(b []byte, pos int) (decimal.Decimal, int, error) {
	e, n := binary.Varint(b[pos:])
	if n <= 0 || e < math.MinInt32 || e > math.MaxInt32 {
		return decimal.Decimal{}, pos, corrupt("bad decimal exponent")
	}
	pos += n
	h, n := binary.Uvarint(b[pos:])
	if n <= 0 || h>>1 > maxDecimalBytes || h>>1 > uint64(len(b)-pos-n) {
		return decimal.Decimal{}, pos, corrupt("bad decimal coefficient")
	}
	pos += n
	l := int(h >> 1)
	mag := b[pos : pos+l]
	pos += l
	if l > 0 && mag[0] == 0 || l == 0 && h&1 != 0 {
		return decimal.Decimal{}, pos, corrupt("non-canonical decimal coefficient")
	}
	if l <= 7 {
		var u int64
		for _, c := range mag {
			u = u<<8 | int64(c)
		}
		if h&1 != 0 {
			u = -u
		}
		return decimal.New(u, int32(e)), pos, nil
	}
	c := new(big.Int).SetBytes(mag)
	if h&1 != 0 {
		c.Neg(c)
	}
	return decimal.NewFromBigInt(c, int32(e)), pos, nil
}

// SetSeq overwrites, in place, the _seq of the encoded row version b: a
// commit that lands behind a newer commit of its partition gives its
// versions new ones (txn), and _seq has a fixed position for this.
func SetSeq(b []byte, seq int64) error {
	if len(b) < headerFixed+1 || b[0] != formatV1 {
		return corrupt("row value of %d bytes has no header to set _seq in", len(b))
	}
	binary.BigEndian.PutUint64(b[2:10], uint64(seq))
	return nil
}

// DecodeHeader decodes the header of a row version without looking at its
// columns.
func DecodeHeader(b []byte) (Header, error) {
	h, _, err := decodeHeader(b)
	return h, err
}

func decodeHeader(b []byte) (Header, int, error) {
	if len(b) < headerFixed+1 {
		return Header{}, 0, corrupt("row value of %d bytes is shorter than its header", len(b))
	}
	if b[0] != formatV1 {
		return Header{}, 0, corrupt("unknown row format 0x%02x", b[0])
	}
	if b[1]&^knownFlags != 0 {
		return Header{}, 0, corrupt("unknown row flags 0x%02x", b[1])
	}
	h := Header{
		Deleted: b[1]&flagDeleted != 0,
		Seq:     int64(binary.BigEndian.Uint64(b[2:10])),
	}
	v, n := binary.Uvarint(b[headerFixed:])
	if n <= 0 || v > math.MaxInt32 {
		return Header{}, 0, corrupt("bad schema version")
	}
	h.SchemaVersion = int(v)
	return h, headerFixed + n, nil
}
