package regex

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

func mustCompile(t *testing.T, pattern string, f Flags) *Regexp {
	t.Helper()
	re, err := Compile("TEST", pattern, f)
	if err != nil {
		t.Fatalf("%s: %v", pattern, err)
	}
	return re
}

func all(t *testing.T, re *Regexp, text string, from int) [][]int {
	t.Helper()
	var out [][]int
	if err := re.Each(context.Background(), text, from, func(loc []int) bool {
		out = append(out, slices.Clone(loc))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// pgAll is every match of the pattern p (in Go's spelling) in text as
// PostgreSQL finds them, found the slow way: the preferred match at each
// position in turn, by the pattern anchored there with the character
// before it as context; each search starts where the previous match
// ended, a character further when it was empty.
func pgAll(p, text string) [][]int {
	at0 := regexp.MustCompile(`\A(?:` + p + `)`)
	at1 := regexp.MustCompile(`\A(?s:.)(?:` + p + `)`)
	matchAt := func(pos int) []int {
		if pos == 0 {
			return at0.FindReaderSubmatchIndex(strings.NewReader(text))
		}
		_, w := utf8.DecodeLastRuneInString(text[:pos])
		m := at1.FindReaderSubmatchIndex(strings.NewReader(text[pos-w:]))
		if m == nil {
			return nil
		}
		m[0] = w
		for i := range m {
			if m[i] >= 0 {
				m[i] += pos - w
			}
		}
		return m
	}
	next := func(pos int) int {
		if pos == len(text) {
			return pos + 1
		}
		_, w := utf8.DecodeRuneInString(text[pos:])
		return pos + w
	}
	var out [][]int
	for pos := 0; pos <= len(text); {
		var m []int
		for j := pos; j <= len(text) && m == nil; j = next(j) {
			m = matchAt(j)
		}
		if m == nil {
			break
		}
		out = append(out, m)
		if pos = m[1]; m[0] == m[1] {
			pos = next(pos)
		}
	}
	return out
}

// Each finds what PostgreSQL finds, however it searches: a search
// restarted inside the text sees the character before it, whether it
// reads the text directly or through the checking reader. Where no match
// can be empty, that is also what Go's FindAll finds.
func TestEachMatchesPostgres(t *testing.T) {
	// PostgreSQL's spelling: \y and \Y are RE2's \b and \B.
	patterns := []string{`a`, `^a`, `(?m)^a`, `\ya`, `\Ya`, `a$`, `(?m)a$`, `x*`, `\y`, `(a)(b)?`, `^`, `(?m)^`,
		`a|^b`, `(?m)(^|,)x`, `\yx\w*`, `é`, `[^a]`, `a*`, `b*|a`, `(?m)$`, `a?`}
	canBeEmpty := map[string]bool{`x*`: true, `\y`: true, `^`: true, `(?m)^`: true, `a*`: true, `b*|a`: true, `(?m)$`: true, `a?`: true}
	texts := []string{"", "a", "aaa", "ab ab", "b a\nab", "x,xx x", "éaé", "a\n\na", "\xffa", ",x", "baaac", "aab\nb"}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 30; i++ {
		var b strings.Builder
		for j := 0; j < rng.Intn(40); j++ {
			b.WriteByte("ab x,\n"[rng.Intn(6)])
		}
		texts = append(texts, b.String())
	}
	for _, p := range patterns {
		re := mustCompile(t, p, Flags{Multiline: strings.HasPrefix(p, "(?m)")})
		goRe := regexp.MustCompile(goSpelling(t, p))
		for _, text := range texts {
			want := pgAll(goSpelling(t, p), text)
			got := all(t, re, text, 0)
			if !slices.EqualFunc(got, want, slices.Equal[[]int]) {
				t.Errorf("%q on %q: got %v, want %v", p, text, got, want)
			}
			if goAll := goRe.FindAllStringSubmatchIndex(text, -1); !canBeEmpty[p] && !slices.EqualFunc(got, goAll, slices.Equal[[]int]) {
				t.Errorf("%q on %q: got %v, Go's FindAll %v", p, text, got, goAll)
			}
		}
	}
	// PostgreSQL's count of 'a*' in 'baaac': at 0, 1 to 4, 4 and 5.
	if got := all(t, mustCompile(t, `a*`, Flags{}), "baaac", 0); fmt.Sprint(got) != "[[0 0] [1 4] [4 4] [5 5]]" {
		t.Errorf("a* on baaac: %v", got)
	}
	// A long text goes through the checking reader (q{1000} makes the
	// automaton large, so that the text need not be).
	long := strings.Repeat("b a\nab"+"x,ab"+strings.Repeat("z", 40), 1_500)
	for _, p := range []string{`(?m)^a|q{1000}`, `\ya|q{1000}`, `a|^b|q{1000}`, `x+|q{1000}`, `x*|q{1000}`} {
		re := mustCompile(t, p, Flags{Multiline: strings.HasPrefix(p, "(?m)")})
		if re.direct(len(long)) {
			t.Fatalf("%q: a text of %d bytes is searched directly", p, len(long))
		}
		// Only x* matches empty texts, where PostgreSQL and Go differ
		// (and the slow way is slow over a long text).
		want := regexp.MustCompile(goSpelling(t, p)).FindAllStringSubmatchIndex(long, -1)
		if strings.HasPrefix(p, "x*") {
			// The text has no q: x* alone matches the same, and its
			// automaton is small.
			want = pgAll(`x*`, long)
		}
		if got := all(t, re, long, 0); !slices.EqualFunc(got, want, slices.Equal[[]int]) {
			t.Errorf("%q on a long text: %d matches, want %d", p, len(got), len(want))
		}
	}
}

// goSpelling is p in Go's (RE2's) spelling.
func goSpelling(t *testing.T, p string) string {
	t.Helper()
	re2, err := fromPostgres("", p)
	if err != nil {
		t.Fatal(err)
	}
	return re2
}

// TestPostgresEscapes: an escape means what it means in PostgreSQL, where
// it differs from Perl's (RE2's): \b is a backspace, \B a backslash, \y and
// \Y the word boundaries, \Z the end; \m and \M are refused, naming \y.
func TestPostgresEscapes(t *testing.T) {
	cases := []struct {
		pattern, text string
		want          bool
	}{
		{`a\b`, "a b", false},
		{`a\b`, "a\bb", true},
		{`a\bb`, "a\bb", true},
		{`a\Bb`, "ab", false},
		{`a\Bb`, `a\b`, true},
		{`[\b]`, "\b", true},
		{`[\b]`, "b", false},
		{`[\B]`, `\`, true},
		{`a\y`, "a b", true},
		{`a\y`, "ab", false},
		{`a\Yb`, "ab", true},
		{`a\Yb`, "a b", false},
		{`a\Z`, "ba", true},
		{`a\Z`, "ab", false},
		{`\\b`, `\b`, true},   // an escaped backslash, then b
		{`\\y`, `\y`, true},   // not a boundary
		{`[]\y]`, "]", false}, // \y is no escape in a class: refused below
	}
	for _, c := range cases[:len(cases)-1] {
		re, err := Compile("", c.pattern, Flags{})
		if err != nil {
			t.Errorf("%q: %v", c.pattern, err)
			continue
		}
		got, err := re.Match(context.Background(), c.text)
		if err != nil || got != c.want {
			t.Errorf("%q ~ %q: %v %v, want %v", c.text, c.pattern, got, err, c.want)
		}
	}
	if _, err := Compile("", `[]\y]`, Flags{}); apierror.CodeOf(err) != apierror.SQLExecutionError {
		t.Errorf(`[]\y]: %v, want SQL_EXECUTION_ERROR`, err)
	}
	for _, p := range []string{`\mfoo`, `foo\M`} {
		_, err := Compile("regexp_like", p, Flags{})
		if apierror.CodeOf(err) != apierror.Unsupported || !strings.Contains(err.Error(), `\y`) {
			t.Errorf("%q: %v, want UNSUPPORTED naming \\y", p, err)
		}
	}
	// A class name is copied whole, and an escape after it is still read.
	if re, err := Compile("", `[[:alpha:]\b]`, Flags{}); err != nil {
		t.Error(err)
	} else if ok, _ := re.Match(context.Background(), "\b"); !ok {
		t.Error(`[[:alpha:]\b] does not match a backspace`)
	}
}

func TestEachFromPosition(t *testing.T) {
	re := mustCompile(t, `^a|b`, Flags{})
	// The text before from is context: ^ does not match at from.
	if got := all(t, re, "xxab", 2); fmt.Sprint(got) != "[[3 4]]" {
		t.Fatalf("from 2: %v", got)
	}
}

func TestFlags(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		pattern, text string
		f             Flags
		want          bool
	}{
		{"abc", "ABC", Flags{}, false},
		{"abc", "ABC", Flags{CaseInsensitive: true}, true},
		{"a.b", "a\nb", Flags{}, false},
		{"a.b", "a\nb", Flags{DotAll: true}, true},
		{"^b", "a\nb", Flags{}, false},
		{"^b", "a\nb", Flags{Multiline: true}, true},
		{"", "anything", Flags{}, true}, // PostgreSQL: '' matches every text
	} {
		got, err := mustCompile(t, c.pattern, c.f).Match(ctx, c.text)
		if err != nil || got != c.want {
			t.Errorf("%q ~ %q (%+v) = %v, %v; want %v", c.text, c.pattern, c.f, got, err, c.want)
		}
	}
}

func TestCompileRefusals(t *testing.T) {
	for pattern, code := range map[string]apierror.Code{
		`(`:                       apierror.SQLExecutionError,
		`a\q`:                     apierror.SQLExecutionError,
		`(a)\1`:                   apierror.Unsupported,
		`a(?=b)`:                  apierror.Unsupported,
		`a(?!b)`:                  apierror.Unsupported,
		`(?<=a)b`:                 apierror.Unsupported,
		`a*+`:                     apierror.SQLExecutionError, // PostgreSQL has no possessive
		`(?>a)`:                   apierror.SQLExecutionError, // nor atomic groups
		strings.Repeat("a", 5000): apierror.ResourceLimitExceeded,
		`((a{1000}){1000}){1000}`: apierror.ResourceLimitExceeded,
		`[a-z]{1000}[a-z]{1000}` + strings.Repeat(`[a-z]{1000}`, 30): apierror.ResourceLimitExceeded,
	} {
		if _, err := Compile("TEST", pattern, Flags{}); !apierror.Is(err, code) {
			t.Errorf("%.40q: got %v, want %s", pattern, err, code)
		}
	}
}

// A pattern that is no regular expression fails with PostgreSQL 15's
// message (checked against psql), never Go's regexp/syntax text, and
// names neither the function nor the pattern, as PostgreSQL does.
func TestCompileErrorsArePostgres(t *testing.T) {
	for pattern, want := range map[string]string{
		`(`:          "parentheses () not balanced",
		`a)`:         "parentheses () not balanced",
		`(?:a`:       "parentheses () not balanced",
		`[a`:         "brackets [] not balanced",
		`[[:alpha:]`: "brackets [] not balanced",
		`*a`:         "quantifier operand invalid",
		`a|*b`:       "quantifier operand invalid",
		`a**`:        "quantifier operand invalid",
		`a*+`:        "quantifier operand invalid",
		`a{2}{3}`:    "quantifier operand invalid",
		`(?>a)`:      "quantifier operand invalid",
		`a{2,1}`:     "invalid repetition count(s)",
		`a{1001}`:    "invalid repetition count(s)",
		`a\`:         `invalid escape \ sequence`,
		`a\q`:        `invalid escape \ sequence`,
		`\p{Foo}`:    `invalid escape \ sequence`,
		`[b-a]`:      "invalid character range",
		`[[:foo:]]`:  "invalid character class",
		`(?z)a`:      "invalid embedded option",
	} {
		_, err := Compile("regexp_like", pattern, Flags{})
		e, ok := apierror.As(err)
		if !ok || e.Code != apierror.SQLExecutionError || e.Message != "invalid regular expression: "+want {
			t.Errorf("%q: got %v, want SQL_EXECUTION_ERROR %q", pattern, err, "invalid regular expression: "+want)
		}
	}
}

// A search too large to do at once stops when its context ends, instead of
// running to the end of its input.
func TestLongSearchStopsOnCancel(t *testing.T) {
	re := mustCompile(t, `(a|b|c|d|e|f|g|h){1,100}z`, Flags{})
	text := strings.Repeat("a", 8<<20)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := re.Match(ctx, text); !errors.Is(err, context.Canceled) {
		t.Fatalf("Match: %v, want context.Canceled", err)
	}
	err := re.Each(ctx, text, 0, func([]int) bool { return true })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Each: %v, want context.Canceled", err)
	}
	// A small one is answered directly.
	if ok, err := mustCompile(t, "a", Flags{}).Match(ctx, "a"); !ok || err != nil {
		t.Fatalf("small search: %v %v", ok, err)
	}
}

// Each finds what Go's FindAll finds (what PostgreSQL finds, for a pattern
// that matches an empty text) whichever way it runs a search: as a
// string (on Go's backtracker or its automaton), through the checking
// reader, after skipping to a literal prefix, or by the prefix alone.
// Texts of every length up to past the backtracker's reach, so that the
// searches after each match move from one way to another.
func TestEachMatchesFindAllAcrossSearchWays(t *testing.T) {
	patterns := []string{`a`, `ab`, `(a)`, `ab|ac`, `ab[0-9]`, `a$`, `\ya`, `(?m)^ab`, `^ab`, `x*`, `é`, `aé?`,
		`b+`, `(a)(x)?`, `a\y`, `ab|^b`, `[ab]x`, `a|q{40}`}
	rng := rand.New(rand.NewSource(21))
	var texts []string
	// Matches everywhere in short texts, and now and then in long ones
	// (Go's FindAll, the reference, is slow over many matches in a long
	// text, for the reason Each no longer is).
	for _, n := range []int{0, 1, 7, 200, 5000, 70_000} {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString([]string{"a", "b", "x", " ", "ab", "é", "\n", "a0"}[rng.Intn(8)])
			if n > 5000 {
				b.WriteString(strings.Repeat("z", rng.Intn(200)))
			}
		}
		texts = append(texts, b.String())
	}
	texts = append(texts, strings.Repeat("a", 4_000), strings.Repeat("ab", 2_000))
	for _, p := range patterns {
		re := mustCompile(t, p, Flags{Multiline: strings.HasPrefix(p, "(?m)")})
		goRe := regexp.MustCompile(goSpelling(t, p))
		canBeEmpty := p == `x*`
		for _, text := range texts {
			want := goRe.FindAllStringSubmatchIndex(text, -1)
			if canBeEmpty {
				want = pgAll(goSpelling(t, p), text)
			}
			if got := all(t, re, text, 0); !slices.EqualFunc(got, want, slices.Equal[[]int]) {
				t.Errorf("%q on a text of %d bytes: %d matches, want %d", p, len(text), len(got), len(want))
			}
		}
	}
	// A literal pattern is found by its text alone; one with a group, or
	// one that looks around it, is not.
	for p, literal := range map[string]bool{`ab`: true, `(ab)`: false, `ab$`: false, `\yab`: false, `^ab`: false, `ab|ac`: false} {
		if got := mustCompile(t, p, Flags{}).literal; got != literal {
			t.Errorf("%q: literal %v, want %v", p, got, literal)
		}
	}
	if re := mustCompile(t, `ab`, Flags{CaseInsensitive: true}); re.prefix != "" {
		t.Errorf("ab without regard to case has the literal prefix %q", re.prefix)
	}
}

// allocatedBy is how many bytes f allocated.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Each over a text with a match at every character allocates a bounded
// amount a match, whatever the length of the text. It searched again from
// each match on a string, which Go's regexp runs, below a quarter million
// bits of program per byte, on a backtracker that takes a 32 KiB bit set
// from a pool and clears as much of it as the rest of the text (matches
// times text in all); every search that found the pool empty allocated
// the set again. The race detector drops a quarter of what a pool is
// given (make test runs under it): about 9 KiB a match. Without it, a
// pool is rarely empty, and Each allocates a few dozen bytes a match (its
// answer); under it, the automaton Each now runs instead allocates its
// queues (5 KiB) when its pool is empty: 2 to 4 KiB a match.
func TestEachAllocatesLinearly(t *testing.T) {
	text := strings.Repeat("a", 20_000)
	for _, p := range []string{`a`, `(a)`, `a|x`, `[ab]`, `\ya|a`} {
		re := mustCompile(t, p, Flags{})
		n := 0
		got := allocatedBy(func() {
			if err := re.Each(context.Background(), text, 0, func([]int) bool { n++; return true }); err != nil {
				t.Fatal(err)
			}
		})
		if n != len(text) {
			t.Fatalf("%q: %d matches, want %d", p, n, len(text))
		}
		t.Logf("%q: %d matches, %d bytes allocated (%d a match)", p, n, got, got/uint64(n))
		if got > 6<<10*uint64(n) {
			t.Errorf("%q: %d matches allocated %d MiB, over 6 KiB a match", p, n, got>>20)
		}
	}
}

// BenchmarkEachDense is Each over texts with a match at every character,
// of lengths across the ways a search runs.
func BenchmarkEachDense(b *testing.B) {
	for _, p := range []string{`a`, `a|x`, `(a)`, `[a-z]b`} {
		re, err := Compile("", p, Flags{})
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range []int{200, 5_000, 50_000, 500_000} {
			text := strings.Repeat("ab", n/2)
			b.Run(fmt.Sprintf("%s/%d", p, n), func(b *testing.B) {
				b.SetBytes(int64(n))
				for range b.N {
					if err := re.Each(context.Background(), text, 0, func([]int) bool { return true }); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
