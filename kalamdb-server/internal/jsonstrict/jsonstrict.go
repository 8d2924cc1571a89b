// Package jsonstrict parses JSON the way this server must read it: what
// encoding/json accepts, but never an object that names a key twice and
// never a string that is not text. Which of two values counts differs
// between parsers (encoding/json keeps the last, others the first), so a
// body or a token that a proxy, a logger or an auditor reads one way could
// run the other way; such input is refused as ambiguous instead. Likewise
// a string with invalid UTF-8 or a lone UTF-16 surrogate (`\ud800`) is
// refused (ErrInvalidText) rather than silently changed to U+FFFD, as
// encoding/json would: the server would store or run other text than the
// client sent.
//
// Decode checks and decodes in one pass, into the values encoding/json's
// Decoder produces with UseNumber (nil, bool, json.Number, string, []any,
// map[string]any, the same nesting limit). DecodeObject and Object read
// the fields of a request object by their exact names, refusing a known
// name spelled in another case (FieldError). CheckNoDuplicateKeys only
// checks, for input another decoder reads.
package jsonstrict

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// DuplicateKeyError reports a key given twice in one object.
type DuplicateKeyError struct {
	// Key is the duplicated key; Path is where the object is, as
	// `params[2].meta` ("" for the top-level object).
	Key  string
	Path string
}

func (e *DuplicateKeyError) Error() string {
	if e.Path == "" {
		return "duplicate key " + strconv.Quote(e.Key)
	}
	return "duplicate key " + strconv.Quote(e.Key) + " in " + e.Path
}

// ErrTrailingData is what a SyntaxError wraps when a valid value is
// followed by more than whitespace.
var ErrTrailingData = errors.New("unexpected data after the top-level value")

// ErrInvalidText is what a SyntaxError wraps when a string holds bytes
// that are not UTF-8, or escapes a lone UTF-16 surrogate.
var ErrInvalidText = errors.New("a string is not valid UTF-8 text")

// SyntaxError is input that is not JSON. It wraps io.ErrUnexpectedEOF when
// the input ends early and ErrTrailingData when something follows the
// value.
type SyntaxError struct {
	msg string
	// Offset is the number of bytes read before the error.
	Offset int64
	err    error
}

func (e *SyntaxError) Error() string { return e.msg }
func (e *SyntaxError) Unwrap() error { return e.err }

// maxDepth is encoding/json's nesting limit, so that both refuse the same
// input.
const maxDepth = 10000

// Decode parses data, one JSON value with optional surrounding whitespace,
// into nil, bool, json.Number, string, []any or map[string]any, exactly as
// encoding/json's Decoder with UseNumber would. An object with a key twice
// (keys compared after unescaping, at any depth) is a *DuplicateKeyError;
// anything encoding/json refuses, and a string that is not text
// (ErrInvalidText), is a *SyntaxError.
func Decode(data []byte) (any, error) {
	return decode(data, nil)
}

// decode is Decode; object keys equal to one of names are that string,
// not a copy (the field names a caller looks up: one allocation less
// each, per request).
func decode(data []byte, names []string) (any, error) {
	p := parser{data: data, build: true, names: names}
	p.skipSpace()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i < len(p.data) {
		return nil, p.syntax("invalid character "+quoteChar(p.data[p.i])+" after top-level value", ErrTrailingData)
	}
	return v, nil
}

// CheckNoDuplicateKeys returns a *DuplicateKeyError for the first object
// in data, at any depth, that has a key twice, in a sequence of JSON
// values. It does not validate the rest: malformed JSON returns nil, for
// the caller's decoder to report.
func CheckNoDuplicateKeys(data []byte) error {
	p := parser{data: data}
	for {
		p.skipSpace()
		if p.i >= len(p.data) {
			return nil
		}
		if _, err := p.value(); err != nil {
			var dup *DuplicateKeyError
			if errors.As(err, &dup) {
				return dup
			}
			return nil
		}
	}
}

// parser is a recursive descent parser over data. With build unset it
// only checks (syntax and duplicate keys) and returns no values.
type parser struct {
	data  []byte
	i     int
	build bool
	names []string // keys to reuse rather than copy (decode)
	depth int
	// path is where the parser is, for the path of a DuplicateKeyError.
	path []pathElem
	// keys holds, per nesting level, the keys seen in the open object
	// when not building values (a built object is its own key set).
	keys []keySet
}

// keySet is the keys of one object: a list while it is short, a set once
// it is not, so that checking stays linear in the input.
type keySet struct {
	list [][]byte
	set  map[string]struct{}
}

const maxKeyList = 16

func (k *keySet) reset() {
	k.list = k.list[:0]
	k.set = nil
}

// add records key (which it may keep: its bytes must not change) and
// reports whether it was there already.
func (k *keySet) add(key []byte) bool {
	if k.set != nil {
		if _, dup := k.set[string(key)]; dup {
			return true
		}
		k.set[string(key)] = struct{}{}
		return false
	}
	for _, seen := range k.list {
		if bytes.Equal(seen, key) {
			return true
		}
	}
	if k.list == nil {
		k.list = make([][]byte, 0, maxKeyList+1)
	}
	k.list = append(k.list, key)
	if len(k.list) > maxKeyList {
		k.set = make(map[string]struct{}, 2*len(k.list))
		for _, seen := range k.list {
			k.set[string(seen)] = struct{}{}
		}
	}
	return false
}

type pathElem struct {
	key   []byte
	index int
	array bool
}

func (p *parser) syntax(msg string, err error) error {
	return &SyntaxError{msg: msg, Offset: int64(p.i), err: err}
}

func (p *parser) unexpectedEnd() error {
	return p.syntax("unexpected end of JSON input", io.ErrUnexpectedEOF)
}

func (p *parser) skipSpace() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value parses the value starting at p.i (whitespace already skipped).
func (p *parser) value() (any, error) {
	if p.i >= len(p.data) {
		return nil, p.unexpectedEnd()
	}
	switch c := p.data[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, err := p.str()
		if err != nil || !p.build {
			return nil, err
		}
		return string(s), nil
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	default:
		return nil, p.syntax("invalid character "+quoteChar(c)+" looking for beginning of value", nil)
	}
}

func (p *parser) literal(word string) error {
	for j := 0; j < len(word); j++ {
		if p.i >= len(p.data) {
			return p.unexpectedEnd()
		}
		if c := p.data[p.i]; c != word[j] {
			if j == 0 {
				return p.syntax("invalid character "+quoteChar(c)+" looking for beginning of value", nil)
			}
			return p.syntax("invalid character "+quoteChar(c)+" in literal "+word+" (expecting "+quoteChar(word[j])+")", nil)
		}
		p.i++
	}
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.syntax("exceeded max depth", nil)
	}
	return nil
}

func (p *parser) object() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.i++ // {
	var m map[string]any
	level := p.depth - 1
	if p.build {
		m = make(map[string]any)
	} else {
		for len(p.keys) <= level {
			p.keys = append(p.keys, keySet{})
		}
		p.keys[level].reset()
	}
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		p.depth--
		return p.built(m), nil
	}
	p.push(pathElem{})
	for {
		if p.i >= len(p.data) {
			return nil, p.unexpectedEnd()
		}
		if c := p.data[p.i]; c != '"' {
			return nil, p.syntax("invalid character "+quoteChar(c)+" looking for beginning of object key string", nil)
		}
		rawKey, err := p.str()
		if err != nil {
			return nil, err
		}
		var key string
		var dup bool
		if p.build {
			key = p.key(rawKey)
			_, dup = m[key]
		} else {
			// Indexed afresh: nested objects may have grown p.keys.
			dup = p.keys[level].add(rawKey)
		}
		if dup {
			return nil, &DuplicateKeyError{Key: string(rawKey), Path: p.pathString(len(p.path) - 1)}
		}
		p.skipSpace()
		if p.i >= len(p.data) {
			return nil, p.unexpectedEnd()
		}
		if c := p.data[p.i]; c != ':' {
			return nil, p.syntax("invalid character "+quoteChar(c)+" after object key", nil)
		}
		p.i++
		p.skipSpace()
		p.path[len(p.path)-1] = pathElem{key: rawKey}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if p.build {
			m[key] = v
		}
		if done, err := p.afterElement('}', "object key:value pair"); err != nil {
			return nil, err
		} else if done {
			return p.built(m), nil
		}
	}
}

// key is rawKey as a string: one of p.names when equal, else a copy.
func (p *parser) key(rawKey []byte) string {
	for _, name := range p.names {
		if string(rawKey) == name {
			return name
		}
	}
	return string(rawKey)
}

// afterElement reads what follows an element of an open object or array:
// a comma (more to come) or its closing character (done: the container is
// closed), anything else is an error.
func (p *parser) afterElement(closing byte, element string) (done bool, err error) {
	p.skipSpace()
	if p.i >= len(p.data) {
		return false, p.unexpectedEnd()
	}
	switch c := p.data[p.i]; c {
	case ',':
		p.i++
		p.skipSpace()
		return false, nil
	case closing:
		p.i++
		p.depth--
		p.path = p.path[:len(p.path)-1]
		return true, nil
	default:
		return false, p.syntax("invalid character "+quoteChar(c)+" after "+element, nil)
	}
}

// push enters an element level of the path.
func (p *parser) push(e pathElem) {
	if p.path == nil {
		p.path = make([]pathElem, 0, 8)
	}
	p.path = append(p.path, e)
}

// built returns m as a value, or nil when not building (so that no
// typed nil map hides in an interface).
func (p *parser) built(m map[string]any) any {
	if !p.build {
		return nil
	}
	return m
}

func (p *parser) array() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	p.i++ // [
	var a []any
	if p.build {
		a = make([]any, 0)
	}
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		p.depth--
		return p.builtArray(a), nil
	}
	p.push(pathElem{array: true})
	for index := 0; ; index++ {
		p.path[len(p.path)-1].index = index
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if p.build {
			if cap(a) == 0 && len(p.path) == 2 && !p.path[0].array {
				// Room for a few at once: a statement's parameters are
				// usually a handful, which append would reach through
				// arrays of 1, 2 and 4. Only for an array that is a
				// field of the top object (params): given to every
				// array, a body of one-element arrays decoded to 48
				// heap bytes per body byte, not 36, none of it charged.
				a = make([]any, 0, 4)
			}
			a = append(a, v)
		}
		if done, err := p.afterElement(']', "array element"); err != nil {
			return nil, err
		} else if done {
			return p.builtArray(a), nil
		}
	}
}

func (p *parser) builtArray(a []any) any {
	if !p.build {
		return nil
	}
	return a
}

// number parses a JSON number into a json.Number holding its text.
func (p *parser) number() (any, error) {
	start := p.i
	d := p.data
	if d[p.i] == '-' {
		p.i++
	}
	digits := func() error {
		if p.i >= len(d) {
			return p.unexpectedEnd()
		}
		if c := d[p.i]; c < '0' || c > '9' {
			return p.syntax("invalid character "+quoteChar(c)+" in numeric literal", nil)
		}
		for p.i < len(d) && '0' <= d[p.i] && d[p.i] <= '9' {
			p.i++
		}
		return nil
	}
	switch {
	case p.i < len(d) && d[p.i] == '0':
		p.i++
	default:
		if err := digits(); err != nil {
			return nil, err
		}
	}
	if p.i < len(d) && d[p.i] == '.' {
		p.i++
		if err := digits(); err != nil {
			return nil, err
		}
	}
	if p.i < len(d) && (d[p.i] == 'e' || d[p.i] == 'E') {
		p.i++
		if p.i < len(d) && (d[p.i] == '+' || d[p.i] == '-') {
			p.i++
		}
		if err := digits(); err != nil {
			return nil, err
		}
	}
	if !p.build {
		return nil, nil
	}
	return json.Number(d[start:p.i]), nil
}

// str parses the string starting at p.i (at its opening quote) and returns
// it unescaped: a slice of the input when that is the same, else a new
// buffer. Invalid UTF-8 is an error (ErrInvalidText).
func (p *parser) str() ([]byte, error) {
	p.i++ // "
	start := p.i
	d := p.data
	// Fast path: nothing to unescape or replace.
	for p.i < len(d) {
		c := d[p.i]
		if c == '"' {
			s := d[start:p.i]
			p.i++
			return s, nil
		}
		if c == '\\' || c < ' ' {
			break
		}
		if c < utf8.RuneSelf {
			p.i++
			continue
		}
		r, size := utf8.DecodeRune(d[p.i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		p.i += size
	}
	buf := make([]byte, 0, p.i-start+16)
	buf = append(buf, d[start:p.i]...)
	for {
		if p.i >= len(d) {
			return nil, p.unexpectedEnd()
		}
		c := d[p.i]
		switch {
		case c == '"':
			p.i++
			return buf, nil
		case c < ' ':
			return nil, p.syntax("invalid character "+quoteChar(c)+" in string literal", nil)
		case c == '\\':
			var err error
			if buf, err = p.escape(buf); err != nil {
				return nil, err
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.i++
		default:
			r, size := utf8.DecodeRune(d[p.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, p.syntax("invalid UTF-8 in string", ErrInvalidText)
			}
			buf = append(buf, d[p.i:p.i+size]...)
			p.i += size
		}
	}
}

// escape appends the character of the escape sequence at p.i.
func (p *parser) escape(buf []byte) ([]byte, error) {
	d := p.data
	p.i++ // backslash
	if p.i >= len(d) {
		return nil, p.unexpectedEnd()
	}
	c := d[p.i]
	p.i++
	switch c {
	case '"', '\\', '/':
		return append(buf, c), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'u':
		r, err := p.hex4()
		if err != nil {
			return nil, err
		}
		if utf16.IsSurrogate(r) {
			// Text only as a pair: a high half, then a \u low half.
			at := p.i - 6
			if p.i+1 < len(d) && d[p.i] == '\\' && d[p.i+1] == 'u' {
				p.i += 2
				r2, err := p.hex4()
				if err != nil {
					return nil, err
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					return utf8.AppendRune(buf, dec), nil
				}
			}
			p.i = at
			return nil, p.syntax("lone UTF-16 surrogate "+string(d[at:at+6])+" in string", ErrInvalidText)
		}
		return utf8.AppendRune(buf, r), nil
	}
	p.i--
	return nil, p.syntax("invalid character "+quoteChar(c)+" in string escape code", nil)
}

// hex4 reads the four hex digits of a \u escape.
func (p *parser) hex4() (rune, error) {
	var r rune
	for range 4 {
		if p.i >= len(p.data) {
			return 0, p.unexpectedEnd()
		}
		c := p.data[p.i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, p.syntax("invalid character "+quoteChar(c)+" in \\u hexadecimal character escape", nil)
		}
		r = r<<4 | rune(c)
		p.i++
	}
	return r, nil
}

// pathString renders the path to the container at level n of p.path, as
// `params[1].meta`.
func (p *parser) pathString(n int) string {
	var path string
	for _, e := range p.path[:n] {
		if e.array {
			path += "[" + strconv.Itoa(e.index) + "]"
		} else {
			path = join(path, string(e.key))
		}
	}
	return path
}

func join(path, key string) string {
	switch {
	case key == "" || strings.ContainsAny(key, ".[]\""):
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	}
	return path + "." + key
}

// quoteChar formats c as encoding/json's error messages do.
func quoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}
