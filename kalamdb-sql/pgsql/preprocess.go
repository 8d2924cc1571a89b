package pgsql

import (
	"strconv"
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// prepared is a statement's text as PostgreSQL's parser gets it: the text
// as written with three token-level rewrites, and the map back from
// positions in the parsed text to positions in the text as written.
//
//   - '?' placeholders become $1, $2, ... in order (PostgreSQL knows only
//     $n). A '?' is an operator instead (the JSON key-exists operator of
//     KalamDB's SQL) where an operand ends right before it: after a column,
//     a literal or ')'. Mixing '?' placeholders and $n is refused: their
//     numbering would be ambiguous.
//   - TRY_CAST(x AS t), DataFusion's cast that yields NULL for a value that
//     does not convert, becomes CAST padded with spaces to the same length,
//     and the position of the CAST is remembered.
//   - CURRENT_USER() and the other keyword functions KalamDB users call with
//     parentheses (CURRENT_ROLE(), CURRENT_DATE(), CURRENT_TIME(),
//     CURRENT_TIMESTAMP()) become function names of the same length.
//
// Nothing inside string literals, quoted identifiers or comments is ever
// touched: the rewrite works on the tokens of the dialect lexer, which cuts
// text exactly as PostgreSQL's lexer does.
type prepared struct {
	src  string // as written
	text string // as parsed
	// ins lists, in order, where the parsed text has bytes the source does
	// not: at offset at of the parsed text, n bytes were inserted.
	ins []insertion
	// tryCasts holds the parsed-text offsets of CASTs written TRY_CAST.
	tryCasts map[int]bool
	// questions is how many '?' placeholders were numbered.
	questions int
}

type insertion struct{ at, n int }

// srcOffset maps an offset of the parsed text to the source text.
func (p *prepared) srcOffset(off int) int {
	out := off
	for _, in := range p.ins {
		if in.at >= off {
			break
		}
		out -= min(in.n, off-in.at)
	}
	return max(min(out, len(p.src)), 0)
}

// keywordCall maps the keywords KalamDB users call like functions to the
// same-length names the functions table knows them by.
var keywordCall = map[string]string{
	"CURRENT_USER":      "kdb$cur_user",
	"CURRENT_ROLE":      "kdb$cur_role",
	"CURRENT_DATE":      "kdb$cur_date",
	"CURRENT_TIME":      "kdb$cur_time",
	"CURRENT_TIMESTAMP": "kdb$cur_timestamp",
}

// needsRewrite is a quick test that rules out the lexing pass for the
// statements that need none (most).
func needsRewrite(s string) bool {
	if strings.IndexByte(s, '?') >= 0 || strings.IndexByte(s, '`') >= 0 {
		return true
	}
	for i := 0; i+4 <= len(s); i++ {
		switch s[i] | 0x20 {
		case 't', 'c':
			if hasPrefixFold(s[i:], "TRY_CAST") || hasPrefixFold(s[i:], "CURRENT_") {
				return true
			}
		case '/':
			if strings.HasPrefix(s[i:], "/*!") || strings.HasPrefix(s[i:], "/*+") {
				return true
			}
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

type lexed struct {
	kind     dialect.TokenKind
	pos, end int
}

// preprocess prepares text for PostgreSQL's parser (see prepared).
func preprocess(src string) (*prepared, error) {
	p := &prepared{src: src, text: src}
	if !needsRewrite(src) {
		return p, nil
	}
	lx := dialect.NewLexer(src)
	var toks []lexed
	for {
		k, pos, end := lx.Next()
		if k == dialect.TokEOF {
			break
		}
		if k == dialect.TokComment {
			continue
		}
		if k == dialect.TokInvalid && dialect.IsExecutableComment(src[pos:end]) {
			return nil, dialect.ErrorAt(apierror.InvalidSQL, src, pos, "%s", dialect.ExecutableCommentMessage(src[pos:end]))
		}
		if k == dialect.TokInvalid {
			// PostgreSQL's parser reports it, with its own message.
			break
		}
		if k == dialect.TokQuotedIdent && src[pos] == '`' {
			return nil, dialect.ErrorAt(apierror.InvalidSQL, src, pos, "`...` is MySQL quoting; quote identifiers with double quotes (\"name\")")
		}
		toks = append(toks, lexed{k, pos, end})
	}
	var (
		b       strings.Builder
		last    int // source bytes before last are written
		dollars bool
		firstQ  = -1
	)
	raw := func(i int) string { return src[toks[i].pos:toks[i].end] }
	isPunct := func(i int, s string) bool {
		return i >= 0 && i < len(toks) && toks[i].kind == dialect.TokPunct && raw(i) == s
	}
	written := func() int { return b.Len() + len(src) - last } // parsed length so far, if the rest were copied
	for i, t := range toks {
		switch {
		case t.kind == dialect.TokPlaceholder && raw(i) != "?":
			dollars = true
		case t.kind == dialect.TokPlaceholder:
			if isOperatorQuestion(src, toks, i) {
				continue
			}
			if firstQ < 0 {
				firstQ = t.pos
			}
			p.questions++
			b.WriteString(src[last:t.pos])
			at := b.Len()
			rep := "$" + strconv.Itoa(p.questions)
			// Keep the parameter a token of its own: "SELECT$1" would be an
			// identifier, "$1AND" trailing junk.
			if t.pos > 0 && isIdentByte(src[t.pos-1]) {
				rep = " " + rep
			}
			if t.end < len(src) && isIdentByte(src[t.end]) {
				rep += " "
			}
			b.WriteString(rep)
			p.ins = append(p.ins, insertion{at: at, n: len(rep) - 1})
			last = t.end
		case t.kind == dialect.TokWord && strings.EqualFold(raw(i), "TRY_CAST") && isPunct(i+1, "("):
			if p.tryCasts == nil {
				p.tryCasts = map[int]bool{}
			}
			p.tryCasts[written()-(len(src)-t.pos)] = true
			b.WriteString(src[last:t.pos])
			b.WriteString("CAST    ")
			last = t.end
		case t.kind == dialect.TokWord && isPunct(i+1, "(") && isPunct(i+2, ")"):
			name, ok := keywordCall[strings.ToUpper(raw(i))]
			if !ok {
				continue
			}
			b.WriteString(src[last:t.pos])
			b.WriteString(name)
			last = t.end
		}
	}
	if dollars && p.questions > 0 {
		return nil, dialect.ErrorAt(apierror.InvalidParameter, src, firstQ, "a statement may use $n or ? placeholders, not both")
	}
	if p.questions > MaxParams {
		return nil, apierror.New(apierror.InvalidParameter, "a statement takes at most %d parameters", MaxParams)
	}
	if last == 0 {
		return p, nil
	}
	b.WriteString(src[last:])
	p.text = b.String()
	return p, nil
}

func isIdentByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

// isOperatorQuestion reports whether the '?' token i is the JSON
// key-exists operator rather than a placeholder: it follows the end of an
// operand (or is the start of ?| or ?&).
func isOperatorQuestion(src string, toks []lexed, i int) bool {
	t := toks[i]
	if t.end < len(src) && (src[t.end] == '|' || src[t.end] == '&') {
		return true
	}
	if i == 0 {
		return false
	}
	prev := toks[i-1]
	switch prev.kind {
	case dialect.TokQuotedIdent, dialect.TokString, dialect.TokNumber, dialect.TokPlaceholder:
		return true
	case dialect.TokPunct:
		r := src[prev.pos:prev.end]
		return r == ")" || r == "]"
	case dialect.TokWord:
		return !notOperand[strings.ToUpper(src[prev.pos:prev.end])]
	}
	return false
}

// notOperand lists the words after which an operand starts: PostgreSQL's
// reserved keywords (except those that are values, such as NULL and
// CURRENT_DATE, or end one, such as END) and the unreserved ones that
// introduce an operand.
var notOperand = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`ALL ANALYSE ANALYZE AND ANY ARRAY AS ASC ASYMMETRIC BOTH CASE CAST
		CHECK COLLATE COLUMN CONSTRAINT CREATE DEFAULT DEFERRABLE DESC DISTINCT DO ELSE EXCEPT FETCH
		FOR FOREIGN FROM GRANT GROUP HAVING IN INITIALLY INTERSECT INTO LATERAL LEADING LIMIT NOT
		OFFSET ON ONLY OR ORDER PLACING PRIMARY REFERENCES RETURNING SELECT SOME SYMMETRIC TABLE THEN
		TO TRAILING UNION UNIQUE USING VARIADIC WHEN WHERE WINDOW WITH AUTHORIZATION BINARY COLLATION
		CONCURRENTLY CROSS FREEZE FULL ILIKE INNER IS JOIN LEFT LIKE NATURAL OUTER OVERLAPS RIGHT
		SIMILAR TABLESAMPLE VERBOSE BETWEEN INTERVAL ZONE ESCAPE FIRST NEXT SET BY VALUES`) {
		m[w] = true
	}
	return m
}()
