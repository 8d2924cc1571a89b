// Package jsonstrict finds what encoding/json silently accepts but a
// server must not: an object that names a key twice. Which of the two
// values counts differs between parsers (encoding/json keeps the last,
// others the first), so a body or a token that a proxy, a logger or an
// auditor reads one way could run the other way; such input is refused
// as ambiguous instead.
package jsonstrict

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
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

// frame is one open object or array.
type frame struct {
	object bool
	path   string
	keys   map[string]struct{}
	// nextIsKey: in an object, whether the next token is a key.
	nextIsKey bool
	key       string // the current key of an object
	index     int    // the next index of an array
}

// CheckNoDuplicateKeys returns a *DuplicateKeyError for the first object
// in data, at any depth, that has a key twice. It does not validate the
// rest: malformed JSON returns nil, for the caller's decoder to report.
func CheckNoDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	// childPath is the path of a value about to start in the innermost
	// frame (or "" at the top).
	childPath := func() string {
		if len(stack) == 0 {
			return ""
		}
		f := stack[len(stack)-1]
		if f.object {
			return join(f.path, f.key)
		}
		return f.path + "[" + strconv.Itoa(f.index) + "]"
	}
	// valueDone records that a value ended inside the innermost frame.
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		f := stack[len(stack)-1]
		if f.object {
			f.nextIsKey = true
		} else {
			f.index++
		}
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil
		}
		if len(stack) > 0 {
			if f := stack[len(stack)-1]; f.object && f.nextIsKey {
				if key, ok := tok.(string); ok {
					if _, dup := f.keys[key]; dup {
						return &DuplicateKeyError{Key: key, Path: f.path}
					}
					f.keys[key] = struct{}{}
					f.key, f.nextIsKey = key, false
					continue
				}
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, path: childPath(), keys: map[string]struct{}{}, nextIsKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{path: childPath()})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
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
