package dialect

import (
	"strconv"
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// MaxParams bounds the placeholders of one statement.
const MaxParams = 65535

// EngineText returns the statement text for the query engine, whose MySQL
// parser knows '?' and ':name' placeholders but not PostgreSQL's $n: each
// $n becomes :vn, the name the engine gives the n-th '?', so both styles
// bind to request param n. It also returns how many params the statement
// takes (the highest $n, or the number of '?'). Mixing the two styles is
// refused: their numbering would be ambiguous.
//
// Only placeholder tokens are touched (the lexer knows strings, quoted
// identifiers and comments), so '$1' inside a literal stays text.
func EngineText(s *StandardSQL) (string, int, error) {
	src := s.Text()
	lx := lexer{src: src}
	var (
		b         strings.Builder
		last      int
		dollars   int
		questions int
	)
	for {
		t := lx.next()
		if t.kind == tokEOF || t.kind == tokInvalid {
			break
		}
		if t.kind != tokPlaceholder {
			continue
		}
		raw := src[t.pos:t.end]
		if raw == "?" {
			questions++
			continue
		}
		n, err := strconv.Atoi(raw[1:])
		if err != nil || n < 1 || n > MaxParams {
			return "", 0, apierror.New(apierror.InvalidParameter, "placeholder %s at position %d: parameters are numbered $1..$%d", raw, t.pos+1, MaxParams).
				WithDetails(map[string]any{"position": t.pos + 1})
		}
		dollars = max(dollars, n)
		if b.Len() == 0 && last == 0 {
			b.Grow(len(src) + 8)
		}
		b.WriteString(src[last:t.pos])
		b.WriteString(":v")
		b.WriteString(raw[1:])
		last = t.end
	}
	if dollars > 0 && questions > 0 {
		return "", 0, apierror.New(apierror.InvalidParameter, "a statement may use $n or ? placeholders, not both")
	}
	if dollars == 0 {
		return src, questions, nil
	}
	b.WriteString(src[last:])
	return b.String(), dollars, nil
}
