package engine

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// The SQL front end gives every expression a PostgreSQL type family. The
// engine has no boolean type (booleans are TINYINT) and types integer
// literals by their value; KalamDB's SQL never produces a TINYINT other
// than a boolean (integer literals are BIGINT, see kdb_int), so TINYINT
// reads as BOOLEAN here and everywhere results are typed.

// family is a PostgreSQL type family of an expression.
type family uint8

const (
	famOther   family = iota // an engine type KalamDB has no name for
	famUnknown               // a string literal or parameter: PostgreSQL's "unknown", typed by its context
	famNull                  // the NULL literal
	famBool
	famInt // SMALLINT, INT, BIGINT
	famFloat
	famNumeric
	famText
	famBytes
	famJSON
	famTimestamp // TIMESTAMP and DATETIME
	famDate
	famTime
	famUUID
)

var familyNames = [...]string{
	famOther: "OTHER", famUnknown: "UNKNOWN", famNull: "NULL", famBool: "BOOLEAN", famInt: "BIGINT",
	famFloat: "DOUBLE", famNumeric: "DECIMAL", famText: "TEXT", famBytes: "BYTES", famJSON: "JSON",
	famTimestamp: "TIMESTAMP", famDate: "DATE", famTime: "TIME", famUUID: "UUID",
}

func (f family) String() string { return familyNames[f] }

func (f family) numeric() bool { return f == famInt || f == famFloat || f == famNumeric }

// familyOf is the family of an expression: its engine type's, except for
// literals, which are typed by value (a string literal is unknown until
// its context types it, as in PostgreSQL).
func familyOf(e sql.Expression) family {
	if lit, ok := asLiteral(e); ok {
		switch lit.Value().(type) {
		case nil:
			return famNull
		case string:
			if types.IsText(lit.Type()) {
				return famUnknown
			}
		case bool:
			return famBool
		case int8, uint8:
			// An integer literal is never a TINYINT (kdb_int makes it a
			// BIGINT); a TINYINT literal is the engine's TRUE or FALSE.
			if q := lit.Type().Type(); q == sqltypes.Int8 || q == sqltypes.Uint8 {
				return famBool
			}
			return famInt
		case int16, int32, int64, uint16, uint32:
			return famInt
		}
	}
	if a, ok := e.(*expression.Alias); ok {
		return familyOf(a.Child)
	}
	return familyOfType(e.Type())
}

// familyOfType is the family of an engine type.
func familyOfType(t sql.Type) family {
	switch {
	case t == nil:
		return famOther
	case t == types.Null:
		return famNull
	case schema.IsUUIDType(t):
		return famUUID
	case types.IsJSON(t):
		return famJSON
	case types.IsDecimal(t):
		return famNumeric
	case types.IsFloat(t):
		return famFloat
	case types.IsInteger(t):
		if q := t.Type(); q == sqltypes.Int8 || q == sqltypes.Uint8 {
			return famBool
		}
		return famInt
	case types.IsTimespan(t):
		return famTime
	case types.IsDateType(t):
		return famDate
	case types.IsTime(t):
		return famTimestamp
	case types.IsBlobType(t), types.IsBinaryType(t):
		return famBytes
	case types.IsText(t):
		return famText
	}
	return famOther
}

// typeName names an expression's type in messages, as a KalamDB type.
func typeName(e sql.Expression) string {
	f := familyOf(e)
	switch f {
	case famInt:
		return string(intTypeName(e.Type()))
	case famFloat:
		if e.Type().Type() == sqltypes.Float32 {
			return "FLOAT"
		}
	}
	return f.String()
}

func intTypeName(t sql.Type) dialect.TypeName {
	switch intWidth(t) {
	case 16:
		return dialect.TypeSmallInt
	case 32:
		return dialect.TypeInt
	}
	return dialect.TypeBigInt
}

// intWidth is the width of an integer engine type as KalamDB sees it:
// 16, 32 or 64 bits.
func intWidth(t sql.Type) int {
	switch t.Type() {
	case sqltypes.Int16, sqltypes.Int8, sqltypes.Uint8:
		return 16
	case sqltypes.Int24, sqltypes.Int32, sqltypes.Uint16:
		return 32
	}
	return 64
}

func intTypeOfWidth(w int) sql.Type {
	switch w {
	case 16:
		return types.Int16
	case 32:
		return types.Int32
	}
	return types.Int64
}

// numericType is the engine type of computed DECIMAL values. Its scale
// is the engine's maximum, so the engine never rounds a value when it
// converts one; on the wire a computed value shows its own scale, as
// PostgreSQL's numeric does (decimalWire).
var numericType = types.MustCreateDecimalType(65, 30)

// engineType is the engine type of a KalamDB type; a DECIMAL without a
// precision is an unconstrained numeric (numericType).
func engineType(dt dialect.DataType) sql.Type {
	if dt.Name == dialect.TypeDecimal && dt.Precision == 0 {
		return numericType
	}
	return schema.MustEngineType(dt)
}

// toInt64 reads an integer value of any engine representation, a
// boolean as 0 or 1.
func toInt64(v any) (int64, bool) {
	if n, ok := row.IntValue(v); ok {
		return n, true
	}
	switch x := v.(type) {
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), true
		}
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// toFloat64 reads a number as a float.
func toFloat64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case decimal.Decimal:
		f, _ := x.Float64()
		return f, true
	case uint64:
		return float64(x), true
	}
	if n, ok := toInt64(v); ok {
		return float64(n), true
	}
	return 0, false
}

// toDecimal reads a number as an exact decimal.
func toDecimal(v any) (decimal.Decimal, bool) {
	switch x := v.(type) {
	case decimal.Decimal:
		return x, true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return decimal.Decimal{}, false
		}
		return decimal.NewFromFloat(x), true
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return decimal.Decimal{}, false
		}
		return decimal.NewFromFloat32(x), true
	case uint64:
		d, err := decimal.NewFromString(strconv.FormatUint(x, 10))
		return d, err == nil
	}
	if n, ok := toInt64(v); ok {
		return decimal.NewFromInt(n), true
	}
	return decimal.Decimal{}, false
}

// toBool reads a boolean value (the engine stores TRUE as 1).
func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case int8:
		return x != 0, true
	}
	if n, ok := toInt64(v); ok {
		return n != 0, true
	}
	return false, false
}

func toText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

func toTime(v any) (time.Time, bool) {
	t, ok := v.(time.Time)
	return t.UTC(), ok
}

// wireEncoder encodes the values of a result column of type dt: a stored
// column's declared type, or a computed column's, whose DECIMAL values
// keep their own scale (PostgreSQL's numeric) instead of the engine
// type's.
func wireEncoder(dt dialect.DataType, stored bool) func(any) any {
	enc := row.WireEncoder(dt)
	if dt.Name == dialect.TypeDecimal && !stored {
		return func(v any) any {
			if d, ok := v.(decimal.Decimal); ok {
				return decimalWire(d)
			}
			return enc(v)
		}
	}
	return enc
}

// decimalWire renders a computed DECIMAL with its own scale, like
// PostgreSQL's numeric: 1.50 stays "1.50", 7.0/2 is "3.5000000000000000".
func decimalWire(d decimal.Decimal) string {
	return d.StringFixed(max(-d.Exponent(), 0))
}

func typeError(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

// typedOnce is an expression whose type is worked out once, for the
// typing of a function's or an operator's arguments, which asks each
// argument's type several times: a subquery's type is its query's, worked
// out again on every call, through every subquery it holds, so asking
// several times per level multiplied planning time at every level of
// nested subqueries. It never goes into a built expression (untyped).
type typedOnce struct {
	sql.Expression
	typ sql.Type
}

func (t typedOnce) Type() sql.Type { return t.typ }

// typesOnce is args with each argument's type worked out once; literals
// and aliases stay as they are (familyOf looks at them, not only their
// type), and args is not changed.
func typesOnce(args []sql.Expression) []sql.Expression {
	out := make([]sql.Expression, len(args))
	for i, a := range args {
		out[i] = typeOnce(a)
	}
	return out
}

func typeOnce(e sql.Expression) sql.Expression {
	if _, lit := asLiteral(e); lit {
		return e
	}
	switch e.(type) {
	case typedOnce, *expression.Alias:
		return e
	}
	return typedOnce{Expression: e, typ: e.Type()}
}

// untyped is e without typeOnce's wrapper.
func untyped(e sql.Expression) sql.Expression {
	if t, ok := e.(typedOnce); ok {
		return t.Expression
	}
	return e
}
