package dialect

import "strings"

// ParseBool reads PostgreSQL's boolean input (boolin): any unique prefix
// of true, false, yes or no, on, off, 1 or 0, in any case, with spaces
// around it. ok is false for other text.
func ParseBool(s string) (v, ok bool) {
	l := strings.ToLower(strings.Trim(s, " \t\n\r\v\f"))
	switch {
	case l == "":
		return false, false
	case l == "1" || l == "on":
		return true, true
	case l == "0" || l == "of" || l == "off":
		return false, true
	case strings.HasPrefix("true", l) || strings.HasPrefix("yes", l):
		return true, true
	case strings.HasPrefix("false", l) || strings.HasPrefix("no", l):
		return false, true
	}
	return false, false
}
