package row

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// WireValue renders a value of a column of type dt as the JSON value of
// the values table of docs/api.md; the result marshals with encoding/json:
//
//	BOOLEAN               true / false
//	SMALLINT, INT, BIGINT int64 (a JSON number, even beyond 2^53)
//	FLOAT                 json.Number formatted from the float32, so 1.1 prints 1.1
//	DOUBLE                float64
//	DECIMAL(p,s)          a string with exactly s fractional digits, e.g. "12.50"
//	TEXT, UUID            string
//	JSON                  json.RawMessage, compact
//	TIMESTAMP, DATETIME   int64 milliseconds since the Unix epoch
//	DATE                  "YYYY-MM-DD"
//	TIME                  "HH:MM:SS.ffffff" (hours may exceed 24, sign for negative)
//	BYTES                 standard base64 string
//	NULL                  nil
//
// DECIMAL is a string because a JSON number is read as a binary float by
// most clients, and a money column must not come back as 0.30000000000000004;
// the fixed scale keeps equal values textually equal. FLOAT and DOUBLE NaN
// and ±Inf, which JSON numbers cannot express, are the strings "NaN",
// "Infinity" and "-Infinity".
//
// WireValue never fails: a value of an unexpected Go type (a bug upstream)
// is rendered by its Go type via WireValueOf's rules rather than dropped.
func WireValue(dt dialect.DataType, v any) any {
	return wireValue(schema.KindOf(dt.Name), dt, v)
}

// WireEncoder is WireValue for the values of one column of type dt, with
// the type's kind worked out once instead of per value (a result encodes
// every value of its rows through its column's encoder).
func WireEncoder(dt dialect.DataType) func(any) any {
	k := schema.KindOf(dt.Name)
	return func(v any) any { return wireValue(k, dt, v) }
}

// wireValue is WireValue of a value of dt, whose kind is k.
func wireValue(k schema.Kind, dt dialect.DataType, v any) any {
	if v == nil {
		return nil
	}
	switch k {
	case schema.KindBool:
		switch x := v.(type) {
		case int8:
			return x != 0
		case bool:
			return x
		}
	case schema.KindInt16, schema.KindInt32, schema.KindInt64:
		// An int64 is its own wire value: handing back the interface
		// itself saves boxing it again (an allocation per value).
		if _, ok := v.(int64); ok {
			return v
		}
		if n, ok := IntValue(v); ok {
			return n
		}
	case schema.KindFloat32:
		switch x := v.(type) {
		case float32:
			return wireFloat32(x)
		case float64:
			return wireFloat32(float32(x))
		}
	case schema.KindFloat64:
		switch x := v.(type) {
		case float64:
			return wireFloat64(x)
		case float32:
			return wireFloat32(x)
		}
	case schema.KindDecimal:
		if d, ok := v.(decimal.Decimal); ok {
			return d.StringFixed(int32(max(dt.Scale, 0)))
		}
	case schema.KindText, schema.KindUUID:
		switch x := v.(type) {
		case string:
			return v // the same interface: no new box for the string header
		case []byte:
			return string(x)
		}
	case schema.KindBytes:
		switch x := v.(type) {
		case []byte:
			return base64.StdEncoding.EncodeToString(x)
		case string:
			return base64.StdEncoding.EncodeToString([]byte(x))
		}
	case schema.KindJSON:
		return wireJSON(v)
	case schema.KindTimestamp:
		if t, ok := v.(time.Time); ok {
			return t.UnixMilli()
		}
	case schema.KindDate:
		if t, ok := v.(time.Time); ok {
			return t.UTC().Format(time.DateOnly)
		}
	case schema.KindTime:
		if ts, ok := v.(types.Timespan); ok {
			return formatTimespan(ts)
		}
	}
	return wireByGoType(v, false)
}

// WireValueOf renders a value of a computed result column, which has only
// an engine type, with the same rules as WireValue. The engine's TINYINT
// exists only as BOOLEAN here, so TINYINT values are true/false; DATE is
// "YYYY-MM-DD" and other date-times milliseconds; decimals keep the type's
// scale. Unexpected Go types fall back to fmt.Sprint, never a panic.
func WireValueOf(t sql.Type, v any) any {
	if v == nil {
		return nil
	}
	if t != nil {
		switch {
		case isTinyInt(t):
			if n, ok := IntValue(v); ok {
				return n != 0
			}
			if b, ok := v.(bool); ok {
				return b
			}
		case types.IsDecimal(t):
			if d, ok := v.(decimal.Decimal); ok {
				if dt, ok := t.(sql.DecimalType); ok {
					return d.StringFixed(int32(dt.Scale()))
				}
				return d.String()
			}
		case types.IsDateType(t):
			if tm, ok := v.(time.Time); ok {
				return tm.UTC().Format(time.DateOnly)
			}
		case types.IsJSON(t):
			return wireJSON(v)
		}
	}
	return wireByGoType(v, true)
}

func isTinyInt(t sql.Type) bool {
	q := t.Type()
	return q == sqltypes.Int8 || q == sqltypes.Uint8
}

// wireByGoType renders v by its Go type alone.
func wireByGoType(v any, computed bool) any {
	switch x := v.(type) {
	case bool:
		return x
	case int8, int16, int32, int64, int, uint8, uint16, uint32:
		n, _ := IntValue(x)
		return n
	case uint64:
		return x // a JSON number; beyond int64 it stays exact as uint64
	case uint:
		return uint64(x)
	case float32:
		return wireFloat32(x)
	case float64:
		return wireFloat64(x)
	case decimal.Decimal:
		return x.String()
	case string:
		return x
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case time.Time:
		return x.UnixMilli()
	case types.Timespan:
		return formatTimespan(x)
	case sql.JSONWrapper:
		return wireJSON(x)
	case json.RawMessage:
		return wireJSON(x)
	}
	return fmt.Sprint(v)
}

// IntValue reads an integer of any engine representation exactly.
func IntValue(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case int:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

// wireFloat32 formats f with float32 precision the way encoding/json
// formats floats, so FLOAT 1.1 is 1.1 on the wire rather than the
// 1.100000023841858 a float64 conversion would print.
func wireFloat32(f float32) any {
	if s, special := nonFinite(float64(f)); special {
		return s
	}
	abs := math.Abs(float64(f))
	format := byte('f')
	if abs != 0 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(make([]byte, 0, 16), float64(f), format, -1, 32)
	if format == 'e' {
		// 1e-07 -> 1e-7, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return json.Number(b)
}

func wireFloat64(f float64) any {
	if s, special := nonFinite(f); special {
		return s
	}
	return f
}

func nonFinite(f float64) (string, bool) {
	switch {
	case math.IsNaN(f):
		return "NaN", true
	case math.IsInf(f, 1):
		return "Infinity", true
	case math.IsInf(f, -1):
		return "-Infinity", true
	}
	return "", false
}

// wireJSON renders a JSON value as compact JSON text. Text that is not
// valid JSON (a bug upstream) goes out as a JSON string.
func wireJSON(v any) any {
	switch x := v.(type) {
	case types.JSONDocument:
		raw, err := jsonText(x)
		if err != nil {
			return fmt.Sprint(x.Val)
		}
		return json.RawMessage(raw)
	case sql.JSONWrapper:
		raw, err := jsonText(x)
		if err != nil {
			return fmt.Sprint(v)
		}
		return json.RawMessage(raw)
	case string:
		return rawOrString([]byte(x))
	case []byte:
		return rawOrString(x)
	case json.RawMessage:
		return rawOrString(x)
	}
	raw, err := types.MarshallJsonValue(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return json.RawMessage(raw)
}

func rawOrString(b []byte) any {
	if !json.Valid(b) {
		return string(b)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return json.RawMessage(buf.Bytes())
}

// jsonText is the compact JSON text of a JSON value, HTML characters
// unescaped, as the engine writes it.
func jsonText(w sql.JSONWrapper) ([]byte, error) {
	val, err := w.ToInterface()
	if err != nil {
		return nil, err
	}
	return types.MarshallJsonValue(val)
}

// formatTimespan renders a TIME value as [-]HH:MM:SS.ffffff.
func formatTimespan(ts types.Timespan) string {
	b := make([]byte, 0, 18)
	// uint64 so that even the most negative value negates correctly.
	us := uint64(ts)
	if ts < 0 {
		b = append(b, '-')
		us = -us
	}
	h := us / 3_600_000_000
	us -= h * 3_600_000_000
	m := us / 60_000_000
	us -= m * 60_000_000
	s := us / 1_000_000
	us -= s * 1_000_000
	if h < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendUint(b, h, 10)
	b = append(b, ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10), '.')
	for d := uint64(100000); d > 0; d /= 10 {
		b = append(b, byte('0'+us/d%10))
	}
	return string(b)
}
