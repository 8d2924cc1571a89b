package jsonstrict

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// refDecode is what this package replaces: encoding/json's Decoder with
// UseNumber for the value, then a check that only whitespace follows.
func refDecode(data []byte) (v any, decodeErr error, trailing bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err, false
	}
	_, err := dec.Token()
	return v, nil, !errors.Is(err, io.EOF)
}

// refCheckNoDuplicateKeys is the token-by-token duplicate check this
// package used to run over encoding/json's tokenizer; the one-pass parser
// must find exactly the same duplicates.
func refCheckNoDuplicateKeys(data []byte) error {
	type frame struct {
		object    bool
		path      string
		keys      map[string]struct{}
		nextIsKey bool
		key       string
		index     int
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	childPath := func() string {
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if f.object {
			return join(f.path, f.key)
		}
		return f.path + "[" + strconv.Itoa(f.index) + "]"
	}
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		if f := stack[len(stack)-1]; f.object {
			f.nextIsKey = true
		} else {
			f.index++
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		if len(stack) > 0 {
			if f := stack[len(stack)-1]; f.object && f.nextIsKey {
				if key, ok := tok.(string); ok {
					if _, dup := f.keys[key]; dup {
						return &DuplicateKeyError{Key: key, Path: f.path}
					}
					f.keys[key] = struct{}{}
					f.key, f.nextIsKey = key, false
					continue
				}
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, path: childPath(), keys: map[string]struct{}{}, nextIsKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{path: childPath()})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

// checkAgainstReference asserts that Decode and CheckNoDuplicateKeys agree
// with encoding/json and the reference duplicate check on in, except that
// Decode refuses strings encoding/json would change to U+FFFD (invalid
// UTF-8, lone surrogates).
func checkAgainstReference(t *testing.T, in []byte) {
	t.Helper()
	refV, refErr, trailing := refDecode(in)
	got, err := Decode(in)
	if errors.Is(err, ErrInvalidText) {
		// encoding/json decodes such a string as U+FFFD (unless a
		// duplicate key replaced it), or fails further on. The check of
		// duplicates may stop at the string too; it reports nothing then,
		// as for other malformed input.
		if refErr == nil && !containsReplacement(refV) && refCheckNoDuplicateKeys(in) == nil {
			t.Fatalf("Decode(%q): %v; encoding/json reads valid text %#v", in, err, refV)
		}
		if dupErr := CheckNoDuplicateKeys(in); dupErr != nil && !sameDup(dupErr, refCheckNoDuplicateKeys(in)) {
			t.Fatalf("CheckNoDuplicateKeys(%q) = %v", in, dupErr)
		}
		return
	}
	refDup := refCheckNoDuplicateKeys(in)
	if got := CheckNoDuplicateKeys(in); !sameDup(got, refDup) {
		t.Fatalf("CheckNoDuplicateKeys(%q) = %v, reference %v", in, got, refDup)
	}
	var dup *DuplicateKeyError
	if errors.As(err, &dup) {
		if !sameDup(dup, refDup) {
			t.Fatalf("Decode(%q): %v, reference duplicate check: %v", in, dup, refDup)
		}
		return
	}
	if err == nil && containsReplacement(got) && !literalReplacement(in) {
		t.Fatalf("Decode(%q) = %#v: replaced invalid text instead of refusing it", in, got)
	}
	switch {
	case refErr == nil && !trailing:
		if refDup != nil {
			t.Fatalf("Decode(%q) missed %v", in, refDup)
		}
		if err != nil {
			t.Fatalf("Decode(%q): %v; encoding/json decodes it", in, err)
		}
		if !reflect.DeepEqual(got, refV) {
			t.Fatalf("Decode(%q) = %#v, encoding/json %#v", in, got, refV)
		}
	case refErr == nil && trailing:
		if !errors.Is(err, ErrTrailingData) {
			t.Fatalf("Decode(%q) = %v, want trailing data", in, err)
		}
	default:
		var syn *SyntaxError
		if !errors.As(err, &syn) {
			t.Fatalf("Decode(%q) = %#v, %v; encoding/json: %v", in, got, err, refErr)
		}
		// The Decoder says io.EOF for no value at all; so does Decode,
		// as an unexpected end.
		refEnd := errors.Is(refErr, io.ErrUnexpectedEOF) || errors.Is(refErr, io.EOF)
		if refEnd != errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("Decode(%q): %v; encoding/json: %v", in, err, refErr)
		}
	}
}

// containsReplacement reports whether a decoded value holds U+FFFD in a
// string or a key.
func containsReplacement(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.ContainsRune(x, utf8.RuneError)
	case []any:
		for _, e := range x {
			if containsReplacement(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, utf8.RuneError) || containsReplacement(e) {
				return true
			}
		}
	}
	return false
}

// literalReplacement reports whether in spells U+FFFD itself (encoded, or
// escaped), which is valid text.
func literalReplacement(in []byte) bool {
	return bytes.Contains(in, []byte("\xef\xbf\xbd")) || bytes.Contains(bytes.ToLower(in), []byte(`\ufffd`))
}

func sameDup(a, b error) bool {
	var da, db *DuplicateKeyError
	if !errors.As(a, &da) || !errors.As(b, &db) {
		return a == nil && b == nil
	}
	return *da == *db
}

func TestDecodeTrickyInputs(t *testing.T) {
	for _, in := range []string{
		`{"sql":"SELECT 1","params":[1,-2.5e+3,true,false,null,"x",{"a":[]},[]],"namespace_id":"ns"}`,
		`{}`, `[]`, `""`, `0`, `-0`, `-0.0e-0`, `1E5`, `123456789012345678901234567890`,
		` {"a" : 1 , "b" :[ 1 ,2 ] } `, "\t\r\n{}\n",
		`"\u00e9\u2028\ud83d\ude00\"\\\/\b\f\n\r\t"`,
		`"\ud800"`, `"\udc00"`, `"\ud800\u0041"`, `"\ud800\ud800"`, `"\ud800\udc00"`, `"\ud800x"`, `"\ud800\"`,
		"\"\xff\xfe\"", "\"a\xc3\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\x7f\"",
		`{"sql":"a","s\u0071l":"b"}`, `{"a":{"b":1,"b":2}}`, `[{"x":[{},{"y":1,"y":1}]}]`, `{"a.b":{"c":1,"c":2}}`,
		`{"":1,"":2}`, `{"k":{"k":{"k":1}}}`, `[1,"k",{"k":"k"},["k","k"]]`,
		// Not JSON.
		``, ` `, `{`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,`, `{"a":1,}`, `[1,]`, `[,1]`, `{"a" 1}`, `{a:1}`,
		`01`, `1.`, `.5`, `-`, `--1`, `+1`, `1e`, `1e+`, `0x10`, `NaN`, `Infinity`, `tru`, `nul`, `truex`, `nulL`,
		`"abc`, `"\`, `"\u12"`, `"\u12g4"`, `"\x"`, `"\'"`, "\"a\nb\"", "\"\x00\"", `'a'`,
		`{"a":1}}`, `{"a":1} {"a":2}`, `{"a":1}x`, `1 2`, `[1]]`, "\xef\xbb\xbf{}",
		`{"a":1,"a":2} garbage`, `{"a":1,"a":2`, `{"a":[1,2,{"b":1,"b":`,
	} {
		checkAgainstReference(t, []byte(in))
	}
}

// Random JSON documents, many with duplicate keys and odd strings, and
// random damage to them: Decode must agree with encoding/json on every one.
func TestDecodeMatchesEncodingJSONOnRandomInput(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for i := range 20000 {
		doc := genValue(r, 0)
		checkAgainstReference(t, doc)
		damaged := damage(r, doc)
		checkAgainstReference(t, damaged)
		if t.Failed() {
			t.Fatalf("iteration %d", i)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"sql":"x","params":[1,{"a":1,"a":2}]}`, `"\ud800\udc00"`, `[1,2`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkAgainstReference(t, in) })
}

func TestDeepNestingIsRefusedLikeEncodingJSON(t *testing.T) {
	for _, depth := range []int{maxDepth - 1, maxDepth, maxDepth + 1} {
		in := []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
		checkAgainstReference(t, in)
		in = []byte(strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth))
		checkAgainstReference(t, in)
	}
}

// An object with very many keys is checked in linear time, not quadratic:
// a 10 MB body of distinct keys must not take minutes.
func TestManyKeysStayLinear(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 200_000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	b.WriteString(`,"k7":0}`)
	var dup *DuplicateKeyError
	if err := CheckNoDuplicateKeys([]byte(b.String())); !errors.As(err, &dup) || dup.Key != "k7" {
		t.Fatalf("CheckNoDuplicateKeys: %v", err)
	}
	if _, err := Decode([]byte(b.String())); !errors.As(err, &dup) || dup.Key != "k7" {
		t.Fatalf("Decode: %v", err)
	}
}

func genValue(r *rand.Rand, depth int) []byte {
	var b []byte
	ws := func() {
		if r.IntN(4) == 0 {
			b = append(b, " \t\n\r"[r.IntN(4)])
		}
	}
	ws()
	kind := r.IntN(8)
	if depth >= 4 && kind < 2 {
		kind += 2
	}
	switch kind {
	case 0: // object
		b = append(b, '{')
		for i := range r.IntN(5) {
			if i > 0 {
				b = append(b, ',')
			}
			ws()
			b = append(b, genKey(r)...)
			ws()
			b = append(b, ':')
			b = append(b, genValue(r, depth+1)...)
		}
		ws()
		b = append(b, '}')
	case 1: // array
		b = append(b, '[')
		for i := range r.IntN(5) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, genValue(r, depth+1)...)
		}
		ws()
		b = append(b, ']')
	case 2, 3:
		b = append(b, genString(r)...)
	case 4, 5:
		b = append(b, genNumber(r)...)
	case 6:
		b = append(b, []string{"true", "false"}[r.IntN(2)]...)
	default:
		b = append(b, "null"...)
	}
	ws()
	return b
}

// genKey draws from few keys, some spelled with escapes, so objects often
// repeat one.
func genKey(r *rand.Rand) []byte {
	return []byte([]string{`"a"`, `"b"`, `"sql"`, `"s\u0071l"`, `"a.b"`, `""`, `"\u00e9"`, "\"\xc3\xa9\"", `"k"`}[r.IntN(9)])
}

func genNumber(r *rand.Rand) []byte {
	var b []byte
	if r.IntN(3) == 0 {
		b = append(b, '-')
	}
	if r.IntN(4) == 0 {
		b = append(b, '0')
	} else {
		b = strconv.AppendUint(b, r.Uint64N(1e12)+1, 10)
	}
	if r.IntN(3) == 0 {
		b = append(b, '.')
		b = strconv.AppendUint(b, r.Uint64N(1000), 10)
	}
	if r.IntN(4) == 0 {
		b = append(b, "eE"[r.IntN(2)])
		if r.IntN(2) == 0 {
			b = append(b, "+-"[r.IntN(2)])
		}
		b = strconv.AppendUint(b, r.Uint64N(400), 10)
	}
	return b
}

// genString makes a JSON string literal of random pieces: plain text,
// every escape, surrogate halves and pairs, raw multi-byte characters
// (U+2028 included) and invalid UTF-8.
func genString(r *rand.Rand) []byte {
	b := []byte{'"'}
	for range r.IntN(8) {
		switch r.IntN(10) {
		case 0:
			b = append(b, "hello"...)
		case 1:
			b = append(b, []string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`}[r.IntN(8)]...)
		case 2:
			b = fmt.Appendf(b, `\u%04x`, r.IntN(0x10000))
		case 3:
			b = fmt.Appendf(b, `\u%04X`, 0xd800+r.IntN(0x800)) // a surrogate half
		case 4:
			hi, lo := 0xd800+r.IntN(0x400), 0xdc00+r.IntN(0x400)
			b = fmt.Appendf(b, `\u%04x\u%04x`, hi, lo)
		case 5:
			b = utf8.AppendRune(b, rune(0x80+r.IntN(0x10FFFF-0x80)))
		case 6:
			b = append(b, "\u2028\u2029é😀"...)
		case 7:
			b = append(b, byte(0x80+r.IntN(0x80))) // invalid UTF-8
		case 8:
			b = append(b, "\xed\xa0\x80"...) // an encoded surrogate: invalid UTF-8
		default:
			b = append(b, byte(0x20+r.IntN(0x5f)))
			if b[len(b)-1] == '"' || b[len(b)-1] == '\\' {
				b = b[:len(b)-1]
			}
		}
	}
	return append(b, '"')
}

// damage truncates, flips, inserts or duplicates bytes of doc.
func damage(r *rand.Rand, doc []byte) []byte {
	out := append([]byte(nil), doc...)
	if len(out) == 0 {
		return out
	}
	i := r.IntN(len(out))
	const junk = "{}[]\",:\\ x01-.e\x00\xff"
	switch r.IntN(4) {
	case 0:
		return out[:i]
	case 1:
		out[i] = junk[r.IntN(len(junk))]
		return out
	case 2:
		return append(out[:i], append([]byte{junk[r.IntN(len(junk))]}, doc[i:]...)...)
	default:
		j := i + r.IntN(len(out)-i)
		return append(append(append([]byte(nil), out[:j]...), out[i:j]...), out[j:]...)
	}
}

// claimsJSON is the payload of an access token, the most common input of
// CheckNoDuplicateKeys.
var claimsJSON = []byte(`{"role":"user","typ":"access","username":"alice","cv":3,"auth_time":1764900000,` +
	`"iss":"kalamdb","sub":"u_01jq","exp":1764903600,"iat":1764900000}`)

func BenchmarkCheckNoDuplicateKeys(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := CheckNoDuplicateKeys(claimsJSON); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckNoDuplicateKeysTokenizer is the tokenizer-based check this
// package used before, for comparison.
func BenchmarkCheckNoDuplicateKeysTokenizer(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := refCheckNoDuplicateKeys(claimsJSON); err != nil {
			b.Fatal(err)
		}
	}
}

// Strings that are not text are refused, where encoding/json would store
// U+FFFD in their place: invalid UTF-8 (an encoded surrogate included)
// and escaped lone surrogates, in values and in keys. Valid text,
// surrogate pairs and U+FFFD itself are read as they are.
func TestInvalidTextIsRefused(t *testing.T) {
	for in, want := range map[string]string{
		"\"n\xffs\"":                   "invalid UTF-8 in string",
		"{\"sql\":\"a\xc3\"}":          "invalid UTF-8 in string",
		"\"\xed\xa0\x80\"":             "invalid UTF-8 in string",
		"{\"k\xff\":1}":                "invalid UTF-8 in string",
		"[\"ok\",\"\\u00e9\xf4\x90\"]": "invalid UTF-8 in string",
		`"\ud800"`:                     `lone UTF-16 surrogate \ud800 in string`,
		`"a\udc00b"`:                   `lone UTF-16 surrogate \udc00 in string`,
		`"\ud800\u0041"`:               `lone UTF-16 surrogate \ud800 in string`,
		`{"\ud83d":1}`:                 `lone UTF-16 surrogate \ud83d in string`,
	} {
		_, err := Decode([]byte(in))
		var syn *SyntaxError
		if !errors.As(err, &syn) || !errors.Is(err, ErrInvalidText) || syn.Error() != want {
			t.Errorf("Decode(%q) = %v, want %q", in, err, want)
		}
	}
	for in, want := range map[string]string{
		`"\ud83d\ude00 é"`: "😀 é",
		"\"\xef\xbf\xbd\"": "\ufffd",
		`"\ufffd"`:         "\ufffd",
	} {
		if got, err := Decode([]byte(in)); err != nil || got != want {
			t.Errorf("Decode(%q) = %q, %v", in, got, err)
		}
	}
}

// A statement's body decodes without copying the field names the caller
// asked for, and its parameters' array is not regrown for each of a
// handful (was 16 allocations here).
func TestDecodeObjectAllocations(t *testing.T) {
	body := []byte(`{"sql":"INSERT INTO chat.messages (conversation_id, sender, content) VALUES ($1, $2, $3)","params":[7,"alice","a chat message"]}`)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := DecodeObject(body, "sql", "params", "namespace_id"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 13 {
		t.Fatalf("%v allocations, want at most 13", allocs)
	}
}
