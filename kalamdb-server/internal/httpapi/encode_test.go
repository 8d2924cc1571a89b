package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
)

// refSuccess is what the hand-written encoder replaces: encoding/json's
// Encoder, HTML escaping off, over the envelope.
func refSuccess(results []executor.Result, took float64) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(envelope{Status: "success", Results: results, Took: took})
	return buf.Bytes(), err
}

func checkSuccessEncoding(t *testing.T, results []executor.Result, took float64) {
	t.Helper()
	want, wantErr := refSuccess(results, took)
	got, err := appendSuccess(nil, results, took)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("error %v, encoding/json: %v (results %#v)", err, wantErr, results)
	}
	if err == nil && !bytes.Equal(got, want) {
		t.Fatalf("encoded\n%q\nencoding/json\n%q", got, want)
	}
}

// Strings are escaped exactly as encoding/json escapes them, on every
// kind of character: each control character, quotes and backslashes, HTML
// characters (not escaped), U+2028/U+2029, every invalid UTF-8 shape, and
// random Unicode.
func TestStringEncodingIsExact(t *testing.T) {
	var cases []string
	for c := range 0x80 {
		cases = append(cases, string(rune(c)), "a"+string(rune(c))+"b")
	}
	cases = append(cases, "", `<script>&amp;</script>`, "\u2028\u2029", "x\u2028y", "é😀",
		"\xff", "\xc3", "a\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\xe2\x80", "\xe2\x80\xa8\xe2",
		"\ufffd", string(utf8.RuneError)+"\xff")
	r := rand.New(rand.NewPCG(3, 5))
	for range 20000 {
		cases = append(cases, randomString(r))
	}
	for _, s := range cases {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if got := row.AppendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("row.AppendJSONString(%q) = %s, encoding/json %s", s, got, want)
		}
	}
}

// randomString mixes ASCII (control characters included), multi-byte
// characters from every plane, the JavaScript line separators and
// invalid bytes.
func randomString(r *rand.Rand) string {
	var b []byte
	for range r.IntN(12) {
		switch r.IntN(6) {
		case 0:
			b = append(b, byte(r.IntN(0x80)))
		case 1:
			b = utf8.AppendRune(b, rune(r.IntN(0x800)))
		case 2:
			b = utf8.AppendRune(b, rune(r.IntN(utf8.MaxRune+1)))
		case 3:
			b = utf8.AppendRune(b, []rune{'\u2028', '\u2029', '<', '>', '&', '"', '\\', 0x7f}[r.IntN(8)])
		case 4:
			b = append(b, byte(0x80+r.IntN(0x80)))
		default:
			full := utf8.AppendRune(nil, rune(0x800+r.IntN(utf8.MaxRune-0x800)))
			b = append(b, full[:1+r.IntN(len(full))]...) // maybe truncated
		}
	}
	return string(b)
}

// Whole answers are byte for byte encoding/json's, for every value type
// the core produces and a few it should not (handed to encoding/json).
func TestSuccessEncodingMatchesEncodingJSON(t *testing.T) {
	fixed := [][]executor.Result{
		nil,
		{},
		{{}},
		{{RowCount: 3, Message: "Inserted 3 row(s)"}},
		{{Schema: []executor.Column{{Name: "id", DataType: "BIGINT", Index: 0}}, Rows: [][]any{{int64(1)}, nil, {}}, RowCount: 3, AsUser: "bob"}},
		{{Schema: []executor.Column{}, Rows: [][]any{}}},
		{{Rows: [][]any{{json.RawMessage(` { "a" : [1, 2] , "<" : "&" } `), json.RawMessage(nil), json.Number(""), json.Number("-1.5e+3")}}}},
		{{Rows: [][]any{{map[string]any{"b": 1, "a": []string{"<x>"}}, time.Unix(0, 0).UTC(), struct{ A int }{1}, []byte("hi"), uint8(7)}}}},
		{{Rows: [][]any{{[]any{int64(1), []any{"x", nil}, nil}, []any(nil)}}}},
	}
	for _, results := range fixed {
		checkSuccessEncoding(t, results, 0.125)
	}
	// Values no JSON can hold fail like encoding/json.
	for _, bad := range []any{math.NaN(), math.Inf(1), float32(math.Inf(-1)), json.Number("1.2.3"), json.Number("0x1"), json.RawMessage(`{"a":`)} {
		checkSuccessEncoding(t, []executor.Result{{Rows: [][]any{{bad}}}}, 1)
	}
	r := rand.New(rand.NewPCG(9, 4))
	for range 5000 {
		checkSuccessEncoding(t, randomResults(r), randomFloat(r))
	}
}

func randomResults(r *rand.Rand) []executor.Result {
	results := make([]executor.Result, r.IntN(3))
	for i := range results {
		res := &results[i]
		cols := r.IntN(4)
		for c := range cols {
			res.Schema = append(res.Schema, executor.Column{Name: randomString(r), DataType: "TEXT", Index: c})
		}
		for range r.IntN(4) {
			row := make([]any, cols)
			for c := range row {
				row[c] = randomValue(r, 0)
			}
			res.Rows = append(res.Rows, row)
		}
		res.RowCount = int64(len(res.Rows))
		if r.IntN(3) == 0 {
			res.Message = randomString(r)
		}
		if r.IntN(4) == 0 {
			res.AsUser = randomString(r)
		}
	}
	return results
}

func randomValue(r *rand.Rand, depth int) any {
	switch r.IntN(12) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return int64(r.Uint64())
	case 3:
		return r.Uint64()
	case 4:
		return randomFloat(r)
	case 5:
		return float32(randomFloat(r))
	case 6:
		return json.Number([]string{"0", "-0", "12", "1.5", "-2.5e-7", "1E+30", "123456789012345678901234567890"}[r.IntN(7)])
	case 7:
		return json.RawMessage([]string{`{"k":[1,2,{"x":null}]}`, ` [ true , false ] `, `"\u2028<&>"`, `1e5`, "\"é\""}[r.IntN(5)])
	case 8:
		if depth < 2 {
			return []any{randomValue(r, depth+1), randomValue(r, depth+1)}
		}
		return int(r.IntN(100))
	case 9:
		return int32(r.Int32())
	default:
		return randomString(r)
	}
}

// randomFloat draws floats of every magnitude, around the exponent
// cut-offs (1e-6, 1e21) and special zeros.
func randomFloat(r *rand.Rand) float64 {
	switch r.IntN(6) {
	case 0:
		return math.Float64frombits(r.Uint64()&^(0x7ff<<52) | uint64(r.IntN(0x7ff))<<52) // finite
	case 1:
		return []float64{0, math.Copysign(0, -1), 1e-6, 1e-7, 9.999999e-7, 1e21, 1e20, 999999999999999999999.0, math.MaxFloat64, math.SmallestNonzeroFloat64}[r.IntN(10)]
	case 2:
		return float64(r.IntN(1000000)) / 1000
	default:
		return (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(60)-30))
	}
}

func BenchmarkEncodePKLookupAnswer(b *testing.B) {
	results := []executor.Result{{
		Schema: []executor.Column{{Name: "id", DataType: "BIGINT"}, {Name: "conversation_id", DataType: "BIGINT", Index: 1},
			{Name: "sender", DataType: "TEXT", Index: 2}, {Name: "content", DataType: "TEXT", Index: 3}, {Name: "created_at", DataType: "TIMESTAMP", Index: 4}},
		Rows:     [][]any{{int64(4242), int64(2), "alice", strings.Repeat("chat text ", 10), int64(1764900000123)}},
		RowCount: 1,
	}}
	b.Run("hand-written", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 1024)
		for b.Loop() {
			var err error
			if buf, err = appendSuccess(buf[:0], results, 0.095); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := refSuccess(results, 0.095); err != nil {
				b.Fatal(err)
			}
		}
	})
}
