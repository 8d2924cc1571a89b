package engine

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/regex"
)

// Regular expressions (~, ~*, !~, !~*, regexp_replace, regexp_like,
// regexp_count) run on package regex: RE2 syntax, matching in time linear
// in the input whatever the pattern, bounded pattern sizes, and searches
// that stop when their statement does, so no statement can stall the
// server with a pathological pattern. RE2 is PostgreSQL's syntax for the
// common cases; back-references inside a pattern are not supported and
// fail the statement. ILIKE is implemented here too.

// regexCache compiles patterns: once at planning for a constant pattern,
// else once per distinct pattern of a statement (a small cache, bounded
// by its entries and by the size of their programs: a pattern of 4 KB may
// compile to 20,000 instructions, twice that with the variant that looks
// behind, about 50 bytes each, and 65 of them held up to 130 MB).
//
// What it keeps is charged to the statement's budget (and so to the
// server's memory account): each pattern is bounded, but a statement may
// hold any number of them, one per call in its text and a cache per call
// of a pattern that is not constant. A constant pattern is charged to the
// statement that plans it; the cache's patterns to the statement that
// evaluates the call, and given back when the cache is emptied for it.
// A plan kept beyond its statement (a live query's WHERE) is charged for
// what it keeps by its keeper.
type regexCache struct {
	mu    sync.Mutex
	fixed *regex.Regexp
	last  map[regexKey]*regex.Regexp
	// size is the instructions of the programs in last.
	size int
	// chargedTo is the statement last's patterns are charged to, and
	// charged how much: patterns charged to another statement (one that
	// has ended) are dropped rather than given back to the wrong budget.
	chargedTo *sql.Context
	charged   int64
}

// regexKey is a pattern and its flags: a key of two strings, where one
// joined string would copy the pattern on every lookup (once a row).
type regexKey struct{ flags, pattern string }

const (
	// maxCachedRegexps and maxCachedRegexSize bound a regexCache: a
	// pattern that would pass either empties it first.
	maxCachedRegexps   = 64
	maxCachedRegexSize = 4 * regex.MaxProgram
)

// callPlan is what the builds of one call in a statement share. The
// planner rebuilds a call whenever it changes the call's arguments
// (WithChildren), and some of its rules ignore a rebuild's error and go on
// with a nil expression, so what a build keeps is charged once, by the
// first build that keeps it, and a rebuild whose charge is refused keeps
// nothing (a pattern is then compiled when the call is evaluated, where a
// refusal fails the statement).
type callPlan struct {
	// ctx is the statement's (nil: none, nothing is charged).
	ctx *sql.Context
	mu  sync.Mutex
	// patterns are the constant patterns compiled for the call.
	patterns map[regexKey]*regex.Regexp
}

// newRegexCache is the cache of a call (call nil: none, nothing is
// charged). A constant pattern is compiled once per call and charged to
// its statement; when the charge is refused the pattern is left to be
// compiled and charged as the call is evaluated, which fails then (a
// rebuild must not fail for it, see callPlan).
func newRegexCache(call *callPlan, pattern sql.Expression, flags string) (*regexCache, error) {
	c := &regexCache{}
	p, ok := constString(pattern)
	if !ok {
		return c, nil
	}
	if call == nil {
		call = &callPlan{}
	}
	call.mu.Lock()
	defer call.mu.Unlock()
	key := regexKey{flags, p}
	if re := call.patterns[key]; re != nil {
		c.fixed = re
		return c, nil
	}
	re, _, refused, err := compileRegex(call.ctx, p, flags)
	switch {
	case refused:
		return c, nil
	case err != nil:
		return nil, err
	}
	if call.patterns == nil {
		call.patterns = map[regexKey]*regex.Regexp{}
	}
	call.patterns[key] = re
	c.fixed = re
	return c, nil
}

func (c *regexCache) get(ctx *sql.Context, pattern, flags string) (*regex.Regexp, error) {
	if c.fixed != nil {
		return c.fixed, nil
	}
	key := regexKey{flags, pattern}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.chargedTo != ctx {
		c.last, c.size, c.charged, c.chargedTo = nil, 0, 0, ctx
	}
	if re, ok := c.last[key]; ok {
		return re, nil
	}
	re, n, _, err := compileRegex(ctx, pattern, flags)
	if err != nil {
		return nil, err
	}
	if c.last == nil || len(c.last) >= maxCachedRegexps || c.size+re.Size() > maxCachedRegexSize {
		c.empty(ctx)
		c.last = map[regexKey]*regex.Regexp{}
	}
	c.last[key] = re
	c.size += re.Size()
	c.charged += n
	return re, nil
}

// held is about the memory c keeps between evaluations: its constant
// pattern, or as many patterns as it may cache.
func (c *regexCache) held() int64 {
	if c.fixed != nil {
		return c.fixed.Bytes()
	}
	return maxCachedRegexSize * regex.InstructionBytes
}

// empty drops the cached patterns and gives back what they were charged.
func (c *regexCache) empty(ctx *sql.Context) {
	release(ctx, c.charged)
	c.last, c.size, c.charged = nil, 0, 0
}

// compileRegex compiles a pattern with PostgreSQL's flags: i (case
// insensitive), c (case sensitive), s (dot matches newline), n and m
// (newline-sensitive), g is handled by the caller. PostgreSQL's '.'
// matches a newline unless n is given.
//
// The compiled pattern is charged to ctx's statement (nil: none) before it
// is built; charged is how much, refused whether err is the charge's.
func compileRegex(ctx *sql.Context, pattern, flags string) (re *regex.Regexp, charged int64, refused bool, err error) {
	f := regex.Flags{DotAll: true}
	for _, c := range flags {
		switch c {
		case 'i':
			f.CaseInsensitive = true
		case 'c':
			f.CaseInsensitive = false
		case 'n', 'm':
			f.Multiline, f.DotAll = true, false
		case 's':
			f.Multiline, f.DotAll = false, true
		case 'g':
		default:
			// A run-time error in PostgreSQL, like a pattern that does
			// not compile.
			return nil, 0, false, execError("invalid regular expression option: %q", string(c))
		}
	}
	re, err = regex.CompileWithin("", pattern, f, func(bytes int64) error {
		if err := hold(ctx, "a regular expression", bytes); err != nil {
			refused = true
			return err
		}
		charged = bytes
		return nil
	})
	if err != nil {
		release(ctx, charged)
		return nil, 0, refused, err
	}
	return re, charged, false, nil
}

// buildRegexMatch builds the operators ~ ~* !~ !~* (third argument).
func buildRegexMatch(call *callPlan, args []sql.Expression) (*pgFunc, error) {
	if len(args) != 3 {
		return nil, sqlError("a regular expression match takes two operands")
	}
	op, _ := constString(args[2])
	a, err := textArgs(op, args[:2], 0, 1)
	if err != nil {
		return nil, noOperator(args[0], op, args[1])
	}
	flags := ""
	if strings.Contains(op, "*") {
		flags = "i"
	}
	cache, err := newRegexCache(call, a[1], flags)
	if err != nil {
		return nil, err
	}
	negate := strings.HasPrefix(op, "!")
	f := newFunc(append(a, args[2]), boolType, func(ctx *sql.Context, vals []any) (any, error) {
		re, err := cache.get(ctx, str(vals[1]), flags)
		if err != nil {
			return nil, err
		}
		ok, err := re.Match(ctx, str(vals[0]))
		if err != nil {
			return nil, err
		}
		return boolValue(ok != negate), nil
	})
	f.held = cache.held()
	return f, nil
}

func buildRegexpLike(call *callPlan, args []sql.Expression) (*pgFunc, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, noFunction("regexp_like", args)
	}
	a, err := textArgs("regexp_like", args, indexes(0, len(args))...)
	if err != nil {
		return nil, err
	}
	flags, err := constFlags("regexp_like", a, 2)
	if err != nil {
		return nil, err
	}
	if strings.Contains(flags, "g") {
		return nil, sqlError("regexp_like() does not support the \"global\" option")
	}
	cache, err := newRegexCache(call, a[1], flags)
	if err != nil {
		return nil, err
	}
	f := newFunc(a, boolType, func(ctx *sql.Context, vals []any) (any, error) {
		re, err := cache.get(ctx, str(vals[1]), flags)
		if err != nil {
			return nil, err
		}
		ok, err := re.Match(ctx, str(vals[0]))
		if err != nil {
			return nil, err
		}
		return boolValue(ok), nil
	})
	f.held = cache.held()
	return f, nil
}

func buildRegexpCount(call *callPlan, args []sql.Expression) (*pgFunc, error) {
	if len(args) < 2 || len(args) > 4 {
		return nil, noFunction("regexp_count", args)
	}
	a, err := textArgs("regexp_count", args, 0, 1)
	if err == nil && len(a) > 2 {
		a, err = intArgs("regexp_count", a, 2)
	}
	if err == nil && len(a) > 3 {
		a, err = textArgs("regexp_count", a, 3)
	}
	if err != nil {
		return nil, noFunction("regexp_count", args)
	}
	flags, err := constFlags("regexp_count", a, 3)
	if err != nil {
		return nil, err
	}
	if strings.Contains(flags, "g") {
		return nil, execError(`regexp_count() does not support the "global" option`)
	}
	cache, err := newRegexCache(call, a[1], flags)
	if err != nil {
		return nil, err
	}
	f := newFunc(a, intType, func(ctx *sql.Context, vals []any) (any, error) {
		re, err := cache.get(ctx, str(vals[1]), flags)
		if err != nil {
			return nil, err
		}
		s := str(vals[0])
		from, err := startOffset(s, vals, 2)
		if err != nil || from < 0 {
			return int32(0), err
		}
		var n int32
		err = re.Each(ctx, s, from, func([]int) bool { n++; return true })
		return n, err
	})
	f.held = cache.held()
	return f, nil
}

// constFlags is the constant flags argument at i ("" when there is none).
func constFlags(fn string, a []sql.Expression, i int) (string, error) {
	if len(a) <= i {
		return "", nil
	}
	if isNullLiteral(a[i]) {
		// The call is NULL for every row (the function is strict).
		return "", nil
	}
	f, ok := constString(a[i])
	if !ok {
		return "", sqlError("the flags of %s must be constant", fn)
	}
	return f, nil
}

// startOffset is the byte offset in s of the 1-based character position
// vals[i] (PostgreSQL's start argument; 0 when there is none): the end
// for one right after the last character (where an empty match is), -1
// for one further (where nothing is).
func startOffset(s string, vals []any, i int) (int, error) {
	if len(vals) <= i {
		return 0, nil
	}
	start := num(vals[i])
	if start <= 0 {
		return 0, execError(`invalid value for parameter "start": %d`, start)
	}
	off := 0
	for n := int64(1); n < start && off < len(s); n++ {
		_, w := utf8.DecodeRuneInString(s[off:])
		off += w
	}
	if start-1 > int64(utf8.RuneCountInString(s)) {
		return -1, nil
	}
	return off, nil
}

// buildRegexpReplace builds regexp_replace(s, pattern, replacement
// [, flags]) and regexp_replace(s, pattern, replacement, start [, n
// [, flags]]): the first match replaced, every match with flag g (or n 0),
// the n-th from start with n. In the replacement \1..\9 insert a group,
// \& the whole match, \\ a backslash (regex.Replacement), read once when
// it is constant.
func buildRegexpReplace(call *callPlan, args []sql.Expression) (*pgFunc, error) {
	if len(args) < 3 || len(args) > 6 {
		return nil, noFunction("regexp_replace", args)
	}
	// The fourth argument is the flags when it is text (or an untyped
	// literal, which PostgreSQL reads as text), else the start.
	withStart := len(args) > 4 || len(args) == 4 && familyOf(args[3]) == famInt
	a, err := textArgs("regexp_replace", args, 0, 1, 2)
	if err == nil && withStart {
		a, err = intArgs("regexp_replace", a, indexes(3, min(len(a), 5))...)
	}
	if err == nil && (len(a) == 6 || len(a) == 4 && !withStart) {
		a, err = textArgs("regexp_replace", a, len(a)-1)
	}
	if err != nil {
		return nil, noFunction("regexp_replace", args)
	}
	flagsAt := 3
	if withStart {
		flagsAt = 5
	}
	flags, err := constFlags("regexp_replace", a, flagsAt)
	if err != nil {
		return nil, err
	}
	global := strings.Contains(flags, "g")
	cache, err := newRegexCache(call, a[1], flags)
	if err != nil {
		return nil, err
	}
	var fixedRepl *regex.Replacement
	if r, ok := constString(a[2]); ok {
		fixedRepl = regex.ParseReplacement(r)
	}
	f := newFunc(a, textType, func(ctx *sql.Context, vals []any) (any, error) {
		re, err := cache.get(ctx, str(vals[1]), flags)
		if err != nil {
			return nil, err
		}
		repl := fixedRepl
		if repl == nil {
			repl = regex.ParseReplacement(str(vals[2]))
		}
		s := str(vals[0])
		from, nth := 0, int64(1)
		if withStart {
			if from, err = startOffset(s, vals, 3); err != nil {
				return nil, err
			}
			if len(vals) > 4 {
				if nth = num(vals[4]); nth < 0 {
					return nil, execError(`invalid value for parameter "n": %d`, nth)
				}
			} else if global {
				nth = 0
			}
		} else if global {
			nth = 0
		}
		if from < 0 {
			return s, nil
		}
		return regexpReplace(ctx, re, s, repl, from, nth)
	})
	f.held = cache.held()
	return f, nil
}

// regexpReplace replaces the first match of re in s, or every match when
// global, with repl. The size first, then the value: the result is
// measured match by match, and refused past the largest value before it
// is built, in time and memory linear in s and the result. The first
// matches' locations are kept for the second pass; past keptMatches it
// searches again instead: a replacement that shrinks the text never
// passes the value limit, and keeping every location of a one-character
// pattern held about 70 bytes per character of the text, none of it
// charged (a 16 MiB text: over a gigabyte in one call).
//
// From is the byte offset where the search starts; nth 0 replaces every
// match from there, nth k only the k-th.
func regexpReplace(ctx *sql.Context, re *regex.Regexp, s string, repl *regex.Replacement, from int, nth int64) (string, error) {
	var matches [][]int
	count, more := int64(0), false
	size, limit := int64(len(s)), valueLimit(ctx)
	err := re.Each(ctx, s, from, func(m []int) bool {
		count++
		if nth > 0 && count < nth {
			return true
		}
		if len(matches) < keptMatches {
			matches = append(matches, m)
		} else {
			more = true
		}
		size = addSize(size, repl.Len(m)-int64(m[1]-m[0]))
		return count != nth && size <= limit
	})
	if err != nil {
		return "", err
	}
	if err := checkResultSize(ctx, size); err != nil {
		return "", err
	}
	if len(matches) == 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(int(size))
	last := 0
	write := func(m []int) {
		b.WriteString(s[last:m[0]])
		repl.AppendTo(&b, s, m)
		last = m[1]
	}
	if !more {
		for _, m := range matches {
			write(m)
		}
	} else {
		matches, count = nil, 0
		err = re.Each(ctx, s, from, func(m []int) bool {
			write(m)
			count++
			return count != nth
		})
		if err != nil {
			return "", err
		}
	}
	b.WriteString(s[last:])
	return b.String(), nil
}

// keptMatches is how many match locations regexp_replace keeps between
// measuring its result and building it (a few tens of kilobytes); a text
// with more matches is searched twice.
const keptMatches = 1024

// buildILike builds kdb_ilike(s, pattern, escape): LIKE without regard to
// case.
func buildILike(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 3 {
		return nil, sqlError("ILIKE takes a value and a pattern")
	}
	a, err := textArgs("ILIKE", args, 0, 1, 2)
	if err != nil {
		return nil, noOperator(args[0], "~~*", args[1])
	}
	// A constant pattern (a large parameter, say) is folded and compiled
	// once, on the first row: each row's did it again (34 rows and 8 MB
	// allocated 1.1 GB), and the planner builds the function again on
	// every copy, most of which are never evaluated.
	pattern, constant := constString(a[1])
	escape, constEscape := constString(a[2])
	constant = constant && constEscape
	var once sync.Once
	var compiled likePattern
	var compileErr error
	return newFunc(a, boolType, func(ctx *sql.Context, vals []any) (any, error) {
		var p likePattern
		var err error
		if constant {
			once.Do(func() { compiled, compileErr = compileILike(pattern, escape) })
			p, err = compiled, compileErr
		} else {
			p, err = compileILike(str(vals[1]), str(vals[2]))
		}
		if err != nil {
			return nil, err
		}
		ok, err := p.match(ctx, strings.ToLower(str(vals[0])))
		if err != nil {
			return nil, err
		}
		return boolValue(ok), nil
	}), nil
}

// likeToken is one element of a compiled LIKE pattern: a character (its
// code point), or a wildcard (likeOne one character, likeAny any run of
// them). One int32 a character: a pattern may be a large parameter, and
// its compiled form is a few copies of it at most.
type likeToken int32

const (
	likeAny likeToken = -1 // %
	likeOne likeToken = -2 // _
)

// likePattern is a LIKE pattern read once, as PostgreSQL reads it: the
// escape character first (so ESCAPE '%' makes '%%' a literal '%'), then
// the wildcards.
type likePattern []likeToken

// compileLike reads pattern under escape (one character, or none when
// empty); a pattern ending with the escape character is an error. The
// tokens are allocated once, one a character at most.
func compileLike(pattern, escape string) (likePattern, error) {
	var esc rune = -1
	if escape != "" {
		if utf8.RuneCountInString(escape) != 1 {
			return nil, execError("invalid escape string: it must be empty or one character")
		}
		esc, _ = utf8.DecodeRuneInString(escape)
	}
	toks := make(likePattern, 0, utf8.RuneCountInString(pattern))
	escaped := false
	for _, r := range pattern {
		switch {
		case escaped:
			escaped = false
			toks = append(toks, likeToken(r))
		case r == esc:
			escaped = true
		case r == '%':
			toks = append(toks, likeAny)
		case r == '_':
			toks = append(toks, likeOne)
		default:
			toks = append(toks, likeToken(r))
		}
	}
	if escaped {
		return nil, execError("LIKE pattern must not end with escape character")
	}
	return toks, nil
}

// compileILike is compileLike for ILIKE: the escape character is read in
// the pattern as written, as PostgreSQL's like_escape does before the
// case is folded ('%A%' ESCAPE 'a' holds no escape), then the pattern's
// characters are lower-cased as the text is.
func compileILike(pattern, escape string) (likePattern, error) {
	toks, err := compileLike(pattern, escape)
	for i, t := range toks {
		if t >= 0 {
			toks[i] = likeToken(unicode.ToLower(rune(t)))
		}
	}
	return toks, err
}

// match reports whether s matches the pattern. It takes at most
// len(s) × len(pattern) steps and stops when ctx ends.
func (toks likePattern) match(ctx *sql.Context, s string) (bool, error) {
	sr := []rune(s)
	// Iterative matching with backtracking to the last %: linear in
	// practice, never exponential.
	si, pi, star, mark := 0, 0, -1, 0
	for steps := 1; si < len(sr); steps++ {
		if steps%(1<<16) == 0 {
			if err := ctx.Err(); err != nil {
				return false, err
			}
		}
		switch {
		case pi < len(toks) && (toks[pi] == likeOne || toks[pi] >= 0 && rune(toks[pi]) == sr[si]):
			si++
			pi++
		case pi < len(toks) && toks[pi] == likeAny:
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false, nil
		}
	}
	for pi < len(toks) && toks[pi] == likeAny {
		pi++
	}
	return pi == len(toks), nil
}

func (fs functionSet) registerRegexFunctions() {
	fs.registerStatement("kdb_regex_match", buildRegexMatch)
	fs.registerStatement("kdb_regexp_like", buildRegexpLike)
	fs.registerStatement("kdb_regexp_count", buildRegexpCount)
	fs.registerStatement("kdb_regexp_replace", buildRegexpReplace)
	fs.register("kdb_ilike", buildILike)
}
