package cold

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

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
