package cli

import (
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// stmtBuffer collects input lines until they hold complete statements: the
// last token is a ';' outside every string, quoted identifier and comment
// (by the dialect's lexer, so PostgreSQL's rules: E” strings, dollar
// quotes, nested comments), and no transaction block is open. The server
// applies BEGIN ... COMMIT within one request, so a block is collected
// whole and sent when it ends.
//
// Lines are lexed once each: lexing resumes at the end of what was lexed,
// or at the start of a literal or comment that had not ended yet.
type stmtBuffer struct {
	text      string
	startLine int // source line of the first line; 0 when empty
	lexed     int // text[:lexed] is lexed and ends at a token boundary

	atStatementStart bool // the next significant token begins a statement
	hasContent       bool // a token other than a comment was seen
	endsWithSemi     bool // the last significant token is ';'
	txOpen           bool // a BEGIN is not yet followed by COMMIT or ROLLBACK
	openLiteral      bool // a literal, quoted identifier or comment runs to the end
}

// empty reports whether the buffer holds nothing to run.
func (b *stmtBuffer) empty() bool { return b.text == "" }

// add appends one line of input.
func (b *stmtBuffer) add(line string, lineNo int) {
	if b.text == "" {
		b.startLine = lineNo
		b.atStatementStart = true
	}
	b.text += line + "\n"
	b.scan()
	if !b.hasContent && !b.openLiteral {
		// Only blanks and comments so far: nothing to wait for.
		b.reset()
	}
}

// complete reports whether the buffer ends with complete statements.
func (b *stmtBuffer) complete() bool {
	return b.hasContent && b.endsWithSemi && !b.openLiteral && !b.txOpen
}

// take returns the buffered text and its first line, and empties the
// buffer.
func (b *stmtBuffer) take() (string, int) {
	text, line := b.text, b.startLine
	b.reset()
	return text, line
}

func (b *stmtBuffer) reset() { *b = stmtBuffer{} }

func (b *stmtBuffer) scan() {
	rest := b.text[b.lexed:]
	lx := dialect.NewLexer(rest)
	b.openLiteral = false
	for {
		kind, pos, end := lx.Next()
		tok := rest[pos:end]
		switch kind {
		case dialect.TokEOF:
			b.lexed = len(b.text)
			return
		case dialect.TokComment:
			continue
		case dialect.TokInvalid:
			if !isExecutableComment(tok) {
				// Unterminated: lex it again once more text has come.
				b.openLiteral = true
				b.lexed += pos
				return
			}
			// A MySQL executable comment is complete and refused by the
			// server wherever it sits; it counts as content.
		}
		b.hasContent = true
		if kind == dialect.TokPunct && tok == ";" {
			b.endsWithSemi = true
			b.atStatementStart = true
			continue
		}
		b.endsWithSemi = false
		if b.atStatementStart {
			b.atStatementStart = false
			if kind == dialect.TokWord {
				switch strings.ToUpper(tok) {
				case "BEGIN", "START":
					b.txOpen = true
				case "COMMIT", "ROLLBACK":
					b.txOpen = false
				}
			}
		}
	}
}

// isExecutableComment reports a terminated /*! or /*+ comment, which the
// lexer marks invalid although it ends.
func isExecutableComment(tok string) bool {
	return len(tok) >= 5 && (strings.HasPrefix(tok, "/*!") || strings.HasPrefix(tok, "/*+")) && strings.HasSuffix(tok, "*/")
}

// request is a run of statements sent in one HTTP request: one statement,
// or a whole transaction block.
type request struct {
	start, end int // byte range of the text
	segments   []dialect.Segment
}

// planRequests cuts complete text into requests with the dialect's
// splitter: one per statement, a transaction block as one. Text the
// splitter refuses is sent whole, so that the server reports the error with
// its position. Text with no statement gives no request.
func planRequests(text string) []request {
	segs, err := dialect.Split(text)
	if err != nil {
		if apierror.Is(err, apierror.EmptySQL) {
			return nil
		}
		trimmed := strings.TrimSpace(text)
		start := strings.Index(text, trimmed)
		return []request{{start: start, end: start + len(trimmed)}}
	}
	var out []request
	var cur *request
	for _, seg := range segs {
		word := firstWord(seg.Text)
		if cur == nil {
			out = append(out, request{start: seg.Offset})
			cur = &out[len(out)-1]
			cur.segments = append(cur.segments, seg)
			cur.end = seg.Offset + len(seg.Text)
			if word != "BEGIN" && word != "START" {
				cur = nil
			}
			continue
		}
		cur.segments = append(cur.segments, seg)
		cur.end = seg.Offset + len(seg.Text)
		if word == "COMMIT" || word == "ROLLBACK" {
			cur = nil
		}
	}
	return out
}

// firstWord returns the first token of a statement in upper case, or ""
// when it is not a word.
func firstWord(stmt string) string {
	lx := dialect.NewLexer(stmt)
	for {
		kind, pos, end := lx.Next()
		switch kind {
		case dialect.TokComment:
			continue
		case dialect.TokWord:
			return strings.ToUpper(stmt[pos:end])
		}
		return ""
	}
}

// usedNamespace returns the namespace a USE (or SET NAMESPACE) statement
// selects.
func usedNamespace(stmt string) (string, bool) {
	switch firstWord(stmt) {
	case "USE", "SET":
	default:
		return "", false
	}
	st, err := dialect.ParseOne(stmt)
	if err != nil {
		return "", false
	}
	u, ok := st.(*dialect.UseNamespace)
	if !ok {
		return "", false
	}
	return u.Name, true
}

// changesSchema reports a statement after which the completion lists may
// be out of date.
func changesSchema(stmt string) bool {
	switch firstWord(stmt) {
	case "CREATE", "DROP", "ALTER", "RESTORE":
		return true
	}
	return false
}

// location is a place in a source: a 1-based line and column (0: unknown).
type location struct {
	line, column int
	text         string // the whole source line
}

// locate returns the line and column of byte offset off in text whose first
// line is line first.
func locate(text string, first, off int) location {
	off = min(max(off, 0), len(text))
	before := text[:off]
	lineStart := strings.LastIndexByte(before, '\n') + 1
	lineEnd := strings.IndexByte(text[lineStart:], '\n')
	if lineEnd < 0 {
		lineEnd = len(text)
	} else {
		lineEnd += lineStart
	}
	return location{
		line:   first + strings.Count(before, "\n"),
		column: len([]rune(text[lineStart:off])) + 1,
		text:   text[lineStart:lineEnd],
	}
}
