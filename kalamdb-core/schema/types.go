package schema

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// System column names. They are reserved: user columns may not start with
// '_' (the dialect parser rejects them).
const (
	SeqColumn     = "_seq"
	DeletedColumn = "_deleted"
)

// uuidType is the engine type of UUID columns: the canonical 36-character
// text form, compared as bytes.
var uuidType = types.MustCreateString(sqltypes.Char, 36, sql.Collation_ascii_bin)

// UUIDType is the engine type of UUID values (columns and expressions).
func UUIDType() sql.Type { return uuidType }

// IsUUIDType reports whether t is the engine type of UUID values.
func IsUUIDType(t sql.Type) bool { return t == uuidType || t.Equals(uuidType) }

// EngineType is the query engine type a column of type dt is exposed as.
//
// TIMESTAMP and DATETIME are both DATETIME(6) in the engine: MySQL's
// TIMESTAMP is limited to 1970..2038, which no KalamDB user expects, and the
// two differ only in their wire name.
func EngineType(dt dialect.DataType) (sql.Type, error) {
	switch dt.Name {
	case dialect.TypeBoolean:
		return types.Boolean, nil
	case dialect.TypeSmallInt:
		return types.Int16, nil
	case dialect.TypeInt:
		return types.Int32, nil
	case dialect.TypeBigInt:
		return types.Int64, nil
	case dialect.TypeFloat:
		return types.Float32, nil
	case dialect.TypeDouble:
		return types.Float64, nil
	case dialect.TypeDecimal:
		if dt.Precision < 1 || dt.Precision > 38 || dt.Scale < 0 || dt.Scale > dt.Precision {
			return nil, apierror.New(apierror.InvalidSQL, "DECIMAL(%d,%d): precision must be 1..38 and scale 0..precision", dt.Precision, dt.Scale)
		}
		return types.CreateColumnDecimalType(uint8(dt.Precision), uint8(dt.Scale))
	case dialect.TypeText:
		if dt.MaxLength > 0 {
			return types.CreateString(sqltypes.VarChar, int64(dt.MaxLength), sql.Collation_utf8mb4_0900_bin)
		}
		return types.LongText, nil
	case dialect.TypeBytes:
		return types.LongBlob, nil
	case dialect.TypeJSON:
		return types.JSON, nil
	case dialect.TypeTimestamp, dialect.TypeDateTime:
		return types.DatetimeMaxPrecision, nil
	case dialect.TypeDate:
		return types.Date, nil
	case dialect.TypeTime:
		return types.Time, nil
	case dialect.TypeUUID:
		return uuidType, nil
	}
	return nil, apierror.New(apierror.InvalidSQL, "unknown column type %q", dt.Name)
}

// MustEngineType is EngineType for types that were validated when the table
// was created (every type stored in the catalog).
func MustEngineType(dt dialect.DataType) sql.Type {
	t, err := EngineType(dt)
	if err != nil {
		return types.LongText
	}
	return t
}

// WireName is the data_type name of a column type on the wire (API.md).
func WireName(dt dialect.DataType) string {
	switch dt.Name {
	case dialect.TypeBoolean:
		return "Boolean"
	case dialect.TypeSmallInt:
		return "SmallInt"
	case dialect.TypeInt:
		return "Int"
	case dialect.TypeBigInt:
		return "BigInt"
	case dialect.TypeFloat:
		return "Float"
	case dialect.TypeDouble:
		return "Double"
	case dialect.TypeDecimal:
		return "Decimal"
	case dialect.TypeText:
		return "Text"
	case dialect.TypeBytes:
		return "Bytes"
	case dialect.TypeJSON:
		return "Json"
	case dialect.TypeTimestamp:
		return "Timestamp"
	case dialect.TypeDate:
		return "Date"
	case dialect.TypeDateTime:
		return "DateTime"
	case dialect.TypeTime:
		return "Time"
	case dialect.TypeUUID:
		return "Uuid"
	}
	return "Text"
}

// TypeOfEngine maps an engine type back to the data model, for result
// columns computed by expressions. TINYINT only ever comes from booleans
// (the model has no TINYINT), so it maps to BOOLEAN; unsigned integers
// (COUNT, bit operations) map to BIGINT.
func TypeOfEngine(t sql.Type) dialect.DataType {
	switch {
	case t == uuidType:
		return dialect.DataType{Name: dialect.TypeUUID}
	case types.IsJSON(t):
		return dialect.DataType{Name: dialect.TypeJSON}
	case types.IsDecimal(t):
		d := t.(sql.DecimalType)
		return dialect.DataType{Name: dialect.TypeDecimal, Precision: int(d.Precision()), Scale: int(d.Scale())}
	case types.IsFloat(t):
		if t.Type() == sqltypes.Float32 {
			return dialect.DataType{Name: dialect.TypeFloat}
		}
		return dialect.DataType{Name: dialect.TypeDouble}
	case types.IsInteger(t):
		switch t.Type() {
		case sqltypes.Int8, sqltypes.Uint8:
			return dialect.DataType{Name: dialect.TypeBoolean}
		case sqltypes.Int16:
			return dialect.DataType{Name: dialect.TypeSmallInt}
		case sqltypes.Int24, sqltypes.Int32, sqltypes.Uint16:
			return dialect.DataType{Name: dialect.TypeInt}
		}
		return dialect.DataType{Name: dialect.TypeBigInt}
	case types.IsTimespan(t):
		return dialect.DataType{Name: dialect.TypeTime}
	case types.IsDateType(t):
		return dialect.DataType{Name: dialect.TypeDate}
	case types.IsTime(t):
		return dialect.DataType{Name: dialect.TypeTimestamp}
	case types.IsBlobType(t), types.IsBinaryType(t):
		return dialect.DataType{Name: dialect.TypeBytes}
	case t == types.Null:
		return dialect.DataType{Name: dialect.TypeText}
	}
	return dialect.DataType{Name: dialect.TypeText}
}

// TypeString renders a type as written in SQL, e.g. DECIMAL(10,2).
func TypeString(dt dialect.DataType) string {
	switch {
	case dt.Name == dialect.TypeDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", dt.Precision, dt.Scale)
	case dt.Name == dialect.TypeText && dt.MaxLength > 0:
		return fmt.Sprintf("VARCHAR(%d)", dt.MaxLength)
	}
	return string(dt.Name)
}

// ValidatePrimaryKeyType rejects types that cannot be a primary key: their
// values have no stable order-preserving key encoding (FLOAT, DOUBLE,
// DECIMAL, JSON) or no meaningful identity (BOOLEAN).
func ValidatePrimaryKeyType(col string, dt dialect.DataType) error {
	switch dt.Name {
	case dialect.TypeSmallInt, dialect.TypeInt, dialect.TypeBigInt, dialect.TypeText,
		dialect.TypeUUID, dialect.TypeBytes, dialect.TypeDate, dialect.TypeTimestamp,
		dialect.TypeDateTime:
		return nil
	}
	return apierror.New(apierror.InvalidSQL, "column %s: type %s cannot be a PRIMARY KEY (use an integer, TEXT, UUID, BYTES, DATE or TIMESTAMP column)", col, TypeString(dt))
}

// ValidateDefault checks that a DEFAULT fits its column: a generator
// function must produce the column's type and a literal must convert to it.
func ValidateDefault(col string, dt dialect.DataType, def *dialect.DefaultExpr) error {
	if def == nil {
		return nil
	}
	bad := func(what string) error {
		return apierror.New(apierror.InvalidSQL, "column %s: DEFAULT %s does not fit type %s", col, what, TypeString(dt))
	}
	if def.Kind == dialect.DefaultFunction {
		ok := false
		switch def.Function {
		case "SNOWFLAKE_ID":
			ok = dt.Name == dialect.TypeBigInt
		case "UUID_V7":
			ok = dt.Name == dialect.TypeUUID || dt.Name == dialect.TypeText
		case "ULID":
			ok = dt.Name == dialect.TypeText
		case "NOW":
			ok = dt.Name == dialect.TypeTimestamp || dt.Name == dialect.TypeDateTime || dt.Name == dialect.TypeDate
		default:
			return apierror.New(apierror.InvalidSQL, "column %s: unknown DEFAULT function %s()", col, def.Function)
		}
		if !ok {
			return bad(def.Function + "()")
		}
		return nil
	}
	if def.Literal == nil {
		return nil
	}
	// Booleans and numbers do not stand in for each other in a DEFAULT,
	// even where the engine would convert them.
	if _, isBool := def.Literal.(bool); isBool != (dt.Name == dialect.TypeBoolean) {
		return bad(def.Text)
	}
	lit := def.Literal
	if b, ok := lit.(bool); ok {
		lit = int8(0)
		if b {
			lit = int8(1)
		}
	}
	if _, err := row.Normalize(dt, lit); err != nil {
		return bad(def.Text)
	}
	return nil
}

// FamilyName is the column family holding a table's hot rows (DESIGN §4).
func FamilyName(tt dialect.TableType, namespace, table string) string {
	switch tt {
	case dialect.TableTypeShared:
		return "shared_table:" + namespace + ":" + table
	case dialect.TableTypeStream:
		return "stream_table:" + namespace + ":" + table
	}
	return "user_table:" + namespace + ":" + table
}
