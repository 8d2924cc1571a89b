package regex

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"regexp"
	"slices"
	"strings"
	"testing"

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

// Each must find exactly what Go's FindAll finds, however it searches: a
// search restarted inside the text sees the character before it, whether
// it reads the text directly or through the checking reader.
func TestEachMatchesFindAll(t *testing.T) {
	// PostgreSQL's spelling: \y and \Y are RE2's \b and \B.
	patterns := []string{`a`, `^a`, `(?m)^a`, `\ya`, `\Ya`, `a$`, `(?m)a$`, `x*`, `\y`, `(a)(b)?`, `^`, `(?m)^`,
		`a|^b`, `(?m)(^|,)x`, `\yx\w*`, `é`, `[^a]`}
	texts := []string{"", "a", "aaa", "ab ab", "b a\nab", "x,xx x", "éaé", "a\n\na", "\xffa", ",x"}
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
			want := goRe.FindAllStringSubmatchIndex(text, -1)
			if got := all(t, re, text, 0); !slices.EqualFunc(got, want, slices.Equal[[]int]) {
				t.Errorf("%q on %q: got %v, want %v", p, text, got, want)
			}
		}
	}
	// A long text goes through the checking reader (q{300} makes the
	// automaton large, so that the text need not be).
	long := strings.Repeat("b a\nab"+"x,ab", 30_000)
	for _, p := range []string{`(?m)^a|q{300}`, `\ya|q{300}`, `a|^b|q{300}`, `x*|q{300}`} {
		re := mustCompile(t, p, Flags{Multiline: strings.HasPrefix(p, "(?m)")})
		if re.direct(len(long)) {
			t.Fatalf("%q: a text of %d bytes is searched directly", p, len(long))
		}
		want := regexp.MustCompile(goSpelling(t, p)).FindAllStringSubmatchIndex(long, -1)
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
	// The text before from is invisible: ^ matches at from.
	if got := all(t, re, "xxab", 2); fmt.Sprint(got) != "[[2 3] [3 4]]" {
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
		`a*+`:                     apierror.Unsupported,
		`(?>a)`:                   apierror.Unsupported,
		strings.Repeat("a", 5000): apierror.ResourceLimitExceeded,
		`((a{1000}){1000}){1000}`: apierror.ResourceLimitExceeded,
		`[a-z]{1000}[a-z]{1000}` + strings.Repeat(`[a-z]{1000}`, 30): apierror.ResourceLimitExceeded,
	} {
		if _, err := Compile("TEST", pattern, Flags{}); !apierror.Is(err, code) {
			t.Errorf("%.40q: got %v, want %s", pattern, err, code)
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
