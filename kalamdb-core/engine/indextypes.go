package engine

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
)

// The engine converts every value it compares with an index column to the
// column's type before it builds a range: a WHERE's constant when it plans
// the statement, each looked-up key of a join while it runs. Its own
// conversions fail (a date past 9999-12-31: "value is outside of date
// range", while the same comparison without an index answers), round (a
// join key of 1.5 looked up as 2 in an INT index), or, for a join's key
// that fails, look up the type's zero value instead. So the index planner
// sees each index column through plannerType: a value the column's type
// cannot hold exactly is kept as it is, and the index ranges, which
// convert every bound again (indexCut, cutKey), leave an inexact bound's
// side of a range open and make a lookup of one inexact value empty
// (unheldPoint): no stored value equals it, and the filter over a range
// lookup decides the rest.

// plannerType is the type the engine's index planner is given for an
// index column: the column's own type, wrapped for DATE, TIMESTAMP and
// integer and text columns (those whose conversions clamp, round, cut
// or fail).
func plannerType(t sql.Type) sql.Type {
	if dt, ok := t.(sql.DatetimeType); ok {
		return boundTime{dt}
	}
	if nt, ok := t.(sql.NumberType); ok && types.IsInteger(t) {
		return boundInt{nt}
	}
	if st, ok := t.(sql.StringType); ok && types.IsTextOnly(t) {
		return boundString{st}
	}
	return t
}

// boundTime is a DATE or TIMESTAMP column's type in the index planner: a
// time outside the years 0001..9999, or one the type does not hold
// exactly (a time of day for a DATE), is kept as it is. The engine
// converts a join's looked-up key with it before the index sees it, and
// its DATE conversion drops the time of day: a lookup of
// '9999-12-31 23:00' found the date 9999-12-31, which the timestamp does
// not equal.
type boundTime struct {
	sql.DatetimeType
}

func (t boundTime) Convert(ctx context.Context, v any) (any, sql.ConvertInRange, error) {
	tm, ok := v.(time.Time)
	if !ok {
		return t.DatetimeType.Convert(ctx, v)
	}
	if !row.InTimeRange(tm) {
		return tm, sql.InRange, nil
	}
	conv, inRange, err := t.DatetimeType.Convert(ctx, v)
	if err != nil || !exactKeyConversion(tm, conv) {
		return tm, sql.InRange, nil
	}
	return conv, inRange, nil
}

func (t boundTime) Equals(o sql.Type) bool { return t.DatetimeType.Equals(columnType(o)) }

// boundInt is an integer column's type in the index planner: a number
// the type does not hold exactly (fractional, or past its range) is kept
// as it is. It is still a NumberType, so the planner's own rounding of
// order comparisons' bounds (i > 1.5 as i > 1) still applies.
type boundInt struct {
	sql.NumberType
}

func (t boundInt) Convert(ctx context.Context, v any) (any, sql.ConvertInRange, error) {
	conv, inRange, err := t.NumberType.Convert(ctx, v)
	if isNumber(v) && (err != nil || inRange != sql.InRange || !exactKeyConversion(v, conv)) {
		return v, sql.InRange, nil
	}
	return conv, inRange, err
}

// isNumber reports whether v is a number's Go value.
func isNumber(v any) bool {
	switch v.(type) {
	case float32, float64, decimal.Decimal:
		return true
	}
	_, ok := row.IntValue(v)
	return ok
}

func (t boundInt) Equals(o sql.Type) bool { return t.NumberType.Equals(columnType(o)) }

// boundString is a text column's type in the index planner: a text the
// type cannot hold (longer than a VARCHAR(n)'s n) is kept as it is. The
// engine's conversion of a join's looked-up key fails for it and looks up
// the type's zero value (the empty text) instead: 'abcd' found the empty
// text in a VARCHAR(3) index.
type boundString struct {
	sql.StringType
}

func (t boundString) Convert(ctx context.Context, v any) (any, sql.ConvertInRange, error) {
	if s, ok := textAsIs(t.StringType, v); ok {
		return s, sql.InRange, nil
	}
	conv, inRange, err := t.StringType.Convert(ctx, v)
	if s, ok := v.(string); ok && (err != nil || inRange != sql.InRange) {
		return s, sql.InRange, nil
	}
	return conv, inRange, err
}

func (t boundString) Equals(o sql.Type) bool { return t.StringType.Equals(columnType(o)) }

// Promote keeps the wrapper: the engine's index builder promotes a text
// column's type (to LONGTEXT) before it converts a range's values with
// it, and the engine's conversion copies a text twice to return it as it
// is (textAsIs).
func (t boundString) Promote() sql.Type {
	if p, ok := t.StringType.Promote().(sql.StringType); ok {
		return boundString{p}
	}
	return t.StringType.Promote()
}

// columnType is the column type under a planner type: the planner checks
// that a range's type is its index's.
func columnType(t sql.Type) sql.Type {
	switch x := t.(type) {
	case boundTime:
		return x.DatetimeType
	case boundInt:
		return x.NumberType
	case boundString:
		return x.StringType
	}
	return t
}

// textAsIs is v when the text type t's conversion would return it as it
// is: a string of valid UTF-8 within t's length. That conversion copies
// the text twice to return it unchanged, for every bound of an index
// range: a large parameter looked up through an index was copied about a
// dozen times to plan and read the lookup.
func textAsIs(t sql.Type, v any) (string, bool) {
	s, ok := v.(string)
	if !ok || !types.IsTextOnly(t) {
		return "", false
	}
	st, ok := t.(sql.StringType)
	// Within the characters, within the bytes too: a character is at
	// least one byte, and a TEXT's bytes hold its characters.
	if !ok || int64(len(s)) > st.MaxCharacterLength() || !utf8.ValidString(s) {
		return "", false
	}
	return s, true
}
