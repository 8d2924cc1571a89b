package row

import (
	"fmt"
	"time"

	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
)

// Secondary-index value encodings. Each value of an index entry key is a
// tag byte and, for a value, its order-preserving encoding:
//
//	0x01 value   every type of AppendKey, encoded the same way, plus
//	             BOOLEAN (one byte), FLOAT and DOUBLE (keyenc float64: FLOAT
//	             widened, so MODIFY COLUMN FLOAT -> DOUBLE keeps every entry)
//	             and TIME (keyenc int64 of microseconds)
//	0x02         NULL
//
// NULL sorts after every value, which is PostgreSQL's default order (NULLS
// LAST ascending, NULLS FIRST descending): reading an index forwards or
// backwards gives ORDER BY's answer. Encodings do not depend on a type's
// width (every integer is 8 bytes), so a widening MODIFY COLUMN leaves
// entries valid. DECIMAL and JSON columns cannot be indexed.
const (
	IndexValueTag byte = 0x01
	IndexNullTag  byte = 0x02
)

// IndexableType reports whether columns of type dt can be indexed, as an
// INVALID_SQL error naming col when they cannot.
func IndexableType(col string, dt dialect.DataType) error {
	switch schema.KindOf(dt.Name) {
	case schema.KindDecimal, schema.KindJSON, schema.KindInvalid:
		return apierror.New(apierror.InvalidSQL, "column %s of type %s cannot be indexed (DECIMAL and JSON columns cannot; index the other columns)",
			col, schema.TypeString(dt))
	}
	return nil
}

// AppendIndexValue appends the tagged encoding of v, a value of a column of
// type dt in its canonical Go type (see Normalize), or nil.
func AppendIndexValue(dst []byte, dt dialect.DataType, v any) ([]byte, error) {
	if v == nil {
		return append(dst, IndexNullTag), nil
	}
	dst = append(dst, IndexValueTag)
	switch schema.KindOf(dt.Name) {
	case schema.KindBool:
		if x, ok := v.(int8); ok {
			return keyenc.AppendBool(dst, x != 0), nil
		}
	case schema.KindFloat32:
		if x, ok := v.(float32); ok {
			return keyenc.AppendFloat64(dst, float64(x)), nil
		}
	case schema.KindFloat64:
		if x, ok := v.(float64); ok {
			return keyenc.AppendFloat64(dst, x), nil
		}
	case schema.KindTime:
		if x, ok := v.(types.Timespan); ok {
			return keyenc.AppendInt64(dst, int64(x)), nil
		}
	case schema.KindDecimal, schema.KindJSON, schema.KindInvalid:
		return dst, fmt.Errorf("row: index: type %s cannot be indexed", dt.Name)
	default:
		out, ok, err := appendKeyFast(dst, dt, v)
		if ok || err != nil {
			return out, err
		}
	}
	nv, err := Normalize(dt, v)
	if err != nil {
		return dst, fmt.Errorf("row: index value: %w", err)
	}
	if sameDynamicType(nv, v) {
		return dst, fmt.Errorf("row: index value: %T is not a %s value", v, dt.Name)
	}
	return AppendIndexValue(dst[:len(dst)-1], dt, nv)
}

// sameDynamicType reports whether Normalize left v's Go type as it was,
// which means v is not a value AppendIndexValue can encode (and trying
// again would not end).
func sameDynamicType(a, b any) bool { return fmt.Sprintf("%T", a) == fmt.Sprintf("%T", b) }

// SkipIndexValue returns b after the tagged value at its front, which is of
// a column of type dt.
func SkipIndexValue(b []byte, dt dialect.DataType) ([]byte, error) {
	if len(b) == 0 {
		return b, corrupt("index entry ends before its values")
	}
	switch b[0] {
	case IndexNullTag:
		return b[1:], nil
	case IndexValueTag:
	default:
		return b, corrupt("index value tag 0x%02x", b[0])
	}
	b = b[1:]
	n := 0
	switch schema.KindOf(dt.Name) {
	case schema.KindBool:
		n = 1
	case schema.KindUUID:
		n = 16
	case schema.KindText, schema.KindBytes:
		// Escaped and terminated (keyenc): the terminator 0x00 0x01 is
		// the first 0x00 not followed by 0xFF.
		for i := 0; i+1 < len(b); i++ {
			if b[i] == 0 {
				if b[i+1] == 1 {
					return b[i+2:], nil
				}
				i++
			}
		}
		return b, corrupt("unterminated index value")
	default:
		n = 8
	}
	if len(b) < n {
		return b, corrupt("index value needs %d bytes, have %d", n, len(b))
	}
	return b[n:], nil
}

// DecodeIndexValue decodes the tagged value at the front of b (for
// tests and tools; reads never decode entry values, they fetch the row).
func DecodeIndexValue(b []byte, dt dialect.DataType) (any, []byte, error) {
	if len(b) > 0 && b[0] == IndexNullTag {
		return nil, b[1:], nil
	}
	rest, err := SkipIndexValue(b, dt)
	if err != nil {
		return nil, b, err
	}
	enc := b[1 : len(b)-len(rest)]
	switch schema.KindOf(dt.Name) {
	case schema.KindBool:
		return int8(enc[0]), rest, nil
	case schema.KindFloat32, schema.KindFloat64:
		f, _, err := keyenc.DecodeFloat64(enc)
		if schema.KindOf(dt.Name) == schema.KindFloat32 {
			return float32(f), rest, err
		}
		return f, rest, err
	case schema.KindTime:
		n, _, err := keyenc.DecodeInt64(enc)
		return types.Timespan(n), rest, err
	case schema.KindUUID:
		return string(ids.AppendUUID(make([]byte, 0, 36), enc)), rest, nil
	}
	v, _, err := DecodeKey(enc, dt)
	if t, ok := v.(time.Time); ok {
		v = t.UTC()
	}
	return v, rest, err
}
