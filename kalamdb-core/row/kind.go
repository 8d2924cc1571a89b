package row

import (
	"errors"
	"fmt"
	"time"

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

// kind is a column type reduced to how its values are stored. It is
// resolved once per column so the hot loops switch on a small integer
// rather than on type-name strings.
type kind uint8

const (
	kInvalid kind = iota
	kBool
	kInt16
	kInt32
	kInt64
	kFloat32
	kFloat64
	kDecimal
	kText
	kBytes
	kJSON
	kTimestamp // TIMESTAMP and DATETIME
	kDate
	kTime
	kUUID
	numKinds
)

func kindOf(n dialect.TypeName) kind {
	switch n {
	case dialect.TypeBoolean:
		return kBool
	case dialect.TypeSmallInt:
		return kInt16
	case dialect.TypeInt:
		return kInt32
	case dialect.TypeBigInt:
		return kInt64
	case dialect.TypeFloat:
		return kFloat32
	case dialect.TypeDouble:
		return kFloat64
	case dialect.TypeDecimal:
		return kDecimal
	case dialect.TypeText:
		return kText
	case dialect.TypeBytes:
		return kBytes
	case dialect.TypeJSON:
		return kJSON
	case dialect.TypeTimestamp, dialect.TypeDateTime:
		return kTimestamp
	case dialect.TypeDate:
		return kDate
	case dialect.TypeTime:
		return kTime
	case dialect.TypeUUID:
		return kUUID
	}
	return kInvalid
}

// goTypeName names the Go type a kind's values have, for error messages.
func (k kind) goTypeName() string {
	switch k {
	case kBool:
		return "int8"
	case kInt16:
		return "int16"
	case kInt32:
		return "int32"
	case kInt64:
		return "int64"
	case kFloat32:
		return "float32"
	case kFloat64:
		return "float64"
	case kDecimal:
		return "decimal.Decimal"
	case kText, kUUID:
		return "string"
	case kBytes:
		return "[]byte"
	case kJSON:
		return "types.JSONDocument"
	case kTimestamp, kDate:
		return "time.Time"
	case kTime:
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

func inTimeRange(t time.Time) bool {
	s := t.Unix()
	return s >= minUnixSec && s <= maxUnixSec
}

// floorDiv is a/b rounded towards -inf, for days before 1970.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func dateFromDays(days int64) time.Time {
	return time.Unix(days*secondsInDay, 0).UTC()
}
