package engine

import (
	"math"
	"time"
)

// Times stay within PostgreSQL's ranges: a date from 4714-11-24 BC (Julian
// day 0) to 5874897-12-31, a timestamp from the same day to 294246-12-31
// (PostgreSQL's end, 294276, is past what a count of microseconds since
// 1970 holds; timestamps are stored as one). Arithmetic past them fails
// with "date out of range" or "timestamp out of range", as in PostgreSQL,
// instead of wrapping around (timestamp + interval '300000000 years' gave
// a negative time) or saturating (date - date was at most 106751 days, the
// longest Go duration).
var (
	minTime      = time.Date(-4713, time.November, 24, 0, 0, 0, 0, time.UTC)
	maxTimestamp = time.Date(294247, time.January, 1, 0, 0, 0, 0, time.UTC).Add(-time.Microsecond)
	maxDate      = time.Date(5874897, time.December, 31, 0, 0, 0, 0, time.UTC)
)

// maxDaySpan is more days than any two representable dates are apart.
const maxDaySpan = 2_200_000_000

func errTimestampRange() error { return execError("timestamp out of range") }
func errDateRange() error      { return execError("date out of range") }

// checkTimestamp fails a timestamp outside the range.
func checkTimestamp(t time.Time) (time.Time, error) {
	if t.Before(minTime) || t.After(maxTimestamp) {
		return time.Time{}, errTimestampRange()
	}
	return t, nil
}

// checkDate fails a date outside the range.
func checkDate(t time.Time) (time.Time, error) {
	if t.Before(minTime) || t.After(maxDate) {
		return time.Time{}, errDateRange()
	}
	return t, nil
}

// addDays adds n days to a date, within the range.
func addDays(t time.Time, n int64) (time.Time, error) {
	if n > maxDaySpan || n < -maxDaySpan {
		return time.Time{}, errDateRange()
	}
	return checkDate(t.AddDate(0, 0, int(n)))
}

// daysBetween is a - b in whole days, for dates (midnight UTC).
func daysBetween(a, b time.Time) int64 {
	return floorDiv64(a.Unix()-b.Unix(), 86_400)
}

// intervalPart converts a quantity of an interval unit to its count of
// the unit's field (months, days or microseconds), failing past what the
// field holds (PostgreSQL keeps months and days in 32 bits).
func intervalPart(n float64, per int64, limit float64) (int64, bool) {
	v := n * float64(per)
	if math.IsNaN(v) || math.Abs(v) > limit {
		return 0, false
	}
	return int64(math.Round(v)), true
}
