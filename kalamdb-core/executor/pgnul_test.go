package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestTextRefusesNUL: text cannot hold U+0000, as in PostgreSQL: a
// parameter holding one is refused before anything runs, literals and
// escapes are refused, and nothing is written.
func TestTextRefusesNUL(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, s TEXT, j JSON)`)
	root.must(`INSERT INTO app.t VALUES (1, 'a', NULL)`)
	for _, c := range []struct {
		sql    string
		params []any
		code   apierror.Code
	}{
		{"INSERT INTO app.t (id, s) VALUES (2, $1)", []any{"a\x00b"}, apierror.InvalidParameter},
		{"UPDATE app.t SET s = $1 WHERE id = 1", []any{"\x00"}, apierror.InvalidParameter},
		{"SELECT id FROM app.t WHERE s = $1", []any{"a\x00"}, apierror.InvalidParameter},
		{"INSERT INTO app.t (id, j) VALUES (3, $1)", []any{"{\"k\": \"a\x00\"}"}, apierror.InvalidParameter},
		{`INSERT INTO app.t (id, s) VALUES (4, E'a\u0000b')`, nil, apierror.InvalidSQL},
		{`UPDATE app.t SET s = E'\x00' WHERE id = 1`, nil, apierror.InvalidSQL},
		{`UPDATE app.t SET s = U&'\0000' WHERE id = 1`, nil, apierror.InvalidSQL},
	} {
		ae := root.fails(c.code, c.sql, c.params...)
		if c.code == apierror.InvalidParameter && !containsAll(ae.Message, "0x00", "NUL") {
			t.Errorf("%s: message %q does not name the NUL", c.sql, ae.Message)
		}
	}
	if _, err := root.exec(`UPDATE app.t SET s = 'x' || chr(0) WHERE id = 1`); err == nil {
		t.Errorf("chr(0) was accepted")
	}
	if got, want := root.rows("SELECT id, s FROM app.t ORDER BY id"), `[[1,"a"]]`; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
	// An escaped NUL inside a JSON text parameter is no NUL in the text.
	root.must("INSERT INTO app.t (id, j) VALUES (5, $1)", `{"k": "\u0000"}`)
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
