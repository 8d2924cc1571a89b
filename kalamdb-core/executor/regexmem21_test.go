package executor_test

import (
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// regexp_replace with flag g over a text with a match at every character
// allocates a bounded amount a match. Each search after a match ran on Go's
// backtracker, which clears a 32 KiB bit set as far as the rest of the
// text, and allocates it when its pool is empty; the race detector (make
// test) drops a quarter of what pools are given, and three rows of 20,000
// matches allocated 1,067 MiB there (18 KiB a match, two searches each),
// none of it charged to the statement. Now the searches that would clear
// more than 2 KiB run on Go's automaton through a reader, and a literal
// pattern is found by its text alone: 3 MiB for 'a', and 325 to 416 MiB
// under the race detector for patterns that need the automaton (its
// queues, when its pool is empty); without the detector all take 3 to 5
// MiB.
func TestRegexpReplaceAllocatesLinearly(t *testing.T) {
	e := newEnvWithMemory(t, 32<<20, memory.NewAccount(1<<30))
	alice := e.as("alice", systable.RoleUser)
	for _, c := range []struct{ pattern, repl, want string }{
		{"a", "bbbbbbbbbbbbbbbb", "320000"},
		{"(a)", `\1\1bbbbbbbbbbbbbb`, "320000"},
		{"a|x", `b\&bbbbbbbbbbbbbb`, "320000"},
		{"", "-", "40001"},
	} {
		q := fmt.Sprintf("SELECT max(length(regexp_replace(repeat('a', 20000), '%s', '%s', 'g'))) FROM generate_series(1, 3) g", c.pattern, c.repl)
		var got string
		n := allocatedDuring(func() { got = alice.rows(q) })
		t.Logf("%s: %d KiB allocated", q, n>>10)
		if got != "[["+c.want+"]]" {
			t.Errorf("%s: %s, want %s", q, got, c.want)
		}
		if matches := uint64(60_000); n > 12<<10*matches {
			t.Errorf("%s: allocated %d MiB, over 12 KiB a match", q, n>>20)
		}
	}
}

// A replacement that expands every match is refused past the largest
// value, however it expands: an empty pattern matching at every
// character, a long replacement, or many references to the match (the
// first search measures the result and stops at the limit; see
// TestFunctionsCannotBuildHugeValues for what it allocates).
func TestRegexpReplaceExpansionIsBounded(t *testing.T) {
	e := newEnvWithMemory(t, 32<<20, memory.NewAccount(1<<30))
	alice := e.as("alice", systable.RoleUser)
	for _, q := range []string{
		"SELECT length(regexp_replace(repeat('a', 200000), '', repeat('x', 100), 'g'))",
		"SELECT length(regexp_replace(repeat('é', 400000), '()', repeat('\\1x', 50), 'g'))",
		"SELECT length(regexp_replace(repeat('ab', 100000), 'a(b)', repeat('\\&\\1', 60), 'g'))",
	} {
		alice.failsNaming(apierror.ResourceLimitExceeded, "max_value_bytes", q)
	}
	// References to empty groups write nothing, however many there are.
	if got := alice.rows("SELECT length(regexp_replace(repeat('a', 2000), '()', repeat('\\1', 100000) || '-', 'g'))"); got != `[[4001]]` {
		t.Errorf("empty groups: %s", got)
	}
}

// A statement's time limit stops regular expressions over many rows, and
// within one long search or replacement.
func TestRegexpStopsAtTheTimeLimit(t *testing.T) {
	_, _, alice := newEnvAliceLimited(t)
	for _, q := range []string{
		"SELECT count(*) FROM generate_series(1, 100000000) g WHERE regexp_count(repeat('ab', 50), 'b') = g",
		"SELECT sum(regexp_count(repeat('ab', 1000000) || g, 'b|q{300}')) FROM generate_series(1, 1000) g",
		"SELECT sum(length(regexp_replace(repeat('ab', 1000000) || g, '(a)(b)', '\\2\\1', 'g'))) FROM generate_series(1, 1000) g",
		"SELECT count(*) FROM generate_series(1, 1000) g WHERE (repeat('a', 1000000) || g) ~ '(a|b|c|d|e|f|g|h){1,100}z'",
	} {
		alice.failsNaming(apierror.QueryTimeout, "1s", q)
	}
}

// regexp_replace answers as PostgreSQL 15 does (each answer checked
// against it): group references, the whole match, escaped and stray
// backslashes, flags g and i, empty matches, and text of several bytes a
// character.
func TestRegexpReplaceLikePostgres(t *testing.T) {
	e := newEnv(t)
	alice := e.as("alice", systable.RoleUser)
	for _, c := range []struct {
		q    string
		want any
	}{
		{`SELECT regexp_replace('abcabc', 'b', 'X')`, "aXcabc"},
		{`SELECT regexp_replace('abcabc', 'b', 'X', 'g')`, "aXcaXc"},
		{`SELECT regexp_replace('ABCabc', 'b', 'X', 'gi')`, "AXCaXc"},
		{`SELECT regexp_replace('ABCabc', 'b', 'X', 'i')`, "AXCabc"},
		{`SELECT regexp_replace('abc', '(a)(b)(c)', '\3\2\1')`, "cba"},
		{`SELECT regexp_replace('abc', '(a)(b)(c)', '[\&]')`, "[abc]"},
		{`SELECT regexp_replace('abc', 'b', '\\')`, "a\\c"},
		{`SELECT regexp_replace('abc', 'b', '\q')`, "a\\qc"},
		{`SELECT regexp_replace('abc', 'b', 'x\')`, "ax\\c"},
		{`SELECT regexp_replace('abc', 'b', '\0')`, "a\\0c"},
		{`SELECT regexp_replace('abc', '(b)', '<\2>')`, "a<>c"},
		{`SELECT regexp_replace('abc', '(x)?b', '[\1]')`, "a[]c"},
		{`SELECT regexp_replace('abcd', '(a)|(b)', '<\1\2>', 'g')`, "<a><b>cd"},
		{`SELECT regexp_replace('abc', '', '-', 'g')`, "-a-b-c-"},
		{`SELECT regexp_replace('abc', '', '-')`, "-abc"},
		{`SELECT regexp_replace('abc', 'x*', '-', 'g')`, "-a-b-c-"},
		{`SELECT regexp_replace('aaa', 'a*', '-', 'g')`, "--"},
		{`SELECT regexp_replace('baaac', 'a*', '-', 'g')`, "-b--c-"},
		{`SELECT regexp_replace('baaac', 'a*?', '-', 'g')`, "-b-a-a-a-c-"},
		{`SELECT regexp_replace('héllo wörld', '[éö]', '\&\&', 'g')`, "hééllo wöörld"},
		{`SELECT regexp_replace('日本語', '', '|', 'g')`, "|日|本|語|"},
		{`SELECT regexp_replace('日本語', '本', '\&\&')`, "日本本語"},
		{`SELECT regexp_replace('añb', '(ñ)', '[\1\1]')`, "a[ññ]b"},
		{`SELECT regexp_replace('añb', 'x*', '.', 'g')`, ".a.ñ.b."},
		{`SELECT regexp_replace('a.b.c', '.', '-', 'g')`, "-----"},
		{`SELECT regexp_replace('a' || chr(10) || 'b', '.', '-', 'g')`, "---"},
		{`SELECT regexp_replace('a' || chr(10) || 'b', '.', '-', 'gn')`, "-\n-"},
		{`SELECT regexp_replace('a' || chr(10) || 'b', '^b', 'X')`, "a\nb"},
		{`SELECT regexp_replace('a' || chr(10) || 'b', '^b', 'X', 'n')`, "a\nX"},
		{`SELECT regexp_replace('a' || chr(10) || 'b', 'a$', 'X', 'n')`, "X\nb"},
		{`SELECT regexp_replace('foo bar', '\y', '|', 'g')`, "|foo| |bar|"},
		{`SELECT regexp_replace('foo bar', '\Y', '|', 'g')`, "f|o|o b|a|r"},
		{`SELECT regexp_replace('foo bar', 'o\y', '0', 'g')`, "fo0 bar"},
		{`SELECT regexp_replace('2024-01-02', '(\d+)-(\d+)-(\d+)', '\3/\2/\1')`, "02/01/2024"},
		{`SELECT regexp_replace('abcabc', 'b', '\&\&', 'g')`, "abbcabbc"},
		{`SELECT regexp_replace('Hello World', '(\w+) (\w+)', '\2 \1')`, "World Hello"},
		{`SELECT regexp_replace('aaa', 'a', 'bb', 'g')`, "bbbbbb"},
		{`SELECT regexp_replace('x', 'x', '\\1')`, "\\1"},
		{`SELECT regexp_replace('x', '(x)', '\\\1')`, "\\x"},
		{`SELECT regexp_replace('abab', '(a)(b)', '\2\1\2\1\9', 'g')`, "babababa"},
		{`SELECT regexp_replace('AbAb', 'a', '-', 'ig')`, "-b-b"},
		{`SELECT regexp_replace('', '', 'x', 'g')`, "x"},
		{`SELECT regexp_replace('', 'a*', 'x', 'g')`, "x"},
		{`SELECT regexp_replace('abc', '$', '!', 'g')`, "abc!"},
		{`SELECT regexp_replace('abc', '^', '!', 'g')`, "!abc"},
		{`SELECT regexp_replace('ab' || chr(10) || 'cd', '^', '>', 'gn')`, ">ab\n>cd"},
		{`SELECT regexp_replace('ab' || chr(10) || 'cd', '$', '<', 'gn')`, "ab<\ncd<"},
		{`SELECT regexp_replace('éé', 'é*', '-', 'g')`, "--"},
		{`SELECT regexp_replace('aXbX', 'x', '_', 'gi')`, "a_b_"},
		{`SELECT regexp_replace('a\b', '\\', '/', 'g')`, "a/b"},
		{`SELECT regexp_count('ababab', 'ab')`, 3},
		{`SELECT regexp_count('aaa', '')`, 4},
		{`SELECT regexp_count('baaac', 'a*')`, 4},
		{`SELECT regexp_count('日本語', '.')`, 3},
		{`SELECT regexp_count('abc', 'x*')`, 4},
		{`SELECT regexp_like('ABC', 'b', 'i')`, true},
		{`SELECT regexp_like('ABC', 'b')`, false},
		{`SELECT 'abc' ~ 'B'`, false},
		{`SELECT 'abc' ~* 'B'`, true},
		{`SELECT 'abc' !~ 'B'`, true},
		{`SELECT 'abc' !~* 'B'`, false},
	} {
		if got, want := alice.rows(c.q), mustJSON(t, [][]any{{c.want}}); got != want {
			t.Errorf("%s: %s, want %s", c.q, got, want)
		}
	}
}
