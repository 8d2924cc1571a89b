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
//   - iterating over the matches of a text (Each) costs time and memory
//     linear in the text plus the matches: no search costs more than a
//     small constant beyond the characters it reads. Go's regexp runs a
//     string shorter than a quarter million bits of its program on a
//     backtracker that first clears (and, when its pool is empty,
//     allocates) a bit set as large as the whole string, so searching
//     again after each match cost the rest of the text per match: 20,000
//     matches of 'a' in a 20,000-character text cleared about 125 MB, and
//     allocated a 32 KiB set per search that found the pool empty (a
//     quarter of them under the race detector, which drops what pools are
//     given: regexp_replace over three such rows allocated 1,067 MiB).
//     Such searches read their text through the reader instead (Go's
//     automaton then reads only up to where the match ends), and a
//     pattern's literal prefix is found with strings.Index first (a
//     literal pattern needs nothing else);
//   - successive matches are PostgreSQL's (see Each), not Go's FindAll's;
//   - what a pattern means does not depend on how the search is carried
//     out: a search from the middle of a text sees the character before it
//     (for ^ in multi-line mode and \b), exactly as Go's FindAll does.
//
// Features of PostgreSQL's regular expressions that need backtracking
// (backreferences, lookaround) are refused with UNSUPPORTED when the
// pattern is compiled; a pattern that is not a regular expression at all
// (possessive and atomic groups included, which PostgreSQL has not either)
// fails with SQL_EXECUTION_ERROR and PostgreSQL's message, as PostgreSQL's
// does at run time.
package regex

import (
	"context"
	"errors"
	"io"
	"regexp"
	"regexp/syntax"
	"strconv"
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
	// smallSearch is the most input bytes times program size that Each
	// hands to Go's regexp as a string when Go would run it on its
	// backtracker: the bit set that backtracker clears first is then at
	// most 2 KiB, a cost comparable to the search's own.
	smallSearch = 1 << 14
	// goBacktrackProg and goBacktrackBits are Go's regexp's bounds on its
	// backtracker (maxBacktrackProg, maxBacktrackVector in its
	// backtrack.go): a program of at most goBacktrackProg instructions
	// over a string of fewer than goBacktrackBits/instructions bytes runs
	// on it. Were they to change, searches would stay correct and only
	// the choice of the way to run them would be off.
	goBacktrackProg = 500
	goBacktrackBits = 256 * 1024
	// InstructionBytes is about the memory one instruction of a compiled
	// pattern holds (Go's regexp keeps the program, and a one-pass copy
	// of it when the pattern allows one): a pattern of 16,000
	// instructions measured 36 bytes each, 64 leaves room for small
	// character classes.
	InstructionBytes = 64
	// ClassRuneBytes is about the memory one rune of a character class's
	// ranges holds, counted once per class written in the pattern: a
	// Unicode class such as \w is some 1,500 runes, kept by the program
	// and again by the parse of the pattern's printed form (a pattern of
	// 2,000 \w kept 27 MB, 8.6 bytes a rune).
	ClassRuneBytes = 12
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
	// steps is the work per input byte: the size of the automaton;
	// contSteps that of cont.
	steps, contSteps int
	// bytes is about the memory the compiled pattern keeps (Bytes).
	bytes int64
	// prefix is a literal text every match starts with ("" when there is
	// none); literal is set when a match is exactly prefix, wherever it
	// is found (no groups, nothing that looks around it).
	prefix  string
	literal bool
}

// Compile compiles pattern; fn, when not empty, names the function in
// errors. A pattern RE2 cannot run is UNSUPPORTED or SQL_EXECUTION_ERROR
// (see patternError), one over the size bounds RESOURCE_LIMIT_EXCEEDED.
func Compile(fn, pattern string, f Flags) (*Regexp, error) {
	return CompileWithin(fn, pattern, f, nil)
}

// CompileWithin is Compile that first asks hold (nil: nobody) for the
// memory the compiled pattern will keep, Bytes, and fails with hold's
// error without building it: a pattern is at most MaxProgram
// instructions, but a statement may hold any number of them (a thousand
// patterns, 59 kB of SQL, held 2.8 GB).
func CompileWithin(fn, pattern string, f Flags, hold func(bytes int64) error) (*Regexp, error) {
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
	// The variant that looks behind (contSteps, not known yet) is the
	// pattern and a few instructions more.
	r.bytes = int64(r.steps)*InstructionBytes + classRunes(prog)*ClassRuneBytes
	if r.contextual {
		r.bytes = 2*r.bytes + 8*InstructionBytes
	}
	r.bytes += int64(len(pattern))
	if hold != nil {
		if err := hold(r.bytes); err != nil {
			return nil, err
		}
	}
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
		contProg, err := syntax.Compile(cont.Simplify())
		if err != nil {
			return nil, patternError(fn, pattern, err)
		}
		r.contSteps = len(contProg.Inst)
	}
	prefix, complete := r.re.LiteralPrefix()
	r.prefix = prefix
	r.literal = complete && prefix != "" && !r.contextual && r.re.NumSubexp() == 0
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
	var se *syntax.Error
	if !errors.As(err, &se) {
		return apierror.Wrap(apierror.SQLExecutionError, err, "invalid regular expression")
	}
	switch {
	case se.Code == syntax.ErrLarge || se.Code == syntax.ErrNestingDepth ||
		se.Code == syntax.ErrInvalidRepeatSize && validRepeat(se.Expr):
		// A repetition whose own count is valid is refused for the
		// repetitions around it (their product is over 1000).
		return apierror.Wrap(apierror.ResourceLimitExceeded, err, prefix+"the regular expression is too large or too deeply nested")
	case se.Code == syntax.ErrInvalidEscape && len(se.Expr) == 2 && '0' <= se.Expr[1] && se.Expr[1] <= '9',
		se.Code == syntax.ErrInvalidPerlOp && (strings.HasPrefix(se.Expr, "(?=") || strings.HasPrefix(se.Expr, "(?!")),
		se.Code == syntax.ErrInvalidNamedCapture && (strings.HasPrefix(se.Expr, "(?<=") || strings.HasPrefix(se.Expr, "(?<!")):
		// Valid in PostgreSQL, which backtracks; never here.
		return apierror.Wrap(apierror.Unsupported, err, apierror.Format("%sregular expression %q uses %s: backreferences, lookahead "+
			"and lookbehind are not supported (patterns run in linear time)", prefix, truncate(pattern, 100), se.Expr))
	}
	return apierror.Wrap(apierror.SQLExecutionError, err, "invalid regular expression: "+postgresReason(se))
}

// postgresReason is PostgreSQL's words (its regerrs.h) for what RE2's
// parser refused: PostgreSQL names neither the function nor the pattern,
// and a client that handles its messages must see the same here.
func postgresReason(se *syntax.Error) string {
	switch se.Code {
	case syntax.ErrMissingParen, syntax.ErrUnexpectedParen:
		return "parentheses () not balanced"
	case syntax.ErrMissingBracket:
		return "brackets [] not balanced"
	case syntax.ErrMissingRepeatArgument, syntax.ErrInvalidRepeatOp:
		// a**, a*+ (possessive) and {2}{3}: PostgreSQL quantifies only
		// an atom.
		return "quantifier operand invalid"
	case syntax.ErrInvalidRepeatSize:
		return "invalid repetition count(s)"
	case syntax.ErrTrailingBackslash, syntax.ErrInvalidEscape:
		return `invalid escape \ sequence`
	case syntax.ErrInvalidCharClass:
		return "invalid character class"
	case syntax.ErrInvalidCharRange:
		switch {
		case strings.HasPrefix(se.Expr, "[:"):
			return "invalid character class" // [[:foo:]]
		case strings.HasPrefix(se.Expr, `\p`), strings.HasPrefix(se.Expr, `\P`):
			return `invalid escape \ sequence` // PostgreSQL has no \p{...}
		}
		return "invalid character range"
	case syntax.ErrInvalidPerlOp:
		if strings.HasPrefix(se.Expr, "(?>") {
			return "quantifier operand invalid" // as PostgreSQL reads an atomic group
		}
		return "invalid embedded option"
	case syntax.ErrInvalidNamedCapture:
		return "invalid embedded option"
	case syntax.ErrInvalidUTF8:
		return "invalid UTF-8"
	}
	return "invalid regexp"
}

// validRepeat reports whether repetition op ({n}, {n,} or {n,m}) has
// counts RE2 takes on their own: at most 1000, the smaller first.
func validRepeat(op string) bool {
	inner, ok := strings.CutPrefix(op, "{")
	if inner, ok = strings.CutSuffix(inner, "}"); !ok {
		return false
	}
	lo, hi, comma := strings.Cut(inner, ",")
	least, err := strconv.Atoi(lo)
	if err != nil || least < 0 || least > 1000 {
		return false
	}
	if !comma || hi == "" {
		return true
	}
	most, err := strconv.Atoi(hi)
	return err == nil && most >= least && most <= 1000
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

// Size is about the instructions the compiled pattern holds (its variants
// included): what a cache of patterns weighs them by.
func (r *Regexp) Size() int { return r.steps + r.contSteps }

// Bytes is about the memory r keeps, what CompileWithin charged for it.
func (r *Regexp) Bytes() int64 { return r.bytes }

// Match reports whether text contains a match.
func (r *Regexp) Match(ctx context.Context, text string) (bool, error) {
	if r.direct(len(text)) {
		return r.re.MatchString(text), nil
	}
	rd := &checkingReader{ctx: ctx, s: text}
	ok := r.re.MatchReader(rd)
	return ok, rd.err
}

// Each calls fn with the location of each successive match that starts
// at or after the byte offset from (byte offsets into text: start, end,
// then start and end of each group, -1 for a group that did not take
// part), until fn returns false. The text before from is context, as for
// PostgreSQL's start position (regexp_count(s, p, start)): ^ does not
// match at from unless from is 0 (or after a newline in multi-line mode). Matches follow one another as PostgreSQL's
// regexp_replace and regexp_count find them: each search starts where the
// previous match ended, one character further when that match was empty.
// So an empty match right after a non-empty one counts (Go's FindAll
// skips it): 'a*' matches 'baaac' four times, at 0, 1 to 4, 4 and 5.
// Each checks ctx between matches, and within a long search.
func (r *Regexp) Each(ctx context.Context, text string, from int, fn func(loc []int) bool) error {
	base := text
	s := &searcher{r: r, rd: checkingReader{ctx: ctx}}
	for pos := from; pos <= len(base); {
		if err := ctx.Err(); err != nil {
			return err
		}
		loc, err := s.search(base, pos)
		if err != nil || loc == nil {
			return err
		}
		pos = loc[1]
		if loc[0] == loc[1] {
			if pos < len(base) {
				_, w := utf8.DecodeRuneInString(base[pos:])
				pos += w
			} else {
				pos++
			}
		}
		if !fn(loc) {
			return nil
		}
	}
	return nil
}

// searcher is the state of one Each: the checking reader its searches
// share, so that a search allocates nothing but its answer.
type searcher struct {
	r  *Regexp
	rd checkingReader
}

// search finds the leftmost match in text that starts at or after pos,
// seeing text[:pos] as context.
func (s *searcher) search(text string, pos int) ([]int, error) {
	r := s.r
	if r.prefix != "" {
		// No match starts before the next occurrence of the prefix.
		i := strings.Index(text[pos:], r.prefix)
		if i < 0 {
			return nil, nil
		}
		pos += i
		if r.literal {
			return []int{pos, pos + len(r.prefix)}, nil
		}
	}
	if pos == 0 || !r.contextual {
		loc, err := s.find(r.re, r.steps, text[pos:])
		shift(loc, pos)
		return loc, err
	}
	_, w := utf8.DecodeLastRuneInString(text[:pos])
	from := pos - w
	loc, err := s.find(r.cont, r.contSteps, text[from:])
	if loc == nil || err != nil {
		return nil, err
	}
	// Drop the whole match of the variant: group 1 is the pattern's.
	loc = loc[2:]
	shift(loc, from)
	return loc, nil
}

// find runs re (a program of steps instructions) over text: as a string
// when Go's regexp reads only what the search needs or the text is
// small, else through the checking reader (see eachDirect).
func (s *searcher) find(re *regexp.Regexp, steps int, text string) ([]int, error) {
	if eachDirect(len(text), steps) {
		return re.FindStringSubmatchIndex(text), nil
	}
	s.rd.s, s.rd.i = text, 0
	loc := re.FindReaderSubmatchIndex(&s.rd)
	return loc, s.rd.err
}

// eachDirect reports whether one of Each's searches, over n bytes with a
// program of steps instructions, may be handed to Go's regexp as a
// string. Not when it is too long to run without looking at the context
// (directSteps), nor when Go would run it on its backtracker and that
// would clear more than smallSearch bits: Each searches again after
// every match, and each of those searches would clear a bit for every
// instruction and byte of the rest of the text, matches times text in
// all. Through a reader Go runs its automaton, which reads only up to
// where the match ends. Over a string too long for the backtracker, it
// runs the same automaton, and finds a literal prefix faster.
func eachDirect(n, steps int) bool {
	steps = max(steps, 1)
	switch {
	case n > directSteps/steps:
		return false
	case n <= smallSearch/steps, steps > goBacktrackProg, n >= goBacktrackBits/steps:
		return true
	default:
		return false
	}
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

// classRunes is the runes of the character classes of prog, each class
// counted once: a class repeated by a count ({n}) is one class that n
// instructions share, while each class written out is one more copy (and
// a Unicode class, \w or [:alpha:], is some 1,500 runes).
func classRunes(prog *syntax.Prog) int64 {
	seen := map[*rune]bool{}
	var n int64
	for i := range prog.Inst {
		rs := prog.Inst[i].Rune
		if len(rs) == 0 || seen[&rs[0]] {
			continue
		}
		seen[&rs[0]] = true
		n += int64(len(rs))
	}
	return n
}
