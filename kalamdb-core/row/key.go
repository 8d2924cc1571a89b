package row

import (
	"fmt"
	"math"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
)

// Primary-key encodings, all order-preserving (bytes.Compare of two keys
// is the SQL comparison of their values) and prefix-free:
//
//	SMALLINT, INT, BIGINT   keyenc int64 (8 bytes): one encoding for all widths,
//	                        so widening a key column keeps every key
//	TEXT                    keyenc string (escaped, terminated)
//	BYTES                   keyenc bytes
//	UUID                    16 raw bytes; their order is the order of the
//	                        canonical lower-case text
//	TIMESTAMP, DATETIME     keyenc int64 of microseconds since the epoch
//	DATE                    keyenc int64 of days since the epoch
//
// A table without a declared primary key is keyed by a hidden identity,
// the _seq of each row's first version, encoded as a BIGINT key
// (AppendHiddenKey, HiddenKeyType).

// HiddenKeyType is the key type of tables without a declared primary key.
func HiddenKeyType() dialect.DataType { return dialect.DataType{Name: dialect.TypeBigInt} }

// AppendHiddenKey appends the key of a row of a table without a declared
// primary key: the _seq of the row's first version as a BIGINT key.
func AppendHiddenKey(dst []byte, firstSeq int64) []byte { return keyenc.AppendInt64(dst, firstSeq) }

// AppendKey appends the key encoding of primary-key value v of type dt. v
// is normally of dt's canonical Go type; other values go through Normalize
// first (so an int64 for an INT key works, range-checked). NULL is not a
// key.
func AppendKey(dst []byte, dt dialect.DataType, v any) ([]byte, error) {
	out, ok, err := appendKeyFast(dst, dt, v)
	if ok || err != nil {
		return out, err
	}
	nv, err := Normalize(dt, v)
	if err != nil {
		return dst, fmt.Errorf("row: primary key: %w", err)
	}
	out, ok, err = appendKeyFast(dst, dt, nv)
	if !ok && err == nil {
		err = fmt.Errorf("row: primary key: %s cannot be a primary key type", dt.Name)
	}
	return out, err
}

// appendKeyFast encodes canonical values; ok is false when v is not of
// dt's canonical type.
func appendKeyFast(dst []byte, dt dialect.DataType, v any) ([]byte, bool, error) {
	if v == nil {
		return dst, false, fmt.Errorf("row: primary key: NULL is not a key value")
	}
	switch schema.KindOf(dt.Name) {
	case schema.KindInt16:
		if x, ok := v.(int16); ok {
			return keyenc.AppendInt64(dst, int64(x)), true, nil
		}
	case schema.KindInt32:
		if x, ok := v.(int32); ok {
			return keyenc.AppendInt64(dst, int64(x)), true, nil
		}
	case schema.KindInt64:
		if x, ok := v.(int64); ok {
			return keyenc.AppendInt64(dst, x), true, nil
		}
	case schema.KindText:
		if x, ok := v.(string); ok {
			return keyenc.AppendString(dst, x), true, nil
		}
	case schema.KindBytes:
		if x, ok := v.([]byte); ok {
			return keyenc.AppendBytes(dst, x), true, nil
		}
	case schema.KindUUID:
		if x, ok := v.(string); ok {
			u, ok := ids.ParseUUID(x)
			if !ok {
				return dst, false, fmt.Errorf("row: primary key: invalid UUID %q", x)
			}
			return append(dst, u[:]...), true, nil
		}
	case schema.KindTimestamp:
		if x, ok := v.(time.Time); ok {
			if !InTimeRange(x) {
				return dst, false, fmt.Errorf("row: primary key: time %s outside 0001..9999", x.UTC().Format(time.RFC3339))
			}
			return keyenc.AppendInt64(dst, x.UnixMicro()), true, nil
		}
	case schema.KindDate:
		if x, ok := v.(time.Time); ok {
			if !InTimeRange(x) {
				return dst, false, fmt.Errorf("row: primary key: date %s outside 0001..9999", x.UTC().Format(time.DateOnly))
			}
			return keyenc.AppendInt64(dst, EpochDays(x)), true, nil
		}
	default:
		return dst, false, fmt.Errorf("row: primary key: type %s cannot be a primary key", dt.Name)
	}
	return dst, false, nil
}

// DecodeKey decodes one AppendKey encoding from the front of b and
// returns the value (of dt's canonical Go type) and the rest of b.
func DecodeKey(b []byte, dt dialect.DataType) (any, []byte, error) {
	switch schema.KindOf(dt.Name) {
	case schema.KindInt16, schema.KindInt32, schema.KindInt64, schema.KindTimestamp, schema.KindDate:
		v, rest, err := keyenc.DecodeInt64(b)
		if err != nil {
			return nil, b, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		switch schema.KindOf(dt.Name) {
		case schema.KindInt16:
			if v < math.MinInt16 || v > math.MaxInt16 {
				return nil, b, corrupt("SMALLINT key %d out of range", v)
			}
			return int16(v), rest, nil
		case schema.KindInt32:
			if v < math.MinInt32 || v > math.MaxInt32 {
				return nil, b, corrupt("INT key %d out of range", v)
			}
			return int32(v), rest, nil
		case schema.KindTimestamp:
			t, ok := TimestampFromMicros(v)
			if !ok {
				return nil, b, corrupt("timestamp key %d out of range", v)
			}
			return t, rest, nil
		case schema.KindDate:
			t, ok := DateFromEpochDays(v)
			if !ok {
				return nil, b, corrupt("date key %d out of range", v)
			}
			return t, rest, nil
		}
		return v, rest, nil
	case schema.KindText:
		v, rest, err := keyenc.DecodeString(b)
		if err != nil {
			return nil, b, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return v, rest, nil
	case schema.KindBytes:
		v, rest, err := keyenc.DecodeBytes(b)
		if err != nil {
			return nil, b, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return v, rest, nil
	case schema.KindUUID:
		if len(b) < 16 {
			return nil, b, corrupt("UUID key needs 16 bytes, have %d", len(b))
		}
		return string(ids.AppendUUID(make([]byte, 0, 36), b[:16])), b[16:], nil
	}
	return nil, b, fmt.Errorf("row: type %s cannot be a primary key", dt.Name)
}

// AppendUserKey appends the key of a USER table row: the user's partition
// prefix, then the primary key. The user id is validated here because the
// partition isolation of USER tables depends on it (keyenc.ValidateUserID).
func AppendUserKey(dst []byte, userID string, dt dialect.DataType, pk any) ([]byte, error) {
	if err := keyenc.ValidateUserID(userID); err != nil {
		return dst, fmt.Errorf("row: user key: %w", err)
	}
	start := len(dst)
	dst = keyenc.AppendUserPrefix(dst, userID)
	out, err := AppendKey(dst, dt, pk)
	if err != nil {
		return dst[:start], err
	}
	return out, nil
}

// UserKey is the key of a USER table row: user id, separator,
// primary key.
func UserKey(userID string, dt dialect.DataType, pk any) ([]byte, error) {
	return AppendUserKey(make([]byte, 0, len(userID)+1+keySizeHint(pk)), userID, dt, pk)
}

// SharedKey is the key of a SHARED table row: the primary key alone.
func SharedKey(dt dialect.DataType, pk any) ([]byte, error) {
	return AppendKey(make([]byte, 0, keySizeHint(pk)), dt, pk)
}

func keySizeHint(pk any) int {
	switch x := pk.(type) {
	case string:
		return len(x) + 2
	case []byte:
		return len(x) + 2
	}
	return 16
}
