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
//
// Letters and spaces are Unicode's, as in PostgreSQL over UTF-8 text with a
// UTF-8 locale (the case of upper and lower here is Unicode's too): \w,
// \s and the classes [:alpha:], [:alnum:], [:upper:], [:lower:] and
// [:space:] become Unicode classes (RE2's are ASCII's: \w did not match
// the ß of straße). Digits stay 0-9, as the C library's are. The Unicode
// classes follow its general categories, which the C library's classes
// mostly do (some combining marks and modifier letters differ).
func fromPostgres(fn, pattern string) (string, error) {
	if !strings.ContainsRune(pattern, '\\') && !strings.Contains(pattern, "[:") {
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
			case unicodeEscapes[e] != "" && inClass:
				b.WriteString(unicodeEscapes[e])
			case unicodeEscapes[e] != "":
				b.WriteString("[" + unicodeEscapes[e] + "]")
			case unicodeEscapes[e+'a'-'A'] != "" && !inClass:
				b.WriteString("[^" + unicodeEscapes[e+'a'-'A'] + "]")
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
			name := pattern[i+2 : i+2+end]
			if u, ok := unicodeClasses[name]; ok {
				b.WriteString(u)
			} else {
				b.WriteString(pattern[i : i+2+end+2])
			}
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

// Unicode's letters (and the letter-like numbers and spacing marks the C
// library counts as letters), spaces (White_Space without the no-break
// ones, as the C library's) and word characters, in RE2's spelling for the
// inside of a bracket expression.
//
// Graphic characters are the assigned ones that are neither spaces nor
// controls (the no-break spaces are, as in the C library), printable ones
// those and the space separators, punctuation the graphic ones that are
// not letters or digits (symbols and marks included, as in the C library).
const (
	unicodeAlpha = `\p{L}\p{Nl}\p{Mc}`
	unicodeSpace = `\t\n\v\f\r \x{1680}\x{2000}-\x{2006}\x{2008}-\x{200a}\x{2028}\x{2029}\x{205f}\x{3000}`
	noBreakSpace = `\x{a0}\x{2007}\x{202f}`
	unicodeGraph = `\p{L}\p{M}\p{N}\p{P}\p{S}\p{Cf}\p{Co}` + noBreakSpace
	unicodePunct = `\p{P}\p{S}\p{Mn}\p{Me}\p{No}\p{Cf}\p{Co}` + noBreakSpace
)

// unicodeEscapes are the class escapes PostgreSQL reads with Unicode's
// meaning; \W and \S are their complements outside brackets (inside,
// PostgreSQL refuses them and so does RE2 with its own meaning).
var unicodeEscapes = map[byte]string{
	'w': unicodeAlpha + `0-9_`,
	's': unicodeSpace,
}

// unicodeClasses are the bracket classes PostgreSQL reads with Unicode's
// meaning.
var unicodeClasses = map[string]string{
	"alpha": unicodeAlpha,
	"alnum": unicodeAlpha + `0-9`,
	"upper": `\p{Lu}\p{Lt}`,
	"lower": `\p{Ll}`,
	"space": unicodeSpace,
	"graph": unicodeGraph,
	"print": unicodeGraph + `\p{Zs}`,
	"punct": unicodePunct,
	"cntrl": `\p{Cc}`,
}
