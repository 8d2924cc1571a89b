package dialect

import (
	"strconv"
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// MaxParams bounds the placeholders of one statement.
const MaxParams = 65535

// EngineStatement is a standard statement's text as the query engine's
// MySQL-family parser needs it.
type EngineStatement struct {
	Text string
	// Params is how many request params the statement takes.
	Params int
	// inserted lists, in order, the offsets in the source text where
	// characters were added, and how many, to map engine positions back.
	inserted []insertion
}

type insertion struct{ at, n int }

// SourcePosition maps a 1-based position in Text back to the statement's
// source text, for error messages.
func (s EngineStatement) SourcePosition(pos int) int {
	out := pos
	for _, ins := range s.inserted {
		if ins.at < pos-1 {
			out -= ins.n
		}
	}
	return max(out, 1)
}

// EngineText rewrites a standard statement for the engine's parser, token
// by token (strings, quoted identifiers and comments are never touched):
//
//   - $n placeholders become :vn, the bind name the engine gives the n-th
//     '?', so both styles bind to request param n. Params is the highest
//     $n, or the number of '?'; mixing the styles is refused, their
//     numbering would be ambiguous.
//   - A bare word qualified with '.' (ns.table, table.col) is quoted.
//     Such a word is always an identifier, but the MySQL grammar reserves
//     names KalamDB users qualify with every day: system.tables would be a
//     syntax error.
func EngineText(s *StandardSQL) (EngineStatement, error) {
	src := s.Text()
	lx := lexer{src: src}
	var (
		b         strings.Builder
		out       EngineStatement
		last      int
		dollars   int
		questions int
		prev      token
		prevPrev  token
		havePrev  bool
	)
	flush := func(upTo int) { b.WriteString(src[last:upTo]); last = upTo }
	quoteWord := func(t token) {
		flush(t.pos)
		b.WriteByte('"')
		b.WriteString(src[t.pos:t.end])
		b.WriteByte('"')
		last = t.end
		out.inserted = append(out.inserted, insertion{at: t.pos, n: 2})
	}
	isDot := func(t token) bool { return t.kind == tokPunct && src[t.pos:t.end] == "." }
	for {
		t := lx.next()
		if t.kind == tokComment {
			continue
		}
		if t.kind == tokEOF || t.kind == tokInvalid {
			break
		}
		switch {
		case t.kind == tokPlaceholder && src[t.pos:t.end] == "?":
			questions++
		case t.kind == tokPlaceholder:
			raw := src[t.pos:t.end]
			n, err := strconv.Atoi(raw[1:])
			if err != nil || n < 1 || n > MaxParams {
				return EngineStatement{}, apierror.New(apierror.InvalidParameter, "placeholder %s at position %d: parameters are numbered $1..$%d", raw, t.pos+1, MaxParams).
					WithDetails(map[string]any{"position": t.pos + 1})
			}
			dollars = max(dollars, n)
			flush(t.pos)
			b.WriteString(":v")
			b.WriteString(raw[1:])
			last = t.end
			out.inserted = append(out.inserted, insertion{at: t.pos, n: 1})
		case isDot(t) && havePrev && prev.kind == tokWord && prev.end == t.pos && prev.pos >= last:
			// word '.' : the word is a qualifier.
			quoteWord(prev)
		case t.kind == tokWord && havePrev && isDot(prev) && prev.end == t.pos &&
			!(prevPrev.kind == tokNumber):
			// '.' word : the word is a qualified name (but not the
			// fraction of a number like 1.e5).
			quoteWord(t)
		}
		prevPrev, prev, havePrev = prev, t, true
	}
	if dollars > 0 && questions > 0 {
		return EngineStatement{}, apierror.New(apierror.InvalidParameter, "a statement may use $n or ? placeholders, not both")
	}
	out.Params = max(dollars, questions)
	if len(out.inserted) == 0 {
		out.Text = src
		return out, nil
	}
	flush(len(src))
	out.Text = b.String()
	return out, nil
}
