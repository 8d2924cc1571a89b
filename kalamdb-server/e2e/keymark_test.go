package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestGeneratedAndExplicitKeysOverHTTP: INSERTs whose key the server
// generates (SNOWFLAKE_ID()) and INSERTs naming a key mix in one table:
// an explicit INSERT of a generated key fails as a duplicate, one of a new
// key succeeds, and generated INSERTs go on succeeding, before and after a
// restart; every row is there once.
func TestGeneratedAndExplicitKeysOverHTTP(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app;
		CREATE TABLE app.t (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT) WITH (TYPE = 'SHARED')`)
	idOf := func(s *server, body string) json.Number {
		t.Helper()
		r := s.ok(root, "SELECT id FROM app.t WHERE body = $1", body)
		if len(r.Results[0].Rows) != 1 {
			t.Fatalf("rows of %q: %s", body, r.raw)
		}
		return r.Results[0].Rows[0][0].(json.Number)
	}
	s.ok(root, "INSERT INTO app.t (body) VALUES ($1)", "generated 1")
	g1 := idOf(s, "generated 1")
	r := s.fail(root, http.StatusBadRequest, "INVALID_INPUT", "INSERT INTO app.t (id, body) VALUES ($1, $2)", jsonNumber(g1), "explicit copy")
	if !strings.Contains(r.Error.Message, fmt.Sprintf("duplicate primary key id = %s", g1)) {
		t.Fatalf("duplicate: %s", r.raw)
	}
	s.ok(root, "INSERT INTO app.t (id, body) VALUES ($1, $2)", 42, "explicit 42")
	s.ok(root, "INSERT INTO app.t (body) VALUES ($1), ($2)", "generated 2", "generated 3")
	s.fail(root, http.StatusBadRequest, "INVALID_INPUT", "INSERT INTO app.t (id, body) VALUES ($1, $2)", 42, "explicit 42 again")

	s = s.restart()
	s.ok(root, "INSERT INTO app.t (body) VALUES ($1)", "generated 4")
	g4 := idOf(s, "generated 4")
	s.fail(root, http.StatusBadRequest, "INVALID_INPUT", "INSERT INTO app.t (id, body) VALUES ($1, $2)", jsonNumber(g4), "explicit copy")
	s.fail(root, http.StatusBadRequest, "INVALID_INPUT", "INSERT INTO app.t (id, body) VALUES ($1, $2)", 42, "explicit 42 again")
	got := s.ok(root, "SELECT body, COUNT(*) FROM app.t GROUP BY body ORDER BY body").rows(t)
	if want := `[["explicit 42",1],["generated 1",1],["generated 2",1],["generated 3",1],["generated 4",1]]`; got != want {
		t.Fatalf("rows: %s, want %s", got, want)
	}
}
