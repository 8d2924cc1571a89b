package row

import (
	"bytes"
	"math"
	"reflect"
	"time"

	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

func dtype(n dialect.TypeName) dialect.DataType { return dialect.DataType{Name: n} }

func col(id int, name string, dt dialect.DataType) systable.ColumnSchema {
	return systable.ColumnSchema{ColumnID: id, Name: name, Type: dt, Nullable: true}
}

func tableSchema(version int, cols ...systable.ColumnSchema) *systable.TableSchema {
	return &systable.TableSchema{TableID: "app:t", Version: version, Columns: cols}
}

// allTypes has a column of every type.
var allTypes = tableSchema(3,
	col(1, "b", dtype(dialect.TypeBoolean)),
	col(2, "s", dtype(dialect.TypeSmallInt)),
	col(3, "i", dtype(dialect.TypeInt)),
	col(4, "bi", dtype(dialect.TypeBigInt)),
	col(5, "f", dtype(dialect.TypeFloat)),
	col(6, "d", dtype(dialect.TypeDouble)),
	col(7, "dec", dialect.DataType{Name: dialect.TypeDecimal, Precision: 38, Scale: 10}),
	col(8, "t", dtype(dialect.TypeText)),
	col(9, "by", dtype(dialect.TypeBytes)),
	col(10, "j", dtype(dialect.TypeJSON)),
	col(11, "ts", dtype(dialect.TypeTimestamp)),
	col(12, "dt", dtype(dialect.TypeDate)),
	col(13, "dtt", dtype(dialect.TypeDateTime)),
	col(14, "tm", dtype(dialect.TypeTime)),
	col(15, "u", dtype(dialect.TypeUUID)),
	col(16, "money", dialect.DataType{Name: dialect.TypeDecimal, Precision: 5, Scale: 2}),
	col(17, "vc", dialect.DataType{Name: dialect.TypeText, MaxLength: 5}),
)

func mustDec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func jsonDoc(s string) types.JSONDocument {
	v, err := Normalize(dtype(dialect.TypeJSON), s)
	if err != nil {
		panic(err)
	}
	return v.(types.JSONDocument)
}

func bigJSON() types.JSONDocument {
	arr := make([]any, 2000)
	for i := range arr {
		arr[i] = map[string]any{"i": float64(i), "name": "item ünïcødé", "tags": []any{"a", "b", nil, true}}
	}
	return types.JSONDocument{Val: map[string]any{"items": arr, "n": 1.5}}
}

// sampleRows are rows of allTypes covering the edges of every type.
func sampleRows() [][]any {
	utc := time.UTC
	return [][]any{
		// all NULL
		make([]any, 17),
		// ordinary values
		{int8(1), int16(12), int32(-7), int64(1234567890123), float32(1.1), 2.5, mustDec("3.1415926535"),
			"hello", []byte{1, 2, 3}, jsonDoc(`{"a":[1,2,{"b":null}],"c":"x"}`),
			time.Date(2025, 3, 4, 5, 6, 7, 123456000, utc), time.Date(2025, 3, 4, 0, 0, 0, 0, utc),
			time.Date(2024, 2, 29, 23, 59, 59, 999999000, utc), types.Timespan(12*3600e6 + 34*60e6 + 56e6 + 789),
			"0189f7e4-3a2b-7c1d-8e5f-0123456789ab", mustDec("123.45"), "héllo"},
		// minimums and negatives
		{int8(0), int16(math.MinInt16), int32(math.MinInt32), int64(math.MinInt64), float32(-math.MaxFloat32), -math.MaxFloat64,
			mustDec("-9999999999999999999999999999.9999999999"), "", []byte{}, jsonDoc(`[]`),
			time.Date(1, 1, 1, 0, 0, 0, 0, utc), time.Date(1, 1, 1, 0, 0, 0, 0, utc),
			time.Date(1969, 12, 31, 23, 59, 59, 999999000, utc), types.Timespan(-maxTimespan),
			"00000000-0000-0000-0000-000000000000", mustDec("-999.99"), ""},
		// maximums
		{int8(1), int16(math.MaxInt16), int32(math.MaxInt32), int64(math.MaxInt64), float32(math.MaxFloat32), math.MaxFloat64,
			mustDec("9999999999999999999999999999.9999999999"), string(bytes.Repeat([]byte("ü"), 1000)), bytes.Repeat([]byte{0, 0xff}, 1000), bigJSON(),
			time.Date(9999, 12, 31, 23, 59, 59, 999999000, utc), time.Date(9999, 12, 31, 0, 0, 0, 0, utc),
			time.Date(9999, 12, 31, 23, 59, 59, 999999000, utc), types.Timespan(maxTimespan),
			"ffffffff-ffff-ffff-ffff-ffffffffffff", mustDec("999.99"), "日本語です"},
		// special floats, pre-epoch dates, odd JSON scalars
		{nil, int16(-1), nil, int64(0), float32(math.Copysign(0, -1)), math.NaN(), mustDec("0"),
			"nul\x00byte", nil, jsonDoc(`"just a string"`),
			time.Date(1900, 1, 1, 0, 0, 0, 1000, utc), time.Date(1969, 12, 31, 0, 0, 0, 0, utc),
			nil, types.Timespan(0), nil, mustDec("-0.01"), nil},
		{nil, nil, nil, nil, float32(math.Inf(1)), math.Inf(-1), mustDec("0.0000000001"),
			nil, nil, jsonDoc(`12345.5`), nil, time.Date(1000, 1, 1, 0, 0, 0, 0, utc), nil, types.Timespan(-1), nil, nil, nil},
		{nil, nil, nil, nil, float32(math.NaN()), math.Copysign(0, -1), nil, nil, nil, jsonDoc(`null`), nil, nil, nil, nil, nil, nil, nil},
	}
}

// sameValue compares decoded values exactly: floats by bits (NaN, -0),
// times by instant and location, decimals by value, JSON by structure.
func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	switch x := a.(type) {
	case float32:
		return math.Float32bits(x) == math.Float32bits(b.(float32)) || x != x && b.(float32) != b.(float32)
	case float64:
		return math.Float64bits(x) == math.Float64bits(b.(float64)) || x != x && b.(float64) != b.(float64)
	case time.Time:
		y := b.(time.Time)
		return x.Equal(y) && x.Location() == y.Location()
	case decimal.Decimal:
		return x.Equal(b.(decimal.Decimal))
	case []byte:
		return bytes.Equal(x, b.([]byte))
	case types.JSONDocument:
		return reflect.DeepEqual(x.Val, b.(types.JSONDocument).Val)
	}
	return a == b
}
