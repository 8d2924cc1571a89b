package row

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

func decType(p, s int) dialect.DataType {
	return dialect.DataType{Name: dialect.TypeDecimal, Precision: p, Scale: s}
}

func TestNormalizeConverts(t *testing.T) {
	utc := time.UTC
	plus2 := time.FixedZone("+02", 2*3600)
	cases := []struct {
		dt   dialect.DataType
		in   any
		want any
	}{
		{dtype(dialect.TypeBoolean), true, int8(1)},
		{dtype(dialect.TypeBoolean), false, int8(0)},
		{dtype(dialect.TypeBoolean), int8(1), int8(1)},
		{dtype(dialect.TypeBoolean), uint8(0), int8(0)},
		{dtype(dialect.TypeBoolean), int64(7), int8(1)},
		{dtype(dialect.TypeBoolean), "TRUE", int8(1)},
		{dtype(dialect.TypeBoolean), decimal.NewFromInt(0), int8(0)},
		{dtype(dialect.TypeSmallInt), int64(-32768), int16(-32768)},
		{dtype(dialect.TypeSmallInt), 2.5, int16(3)},
		{dtype(dialect.TypeSmallInt), -2.5, int16(-3)},
		{dtype(dialect.TypeInt), int64(math.MaxInt32), int32(math.MaxInt32)},
		{dtype(dialect.TypeInt), " 42 ", int32(42)},
		{dtype(dialect.TypeInt), "4.5e1", int32(45)},
		{dtype(dialect.TypeInt), mustDec("1.49"), int32(1)},
		{dtype(dialect.TypeBigInt), uint64(math.MaxInt64), int64(math.MaxInt64)},
		{dtype(dialect.TypeBigInt), int8(-3), int64(-3)},
		{dtype(dialect.TypeBigInt), mustDec("1e-999999999"), int64(0)},
		{dtype(dialect.TypeFloat), 1.1, float32(1.1)},
		{dtype(dialect.TypeFloat), int64(3), float32(3)},
		{dtype(dialect.TypeFloat), math.Inf(-1), float32(math.Inf(-1))},
		// Rounded once to the nearest REAL, as PostgreSQL does: REAL's
		// largest value as it prints, and a double just above it.
		{dtype(dialect.TypeFloat), "3.4028235e38", float32(math.MaxFloat32)},
		{dtype(dialect.TypeFloat), 3.4028235e38, float32(math.MaxFloat32)},
		{dtype(dialect.TypeFloat), mustDec("-340282350000000000000000000000000000000"), float32(-math.MaxFloat32)},
		{dtype(dialect.TypeFloat), "7.1e-46", float32(math.SmallestNonzeroFloat32)},
		{dtype(dialect.TypeFloat), "0e-99", float32(0)},
		{dtype(dialect.TypeDouble), float32(1.1), 1.100000023841858}, // widened exactly, as PostgreSQL does
		{dtype(dialect.TypeDouble), "2.5", 2.5},
		{dtype(dialect.TypeDouble), mustDec("0.1"), 0.1},
		{decType(5, 2), mustDec("1.005"), mustDec("1.01")},
		{decType(5, 2), mustDec("-1.005"), mustDec("-1.01")},
		{decType(5, 2), 999.994, mustDec("999.99")},
		{decType(5, 2), "12", mustDec("12.00")},
		{decType(5, 2), int64(-999), mustDec("-999.00")},
		{decType(5, 2), mustDec("1e-999999999"), mustDec("0")},
		{decType(38, 0), "99999999999999999999999999999999999999", mustDec("99999999999999999999999999999999999999")},
		{decType(38, 38), "0.12345678901234567890123456789012345678", mustDec("0.12345678901234567890123456789012345678")},
		{dtype(dialect.TypeText), "héllo", "héllo"},
		{dtype(dialect.TypeText), []byte("bytes"), "bytes"},
		{dtype(dialect.TypeText), int32(-5), "-5"},
		{dtype(dialect.TypeText), float32(1.1), "1.1"},
		{dialect.DataType{Name: dialect.TypeText, MaxLength: 3}, "日本語", "日本語"},
		{dtype(dialect.TypeBytes), "x", []byte("x")},
		{dtype(dialect.TypeJSON), `{"a": [1, 2]}`, types.JSONDocument{Val: map[string]any{"a": []any{1.0, 2.0}}}},
		{dtype(dialect.TypeJSON), []byte(`"s"`), types.JSONDocument{Val: "s"}},
		{dtype(dialect.TypeJSON), json.RawMessage(`null`), types.JSONDocument{Val: nil}},
		{dtype(dialect.TypeJSON), types.JSONDocument{Val: 1.5}, types.JSONDocument{Val: 1.5}},
		{dtype(dialect.TypeJSON), int32(5), types.JSONDocument{Val: int64(5)}},
		{dtype(dialect.TypeJSON), map[string]any{"k": true}, types.JSONDocument{Val: map[string]any{"k": true}}},
		{dtype(dialect.TypeJSON), struct {
			A int `json:"a"`
		}{7}, types.JSONDocument{Val: map[string]any{"a": 7.0}}},
		{dtype(dialect.TypeTimestamp), time.Date(2025, 1, 2, 3, 4, 5, 6_789_501, plus2), time.Date(2025, 1, 2, 1, 4, 5, 6_790_000, utc)},
		{dtype(dialect.TypeDateTime), "2025-01-02 03:04:05.123456", time.Date(2025, 1, 2, 3, 4, 5, 123456000, utc)},
		{dtype(dialect.TypeTimestamp), "2025-01-02T03:04:05+02:00", time.Date(2025, 1, 2, 1, 4, 5, 0, utc)},
		{dtype(dialect.TypeTimestamp), "1969-07-20", time.Date(1969, 7, 20, 0, 0, 0, 0, utc)},
		{dtype(dialect.TypeDate), time.Date(2025, 5, 1, 1, 0, 0, 0, plus2), time.Date(2025, 5, 1, 0, 0, 0, 0, utc)},
		{dtype(dialect.TypeDate), "1492-10-12", time.Date(1492, 10, 12, 0, 0, 0, 0, utc)},
		{dtype(dialect.TypeTime), types.Timespan(5), types.Timespan(5)},
		{dtype(dialect.TypeTime), 90 * time.Minute, types.Timespan(90 * 60e6)},
		{dtype(dialect.TypeTime), "12:34:56.5", types.Timespan(12*3600e6 + 34*60e6 + 56e6 + 500000)},
		{dtype(dialect.TypeTime), "-100:00:00", types.Timespan(-100 * 3600e6)},
		{dtype(dialect.TypeUUID), "0189F7E4-3A2B-7C1D-8E5F-0123456789AB", "0189f7e4-3a2b-7c1d-8e5f-0123456789ab"},
		{dtype(dialect.TypeUUID), []byte{0x01, 0x89, 0xf7, 0xe4, 0x3a, 0x2b, 0x7c, 0x1d, 0x8e, 0x5f, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab}, "0189f7e4-3a2b-7c1d-8e5f-0123456789ab"},
		{dtype(dialect.TypeInt), nil, nil},
	}
	for _, c := range cases {
		got, err := Normalize(c.dt, c.in)
		if err != nil {
			t.Errorf("Normalize(%s, %#v): %v", typeString(c.dt), c.in, err)
			continue
		}
		if !sameValue(got, c.want) {
			t.Errorf("Normalize(%s, %#v) = %#v (%T), want %#v (%T)", typeString(c.dt), c.in, got, got, c.want, c.want)
		}
		// Normalized values always encode.
		if got != nil {
			s := tableSchema(1, col(1, "c", c.dt))
			if _, err := Encode(nil, Header{}, s, []any{got}); err != nil {
				t.Errorf("Normalize(%s, %#v) = %#v does not encode: %v", typeString(c.dt), c.in, got, err)
			}
		}
	}
	// DECIMALs come out at exactly the column's scale.
	d, _ := Normalize(decType(10, 3), mustDec("2"))
	if d.(decimal.Decimal).Exponent() != -3 {
		t.Errorf("exponent %d", d.(decimal.Decimal).Exponent())
	}
}

func TestNormalizeErrors(t *testing.T) {
	cases := []struct {
		dt      dialect.DataType
		in      any
		message string
	}{
		{dtype(dialect.TypeSmallInt), int64(32768), "value out of range for SMALLINT"},
		{dtype(dialect.TypeSmallInt), int32(-32769), "value out of range for SMALLINT"},
		{dtype(dialect.TypeInt), int64(1) << 31, "value out of range for INT"},
		{dtype(dialect.TypeInt), "99999999999", "value out of range for INT"},
		{dtype(dialect.TypeBigInt), uint64(1) << 63, "value out of range for BIGINT"},
		{dtype(dialect.TypeBigInt), 1e19, "value out of range for BIGINT"},
		{dtype(dialect.TypeBigInt), math.NaN(), "value out of range for BIGINT"},
		{dtype(dialect.TypeBigInt), "99999999999999999999", "value out of range for BIGINT"},
		{dtype(dialect.TypeBigInt), mustDec("1e100"), "value out of range for BIGINT"},
		{dtype(dialect.TypeBigInt), "12abc", "invalid BIGINT"},
		{dtype(dialect.TypeBigInt), []int{1}, "a value of type unknown does not convert to BIGINT"},
		{dtype(dialect.TypeFloat), 1e39, "value out of range for FLOAT"},
		{dtype(dialect.TypeFloat), "3.4028236e38", "value out of range for FLOAT"},
		{dtype(dialect.TypeFloat), 1e-46, "value out of range for FLOAT"},
		{dtype(dialect.TypeFloat), "-1e-46", "value out of range for FLOAT"},
		{dtype(dialect.TypeFloat), "abc", "invalid FLOAT"},
		{dtype(dialect.TypeDouble), "1e-400", "value out of range for DOUBLE"},
		{dtype(dialect.TypeDouble), "x", "invalid DOUBLE"},
		{dtype(dialect.TypeDouble), "1e400", "value out of range for DOUBLE"},
		{decType(5, 2), mustDec("1000"), "value out of range for DECIMAL(5,2)"},
		{decType(5, 2), mustDec("999.995"), "value out of range for DECIMAL(5,2)"},
		{decType(5, 2), "-1000.001", "value out of range for DECIMAL(5,2)"},
		{decType(5, 2), "1e999999999", "value out of range for DECIMAL(5,2)"},
		{decType(5, 2), math.Inf(1), "value out of range for DECIMAL(5,2)"},
		{decType(5, 2), "abc", "invalid DECIMAL(5,2)"},
		{decType(38, 0), "100000000000000000000000000000000000000", "value out of range for DECIMAL(38,0)"},
		{dialect.DataType{Name: dialect.TypeText, MaxLength: 3}, "日本語x", "value too long for VARCHAR(3): 4 characters"},
		{dtype(dialect.TypeText), "bad \xff utf8", "not valid UTF-8"},
		{dtype(dialect.TypeText), []byte{0xc3}, "not valid UTF-8"},
		{dtype(dialect.TypeJSON), `{"a":`, "invalid input syntax for type json: The input string ended unexpectedly."},
		{dtype(dialect.TypeJSON), "not json", `invalid input syntax for type json: Token "not" is invalid.`},
		{dtype(dialect.TypeJSON), make(chan int), "a value of type unknown does not convert to JSON"},
		{dtype(dialect.TypeTimestamp), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "value out of range for TIMESTAMP"},
		{dtype(dialect.TypeTimestamp), "yesterday", "invalid TIMESTAMP"},
		{dtype(dialect.TypeTimestamp), int64(5), "a value of type BIGINT does not convert to TIMESTAMP"},
		{dtype(dialect.TypeDate), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), "value out of range for DATE"},
		{dtype(dialect.TypeTime), 900 * time.Hour, "value out of range for TIME"},
		{dtype(dialect.TypeTime), "ab:cd", "invalid TIME"},
		{dtype(dialect.TypeUUID), "0189f7e4-3a2b-7c1d-8e5f-0123456789a", "invalid UUID"},
		{dtype(dialect.TypeUUID), "0189f7e4x3a2b-7c1d-8e5f-0123456789ab", "invalid UUID"},
		{dtype(dialect.TypeUUID), "0189f7e4-3a2b-7c1d-8e5f-0123456789ag", "invalid UUID"},
		{dtype(dialect.TypeUUID), true, "a value of type BOOLEAN does not convert to UUID"},
		{dtype(dialect.TypeBytes), 5, "a value of type BIGINT does not convert to BYTES"},
		{dtype(dialect.TypeTime), types.JSONDocument{Val: map[string]any{"a": 1.0}}, "a value of type JSON does not convert to TIME"},
		{dtype("GEOMETRY"), 5, "unknown column type"},
	}
	for _, c := range cases {
		got, err := Normalize(c.dt, c.in)
		if err == nil {
			t.Errorf("Normalize(%s, %#v) = %#v, want error %q", typeString(c.dt), c.in, got, c.message)
			continue
		}
		if !strings.Contains(err.Error(), c.message) {
			t.Errorf("Normalize(%s, %#v): %q, want %q", typeString(c.dt), c.in, err, c.message)
		}
		if !errors.Is(err, ErrInvalidValue) {
			t.Errorf("Normalize(%s, %#v): %v does not match ErrInvalidValue", typeString(c.dt), c.in, err)
		}
		if strings.Contains(err.Error(), ErrInvalidValue.Error()) {
			t.Errorf("message repeats the sentinel: %q", err)
		}
	}
	// Error messages stay short even for huge inputs.
	_, err := Normalize(decType(5, 2), "1"+strings.Repeat("0", 10000))
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("long message: %d bytes", len(err.Error()))
	}
}

func TestSplitSecondFraction(t *testing.T) {
	for _, c := range []struct {
		in, rest string
		us       int64
	}{
		{"2024-01-01 00:00:00.0000015", "2024-01-01 00:00:00", 2},
		{"2024-01-01 00:00:00.0000005", "2024-01-01 00:00:00", 0},
		{"2024-01-01 00:00:00.0000025", "2024-01-01 00:00:00", 2},
		{"2024-01-01 00:00:00.0000035", "2024-01-01 00:00:00", 4},
		{"1969-12-31 23:59:59.9999995", "1969-12-31 23:59:59", 1000000},
		{"2024-01-01T10:00:00.5+02:00", "2024-01-01T10:00:00+02:00", 500000},
		{"12:00:00.123456789", "12:00:00", 123457},
		{"2024-01-01 10:00:00", "2024-01-01 10:00:00", 0},
		{"2024-01-01", "2024-01-01", 0},
		{"10:00:00.", "10:00:00.", 0},
	} {
		rest, us := SplitSecondFraction(c.in)
		if rest != c.rest || us != c.us {
			t.Errorf("SplitSecondFraction(%q) = %q, %d; want %q, %d", c.in, rest, us, c.rest, c.us)
		}
	}
}
