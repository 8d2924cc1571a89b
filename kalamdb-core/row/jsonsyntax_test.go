package row

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// The detail parser must agree with the decoder on what is JSON: it runs
// only after the decoder refused the text, and a text it accepted would
// lose its detail. Random short texts over JSON's characters (and a few
// that are not) cover every state of both.
func TestPgJSONDetailAgreesWithTheDecoder(t *testing.T) {
	pieces := []string{"{", "}", "[", "]", ",", ":", `"`, `\`, "u", "d8", "dc", "00", "1", "0", "-", "+", ".", "e", "E",
		"t", "true", "false", "null", "x", "_", " ", "\n", "\t", "é", "a", `\"`, `\n`, `"a"`, "9"}
	r := rand.New(rand.NewPCG(21, 21))
	for range 200000 {
		var b strings.Builder
		for range 1 + r.IntN(10) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		raw := []byte(b.String())
		valid := json.Valid(raw) && loneSurrogate(raw) == ""
		detail := pgJSONDetail(raw)
		if valid != (detail == "") {
			t.Fatalf("%q: decoder says valid=%v, detail %q", raw, valid, detail)
		}
	}
}

func TestDecodeJSONTextErrorsArePostgreSQLs(t *testing.T) {
	for _, c := range []struct{ text, detail string }{
		{`x`, `Token "x" is invalid.`},
		{`tru`, `Token "tru" is invalid.`},
		{`nulls`, `Token "nulls" is invalid.`},
		{`[1, 2, x3]`, `Token "x3" is invalid.`},
		{`-1.5e+`, `Token "-1.5e+" is invalid.`},
		{`-a`, `Token "-a" is invalid.`},
		{`{"a": 1 , "b" : [true, {"c": nul}]}`, `Token "nul" is invalid.`},
		{`{"a": 1 , "b" : [true, {"c": null]}`, `Expected "," or "}", but found "]".`},
		{`[{}, []]]`, `Expected end of input, but found "]".`},
		{`"é\é"`, `Escape sequence "\é" is invalid.`},
		{`"\u00zz"`, `"\u" must be followed by four hexadecimal digits.`},
		{`"\u00`, `Token ""\u00" is invalid.`},
		{`"\`, `Token ""\" is invalid.`},
		{`"\ud800x"`, `Unicode low surrogate must follow a high surrogate.`},
		{`"\ud800\n"`, `Unicode low surrogate must follow a high surrogate.`},
		{`"\ud800\u0041"`, `Unicode low surrogate must follow a high surrogate.`},
		{"\"\x01\"", `Character with value 0x01 must be escaped.`},
		{`"` + strings.Repeat("y", 100), `Token ""` + strings.Repeat("y", 39) + `…" is invalid.`},
	} {
		_, err := DecodeJSONText([]byte(c.text))
		var se *JSONSyntaxError
		if !errors.As(err, &se) || se.Detail != c.detail {
			t.Errorf("%q: %v, want detail %q", c.text, err, c.detail)
			continue
		}
		if want := "invalid input syntax for type json: " + c.detail; se.Error() != want {
			t.Errorf("%q: %q", c.text, se.Error())
		}
	}
	// Too deep is the decoder's own error, which callers tell apart.
	_, err := DecodeJSONText([]byte(strings.Repeat("[", MaxJSONDepth+1)))
	var se *json.SyntaxError
	if !errors.As(err, &se) || !strings.Contains(se.Error(), "exceeded max depth") {
		t.Errorf("too deep: %v", err)
	}
	if _, err := DecodeJSONText([]byte(`1e400`)); err == nil || errors.As(err, new(*JSONSyntaxError)) {
		t.Errorf("1e400: %v", err)
	}
}
