package row

import "github.com/kalamdb/kalamdb-go/kalamdb-core/ids"

// canonicalUUID validates s and returns it in lower case, reusing s when it
// already is.
func canonicalUUID(s string) (string, bool) {
	u, ok := ids.ParseUUID(s)
	if !ok {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'F' {
			return string(ids.AppendUUID(make([]byte, 0, 36), u[:])), true
		}
	}
	return s, true
}
