package row

// This file is longer than most on purpose: Normalize is one conversion per
// Kind from every Go type the engine, the wire and DEFAULTs produce, and
// each Kind's accepted inputs are read in one place.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// ErrInvalidValue is matched (errors.Is) by every error Normalize returns:
// the value does not fit its column. Callers report it to the client as
// bad input; the message says what is wrong and is safe to show.
var ErrInvalidValue = errors.New("invalid value")

// valueError carries a client-facing message and matches ErrInvalidValue
// without putting the sentinel's text into the message.
type valueError struct{ msg string }

func (e *valueError) Error() string        { return e.msg }
func (e *valueError) Is(target error) bool { return target == ErrInvalidValue }

func invalid(format string, args ...any) error {
	return &valueError{msg: fmt.Sprintf(format, args...)}
}

func outOfRange(typ string, v any) error {
	return invalid("value out of range for %s: %v", typ, v)
}

// TypeMismatch is the error of a value whose type its column's does not
// take, named with KalamDB's type words (never a Go type): the writer
// words it as PostgreSQL does, with the column's name.
type TypeMismatch struct {
	Column, Value string // the column's type, the value's
}

func (e *TypeMismatch) Error() string {
	return fmt.Sprintf("a value of type %s does not convert to %s", e.Value, e.Column)
}
func (e *TypeMismatch) Is(target error) bool { return target == ErrInvalidValue }

func cannotConvert(v any, dt dialect.DataType) error {
	return &TypeMismatch{Column: typeString(dt), Value: valueTypeName(v)}
}

// valueTypeName is the KalamDB type of a value the engine produces, as
// far as its Go type tells it (an int8 is the engine's BOOLEAN).
func valueTypeName(v any) string {
	switch v.(type) {
	case bool, int8:
		return "BOOLEAN"
	case int16:
		return "SMALLINT"
	case int32:
		return "INT"
	case int64, int, uint8, uint16, uint32, uint64, uint:
		return "BIGINT"
	case float32:
		return "FLOAT"
	case float64:
		return "DOUBLE"
	case decimal.Decimal:
		return "DECIMAL"
	case string:
		return "TEXT"
	case []byte:
		return "BYTES"
	case time.Time:
		return "TIMESTAMP"
	case types.Timespan, time.Duration:
		return "TIME"
	case sql.JSONWrapper, json.RawMessage, map[string]any, []any:
		return "JSON"
	}
	return "unknown"
}

func typeString(dt dialect.DataType) string {
	switch {
	case dt.Name == dialect.TypeDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", decimalPrecision(dt), dt.Scale)
	case dt.Name == dialect.TypeText && dt.MaxLength > 0:
		return fmt.Sprintf("VARCHAR(%d)", dt.MaxLength)
	}
	return string(dt.Name)
}

func decimalPrecision(dt dialect.DataType) int {
	if dt.Precision <= 0 {
		return 38
	}
	return dt.Precision
}

// Normalize converts a value produced by the engine for a column of type dt
// into the column's canonical Go type (package doc), checking that it fits:
// integer ranges, FLOAT range, DECIMAL precision (fractional digits beyond
// the scale are rounded half away from zero, too many integer digits is an
// error), VARCHAR(n) length in characters, valid UTF-8 text, valid JSON,
// valid UUIDs (lower-cased), and the 0001..9999 year range of times.
//
// The engine is loose about Go types on some paths (an int64 for an INT
// column, a string for JSON, []byte for TEXT, bool for BOOLEAN), so every
// reasonable representation is accepted. nil stays nil. Errors match
// ErrInvalidValue.
func Normalize(dt dialect.DataType, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch schema.KindOf(dt.Name) {
	case schema.KindBool:
		return normBool(dt, v)
	case schema.KindInt16:
		n, err := toInt64(dt, v)
		if err != nil {
			return nil, err
		}
		if n < math.MinInt16 || n > math.MaxInt16 {
			return nil, outOfRange("SMALLINT", n)
		}
		return int16(n), nil
	case schema.KindInt32:
		n, err := toInt64(dt, v)
		if err != nil {
			return nil, err
		}
		if n < math.MinInt32 || n > math.MaxInt32 {
			return nil, outOfRange("INT", n)
		}
		return int32(n), nil
	case schema.KindInt64:
		return toInt64(dt, v)
	case schema.KindFloat32:
		switch x := v.(type) {
		case float32:
			return x, nil
		case string, []byte:
			f, err := floatText(dt, asString(x), 32)
			return float32(f), err
		}
		f, err := toFloat64(dt, v)
		if err != nil {
			return nil, err
		}
		// To the nearest REAL, as PostgreSQL rounds a double: one just
		// above REAL's largest value that rounds to it is that value.
		r := float32(f)
		if math.IsInf(float64(r), 0) && !math.IsInf(f, 0) || r == 0 && f != 0 {
			return nil, outOfRange("FLOAT", f)
		}
		return r, nil
	case schema.KindFloat64:
		return toFloat64(dt, v)
	case schema.KindDecimal:
		return normDecimal(dt, v)
	case schema.KindText:
		return normText(dt, v)
	case schema.KindBytes:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
		return nil, cannotConvert(v, dt)
	case schema.KindJSON:
		return normJSON(dt, v)
	case schema.KindTimestamp:
		t, err := toTime(dt, v)
		if err != nil {
			return nil, err
		}
		t = t.Round(time.Microsecond).UTC()
		if !InTimeRange(t) {
			return nil, outOfRange(string(dt.Name), t.Format(time.RFC3339Nano))
		}
		return t, nil
	case schema.KindDate:
		t, err := toTime(dt, v)
		if err != nil {
			return nil, err
		}
		// The calendar date as written, in the value's own location:
		// DATE('2024-05-01 01:00 +02:00') is 2024-05-01.
		y, m, d := t.Date()
		t = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		if !InTimeRange(t) {
			return nil, outOfRange("DATE", t.Format(time.DateOnly))
		}
		return t, nil
	case schema.KindTime:
		return normTime(dt, v)
	case schema.KindUUID:
		switch x := v.(type) {
		case string:
			if s, ok := canonicalUUID(x); ok {
				return s, nil
			}
			return nil, invalid("invalid UUID %q (want 8-4-4-4-12 hex digits)", x)
		case []byte:
			if len(x) == 16 {
				return string(ids.AppendUUID(make([]byte, 0, 36), x)), nil
			}
			if s, ok := canonicalUUID(string(x)); ok {
				return s, nil
			}
			return nil, invalid("invalid UUID %q (want 8-4-4-4-12 hex digits)", x)
		}
		return nil, cannotConvert(v, dt)
	}
	return nil, invalid("unknown column type %q", dt.Name)
}

func normBool(dt dialect.DataType, v any) (any, error) {
	switch x := v.(type) {
	case int8:
		if x == 0 || x == 1 {
			return x, nil
		}
		return int8(1), nil
	case bool:
		if x {
			return int8(1), nil
		}
		return int8(0), nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1":
			return int8(1), nil
		case "false", "0":
			return int8(0), nil
		}
		return nil, invalid("invalid BOOLEAN %q (want true or false)", x)
	}
	// Numbers: any non-zero value is true, as in MySQL.
	f, err := toFloat64(dt, v)
	if err != nil {
		return nil, err
	}
	if f != 0 {
		return int8(1), nil
	}
	return int8(0), nil
}

var (
	minInt64Dec = decimal.NewFromInt(math.MinInt64)
	maxInt64Dec = decimal.NewFromInt(math.MaxInt64)
)

// toInt64 converts integers exactly and other numbers rounded half away
// from zero (MySQL's rule for storing 2.5 in an integer column).
func toInt64(dt dialect.DataType, v any) (int64, error) {
	name := string(dt.Name)
	switch x := v.(type) {
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, outOfRange(name, x)
		}
		return int64(x), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, outOfRange(name, x)
		}
		return int64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case float32:
		return floatToInt64(name, float64(x))
	case float64:
		return floatToInt64(name, x)
	case decimal.Decimal:
		return decimalToInt64(name, x)
	case string:
		return parseInt64(dt, x)
	case []byte:
		return parseInt64(dt, string(x))
	}
	return 0, cannotConvert(v, dt)
}

func floatToInt64(name string, f float64) (int64, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, outOfRange(name, f)
	}
	r := math.Round(f)
	// 2^63 is exactly representable; every float below it fits int64.
	if r < -(1<<63) || r >= 1<<63 {
		return 0, outOfRange(name, f)
	}
	return int64(r), nil
}

func decimalToInt64(name string, d decimal.Decimal) (int64, error) {
	switch magnitude(d, 0) {
	case magZero:
		return 0, nil
	case magHuge:
		return 0, outOfRange(name, shortDecimal(d))
	}
	r := d.Round(0)
	if r.LessThan(minInt64Dec) || r.GreaterThan(maxInt64Dec) {
		return 0, outOfRange(name, shortDecimal(d))
	}
	return r.IntPart(), nil
}

func parseInt64(dt dialect.DataType, s string) (int64, error) {
	t := strings.TrimSpace(s)
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, nil
	} else if errors.Is(err, strconv.ErrRange) {
		return 0, outOfRange(string(dt.Name), t)
	}
	d, err := decimal.NewFromString(t)
	if err != nil {
		return 0, invalid("invalid %s %q", dt.Name, s)
	}
	return decimalToInt64(string(dt.Name), d)
}

func toFloat64(dt dialect.DataType, v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		// Widened exactly, as PostgreSQL widens real to float8 (0.1::real
		// is 0.10000000149011612) and as index keys hold it: a REAL
		// column modified to DOUBLE reads its old rows through here.
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int16:
		return float64(x), nil
	case int8:
		return float64(x), nil
	case int:
		return float64(x), nil
	case uint8:
		return float64(x), nil
	case uint16:
		return float64(x), nil
	case uint32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case uint:
		return float64(x), nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case decimal.Decimal:
		// A numeric beyond a double's range (a DEFAULT's 1e999) is out
		// of range, not an infinity.
		f := x.InexactFloat64()
		if math.IsInf(f, 0) {
			return 0, outOfRange(typeString(dt), shortDecimal(x))
		}
		return f, nil
	case string, []byte:
		return floatText(dt, asString(x), 64)
	}
	return 0, cannotConvert(v, dt)
}

// floatText reads a float's text for a column of type dt, rounded once to
// bits (ParseFloatRounded).
func floatText(dt dialect.DataType, s string, bits int) (float64, error) {
	s = strings.TrimSpace(s)
	f, err := ParseFloatRounded(s, bits)
	if errors.Is(err, strconv.ErrRange) {
		return 0, outOfRange(string(dt.Name), s)
	}
	if err != nil {
		return 0, invalid("invalid %s %q", dt.Name, s)
	}
	return f, nil
}

// ParseFloatRounded reads the text of a float of bits 32 (REAL) or 64
// (DOUBLE), rounding the decimal once to that size, as C's strtof and
// strtod do for PostgreSQL's float input: '3.4028235e38', REAL's largest
// value as it prints, is that value. A value that rounds to an infinity,
// and a non-zero value that rounds to zero, are strconv.ErrRange (out of
// range in PostgreSQL); text that is no float is strconv.ErrSyntax.
func ParseFloatRounded(s string, bits int) (float64, error) {
	f, err := strconv.ParseFloat(s, bits)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, strconv.ErrRange
		}
		return 0, strconv.ErrSyntax
	}
	if f == 0 && nonZeroMantissa(s) {
		return 0, strconv.ErrRange
	}
	return f, nil
}

// nonZeroMantissa reports whether the float text s has a non-zero digit
// before its exponent.
func nonZeroMantissa(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 'e' || c == 'E' || c == 'p' || c == 'P':
			return false
		case c >= '1' && c <= '9':
			return true
		}
	}
	return false
}

func asString(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	s, _ := v.(string)
	return s
}

func normDecimal(dt dialect.DataType, v any) (any, error) {
	var d decimal.Decimal
	switch x := v.(type) {
	case decimal.Decimal:
		d = x
	case int64:
		d = decimal.NewFromInt(x)
	case int32:
		d = decimal.NewFromInt(int64(x))
	case int16:
		d = decimal.NewFromInt(int64(x))
	case int8:
		d = decimal.NewFromInt(int64(x))
	case int:
		d = decimal.NewFromInt(int64(x))
	case uint8:
		d = decimal.NewFromInt(int64(x))
	case uint16:
		d = decimal.NewFromInt(int64(x))
	case uint32:
		d = decimal.NewFromInt(int64(x))
	case uint64:
		d = decimal.NewFromBigInt(new(big.Int).SetUint64(x), 0)
	case uint:
		d = decimal.NewFromBigInt(new(big.Int).SetUint64(uint64(x)), 0)
	case bool:
		if x {
			d = decimal.NewFromInt(1)
		}
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, outOfRange(typeString(dt), x)
		}
		d = decimal.NewFromFloat32(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, outOfRange(typeString(dt), x)
		}
		d = decimal.NewFromFloat(x)
	case string, []byte:
		s := strings.TrimSpace(asString(x))
		// Measured before it is converted: converting costs time
		// quadratic in the digits.
		shape, ok := dialect.ReadNumericShape(s)
		if !ok {
			return nil, invalid("invalid %s %q", typeString(dt), dialect.Snippet(s))
		}
		if !shape.InNumericRange() || shape.Before > int64(decimalPrecision(dt)-max(dt.Scale, 0)) {
			return nil, outOfRange(typeString(dt), dialect.Snippet(s))
		}
		if d, ok, _ = dialect.ParseNumeric(s); !ok {
			return nil, invalid("invalid %s %q", typeString(dt), dialect.Snippet(s))
		}
	default:
		return nil, cannotConvert(v, dt)
	}
	return fitDecimal(dt, d)
}

// fitDecimal rounds d to the column's scale and checks its integer digits.
// The result's exponent is -scale, so equal values encode identically.
func fitDecimal(dt dialect.DataType, d decimal.Decimal) (decimal.Decimal, error) {
	p, s := decimalPrecision(dt), max(dt.Scale, 0)
	switch magnitude(d, s) {
	case magZero:
		return decimal.New(0, -int32(s)), nil
	case magHuge:
		return decimal.Decimal{}, outOfRange(typeString(dt), shortDecimal(d))
	}
	r := d.Round(int32(s))
	if r.Abs().Cmp(decimal.New(1, int32(p-s))) >= 0 {
		return decimal.Decimal{}, outOfRange(typeString(dt), shortDecimal(d))
	}
	return r, nil
}

// shortDecimal renders d for an error message without expanding an
// extreme exponent into that many zeros.
func shortDecimal(d decimal.Decimal) string {
	var s string
	if e := d.Exponent(); e < -64 || e > 64 {
		s = d.Coefficient().String() + "e" + strconv.Itoa(int(e))
	} else {
		s = d.String()
	}
	if len(s) > 48 {
		s = s[:45] + "..."
	}
	return s
}

const (
	magNormal = iota
	magZero   // rounds to zero at the wanted scale
	magHuge   // at least 10^39: beyond every DECIMAL and int64
)

// magnitude classifies values with extreme exponents before they are
// rounded: rounding rescales the coefficient by 10^|exponent - scale|, so
// a client's "1e-999999999" would otherwise cost gigabytes.
func magnitude(d decimal.Decimal, scale int) int {
	if d.IsZero() {
		return magZero
	}
	e := int64(d.Exponent())
	if e > 38 {
		return magHuge
	}
	if e >= -64 {
		return magNormal
	}
	// digits(c) <= bitlen*log10(2) + 1; the value is below 10^(digits+e).
	digits := int64(d.Coefficient().BitLen())*30103/100000 + 1
	if digits+e < -int64(scale)-1 {
		return magZero
	}
	return magNormal
}

func normText(dt dialect.DataType, v any) (any, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case int64, int32, int16, int8, int, uint64, uint32, uint16, uint8, uint:
		s = fmt.Sprint(x)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		s = strconv.FormatFloat(float64(x), 'g', -1, 32)
	case bool:
		s = strconv.FormatBool(x)
	case decimal.Decimal:
		s = x.String()
	case time.Time:
		s = x.UTC().Format("2006-01-02 15:04:05.999999")
	case types.Timespan:
		s = formatTimespan(x)
	case sql.JSONWrapper:
		raw, err := jsonText(x)
		if err != nil {
			return nil, invalid("JSON value cannot be converted to TEXT: %v", err)
		}
		s = string(raw)
	default:
		return nil, cannotConvert(v, dt)
	}
	if !utf8.ValidString(s) {
		return nil, invalid("TEXT value is not valid UTF-8")
	}
	if dt.MaxLength > 0 && len(s) > dt.MaxLength {
		if n := utf8.RuneCountInString(s); n > dt.MaxLength {
			cut, ok := TrimExcessSpaces(s, dt.MaxLength)
			if !ok {
				return nil, invalid("value too long for %s: %d characters", typeString(dt), n)
			}
			s = cut
		}
	}
	return s, nil
}

// TrimExcessSpaces cuts s to its first n characters when every character
// past them is a space, as PostgreSQL (and the SQL standard) stores a text
// longer than VARCHAR(n) whose excess is only spaces; ok is false when
// anything else is past the n-th character.
func TrimExcessSpaces(s string, n int) (string, bool) {
	i := 0
	for pos := range s {
		if i == n {
			if strings.Trim(s[pos:], " ") != "" {
				return "", false
			}
			return s[:pos], true
		}
		i++
	}
	return s, true
}

func normJSON(dt dialect.DataType, v any) (any, error) {
	switch x := v.(type) {
	case types.JSONDocument:
		if !JSONDepthOK(x.Val) {
			return nil, errJSONTooDeep()
		}
		return x, nil
	case sql.JSONWrapper:
		val, err := x.ToInterface()
		if err != nil {
			return nil, invalid("invalid JSON value: %v", err)
		}
		if !JSONDepthOK(val) {
			return nil, errJSONTooDeep()
		}
		return types.JSONDocument{Val: val}, nil
	case string, []byte, json.RawMessage:
		var raw []byte
		switch y := x.(type) {
		case string:
			raw = []byte(y)
		case []byte:
			raw = y
		case json.RawMessage:
			raw = y
		}
		val, err := DecodeJSONText(raw)
		if err != nil {
			if se := (*JSONSyntaxError)(nil); errors.As(err, &se) {
				return nil, invalid("%s", se.Error())
			}
			return nil, invalid("invalid JSON value: %v", err)
		}
		return types.JSONDocument{Val: val}, nil
	case map[string]any, []any:
		if !JSONDepthOK(x) {
			return nil, errJSONTooDeep()
		}
		return types.JSONDocument{Val: x}, nil
	case bool, float64:
		return types.JSONDocument{Val: x}, nil
	case int64, int32, int16, int8, int:
		n, _ := toInt64(dt, x)
		return types.JSONDocument{Val: n}, nil
	case float32:
		// A REAL in JSON is the number it prints as (1.1, not
		// 1.100000023841858), as PostgreSQL's to_json gives it.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return types.JSONDocument{Val: f}, nil
	}
	// Anything else that marshals is a JSON document (the engine's rule).
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, cannotConvert(v, dt)
	}
	var val any
	if err := json.Unmarshal(raw, &val); err != nil {
		return nil, cannotConvert(v, dt)
	}
	return types.JSONDocument{Val: val}, nil
}

// DecodeJSONText decodes JSON text given as a value. It refuses what
// encoding/json would change rather than read: a \u escape that is half of
// a UTF-16 surrogate pair without its other half (read as U+FFFD;
// PostgreSQL refuses the text), and a number no double holds (1e400),
// which it names instead of a Go type. Text that is not JSON is a
// *JSONSyntaxError, worded as PostgreSQL words it; a value nested deeper
// than MaxJSONDepth is encoding/json's error.
func DecodeJSONText(raw []byte) (any, error) {
	var val any
	if err := json.Unmarshal(raw, &val); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && strings.HasPrefix(te.Value, "number") {
			return nil, fmt.Errorf("%s is out of range for a JSON number (a double)", te.Value)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) && !strings.Contains(se.Error(), "exceeded max depth") {
			return nil, &JSONSyntaxError{Detail: pgJSONDetail(raw), Err: err}
		}
		return nil, err
	}
	if esc := loneSurrogate(raw); esc != "" {
		return nil, &JSONSyntaxError{Detail: pgJSONDetail(raw),
			Err: fmt.Errorf("the escape %s is half of a UTF-16 surrogate pair without its other half", esc)}
	}
	if bytes.Contains(raw, []byte("-0")) {
		val = positiveZeros(val)
	}
	return val, nil
}

// positiveZeros is v with every number -0 made 0, as jsonb stores it (its
// numeric has no negative zero): '-0' prints 0, and ->> of it is '0', so
// it groups with 0 as text too.
func positiveZeros(v any) any {
	switch x := v.(type) {
	case float64:
		if x == 0 {
			return 0.0
		}
	case []any:
		for i, e := range x {
			x[i] = positiveZeros(e)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = positiveZeros(e)
		}
	}
	return v
}

// loneSurrogate is the first \u escape of valid JSON text that is a
// UTF-16 surrogate not paired (a high one followed by a low one), or "".
// Backslashes occur only inside strings, so every one starts an escape.
func loneSurrogate(raw []byte) string {
	if !bytes.Contains(raw, []byte(`\u`)) {
		return "" // most text: no \u escape at all
	}
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 32)
		return rune(n), err == nil
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // a one-character escape (\\ among them)
			continue
		}
		switch {
		case r >= 0xD800 && r < 0xDC00:
			if low, ok := hex4(i + 6); ok && low >= 0xDC00 && low <= 0xDFFF {
				i += 11
				continue
			}
			return string(raw[i : i+6])
		case r >= 0xDC00 && r <= 0xDFFF:
			return string(raw[i : i+6])
		}
		i += 5
	}
	return ""
}

// MaxJSONDepth is how deeply a JSON value may nest arrays and objects: the
// bound of the decoder that reads stored values back (encoding/json's), so
// a value nested deeper must never be written (its row could not be read,
// scanned, flushed or deleted again).
const MaxJSONDepth = 10000

// JSONDepthOK reports whether a decoded JSON value nests arrays and objects
// at most MaxJSONDepth levels. The walk stops at the first level past it.
func JSONDepthOK(v any) bool {
	var walk func(v any, depth int) bool
	walk = func(v any, depth int) bool {
		switch x := v.(type) {
		case []any:
			if depth++; depth > MaxJSONDepth {
				return false
			}
			for _, e := range x {
				if !walk(e, depth) {
					return false
				}
			}
		case map[string]any:
			if depth++; depth > MaxJSONDepth {
				return false
			}
			for _, e := range x {
				if !walk(e, depth) {
					return false
				}
			}
		case types.JSONDocument:
			return walk(x.Val, depth)
		}
		return true
	}
	return walk(v, 0)
}

// errJSONTooDeep refuses to store a value nested past MaxJSONDepth.
func errJSONTooDeep() error {
	return invalid("a JSON value nests arrays and objects more than %d levels deep (a fixed limit)", MaxJSONDepth)
}

// TimestampLayouts are the forms of date and timestamp text without a
// zone that PostgreSQL reads and KalamDB does too: ISO with or without
// zero padding (Go's 1, 2 and 15 read one or two digits, so the padded
// forms match them), packed YYYYMMDD, and a month's name first. The
// engine's casts read the same forms (its zone and special words apart).
var TimestampLayouts = []string{
	"2006-1-2 15:04:05.999999999",
	"2006-1-2T15:04:05.999999999",
	"2006-1-2 15:04",
	"2006-1-2T15:04",
	"2006-1-2",
	"20060102",
	"20060102 150405",
	"20060102T150405",
	"Jan 2 2006",
	"Jan 2, 2006",
	"January 2 2006",
	"January 2, 2006",
	"2 Jan 2006",
	"2 January 2006",
}

// Layouts accepted for times written as text, most specific first: with a
// zone, then TimestampLayouts.
var timeLayouts = append([]string{
	time.RFC3339Nano,
	"2006-1-2 15:04:05.999999999Z07:00",
	"2006-1-2T15:04:05.999999999Z07:00",
	"2006-1-2 15:04Z07:00",
}, TimestampLayouts...)

func toTime(dt dialect.DataType, v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string, []byte:
		s := strings.TrimSpace(asString(x))
		body, us := SplitSecondFraction(s)
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, body); err == nil {
				return t.Add(time.Duration(us) * time.Microsecond), nil
			}
		}
		return time.Time{}, invalid("invalid %s %q (want YYYY-MM-DD[ HH:MM:SS[.ffffff]])", dt.Name, s)
	}
	return time.Time{}, cannotConvert(v, dt)
}

func normTime(dt dialect.DataType, v any) (any, error) {
	var ts types.Timespan
	switch x := v.(type) {
	case types.Timespan:
		ts = x
	case time.Duration:
		ts = types.Timespan(x.Round(time.Microsecond) / time.Microsecond)
	case string, []byte, int64, int32, int16, int8, int, uint64, uint32, uint16, uint8,
		float64, float32, decimal.Decimal, time.Time:
		// MySQL's rules ('HH:MM:SS.ffffff', HHMMSS numbers, a datetime's
		// time of day) as the engine implements them.
		var err error
		if ts, err = types.Time.ConvertToTimespan(x); err != nil {
			return nil, invalid("invalid TIME %v", v)
		}
	default:
		return nil, cannotConvert(v, dt)
	}
	if ts < -maxTimespan || ts > maxTimespan {
		return nil, outOfRange("TIME", formatTimespan(ts))
	}
	return ts, nil
}
