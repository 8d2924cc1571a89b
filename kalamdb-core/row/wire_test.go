package row

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// marshal renders a wire value as the API would.
func marshal(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("json encode %#v: %v", v, err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func TestWireValue(t *testing.T) {
	utc := time.UTC
	point1, point2 := 0.1, 0.2
	cases := []struct {
		dt   dialect.DataType
		in   any
		want string
	}{
		{dtype(dialect.TypeBoolean), int8(1), `true`},
		{dtype(dialect.TypeBoolean), int8(0), `false`},
		{dtype(dialect.TypeBoolean), true, `true`},
		{dtype(dialect.TypeSmallInt), int16(-5), `-5`},
		{dtype(dialect.TypeInt), int32(math.MaxInt32), `2147483647`},
		{dtype(dialect.TypeBigInt), int64(math.MaxInt64), `9223372036854775807`},
		{dtype(dialect.TypeBigInt), int64(math.MinInt64), `-9223372036854775808`},
		{dtype(dialect.TypeFloat), float32(1.1), `1.1`},
		{dtype(dialect.TypeFloat), float32(0.1), `0.1`},
		{dtype(dialect.TypeFloat), float32(1e-7), `1e-7`},
		{dtype(dialect.TypeFloat), float32(3e21), `3e+21`},
		{dtype(dialect.TypeFloat), float32(math.MaxFloat32), `3.4028235e+38`},
		{dtype(dialect.TypeFloat), float32(100), `100`},
		{dtype(dialect.TypeFloat), float32(math.Copysign(0, -1)), `-0`},
		{dtype(dialect.TypeFloat), float32(math.NaN()), `"NaN"`},
		{dtype(dialect.TypeDouble), point1 + point2, `0.30000000000000004`},
		{dtype(dialect.TypeDouble), 1e300, `1e+300`},
		{dtype(dialect.TypeDouble), math.Inf(1), `"Infinity"`},
		{dtype(dialect.TypeDouble), math.Inf(-1), `"-Infinity"`},
		{decType(10, 2), mustDec("12.5"), `"12.50"`},
		{decType(10, 2), mustDec("-0.01"), `"-0.01"`},
		{decType(10, 0), mustDec("42"), `"42"`},
		{decType(38, 10), mustDec("12345678901234567890123456.1234567891"), `"12345678901234567890123456.1234567891"`},
		{dtype(dialect.TypeText), "héllo \"q\" <b>", `"héllo \"q\" <b>"`},
		{dtype(dialect.TypeJSON), jsonDoc(`{ "a" : [1, 2.5, "<x>", null] }`), `{"a":[1,2.5,"<x>",null]}`},
		{dtype(dialect.TypeJSON), jsonDoc(`"str"`), `"str"`},
		{dtype(dialect.TypeJSON), types.JSONDocument{Val: nil}, `null`},
		{dtype(dialect.TypeJSON), `{"raw": true}`, `{"raw":true}`},
		{dtype(dialect.TypeTimestamp), time.Date(2025, 1, 2, 3, 4, 5, 678999000, utc), `1735787045678`},
		{dtype(dialect.TypeDateTime), time.Date(1969, 12, 31, 23, 59, 59, 999000000, utc), `-1`},
		{dtype(dialect.TypeTimestamp), time.Date(1969, 12, 31, 23, 59, 59, 999999000, utc), `-1`},
		{dtype(dialect.TypeDate), time.Date(1492, 10, 12, 0, 0, 0, 0, utc), `"1492-10-12"`},
		{dtype(dialect.TypeDate), time.Date(2025, 3, 4, 0, 0, 0, 0, utc), `"2025-03-04"`},
		{dtype(dialect.TypeTime), types.Timespan(3723000004), `"01:02:03.000004"`},
		{dtype(dialect.TypeTime), types.Timespan(0), `"00:00:00.000000"`},
		{dtype(dialect.TypeTime), types.Timespan(-maxTimespan), `"-838:59:59.999999"`},
		{dtype(dialect.TypeTime), types.Timespan(math.MinInt64), `"-2562047788:00:54.775808"`},
		{dtype(dialect.TypeUUID), "0189f7e4-3a2b-7c1d-8e5f-0123456789ab", `"0189f7e4-3a2b-7c1d-8e5f-0123456789ab"`},
		{dtype(dialect.TypeBytes), []byte{0, 1, 2, 0xfb, 0xff}, `"AAEC+/8="`},
		{dtype(dialect.TypeBytes), []byte{}, `""`},
		{dtype(dialect.TypeInt), nil, `null`},
		// Unexpected Go types do not panic.
		{dtype(dialect.TypeInt), "oops", `"oops"`},
		{dtype(dialect.TypeDate), struct{ X int }{1}, `"{1}"`},
	}
	for _, c := range cases {
		if got := marshal(t, WireValue(c.dt, c.in)); got != c.want {
			t.Errorf("WireValue(%s, %#v) = %s, want %s", typeString(c.dt), c.in, got, c.want)
		}
		// A column's encoder renders what WireValue does.
		if got := marshal(t, WireEncoder(c.dt)(c.in)); got != c.want {
			t.Errorf("WireEncoder(%s)(%#v) = %s, want %s", typeString(c.dt), c.in, got, c.want)
		}
	}
	// Every decoded sample value renders and marshals.
	for _, values := range sampleRows() {
		for i, c := range allTypes.Columns {
			marshal(t, WireValue(c.Type, values[i]))
		}
	}
}

func TestWireValueOf(t *testing.T) {
	dec, _ := types.CreateColumnDecimalType(10, 3)
	cases := []struct {
		t    sql.Type
		in   any
		want string
	}{
		{types.Boolean, int8(1), `true`},
		{types.Int8, int8(0), `false`},
		{types.Uint8, uint8(2), `true`},
		{types.Int64, int64(5), `5`},
		{types.Int32, int32(-5), `-5`},
		{types.Uint64, uint64(math.MaxUint64), `18446744073709551615`},
		{types.Int64, uint32(7), `7`},
		{types.Float32, float32(1.1), `1.1`},
		{types.Float64, 2.5, `2.5`},
		{types.Float64, math.NaN(), `"NaN"`},
		{dec, decimal.RequireFromString("1.5"), `"1.500"`},
		{types.Float64, decimal.RequireFromString("1.50"), `"1.5"`},
		{types.DatetimeMaxPrecision, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), `1735787045000`},
		{types.Date, time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), `"2025-01-02"`},
		{types.Time, types.Timespan(-1), `"-00:00:00.000001"`},
		{types.JSON, types.JSONDocument{Val: map[string]any{"a": 1.0}}, `{"a":1}`},
		{types.JSON, `[1,  2]`, `[1,2]`},
		{types.JSON, `not json`, `"not json"`},
		{types.LongBlob, []byte("hi"), `"aGk="`},
		{types.LongText, "text", `"text"`},
		{types.LongText, nil, `null`},
		{types.LongText, true, `true`},
		{types.LongText, []int{1, 2}, `"[1 2]"`},
		{nil, int16(3), `3`},
		{nil, json.RawMessage(`{"x" : 1}`), `{"x":1}`},
	}
	for _, c := range cases {
		if got := marshal(t, WireValueOf(c.t, c.in)); got != c.want {
			t.Errorf("WireValueOf(%v, %#v) = %s, want %s", c.t, c.in, got, c.want)
		}
	}
}

// FLOAT values print as their float32 shortest form for every float32.
func TestWireFloat32Exhaustive(t *testing.T) {
	for _, f := range []float32{1.1, 0.1, 3.14159, 1e-6, 9.999999e-7, 123456789, 1e20, 1e21, float32(math.SmallestNonzeroFloat32), -2.5} {
		s := string(wireFloat32(f).(json.Number))
		var back float32
		if err := json.Unmarshal([]byte(s), &back); err != nil || back != f {
			t.Errorf("%v -> %s -> %v (%v)", f, s, back, err)
		}
		if len(s) > 21 {
			t.Errorf("%v printed noisily: %s", f, s)
		}
	}
}
