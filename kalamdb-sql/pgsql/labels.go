package pgsql

import (
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

// Result columns are labelled the way the engine labelled them before
// this front end existed, and the way DataFusion does in spirit: a column
// reference by the column's name, any other expression by its text as
// written (SELECT count(*) gives a column "count(*)", SELECT a + 1 gives
// "a + 1"). PostgreSQL would say "count" and "?column?", which tells a
// client less and makes two unaliased expressions collide.

// clauseWords end a select-list expression when they appear outside
// parentheses.
var clauseWords = map[string]bool{
	"FROM": true, "WHERE": true, "GROUP": true, "HAVING": true, "WINDOW": true, "ORDER": true,
	"LIMIT": true, "OFFSET": true, "FETCH": true, "FOR": true, "INTO": true, "UNION": true,
	"INTERSECT": true, "EXCEPT": true, "RETURNING": true, "AS": true, "ON": true,
}

// exprText returns the source text of the select-list expression that
// starts at source offset start: up to the ',' or clause keyword that ends
// it at nesting depth 0, without surrounding comments and whitespace.
func exprText(src string, start int) string {
	if start < 0 || start >= len(src) {
		return ""
	}
	lx := dialect.NewLexer(src[start:])
	depth, end := 0, 0
	prevWord := ""
	for {
		k, pos, e := lx.Next()
		if k == dialect.TokEOF || k == dialect.TokInvalid {
			break
		}
		if k == dialect.TokComment {
			continue
		}
		raw := src[start+pos : start+e]
		if k == dialect.TokPunct {
			switch raw {
			case "(", "[":
				depth++
			case ")", "]":
				if depth == 0 {
					return strings.TrimSpace(src[start : start+end])
				}
				depth--
			case ",", ";":
				if depth == 0 {
					return strings.TrimSpace(src[start : start+end])
				}
			}
		}
		if k == dialect.TokWord && depth == 0 {
			w := strings.ToUpper(raw)
			// IS [NOT] DISTINCT FROM is an operator, not the FROM clause.
			if clauseWords[w] && !(w == "FROM" && prevWord == "DISTINCT") {
				return strings.TrimSpace(src[start : start+end])
			}
			prevWord = w
		} else if k == dialect.TokWord {
			prevWord = strings.ToUpper(raw)
		} else {
			prevWord = ""
		}
		end = e
	}
	return strings.TrimSpace(src[start : start+end])
}

// whereEnd ends a WHERE condition at nesting depth 0.
var whereEnd = map[string]bool{
	"GROUP": true, "HAVING": true, "WINDOW": true, "ORDER": true, "LIMIT": true, "OFFSET": true,
	"FETCH": true, "FOR": true, "UNION": true, "INTERSECT": true, "EXCEPT": true, "RETURNING": true,
}

// WhereText returns the condition of a statement's top-level WHERE clause
// as written ("" when it has none), so that it can be composed into other
// statements with the same meaning (live queries reuse a subscription's
// condition in the queries that read its initial rows).
func WhereText(text string) string {
	lx := dialect.NewLexer(text)
	depth, start := 0, -1
	end := len(text)
	for {
		k, pos, e := lx.Next()
		if k == dialect.TokEOF || k == dialect.TokInvalid {
			break
		}
		raw := text[pos:e]
		switch {
		case k == dialect.TokPunct && (raw == "(" || raw == "["):
			depth++
		case k == dialect.TokPunct && (raw == ")" || raw == "]"):
			depth--
		case k == dialect.TokPunct && raw == ";" && depth == 0:
			end = pos
		case k == dialect.TokWord && depth == 0 && start < 0 && strings.EqualFold(raw, "WHERE"):
			start = e
		case k == dialect.TokWord && depth == 0 && start >= 0 && whereEnd[strings.ToUpper(raw)]:
			end = pos
		}
		if end != len(text) {
			break
		}
	}
	if start < 0 || start > end {
		return ""
	}
	return strings.TrimSpace(text[start:end])
}
