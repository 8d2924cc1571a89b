package dialect

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// typeWords is the data model's type table: every type name KalamDB
// accepts, aliases included, by upper-case name. The column types of
// CREATE/ALTER TABLE and the target types of CAST resolve through it, so a
// name means the same type everywhere.
var typeWords = map[string]TypeName{
	"BOOLEAN": TypeBoolean, "BOOL": TypeBoolean,
	"SMALLINT": TypeSmallInt, "INT2": TypeSmallInt,
	"INT": TypeInt, "INTEGER": TypeInt, "INT4": TypeInt, "MEDIUMINT": TypeInt,
	"BIGINT": TypeBigInt, "INT8": TypeBigInt,
	"FLOAT": TypeFloat, "REAL": TypeFloat, "FLOAT4": TypeFloat,
	"DOUBLE": TypeDouble, "FLOAT8": TypeDouble, "FLOAT64": TypeDouble,
	"DECIMAL": TypeDecimal, "NUMERIC": TypeDecimal,
	"TEXT": TypeText, "STRING": TypeText, "VARCHAR": TypeText, "CHAR": TypeText, "NVARCHAR": TypeText,
	"BYTES": TypeBytes, "BYTEA": TypeBytes, "BLOB": TypeBytes, "BINARY": TypeBytes, "VARBINARY": TypeBytes,
	"JSON": TypeJSON, "JSONB": TypeJSON,
	"TIMESTAMP": TypeTimestamp,
	"DATE":      TypeDate,
	"DATETIME":  TypeDateTime,
	"TIME":      TypeTime,
	"UUID":      TypeUUID,
}

// LookupType resolves one type word (any case) of the type table.
func LookupType(word string) (TypeName, bool) {
	n, ok := typeWords[asciiUpper(word)]
	return n, ok
}

// typeParams says which parameters a type word takes: DECIMAL(p[,s]) and
// the length of VARCHAR(n), CHAR(n) and NVARCHAR(n).
func typeParams(word string) (min, max int) {
	switch word {
	case "DECIMAL", "NUMERIC":
		return 0, 2
	case "VARCHAR", "CHAR", "NVARCHAR":
		return 0, 1
	}
	return 0, 0
}

// maxTextLength bounds VARCHAR(n) and CHAR(n).
const maxTextLength = 1<<31 - 1

// MaxDecimalPrecision is the most digits a DECIMAL column or cast holds
// (KalamDB's Decimal128, as DataFusion's and Parquet's); DECIMAL without
// a precision is DECIMAL(MaxDecimalPrecision, DefaultDecimalScale).
// Computed numerics are PostgreSQL's unconstrained numeric.
const (
	MaxDecimalPrecision = 38
	DefaultDecimalScale = 10
)

// MaxDecimalScale is the most digits after the point a DECIMAL column or
// cast may keep: the query engine's widest scale. PostgreSQL allows more;
// a larger scale is refused rather than silently rounded.
const MaxDecimalScale = 30

// maxPgNumericScale bounds a NUMERIC scale, negative or positive, in
// PostgreSQL (NUMERIC_MIN_SCALE, NUMERIC_MAX_SCALE).
const maxPgNumericScale = 1000

// UnsupportedTypeError is the error of a type that is valid SQL but not
// supported by this server: callers report it as UNSUPPORTED.
type UnsupportedTypeError string

func (e UnsupportedTypeError) Error() string { return string(e) }

// ResolveType resolves a type word and its parameters: DECIMAL alone is
// DECIMAL(38,10) and DECIMAL(p) is DECIMAL(p,0); VARCHAR(n) limits TEXT to
// n characters. The error says what is wrong, without a position.
func ResolveType(word string, params []int64) (DataType, error) {
	w := asciiUpper(word)
	name, ok := typeWords[w]
	if !ok {
		switch w {
		case "EMBEDDING", "FILE":
			// KalamDB's vector and file-reference types: valid SQL there,
			// not one of this server's wire types (docs/sql.md).
			return DataType{}, UnsupportedTypeError(fmt.Sprintf("type %s is not supported by this server", w))
		}
		// PostgreSQL's words: the name as the parser folded it (callers
		// pass an unquoted word lower-cased).
		return DataType{}, fmt.Errorf("type \"%s\" does not exist", snippet(word))
	}
	if _, max := typeParams(w); len(params) > max {
		if max == 0 {
			return DataType{}, fmt.Errorf("type %s takes no parameters", w)
		}
		return DataType{}, fmt.Errorf("type %s takes at most %s", w, apierror.Count(max, "parameter"))
	}
	dt := DataType{Name: name}
	switch name {
	case TypeDecimal:
		dt.Precision, dt.Scale = MaxDecimalPrecision, DefaultDecimalScale
		if len(params) > 0 {
			if params[0] < 1 || params[0] > MaxDecimalPrecision {
				return DataType{}, fmt.Errorf("DECIMAL precision must be between 1 and %d, got %d", MaxDecimalPrecision, params[0])
			}
			dt.Precision, dt.Scale = int(params[0]), 0
		}
		if len(params) > 1 {
			if params[1] < -maxPgNumericScale || params[1] > maxPgNumericScale {
				return DataType{}, fmt.Errorf("NUMERIC scale %d must be between %d and %d", params[1], -maxPgNumericScale, maxPgNumericScale)
			}
			if params[1] < 0 || params[1] > params[0] {
				// PostgreSQL's NUMERIC(10,11) holds values below 0.1 and
				// NUMERIC(3,-2) rounds to hundreds; a DECIMAL(p,s) column
				// is stored as Arrow's Decimal128 and Parquet's DECIMAL,
				// whose scale is 0 to p, and the engine types a value so.
				return DataType{}, UnsupportedTypeError(fmt.Sprintf(
					"DECIMAL(%d,%d) is not supported: a DECIMAL's scale is between 0 and its precision here (PostgreSQL also allows a negative scale or one above the precision)",
					params[0], params[1]))
			}
			if params[1] > MaxDecimalScale {
				return DataType{}, UnsupportedTypeError(fmt.Sprintf(
					"DECIMAL scale above %d is not supported (values keep at most %d digits after the point), got %d",
					MaxDecimalScale, MaxDecimalScale, params[1]))
			}
			dt.Scale = int(params[1])
		}
	case TypeText:
		if len(params) > 0 {
			if params[0] < 1 || params[0] > maxTextLength {
				return DataType{}, fmt.Errorf("%s length must be between 1 and %d, got %d", w, maxTextLength, params[0])
			}
			dt.MaxLength = int(params[0])
		}
	}
	return dt, nil
}

// SQL renders the type as SQL that ParseDataType reads back: DECIMAL(p,s),
// VARCHAR(n) for a bounded TEXT, else the type's name.
func (dt DataType) SQL() string {
	switch {
	case dt.Name == TypeDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", dt.Precision, dt.Scale)
	case dt.Name == TypeText && dt.MaxLength > 0:
		return fmt.Sprintf("VARCHAR(%d)", dt.MaxLength)
	}
	return string(dt.Name)
}

// ParseDataType reads a type written as DataType.SQL writes it (or any
// type word of the table with its parameters).
func ParseDataType(s string) (DataType, error) {
	word, rest, hasParams := strings.Cut(strings.TrimSpace(s), "(")
	var params []int64
	if hasParams {
		inner, ok := strings.CutSuffix(strings.TrimSpace(rest), ")")
		if !ok {
			return DataType{}, fmt.Errorf("malformed type %q", s)
		}
		for _, p := range strings.Split(inner, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
			if err != nil {
				return DataType{}, fmt.Errorf("malformed type %q", s)
			}
			params = append(params, n)
		}
	}
	return ResolveType(strings.TrimSpace(word), params)
}
