package row

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// Wire values (WireValue) are written as JSON by hand, appending to a
// buffer, instead of by encoding/json's reflection: they are bool,
// integers, float64, json.Number, string, json.RawMessage, nil or arrays
// of them, so encoding one is a type switch. The output is byte for byte
// what encoding/json's Encoder with SetEscapeHTML(false) writes for the
// same value (tests compare the two); a value of any other type is handed
// to encoding/json itself. The HTTP answers and the WebSocket change
// messages are written with these.

// AppendJSON appends the JSON of one wire value.
func AppendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return AppendJSONString(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case float64:
		return AppendJSONFloat(b, x, 64)
	case json.Number:
		return appendNumber(b, x)
	case json.RawMessage:
		return appendRaw(b, x)
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case float32:
		return AppendJSONFloat(b, float64(x), 32)
	case []any:
		return AppendJSONArray(b, x)
	}
	return AppendEncodingJSON(b, v)
}

// AppendEncodingJSON appends what encoding/json writes for v (HTML
// characters not escaped, no newline).
func AppendEncodingJSON(b []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(b)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return b, err
	}
	out := buf.Bytes()
	return out[:len(out)-1], nil // Encode's newline
}

// AppendJSONFloat formats f as encoding/json does for a float of the given
// bit size: like ES6, shortest repr, exponent only outside [1e-6, 1e21).
// NaN and infinities are not JSON; the core sends them as strings, so one
// here is a bug upstream.
func AppendJSONFloat(b []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, fmt.Errorf("row: unsupported float value %v", f)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// 1e-07 -> 1e-7
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// appendNumber appends a json.Number as is, "0" when empty, and refuses
// one that is not a JSON number, as encoding/json does.
func appendNumber(b []byte, n json.Number) ([]byte, error) {
	s := string(n)
	if s == "" {
		s = "0"
	}
	if !isValidNumber(s) {
		return b, fmt.Errorf("row: invalid number literal %q", s)
	}
	return append(b, s...), nil
}

// appendRaw appends JSON text compacted ("null" for nil), refusing text
// that is not JSON, as encoding/json does for json.RawMessage.
func appendRaw(b []byte, raw json.RawMessage) ([]byte, error) {
	if raw == nil {
		return append(b, "null"...), nil
	}
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, raw); err != nil {
		return b, fmt.Errorf("row: invalid JSON value: %w", err)
	}
	return buf.Bytes(), nil
}

// isValidNumber reports whether s is a JSON number.
func isValidNumber(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	digits := func() bool {
		n := 0
		for n < len(s) && '0' <= s[n] && s[n] <= '9' {
			n++
		}
		s = s[n:]
		return n > 0
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case !digits():
		return false
	}
	if len(s) > 0 && s[0] == '.' {
		s = s[1:]
		if !digits() {
			return false
		}
	}
	if len(s) > 0 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
			s = s[1:]
		}
		if !digits() {
			return false
		}
	}
	return s == ""
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string exactly as encoding/json does
// without HTML escaping: '"' and '\\' escaped, control characters as \n,
// \r, \t, \b, \f or \u00XX, each byte of invalid UTF-8 as \ufffd, and
// U+2028 and U+2029 escaped (they end lines in JavaScript).
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendJSONArray appends an array of wire values ("null" for nil).
func AppendJSONArray(b []byte, vals []any) ([]byte, error) {
	if vals == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	var err error
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = AppendJSON(b, v); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}
