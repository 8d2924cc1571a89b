package schema

import "github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"

// NoFacet is a PGType facet that PostgreSQL shows as NULL for the type.
const NoFacet = -1

// maxFieldOctets is PostgreSQL's largest field, 1 GB: the
// character_octet_length of an unbounded text, and the bound of a
// VARCHAR(n)'s (n may be larger than PostgreSQL allows, 2^31-1, and n
// characters of 4 bytes would overflow PostgreSQL's integer).
const maxFieldOctets = 1 << 30

// utf8MaxCharBytes is the most bytes a character takes in UTF-8, which
// PostgreSQL multiplies a VARCHAR(n)'s n by for its octet length.
const utf8MaxCharBytes = 4

// PGType is a column type as PostgreSQL's information_schema.columns
// describes it: data_type, udt_name and the facets, each NoFacet where
// PostgreSQL shows NULL. The values are PostgreSQL 15's for the same
// type declared there (in a UTF8 database).
type PGType struct {
	DataType string
	UDTName  string

	CharMaxLength     int
	CharOctetLength   int
	NumericPrecision  int
	NumericRadix      int
	NumericScale      int
	DatetimePrecision int
}

// PostgresType describes dt in PostgreSQL's terms. JSON (JSON and JSONB
// are one type) is jsonb: its values are stored parsed and compare as
// jsonb's do; DATETIME is timestamp with time zone (UTC). Timestamps and
// times keep microseconds, PostgreSQL's default precision (6).
func PostgresType(dt dialect.DataType) PGType {
	info, ok := typeTable[dt.Name]
	if !ok {
		info = typeTable[dialect.TypeText]
	}
	t := PGType{DataType: info.pg, UDTName: info.udt, CharMaxLength: NoFacet, CharOctetLength: NoFacet,
		NumericPrecision: NoFacet, NumericRadix: NoFacet, NumericScale: NoFacet, DatetimePrecision: NoFacet}
	switch dt.Name {
	case dialect.TypeSmallInt:
		t.NumericPrecision, t.NumericRadix, t.NumericScale = 16, 2, 0
	case dialect.TypeInt:
		t.NumericPrecision, t.NumericRadix, t.NumericScale = 32, 2, 0
	case dialect.TypeBigInt:
		t.NumericPrecision, t.NumericRadix, t.NumericScale = 64, 2, 0
	case dialect.TypeFloat:
		t.NumericPrecision, t.NumericRadix = 24, 2
	case dialect.TypeDouble:
		t.NumericPrecision, t.NumericRadix = 53, 2
	case dialect.TypeDecimal:
		t.NumericPrecision, t.NumericRadix, t.NumericScale = dt.Precision, 10, dt.Scale
	case dialect.TypeText:
		t.CharOctetLength = maxFieldOctets
		if dt.MaxLength > 0 {
			t.DataType, t.UDTName = "character varying", "varchar"
			t.CharMaxLength = dt.MaxLength
			t.CharOctetLength = int(min(int64(dt.MaxLength)*utf8MaxCharBytes, maxFieldOctets))
		}
	case dialect.TypeTimestamp, dialect.TypeDateTime, dialect.TypeTime:
		t.DatetimePrecision = 6
	case dialect.TypeDate:
		t.DatetimePrecision = 0
	}
	return t
}

// InputTypeName is the name PostgreSQL's input functions and range errors
// give type dt: its type's name ("integer", "double precision"; a decimal
// is "numeric" whatever its precision, a DATETIME "timestamp with time
// zone"), shorter for the types whose input functions say less
// ("timestamp", "time", "json").
func InputTypeName(dt dialect.DataType) string {
	switch dt.Name {
	case dialect.TypeTimestamp:
		return "timestamp"
	case dialect.TypeTime:
		return "time"
	case dialect.TypeJSON:
		return "json"
	}
	return PostgresType(dt).DataType
}
