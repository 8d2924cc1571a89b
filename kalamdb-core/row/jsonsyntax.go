package row

import (
	"fmt"
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// JSONSyntaxError is DecodeJSONText's error for text that is not JSON.
// Its message is PostgreSQL's: "invalid input syntax for type json" and
// the detail PostgreSQL's parser gives (`Token "x" is invalid.`), never
// the Go decoder's wording; the decoder's error stays the cause.
type JSONSyntaxError struct {
	// Detail is PostgreSQL's DETAIL line for the text, or "" when the
	// text is one PostgreSQL reads (a surrogate only jsonb refuses has
	// its own detail; the decoder refusing what the parser below accepts
	// would be a bug, and then the message has no detail).
	Detail string
	Err    error
}

func (e *JSONSyntaxError) Error() string {
	if e.Detail == "" {
		return "invalid input syntax for type json"
	}
	return "invalid input syntax for type json: " + e.Detail
}

func (e *JSONSyntaxError) Unwrap() error { return e.Err }

// pgJSONDetail is the DETAIL PostgreSQL's JSON parser (src/common/jsonapi.c)
// gives for raw, or "" when raw parses. It runs only after the Go decoder
// refused the text, to word the error as PostgreSQL does: the same
// tokens (an invalid one runs to the next character that is not a letter,
// digit, _ or non-ASCII byte, so the whole word is named), and the same
// expectations for where the parse stopped.
func pgJSONDetail(raw []byte) string {
	p := &pgJSONParser{s: raw}
	if d := p.lex(); d != "" {
		return d
	}
	if d := p.value(); d != "" {
		if d == tooDeepDetail {
			return ""
		}
		return d
	}
	if p.tok != jsonEnd {
		return p.expected("end of input")
	}
	return ""
}

type jsonToken int

const (
	jsonEnd jsonToken = iota
	jsonString
	jsonNumber
	jsonLiteral // true, false, null
	jsonPunct   // { } [ ] , :
)

// pgJSONParser is a recursive-descent JSON parser that only finds the
// first error, as PostgreSQL's does.
type pgJSONParser struct {
	s []byte
	// start and end delimit the current token; tok is its kind.
	start, end int
	tok        jsonToken
	depth      int
}

// text is the current token, which a detail quotes as it is (PostgreSQL
// escapes nothing in it), cut as other input in messages is.
func (p *pgJSONParser) text() string { return dialect.Snippet(string(p.s[p.start:p.end])) }

func (p *pgJSONParser) is(punct byte) bool {
	return p.tok == jsonPunct && p.s[p.start] == punct
}

// expected is the detail of a token that is not what the parser wanted
// (what), or of an input that ended before it.
func (p *pgJSONParser) expected(what string) string {
	if p.tok == jsonEnd {
		return "The input string ended unexpectedly."
	}
	return "Expected " + what + `, but found "` + p.text() + `".`
}

func jsonAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// lex reads the next token; a non-empty result is the detail of a token
// that is invalid.
func (p *pgJSONParser) lex() string {
	i := p.end
	for i < len(p.s) && (p.s[i] == ' ' || p.s[i] == '\t' || p.s[i] == '\n' || p.s[i] == '\r') {
		i++
	}
	p.start = i
	if i == len(p.s) {
		p.tok, p.end = jsonEnd, i
		return ""
	}
	switch c := p.s[i]; {
	case strings.IndexByte("{}[],:", c) >= 0:
		p.tok, p.end = jsonPunct, i+1
		return ""
	case c == '"':
		return p.lexString()
	case c == '-' || c >= '0' && c <= '9':
		return p.lexNumber()
	}
	j := i
	for j < len(p.s) && jsonAlnum(p.s[j]) {
		j++
	}
	if j == i {
		j = i + 1 // one character that starts no token
	}
	p.end = j
	switch p.text() {
	case "true", "false", "null":
		p.tok = jsonLiteral
		return ""
	}
	return p.invalidToken()
}

func (p *pgJSONParser) invalidToken() string {
	return `Token "` + p.text() + `" is invalid.`
}

// lexNumber reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? and any
// letters or digits that follow it, which make the whole token invalid.
func (p *pgJSONParser) lexNumber() string {
	s, i, bad := p.s, p.start, false
	digits := func() bool {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > j
	}
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		digits()
	default:
		bad = true
	}
	if i < len(s) && s[i] == '.' {
		i++
		bad = !digits() || bad
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		bad = !digits() || bad
	}
	for i < len(s) && jsonAlnum(s[i]) {
		i++
		bad = true
	}
	p.tok, p.end = jsonNumber, i
	if bad {
		return p.invalidToken()
	}
	return ""
}

// lexString reads a string token, checking its escapes as PostgreSQL's
// jsonb input does (a \u surrogate must pair).
func (p *pgJSONParser) lexString() string {
	s, i := p.s, p.start+1
	highSurrogate := false
	for {
		if i >= len(s) {
			p.end = i
			return p.invalidToken() // the text ends inside the string
		}
		c := s[i]
		switch {
		case c == '"':
			if highSurrogate {
				return "Unicode low surrogate must follow a high surrogate."
			}
			p.tok, p.end = jsonString, i+1
			return ""
		case c < 0x20:
			return fmt.Sprintf("Character with value 0x%02x must be escaped.", c)
		case c != '\\':
			if highSurrogate {
				return "Unicode low surrogate must follow a high surrogate."
			}
			i++
			continue
		}
		i++ // the backslash
		if i >= len(s) {
			p.end = i
			return p.invalidToken()
		}
		if s[i] != 'u' {
			if highSurrogate {
				return "Unicode low surrogate must follow a high surrogate."
			}
			if strings.IndexByte(`"\/bfnrt`, s[i]) < 0 {
				return fmt.Sprintf(`Escape sequence "\%s" is invalid.`, dialect.Snippet(string(s[i:i+utf8Len(s[i:])])))
			}
			i++
			continue
		}
		var r rune
		for k := 1; k <= 4; k++ {
			if i+k >= len(s) {
				p.end = len(s)
				return p.invalidToken()
			}
			h, ok := hexDigit(s[i+k])
			if !ok {
				return `"\u" must be followed by four hexadecimal digits.`
			}
			r = r<<4 | h
		}
		i += 5
		switch {
		case r >= 0xD800 && r < 0xDC00:
			if highSurrogate {
				return "Unicode high surrogate must not follow a high surrogate."
			}
			highSurrogate = true
		case r >= 0xDC00 && r <= 0xDFFF:
			if !highSurrogate {
				return "Unicode low surrogate must follow a high surrogate."
			}
			highSurrogate = false
		default:
			if highSurrogate {
				return "Unicode low surrogate must follow a high surrogate."
			}
		}
	}
}

func hexDigit(c byte) (rune, bool) {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0'), true
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10, true
	}
	return 0, false
}

// utf8Len is the length of the UTF-8 sequence s starts with (1 for a
// byte that starts none), so a detail never cuts a character.
func utf8Len(s []byte) int {
	n := 1
	switch c := s[0]; {
	case c >= 0xF0:
		n = 4
	case c >= 0xE0:
		n = 3
	case c >= 0xC0:
		n = 2
	}
	return min(n, len(s))
}

// value parses a value starting at the current token and reads the token
// after it.
func (p *pgJSONParser) value() string {
	switch {
	case p.is('{'):
		return p.object()
	case p.is('['):
		return p.array()
	case p.tok == jsonString || p.tok == jsonNumber || p.tok == jsonLiteral:
		return p.lex()
	}
	return p.expected("JSON value")
}

// tooDeepDetail stops the parse of a value nested deeper than the decoder
// reads, whose own error stands (DecodeJSONText never gets here: the
// decoder reports the depth first).
const tooDeepDetail = "\x00too deep"

func (p *pgJSONParser) nested(parse func() string) string {
	if p.depth++; p.depth > MaxJSONDepth {
		return tooDeepDetail
	}
	defer func() { p.depth-- }()
	return parse()
}

func (p *pgJSONParser) object() string {
	return p.nested(func() string {
		if d := p.lex(); d != "" {
			return d
		}
		switch {
		case p.is('}'):
			return p.lex()
		case p.tok != jsonString:
			return p.expected(`string or "}"`)
		}
		for {
			if p.tok != jsonString {
				return p.expected("string")
			}
			if d := p.lex(); d != "" {
				return d
			}
			if !p.is(':') {
				return p.expected(`":"`)
			}
			if d := p.lex(); d != "" {
				return d
			}
			if d := p.value(); d != "" {
				return d
			}
			switch {
			case p.is('}'):
				return p.lex()
			case !p.is(','):
				return p.expected(`"," or "}"`)
			}
			if d := p.lex(); d != "" {
				return d
			}
		}
	})
}

func (p *pgJSONParser) array() string {
	return p.nested(func() string {
		if d := p.lex(); d != "" {
			return d
		}
		if p.is(']') {
			return p.lex()
		}
		for {
			if d := p.value(); d != "" {
				return d
			}
			switch {
			case p.is(']'):
				return p.lex()
			case !p.is(','):
				return p.expected(`"," or "]"`)
			}
			if d := p.lex(); d != "" {
				return d
			}
		}
	})
}
