package dialect

import "strings"

// tokenKind is the lexical class of a token.
type tokenKind uint8

const (
	tokEOF         tokenKind = iota
	tokWord                  // unquoted identifier or keyword
	tokQuotedIdent           // "ident" or `ident`
	tokString                // 'text'
	tokNumber                // 42, 3.14, 1e9, .5
	tokPlaceholder           // $1 or ?
	tokPunct                 // operators and punctuation: ( ) , ; . = || <= ...
	tokComment               // -- line comment or /* block comment */
	// tokInvalid is an unterminated string, quoted identifier or block
	// comment, or an executable comment (see isExecutableComment).
	tokInvalid
)

// token is a slice of the lexed text. Tokens hold offsets rather than
// strings so that scanning a statement allocates nothing; the text is
// src[pos:end] and quoted forms are decoded only when a parser needs them.
type token struct {
	kind tokenKind
	pos  int // offset of the first byte
	end  int // offset one past the last byte
}

// lexer splits SQL text into tokens. It follows PostgreSQL's lexical rules
// (which KalamDB users write) where they agree with the MySQL-family
// tokenizer of the query engine: ” is the only escape in string literals,
// "..." and `...` quote identifiers, -- and non-nested /* */ are comments.
// Where the two tokenizers disagree (backslash escapes, #, //) the
// standard-SQL scan refuses the statement instead of guessing; see
// standard.go. Executable comments are refused by the lexer itself.
type lexer struct {
	src string
	pos int
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
// returns tokEOF (repeatedly). It never fails: an unterminated literal or
// comment is a tokInvalid token running to the end of the text, and an
// executable comment is a tokInvalid token too, so every consumer refuses
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
		return token{kind: tokEOF, pos: i, end: i}
	}
	c := src[i]
	kind := tokPunct
	switch {
	case isWordStart(c):
		kind = tokWord
		i++
		for i < len(src) && isWordByte(src[i]) {
			i++
		}
	case isDigit(c) || c == '.' && i+1 < len(src) && isDigit(src[i+1]):
		kind = tokNumber
		i = scanNumber(src, i)
	case c == '\'' || c == '"' || c == '`':
		kind = tokString
		if c != '\'' {
			kind = tokQuotedIdent
		}
		var ok bool
		i, ok = scanQuoted(src, i, c)
		if !ok {
			kind = tokInvalid
		}
	case c == '-' && i+1 < len(src) && src[i+1] == '-':
		kind = tokComment
		for i < len(src) && src[i] != '\n' {
			i++
		}
	case c == '/' && i+1 < len(src) && src[i+1] == '*':
		kind = tokComment
		i += 2
		for {
			if i+1 >= len(src) {
				kind, i = tokInvalid, len(src)
				break
			}
			if src[i] == '*' && src[i+1] == '/' {
				i += 2
				if isExecutableComment(src[start:i]) {
					kind = tokInvalid
				}
				break
			}
			i++
		}
	case c == '$' && i+1 < len(src) && isDigit(src[i+1]):
		kind = tokPlaceholder
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	case c == '?':
		kind = tokPlaceholder
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

// isExecutableComment reports whether c, a terminated block comment, is
// one the query engine acts on: a MySQL executable comment ('/*! ... */',
// whose text its tokenizer runs as SQL) or an optimizer hint ('/*+ ... */',
// which its planner obeys). To KalamDB's lexer both are comments, so
// passing them on would let the engine run what KalamDB never checked;
// dropping them would silently change what the user asked for. Either way
// the text means different things to the two tokenizers, so it is refused.
func isExecutableComment(c string) bool {
	return len(c) >= 5 && (c[2] == '!' || c[2] == '+') && c[len(c)-2:] == "*/"
}
