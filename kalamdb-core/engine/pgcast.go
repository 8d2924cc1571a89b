package engine

// This file is longer than most on purpose: every type's PostgreSQL input
// and output rules form one matrix, and a cast reads both of its sides
// here.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// One cast implementation serves CAST, ::, TRY_CAST, the typing of
// string literals and parameters by their context, and the text form of
// values (||, concat, to_char): PostgreSQL's input and output rules for
// every type of KalamDB's type table.

// buildCast builds kdb_cast(x, 'TYPE') and kdb_try_cast(x, 'TYPE').
func buildCast(try bool) fnBuilder {
	return func(args []sql.Expression) (*pgFunc, error) {
		if len(args) != 2 {
			return nil, sqlError("CAST takes a value and a type")
		}
		name, ok := constString(args[1])
		if !ok {
			return nil, sqlError("the type of a CAST must be constant")
		}
		dt := numericDT
		if name != numericDT.SQL() {
			// The unconstrained decimal, which only a conversion the
			// engine makes has, is written DECIMAL(0,0) and is not a type
			// a statement can name.
			var err error
			if dt, err = dialect.ParseDataType(name); err != nil {
				return nil, sqlError("%v", err)
			}
		}
		return castFunc(args, dt, try)
	}
}

func castFunc(args []sql.Expression, dt dialect.DataType, try bool) (*pgFunc, error) {
	from := familyOf(args[0])
	if err := castable(from, dt); err != nil {
		return nil, err
	}
	if from == famUnknown && !try {
		// PostgreSQL converts a string literal to its type as it reads
		// the statement ('x'::int fails in a CASE branch never taken,
		// over no row): so is it checked here, when the statement is
		// planned. Its value is still computed per row ('now' is the
		// statement's time, and a plan may be kept).
		if _, err := castValue(nil, literalValue(args[0]), from, dt, false); err != nil {
			return nil, err
		}
	}
	f := newFunc(args, dt, func(ctx *sql.Context, vals []any) (any, error) {
		v, err := castValue(ctx, vals[0], from, dt, try)
		if err != nil && try {
			return nil, nil
		}
		return v, err
	})
	return f, nil
}

// newCast is a cast of e to dt, evaluated per row.
func newCast(e sql.Expression, dt dialect.DataType, try bool) (*pgFunc, error) {
	f, err := castFunc([]sql.Expression{e, expression.NewLiteral(dt.SQL(), types.LongText)}, dt, try)
	if err != nil {
		return nil, err
	}
	f.name = pgsql.FnCast
	f.build = buildCast(try)
	return f, nil
}

// realAssignment is the cast of a number written into a REAL column,
// evaluated from the row without the argument list a cast makes per row.
func realAssignment(x sql.Expression) (*pgFunc, error) {
	return assignmentCast(x, dialect.DataType{Name: dialect.TypeFloat})
}

// assignmentCast is the cast of a number written into a column of type
// dt (an integer type, REAL, DECIMAL(p,s)), evaluated from the row
// without the argument list a cast makes per row.
func assignmentCast(x sql.Expression, dt dialect.DataType) (*pgFunc, error) {
	f, err := newCast(x, dt, false)
	if err != nil {
		return nil, err
	}
	from := familyOf(x)
	f.lazy = func(f *pgFunc, ctx *sql.Context, row sql.Row) (any, error) {
		v, err := f.args[0].Eval(ctx, row)
		if err != nil || v == nil {
			return nil, err
		}
		r, err := castValue(ctx, v, from, dt, false)
		if err != nil {
			// A value the column cannot hold is bad input, as for the
			// other numeric columns (rangeChecked), not a failed cast.
			var ae *apierror.Error
			if errors.As(err, &ae) && ae.Code == apierror.SQLExecutionError &&
				(strings.Contains(ae.Message, "out of range") || strings.Contains(ae.Message, "numeric field overflow")) {
				return nil, apierror.New(apierror.InvalidInput, "%s", ae.Message)
			}
			return nil, err
		}
		return r, nil
	}
	return f, nil
}

// castable reports whether PostgreSQL has a cast from a family to a type.
func castable(from family, dt dialect.DataType) error {
	to := familyOfType(engineType(dt))
	ok := false
	switch from {
	case famUnknown, famNull, famText:
		ok = true
	case famBool:
		ok = to == famBool || to == famInt || to == famText
	case famInt:
		ok = to == famBool || to.numeric() || to == famText
	case famFloat, famNumeric:
		ok = to.numeric() || to == famText
	case famBytes:
		ok = to == famBytes || to == famText
	case famJSON:
		// jsonb's casts to numbers and boolean (PostgreSQL 11 on).
		ok = to == famJSON || to == famText || to == famBool || to.numeric()
	case famTimestamp:
		ok = to == famTimestamp || to == famDate || to == famTime || to == famText
	case famDate:
		ok = to == famDate || to == famTimestamp || to == famText
	case famTime:
		ok = to == famTime || to == famText
	case famUUID:
		ok = to == famUUID || to == famText
	}
	if !ok {
		return sqlError("cannot cast type %s to %s", from, dt.SQL())
	}
	return nil
}

// castValue converts a value of family from to type dt by PostgreSQL's
// rules. ctx may be nil (planning time). try only changes messages.
func castValue(ctx *sql.Context, v any, from family, dt dialect.DataType, try bool) (any, error) {
	if v == nil {
		return nil, nil
	}
	if from == famUnknown || from == famText || from == famOther {
		if s, ok := toText(v); ok {
			return parseText(ctx, s, dt)
		}
	}
	if from == famJSON && dt.Name != dialect.TypeJSON && dt.Name != dialect.TypeText {
		return castJSONScalar(v, dt)
	}
	switch dt.Name {
	case dialect.TypeBoolean:
		switch from {
		case famBool:
			b, _ := toBool(v)
			return boolValue(b), nil
		case famInt:
			n, _ := toInt64(v)
			return boolValue(n != 0), nil
		}
	case dialect.TypeSmallInt, dialect.TypeInt, dialect.TypeBigInt:
		return castToInt(v, from, dt.Name)
	case dialect.TypeFloat, dialect.TypeDouble:
		if d, isDecimal := v.(decimal.Decimal); isDecimal {
			// As PostgreSQL converts a numeric to a real or a double
			// precision: through its text, rounded once, out of range
			// past the type's (1e400 is no infinity).
			if dt.Name == dialect.TypeFloat {
				f, err := parseFloat(d.String(), 32)
				if err != nil {
					return nil, err
				}
				return float32(f), nil
			}
			return parseFloat(d.String(), 64)
		}
		f, ok := toFloat64(v)
		if !ok {
			break
		}
		if dt.Name == dialect.TypeFloat {
			return toFloat32(f)
		}
		return f, nil
	case dialect.TypeDecimal:
		if f, isFloat := toFloat64(v); isFloat && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return nil, execError("cannot convert %s to DECIMAL", formatFloat(f, 64))
		}
		d, ok := toDecimal(v)
		if !ok {
			break
		}
		return fitDecimal(d, dt)
	case dialect.TypeText:
		s, err := textOf(v, from)
		if err != nil {
			return nil, err
		}
		if dt.MaxLength > 0 && utf8.RuneCountInString(s) > dt.MaxLength {
			// An explicit cast to VARCHAR(n) truncates, as in PostgreSQL.
			s = truncateRunes(s, dt.MaxLength)
		}
		return s, nil
	case dialect.TypeBytes:
		if b, ok := v.([]byte); ok {
			return b, nil
		}
	case dialect.TypeJSON:
		if from == famJSON {
			return v, nil
		}
	case dialect.TypeTimestamp, dialect.TypeDateTime:
		if t, ok := toTime(v); ok {
			return t, nil
		}
	case dialect.TypeDate:
		if t, ok := toTime(v); ok {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	case dialect.TypeTime:
		if ts, ok := v.(types.Timespan); ok {
			return ts, nil
		}
		if t, ok := toTime(v); ok {
			return timeOfDay(t), nil
		}
	case dialect.TypeUUID:
		if s, ok := toText(v); ok {
			return parseText(ctx, s, dt)
		}
	}
	return nil, execError("cannot cast value of type %s to %s", from, dt.SQL())
}

// castJSONScalar is jsonb's cast to a number type or boolean: of a JSON
// number (the number's decimal form, so 2.5::int is 3 as numeric's is)
// or boolean, else PostgreSQL's error naming the value's kind.
func castJSONScalar(v any, dt dialect.DataType) (any, error) {
	val, err := jsonValue(v)
	if err != nil {
		return nil, err
	}
	val, kind, err := jsonbKind(val)
	if err != nil {
		return nil, err
	}
	switch {
	case dt.Name == dialect.TypeBoolean && kind == jsonbBool:
		return boolValue(val.(bool)), nil
	case dt.Name != dialect.TypeBoolean && kind == jsonbNumber:
		f := val.(float64) + 0 // jsonb's numeric has no -0
		switch dt.Name {
		case dialect.TypeDouble:
			return f, nil
		case dialect.TypeFloat:
			return toFloat32(f)
		}
		d := decimal.NewFromFloat(f)
		if dt.Name == dialect.TypeDecimal {
			return fitDecimal(d, dt)
		}
		return castToInt(d, famNumeric, dt.Name)
	}
	kinds := map[int]string{jsonbNull: "null", jsonbString: "string", jsonbNumber: "numeric",
		jsonbBool: "boolean", jsonbArray: "array", jsonbObject: "object"}
	return nil, execError("cannot cast jsonb %s to type %s", kinds[kind], pgTypeName(dt))
}

// pgTypeName is PostgreSQL's name of a number type or boolean, as its
// cast, input and range errors word it.
func pgTypeName(dt dialect.DataType) string {
	switch dt.Name {
	case dialect.TypeBoolean, dialect.TypeSmallInt, dialect.TypeInt, dialect.TypeBigInt,
		dialect.TypeFloat, dialect.TypeDouble, dialect.TypeDecimal:
		return schema.PostgresType(dt).DataType
	}
	return strings.ToLower(dt.SQL())
}

// toFloat32 rounds a double to a REAL as PostgreSQL's float8-to-real
// cast does: to the nearest REAL, so a double just above REAL's largest
// value that rounds to it is that value; one that rounds to infinity
// overflows, and a non-zero one that rounds to zero underflows.
func toFloat32(f float64) (any, error) {
	r := float32(f)
	switch {
	case math.IsInf(float64(r), 0) && !math.IsInf(f, 0):
		return nil, execError("value out of range: overflow")
	case r == 0 && f != 0:
		return nil, execError("value out of range: underflow")
	}
	return r, nil
}

func timeOfDay(t time.Time) types.Timespan {
	t = t.UTC()
	us := int64(t.Hour())*3_600_000_000 + int64(t.Minute())*60_000_000 + int64(t.Second())*1_000_000 + int64(t.Nanosecond()/1000)
	return types.Timespan(us)
}

func truncateRunes(s string, n int) string {
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}

// intRange is the range of each integer type.
func intRange(n dialect.TypeName) (int64, int64) {
	switch n {
	case dialect.TypeSmallInt:
		return math.MinInt16, math.MaxInt16
	case dialect.TypeInt:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

func outOfRange(n dialect.TypeName) error {
	return execError("%s out of range", pgTypeName(dialect.DataType{Name: n}))
}

// intValue returns n as the Go type of integer type name.
func intValue(n int64, name dialect.TypeName) (any, error) {
	lo, hi := intRange(name)
	if n < lo || n > hi {
		return nil, outOfRange(name)
	}
	switch name {
	case dialect.TypeSmallInt:
		return int16(n), nil
	case dialect.TypeInt:
		return int32(n), nil
	}
	return n, nil
}

// castToInt converts a number to an integer type: floats round half to
// even (PostgreSQL's rint), decimals round half away from zero.
func castToInt(v any, from family, name dialect.TypeName) (any, error) {
	switch from {
	case famInt, famBool:
		n, ok := toInt64(v)
		if !ok {
			if u, isU := v.(uint64); isU && u > math.MaxInt64 {
				return nil, outOfRange(name)
			}
			break
		}
		return intValue(n, name)
	case famFloat:
		f, _ := toFloat64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, outOfRange(name)
		}
		r := math.RoundToEven(f)
		if r < -9.223372036854775808e18 || r >= 9.223372036854775808e18 {
			return nil, outOfRange(name)
		}
		return intValue(int64(r), name)
	case famNumeric:
		d, _ := toDecimal(v)
		r := d.Round(0)
		if !r.IsInteger() || r.GreaterThan(decimal.NewFromInt(math.MaxInt64)) || r.LessThan(decimal.NewFromInt(math.MinInt64)) {
			return nil, outOfRange(name)
		}
		return intValue(r.IntPart(), name)
	}
	return nil, execError("cannot cast value of type %s to %s", from, name)
}

// fitDecimal rounds d to the scale of DECIMAL(p,s) and checks that it fits
// its precision.
func fitDecimal(d decimal.Decimal, dt dialect.DataType) (any, error) {
	if dt.Precision == 0 {
		return d, nil // unconstrained
	}
	if !d.IsZero() && coefficientDigits(d.Coefficient())+int64(d.Exponent()) > int64(dt.Precision-dt.Scale)+1 {
		return nil, decimalOverflow(dt) // far too large: no need to round it
	}
	r := d.Round(int32(dt.Scale))
	intDigits := len(r.Truncate(0).Abs().String())
	if r.Truncate(0).IsZero() {
		intDigits = 0
	}
	if intDigits > dt.Precision-dt.Scale {
		return nil, decimalOverflow(dt)
	}
	return r, nil
}

// parseText reads text as a value of type dt (PostgreSQL's input rules).
func parseText(ctx *sql.Context, s string, dt dialect.DataType) (any, error) {
	bad := func() error {
		return execError("invalid input syntax for type %s: %q", inputTypeName(dt), dialect.Snippet(s))
	}
	t := strings.TrimSpace(s)
	switch dt.Name {
	case dialect.TypeBoolean:
		b, ok := dialect.ParseBool(t)
		if !ok {
			return nil, bad()
		}
		return boolValue(b), nil
	case dialect.TypeSmallInt, dialect.TypeInt, dialect.TypeBigInt:
		// PostgreSQL's input functions name the text they could not
		// hold, where its arithmetic and casts of numbers do not.
		textOutOfRange := func() error {
			return execError("value %q is out of range for type %s", dialect.Snippet(s), inputTypeName(dt))
		}
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return nil, textOutOfRange()
			}
			return nil, bad()
		}
		if lo, hi := intRange(dt.Name); n < lo || n > hi {
			return nil, textOutOfRange()
		}
		return intValue(n, dt.Name)
	case dialect.TypeFloat, dialect.TypeDouble:
		bits := 64
		if dt.Name == dialect.TypeFloat {
			bits = 32
		}
		f, err := parseFloat(t, bits)
		if err != nil {
			if errors.Is(err, strconv.ErrSyntax) {
				return nil, bad()
			}
			return nil, err
		}
		if bits == 32 {
			return float32(f), nil
		}
		return f, nil
	case dialect.TypeDecimal:
		// Measured before it is converted: converting costs time
		// quadratic in the digits, rounding linear in the exponent.
		if err := checkDecimalText(t, dt, bad); err != nil {
			return nil, err
		}
		d, ok, _ := dialect.ParseNumeric(t)
		if !ok {
			return nil, bad()
		}
		return fitDecimal(d, dt)
	case dialect.TypeText:
		if dt.MaxLength > 0 && utf8.RuneCountInString(s) > dt.MaxLength {
			return truncateRunes(s, dt.MaxLength), nil
		}
		return s, nil
	case dialect.TypeBytes:
		b, ok := parseBytea(s)
		if !ok {
			return nil, bad()
		}
		return b, nil
	case dialect.TypeJSON:
		val, err := row.DecodeJSONText([]byte(s))
		if err != nil {
			if tooDeep(err) {
				return nil, errJSONTooDeep()
			}
			return nil, jsonInputError(err)
		}
		return types.JSONDocument{Val: val}, nil
	case dialect.TypeTimestamp, dialect.TypeDateTime:
		ts, ok := parseTimestamp(ctx, t, dt.Name == dialect.TypeDateTime)
		if !ok {
			return nil, bad()
		}
		return ts, nil
	case dialect.TypeDate:
		ts, ok := parseDateText(ctx, t)
		if !ok {
			return nil, bad()
		}
		return ts, nil
	case dialect.TypeTime:
		ts, ok := parseTimeOfDay(t)
		if !ok {
			return nil, bad()
		}
		return ts, nil
	case dialect.TypeUUID:
		u, ok := parseUUID(t)
		if !ok {
			return nil, bad()
		}
		return string(ids.AppendUUID(make([]byte, 0, 36), u[:])), nil
	}
	return nil, bad()
}

// parseUUID reads PostgreSQL's UUID input: 32 hex digits in any case,
// optionally in braces, with hyphens between groups of four digits.
func parseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	if strings.HasPrefix(s, "{") {
		if !strings.HasSuffix(s, "}") {
			return u, false
		}
		s = s[1 : len(s)-1]
	}
	digits := make([]byte, 0, 32)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' {
			// A hyphen only after a group of four digits, never first,
			// last or doubled.
			if len(digits) == 0 || len(digits)%4 != 0 || i+1 == len(s) || s[i+1] == '-' {
				return u, false
			}
			continue
		}
		digits = append(digits, c)
	}
	if len(digits) != 32 {
		return u, false
	}
	if _, err := hex.Decode(u[:], digits); err != nil {
		return u, false
	}
	return u, true
}

// parseFloat reads the text of a float of bits 32 (REAL) or 64 (DOUBLE
// PRECISION) as PostgreSQL's float4in and float8in do: decimal and
// exponent forms, NaN and [+-]Infinity, rounded once to the type, out of
// range when it rounds to an infinity or a non-zero value rounds to zero
// (row.ParseFloatRounded). Other text (Go's hexadecimal floats included)
// is strconv.ErrSyntax.
func parseFloat(s string, bits int) (float64, error) {
	l := strings.ToLower(s)
	switch strings.TrimPrefix(strings.TrimPrefix(l, "-"), "+") {
	case "nan":
		return math.NaN(), nil
	case "infinity", "inf":
		if strings.HasPrefix(l, "-") {
			return math.Inf(-1), nil
		}
		return math.Inf(1), nil
	}
	if strings.ContainsAny(l, "xpn_") {
		return 0, strconv.ErrSyntax
	}
	f, err := row.ParseFloatRounded(s, bits)
	if errors.Is(err, strconv.ErrRange) {
		return 0, floatOutOfRange(s, bits)
	}
	return f, err
}

func floatOutOfRange(s string, bits int) error {
	name := "double precision"
	if bits == 32 {
		name = "real"
	}
	return execError("%q is out of range for type %s", dialect.Snippet(s), name)
}

// parseBytea reads BYTEA input: \x followed by hex digits, or the escape
// format (\\ is a backslash, \ooo an octal byte, other bytes as is).
func parseBytea(s string) ([]byte, bool) {
	if strings.HasPrefix(s, `\x`) || strings.HasPrefix(s, `\X`) {
		h := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			return r
		}, s[2:])
		b, err := hex.DecodeString(h)
		return b, err == nil
	}
	var out bytes.Buffer
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out.WriteByte(c)
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out.WriteByte('\\')
			i++
		case i+3 < len(s)+0 && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) && s[i+1] <= '3':
			out.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
		default:
			return nil, false
		}
	}
	return out.Bytes(), true
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

// timestampLayouts are the forms of timestamp input, without zone: ISO
// with or without zero padding (Go's 1, 2 and 15 read one or two digits),
// packed YYYYMMDD, and a month's name first, as PostgreSQL reads them.
// They are the write path's (row.TimestampLayouts).
var timestampLayouts = row.TimestampLayouts

// parseTimestamp reads an ISO 8601 timestamp, with an optional zone
// (Z, +hh, +hh:mm, +hhmm) and the special inputs epoch, now, today,
// tomorrow and yesterday. A zone converts to UTC when zoned is set
// (DATETIME, PostgreSQL's timestamptz) and is ignored otherwise, as
// PostgreSQL ignores it for timestamp without time zone.
func parseTimestamp(ctx *sql.Context, s string, zoned bool) (time.Time, bool) {
	t, carry, ok := parseTimestampClock(ctx, s, zoned)
	return t.Add(carry), ok
}

// parseDateText reads DATE input: a timestamp's text whose clock, valid,
// is dropped (2024-12-31 24:00 is 2024-12-31, as in PostgreSQL).
func parseDateText(ctx *sql.Context, s string) (time.Time, bool) {
	t, _, ok := parseTimestampClock(ctx, s, false)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), ok
}

// parseTimestampClock is parseTimestamp with the clock's carry past the
// end of a minute or a day (second 60, 24:00) apart.
func parseTimestampClock(ctx *sql.Context, s string, zoned bool) (time.Time, time.Duration, bool) {
	switch strings.ToLower(s) {
	case "epoch":
		return time.Unix(0, 0).UTC(), 0, true
	case "now":
		return statementTime(ctx), 0, true
	case "today", "tomorrow", "yesterday":
		n := statementTime(ctx)
		d := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
		switch strings.ToLower(s) {
		case "tomorrow":
			d = d.AddDate(0, 0, 1)
		case "yesterday":
			d = d.AddDate(0, 0, -1)
		}
		return d, 0, true
	}
	// More than 6 digits of a second round (PostgreSQL's rule), where the
	// layouts would truncate them (and refuse more than 9).
	s, us := row.SplitSecondFraction(s)
	body, offset, hasZone := splitZone(s)
	body, carry, ok := clockCarry(body, us)
	if !ok {
		return time.Time{}, 0, false
	}
	for _, layout := range timestampLayouts {
		t, err := time.ParseInLocation(layout, body, time.UTC)
		if err != nil {
			continue
		}
		if hasZone && zoned {
			t = t.Add(-offset)
		}
		return t.Truncate(time.Microsecond).Add(time.Duration(us) * time.Microsecond).Round(0), carry, true
	}
	return time.Time{}, 0, false
}

// clockCarry rewrites the clock values PostgreSQL reads past the end of a
// minute or a day, which Go's layouts refuse, as the value before plus a
// carry: second 60 is second 59 plus a second (a fraction stays:
// 00:00:60.5 is 00:01:00.5), and 24:00 or 24:00:00 without a fraction is
// midnight plus a day. body is a timestamp's text without its zone and
// second fraction (us). ok is false for 24:00 with a fraction.
func clockCarry(body string, us int64) (string, time.Duration, bool) {
	if len(body) < len("2006-01-02 15:04") || (body[10] != ' ' && body[10] != 'T') {
		return body, 0, true
	}
	clock := body[11:]
	switch {
	case len(clock) == len("15:04:60") && clock[2] == ':' && clock[5] == ':' && clock[6:] == "60":
		return body[:17] + "59", time.Second, true
	case clock == "24:00" || clock == "24:00:00":
		return body[:11] + "00" + clock[2:], 24 * time.Hour, us == 0
	}
	return body, 0, true
}

// splitZone splits a trailing zone (Z, UTC, +hh, +hh:mm, +hhmm) off a
// timestamp.
func splitZone(s string) (string, time.Duration, bool) {
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		return s[:len(s)-1], 0, true
	}
	if u := strings.ToUpper(s); strings.HasSuffix(u, " UTC") {
		return strings.TrimSpace(s[:len(s)-4]), 0, true
	}
	// The zone sign comes after the time part (not the date's dashes).
	i := strings.LastIndexAny(s, "+-")
	if i < 0 || i < len("2006-01-02") || !strings.ContainsAny(s[:i], ":") {
		return s, 0, false
	}
	z := strings.ReplaceAll(s[i+1:], ":", "")
	if len(z) != 2 && len(z) != 4 {
		return s, 0, false
	}
	h, err1 := strconv.Atoi(z[:2])
	m := 0
	var err2 error
	if len(z) == 4 {
		m, err2 = strconv.Atoi(z[2:])
	}
	if err1 != nil || err2 != nil {
		return s, 0, false
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	if s[i] == '-' {
		d = -d
	}
	return strings.TrimSpace(s[:i]), d, true
}

// parseTimeOfDay reads HH:MM[:SS[.ffffff]]; second 60 without a fraction
// is the next minute (23:59:60 is 24:00:00), as in PostgreSQL.
func parseTimeOfDay(s string) (types.Timespan, bool) {
	body, us := row.SplitSecondFraction(s)
	if len(body) == len("15:04:60") && body[2] == ':' && body[5] == ':' && body[6:] == "60" && us == 0 {
		t, err := time.Parse("15:04", body[:5])
		return timeOfDay(t) + types.Timespan(60_000_000), err == nil
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		t, err := time.Parse(layout, body)
		if err == nil {
			return timeOfDay(t) + types.Timespan(us), true
		}
	}
	if s == "24:00:00" || s == "24:00" {
		return types.Timespan(24 * 3_600_000_000), true
	}
	return 0, false
}

// textOf is a value's text form (PostgreSQL's output rules).
func textOf(v any, from family) (string, error) {
	switch from {
	case famBool:
		b, _ := toBool(v)
		if b {
			return "true", nil
		}
		return "false", nil
	case famFloat:
		switch x := v.(type) {
		case float32:
			return formatFloat(float64(x), 32), nil
		case float64:
			return formatFloat(x, 64), nil
		}
	case famNumeric:
		if d, ok := v.(decimal.Decimal); ok {
			return decimalWire(d), nil
		}
	case famBytes:
		if b, ok := v.([]byte); ok {
			return `\x` + hex.EncodeToString(b), nil
		}
	case famJSON:
		return jsonText(v)
	case famTimestamp:
		if t, ok := toTime(v); ok {
			return formatTimestamp(t), nil
		}
	case famDate:
		if t, ok := toTime(v); ok {
			return t.Format(time.DateOnly), nil
		}
	case famTime:
		if ts, ok := v.(types.Timespan); ok {
			return formatTimeOfDay(int64(ts)), nil
		}
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case decimal.Decimal:
		return decimalWire(x), nil
	case time.Time:
		return formatTimestamp(x), nil
	case float64:
		return formatFloat(x, 64), nil
	case float32:
		return formatFloat(float64(x), 32), nil
	}
	if n, ok := toInt64(v); ok {
		return strconv.FormatInt(n, 10), nil
	}
	if u, ok := v.(uint64); ok {
		return strconv.FormatUint(u, 10), nil
	}
	return "", execError("cannot convert value of type %s to TEXT", from)
}

// formatFloat is PostgreSQL's shortest exact float output: plain digits,
// or an exponent below 1e-4 and from 1e15 (1e6 for FLOAT).
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, bits)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	limit := 15
	if bits == 32 {
		limit = 6
	}
	if exp < -4 || exp >= limit {
		return e
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// formatTimestamp is YYYY-MM-DD HH:MM:SS[.ffffff] without trailing zeros.
func formatTimestamp(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02 15:04:05.999999")
	return s
}

func formatTimeOfDay(us int64) string {
	neg := us < 0
	if neg {
		us = -us
	}
	h, m, sec, frac := us/3_600_000_000, us/60_000_000%60, us/1_000_000%60, us%1_000_000
	s := twoDigits(h) + ":" + twoDigits(m) + ":" + twoDigits(sec)
	if frac != 0 {
		f := strconv.FormatInt(frac+1_000_000, 10)[1:]
		s += "." + strings.TrimRight(f, "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

func twoDigits(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// jsonText is the compact text of a JSON value.
func jsonText(v any) (string, error) {
	val, err := jsonValue(v)
	if err != nil {
		return "", err
	}
	return marshalJSON(val)
}

// marshalJSON writes a JSON value compactly, keys sorted, without HTML
// escaping.
func marshalJSON(val any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(val); err != nil {
		return "", execError("invalid JSON value: %v", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
