package engine

import (
	"strings"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// likePrefixRanges gives every top-level LIKE of a WHERE condition whose
// pattern starts with literal characters (t LIKE 'ab%', t LIKE $1 with
// 'ab%') the range those characters imply, t >= 'ab' AND t < 'ac', so an
// index on t (or the primary key) is read from 'ab' to 'ac' instead of
// whole. The LIKE stays as it is: the range is a consequence of it (every
// text it matches starts with the prefix), so the condition means the
// same, NULLs included.
//
// The engine has a rewrite of its own (t >= 'ab' AND t <= 'ab' || 0xFF)
// that pgTypes keeps it from (by writing the escape out): in KalamDB's
// text order, which is code-point order (the binary collation compares
// runes by value, and index keys are the UTF-8 bytes, whose order is the
// code points'), that bound ends at U+00FF and missed 'ab北'. The upper
// bound here is the prefix's successor in that order, which is above
// every text starting with the prefix whatever follows it.
//
// A condition already holding the bounds (the rule runs more than once on
// a statement) is returned as it is.
func likePrefixRanges(cond sql.Expression) sql.Expression {
	conj := expression.SplitConjunction(cond)
	have := make(map[string]bool, len(conj))
	for _, c := range conj {
		have[c.String()] = true
	}
	var extra []sql.Expression
	for _, c := range conj {
		like, ok := c.(*expression.Like)
		if !ok {
			continue
		}
		col, ok := like.Left().(*expression.GetField)
		if !ok || familyOfType(col.Type()) != famText {
			continue
		}
		pattern, ok := constString(like.Right())
		if !ok {
			continue
		}
		escape, ok := likeEscape(like)
		if !ok {
			continue
		}
		prefix, ok := likePrefix(pattern, escape)
		if !ok || prefix == "" {
			continue
		}
		bounds := []sql.Expression{expression.NewGreaterThanOrEqual(col, textLiteral(prefix))}
		if succ, ok := textSuccessor(prefix); ok {
			bounds = append(bounds, expression.NewLessThan(col, textLiteral(succ)))
		}
		for _, b := range bounds {
			if !have[b.String()] {
				have[b.String()] = true
				extra = append(extra, b)
			}
		}
	}
	if len(extra) == 0 {
		return cond
	}
	return expression.JoinAnd(append([]sql.Expression{cond}, extra...)...)
}

// likeEscape is the escape character of a LIKE with a constant escape
// (pgTypes writes the default one out); ok is false for an escape the
// engine refuses (more than one character) or cannot use (none).
func likeEscape(like *expression.Like) (rune, bool) {
	if like.Escape == nil {
		return '\\', true
	}
	s, ok := constString(like.Escape)
	if !ok || utf8.RuneCountInString(s) != 1 {
		return 0, false
	}
	r, _ := utf8.DecodeRuneInString(s)
	return r, true
}

// likePrefix is the text every match of pattern starts with: its
// characters up to the first wildcard, escapes resolved, read as the
// engine's matcher reads a pattern (a wildcard is one even when it is the
// escape character). ok is false for a pattern the matcher refuses (an
// escape at its end, invalid UTF-8).
func likePrefix(pattern string, escape rune) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		if r == utf8.RuneError {
			return "", false
		}
		i += n
		switch r {
		case '%', '_':
			return b.String(), true
		case escape:
			if i >= len(pattern) {
				return "", false
			}
			r, n = utf8.DecodeRuneInString(pattern[i:])
			if r == utf8.RuneError {
				return "", false
			}
			i += n
		}
		b.WriteRune(r)
	}
	return b.String(), true
}

// textSuccessor is the least text above every text that starts with
// prefix, in code-point order: the prefix with its last character raised
// by one (skipping the surrogates, which are no characters), after
// dropping trailing U+10FFFF, which cannot be raised. ok is false when
// nothing is left (the prefix is all U+10FFFF): no upper bound.
func textSuccessor(prefix string) (string, bool) {
	s := prefix
	for s != "" {
		r, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
		if r == utf8.MaxRune {
			continue
		}
		r++
		if r >= 0xD800 && r <= 0xDFFF {
			r = 0xE000
		}
		return s + string(r), true
	}
	return "", false
}

func textLiteral(s string) sql.Expression {
	return expression.NewLiteral(s, types.LongText)
}

// likeWithoutEscape is LIKE ... ESCAPE ” (no escape character, in
// PostgreSQL) as the engine's LIKE, which always has one (and failed on an
// empty one): the pattern with its backslashes escaped, under the default
// escape.
func likeWithoutEscape(like *expression.Like) (sql.Expression, transform.TreeIdentity, error) {
	lit, ok := like.Right().(*expression.Literal)
	p, isText := constString(like.Right())
	if !ok || !isText {
		return nil, transform.SameTree, apierror.New(apierror.Unsupported, "LIKE ... ESCAPE '' is supported with a constant pattern only")
	}
	pattern := expression.NewLiteral(strings.ReplaceAll(p, `\`, `\\`), lit.Type())
	return expression.NewLike(like.Left(), pattern, textLiteral(`\`)), transform.NewTree, nil
}
