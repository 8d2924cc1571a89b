package row

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestIsValidNumberMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-", "", "01", "1.", ".1", "1.5", "1e", "1e+", "1e5", "1E-5", "1.5e+10", "+1", "1x", "--1", "0.0.0", "1e5.5", "-01"} {
		_, err := json.Marshal(json.Number(s))
		if s == "" {
			err = nil // encoding/json writes "" as 0
		}
		if got := s == "" || isValidNumber(s); got != (err == nil) {
			t.Errorf("isValidNumber(%q) = %v, encoding/json error %v", s, got, err)
		}
	}
}

// AppendJSON writes each kind of wire value, and a few values that are
// not wire values (handed to encoding/json), byte for byte as
// encoding/json's Encoder with SetEscapeHTML(false) does, and fails where
// it fails. (The HTTP API's tests compare whole answers on random values.)
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	vals := []any{nil, true, false, int64(-42), int64(math.MaxInt64), uint64(math.MaxUint64), 7, int32(-7),
		1.5, -0.0, 1e-7, 1e21, 123456789.125, float32(0.1), float32(1e21),
		"", "plain", "<a href=\"x\">&amp;</a>", "tab\tnew\nline\x00\x1f\x7f", "é😀\u2028\u2029", "bad\xff\xc3",
		json.Number("-1.5e+3"), json.Number(""), json.RawMessage(` { "a" : [1, 2] , "<" : "&" } `), json.RawMessage(nil),
		[]any{int64(1), []any{"x", nil}, nil}, []any(nil), []any{},
		map[string]any{"b": 1, "a": []string{"<x>"}}, time.Unix(0, 0).UTC(), []byte("hi"), uint8(7),
		math.NaN(), math.Inf(1), float32(math.Inf(-1)), json.Number("1.2.3"), json.RawMessage(`{"a":`),
	}
	for _, v := range vals {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		wantErr := enc.Encode(v)
		want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		got, err := AppendJSON([]byte("prefix:"), v)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%#v: error %v, encoding/json %v", v, err, wantErr)
		}
		if err == nil && string(got) != "prefix:"+string(want) {
			t.Fatalf("%#v: %s, encoding/json %s", v, got, want)
		}
	}
}
