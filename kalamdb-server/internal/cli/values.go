package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// timestampLayout is how timestamps are shown: ISO 8601 in UTC with the
// milliseconds the wire carries.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// cell is one value ready for display.
type cell struct {
	text    string
	null    bool
	numeric bool // right-aligned in tables
}

// isNumericType reports whether values of a wire data type are numbers.
func isNumericType(dataType string) bool {
	switch dataType {
	case "SmallInt", "Int", "BigInt", "Float", "Double", "Decimal":
		return true
	}
	return false
}

// isTimestampType reports whether values of a wire data type are integer
// milliseconds since the Unix epoch.
func isTimestampType(dataType string) bool {
	return dataType == "Timestamp" || dataType == "DateTime"
}

// formatMillis renders epoch milliseconds as ISO 8601 UTC.
func formatMillis(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(timestampLayout)
}

// textOf renders a wire value of the given data type as text: timestamps in
// ISO 8601 UTC, JSON compact, bytes as \x hex, strings without quotes.
// NULL is reported apart from every text, the empty string included.
func textOf(raw json.RawMessage, dataType string) cell {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return cell{text: "NULL", null: true}
	}
	c := cell{numeric: isNumericType(dataType)}
	switch {
	case isTimestampType(dataType) && raw[0] != '"':
		if ms, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			c.text = formatMillis(ms)
			return c
		}
	case dataType == "Bytes" && raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				c.text = `\x` + hex.EncodeToString(b)
				return c
			}
		}
	case dataType == "Json":
		var buf bytes.Buffer
		if json.Compact(&buf, raw) == nil {
			c.text = buf.String()
			return c
		}
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			c.text = s
			return c
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		c.text = buf.String()
	} else {
		c.text = string(raw)
	}
	return c
}

// jsonValueOf converts a wire value into the value written by the JSON
// formats: timestamps as ISO 8601 strings, everything else as it came
// (numbers keep every digit).
func jsonValueOf(raw json.RawMessage, dataType string) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	if isTimestampType(dataType) && raw[0] != '"' && string(raw) != "null" {
		if ms, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return json.RawMessage(strconv.Quote(formatMillis(ms)))
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.Bytes()
	}
	return raw
}

// sanitize makes text safe to print inside a table cell: on one line and
// with no control characters, so that data can neither break the layout
// nor send escape sequences to the terminal. A line break shows as ↵.
func sanitize(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune('↵')
		case r == '\t':
			b.WriteByte(' ')
		case r == '\r':
		case isControl(r):
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatInt(int64(r), 16))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isControl reports the C0 and C1 control characters and DEL.
func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0
}
