package row

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
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

// nestJSON is v inside n arrays.
func nestJSON(v any, n int) any {
	for i := 0; i < n; i++ {
		v = []any{v}
	}
	return v
}

// A JSON value nested deeper than the decoder reads back is refused when
// it is written (a function can build one from a value at the limit): its
// row could not be read, flushed or deleted again. At the limit it is
// written, and reads back.
func TestNormalizeRefusesJSONPastTheDecoderDepth(t *testing.T) {
	dt := dialect.DataType{Name: dialect.TypeJSON}
	atLimit := nestJSON(nil, MaxJSONDepth)
	v, err := Normalize(dt, types.JSONDocument{Val: atLimit})
	if err != nil {
		t.Fatalf("a value %d levels deep: %v", MaxJSONDepth, err)
	}
	raw, err := types.MarshallJsonValue(v.(types.JSONDocument).Val)
	if err != nil {
		t.Fatal(err)
	}
	var back any
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("a value at the limit does not read back: %v", err)
	}
	tooDeep := []any{map[string]any{"a": atLimit}} // two levels more, one an object
	for _, in := range []any{types.JSONDocument{Val: tooDeep}, tooDeep, map[string]any{"x": atLimit}} {
		if _, err := Normalize(dt, in); err == nil || !strings.Contains(err.Error(), "levels deep") {
			t.Errorf("%T nested past the limit: err %v", in, err)
		}
	}
}
