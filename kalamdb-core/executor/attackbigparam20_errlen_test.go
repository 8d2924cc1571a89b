package executor_test

import (
	"strings"
	"testing"
)

// TestAttackLargeParameterErrorShort: an error about a large parameter's
// value quotes a bounded part of it, not the whole value.
func TestAttackLargeParameterErrorShort(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.b (id BIGINT PRIMARY KEY, b BYTEA)`)
	bad := `\x` + strings.Repeat("zz", 512<<10)
	for _, q := range []string{
		"SELECT id FROM app.b WHERE b = $1",
		"INSERT INTO app.b VALUES (1, $1)",
		"SELECT $1::bytea",
		"SELECT to_date($1, 'YYYY')",
		"SELECT date_trunc($1, now())",
	} {
		_, err := root.exec(q, bad)
		if err == nil {
			t.Errorf("%s: succeeded", q)
			continue
		}
		if len(err.Error()) > 1024 {
			t.Errorf("%s: an error of %d bytes: %.200s", q, len(err.Error()), err)
		}
	}
}
