package schema

import (
	"fmt"
	"slices"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"

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

// typeInfo is one row of the type table: everything the core decides per
// data-model type, in one place.
type typeInfo struct {
	// wire is the data_type name of the type on the wire.
	wire string
	// engine is the query engine type; nil for the parameterised types
	// (DECIMAL, VARCHAR), whose engine type engineOf builds.
	engine sql.Type
	// primaryKey: values have a stable order-preserving key encoding and
	// an identity (not FLOAT, DOUBLE, DECIMAL, JSON or BOOLEAN).
	primaryKey bool
	// generators are the DEFAULT functions whose values have this type.
	generators []string
	// pg and udt are PostgreSQL's names of the type: data_type and
	// udt_name in information_schema.columns (see PostgresType).
	pg, udt string
}

// types is the type table. TIMESTAMP and DATETIME are both DATETIME(6) in
// the engine: MySQL's TIMESTAMP is limited to 1970..2038, which no KalamDB
// user expects, and the two differ only in their wire name.
var typeTable = map[dialect.TypeName]typeInfo{
	dialect.TypeBoolean:   {wire: "Boolean", engine: types.Boolean, pg: "boolean", udt: "bool"},
	dialect.TypeSmallInt:  {wire: "SmallInt", engine: types.Int16, primaryKey: true, pg: "smallint", udt: "int2"},
	dialect.TypeInt:       {wire: "Int", engine: types.Int32, primaryKey: true, pg: "integer", udt: "int4"},
	dialect.TypeBigInt:    {wire: "BigInt", engine: types.Int64, primaryKey: true, generators: []string{"SNOWFLAKE_ID"}, pg: "bigint", udt: "int8"},
	dialect.TypeFloat:     {wire: "Float", engine: types.Float32, pg: "real", udt: "float4"},
	dialect.TypeDouble:    {wire: "Double", engine: types.Float64, pg: "double precision", udt: "float8"},
	dialect.TypeDecimal:   {wire: "Decimal", pg: "numeric", udt: "numeric"},
	dialect.TypeText:      {wire: "Text", primaryKey: true, generators: []string{"UUID_V7", "ULID"}, pg: "text", udt: "text"},
	dialect.TypeBytes:     {wire: "Bytes", engine: types.LongBlob, primaryKey: true, pg: "bytea", udt: "bytea"},
	dialect.TypeJSON:      {wire: "Json", engine: types.JSON, pg: "jsonb", udt: "jsonb"},
	dialect.TypeTimestamp: {wire: "Timestamp", engine: types.DatetimeMaxPrecision, primaryKey: true, generators: []string{"NOW"}, pg: "timestamp without time zone", udt: "timestamp"},
	dialect.TypeDateTime:  {wire: "DateTime", engine: types.DatetimeMaxPrecision, primaryKey: true, generators: []string{"NOW"}, pg: "timestamp with time zone", udt: "timestamptz"},
	dialect.TypeDate:      {wire: "Date", engine: types.Date, primaryKey: true, generators: []string{"NOW"}, pg: "date", udt: "date"},
	dialect.TypeTime:      {wire: "Time", engine: types.Time, pg: "time without time zone", udt: "time"},
	dialect.TypeUUID:      {wire: "Uuid", engine: uuidType, primaryKey: true, generators: []string{"UUID_V7"}, pg: "uuid", udt: "uuid"},
}

// DefaultFunctions are the functions a DEFAULT may call.
var DefaultFunctions = []string{"SNOWFLAKE_ID", "UUID_V7", "ULID", "NOW"}

// EngineType is the query engine type a column of type dt is exposed as.
func EngineType(dt dialect.DataType) (sql.Type, error) {
	info, ok := typeTable[dt.Name]
	if !ok {
		return nil, apierror.New(apierror.InvalidSQL, "unknown column type %q", dt.Name)
	}
	if info.engine != nil {
		return info.engine, nil
	}
	switch dt.Name {
	case dialect.TypeDecimal:
		if dt.Precision < 1 || dt.Precision > 38 || dt.Scale < 0 || dt.Scale > dt.Precision {
			return nil, apierror.New(apierror.InvalidSQL, "DECIMAL(%d,%d): precision must be 1..38 and scale 0..precision", dt.Precision, dt.Scale)
		}
		if dt.Scale > dialect.MaxDecimalScale {
			return nil, apierror.New(apierror.Unsupported, "DECIMAL(%d,%d): a scale above %d is not supported", dt.Precision, dt.Scale, dialect.MaxDecimalScale)
		}
		return types.CreateColumnDecimalType(uint8(dt.Precision), uint8(dt.Scale))
	default: // TEXT, VARCHAR(n)
		if dt.MaxLength > 0 {
			return types.CreateString(sqltypes.VarChar, int64(dt.MaxLength), sql.Collation_utf8mb4_0900_bin)
		}
		return types.LongText, nil
	}
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

// WireName is the data_type name of a column type on the wire (docs/api.md).
// An unknown type (none is stored) reads as Text.
func WireName(dt dialect.DataType) string {
	if info, ok := typeTable[dt.Name]; ok {
		return info.wire
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
	if typeTable[dt.Name].primaryKey {
		return nil
	}
	return apierror.New(apierror.InvalidSQL, "column %s: type %s cannot be a PRIMARY KEY (use an integer, TEXT, UUID, BYTES, DATE or TIMESTAMP column)", col, TypeString(dt))
}

// ValidateDefaultFunction checks a generator DEFAULT against its column:
// the function must exist and produce the column's type. Literal DEFAULTs
// are values, which package row checks (row.ValidateDefault).
func ValidateDefaultFunction(col string, dt dialect.DataType, def *dialect.DefaultExpr) error {
	if !slices.Contains(DefaultFunctions, def.Function) {
		return apierror.New(apierror.InvalidSQL, "column %s: unknown DEFAULT function %s()", col, def.Function)
	}
	if !slices.Contains(typeTable[dt.Name].generators, def.Function) {
		return DefaultMismatch(col, dt, defaultFunctionTypes[def.Function])
	}
	return nil
}

// defaultFunctionTypes are PostgreSQL's names of the types the DEFAULT
// functions produce (ULID's text; NOW's as PostgreSQL's now()).
var defaultFunctionTypes = map[string]string{
	"SNOWFLAKE_ID": "bigint",
	"UUID_V7":      "uuid",
	"ULID":         "text",
	"NOW":          "timestamp with time zone",
}

// DefaultMismatch is PostgreSQL's error for a DEFAULT whose type
// (exprType, PostgreSQL's name) its column does not take.
func DefaultMismatch(col string, dt dialect.DataType, exprType string) error {
	return apierror.New(apierror.InvalidSQL, "column %q is of type %s but default expression is of type %s",
		col, PostgresType(dt).DataType, exprType)
}

// FamilyName is the column family holding a table's hot rows (see
// docs/architecture.md, "kalamdb-store").
func FamilyName(tt dialect.TableType, namespace, table string) string {
	switch tt {
	case dialect.TableTypeShared:
		return "shared_table:" + namespace + ":" + table
	case dialect.TableTypeStream:
		return "stream_table:" + namespace + ":" + table
	}
	return "user_table:" + namespace + ":" + table
}

// IndexFamilyPrefix starts the name of every secondary-index column
// family.
const IndexFamilyPrefix = "index:"

// IndexFamilyName is the column family holding the entries of every
// secondary index of a table (docs/architecture.md, "Secondary indexes").
func IndexFamilyName(namespace, table string) string {
	return IndexFamilyPrefix + namespace + ":" + table
}
