package row

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/dolthub/go-mysql-server/sql/types"
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

// SplitSecondFraction takes the fraction of a second out of a time written
// as text ("2024-01-01 10:00:00.0000015+02" is "2024-01-01 10:00:00+02"
// and 2 µs) and rounds it to microseconds as PostgreSQL does: the
// fraction read as a double, times 10^6, rounded half to even. A
// fraction of .9999995 and more is a whole second, which the caller adds.
// Text without a fraction after HH:MM:SS comes back as it is, with 0.
func SplitSecondFraction(s string) (rest string, micros int64) {
	for i := 3; i < len(s); i++ {
		if s[i] != '.' || s[i-3] != ':' || !isDigit(s[i-1]) || !isDigit(s[i-2]) {
			continue
		}
		end := i + 1
		for end < len(s) && isDigit(s[end]) {
			end++
		}
		if end == i+1 {
			return s, 0
		}
		frac, err := strconv.ParseFloat("0"+s[i:end], 64)
		if err != nil {
			return s, 0
		}
		return s[:i] + s[end:], int64(math.RoundToEven(frac * 1e6))
	}
	return s, 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
