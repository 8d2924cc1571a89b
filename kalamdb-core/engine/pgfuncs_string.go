package engine

// This file is longer than most on purpose: it is the whole string
// function library; each function is short and they share their argument
// typing and size checks.

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/schema"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// String functions with PostgreSQL semantics: lengths and positions count
// characters, text is compared and matched by code point, and every
// function that builds a value checks its size first (checkResultSize).

// textFunc builds a function of text arguments (positions textIdx) and
// integer arguments (positions intIdx) with result type dt.
func textFunc(name string, min, max int, textIdx, intIdx []int, dt dialect.DataType, eval evalFn) fnBuilder {
	return func(args []sql.Expression) (*pgFunc, error) {
		if len(args) < min || len(args) > max {
			return nil, noFunction(name, args)
		}
		var ti, ii []int
		for _, i := range textIdx {
			if i < len(args) {
				ti = append(ti, i)
			}
		}
		for _, i := range intIdx {
			if i < len(args) {
				ii = append(ii, i)
			}
		}
		a, err := textArgs(name, args, ti...)
		if err != nil {
			return nil, err
		}
		if a, err = intArgs(name, a, ii...); err != nil {
			return nil, err
		}
		return newFunc(a, dt, eval), nil
	}
}

func str(v any) string {
	s, _ := toText(v)
	return s
}

func num(v any) int64 {
	n, _ := toInt64(v)
	return n
}

// buildLength builds length(): characters of text, bytes of BYTES.
func buildLength(bytesPer int, name string) fnBuilder {
	return func(args []sql.Expression) (*pgFunc, error) {
		if len(args) != 1 {
			return nil, noFunction(name, args)
		}
		if familyOf(args[0]) == famBytes {
			return newFunc(args, intType, func(_ *sql.Context, vals []any) (any, error) {
				b, _ := vals[0].([]byte)
				return int32(len(b) * bytesPer), nil
			}), nil
		}
		a, err := textArgs(name, args, 0)
		if err != nil {
			return nil, err
		}
		return newFunc(a, intType, func(_ *sql.Context, vals []any) (any, error) {
			s := str(vals[0])
			if name == "length" {
				return int32(utf8.RuneCountInString(s)), nil
			}
			return int32(len(s) * bytesPer), nil
		}), nil
	}
}

func caseFunc(name string, fn func(string) string) fnBuilder {
	return textFunc(name, 1, 1, []int{0}, nil, textType, func(ctx *sql.Context, vals []any) (any, error) {
		s := fn(str(vals[0]))
		return s, checkResultSize(ctx, int64(len(s)))
	})
}

// initcap upper-cases the first letter of each run of letters and digits
// and lower-cases the rest, as PostgreSQL does.
func initcap(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	inWord := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if inWord {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteRune(unicode.ToTitle(r))
			}
			inWord = true
			continue
		}
		inWord = false
		b.WriteRune(r)
	}
	return b.String()
}

// valueText is the text of any value for concat() and ||.
func valueText(e sql.Expression) func(any) (string, error) {
	fam := familyOf(e)
	return func(v any) (string, error) { return textOf(v, fam) }
}

// outputText is the text concat() and concat_ws() write for e's values:
// each type's output form, as PostgreSQL writes them, where a boolean is
// t or f (a cast to text and || write true and false).
func outputText(e sql.Expression) func(any) (string, error) {
	switch familyOf(e) {
	case famJSON:
		return jsonText
	case famBool:
		return func(v any) (string, error) {
			b, ok := toInt64(v)
			if !ok {
				return "", execError("concat(): a BOOLEAN argument holds a value of another type")
			}
			if b != 0 {
				return "t", nil
			}
			return "f", nil
		}
	}
	return valueText(e)
}

// buildConcat builds concat(...): the text of every argument, NULLs
// skipped.
func buildConcat(args []sql.Expression) (*pgFunc, error) {
	if len(args) == 0 {
		return nil, noFunction("concat", args)
	}
	conv := make([]func(any) (string, error), len(args))
	for i, a := range args {
		conv[i] = outputText(a)
	}
	f := newFunc(args, textType, func(ctx *sql.Context, vals []any) (any, error) {
		return joinText(ctx, "", vals, conv)
	})
	f.nullIn = true
	return f, nil
}

// joinText joins the text of the non-NULL values with sep.
func joinText(ctx *sql.Context, sep string, vals []any, conv []func(any) (string, error)) (any, error) {
	parts := make([]string, 0, len(vals))
	size := 0
	for i, v := range vals {
		if v == nil {
			continue
		}
		s, err := conv[i](v)
		if err != nil {
			return nil, err
		}
		if len(parts) > 0 {
			size += len(sep)
		}
		size += len(s)
		if err := checkResultSize(ctx, int64(size)); err != nil {
			return nil, err
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, sep), nil
}

// buildConcatWS builds concat_ws(sep, ...).
func buildConcatWS(args []sql.Expression) (*pgFunc, error) {
	if len(args) < 2 {
		return nil, noFunction("concat_ws", args)
	}
	a, err := textArgs("concat_ws", args, 0)
	if err != nil {
		return nil, err
	}
	conv := make([]func(any) (string, error), len(a)-1)
	for i, x := range a[1:] {
		conv[i] = outputText(x)
	}
	f := newFunc(a, textType, func(ctx *sql.Context, vals []any) (any, error) {
		if vals[0] == nil {
			return nil, nil
		}
		return joinText(ctx, str(vals[0]), vals[1:], conv)
	})
	f.nullIn = true
	return f, nil
}

// bytesConcat reports whether a || b of these families is bytea's ||:
// both bytea, or one bytea and a literal or parameter (PostgreSQL's
// unknown, read as bytea there) or NULL. A TEXT value || bytea stays text
// || the bytea's text form, as in PostgreSQL.
func bytesConcat(lf, rf family) bool {
	other := func(f family) bool { return f == famBytes || f == famUnknown || f == famNull }
	return (lf == famBytes && other(rf)) || (rf == famBytes && other(lf))
}

// buildBytesConcat builds bytea || bytea; an unknown operand is read as
// bytea input ('\x41', or its text's bytes).
func buildBytesConcat(args []sql.Expression, lf, rf family) *pgFunc {
	read := func(f family) func(any) ([]byte, error) {
		return func(v any) ([]byte, error) {
			switch x := v.(type) {
			case []byte:
				return x, nil
			case string:
				if f == famBytes {
					return []byte(x), nil
				}
				b, ok := parseBytea(x)
				if !ok {
					return nil, execError("invalid input syntax for type bytea")
				}
				return b, nil
			}
			return nil, execError("operator ||: a BYTEA operand holds a value of another type")
		}
	}
	return newFunc(args, bytesType, concatPair(read(lf), read(rf), func(a, b []byte) []byte {
		return append(append(make([]byte, 0, len(a)+len(b)), a...), b...)
	}))
}

// concatPair evaluates a || b: each operand through its conversion, the
// result within the statement's result size, then joined.
func concatPair[T ~string | ~[]byte](l, r func(any) (T, error), join func(a, b T) T) evalFn {
	return func(ctx *sql.Context, vals []any) (any, error) {
		a, err := l(vals[0])
		if err != nil {
			return nil, err
		}
		b, err := r(vals[1])
		if err != nil {
			return nil, err
		}
		if err := checkResultSize(ctx, int64(len(a))+int64(len(b))); err != nil {
			return nil, err
		}
		return join(a, b), nil
	}
}

// buildConcatOp builds a || b: text concatenation, NULL if either side is
// NULL; one side may be of another type (its text form is used).
func buildConcatOp(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 2 {
		return nil, sqlError("|| takes two operands")
	}
	lf, rf := familyOf(args[0]), familyOf(args[1])
	if bytesConcat(lf, rf) {
		return buildBytesConcat(args, lf, rf), nil
	}
	if (lf == famJSON || rf == famJSON) && (lf == famJSON || lf == famUnknown) && (rf == famJSON || rf == famUnknown) {
		return nil, apierror.New(apierror.Unsupported, "the JSON operator || (concatenating objects or arrays) is not supported")
	}
	isText := func(f family) bool { return f == famText || f == famUnknown }
	if !isText(lf) && !isText(rf) && lf != famNull && rf != famNull {
		return nil, noOperator(args[0], "||", args[1])
	}
	if lf == famJSON || rf == famJSON {
		return nil, sqlError("operator does not exist: %s || %s (JSON values are not concatenated; cast to TEXT)", typeName(args[0]), typeName(args[1]))
	}
	return newFunc(args, textType, concatPair(valueText(args[0]), valueText(args[1]), func(a, b string) string { return a + b })), nil
}

// runeSlice returns s[from:to] counted in characters (0-based, clamped).
func runeSlice(s string, from, to int64) string {
	if from < 0 {
		from = 0
	}
	if to <= from {
		return ""
	}
	i, start, end := int64(0), -1, len(s)
	for k := range s {
		if i == from {
			start = k
		}
		if i == to {
			end = k
			break
		}
		i++
	}
	if start < 0 {
		return ""
	}
	return s[start:end]
}

// buildSubstr builds substring(s FROM f [FOR n]) and substr(s, f [, n]).
func buildSubstr(args []sql.Expression) (*pgFunc, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, noFunction("substring", args)
	}
	for _, a := range args[1:] {
		if f := familyOf(a); f == famText || f == famUnknown {
			return nil, sqlError("substring with a text pattern (the regular-expression form) is not supported; give integer positions")
		}
	}
	bytesArg := familyOf(args[0]) == famBytes
	a := args
	var err error
	if !bytesArg {
		if a, err = textArgs("substring", args, 0); err != nil {
			return nil, err
		}
	}
	if a, err = intArgs("substring", a, indexes(1, len(args))...); err != nil {
		return nil, err
	}
	dt := textType
	if bytesArg {
		dt = bytesType
	}
	return newFunc(a, dt, func(_ *sql.Context, vals []any) (any, error) {
		from := num(vals[1]) - 1
		to := int64(math64Max)
		if len(vals) == 3 {
			n := num(vals[2])
			if n < 0 {
				return nil, execError("negative substring length not allowed")
			}
			if from > math64Max-n {
				to = math64Max
			} else {
				to = from + n
			}
		}
		if bytesArg {
			b, _ := vals[0].([]byte)
			lo, hi := max(from, 0), min(to, int64(len(b)))
			if hi <= lo {
				return []byte{}, nil
			}
			return append([]byte(nil), b[lo:hi]...), nil
		}
		return runeSlice(str(vals[0]), from, to), nil
	}), nil
}

const math64Max = 1<<63 - 1

// indexes is lo, lo+1, ..., hi-1.
func indexes(lo, hi int) []int {
	out := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

// strpos is the 1-based character position of sub in s, 0 when absent.
func strpos(s, sub string) int32 {
	i := strings.Index(s, sub)
	if i < 0 {
		return 0
	}
	return int32(utf8.RuneCountInString(s[:i]) + 1)
}

func leftRight(left bool) evalFn {
	return func(_ *sql.Context, vals []any) (any, error) {
		s, n := str(vals[0]), num(vals[1])
		l := int64(utf8.RuneCountInString(s))
		switch {
		case left && n >= 0:
			return runeSlice(s, 0, n), nil
		case left:
			return runeSlice(s, 0, l+n), nil
		case n >= 0:
			return runeSlice(s, l-n, l), nil
		}
		return runeSlice(s, -n, l), nil
	}
}

// pad builds lpad/rpad: the string padded (or cut) to n characters, as
// PostgreSQL does: the fill repeated and cut after the characters
// needed, before the string (lpad) or after it (rpad); a string longer
// than n cut to its first n characters (both); ” for n <= 0; the string
// (cut) for an empty fill. The result is measured exactly and checked
// against the largest value before it is allocated, once, and the fill
// is copied in doubling chunks (writeRepeated): writing it a character
// at a time took about 0.3 s for 16 MB, and a rune copy of a long fill
// held four times its size uncharged.
func pad(left bool) evalFn {
	return func(ctx *sql.Context, vals []any) (any, error) {
		s, n := str(vals[0]), num(vals[1])
		fill := " "
		if len(vals) == 3 {
			fill = str(vals[2])
		}
		if n <= 0 {
			return "", nil
		}
		l := int64(utf8.RuneCountInString(s))
		if l >= n || fill == "" {
			return runeSlice(s, 0, n), nil
		}
		padding := repeatedBytes(fill, n-l)
		size := addSize(padding, int64(len(s)))
		if err := checkResultSize(ctx, size); err != nil {
			return nil, err
		}
		var b strings.Builder
		b.Grow(int(size))
		if !left {
			b.WriteString(s)
		}
		writeRepeated(&b, fill, int(padding))
		if left {
			b.WriteString(s)
		}
		return b.String(), nil
	}
}

// repeatedBytes is the length in bytes of the first chars characters of
// fill repeated (fill is not empty): whole copies of fill, then the
// bytes of the first characters of one more. It saturates (addSize,
// mulSize) instead of overflowing.
func repeatedBytes(fill string, chars int64) int64 {
	per := int64(utf8.RuneCountInString(fill))
	whole, rest := chars/per, chars%per
	tail := 0
	for i := range fill {
		if rest == 0 {
			tail = i
			break
		}
		rest--
	}
	return addSize(mulSize(whole, int64(len(fill))), int64(tail))
}

// writeRepeated appends the first size bytes of fill repeated to b,
// which has room for them: one copy of fill, then copies of what it has
// written so far, doubling, so a fill of a few bytes repeated to 16 MB
// is about twenty copies, not millions of writes. size ends on a
// character (repeatedBytes).
func writeRepeated(b *strings.Builder, fill string, size int) {
	start := b.Len()
	b.WriteString(fill[:min(len(fill), size)])
	for written := b.Len() - start; written < size; written = b.Len() - start {
		// The bytes written so far are whole copies of fill: appending
		// a prefix of them continues the repetition. The builder never
		// changes the bytes it holds, so reading them while appending
		// is safe.
		b.WriteString(b.String()[start : start+min(written, size-written)])
	}
}

// trimChars builds btrim/ltrim/rtrim: characters of the set (default a
// space) removed from the ends.
func trimChars(left, right bool) evalFn {
	return func(_ *sql.Context, vals []any) (any, error) {
		s, set := str(vals[0]), " "
		if len(vals) == 2 {
			set = str(vals[1])
		}
		in := func(r rune) bool { return strings.ContainsRune(set, r) }
		if left {
			s = strings.TrimLeftFunc(s, in)
		}
		if right {
			s = strings.TrimRightFunc(s, in)
		}
		return s, nil
	}
}

func replaceEval(ctx *sql.Context, vals []any) (any, error) {
	s, from, to := str(vals[0]), str(vals[1]), str(vals[2])
	if from == "" {
		return s, nil
	}
	n := strings.Count(s, from)
	if err := checkResultSize(ctx, addSize(int64(len(s)), mulSize(int64(n), int64(len(to)-len(from))))); err != nil {
		return nil, err
	}
	return strings.ReplaceAll(s, from, to), nil
}

func repeatEval(ctx *sql.Context, vals []any) (any, error) {
	s, n := str(vals[0]), num(vals[1])
	if n <= 0 || s == "" {
		return "", nil
	}
	if err := checkResultSize(ctx, mulSize(int64(len(s)), n)); err != nil {
		return nil, err
	}
	return strings.Repeat(s, int(n)), nil
}

func reverseEval(_ *sql.Context, vals []any) (any, error) {
	r := []rune(str(vals[0]))
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r), nil
}

func splitPartEval(_ *sql.Context, vals []any) (any, error) {
	s, sep, n := str(vals[0]), str(vals[1]), num(vals[2])
	if n == 0 {
		return nil, execError("field position must not be zero")
	}
	var parts []string
	if sep == "" {
		parts = []string{s}
	} else {
		parts = strings.Split(s, sep)
	}
	if n < 0 {
		n = int64(len(parts)) + n + 1
	}
	if n < 1 || n > int64(len(parts)) {
		return "", nil
	}
	return parts[n-1], nil
}

func translateEval(_ *sql.Context, vals []any) (any, error) {
	s, from, to := str(vals[0]), []rune(str(vals[1])), []rune(str(vals[2]))
	m := make(map[rune]int, len(from))
	for i, r := range from {
		if _, seen := m[r]; !seen {
			m[r] = i
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		i, ok := m[r]
		switch {
		case !ok:
			b.WriteRune(r)
		case i < len(to):
			b.WriteRune(to[i])
		}
	}
	return b.String(), nil
}

func asciiEval(_ *sql.Context, vals []any) (any, error) {
	s := str(vals[0])
	if s == "" {
		return int32(0), nil
	}
	r, _ := utf8.DecodeRuneInString(s)
	return int32(r), nil
}

func chrEval(_ *sql.Context, vals []any) (any, error) {
	n := num(vals[0])
	switch {
	case n == 0:
		return nil, execError("null character not permitted")
	case n < 0 || n > unicode.MaxRune || (n >= 0xD800 && n <= 0xDFFF):
		return nil, execError("requested character is not a valid code point")
	}
	return string(rune(n)), nil
}

func buildMD5(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 1 {
		return nil, noFunction("md5", args)
	}
	if familyOf(args[0]) == famBytes {
		return newFunc(args, textType, func(_ *sql.Context, vals []any) (any, error) {
			b, _ := vals[0].([]byte)
			h := md5.Sum(b)
			return hex.EncodeToString(h[:]), nil
		}), nil
	}
	a, err := textArgs("md5", args, 0)
	if err != nil {
		return nil, err
	}
	return newFunc(a, textType, func(_ *sql.Context, vals []any) (any, error) {
		h := md5.Sum([]byte(str(vals[0])))
		return hex.EncodeToString(h[:]), nil
	}), nil
}

func buildToHex(args []sql.Expression) (*pgFunc, error) {
	a, err := intArgs("to_hex", args, 0)
	if err != nil || len(args) != 1 {
		return nil, noFunction("to_hex", args)
	}
	w := intWidth(a[0].Type())
	return newFunc(a, textType, func(_ *sql.Context, vals []any) (any, error) {
		n := num(vals[0])
		if w == 32 || w == 16 {
			return strconv.FormatUint(uint64(uint32(n)), 16), nil
		}
		return strconv.FormatUint(uint64(n), 16), nil
	}), nil
}

func overlayEval(ctx *sql.Context, vals []any) (any, error) {
	s, repl, from := str(vals[0]), str(vals[1]), num(vals[2])
	count := int64(utf8.RuneCountInString(repl))
	if len(vals) == 4 {
		count = num(vals[3])
	}
	if from < 1 {
		return nil, execError("negative substring length not allowed")
	}
	l := int64(utf8.RuneCountInString(s))
	head := runeSlice(s, 0, from-1)
	tail := runeSlice(s, from-1+count, l)
	if err := checkResultSize(ctx, int64(len(head)+len(repl)+len(tail))); err != nil {
		return nil, err
	}
	return head + repl + tail, nil
}

func buildGenRandomUUID(args []sql.Expression) (*pgFunc, error) {
	if len(args) != 0 {
		return nil, noFunction("gen_random_uuid", args)
	}
	f := newFuncOfType(args, schema.UUIDType(), func(*sql.Context, []any) (any, error) {
		var u [16]byte
		if _, err := rand.Read(u[:]); err != nil {
			return nil, err
		}
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		return string(ids.AppendUUID(make([]byte, 0, 36), u[:])), nil
	})
	f.volatile = true
	return f, nil
}

// registerStringFunctions adds the string functions.
func (fs functionSet) registerStringFunctions() {
	fs.register("kdb_length", buildLength(1, "length"))
	fs.register("kdb_octet_length", buildLength(1, "octet_length"))
	fs.register("kdb_bit_length", buildLength(8, "bit_length"))
	fs.register("kdb_lower", caseFunc("lower", strings.ToLower))
	fs.register("kdb_upper", caseFunc("upper", strings.ToUpper))
	fs.register("kdb_initcap", caseFunc("initcap", initcap))
	fs.register("kdb_concat", buildConcat)
	fs.register("kdb_concat_ws", buildConcatWS)
	fs.register("kdb_concat_op", buildConcatOp)
	fs.register("kdb_substr", buildSubstr)
	fs.register("kdb_strpos", textFunc("strpos", 2, 2, []int{0, 1}, nil, intType, func(_ *sql.Context, vals []any) (any, error) {
		return strpos(str(vals[0]), str(vals[1])), nil
	}))
	fs.register("kdb_left", textFunc("left", 2, 2, []int{0}, []int{1}, textType, leftRight(true)))
	fs.register("kdb_right", textFunc("right", 2, 2, []int{0}, []int{1}, textType, leftRight(false)))
	fs.register("kdb_lpad", textFunc("lpad", 2, 3, []int{0, 2}, []int{1}, textType, pad(true)))
	fs.register("kdb_rpad", textFunc("rpad", 2, 3, []int{0, 2}, []int{1}, textType, pad(false)))
	fs.register("kdb_btrim", textFunc("btrim", 1, 2, []int{0, 1}, nil, textType, trimChars(true, true)))
	fs.register("kdb_ltrim", textFunc("ltrim", 1, 2, []int{0, 1}, nil, textType, trimChars(true, false)))
	fs.register("kdb_rtrim", textFunc("rtrim", 1, 2, []int{0, 1}, nil, textType, trimChars(false, true)))
	fs.register("kdb_replace", textFunc("replace", 3, 3, []int{0, 1, 2}, nil, textType, replaceEval))
	fs.register("kdb_repeat", textFunc("repeat", 2, 2, []int{0}, []int{1}, textType, repeatEval))
	fs.register("kdb_reverse", textFunc("reverse", 1, 1, []int{0}, nil, textType, reverseEval))
	fs.register("kdb_split_part", textFunc("split_part", 3, 3, []int{0, 1}, []int{2}, textType, splitPartEval))
	fs.register("kdb_starts_with", textFunc("starts_with", 2, 2, []int{0, 1}, nil, boolType, func(_ *sql.Context, vals []any) (any, error) {
		return boolValue(strings.HasPrefix(str(vals[0]), str(vals[1]))), nil
	}))
	fs.register("kdb_ends_with", textFunc("ends_with", 2, 2, []int{0, 1}, nil, boolType, func(_ *sql.Context, vals []any) (any, error) {
		return boolValue(strings.HasSuffix(str(vals[0]), str(vals[1]))), nil
	}))
	fs.register("kdb_translate", textFunc("translate", 3, 3, []int{0, 1, 2}, nil, textType, translateEval))
	fs.register("kdb_ascii", textFunc("ascii", 1, 1, []int{0}, nil, intType, asciiEval))
	fs.register("kdb_chr", textFunc("chr", 1, 1, nil, []int{0}, textType, chrEval))
	fs.register("kdb_md5", buildMD5)
	fs.register("kdb_to_hex", buildToHex)
	fs.register("kdb_overlay", textFunc("overlay", 3, 4, []int{0, 1}, []int{2, 3}, textType, overlayEval))
	fs.register("kdb_gen_random_uuid", buildGenRandomUUID)
	_ = types.Int32
}
