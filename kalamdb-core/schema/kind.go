package schema

import (
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// Kind is a column type reduced to how its values are stored. It is
// resolved once per column so the hot loops switch on a small integer
// rather than on type-name strings.
//
// Both tiers switch on it: package row for the hot row format and
// package cold for Parquet columns, which store the same canonical values;
// one Kind keeps them from disagreeing about which type names exist and
// how they group (TIMESTAMP with DATETIME).
type Kind uint8

// The kinds. KindInvalid is what KindOf returns for an unknown type name.
const (
	KindInvalid Kind = iota
	KindBool
	KindInt16
	KindInt32
	KindInt64
	KindFloat32
	KindFloat64
	KindDecimal
	KindText
	KindBytes
	KindJSON
	KindTimestamp // TIMESTAMP and DATETIME
	KindDate
	KindTime
	KindUUID
	// NumKinds counts the kinds, for arrays indexed by Kind.
	NumKinds
)

// KindOf is the Kind of columns of type n, or KindInvalid.
func KindOf(n dialect.TypeName) Kind {
	switch n {
	case dialect.TypeBoolean:
		return KindBool
	case dialect.TypeSmallInt:
		return KindInt16
	case dialect.TypeInt:
		return KindInt32
	case dialect.TypeBigInt:
		return KindInt64
	case dialect.TypeFloat:
		return KindFloat32
	case dialect.TypeDouble:
		return KindFloat64
	case dialect.TypeDecimal:
		return KindDecimal
	case dialect.TypeText:
		return KindText
	case dialect.TypeBytes:
		return KindBytes
	case dialect.TypeJSON:
		return KindJSON
	case dialect.TypeTimestamp, dialect.TypeDateTime:
		return KindTimestamp
	case dialect.TypeDate:
		return KindDate
	case dialect.TypeTime:
		return KindTime
	case dialect.TypeUUID:
		return KindUUID
	}
	return KindInvalid
}

// GoTypeName names the canonical Go type of k's values, for error
// messages.
func (k Kind) GoTypeName() string {
	switch k {
	case KindBool:
		return "int8"
	case KindInt16:
		return "int16"
	case KindInt32:
		return "int32"
	case KindInt64:
		return "int64"
	case KindFloat32:
		return "float32"
	case KindFloat64:
		return "float64"
	case KindDecimal:
		return "decimal.Decimal"
	case KindText, KindUUID:
		return "string"
	case KindBytes:
		return "[]byte"
	case KindJSON:
		return "types.JSONDocument"
	case KindTimestamp, KindDate:
		return "time.Time"
	case KindTime:
		return "types.Timespan"
	}
	return "?"
}
