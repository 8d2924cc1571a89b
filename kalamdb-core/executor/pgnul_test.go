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

// TestJSONTextRefusesNUL: a JSON string holding \u0000 cannot become
// text, as in PostgreSQL ("unsupported Unicode escape sequence"): ->>,
// #>>, json_extract_path_text and KalamDB's json_get_str and json_as_text
// fail with SQL_EXECUTION_ERROR, and INSERT ... SELECT of one writes
// nothing. The document itself keeps the escape (valid JSON), and reading
// it as JSON or its other values is unaffected.
func TestJSONTextRefusesNUL(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.nt (id BIGINT PRIMARY KEY, t TEXT, j JSON)`)
	root.must(`INSERT INTO app.nt (id, j) VALUES (1, $1)`, `{"a": "x\u0000y", "b": "ok", "c": ["\u0000"], "d": {"e": "\u0000"}}`)
	for _, q := range []string{
		`SELECT CAST('{"a":"x\u0000y"}' AS JSON) ->> 'a'`,
		`SELECT '{"a":"x\u0000y"}'::json #>> '{a}'`,
		`SELECT json_extract_path_text('{"a":"\u0000"}', 'a')`,
		`SELECT jsonb_extract_path_text('{"a":"\u0000"}', 'a')`,
		`SELECT json_get_str('{"a":"\u0000"}', 'a')`,
		`SELECT json_as_text('{"a":"\u0000"}', 'a')`,
		`SELECT '["\u0000"]'::json ->> 0`,
		`SELECT '"\u0000"'::json #>> '{}'`,
		`SELECT j ->> 'a' FROM app.nt WHERE id = 1`,
		`SELECT j -> 'c' ->> 0 FROM app.nt WHERE id = 1`,
		`SELECT length(j #>> '{d,e}') FROM app.nt WHERE id = 1`,
		`INSERT INTO app.nt (id, t) SELECT 4, CAST('{"a":"x\u0000y"}' AS JSON) ->> 'a'`,
		`INSERT INTO app.nt (id, t) VALUES (12, json_extract_path_text('{"a":"\u0000"}', 'a'))`,
		`INSERT INTO app.nt (id, t) SELECT 2, j ->> 'a' FROM app.nt WHERE id = 1`,
		`UPDATE app.nt SET t = j ->> 'a' WHERE id = 1`,
	} {
		ae := root.fails(apierror.SQLExecutionError, q)
		if !containsAll(ae.Message, "unsupported Unicode escape sequence", `\u0000 cannot be converted to text`) {
			t.Errorf("%s: message %q", q, ae.Message)
		}
	}
	if got, want := root.rows(`SELECT id, t FROM app.nt ORDER BY id`), `[[1,null]]`; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
	for q, want := range map[string]string{
		`SELECT j ->> 'b', j -> 'a', j #> '{d}', j -> 'd' ->> 'f' FROM app.nt WHERE id = 1`: `[["ok","x\u0000y",{"e":"\u0000"},null]]`,
		`SELECT j ->> 'c', j ->> 'd', (j -> 'a')::text FROM app.nt WHERE id = 1`:            `[["[\"\\u0000\"]","{\"e\":\"\\u0000\"}","\"x\\u0000y\""]]`,
	} {
		if got := root.rows(q); got != want {
			t.Errorf("%s: %s, want %s", q, got, want)
		}
	}
}
