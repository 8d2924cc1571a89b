package regex

import (
	"context"
	"math/rand"
	"strings"
	"testing"
)

// expandOnce is PostgreSQL's expansion of a replacement, written as its
// appendStringInfoRegexpSubstr reads it: one character after another.
func expandOnce(repl, s string, m []int) string {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '\\' || i+1 == len(repl) {
			b.WriteByte(c)
			continue
		}
		d := repl[i+1]
		switch {
		case d >= '1' && d <= '9':
			if g := int(d - '0'); 2*g+1 < len(m) && m[2*g] >= 0 {
				b.WriteString(s[m[2*g]:m[2*g+1]])
			}
			i++
		case d == '&':
			b.WriteString(s[m[0]:m[1]])
			i++
		case d == '\\':
			b.WriteByte('\\')
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// A replacement read once expands, and measures, as PostgreSQL's reading
// of it character by character does, for any text of backslashes, digits,
// ampersands and other characters, and any groups (absent, empty, or
// beyond the pattern's).
func TestReplacementExpandsAsPostgres(t *testing.T) {
	rng := rand.New(rand.NewSource(21))
	re := mustCompile(t, `(a)(b)?(c*)`, Flags{})
	text := "xxacc ab a é"
	var locs [][]int
	if err := re.Each(context.Background(), text, 0, func(m []int) bool { locs = append(locs, m); return true }); err != nil {
		t.Fatal(err)
	}
	fixed := []string{``, `\`, `\\`, `\\\`, `\1`, `\&`, `\&\&`, `x\0y`, `\4\9`, `\q`, `a\`, `\\1`, `\\\1`, `é\2é`, `[\1|\2|\3]`}
	for i := 0; i < 2000; i++ {
		var b strings.Builder
		for j := rng.Intn(12); j > 0; j-- {
			b.WriteString([]string{`\`, `1`, `2`, `3`, `4`, `&`, `a`, `é`, `0`, `9`}[rng.Intn(10)])
		}
		fixed = append(fixed, b.String())
	}
	// Long runs of references (where writing skips the empty groups'),
	// broken now and then by a literal.
	for i := 0; i < 500; i++ {
		var b strings.Builder
		for j := rng.Intn(80); j > 0; j-- {
			b.WriteString([]string{`\1`, `\2`, `\3`, `\&`, `\4`, `\2`, `\3`, `\2`, `\3`, `-`}[rng.Intn(10)])
		}
		fixed = append(fixed, b.String())
	}
	for _, repl := range fixed {
		r := ParseReplacement(repl)
		for _, m := range locs {
			want := expandOnce(repl, text, m)
			var b strings.Builder
			r.AppendTo(&b, text, m)
			if b.String() != want || r.Len(m) != int64(len(want)) {
				t.Fatalf("%q at %v: %q (length %d), want %q", repl, m, b.String(), r.Len(m), want)
			}
		}
	}
}

// Measuring a match's expansion does not walk the replacement: a million
// references to a group are counted once, when it is read, and are one
// run of references.
func TestReplacementIsReadOnce(t *testing.T) {
	r := ParseReplacement(strings.Repeat(`\1`, 1_000_000) + "x")
	if len(r.parts) != 2 || r.refs[1] != 1_000_000 || r.lit != 1 {
		t.Fatalf("parts %d, refs %v, lit %d", len(r.parts), r.refs, r.lit)
	}
	if n := r.Len([]int{0, 3, 1, 3}); n != 2_000_001 {
		t.Fatalf("Len = %d, want 2000001", n)
	}
}
