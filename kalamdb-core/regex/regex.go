// Package regex owns the regular expressions of SQL (the ~ operators and
// the regexp_* functions). It runs them on Go's regexp package (RE2), whose
// matching time is linear in the input for a given pattern, instead of a
// backtracking engine such as the query engine's own, where a pattern such
// as (a*)*b takes time exponential in the input.
//
// Invariants:
//   - a pattern is at most MaxPatternBytes long and compiles to at most
//     MaxProgram instructions, so one step over the input is bounded;
//   - a search that could take more than a small fixed amount of work (its
//     input length times the program size) reads its input through a reader
//     that checks the caller's context every few thousand characters, so a
//     cancelled or timed-out statement stops within bounded work, and
//     iterating over many matches checks the context between matches;
//   - what a pattern means does not depend on how the search is carried
//     out: a search from the middle of a text sees the character before it
//     (for ^ in multi-line mode and \b), exactly as Go's FindAll does.
//
// Features that need backtracking (backreferences, lookaround, possessive
// and atomic groups) are refused with UNSUPPORTED when the pattern is
// compiled; a pattern that is not a regular expression at all fails with
// SQL_EXECUTION_ERROR, as PostgreSQL's does at run time.
package regex

import (
	"context"
	"errors"
	"io"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

const (
	// MaxPatternBytes bounds the text of a pattern.
	MaxPatternBytes = 4096
	// MaxProgram bounds the compiled size of a pattern (instructions of
	// the matching automaton); x{1000} alone is a thousand of them.
	MaxProgram = 20_000
	// directSteps is the most work (input bytes times program size) one
	// search may do without checking for cancellation, some tens of
	// milliseconds. Larger searches read their input through a checking
	// reader, which is a few times slower per character and allocates a
	// reader per search.
	directSteps = 1 << 26
	// checkEvery is how many characters a checking reader reads between
	// two looks at the context.
	checkEvery = 4096
)

// Flags are the match options of a pattern.
type Flags struct {
	// CaseInsensitive matches letters regardless of case (i).
	CaseInsensitive bool
	// Multiline makes ^ and $ match at line breaks too (m).
	Multiline bool
	// DotAll makes . match line breaks too (PostgreSQL's default; its
	// n flag turns it off).
	DotAll bool
}

// Regexp is a compiled pattern. It is safe for concurrent use.
type Regexp struct {
	pattern string
	flags   Flags
	// re finds matches in a text from its start; cont finds matches from
	// a position p inside a text, given the text from the character
	// before p (see compile).
	re, cont *regexp.Regexp
	// contextual is set when matches depend on the character before them
	// (^ in multi-line mode, \b, \B, \A): only then is cont needed.
	contextual bool
	// steps is the work per input byte: the size of the automaton.
	steps int
}

// Compile compiles pattern; fn, when not empty, names the function in
// errors. A pattern RE2 cannot run is UNSUPPORTED or SQL_EXECUTION_ERROR
// (see patternError), one over the size bounds RESOURCE_LIMIT_EXCEEDED.
func Compile(fn, pattern string, f Flags) (*Regexp, error) {
	if len(pattern) > MaxPatternBytes {
		return nil, apierror.New(apierror.ResourceLimitExceeded, "%sthe pattern is %d bytes, over the limit of %d", named(fn), len(pattern), MaxPatternBytes)
	}
	mode := syntax.Perl // with OneLine: ^ and $ at the ends of the text
	if f.CaseInsensitive {
		mode |= syntax.FoldCase
	}
	if f.Multiline {
		mode &^= syntax.OneLine
	}
	if f.DotAll {
		mode |= syntax.DotNL
	}
	re2, err := fromPostgres(fn, pattern)
	if err != nil {
		return nil, err
	}
	tree, err := syntax.Parse(re2, mode)
	if err != nil {
		return nil, patternError(fn, pattern, err)
	}
	prog, err := syntax.Compile(tree.Simplify())
	if err != nil {
		return nil, patternError(fn, pattern, err)
	}
	if len(prog.Inst) > MaxProgram {
		return nil, apierror.New(apierror.ResourceLimitExceeded,
			"%sthe pattern compiles to %d instructions, over the limit of %d; use fewer or smaller repetitions", named(fn), len(prog.Inst), MaxProgram)
	}
	r := &Regexp{pattern: pattern, flags: f, steps: len(prog.Inst), contextual: contextual(tree)}
	// The tree prints as a pattern with its flags spelt out, which is what
	// the variants below are built from: pasting the user's text into a
	// larger pattern would let it close our groups.
	if r.re, err = regexp.Compile(tree.String()); err != nil {
		return nil, patternError(fn, pattern, err)
	}
	if r.contextual {
		// \A, one character (the one before the search position), the
		// shortest run of anything, then the pattern as group 1: the
		// leftmost match of the pattern starting after that character,
		// with that character as its context.
		cont := &syntax.Regexp{Op: syntax.OpConcat, Sub: []*syntax.Regexp{
			{Op: syntax.OpBeginText},
			{Op: syntax.OpAnyChar},
			{Op: syntax.OpStar, Flags: syntax.NonGreedy, Sub: []*syntax.Regexp{{Op: syntax.OpAnyChar}}},
			{Op: syntax.OpCapture, Cap: 1, Sub: []*syntax.Regexp{tree}},
		}}
		if r.cont, err = regexp.Compile(cont.String()); err != nil {
			return nil, patternError(fn, pattern, err)
		}
	}
	return r, nil
}

// named is the start of an error about a pattern of function fn: the
// function's name, or nothing for an operator (~), which has none (its
// errors began with a lone colon).
func named(fn string) string {
	if fn == "" {
		return ""
	}
	return fn + ": "
}

func patternError(fn, pattern string, err error) error {
	prefix := named(fn)
	msg := err.Error()
	var se *syntax.Error
	if errors.As(err, &se) {
		switch {
		case se.Code == syntax.ErrLarge || se.Code == syntax.ErrNestingDepth || se.Code == syntax.ErrInvalidRepeatSize:
			return apierror.New(apierror.ResourceLimitExceeded, "%sthe regular expression is too large or too deeply nested: %s", prefix, msg)
		case se.Code == syntax.ErrInvalidEscape && len(se.Expr) == 2 && '0' <= se.Expr[1] && se.Expr[1] <= '9',
			se.Code == syntax.ErrInvalidPerlOp, se.Code == syntax.ErrInvalidRepeatOp,
			se.Code == syntax.ErrInvalidNamedCapture && (strings.HasPrefix(se.Expr, "(?<=") || strings.HasPrefix(se.Expr, "(?<!")):
			// Valid in backtracking engines, never here.
			return apierror.New(apierror.Unsupported, "%sregular expression %q uses %s: backreferences, lookahead, lookbehind, "+
				"possessive and atomic groups are not supported (patterns run in linear time)", prefix, truncate(pattern, 100), se.Expr)
		}
	}
	return apierror.New(apierror.SQLExecutionError, "%sinvalid regular expression %q: %s", prefix, truncate(pattern, 100), msg)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// contextual reports whether t has an operator that looks at the
// character before a position.
func contextual(t *syntax.Regexp) bool {
	switch t.Op {
	case syntax.OpBeginLine, syntax.OpBeginText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	for _, s := range t.Sub {
		if contextual(s) {
			return true
		}
	}
	return false
}

// String is the pattern as written.
func (r *Regexp) String() string { return r.pattern }

// NumSubexp is the number of capture groups of the pattern.
func (r *Regexp) NumSubexp() int { return r.re.NumSubexp() }

// Match reports whether text contains a match.
func (r *Regexp) Match(ctx context.Context, text string) (bool, error) {
	if r.direct(len(text)) {
		return r.re.MatchString(text), nil
	}
	rd := &checkingReader{ctx: ctx, s: text}
	ok := r.re.MatchReader(rd)
	return ok, rd.err
}

// Each calls fn with the location of each successive match in
// text[from:] (byte offsets into text: start, end, then start and end of
// each group, -1 for a group that did not take part), as Go's
// FindAllStringSubmatchIndex on that text would, until fn returns false.
// The text before from is invisible to the pattern, as if text started at
// from. Each checks ctx between matches, and within a long search.
func (r *Regexp) Each(ctx context.Context, text string, from int, fn func(loc []int) bool) error {
	base := text[from:]
	prevEnd := -1
	for pos := 0; pos <= len(base); {
		if err := ctx.Err(); err != nil {
			return err
		}
		loc, err := r.search(ctx, base, pos)
		if err != nil || loc == nil {
			return err
		}
		accept := true
		if loc[1] == pos {
			// An empty match: never right after the previous match, and
			// the next search starts one character on.
			if loc[0] == prevEnd {
				accept = false
			}
			if pos < len(base) {
				_, w := utf8.DecodeRuneInString(base[pos:])
				pos += w
			} else {
				pos = len(base) + 1
			}
		} else {
			pos = loc[1]
		}
		prevEnd = loc[1]
		if accept {
			for i := range loc {
				if loc[i] >= 0 {
					loc[i] += from
				}
			}
			if !fn(loc) {
				return nil
			}
		}
	}
	return nil
}

// search finds the leftmost match in text that starts at or after pos,
// seeing text[:pos] as context.
func (r *Regexp) search(ctx context.Context, text string, pos int) ([]int, error) {
	if pos == 0 || !r.contextual {
		loc, err := r.find(ctx, r.re, text[pos:])
		shift(loc, pos)
		return loc, err
	}
	_, w := utf8.DecodeLastRuneInString(text[:pos])
	from := pos - w
	loc, err := r.find(ctx, r.cont, text[from:])
	if loc == nil || err != nil {
		return nil, err
	}
	// Drop the whole match of the variant: group 1 is the pattern's.
	loc = loc[2:]
	shift(loc, from)
	return loc, nil
}

func (r *Regexp) find(ctx context.Context, re *regexp.Regexp, text string) ([]int, error) {
	if r.direct(len(text)) {
		return re.FindStringSubmatchIndex(text), nil
	}
	rd := &checkingReader{ctx: ctx, s: text}
	loc := re.FindReaderSubmatchIndex(rd)
	return loc, rd.err
}

func shift(loc []int, by int) {
	for i := range loc {
		if loc[i] >= 0 {
			loc[i] += by
		}
	}
}

// direct reports whether a search of n bytes is small enough to run
// without looking at the context.
func (r *Regexp) direct(n int) bool {
	return n <= directSteps/max(r.steps, 1)
}

// checkingReader reads a string rune by rune for Go's regexp and ends the
// input early when the context is done; the search's answer is then
// discarded in favour of err.
type checkingReader struct {
	ctx context.Context
	s   string
	i   int
	n   int
	err error
}

func (c *checkingReader) ReadRune() (rune, int, error) {
	if c.i >= len(c.s) {
		return 0, 0, io.EOF
	}
	c.n++
	if c.n%checkEvery == 0 {
		if err := c.ctx.Err(); err != nil {
			c.err, c.i = err, len(c.s)
			return 0, 0, io.EOF
		}
	}
	r, w := utf8.DecodeRuneInString(c.s[c.i:])
	c.i += w
	return r, w, nil
}
