package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestChatExample is the data path of a chat app over HTTP: two users write
// conversations and messages into the same USER tables and each reads back
// only their own.
func TestChatExample(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE chat;
		CREATE TABLE chat.conversations (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), title TEXT NOT NULL, created_at TIMESTAMP DEFAULT NOW());
		CREATE TABLE chat.messages (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), conversation_id BIGINT NOT NULL,
			sender TEXT NOT NULL, content TEXT, created_at TIMESTAMP DEFAULT NOW());
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'bob-pw' ROLE user;
		CREATE USER 'support' WITH PASSWORD 'support-pw' ROLE service`)
	alice, bob := basic("alice", "alice-pw"), basic("bob", "bob-pw")

	for _, c := range []struct {
		who   creds
		convs []int
		n     int
	}{{alice, []int{1, 2}, 60}, {bob, []int{1}, 5}} {
		for _, conv := range c.convs {
			s.ok(c.who, "INSERT INTO chat.conversations (id, title) VALUES ($1, $2)", conv, fmt.Sprintf("%s conv %d", c.who.user, conv))
			var b strings.Builder
			b.WriteString("INSERT INTO chat.messages (id, conversation_id, sender, content) VALUES ")
			for i := 1; i <= c.n; i++ {
				if i > 1 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "(%d, %d, CURRENT_USER(), 'msg %d')", conv*1000+i, conv, i)
			}
			if r := s.ok(c.who, b.String()); r.Results[0].RowCount != int64(c.n) {
				t.Fatalf("insert: %s", r)
			}
		}
	}

	// The newest 50 messages of a conversation, newest first.
	r := s.ok(alice, "SELECT id, sender, content FROM chat.messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT 50", 1)
	if r.Results[0].RowCount != 50 || !strings.HasPrefix(r.rows(t), `[[1060,"alice","msg 60"],[1059,`) ||
		!strings.HasSuffix(r.rows(t), `[1011,"alice","msg 11"]]`) {
		t.Fatalf("newest 50: %s", r)
	}
	if r.Results[0].AsUser != "alice" || r.Results[0].Schema[0].DataType != "BigInt" {
		t.Fatalf("result metadata: %s", r)
	}
	// Counts per conversation, joined with the conversation titles.
	got := s.ok(alice, `SELECT c.title, count(m.id) AS messages FROM chat.conversations c
		LEFT JOIN chat.messages m ON m.conversation_id = c.id GROUP BY c.title ORDER BY c.title`).rows(t)
	if got != `[["alice conv 1",60],["alice conv 2",60]]` {
		t.Fatalf("alice's counts: %s", got)
	}
	got = s.ok(bob, "SELECT conversation_id, count(*) FROM chat.messages GROUP BY conversation_id").rows(t)
	if got != `[[1,5]]` {
		t.Fatalf("bob's counts: %s", got)
	}
	// Bob's writes never reach Alice's partition.
	s.ok(bob, "UPDATE chat.messages SET content = 'edited'")
	s.ok(bob, "DELETE FROM chat.messages WHERE id > 1002")
	if got := s.ok(alice, "SELECT count(*) FROM chat.messages WHERE content = 'edited'").rows(t); got != `[[0]]` {
		t.Fatalf("bob edited alice's rows: %s", got)
	}
	if got := s.ok(bob, "SELECT id, content FROM chat.messages ORDER BY id").rows(t); got != `[[1001,"edited"],[1002,"edited"]]` {
		t.Fatalf("bob's messages: %s", got)
	}
	// Soft deletes are visible on request.
	if got := s.ok(bob, "SELECT count(*) FROM chat.messages WHERE _deleted = true").rows(t); got != `[[3]]` {
		t.Fatalf("bob's deleted messages: %s", got)
	}
	// A service reads a user's conversation with EXECUTE AS USER.
	r = s.ok(basic("support", "support-pw"), "EXECUTE AS USER 'bob' (SELECT count(*) FROM chat.messages)")
	if r.rows(t) != `[[2]]` || r.Results[0].AsUser != "bob" {
		t.Fatalf("support as bob: %s", r)
	}
	s.fail(alice, http.StatusForbidden, "PERMISSION_DENIED", "EXECUTE AS USER 'bob' (SELECT * FROM chat.messages)")
}

func TestDataPathOverHTTP(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT, j JSON, ok BOOLEAN);
		CREATE SHARED TABLE app.news (id INT PRIMARY KEY, body TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user; CREATE USER 'svc' WITH PASSWORD 'svc-pw' ROLE service`)
	alice := basic("alice", "alice-pw")
	// A BIGINT param beyond 2^53 binds exactly.
	s.ok(alice, "INSERT INTO app.t (id, v, j, ok) VALUES ($1, $2, $3, $4)", jsonNumber("9007199254740993"), "big", map[string]any{"k": []any{1, "x"}}, true)
	got := s.ok(alice, "SELECT id, v, j, ok FROM app.t WHERE id = $1", jsonNumber("9007199254740993")).rows(t)
	if got != `[[9007199254740993,"big",{"k":[1,"x"]},true]]` {
		t.Fatalf("params round trip: %s", got)
	}
	// Transactions in one request: all or nothing.
	s.fail(alice, 400, "INVALID_INPUT", "BEGIN; INSERT INTO app.t (id) VALUES (1); INSERT INTO app.t (id) VALUES (1); COMMIT")
	if got := s.ok(alice, "SELECT count(*) FROM app.t").rows(t); got != `[[1]]` {
		t.Fatalf("failed transaction left rows: %s", got)
	}
	r := s.ok(alice, "BEGIN; INSERT INTO app.t (id) VALUES (1); INSERT INTO app.t (id) VALUES (2); COMMIT")
	if len(r.Results) != 4 || r.Results[3].RowCount != 2 {
		t.Fatalf("transaction results: %s", r)
	}
	// SHARED tables follow their access level.
	s.fail(alice, http.StatusForbidden, "PERMISSION_DENIED", "INSERT INTO app.news VALUES (1, 'x')")
	s.ok(basic("svc", "svc-pw"), "INSERT INTO app.news VALUES (1, 'hello')")
	if got := s.ok(alice, "SELECT body FROM app.news").rows(t); got != `[["hello"]]` {
		t.Fatalf("public read: %s", got)
	}
	// Bad input changes nothing.
	for _, bad := range []struct {
		code, sql string
	}{
		{"INVALID_INPUT", "INSERT INTO app.t (id, v) VALUES (1, 'dup')"},
		{"INVALID_INPUT", "UPDATE app.t SET _seq = 5"},
		{"INVALID_INPUT", "INSERT INTO app.t (id, ok) VALUES (7, 'maybe')"},
		{"INVALID_SQL", "SELECT nope FROM app.t"},
		{"SQL_EXECUTION_ERROR", "SELECT 1/0"},
		{"INVALID_SQL", "SELECT id || id FROM app.t"}, // no || between two integers, as in PostgreSQL
	} {
		s.fail(alice, 400, bad.code, bad.sql)
	}
	if got := s.ok(alice, "SELECT count(*) FROM app.t").rows(t); got != `[[3]]` {
		t.Fatalf("rows after bad input: %s", got)
	}
}

// TestPostgreSQLAnswersOverHTTP checks, as a client sees them, the answers a
// PostgreSQL/DataFusion user expects where a MySQL engine would answer
// otherwise: integer literals and division, standard string literals,
// reserved-in-MySQL-only column names, and errors naming what is wrong.
func TestPostgreSQLAnswersOverHTTP(t *testing.T) {
	s := startServer(t, t.TempDir())
	r := s.ok(root, `SELECT 1, 7 / 2, 'a \ b', 'a' || 'b', 'X' ILIKE 'x'`)
	if got := r.rows(t); got != `[[1,3,"a \\ b","ab",true]]` {
		t.Fatalf("values: %s", got)
	}
	var types []string
	for _, c := range r.Results[0].Schema {
		types = append(types, c.DataType)
	}
	if got := strings.Join(types, " "); got != "BigInt BigInt Text Text Boolean" {
		t.Fatalf("data types: %s", got)
	}
	s.ok(root, `CREATE NAMESPACE app; CREATE TABLE app.config (key TEXT PRIMARY KEY, value TEXT)`)
	s.fail(root, 400, "INVALID_PARAMETER", `INSERT INTO app.config (key, value) VALUES ($1, ?)`, "k", "v")
	s.ok(root, `INSERT INTO app.config (key, value) VALUES (?, ?)`, "k", "v")
	r = s.ok(root, `SELECT key, value FROM app.config WHERE key = 'k'`)
	if got := r.rows(t); got != `[["k","v"]]` {
		t.Fatalf("key/value: %s", got)
	}
	if r.Results[0].Schema[0].Name != "key" || r.Results[0].Schema[1].Name != "value" {
		t.Fatalf("labels: %s", r)
	}
	r = s.fail(root, http.StatusNotFound, "TABLE_NOT_FOUND", "SELECT * FROM missing_table")
	if !strings.Contains(r.Error.Message, "missing_table") {
		t.Fatalf("table not named: %s", r)
	}
	r = s.fail(root, 400, "INVALID_SQL", "SELECT 1;\nSELECT * FROM app.config WHERE")
	if r.Error.Details["line"] != json.Number("2") {
		t.Fatalf("syntax error position: %s", r)
	}
}
