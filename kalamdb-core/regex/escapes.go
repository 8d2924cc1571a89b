package regex

import (
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// PostgreSQL's escapes where RE2's differ. PostgreSQL's regular expressions
// (AREs) give some escapes another meaning than Perl's, which RE2 follows:
//
//	\b  backspace (RE2: a word boundary)
//	\B  a backslash (RE2: not a word boundary)
//	\y  a word boundary, \Y not one (RE2: no such escapes)
//	\Z  the end of the text (RE2: \z)
//	\m  \M  the start and end of a word (RE2 cannot say it without lookaround)
//
// fromPostgres rewrites the first four into RE2's spelling before the
// pattern is parsed, so a pattern means what it means in PostgreSQL, and
// refuses \m and \M as UNSUPPORTED, naming \y. Inside a bracket expression
// \b is a backspace and \B a backslash too; \y and the others are not
// escapes there (RE2 then refuses them, as PostgreSQL does). An escaped
// backslash (\\) is kept whole, so the escape after it is not misread.
func fromPostgres(fn, pattern string) (string, error) {
	if !strings.ContainsRune(pattern, '\\') {
		return pattern, nil
	}
	var b strings.Builder
	b.Grow(len(pattern) + 8)
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			i++
			e := pattern[i]
			switch {
			case e == 'b':
				b.WriteString(`\x08`)
			case e == 'B':
				b.WriteString(`\\`)
			case e == 'y' && !inClass:
				b.WriteString(`\b`)
			case e == 'Y' && !inClass:
				b.WriteString(`\B`)
			case e == 'Z' && !inClass:
				b.WriteString(`\z`)
			case (e == 'm' || e == 'M') && !inClass:
				prefix := ""
				if fn != "" {
					prefix = fn + ": "
				}
				return "", apierror.New(apierror.Unsupported, "%sregular expression %q uses \\%c (the %s of a word): it is not supported; "+
					"\\y matches at either end of a word", prefix, truncate(pattern, 100), e, map[byte]string{'m': "start", 'M': "end"}[e])
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// A ] first in the class (after an optional ^) is a member.
			if i+1 < len(pattern) && pattern[i+1] == '^' {
				i++
				b.WriteByte('^')
			}
			if i+1 < len(pattern) && pattern[i+1] == ']' {
				i++
				b.WriteByte(']')
			}
		case c == '[' && inClass && i+1 < len(pattern) && pattern[i+1] == ':':
			// A character class name ([:alpha:]) is copied to its end.
			end := strings.Index(pattern[i+2:], ":]")
			if end < 0 {
				b.WriteByte(c)
				continue
			}
			b.WriteString(pattern[i : i+2+end+2])
			i += 2 + end + 1
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
