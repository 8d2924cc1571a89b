package engine

import "testing"

// jsonStringLen is the length marshalJSON prints for a string: escapes,
// multibyte text, the separators JavaScript cannot hold, invalid UTF-8.
func TestJSONStringLenIsThePrintedLength(t *testing.T) {
	for _, s := range []string{"", "abc", "a\"b\\c", "\x00\x01\x1f", "\b\f\n\r\t", "<>&", "é日本😀", "\u2028\u2029", "a\xffb\xc3", "\x7f"} {
		text, err := marshalJSON(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonStringLen(s); got != int64(len(text)) {
			t.Errorf("%q: measured %d, printed %d (%s)", s, got, len(text), text)
		}
		m := map[string]any{s: s}
		text, _ = marshalJSON(m)
		// The measure of an object counts a comma after each member.
		if n, _ := jsonSize(m, 1<<20); n != int64(len(text))+1 {
			t.Errorf("{%q: %q}: measured %d, printed %d", s, s, n, len(text))
		}
	}
}
