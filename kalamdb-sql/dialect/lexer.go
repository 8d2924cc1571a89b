package dialect

import "strings"

// TokenKind is the lexical class of a token.
type TokenKind uint8

// Token kinds.
const (
	TokEOF         TokenKind = iota
	TokWord                  // unquoted identifier or keyword
	TokQuotedIdent           // "ident" or `ident`
	TokString                // 'text', E'text', $$text$$, N'', B'', X'', U&''
	TokNumber                // 42, 3.14, 1e9, .5
	TokPlaceholder           // $1 or ?
	TokPunct                 // operators and punctuation: ( ) , ; . = || <= ...
	TokComment               // -- line comment or /* block comment */
	// TokInvalid is an unterminated string, quoted identifier or block
	// comment, or an executable comment (see isExecutableComment).
	TokInvalid
)

// token is a slice of the lexed text. Tokens hold offsets rather than
// strings so that scanning a statement allocates nothing; the text is
// src[pos:end] and quoted forms are decoded only when a parser needs them.
type token struct {
	kind TokenKind
	pos  int // offset of the first byte
	end  int // offset one past the last byte
}

// lexer splits SQL text into tokens by PostgreSQL's lexical rules, which
// KalamDB users write and which the standard-SQL front end (PostgreSQL's own
// parser) applies: a doubled quote is the only escape in ordinary string
// literals (a backslash is an ordinary character), E'...' strings take backslash
// escapes, $tag$...$tag$ quotes text verbatim, "..." quotes identifiers,
// -- comments run to the end of the line and /* */ comments nest. So a ';'
// inside any of them never splits a batch. `...` is read as a quoted
// identifier too, so that it splits nothing either, and then refused by
// every statement (it is MySQL's quoting).
type lexer struct {
	src string
	pos int
}

// Lexer exposes the dialect's lexer to the other front-end packages, so
// that every package of the SQL layer cuts text the same way (and the way
// PostgreSQL does).
type Lexer struct{ lx lexer }

// NewLexer returns a lexer over src.
func NewLexer(src string) *Lexer { return &Lexer{lx: lexer{src: src}} }

// Next returns the next token, comments included: its kind and its byte
// offsets src[pos:end]. At the end it returns TokEOF, repeatedly; an
// unterminated literal or comment is a TokInvalid token to the end.
func (l *Lexer) Next() (kind TokenKind, pos, end int) {
	t := l.lx.next()
	return t.kind, t.pos, t.end
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isWordStart accepts any byte of a multi-byte UTF-8 sequence so that a
// non-ASCII identifier stays one token; identifier validation rejects it
// later with a message naming the whole word.
func isWordStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c >= 0x80
}

func isWordByte(c byte) bool { return isWordStart(c) || isDigit(c) || c == '$' }

// next returns the next token, comments included. At the end of the text it
// returns TokEOF (repeatedly). It never fails: an unterminated literal or
// comment is a TokInvalid token running to the end of the text, and an
// executable comment is a TokInvalid token too, so every consumer refuses
// it wherever it sits.
func (lx *lexer) next() token {
	src := lx.src
	i := lx.pos
	for i < len(src) && isSpace(src[i]) {
		i++
	}
	start := i
	if i >= len(src) {
		lx.pos = i
		return token{kind: TokEOF, pos: i, end: i}
	}
	c := src[i]
	kind := TokPunct
	switch {
	case isWordStart(c):
		if j, k, ok := prefixedQuote(src, i); ok {
			i, kind = j, k
			break
		}
		kind = TokWord
		i++
		for i < len(src) && isWordByte(src[i]) {
			i++
		}
	case isDigit(c) || c == '.' && i+1 < len(src) && isDigit(src[i+1]):
		kind = TokNumber
		i = scanNumber(src, i)
	case c == '\'' || c == '"' || c == '`':
		kind = TokString
		if c != '\'' {
			kind = TokQuotedIdent
		}
		var ok bool
		i, ok = scanQuoted(src, i, c)
		if !ok {
			kind = TokInvalid
		}
	case c == '-' && i+1 < len(src) && src[i+1] == '-':
		kind = TokComment
		for i < len(src) && src[i] != '\n' {
			i++
		}
	case c == '/' && i+1 < len(src) && src[i+1] == '*':
		kind = TokComment
		var ok bool
		if i, ok = scanBlockComment(src, i); !ok || isExecutableComment(src[start:i]) {
			kind = TokInvalid
		}
	case c == '$' && i+1 < len(src) && isDigit(src[i+1]):
		kind = TokPlaceholder
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	case c == '$' && isDollarTag(src, i):
		kind = TokString
		var ok bool
		if i, ok = scanDollarQuoted(src, i); !ok {
			kind = TokInvalid
		}
	case c == '?':
		kind = TokPlaceholder
		i++
	default:
		i += punctLen(src, i)
	}
	lx.pos = i
	return token{kind: kind, pos: start, end: i}
}

// scanNumber returns the end of the numeric literal starting at i: digits,
// an optional fraction and an optional exponent. An 'e' not followed by
// digits is not part of the number.
func scanNumber(src string, i int) int {
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	if i < len(src) && src[i] == '.' {
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			i = j
		}
	}
	return i
}

// scanQuoted returns the end of the quoted token opened by q at i; a doubled
// quote is an escaped quote. ok is false when the text ends first.
func scanQuoted(src string, i int, q byte) (end int, ok bool) {
	i++
	for i < len(src) {
		if src[i] == q {
			if i+1 < len(src) && src[i+1] == q {
				i += 2
				continue
			}
			return i + 1, true
		}
		i++
	}
	return len(src), false
}

// prefixedQuote lexes the prefixed literals that start like a word:
// E'...' (backslash escapes), N'...', B'...', X'...' and U&'...' strings
// and U&"..." identifiers. ok is false when the word at i is a plain word.
func prefixedQuote(src string, i int) (end int, kind TokenKind, ok bool) {
	c := src[i] | 0x20 // ASCII lower case
	j := i + 1
	if c == 'u' && j+1 < len(src) && src[j] == '&' && (src[j+1] == '\'' || src[j+1] == '"') {
		q := src[j+1]
		kind = TokString
		if q == '"' {
			kind = TokQuotedIdent
		}
		end, ok = scanQuoted(src, j+1, q)
		if !ok {
			kind = TokInvalid
		}
		return end, kind, true
	}
	if j >= len(src) || src[j] != '\'' {
		return 0, 0, false
	}
	switch c {
	case 'e':
		end, ok = scanEscaped(src, j)
	case 'n', 'b', 'x':
		end, ok = scanQuoted(src, j, '\'')
	default:
		return 0, 0, false
	}
	if !ok {
		return end, TokInvalid, true
	}
	return end, TokString, true
}

// scanEscaped returns the end of the E'...' string whose quote is at i: a
// backslash escapes the next character (\' is a quote), and so does a
// doubled quote.
func scanEscaped(src string, i int) (end int, ok bool) {
	i++
	for i < len(src) {
		switch src[i] {
		case '\\':
			i += 2
			continue
		case '\'':
			if i+1 < len(src) && src[i+1] == '\'' {
				i += 2
				continue
			}
			return i + 1, true
		}
		i++
	}
	return len(src), false
}

// scanBlockComment returns the end of the comment opened at i. Comments
// nest, as in PostgreSQL: /* a /* b */ c */ is one comment.
func scanBlockComment(src string, i int) (end int, ok bool) {
	depth := 0
	for i+1 < len(src) {
		switch {
		case src[i] == '/' && src[i+1] == '*':
			depth++
			i += 2
		case src[i] == '*' && src[i+1] == '/':
			depth--
			i += 2
			if depth == 0 {
				return i, true
			}
		default:
			i++
		}
	}
	return len(src), false
}

func isDollarTagStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c >= 0x80
}

// dollarTagEnd returns the end of the $tag$ opening a dollar-quoted string
// at i, or -1 when the text at i is not one.
func dollarTagEnd(src string, i int) int {
	j := i + 1
	if j < len(src) && isDollarTagStart(src[j]) {
		for j < len(src) && (isDollarTagStart(src[j]) || isDigit(src[j])) {
			j++
		}
	}
	if j < len(src) && src[j] == '$' {
		return j + 1
	}
	return -1
}

func isDollarTag(src string, i int) bool { return dollarTagEnd(src, i) > 0 }

// scanDollarQuoted returns the end of the $tag$...$tag$ string opened at i.
func scanDollarQuoted(src string, i int) (end int, ok bool) {
	open := dollarTagEnd(src, i)
	tag := src[i:open]
	k := strings.Index(src[open:], tag)
	if k < 0 {
		return len(src), false
	}
	return open + k + len(tag), true
}

// punctLen is the length of the operator at i. Two-character operators are
// one token so that error messages quote the whole operator, and so that
// || (which the standard-SQL scan rejects) and // (a comment to the query
// engine) are recognised.
func punctLen(src string, i int) int {
	if i+1 >= len(src) {
		return 1
	}
	switch c, d := src[i], src[i+1]; c {
	case '|', '&', '/':
		if d == c {
			return 2
		}
	case '<':
		if d == '=' || d == '>' || d == '<' {
			return 2
		}
	case '>':
		if d == '=' || d == '>' {
			return 2
		}
	case '!':
		if d == '=' {
			return 2
		}
	case ':':
		if d == ':' || d == '=' {
			return 2
		}
	case '-':
		if d == '>' {
			return 2
		}
	}
	return 1
}

// unquote decodes a quoted token (string literal or quoted identifier):
// strips the delimiters and turns each doubled delimiter into one.
func unquote(raw string) string {
	if len(raw) < 2 {
		return ""
	}
	q := raw[0]
	body := raw[1 : len(raw)-1]
	if strings.IndexByte(body, q) < 0 {
		return body
	}
	out := make([]byte, 0, len(body))
	for k := 0; k < len(body); k++ {
		out = append(out, body[k])
		if body[k] == q && k+1 < len(body) && body[k+1] == q {
			k++
		}
	}
	return string(out)
}

// eqFold reports whether s equals the upper-case ASCII keyword kw, ignoring
// ASCII case. It is the keyword test on hot paths: no allocation, and it
// never treats a non-ASCII letter as a keyword letter.
func eqFold(s, kw string) bool {
	if len(s) != len(kw) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != kw[i] {
			return false
		}
	}
	return true
}

// asciiLower folds ASCII letters only. Unicode folding would map characters
// such as the Kelvin sign onto ASCII letters and let two different spellings
// name one object; non-ASCII names are rejected by validation instead.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && !('A' <= s[i] && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// ASCIILower is asciiLower for other packages: names compared by their
// ASCII case-folded form (user names) fold the same way identifiers do.
func ASCIILower(s string) string { return asciiLower(s) }

// asciiUpper is asciiLower's counterpart for keywords and enum values.
func asciiUpper(s string) string {
	i := 0
	for i < len(s) && !('a' <= s[i] && s[i] <= 'z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if 'a' <= b[i] && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

// isExecutableComment reports whether c, a terminated block comment, is a
// MySQL executable comment ('/*! ... */', run as SQL by MySQL) or an
// optimizer hint ('/*+ ... */', obeyed by MySQL's planner). To PostgreSQL
// both are plain comments, so a user who writes one expects something that
// KalamDB would silently not do; the text is refused instead.
func isExecutableComment(c string) bool {
	return len(c) >= 5 && (c[2] == '!' || c[2] == '+') && c[len(c)-2:] == "*/"
}

// IsExecutableComment is isExecutableComment for the other front-end
// packages, so that they refuse exactly the comments the dialect refuses.
func IsExecutableComment(c string) bool { return isExecutableComment(c) }
