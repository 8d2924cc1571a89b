package engine

// This file is longer than most on purpose: it is the whole date and time
// function library, with the format patterns they share; each function is
// short.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// Date and time functions. Every timestamp is UTC; now() and
// CURRENT_TIMESTAMP are the start of the statement's transaction, with
// microseconds, as in PostgreSQL.

// timeArg types a date/time argument: TIMESTAMP, DATETIME and DATE are
// taken as they are, an untyped literal is read as a TIMESTAMP.
func timeArg(name string, args []sql.Expression, i int, allowTime bool) ([]sql.Expression, family, error) {
	out := append([]sql.Expression(nil), args...)
	f := familyOf(args[i])
	switch {
	case f == famTimestamp || f == famDate || f == famNull:
	case f == famTime && allowTime:
	case f == famUnknown:
		c, err := coerce(args[i], tsType)
		if err != nil {
			return nil, 0, err
		}
		out[i], f = c, famTimestamp
	default:
		return nil, 0, noFunction(name, args)
	}
	return out, f, nil
}

func buildNow(args []sql.Expression) (*pgFunc, error) {
	// The engine's own DEFAULT NOW(6) passes a precision; values always
	// keep microseconds.
	if len(args) > 1 {
		return nil, noFunction("now", args)
	}
	return newFunc(args, tsType, func(ctx *sql.Context, _ []any) (any, error) { return statementTime(ctx), nil }), nil
}

func buildClock(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 0 {
		return nil, noFunction("clock_timestamp", args)
	}
	f := newFunc(args, tsType, func(*sql.Context, []any) (any, error) {
		return time.Now().UTC().Truncate(time.Microsecond), nil
	})
	f.volatile = true
	return f, nil
}

func buildCurrentDate(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 0 {
		return nil, noFunction("current_date", args)
	}
	return newFunc(args, dateType, func(ctx *sql.Context, _ []any) (any, error) {
		t := statementTime(ctx)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
	}), nil
}

func buildCurrentTime(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 0 {
		return nil, noFunction("current_time", args)
	}
	return newFunc(args, timeType, func(ctx *sql.Context, _ []any) (any, error) {
		return timeOfDay(statementTime(ctx)), nil
	}), nil
}

func buildCurrentRole(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 0 {
		return nil, noFunction("current_role", args)
	}
	return newFunc(args, textType, func(ctx *sql.Context, _ []any) (any, error) {
		s, err := sessionOf(ctx)
		if err != nil {
			return nil, err
		}
		return string(s.Role), nil
	}), nil
}

// truncUnits are date_trunc's units.
var truncUnits = map[string]bool{
	"microseconds": true, "milliseconds": true, "second": true, "minute": true, "hour": true,
	"day": true, "week": true, "month": true, "quarter": true, "year": true, "decade": true,
	"century": true, "millennium": true,
}

// unitName normalises a unit as PostgreSQL accepts it (any case, plural).
func unitName(s string) string {
	u := strings.ToLower(strings.TrimSpace(s))
	switch u {
	case "microsecond", "us", "usec", "usecs", "microsecon":
		return "microseconds"
	case "millisecond", "ms", "msec", "msecs":
		return "milliseconds"
	case "seconds", "sec", "secs", "s":
		return "second"
	case "minutes", "min", "mins", "m":
		return "minute"
	case "hours", "hr", "hrs", "h":
		return "hour"
	case "days", "d":
		return "day"
	case "weeks", "w":
		return "week"
	case "months", "mon", "mons":
		return "month"
	case "quarters", "qtr":
		return "quarter"
	case "years", "yr", "yrs", "y":
		return "year"
	case "decades", "dec":
		return "decade"
	case "centuries", "cent":
		return "century"
	case "millenniums", "millennia", "mil", "mils":
		return "millennium"
	}
	return u
}

func buildDateTrunc(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 2 {
		return nil, noFunction("date_trunc", args)
	}
	a, err := textArgs("date_trunc", args, 0)
	if err != nil {
		return nil, err
	}
	if a, _, err = timeArg("date_trunc", a, 1, false); err != nil {
		return nil, err
	}
	if u, ok := constString(a[0]); ok && !truncUnits[unitName(u)] {
		return nil, sqlError("unit %q not recognized for date_trunc", u)
	}
	return newFunc(a, tsType, func(_ *sql.Context, vals []any) (any, error) {
		t, _ := toTime(vals[1])
		u := unitName(str(vals[0]))
		if !truncUnits[u] {
			return nil, execError("unit %q not recognized for date_trunc", str(vals[0]))
		}
		return truncTime(t, u), nil
	}), nil
}

func truncTime(t time.Time, unit string) time.Time {
	y, mo, d := t.Date()
	switch unit {
	case "microseconds":
		return t.Truncate(time.Microsecond)
	case "milliseconds":
		return t.Truncate(time.Millisecond)
	case "second":
		return t.Truncate(time.Second)
	case "minute":
		return t.Truncate(time.Minute)
	case "hour":
		return t.Truncate(time.Hour)
	case "day":
		return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	case "week":
		wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
		return time.Date(y, mo, d-wd, 0, 0, 0, 0, time.UTC)
	case "month":
		return time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC)
	case "quarter":
		return time.Date(y, (mo-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	case "year":
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	case "decade":
		return time.Date(floorDiv(y, 10)*10, 1, 1, 0, 0, 0, 0, time.UTC)
	case "century":
		c := floorDiv(y-1, 100)*100 + 1
		return time.Date(c, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	m := floorDiv(y-1, 1000)*1000 + 1
	return time.Date(m, 1, 1, 0, 0, 0, 0, time.UTC)
}

// integralFields are the fields of date_part/EXTRACT whose values are
// whole numbers (INT); second, milliseconds, microseconds and epoch carry
// fractions (DOUBLE).
var integralFields = map[string]bool{
	"century": true, "day": true, "decade": true, "dow": true, "doy": true, "hour": true,
	"isodow": true, "isoyear": true, "millennium": true, "minute": true, "month": true,
	"quarter": true, "week": true, "year": true, "timezone": true, "timezone_hour": true,
	"timezone_minute": true, "julian": true,
}

func fieldName(s string) string {
	switch f := unitName(s); f {
	case "microseconds", "milliseconds", "second", "minute", "hour", "day", "week", "month",
		"quarter", "year", "decade", "century", "millennium":
		return f
	}
	return strings.ToLower(strings.TrimSpace(s))
}

func buildDatePart(args []sql.Expression) (*pgFunc, error) {
	// EXTRACT is date_part with pgsql.ExtractMarker as a third argument.
	extract := false
	if len(args) == 3 {
		if m, ok := constString(args[2]); ok && m == pgsql.ExtractMarker {
			extract, args = true, args[:2]
		}
	}
	if len(args) != 2 {
		return nil, noFunction("date_part", args)
	}
	a, err := textArgs("date_part", args, 0)
	if err != nil {
		return nil, err
	}
	var fam family
	if a, fam, err = timeArg("date_part", a, 1, true); err != nil {
		return nil, err
	}
	raw, ok := constString(a[0])
	if !ok {
		return nil, sqlError("the field of EXTRACT/date_part must be a constant")
	}
	field := fieldName(raw)
	if !integralFields[field] && field != "second" && field != "milliseconds" && field != "microseconds" && field != "epoch" {
		return nil, sqlError("unit %q not recognized for EXTRACT/date_part", raw)
	}
	if fam == famTime {
		switch field {
		case "hour", "minute", "second", "milliseconds", "microseconds", "epoch":
		default:
			return nil, sqlError("unit %q not supported for type TIME", raw)
		}
	}
	if fam == famDate && extract {
		// PostgreSQL's EXTRACT from a date has no time of day
		// (date_part reads the date as a timestamp at midnight: 0).
		switch field {
		case "hour", "minute", "second", "milliseconds", "microseconds", "timezone", "timezone_hour", "timezone_minute":
			return nil, sqlError("unit %q not supported for type DATE", raw)
		}
	}
	dt := doubleType
	if integralFields[field] {
		dt = intType
		if field == "julian" {
			// A date's Julian day is a whole number; a timestamp's carries
			// the fraction of its day (2024-01-01 12:00 is 2460311.5).
			dt = bigintType
			if fam != famDate {
				dt = doubleType
			}
		}
	}
	return newFunc(a, dt, func(_ *sql.Context, vals []any) (any, error) {
		if field == "julian" && dt.Name == dialect.TypeDouble {
			t, _ := toTime(vals[1])
			day, frac := julianDay(t)
			return float64(day) + frac, nil
		}
		var t time.Time
		if ts, ok := vals[1].(types.Timespan); ok {
			t = time.Unix(0, 0).UTC().Add(time.Duration(ts) * time.Microsecond)
			if field == "epoch" {
				return float64(ts) / 1e6, nil
			}
		} else {
			t, _ = toTime(vals[1])
		}
		return datePart(t, field)
	}), nil
}

func datePart(t time.Time, field string) (any, error) {
	y := t.Year()
	secs := float64(t.Second()) + float64(t.Nanosecond())/1e9
	switch field {
	case "year":
		return int32(y), nil
	case "month":
		return int32(t.Month()), nil
	case "day":
		return int32(t.Day()), nil
	case "hour":
		return int32(t.Hour()), nil
	case "minute":
		return int32(t.Minute()), nil
	case "second":
		return secs, nil
	case "milliseconds":
		return secs * 1000, nil
	case "microseconds":
		return float64(t.Second())*1e6 + float64(t.Nanosecond()/1000), nil
	case "dow":
		return int32(t.Weekday()), nil
	case "isodow":
		return int32((int(t.Weekday())+6)%7 + 1), nil
	case "doy":
		return int32(t.YearDay()), nil
	case "week":
		_, w := t.ISOWeek()
		return int32(w), nil
	case "isoyear":
		iy, _ := t.ISOWeek()
		return int32(iy), nil
	case "quarter":
		return int32((int(t.Month())-1)/3 + 1), nil
	case "decade":
		return int32(floorDiv(y, 10)), nil
	case "century":
		if y > 0 {
			return int32((y + 99) / 100), nil
		}
		return int32(-((99 - (y - 1)) / 100)), nil
	case "millennium":
		if y > 0 {
			return int32((y + 999) / 1000), nil
		}
		return int32(-((999 - (y - 1)) / 1000)), nil
	case "epoch":
		return float64(t.UnixMicro()) / 1e6, nil
	case "julian":
		day, _ := julianDay(t)
		return day, nil
	case "timezone", "timezone_hour", "timezone_minute":
		return int32(0), nil
	}
	return nil, execError("unit %q not recognized", field)
}

// julianDay is t's Julian day number and the fraction of its day gone
// (days are counted from midnight, as PostgreSQL counts them); the floor
// division keeps times before 1970 on their own day.
func julianDay(t time.Time) (int64, float64) {
	u := t.Unix()
	day := u / 86400
	if u%86400 < 0 {
		day--
	}
	secs := float64(u-day*86400) + float64(t.Nanosecond())/1e9
	return day + 2440588, secs / 86400
}

// interval is a PostgreSQL interval: months, days and microseconds, kept
// apart because a month and a day have no fixed length.
type interval struct {
	months, days, micros int64
}

var intervalUnits = map[string]interval{
	"microseconds": {micros: 1}, "milliseconds": {micros: 1000}, "second": {micros: 1_000_000},
	"minute": {micros: 60_000_000}, "hour": {micros: 3_600_000_000}, "day": {days: 1},
	"week": {days: 7}, "month": {months: 1}, "year": {months: 12}, "decade": {months: 120},
	"century": {months: 1200}, "millennium": {months: 12000},
}

// intervalFields are the bits of PostgreSQL's interval input fields: each
// may be given once, and a clock part sets hours, minutes and seconds, so
// '1:00 1:00' and '2 hours 1:00' are invalid input there.
var intervalFields = map[string]int{
	"microseconds": 1 << 0, "milliseconds": 1 << 1, "second": 1 << 2, "minute": 1 << 3,
	"hour": 1 << 4, "day": 1 << 5, "week": 1 << 6, "month": 1 << 7, "year": 1 << 8,
	"decade": 1 << 9, "century": 1 << 10, "millennium": 1 << 11,
}

const (
	allSecondFields = 1<<0 | 1<<1 | 1<<2
	clockFields     = allSecondFields | 1<<3 | 1<<4
)

// parseInterval reads PostgreSQL's interval input: quantities with units
// ('5 minutes', '1 day 2 hours', '-1 week', '1.5 hours'), a clock part
// ('01:30:00', '1:30.5' minutes and seconds), a number before it as days
// ('1 12:00:00'), 'ago' to negate, or ISO 8601's designators ('P1DT2H',
// parseISOInterval).
func parseInterval(s string) (interval, error) {
	bad := func() (interval, error) {
		return interval{}, execError("invalid input syntax for type interval: %q", dialect.Snippet(s))
	}
	outOfRange := func() (interval, error) {
		return interval{}, execError("interval field value out of range: %q", dialect.Snippet(s))
	}
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "P") {
		iv, ok, fits := parseISOInterval(t)
		switch {
		case !ok:
			return bad()
		case !fits:
			return outOfRange()
		}
		return iv, nil
	}
	if manyFields(s, maxIntervalFields) {
		return bad()
	}
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) == 0 {
		return bad()
	}
	var out interval
	neg, used := false, 0
	field := func(bits int) bool {
		ok := used&bits == 0
		used |= bits
		return ok
	}
	if fields[len(fields)-1] == "ago" {
		neg, fields = true, fields[:len(fields)-1]
	}
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Contains(f, ":") {
			us, ok, fits := parseClock(f)
			if !ok {
				return bad()
			}
			if !fits || !addMicros(&out.micros, us) {
				return outOfRange()
			}
			if !field(clockFields) {
				return bad()
			}
			continue
		}
		// A number, glued to its unit or followed by it.
		j := 0
		for j < len(f) && (f[j] == '-' || f[j] == '+' || f[j] == '.' || unicode.IsDigit(rune(f[j]))) {
			j++
		}
		numText, unit := f[:j], f[j:]
		switch {
		case unit != "":
		case i+1 >= len(fields):
			// A bare number is seconds.
			unit = "second"
		case strings.Contains(fields[i+1], ":"):
			// Before a clock, days (PostgreSQL: '1 12:00:00').
			unit = "day"
		default:
			i++
			unit = fields[i]
		}
		n, err := strconv.ParseFloat(numText, 64)
		if err != nil || math.IsInf(n, 0) {
			return bad()
		}
		name := unitName(unit)
		if _, ok := intervalUnits[name]; !ok {
			return bad()
		}
		if !out.add(n, name) {
			return outOfRange()
		}
		bits := intervalFields[name]
		if bits == intervalFields["second"] && n != math.Trunc(n) {
			bits = allSecondFields // PostgreSQL: a fraction of a second sets its parts too
		}
		if !field(bits) {
			return bad()
		}
	}
	if neg {
		out = interval{-out.months, -out.days, -out.micros}
	}
	return out, nil
}

// maxIntervalFields is more fields than valid interval text has: each of
// the 12 units once with its number, a clock, "ago". Text with more is
// refused before it is split, so a megabyte of "1 1 1 ..." is not made
// into half a million strings first.
const maxIntervalFields = 32

// manyFields reports whether s has more than n space-separated fields.
func manyFields(s string, n int) bool {
	count, in := 0, false
	for i := 0; i < len(s); i++ {
		space := s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r'
		if !space && !in {
			if count++; count > n {
				return true
			}
		}
		in = !space
	}
	return false
}

// add adds n of the unit name (a key of intervalUnits) to iv; false when
// a part leaves its range. Fractions spill into the next smaller unit, as
// in PostgreSQL: 1.5 months = 1 month 15 days, 1.5 days = 1 day 12
// hours; a fraction of a year (decade, century, millennium) is whole
// months, rounded half to even (1.5 years = 1 year 6 months).
func (iv *interval) add(n float64, name string) bool {
	u := intervalUnits[name]
	whole, frac := math.Modf(n)
	months, ok1 := intervalPart(whole, u.months, math.MaxInt32)
	days, ok2 := intervalPart(whole, u.days, math.MaxInt32)
	micros, ok3 := intervalPart(n, u.micros, maxIntervalMicros)
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	iv.months += months
	iv.days += days
	if !addMicros(&iv.micros, micros) {
		return false
	}
	if frac != 0 && u.months >= 12 {
		iv.months += int64(math.RoundToEven(frac * float64(u.months)))
	} else if frac != 0 {
		extraDays := frac * float64(u.months) * 30
		ed, edFrac := math.Modf(extraDays + frac*float64(u.days))
		iv.days += int64(ed)
		iv.micros += int64(math.Round(edFrac * 86_400_000_000))
	}
	return math.Abs(float64(iv.months)) <= math.MaxInt32 && math.Abs(float64(iv.days)) <= math.MaxInt32 &&
		math.Abs(float64(iv.micros)) <= maxIntervalMicros
}

// isoUnits are ISO 8601's designators before and after the T.
var isoUnits = [2]map[byte]string{
	{'Y': "year", 'M': "month", 'W': "week", 'D': "day"},
	{'H': "hour", 'M': "minute", 'S': "second"},
}

// parseISOInterval reads ISO 8601's format with designators, as
// PostgreSQL does: P, then numbers ([-]digits[.digits][e±digits]) each
// followed by Y, M, W or D, then optionally T and numbers followed by H, M
// or S; case-sensitive, no spaces, a designator may repeat (its numbers
// add up). PostgreSQL's alternative format ('P0001-02-03T04:05:06') is
// not read. ok is false for bad syntax, fits for a part out of range.
func parseISOInterval(s string) (iv interval, ok, fits bool) {
	if len(s) < 2 {
		return iv, false, true
	}
	timePart := 0
	for i := 1; i < len(s); {
		if s[i] == 'T' && timePart == 0 {
			timePart, i = 1, i+1
			continue
		}
		j := i
		if j < len(s) && s[j] == '-' {
			j++
		}
		digits := 0
		for ; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
			digits++
		}
		if j < len(s) && s[j] == '.' {
			for j++; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
				digits++
			}
		}
		if digits == 0 {
			return iv, false, true
		}
		if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
			k := j + 1
			if k < len(s) && (s[k] == '-' || s[k] == '+') {
				k++
			}
			e := k
			for ; k < len(s) && s[k] >= '0' && s[k] <= '9'; k++ {
			}
			if k > e {
				j = k
			}
		}
		if j >= len(s) {
			return iv, false, true
		}
		name, known := isoUnits[timePart][s[j]]
		if !known {
			return iv, false, true
		}
		n, err := strconv.ParseFloat(s[i:j], 64)
		if errors.Is(err, strconv.ErrRange) && math.IsInf(n, 0) {
			return iv, false, true // PostgreSQL: strtod's overflow is bad syntax
		}
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return iv, false, true
		}
		if !iv.add(n, name) {
			return iv, true, false
		}
		i = j + 1
	}
	return iv, true, true
}

// maxIntervalMicros bounds an interval's time part (PostgreSQL's is an
// int64 of microseconds; this leaves room to add one more part safely).
const maxIntervalMicros = 9e18

// parseClock reads [-]HH:MM[:SS[.ffffff]] as microseconds; fits is false
// when the clock is past maxIntervalMicros. Summed unchecked, hours past
// about 2.56 billion wrapped: '5124095577:00' was 58 minutes, and a
// DELETE ... WHERE at < now() - INTERVAL '5124095577:00' removed every
// row older than an hour instead of failing.
func parseClock(s string) (us int64, ok, fits bool) {
	neg := strings.HasPrefix(s, "-")
	parts := strings.Split(strings.TrimLeft(s, "+-"), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false, false
	}
	if len(parts) == 2 && strings.Contains(parts[1], ".") {
		// PostgreSQL reads m:s.f when the last part has a fraction
		// ('1:30.5' is a minute and a half second past 30).
		parts = []string{"0", parts[0], parts[1]}
	}
	// Only the hours carry the sign: '1:-30' is invalid, not 30 minutes.
	for _, p := range parts[1:] {
		if p == "" || strings.TrimLeft(p, "0123456789.") != "" {
			return 0, false, false
		}
	}
	h, err1 := strconv.ParseInt(parts[0], 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil && !errors.Is(err1, strconv.ErrRange) || err2 != nil && !errors.Is(err2, strconv.ErrRange) {
		return 0, false, false
	}
	var sec float64
	if len(parts) == 3 {
		var err error
		if sec, err = strconv.ParseFloat(parts[2], 64); err != nil || math.IsInf(sec, 0) || math.IsNaN(sec) {
			return 0, false, false
		}
	}
	// PostgreSQL's clock has minutes below 60 and seconds up to 60.
	if m > 59 || sec >= 61 {
		return 0, true, false
	}
	total := float64(h)*3_600_000_000 + float64(m)*60_000_000 + math.Round(sec*1e6)
	if err1 != nil || err2 != nil || math.Abs(total) > maxIntervalMicros {
		return 0, true, false
	}
	us = int64(h)*3_600_000_000 + int64(m)*60_000_000 + int64(math.Round(sec*1e6))
	if neg {
		us = -us
	}
	return us, true, true
}

// addMicros adds us to *acc unless the sum would pass
// maxIntervalMicros: two parts each in range wrapped past int64
// ('5000000000000000000 microseconds' twice was about -266 years).
func addMicros(acc *int64, us int64) bool {
	if math.Abs(float64(*acc)+float64(us)) > maxIntervalMicros {
		return false
	}
	*acc += us
	return true
}

// addInterval adds months (clamped to the month's last day, as in
// PostgreSQL: Jan 31 + 1 month is Feb 28/29), then days, then time; a
// result outside the timestamp range fails. The parts are bounded by
// parseInterval, and time is added as whole days and the rest, so that no
// step overflows.
func addInterval(t time.Time, iv interval, sign int64) (time.Time, error) {
	months, days, micros := iv.months*sign, iv.days*sign, iv.micros*sign
	if months != 0 {
		y, m, d := t.Date()
		total := int64(y)*12 + int64(m-1) + months
		ny, nm := int(floorDiv64(total, 12)), time.Month(total-floorDiv64(total, 12)*12+1)
		if ny < minTime.Year() || ny > maxTimestamp.Year() {
			return time.Time{}, errTimestampRange()
		}
		last := time.Date(ny, nm+1, 0, 0, 0, 0, 0, time.UTC).Day()
		if d > last {
			d = last
		}
		h, mi, s := t.Clock()
		t = time.Date(ny, nm, d, h, mi, s, t.Nanosecond(), time.UTC)
	}
	const day = 86_400_000_000
	days += micros / day
	if days > maxDaySpan || days < -maxDaySpan {
		return time.Time{}, errTimestampRange()
	}
	t = t.AddDate(0, 0, int(days)).Add(time.Duration(micros%day) * time.Microsecond)
	return checkTimestamp(t)
}

func floorDiv64(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// constInterval parses an interval given as a constant once, when the
// statement is planned (bad text fails it before a row is read); nil when
// the interval is computed.
func constInterval(e sql.Expression) (*interval, error) {
	s, ok := constString(e)
	if !ok {
		return nil, nil
	}
	iv, err := parseInterval(s)
	if err != nil {
		return nil, err
	}
	return &iv, nil
}

// intervalValue is the constant interval, or else v parsed.
func intervalValue(fixed *interval, v any) (interval, error) {
	if fixed != nil {
		return *fixed, nil
	}
	return parseInterval(str(v))
}

// buildAddInterval builds kdb_add_interval(x, 'interval', sign): x plus
// (sign 1) or minus (-1) an interval. A DATE becomes a TIMESTAMP, a TIME
// wraps around midnight.
func buildAddInterval(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 3 {
		return nil, sqlError("interval arithmetic takes a value, an interval and a sign")
	}
	a, fam, err := timeArg("+", args, 0, true)
	if err != nil {
		return nil, sqlError("operator does not exist: %s + INTERVAL", typeName(args[0]))
	}
	if a, err = textArgs("interval", a, 1); err != nil {
		return nil, sqlError("an INTERVAL is written as text: INTERVAL '5 minutes'")
	}
	fixed, err := constInterval(a[1])
	if err != nil {
		return nil, err
	}
	dt := tsType
	if fam == famTime {
		dt = timeType
	}
	return newFunc(a, dt, func(_ *sql.Context, vals []any) (any, error) {
		iv, err := intervalValue(fixed, vals[1])
		if err != nil {
			return nil, err
		}
		sign := num(vals[2])
		if ts, ok := vals[0].(types.Timespan); ok {
			day := int64(86_400_000_000)
			us := (int64(ts) + sign*iv.micros) % day
			if us < 0 {
				us += day
			}
			return types.Timespan(us), nil
		}
		t, _ := toTime(vals[0])
		return addInterval(t, iv, sign)
	}), nil
}

// buildIntervalMul builds kdb_interval_mul('interval', factor, mode): an
// interval times (mode mul, or rmul when the factor was written first) or
// divided by (div) a number, as PostgreSQL's float8 operators compute it.
// The value is the interval's text in PostgreSQL's output form, which
// parseInterval reads back exactly, since an interval is passed as text.
func buildIntervalMul(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 3 {
		return nil, sqlError("interval arithmetic takes an interval, a number and an operator")
	}
	mode, _ := constString(args[2])
	a, err := textArgs("interval", args, 0)
	if err != nil {
		return nil, sqlError("an INTERVAL is written as text: INTERVAL '5 minutes'")
	}
	if ok, err := float8Arg(a, 1); err != nil {
		return nil, err
	} else if !ok {
		// PostgreSQL's words: "operator does not exist: boolean * interval".
		other := strings.ToLower(typeName(a[1]))
		switch mode {
		case "rmul":
			return nil, sqlError("operator does not exist: %s * interval", other)
		case "div":
			return nil, sqlError("operator does not exist: interval / %s", other)
		}
		return nil, sqlError("operator does not exist: interval * %s", other)
	}
	fixed, err := constInterval(a[0])
	if err != nil {
		return nil, err
	}
	return newFunc(a, textType, func(_ *sql.Context, vals []any) (any, error) {
		iv, err := intervalValue(fixed, vals[0])
		if err != nil {
			return nil, err
		}
		f, _ := toFloat64(vals[1])
		var out interval
		if mode == "div" {
			out, err = intervalDiv(iv, f)
		} else {
			out, err = intervalMul(iv, f)
		}
		if err != nil {
			return nil, err
		}
		return formatInterval(out), nil
	}), nil
}

// buildMakeInterval builds kdb_make_interval(years, months, weeks, days,
// hours, mins, secs), PostgreSQL's make_interval, as interval text.
func buildMakeInterval(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 7 {
		return nil, noFunction("make_interval", args)
	}
	a, err := intArgs("make_interval", args, 0, 1, 2, 3, 4, 5)
	if err != nil {
		return nil, err
	}
	if ok, err := float8Arg(a, 6); err != nil {
		return nil, err
	} else if !ok {
		return nil, noFunction("make_interval", args)
	}
	return newFunc(a, textType, func(_ *sql.Context, vals []any) (any, error) {
		var n [6]float64
		for i := range n {
			n[i], _ = toFloat64(vals[i])
		}
		secs, _ := toFloat64(vals[6])
		months := n[0]*12 + n[1]
		days := n[2]*7 + n[3]
		us := n[4]*3_600_000_000 + n[5]*60_000_000 + math.RoundToEven(secs*1e6)
		if math.IsNaN(us) || math.Abs(months) > math.MaxInt32 || math.Abs(days) > math.MaxInt32 || math.Abs(us) > maxIntervalMicros {
			return nil, errIntervalRange()
		}
		return formatInterval(interval{months: int64(months), days: int64(days), micros: int64(us)}), nil
	}), nil
}

// float8Arg takes a[i] as a float8 parameter takes it: a number as it
// is, an untyped literal read as float8; false for any other type.
func float8Arg(a []sql.Expression, i int) (bool, error) {
	switch familyOf(a[i]) {
	case famInt, famFloat, famNumeric, famNull:
		return true, nil
	case famUnknown:
		c, err := coerce(a[i], doubleType)
		if err != nil {
			return false, err
		}
		a[i] = c
		return true, nil
	}
	return false, nil
}

func errIntervalRange() error { return execError("interval out of range") }

// intervalMul is PostgreSQL's interval * float8.
func intervalMul(iv interval, f float64) (interval, error) {
	return intervalScaled(float64(iv.months)*f, float64(iv.days)*f, float64(iv.micros)*f)
}

// intervalDiv is PostgreSQL's interval / float8. Each part is divided,
// not multiplied by 1/f, as PostgreSQL does (the two round differently).
func intervalDiv(iv interval, f float64) (interval, error) {
	if f == 0 {
		return interval{}, errDivisionByZero
	}
	return intervalScaled(float64(iv.months)/f, float64(iv.days)/f, float64(iv.micros)/f)
}

// intervalScaled is the rest of PostgreSQL 15's interval_mul and
// interval_div once each part is scaled (m months, d days, us
// microseconds): whole months and days are kept, and their fractions
// cascade down, a month as 30 days and a day as 24 hours, never up
// (1.5 * '1 month 1 day' is '1 mon 16 days 12:00:00'). A part past its
// range is "interval out of range", as in PostgreSQL.
func intervalScaled(m, d, us float64) (interval, error) {
	const limit = math.MaxInt32
	if math.IsNaN(m) || math.IsNaN(d) || math.Abs(m) > limit || math.Abs(d) > limit {
		return interval{}, errIntervalRange()
	}
	months, days := int64(m), int64(d)
	monthDays := tsRound((m - float64(months)) * 30)
	secs := tsRound((d - float64(days) + monthDays - math.Trunc(monthDays)) * 86400)
	if math.Abs(secs) >= 86400 {
		whole := math.Trunc(secs / 86400)
		days += int64(whole)
		secs -= whole * 86400
	}
	days += int64(monthDays)
	t := math.RoundToEven(us + secs*1e6)
	if math.IsNaN(t) || math.Abs(t) > maxIntervalMicros || days > limit || days < -limit {
		return interval{}, errIntervalRange()
	}
	return interval{months: months, days: days, micros: int64(t)}, nil
}

// tsRound is PostgreSQL's TSROUND: x rounded to 6 decimals, so that a
// cascaded fraction meant to be whole is whole.
func tsRound(x float64) float64 { return math.RoundToEven(x*1e6) / 1e6 }

// formatInterval is an interval's text in PostgreSQL's output style
// (IntervalStyle postgres): '1 year 2 mons -3 days +04:05:06.5'.
func formatInterval(iv interval) string {
	var b strings.Builder
	zero, before := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !zero {
			b.WriteByte(' ')
		}
		if before && v > 0 {
			b.WriteByte('+')
		}
		b.WriteString(strconv.FormatInt(v, 10))
		b.WriteString(" " + unit)
		if v != 1 {
			b.WriteByte('s')
		}
		zero, before = false, v < 0
	}
	part(iv.months/12, "year")
	part(iv.months%12, "mon")
	part(iv.days, "day")
	if zero || iv.micros != 0 {
		if !zero {
			b.WriteByte(' ')
		}
		us := iv.micros
		if us < 0 {
			b.WriteByte('-')
			us = -us
		} else if before {
			b.WriteByte('+')
		}
		fmt.Fprintf(&b, "%02d:%02d:%02d", us/3_600_000_000, us/60_000_000%60, us/1_000_000%60)
		if frac := us % 1_000_000; frac != 0 {
			b.WriteString(strings.TrimRight(fmt.Sprintf(".%06d", frac), "0"))
		}
	}
	return b.String()
}

// buildToTimestamp builds to_timestamp(number) (seconds since the epoch),
// to_timestamp(text) (an ISO timestamp, as DataFusion reads it) and
// to_timestamp(text, format) (PostgreSQL's format patterns).
func buildToTimestamp(args []sql.Expression) (*pgFunc, error) {
	if len(args) == 2 {
		a, err := textArgs("to_timestamp", args, 0, 1)
		if err != nil {
			return nil, err
		}
		return newFunc(a, tsType, func(_ *sql.Context, vals []any) (any, error) {
			return parseWithFormat(str(vals[0]), str(vals[1]))
		}), nil
	}
	if len(args) != 1 {
		return nil, noFunction("to_timestamp", args)
	}
	switch familyOf(args[0]) {
	case famInt, famFloat, famNumeric, famNull:
		return newFunc(args, tsType, func(_ *sql.Context, vals []any) (any, error) {
			f, _ := toFloat64(vals[0])
			return fromEpoch(f * 1e6)
		}), nil
	}
	a, err := textArgs("to_timestamp", args, 0)
	if err != nil {
		return nil, err
	}
	return newFunc(a, tsType, func(ctx *sql.Context, vals []any) (any, error) {
		return parseText(ctx, str(vals[0]), dialect.DataType{Name: dialect.TypeDateTime})
	}), nil
}

func fromEpoch(us float64) (any, error) {
	if math.IsNaN(us) || math.Abs(us) > 9e18 {
		return nil, errTimestampRange()
	}
	return checkTimestamp(time.UnixMicro(int64(math.Round(us))).UTC())
}

// buildToTimestampUnit builds DataFusion's to_timestamp_seconds/millis/
// micros: an integer count of the unit since the epoch, or ISO text.
func buildToTimestampUnit(name string, unit float64) fnBuilder {
	return func(args []sql.Expression) (*pgFunc, error) {
		if len(args) != 1 {
			return nil, noFunction(name, args)
		}
		switch familyOf(args[0]) {
		case famInt, famFloat, famNumeric, famNull:
			return newFunc(args, tsType, func(_ *sql.Context, vals []any) (any, error) {
				f, _ := toFloat64(vals[0])
				return fromEpoch(f * unit)
			}), nil
		}
		a, err := textArgs(name, args, 0)
		if err != nil {
			return nil, err
		}
		return newFunc(a, tsType, func(ctx *sql.Context, vals []any) (any, error) {
			return parseText(ctx, str(vals[0]), dialect.DataType{Name: dialect.TypeDateTime})
		}), nil
	}
}

func buildToDate(args []sql.Expression) (*pgFunc, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, noFunction("to_date", args)
	}
	a, err := textArgs("to_date", args, indexes(0, len(args))...)
	if err != nil {
		return nil, err
	}
	return newFunc(a, dateType, func(ctx *sql.Context, vals []any) (any, error) {
		var t time.Time
		if len(vals) == 2 {
			v, err := parseWithFormat(str(vals[0]), str(vals[1]))
			if err != nil {
				return nil, err
			}
			t = v.(time.Time)
		} else {
			v, err := parseText(ctx, str(vals[0]), dateType)
			if err != nil {
				return nil, err
			}
			return v, nil
		}
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
	}), nil
}

func buildMakeDate(args []sql.Expression) (*pgFunc, error) {
	a, err := intArgs("make_date", args, 0, 1, 2)
	if err != nil || len(args) != 3 {
		return nil, noFunction("make_date", args)
	}
	return newFunc(a, dateType, func(_ *sql.Context, vals []any) (any, error) {
		y, m, d := num(vals[0]), num(vals[1]), num(vals[2])
		if y == 0 || m < 1 || m > 12 || d < 1 || d > 31 {
			return nil, execError("date field value out of range: %d-%02d-%02d", y, m, d)
		}
		if y < 0 {
			y++ // year -1 is 1 BC, year 0 astronomically
		}
		if y < int64(minTime.Year()) || y > int64(maxDate.Year()) {
			return nil, errDateRange()
		}
		t := time.Date(int(y), time.Month(m), int(d), 0, 0, 0, 0, time.UTC)
		if t.Month() != time.Month(m) {
			return nil, execError("date field value out of range: %d-%02d-%02d", y, m, d)
		}
		return checkDate(t)
	}), nil
}

func buildToChar(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 2 {
		return nil, noFunction("to_char", args)
	}
	a, fam, err := timeArg("to_char", args, 0, true)
	if err != nil {
		return nil, err
	}
	if a, err = textArgs("to_char", a, 1); err != nil {
		return nil, err
	}
	return newFunc(a, textType, func(ctx *sql.Context, vals []any) (any, error) {
		var t time.Time
		if ts, ok := vals[0].(types.Timespan); ok {
			t = time.Unix(0, 0).UTC().Add(time.Duration(ts) * time.Microsecond)
		} else {
			t, _ = toTime(vals[0])
		}
		_ = fam
		out := formatWithPattern(t, str(vals[1]))
		return out, checkResultSize(ctx, int64(len(out)))
	}), nil
}

func (fs functionSet) registerTimeFunctions() {
	fs.register("kdb_now", buildNow)
	fs.register("kdb_clock_timestamp", buildClock)
	fs.register("kdb_current_date", buildCurrentDate)
	fs.register("kdb_current_time", buildCurrentTime)
	fs.register("kdb_current_role", buildCurrentRole)
	fs.register("kdb_date_trunc", buildDateTrunc)
	fs.register("kdb_date_part", buildDatePart)
	fs.register("kdb_add_interval", buildAddInterval)
	fs.register("kdb_interval_mul", buildIntervalMul)
	fs.register("kdb_make_interval", buildMakeInterval)
	fs.register(fnToTimestamp, buildToTimestamp)
	fs.register("kdb_to_timestamp_seconds", buildToTimestampUnit("to_timestamp_seconds", 1e6))
	fs.register("kdb_to_timestamp_millis", buildToTimestampUnit("to_timestamp_millis", 1e3))
	fs.register("kdb_to_timestamp_micros", buildToTimestampUnit("to_timestamp_micros", 1))
	fs.register("kdb_to_date", buildToDate)
	fs.register("kdb_to_char", buildToChar)
	fs.register("kdb_make_date", buildMakeDate)
}
