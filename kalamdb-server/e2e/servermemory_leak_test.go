package e2e_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// rawSQL sends sql as c on a fresh connection, optionally with a chunked
// body (which the fast lane hands to net/http), and returns the
// connection without reading the answer.
func rawSQL(t *testing.T, s *server, c creds, sql string, chunked bool) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"sql": sql})
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.password))
	var req string
	if chunked {
		req = fmt.Sprintf("POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: %s\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n",
			auth, len(body), body)
	} else {
		req = fmt.Sprintf("POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n%s",
			auth, len(body), body)
	}
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Every path a request, a statement or a subscription can take gives
// back all it reserved: once the server is idle, nothing is reserved.
func TestServerMemoryComesBackOnEveryPath(t *testing.T) {
	s := startServer(t, t.TempDir(), func(c *config.Config) {
		c.Limits.StatementTimeout = 2 * time.Second
		c.Limits.MaxResultBytes = 4 << 20
		c.Limits.StatementMemoryBytes = 32 << 20
	})
	rootPw := root
	idle := func(what string) {
		t.Helper()
		s.waitMetric(t, "kalamdb_memory_reserved_bytes", what, func(v float64) bool { return v == 0 })
	}
	s.ok(rootPw, `CREATE NAMESPACE app; CREATE SHARED TABLE app.blobs (id INT PRIMARY KEY, b TEXT);
		CREATE SHARED TABLE app.t (id INT PRIMARY KEY, g INT, v TEXT);
		CREATE USER 'alice' WITH PASSWORD 'a-pw' ROLE user; CREATE USER 'dana' WITH PASSWORD 'd-pw' ROLE dba;
		CREATE USER 'svc' WITH PASSWORD 's-pw' ROLE service`)
	alice := basic("alice", "a-pw")
	for i := 0; i < 40; i += 10 {
		var vals []string
		for j := i; j < i+10; j++ {
			vals = append(vals, fmt.Sprintf("(%d, repeat('x', 200000))", j))
		}
		s.ok(rootPw, "INSERT INTO app.blobs VALUES "+strings.Join(vals, ", "))
	}
	var vals []string
	for j := 0; j < 2000; j++ {
		vals = append(vals, fmt.Sprintf("(%d, %d, 'v%d')", j, j%37, j))
	}
	s.ok(rootPw, "INSERT INTO app.t VALUES "+strings.Join(vals, ", "))
	idle("setup")

	for _, q := range []string{
		"SELECT * FROM app.nope",
		"SELECT 1/0",
		"SELECT b FROM app.blobs",                     // max_result_bytes
		"SELECT string_agg(b, ',') FROM app.blobs",    // max_value_bytes
		"SELECT b FROM app.blobs ORDER BY b DESC",     // sort, result bytes
		"SELECT id FROM app.blobs ORDER BY b, id",     // sort of kept rows
		"SELECT 1; SELECT * FROM app.nope",            // batch failing later
		"SELECT b FROM app.blobs LIMIT 5; SELECT 1/0", // rows reserved, then error
		"BEGIN; INSERT INTO app.t VALUES (100000, 1, repeat('y', 100000)); SELECT count(*) FROM app.t; ROLLBACK",
		"BEGIN; INSERT INTO app.t VALUES (100001, 1, repeat('y', 100000)); INSERT INTO app.t VALUES (100001, 1, 'dup'); COMMIT",
		"BEGIN; INSERT INTO app.t VALUES (100002, 1, repeat('y', 100000)); SELECT b FROM app.blobs LIMIT 3",
		"BEGIN; INSERT INTO app.t VALUES (100003, 1, repeat('y', 100000)); UPDATE app.t SET v = repeat('z', 1000) WHERE g = 3; COMMIT",
		"EXECUTE AS USER 'alice' (SELECT 1)",
		"EXECUTE AS USER 'alice' (SELECT * FROM app.blobs)",
		"EXPLAIN SELECT * FROM app.t WHERE g IN (SELECT g FROM app.t WHERE id < 10)",
		"SELECT count(*) FROM app.t a WHERE a.g IN (SELECT b.g FROM app.t b WHERE b.id < a.id AND b.id < 50)",
		"SELECT count(*) FROM app.t WHERE v IN (SELECT v FROM app.t WHERE g = 5)",
		"SELECT g, count(*), string_agg(v, ',') FROM app.t GROUP BY g ORDER BY g",
		"SELECT a.id, b.id FROM app.t a JOIN app.t b ON a.g = b.g WHERE a.id < 100 ORDER BY a.id, b.id LIMIT 50",
		"SELECT id, row_number() OVER (PARTITION BY g ORDER BY id) FROM app.t",
		"SELECT DISTINCT v FROM app.t",
		"INSERT INTO app.t SELECT id + 200000, g, v FROM app.t WHERE id < 100",
		"INSERT INTO app.t SELECT id + 300000, g, b FROM app.blobs",
		"UPDATE app.t SET v = 'w' WHERE id >= 200000",
		"DELETE FROM app.t WHERE id >= 200000",
		"SELECT * FROM app.t WHERE id = 5",
		"SELECT * FROM app.t WHERE id = $1",
		crossJoin(200), // QUERY_TIMEOUT
		"SHOW TABLES IN app",
		"SHOW NAMESPACES",
		"DESCRIBE TABLE app.t",
		"DESCRIBE TABLE app.t HISTORY",
		"SHOW STATS FOR TABLE app.blobs",
		"SELECT * FROM system.tables",
		"SELECT count(*) FROM system.namespaces n WHERE EXISTS (SELECT 1 FROM system.tables t WHERE t.namespace_id = n.namespace_id)",
		"SHOW TABLES IN app; SELECT b FROM app.blobs", // max_result_bytes after a SHOW
		"EXPLAIN SELECT * FROM app.nope",
	} {
		s.sql(rootPw, q)
		idle(q)
		s.sql(alice, q)
		idle("alice: " + q)
	}
	// Params.
	s.sql(rootPw, "SELECT * FROM app.t WHERE id = $1", 5)
	s.sql(rootPw, "SELECT * FROM app.t WHERE id = $1", "x")
	idle("params")
	// Many statements in a batch.
	s.sql(rootPw, strings.Repeat("SELECT id FROM app.t WHERE id < 3;", 200))
	idle("batch of 200")
	// Bearer and cookie sessions.
	tk := s.login(t, "dana", "d-pw")
	s.sql(bearer(tk.AccessToken), "SELECT b FROM app.blobs LIMIT 2")
	idle("bearer")
	cookie, csrf := s.consoleSession(t, "dana", "d-pw")
	req, _ := http.NewRequest(http.MethodPost, s.base+"/v1/api/sql", strings.NewReader(`{"sql":"SELECT b FROM app.blobs LIMIT 2"}`))
	req.Header.Set("Cookie", cookie)
	req.Header.Set("X-KalamDB-CSRF", csrf)
	req.Header.Set("Origin", s.base)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("cookie sql: %d", resp.StatusCode)
	}
	idle("cookie")
	// Clients that go away mid-statement: fast lane and net/http.
	for _, chunked := range []bool{false, true} {
		c := rawSQL(t, s, rootPw, crossJoin(200), chunked)
		time.Sleep(300 * time.Millisecond)
		c.Close()
		idle(fmt.Sprintf("disconnect mid-statement (chunked %v)", chunked))
		c = rawSQL(t, s, rootPw, "SELECT b FROM app.blobs LIMIT 15", chunked)
		time.Sleep(100 * time.Millisecond)
		c.Close()
		idle(fmt.Sprintf("disconnect with unread answer (chunked %v)", chunked))
	}

	// Subscriptions.
	ws := s.loginWS(t, "dana", "d-pw")
	ws.subscribeAll("a", "SELECT id, v FROM app.t WHERE id < 10", nil)
	s.ok(rootPw, "INSERT INTO app.t VALUES (500000, 1, 'x')")
	ws.send(map[string]any{"type": "unsubscribe", "subscription_id": "a"})
	idle("unsubscribe")
	ws.subscribe("b", "SELECT id, v FROM app.t", map[string]any{"batch_size": 10})
	ws.expect("subscription_ack", "b")
	for i := 0; i < 20; i++ {
		s.ok(rootPw, fmt.Sprintf("INSERT INTO app.t VALUES (%d, 1, repeat('p', 10000))", 600000+i))
	}
	ws.send(map[string]any{"type": "unsubscribe", "subscription_id": "b"})
	idle("unsubscribe while loading with pending changes")
	ws2 := s.loginWS(t, "dana", "d-pw")
	ws2.subscribe("c", "SELECT id, v FROM app.t", map[string]any{"batch_size": 10})
	ws2.expect("subscription_ack", "c")
	for i := 0; i < 20; i++ {
		s.ok(rootPw, fmt.Sprintf("INSERT INTO app.t VALUES (%d, 1, repeat('p', 10000))", 700000+i))
	}
	_ = ws2.c.CloseNow()
	idle("close while loading with pending changes")
	ws3 := s.loginWS(t, "dana", "d-pw")
	ws3.subscribeAll("d", "SELECT id, b FROM app.blobs", map[string]any{"batch_size": 1000})
	for i := 0; i < 5; i++ {
		s.ok(rootPw, fmt.Sprintf("INSERT INTO app.blobs VALUES (%d, repeat('q', 200000))", 1000+i))
	}
	_ = ws3.c.CloseNow()
	idle("close with queued changes")
	// Initial data: batches queued and never read, a load cut short by a
	// socket closing, a next_batch that failed.
	ws4 := s.loginWS(t, "dana", "d-pw")
	ws4.subscribe("e", "SELECT id, b FROM app.blobs", map[string]any{"batch_size": 5})
	ws4.expect("subscription_ack", "e")
	ws4.send(map[string]any{"type": "next_batch", "subscription_id": "e"})
	ws4.send(map[string]any{"type": "next_batch", "subscription_id": "nope"})
	ws4.subscribe("f", "SELECT id, b FROM app.blobs", map[string]any{"batch_size": 1000})
	_ = ws4.c.CloseNow()
	idle("close with initial data queued and loading")
	// Incoming messages: a large one queued behind others, one cut off.
	ws5 := s.loginWS(t, "dana", "d-pw")
	for i := 0; i < 3; i++ {
		ws5.sendRaw(websocket.MessageText, bigSubscribe(t, fmt.Sprintf("g%d", i), 500_000))
	}
	_ = ws5.c.CloseNow()
	idle("close with large requests queued")
	ws6 := s.dialWS(t)
	ws6.sendRaw(websocket.MessageText, bigSubscribe(t, "h", 500_000))
	ws6.expectError("AUTH_REQUIRED", "h")
	_ = ws6.c.CloseNow()
	idle("unauthenticated")
	idle("end")
}
