package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// The review's echo: an error repeated up to a megabyte of the input
// (EXECUTE AS USER '<1 MB>'). Messages repeat at most a couple of hundred
// characters of any input, marked as cut.
func TestErrorsDoNotEchoLargeInput(t *testing.T) {
	s := hostileLiveServer(t)
	long := strings.Repeat("a", 1<<20)
	for stmt, code := range map[string]string{
		"EXECUTE AS USER '" + long + "' (SELECT 1)":           "NOT_FOUND",
		"DROP USER '" + long + "'":                            "NOT_FOUND",
		"ALTER USER '" + long + "' SET EMAIL 'x@example.com'": "NOT_FOUND",
		"SELECT '" + long + "'::int":                          "SQL_EXECUTION_ERROR",
		"INSERT INTO app.notes VALUES ('" + long + "', 'x')":  "INVALID_INPUT",
	} {
		r := s.sql(root, stmt)
		if r.Error == nil || r.Error.Code != code {
			t.Fatalf("%.40s…: %.300s", stmt, r.raw)
		}
		if n := utf8.RuneCountInString(r.Error.Message); n > 1001 || !strings.Contains(r.Error.Message, "a…") {
			t.Errorf("%.40s…: a message of %d characters: %.300s", stmt, n, r.Error.Message)
		}
		if len(r.raw) > 4096 {
			t.Errorf("%.40s…: an answer of %d bytes", stmt, len(r.raw))
		}
	}
	// The same on a WebSocket: a refused subscription id is not echoed in
	// full either.
	c := s.loginWS(t, "alice", "pw-alice")
	c.subscribe(strings.Repeat("s", 500_000), "SELECT * FROM app.notes", nil)
	m := c.recv()
	if m.Code != "INVALID_SUBSCRIPTION_ID" || len(m.raw) > 4096 {
		t.Fatalf("long subscription id: %.300s", m.raw)
	}
}

// Text that is not UTF-8 is refused with INVALID_INPUT (docs: bodies are
// UTF-8) instead of being stored with U+FFFD in its place.
func TestInvalidUTF8IsRefused(t *testing.T) {
	s := hostileLiveServer(t)
	alice := basic("alice", "pw-alice")
	for _, body := range []string{
		"{\"sql\":\"INSERT INTO app.notes VALUES (1, 'a\xff')\"}",
		`{"sql":"INSERT INTO app.notes VALUES (1, $1)","params":["\ud800"]}`,
		`{"sql":"INSERT INTO app.notes VALUES (1, $1)","params":["x\udfffy"]}`,
	} {
		r := s.do(http.MethodPost, "/v1/api/sql", &alice, body)
		checkError(t, r, http.StatusBadRequest, "INVALID_INPUT", body)
		if !strings.Contains(r.Error.Message, "UTF-8") {
			t.Errorf("%q: %s", body, r.Error.Message)
		}
	}
	if got := s.ok(alice, "SELECT COUNT(*) FROM app.notes").rows(t); got != "[[0]]" {
		t.Fatalf("rows stored: %s", got)
	}
	s.ok(alice, "INSERT INTO app.notes VALUES (1, $1)", "\ufffd and 😀")
	if got := s.ok(alice, "SELECT body FROM app.notes").rows(t); got != `[["`+"\ufffd"+` and 😀"]]` {
		t.Fatalf("valid text: %s", got)
	}
}

// 'Alice' and 'alice' were two accounts. User names are case-insensitive
// like every identifier: CREATE USER stores the name in lower case, any
// spelling signs in and names the user, and no second spelling can be
// created.
func TestUserNamesAreCaseInsensitive(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, "CREATE USER 'Alice' WITH PASSWORD 'pw-alice' ROLE user")
	s.fail(root, http.StatusConflict, "ALREADY_EXISTS", "CREATE USER 'alice' WITH PASSWORD 'other' ROLE dba")
	s.fail(root, http.StatusConflict, "ALREADY_EXISTS", "CREATE USER 'ALICE' WITH PASSWORD 'other' ROLE user")
	if got := s.ok(root, "SELECT username, role FROM system.users WHERE username LIKE '%lice'").rows(t); got != `[["alice","user"]]` {
		t.Fatalf("users: %s", got)
	}
	for _, name := range []string{"alice", "Alice", "ALICE"} {
		r := s.ok(basic(name, "pw-alice"), "SELECT CURRENT_USER()")
		if got := r.rows(t); got != `[["alice"]]` {
			t.Fatalf("signed in as %s: %s", name, got)
		}
	}
	s.ok(root, "CREATE NAMESPACE app; CREATE TABLE app.notes (id BIGINT PRIMARY KEY)")
	s.ok(root, "EXECUTE AS USER 'ALICE' (INSERT INTO app.notes VALUES (1))")
	if got := s.ok(basic("alice", "pw-alice"), "SELECT id FROM app.notes").rows(t); got != `[[1]]` {
		t.Fatalf("alice's rows: %s", got)
	}
	s.ok(root, "DROP USER 'aLiCe'")
	s.fail(basic("alice", "pw-alice"), http.StatusUnauthorized, "UNAUTHORIZED", "SELECT 1")
}
