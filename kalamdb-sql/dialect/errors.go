package dialect

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// source is the text being parsed and where it sits in the request. Errors
// report positions in the whole request (full) so that a client can point at
// the offending character of a multi-statement batch, while the parser works
// on one statement (text) at a time.
type source struct {
	text   string // the statement (or batch) being lexed
	origin int    // byte offset of text within full
	full   string // the request text, for line and column
}

// location is the 1-based byte position, line and column (in characters)
// of offset off of s.text within the request.
func (s source) location(off int) (pos, line, col int) {
	abs := s.origin + off
	if abs > len(s.full) {
		abs = len(s.full)
	}
	if abs < 0 {
		abs = 0
	}
	before := s.full[:abs]
	line = 1 + strings.Count(before, "\n")
	lineStart := strings.LastIndexByte(before, '\n') + 1
	col = 1 + utf8.RuneCountInString(before[lineStart:])
	return abs + 1, line, col
}

// errAt is an INVALID_SQL error located at offset off of s.text.
func (s source) errAt(off int, format string, args ...any) *apierror.Error {
	return s.codeAt(apierror.InvalidSQL, off, format, args...)
}

func (s source) codeAt(code apierror.Code, off int, format string, args ...any) *apierror.Error {
	pos, line, col := s.location(off)
	return apierror.New(code, format, args...).
		WithDetails(map[string]any{"position": pos, "line": line, "column": col})
}

// syntaxError reports an unexpected token, the way PostgreSQL and MySQL do:
// where, near what, and (when known) what the grammar wanted instead.
func (s source) syntaxError(t token, expected string) *apierror.Error {
	var msg string
	if t.kind == TokEOF {
		msg = "syntax error at end of input"
	} else {
		pos, _, _ := s.location(t.pos)
		msg = fmt.Sprintf("syntax error at position %d near '%s'", pos, snippet(s.text[t.pos:t.end]))
	}
	if expected != "" {
		msg += ": expected " + expected
	}
	return s.errAt(t.pos, "%s", msg)
}

// lexError reports an unterminated quoted token or comment. Split reports it
// as BATCH_PARSE_ERROR (the batch cannot even be cut into statements);
// ParseOne as INVALID_SQL.
func (s source) lexError(code apierror.Code, t token) *apierror.Error {
	raw := s.text[t.pos:t.end]
	if isExecutableComment(raw) {
		return s.errAt(t.pos, "%s", ExecutableCommentMessage(raw))
	}
	what := "block comment"
	switch {
	case raw[0] == '$':
		what = "dollar-quoted string"
	case raw[0] == '"' || raw[0] == '`' || strings.IndexByte(raw, '"') == 2 && raw[1] == '&':
		what = "quoted identifier"
	case raw[0] != '/':
		what = "string literal"
	}
	pos, _, _ := s.location(t.pos)
	return s.codeAt(code, t.pos, "unterminated %s starting at position %d", what, pos)
}

func emptySQL() *apierror.Error {
	return apierror.New(apierror.EmptySQL, "the SQL text contains no statement")
}

// snippet quotes user text inside a message: at most 40 bytes (cut on a
// character boundary, marked "…") with control characters shown as spaces, so an
// error message stays one short line whatever the input.
func snippet(s string) string {
	const max = 40
	cut := false
	if len(s) > max {
		n := max
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s, cut = s[:n], true
	}
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			clean = false
			break
		}
	}
	if !clean {
		b := []byte(s)
		for i, c := range b {
			if c < 0x20 || c == 0x7f {
				b[i] = ' '
			}
		}
		s = string(b)
	}
	if cut {
		s += "…" // apierror marks its cuts the same way
	}
	return s
}

// backtickMessage refuses MySQL's `...` identifier quoting, in standard SQL
// and KalamDB statements alike.
const backtickMessage = "`...` is MySQL quoting; quote identifiers with double quotes (\"name\")"

// ExecutableCommentMessage is the refusal of c, an executable comment (see
// isExecutableComment), shared by every front-end package.
func ExecutableCommentMessage(c string) string {
	kind := "MySQL executable comments ('/*! ... */')"
	if c[2] == '+' {
		kind = "optimizer hints ('/*+ ... */')"
	}
	return kind + " are not supported; remove the comment or write the SQL without it"
}
