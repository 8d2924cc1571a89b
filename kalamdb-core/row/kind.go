package row

import (
	"errors"
	"fmt"
	"time"

	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// ErrCorrupt is wrapped by every error about bytes that do not decode.
var ErrCorrupt = errors.New("row: corrupt value")

// ErrVersionMismatch is returned by Projection.Decode for a row written
// under another schema version than the projection was built for: the
// caller picked the wrong projection (DecodeHeader says which one to use).
var ErrVersionMismatch = errors.New("row: schema version mismatch")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// Kind is a column type reduced to how its values are stored. It is
// resolved once per column so the hot loops switch on a small integer
// rather than on type-name strings.
//
// Kind is exported for package cold, which stores the same canonical
// values (see the package doc) in Parquet files and switches on the same
// reduction; sharing it keeps the two tiers from disagreeing about which
// type names exist and how they group (TIMESTAMP with DATETIME).
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
	numKinds
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

// Time range of TIMESTAMP, DATETIME and DATE values: the years 0001..9999,
// which is what "YYYY-MM-DD" can print and keeps microseconds far from
// int64 overflow.
const (
	minUnixSec   = -62135596800 // 0001-01-01T00:00:00Z
	maxUnixSec   = 253402300799 // 9999-12-31T23:59:59Z
	minUnixMicro = minUnixSec * 1e6
	maxUnixMicro = (maxUnixSec+1)*1e6 - 1
	minUnixDay   = minUnixSec / 86400 // exact: the bound is a midnight
	maxUnixDay   = maxUnixSec / 86400
	secondsInDay = 86400

	// maxTimespan is TIME's range, ±838:59:59.999999 (MySQL's).
	maxTimespan = (838*3600+59*60+59)*1e6 + 999999
)

// The functions below apply these ranges and the DATE-to-days mapping.
// Package row's encodings and package cold's Parquet columns store the
// same numbers (microseconds for TIMESTAMP, DATETIME and TIME, days since
// 1970-01-01 for DATE), so the functions are exported for package cold:
// both tiers must accept exactly the same values, and treat a stored
// number outside them as corrupt.

// InTimeRange reports whether t lies in the years 0001..9999, the range of
// TIMESTAMP, DATETIME and DATE values.
func InTimeRange(t time.Time) bool {
	s := t.Unix()
	return s >= minUnixSec && s <= maxUnixSec
}

// EpochDays is DATE value t (midnight UTC) as days since 1970-01-01, the
// number a DATE is stored as.
func EpochDays(t time.Time) int64 {
	return floorDiv(t.Unix(), secondsInDay)
}

// TimestampFromMicros is the TIMESTAMP or DATETIME value stored as us
// microseconds since the Unix epoch. ok is false when us is outside the
// years 0001..9999, which no writer produces.
func TimestampFromMicros(us int64) (t time.Time, ok bool) {
	if us < minUnixMicro || us > maxUnixMicro {
		return time.Time{}, false
	}
	return time.UnixMicro(us).UTC(), true
}

// DateFromEpochDays is the DATE value stored as days since 1970-01-01
// (the inverse of EpochDays). ok is false when days is outside the years
// 0001..9999, which no writer produces.
func DateFromEpochDays(days int64) (t time.Time, ok bool) {
	if days < minUnixDay || days > maxUnixDay {
		return time.Time{}, false
	}
	return dateFromDays(days), true
}

// dateFromDays is DateFromEpochDays without the range check, for callers
// that have made it.
func dateFromDays(days int64) time.Time {
	return time.Unix(days*secondsInDay, 0).UTC()
}

// TimespanFromMicros is the TIME value stored as us microseconds. ok is
// false when us is outside ±838:59:59.999999, which no writer produces.
func TimespanFromMicros(us int64) (ts types.Timespan, ok bool) {
	if us < -maxTimespan || us > maxTimespan {
		return 0, false
	}
	return types.Timespan(us), true
}

// floorDiv is a/b rounded towards -inf, for days before 1970.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
