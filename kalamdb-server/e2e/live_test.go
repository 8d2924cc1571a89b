package e2e_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// Live queries over WebSocket (docs/api.md, "WebSocket /v1/ws"), end to end:
// the real server, a real WebSocket client, writes over HTTP.

var (
	liveAlice = basic("alice", "alice-pw")
	liveBob   = basic("bob", "bob-pw")
	liveSvc   = basic("svc", "svc-pw")
	liveOps   = basic("ops", "ops-pw")
)

func liveServer(t *testing.T, mutate ...func(*config.Config)) *server {
	t.Helper()
	s := startServer(t, t.TempDir(), mutate...)
	s.ok(root, `CREATE NAMESPACE chat;
		CREATE TABLE chat.messages (id BIGINT PRIMARY KEY, conv BIGINT NOT NULL, body TEXT, sent_at TIMESTAMP DEFAULT NOW());
		CREATE SHARED TABLE chat.rooms (id INT PRIMARY KEY, name TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
		CREATE SHARED TABLE chat.vault (id INT PRIMARY KEY, secret TEXT) WITH (ACCESS_LEVEL = 'RESTRICTED');
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'bob-pw' ROLE user;
		CREATE USER 'svc' WITH PASSWORD 'svc-pw' ROLE service;
		CREATE USER 'ops' WITH PASSWORD 'ops-pw' ROLE dba`)
	return s
}

// liveQueries is system.live_queries as root sees it, one string per row.
func (s *server) liveQueries(cols string) string {
	return s.ok(root, "SELECT "+cols+" FROM system.live_queries ORDER BY live_id").rows(s.t)
}

func TestLiveChat(t *testing.T) {
	s := liveServer(t)
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'hi'), (2, 8, 'elsewhere'), (3, 7, 'there'), (4, 7, 'you')")
	s.ok(liveBob, "INSERT INTO chat.messages (id, conv, body) VALUES (5, 7, 'bob''s')")
	c := s.loginWS(t, "alice", "alice-pw")

	c.subscribe("msgs", "SELECT id, body FROM chat.messages WHERE conv = 7", map[string]any{"batch_size": 2})
	ack := c.expect("subscription_ack", "msgs")
	if ack.TotalRows != 3 || ack.BatchControl.Status != "loading" || !ack.BatchControl.HasMore || ack.BatchControl.BatchNum != 0 {
		t.Fatalf("ack: %s", ack.raw)
	}
	if got := fmt.Sprint(ack.Schema); got != "[{id BigInt 0} {body Text 1}]" {
		t.Fatalf("schema: %s", got)
	}
	b0 := c.expect("initial_data_batch", "msgs")
	if fmt.Sprint(b0.Rows) != "[map[body:hi id:1] map[body:there id:3]]" || b0.BatchControl.Status != "loading" || !b0.BatchControl.HasMore {
		t.Fatalf("batch 0: %s", b0.raw)
	}
	// A change while loading waits until the initial data is complete.
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (6, 7, 'during load')")
	c.send(map[string]any{"type": "next_batch", "subscription_id": "msgs", "last_seq_id": b0.BatchControl.LastSeqID})
	b1 := c.expect("initial_data_batch", "msgs")
	if fmt.Sprint(b1.Rows) != "[map[body:you id:4]]" || b1.BatchControl.Status != "ready" || b1.BatchControl.HasMore ||
		b1.BatchControl.BatchNum != 1 || b1.BatchControl.LastSeqID <= b0.BatchControl.LastSeqID {
		t.Fatalf("batch 1: %s", b1.raw)
	}
	if got := c.change("msgs"); got != "insert [map[body:during load id:6]]" {
		t.Fatal(got)
	}

	s.ok(liveAlice, "UPDATE chat.messages SET body = 'HI' WHERE id = 1")
	if got := c.change("msgs"); got != "update [map[body:HI id:1]] <- [map[body:hi id:1]]" {
		t.Fatal(got)
	}
	s.ok(liveAlice, "UPDATE chat.messages SET conv = 9 WHERE id = 3") // leaves the filter
	if got := c.change("msgs"); got != "delete [map[body:there id:3]]" {
		t.Fatal(got)
	}
	s.ok(liveAlice, "UPDATE chat.messages SET conv = 7 WHERE id = 2") // enters it
	if got := c.change("msgs"); got != "insert [map[body:elsewhere id:2]]" {
		t.Fatal(got)
	}
	s.ok(liveAlice, "DELETE FROM chat.messages WHERE id = 4")
	if got := c.change("msgs"); got != "delete [map[body:you id:4]]" {
		t.Fatal(got)
	}
	// Bob writes the same table (his partition) and alice a row outside
	// the filter: neither reaches this subscription; the marker does.
	s.ok(liveBob, "INSERT INTO chat.messages (id, conv, body) VALUES (50, 7, 'bob')")
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (51, 8, 'other conv')")
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (52, 7, 'marker')")
	if got := c.change("msgs"); got != "insert [map[body:marker id:52]]" {
		t.Fatal(got)
	}

	// SELECT *: every column with the system columns, values encoded as
	// over HTTP (TIMESTAMP in milliseconds, booleans as booleans).
	_, rows := c.subscribeAll("all", "SELECT * FROM chat.messages WHERE id = 52", nil)
	if len(rows) != 1 {
		t.Fatalf("SELECT * initial: %v", rows)
	}
	s.ok(liveAlice, "UPDATE chat.messages SET sent_at = '2024-05-06 07:08:09' WHERE id = 52")
	c.expect("change", "msgs")
	m := c.expect("change", "all")
	r := m.Rows[0]
	if r["sent_at"] != float64(1714979289000) || r["_deleted"] != false || r["_seq"].(float64) <= m.OldValues[0]["_seq"].(float64) || len(r) != 6 {
		t.Fatalf("SELECT * change: %s", m.raw)
	}
	if !strings.HasPrefix(m.raw, `{"type":"change","subscription_id":"all","change_type":"update","rows":[{"id":52,"conv":7,"body":"marker","sent_at":1714979289000,"_seq":`) {
		t.Fatalf("wire form: %s", m.raw)
	}

	// Each subscription is a row of system.live_queries while it lives.
	got := s.liveQueries("subscription_id, namespace_id, table_name, user_id, query, options, changes, node, connection_id = substring(live_id, 1, 16)")
	aliceID := s.userID("alice")
	want := `[["all","chat","messages","` + aliceID + `","SELECT * FROM chat.messages WHERE id = 52",{},1,"node1",true],` +
		`["msgs","chat","messages","` + aliceID + `","SELECT id, body FROM chat.messages WHERE conv = 7",{"batch_size":2},7,"node1",true]]`
	if got != want {
		t.Fatalf("system.live_queries:\n got %s\nwant %s", got, want)
	}
	c.send(map[string]any{"type": "unsubscribe", "subscription_id": "all"})
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (53, 7, 'after unsubscribe')")
	if got := c.change("msgs"); got != "insert [map[body:after unsubscribe id:53]]" {
		t.Fatal(got) // and nothing for "all"
	}
	// unsubscribe has no answer, and the connection's reader handles it
	// beside the INSERT's own request: the row goes soon after, not
	// necessarily before the change above arrives.
	eventually(t, "the unsubscribed query's row to go", func() bool {
		return s.liveQueries("subscription_id") == `[["msgs"]]`
	})
}

func TestLiveAuthentication(t *testing.T) {
	s := liveServer(t, func(c *config.Config) { c.WebSocket.AuthTimeout = 500 * time.Millisecond })
	// JWT access token from login.
	r := s.do("POST", "/v1/api/auth/login", nil, map[string]string{"user": "svc", "password": "svc-pw"})
	var tokens struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	if err := json.Unmarshal([]byte(r.raw), &tokens); err != nil || tokens.Access == "" {
		t.Fatalf("login: %s", r)
	}
	c := s.dialWS(t)
	// Anything before authentication is refused, and the socket waits.
	c.subscribe("early", "SELECT * FROM chat.messages", nil)
	c.expectError("AUTH_REQUIRED", "early")
	c.send(map[string]any{"type": "authenticate", "method": "jwt", "token": tokens.Access})
	if m := c.recv(); m.Type != "auth_success" || m.UserID != s.userID("svc") || m.Role != "service" {
		t.Fatalf("jwt: %s", m.raw)
	}
	c.subscribeAll("m", "SELECT * FROM chat.rooms", nil)

	for name, msg := range map[string]map[string]any{
		"refresh token": {"type": "authenticate", "method": "jwt", "token": tokens.Refresh},
		"forged token":  {"type": "authenticate", "method": "jwt", "token": tokens.Access + "x"},
		"bad password":  {"type": "authenticate", "method": "basic", "username": "alice", "password": "nope"},
		"no such user":  {"type": "authenticate", "method": "basic", "username": "mallory", "password": "x"},
		"bad method":    {"type": "authenticate", "method": "magic"},
	} {
		c := s.dialWS(t)
		c.send(msg)
		if m := c.recv(); m.Type != "auth_error" || m.Message == "" {
			t.Fatalf("%s: %s", name, m.raw)
		}
		if code, reason := c.closed(); code != websocket.StatusPolicyViolation || reason != "authentication failed" {
			t.Fatalf("%s: closed with %d %q", name, code, reason)
		}
	}
	// Silence past the timeout: closed with a reason.
	c = s.dialWS(t)
	if code, reason := c.closed(); code != websocket.StatusPolicyViolation || reason != "authentication timeout" {
		t.Fatalf("timeout: closed with %d %q", code, reason)
	}
}

func TestLiveBadInputKeepsTheConnection(t *testing.T) {
	s := liveServer(t, func(c *config.Config) { c.WebSocket.MaxMessageBytes = 4096 })
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribeAll("ok", "SELECT id FROM chat.messages", nil)
	for _, tc := range []struct{ code, id, sql string }{
		{"INVALID_SQL", "a", "SELEC id FROM chat.messages"},
		{"INVALID_SQL", "b", "SELECT nope FROM chat.messages"},
		{"NOT_FOUND", "c", "SELECT * FROM chat.missing"},
		{"NOT_FOUND", "d", "SELECT * FROM nowhere.messages"},
		{"UNAUTHORIZED", "e", "SELECT * FROM chat.vault"},
		{"UNSUPPORTED", "f", "SELECT conv, count(*) FROM chat.messages GROUP BY conv"},
		{"UNSUPPORTED", "g", "SELECT * FROM chat.messages m JOIN chat.rooms r ON r.id = m.conv"},
		{"UNSUPPORTED", "h", "INSERT INTO chat.messages (id, conv) VALUES (1, 1)"},
		{"INVALID_SUBSCRIPTION_ID", "ok", "SELECT * FROM chat.messages"},
		{"INVALID_SUBSCRIPTION_ID", "", "SELECT * FROM chat.messages"},
	} {
		c.subscribe(tc.id, tc.sql, nil)
		c.expectError(tc.code, tc.id)
	}
	c.sendRaw(websocket.MessageText, []byte(`{"type": "subscribe", "subscription": {"id": "x", "sql": `))
	c.expectError("PROTOCOL", "")
	c.send(map[string]any{"type": "subscribe", "subscription": map[string]any{"id": "x", "sql": "SELECT * FROM chat.rooms", "options": map[string]any{"batch_size": "ten"}}})
	c.expectError("PROTOCOL", "")
	c.send(map[string]any{"type": "subscribe", "subscription": map[string]any{"id": "x", "sql": "SELECT * FROM chat.rooms", "options": map[string]any{"batch_size": -1}}})
	c.expectError("PROTOCOL", "x")
	c.send(map[string]any{"type": "subscribe"})
	c.expectError("PROTOCOL", "")
	c.send(map[string]any{"type": "launch_missiles"})
	c.expectError("PROTOCOL", "")
	c.send(map[string]any{"type": "authenticate", "method": "basic", "username": "bob", "password": "bob-pw"})
	c.expectError("PROTOCOL", "")
	c.send(map[string]any{"type": "next_batch", "subscription_id": "nope"})
	c.expectError("NOT_FOUND", "nope")
	c.send(map[string]any{"type": "unsubscribe", "subscription_id": "nope"})
	c.expectError("NOT_FOUND", "nope")
	c.send(map[string]any{"type": "next_batch", "subscription_id": "ok"})
	c.expectError("BATCH_FETCH_FAILED", "ok")
	c.sendRaw(websocket.MessageText, bytes.Repeat([]byte(" "), 5000))
	c.expectError("MESSAGE_TOO_LARGE", "")
	c.sendRaw(websocket.MessageBinary, []byte(`{"type":"unsubscribe","subscription_id":"ok"}`))
	c.expectError("UNSUPPORTED_DATA", "")
	// After all that the connection still works.
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv) VALUES (1, 7)")
	if got := c.change("ok"); got != "insert [map[id:1]]" {
		t.Fatal(got)
	}
	_, rows := c.subscribeAll("x", "SELECT id FROM chat.messages", map[string]any{"from_seq_id": "0"})
	if len(rows) != 1 {
		t.Fatalf("from_seq_id as a string: %v", rows)
	}
	// A message far over the limit is not read through: the socket closes.
	c.sendRaw(websocket.MessageText, bytes.Repeat([]byte(" "), 16*4096+1))
	if code, _ := c.closed(); code != websocket.StatusMessageTooBig {
		t.Fatalf("huge message: closed with %d", code)
	}
}

func TestLiveLimits(t *testing.T) {
	s := liveServer(t, func(c *config.Config) {
		c.WebSocket.MaxSubscriptionsPerConnection = 2
		c.WebSocket.MaxSubscriptionsPerUser = 3
		c.WebSocket.MessagesPerSecond = 5 // burst: 2 subscriptions + 10
	})
	c1 := s.loginWS(t, "alice", "alice-pw")
	c1.subscribeAll("a", "SELECT id FROM chat.messages", nil)
	c1.subscribeAll("b", "SELECT id FROM chat.messages", nil)
	c1.subscribe("c", "SELECT id FROM chat.messages", nil)
	c1.expectError("SUBSCRIPTION_LIMIT_EXCEEDED", "c")
	c2 := s.loginWS(t, "alice", "alice-pw")
	c2.subscribeAll("c", "SELECT id FROM chat.messages", nil)
	c2.subscribe("d", "SELECT id FROM chat.messages", nil)
	c2.expectError("SUBSCRIPTION_LIMIT_EXCEEDED", "d")
	// Another user has their own allowance.
	s.loginWS(t, "bob", "bob-pw").subscribeAll("a", "SELECT id FROM chat.messages", nil)

	// Message rate: a flood is answered message by message; past the
	// burst, with RATE_LIMIT_EXCEEDED.
	c3 := s.loginWS(t, "bob", "bob-pw")
	const flood = 200
	for i := 0; i < flood; i++ {
		c3.send(map[string]any{"type": "unsubscribe", "subscription_id": "nope"})
	}
	limited := 0
	for i := 0; i < flood; i++ {
		m := c3.expect("error", "nope")
		if m.Code == "RATE_LIMIT_EXCEEDED" {
			limited++
		} else if m.Code != "NOT_FOUND" || (i == 0 && limited > 0) {
			t.Fatalf("message %d: %s", i, m.raw)
		}
	}
	if limited == 0 {
		t.Fatal("no message was rate limited")
	}
}

func TestLiveDefaultSubscriptionLimitPerConnection(t *testing.T) {
	s := liveServer(t)
	c := s.loginWS(t, "alice", "alice-pw")
	for i := 0; i < 100; i++ {
		c.subscribeAll(fmt.Sprint(i), "SELECT id FROM chat.messages", nil)
	}
	c.subscribe("one too many", "SELECT id FROM chat.messages", nil)
	c.expectError("SUBSCRIPTION_LIMIT_EXCEEDED", "one too many")
}

// TestLiveNoLossWhileWriting subscribes while writers insert and update
// continuously: each row reaches each client exactly once, in an initial
// batch or as an insert.
func TestLiveNoLossWhileWriting(t *testing.T) {
	s := liveServer(t)
	var next atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := next.Add(1)
				if r := s.sql(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES ($1, 7, 'x')", id); r.httpStatus != 200 {
					t.Error(r)
					return
				}
				if id%4 == 0 {
					if r := s.sql(liveAlice, "UPDATE chat.messages SET body = 'edited' WHERE id = $1", id-1); r.httpStatus != 200 {
						t.Error(r)
						return
					}
				}
			}
		}()
	}
	const clients = 3
	seen := make([]map[int64]int, clients)
	cs := make([]*wsClient, clients)
	for i := range cs {
		for next.Load() < int64(40*(i+1)) {
			s.ok(root, "SELECT 1") // let the writers get ahead
		}
		cs[i] = s.loginWS(t, "alice", "alice-pw")
		_, rows := cs[i].subscribeAll("s", "SELECT id FROM chat.messages", map[string]any{"batch_size": 5})
		seen[i] = map[int64]int{}
		for _, id := range rowIDs(rows) {
			seen[i][id]++
		}
	}
	close(stop)
	wg.Wait()
	last := next.Load()
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv) VALUES (-1, 7)")
	for i, c := range cs {
		for {
			m := c.expect("change", "s")
			id := int64(m.Rows[0]["id"].(float64))
			if id == -1 {
				break
			}
			if m.ChangeType == "insert" {
				seen[i][id]++
			}
		}
		for id := int64(1); id <= last; id++ {
			if seen[i][id] != 1 {
				t.Fatalf("client %d got row %d %d times (rows 1..%d)", i, id, seen[i][id], last)
			}
		}
	}
}

func TestLiveWritePaths(t *testing.T) {
	s := liveServer(t)
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribeAll("m", "SELECT id, body FROM chat.messages", nil)
	c.subscribeAll("r", "SELECT * FROM chat.rooms WHERE id < 100", nil)
	// Transactions publish after COMMIT only, each row in its final state;
	// a rollback or a failed transaction publishes nothing.
	s.ok(liveAlice, "BEGIN; INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'rolled back'); ROLLBACK")
	s.fail(liveAlice, 400, "INVALID_INPUT", "BEGIN; INSERT INTO chat.messages (id, conv) VALUES (2, 7); INSERT INTO chat.messages (id, conv) VALUES (2, 7); COMMIT")
	s.ok(liveAlice, `BEGIN; INSERT INTO chat.messages (id, conv, body) VALUES (3, 7, 'draft');
		UPDATE chat.messages SET body = 'sent' WHERE id = 3; INSERT INTO chat.messages (id, conv, body) VALUES (4, 7, 'four'); COMMIT`)
	if got := c.change("m"); got != "insert [map[body:sent id:3]]" {
		t.Fatal(got)
	}
	if got := c.change("m"); got != "insert [map[body:four id:4]]" {
		t.Fatal(got)
	}
	// A multi-row statement: one change per row, in order.
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (5, 7, 'a'), (6, 7, 'b')")
	if got := c.change("m") + " " + c.change("m"); got != "insert [map[body:a id:5]] insert [map[body:b id:6]]" {
		t.Fatal(got)
	}
	s.ok(liveAlice, "UPDATE chat.messages SET body = 'all' WHERE id >= 5")
	if got := c.change("m") + " " + c.change("m"); got != "update [map[body:all id:5]] <- [map[body:a id:5]] update [map[body:all id:6]] <- [map[body:b id:6]]" {
		t.Fatal(got)
	}
	s.ok(liveAlice, "DELETE FROM chat.messages WHERE id = 6")
	if got := c.change("m"); got != "delete [map[body:all id:6]]" {
		t.Fatal(got)
	}
	// EXECUTE AS USER writes alice's partition: she sees it.
	s.ok(liveSvc, "EXECUTE AS USER 'alice' (INSERT INTO chat.messages (id, conv, body) VALUES (7, 7, 'from support'))")
	if got := c.change("m"); got != "insert [map[body:from support id:7]]" {
		t.Fatal(got)
	}
	// A SHARED table has one partition: a write by anyone allowed reaches
	// every subscriber allowed to read it.
	s.ok(liveOps, "INSERT INTO chat.rooms VALUES (1, 'lobby'), (200, 'not shown')")
	if m := c.expect("change", "r"); m.ChangeType != "insert" || m.Rows[0]["name"] != "lobby" {
		t.Fatal(m.raw)
	}
	s.ok(liveSvc, "UPDATE chat.rooms SET name = 'hall' WHERE id = 1")
	if m := c.expect("change", "r"); m.ChangeType != "update" || m.Rows[0]["name"] != "hall" || m.OldValues[0]["name"] != "lobby" {
		t.Fatal(m.raw)
	}
}

func TestLiveKillAndDisconnect(t *testing.T) {
	s := liveServer(t)
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribeAll("m", "SELECT id FROM chat.messages", nil)
	c.subscribeAll("n", "SELECT id FROM chat.messages WHERE conv = 7", nil)
	ids := strings.Split(strings.Trim(s.liveQueries("live_id"), `[]"`), `"],["`)
	if len(ids) != 2 {
		t.Fatalf("live ids: %v", ids)
	}
	// Bob is told such a live query does not exist; alice may kill hers.
	s.fail(liveBob, 404, "NOT_FOUND", "KILL LIVE QUERY '"+ids[0]+"'")
	s.ok(liveAlice, "KILL LIVE QUERY '"+ids[0]+"'")
	c.expectError("KILLED", "m")
	s.fail(liveAlice, 404, "NOT_FOUND", "KILL LIVE QUERY '"+ids[0]+"'")
	// A dba may kill anyone's.
	s.ok(liveOps, "KILL LIVE QUERY '"+ids[1]+"'")
	c.expectError("KILLED", "n")
	if got := s.liveQueries("live_id"); got != "null" {
		t.Fatalf("after kill: %s", got)
	}
	// Killed subscriptions get nothing more; the connection lives on.
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv) VALUES (1, 7)")
	c.subscribeAll("m", "SELECT id FROM chat.messages WHERE id > 1", nil)
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv) VALUES (2, 7)")
	if got := c.change("m"); got != "insert [map[id:2]]" {
		t.Fatal(got)
	}
	// Disconnecting removes the rest (the server notices asynchronously).
	if err := c.c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "live queries removed after disconnect", func() bool { return s.liveQueries("live_id") == "null" })
}

// A client that stops reading is disconnected once its queue is full, in
// entries (websocket.send_queue_size) or in bytes of changes
// (websocket.send_queue_bytes, however few entries that is).
//
// Changes under 64 KiB leave on the committing goroutine (the "inline"
// case): once the socket is full, what it did not take is kept and
// written by a writer goroutine, and the commits never wait for it.
func TestLiveSlowConsumerIsDisconnected(t *testing.T) {
	for name, tc := range map[string]struct {
		limit func(*config.Config)
		row   int
	}{
		"entries": {func(c *config.Config) { c.WebSocket.SendQueueSize = 8 }, 64 << 10},
		"bytes": {func(c *config.Config) {
			c.WebSocket.SendQueueSize = 100_000
			c.WebSocket.SendQueueBytes = 1 << 20
		}, 64 << 10},
		"inline": {func(c *config.Config) { c.WebSocket.SendQueueSize = 8 }, 16 << 10},
	} {
		t.Run(name, func(t *testing.T) {
			s := liveServer(t, tc.limit)
			slow := s.loginWS(t, "alice", "alice-pw")
			slow.subscribeAll("m", "SELECT * FROM chat.messages", nil)
			fast := s.loginWS(t, "alice", "alice-pw")
			fast.subscribeAll("m", "SELECT id FROM chat.messages", nil)
			// The slow client reads nothing; its socket buffers fill, then
			// its queue. Writers go on regardless, and so does the other
			// client.
			insertUntilCutOff(t, s, fast, tc.row)
			// Once it reads again, it finds the close frame after what was
			// sent.
			if code, reason := slow.closed(); code != websocket.StatusPolicyViolation || !strings.Contains(reason, "send queue full") {
				t.Fatalf("slow client closed with %d %q", code, reason)
			}
		})
	}
}

// insertUntilCutOff inserts rows of rowBytes as alice until only one of
// her two sockets is left (the slow one was cut off), checking that the
// fast one, subscribed as "m" to the ids, gets each; it returns how many.
func insertUntilCutOff(t *testing.T, s *server, fast *wsClient, rowBytes int) int {
	t.Helper()
	big := strings.Repeat("x", rowBytes)
	n := 0
	for aliceOnly := `[["` + s.userID("alice") + `"]]`; s.liveQueries("user_id") != aliceOnly; {
		n++
		if n > 20000 {
			t.Fatal("the slow client was never cut off")
		}
		s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES ($1, 7, $2)", n, big)
		if got := fast.change("m"); got != fmt.Sprintf("insert [map[id:%d]]", n) {
			t.Fatal(got)
		}
	}
	return n
}

func TestLiveStreamTables(t *testing.T) {
	s := liveServer(t)
	s.ok(root, `CREATE STREAM TABLE chat.typing (who TEXT, conv BIGINT) WITH (TTL_SECONDS = 60, EPHEMERAL = true);
		CREATE STREAM TABLE chat.events (n INT) WITH (TTL_SECONDS = 3600, MAX_BUFFER = 3)`)
	// EPHEMERAL: an event nobody subscribes to in its partition is dropped.
	s.ok(liveAlice, "INSERT INTO chat.typing VALUES ('alice', 7)")
	if got := s.ok(liveAlice, "SELECT who FROM chat.typing").rows(t); got != "null" {
		t.Fatalf("ephemeral event without subscriber: %s", got)
	}
	c := s.loginWS(t, "alice", "alice-pw")
	_, rows := c.subscribeAll("typing", "SELECT who FROM chat.typing WHERE conv = 7", nil)
	if len(rows) != 0 {
		t.Fatalf("initial: %v", rows)
	}
	// A user writes and reads their own partition; the subscriber gets
	// each of its events live and SELECT sees the buffered ones.
	s.ok(liveAlice, "INSERT INTO chat.typing VALUES ('alice', 7), ('alice', 8)")
	if got := c.change("typing"); got != "insert [map[who:alice]]" {
		t.Fatal(got)
	}
	if got := s.ok(liveAlice, "SELECT who, conv FROM chat.typing ORDER BY conv").rows(t); got != `[["alice",7],["alice",8]]` {
		t.Fatalf("buffered events: %s", got)
	}
	s.fail(liveAlice, 400, "INVALID_SQL", "UPDATE chat.typing SET who = 'x'")
	// MAX_BUFFER: the sweeper keeps the newest events of the partition.
	c.subscribeAll("events", "SELECT n FROM chat.events", nil)
	for i := 1; i <= 5; i++ {
		s.ok(liveAlice, "INSERT INTO chat.events VALUES ($1)", i)
		if got := c.change("events"); got != fmt.Sprintf("insert [map[n:%d]]", i) {
			t.Fatal(got)
		}
	}
	eventually(t, "the sweeper trims to MAX_BUFFER", func() bool {
		return s.ok(liveAlice, "SELECT count(*) FROM chat.events").rows(t) == "[[3]]"
	})
	if got := s.ok(liveAlice, "SELECT n FROM chat.events ORDER BY _seq").rows(t); got != "[[3],[4],[5]]" {
		t.Fatalf("after the sweep: %s", got)
	}
	_, rows = c.subscribeAll("events2", "SELECT n FROM chat.events", map[string]any{"last_rows": 2})
	if fmt.Sprint(rows) != "[map[n:4] map[n:5]]" {
		t.Fatalf("last_rows of a stream: %v", rows)
	}
}

// TestLiveStreamIsolation: STREAM tables are per user. Bob cannot read
// Alice's events, cannot write into her partition and is not notified of
// them; a service delivers an event to Alice with EXECUTE AS USER, and
// only Alice's subscriber receives it.
func TestLiveStreamIsolation(t *testing.T) {
	s := liveServer(t)
	s.ok(root, `CREATE STREAM TABLE chat.typing (who TEXT, conv BIGINT) WITH (TTL_SECONDS = 60)`)
	ca := s.loginWS(t, "alice", "alice-pw")
	cb := s.loginWS(t, "bob", "bob-pw")
	ca.subscribeAll("t", "SELECT who, conv FROM chat.typing", nil)
	cb.subscribeAll("t", "SELECT who, conv FROM chat.typing", nil)

	s.ok(liveAlice, "INSERT INTO chat.typing VALUES ('alice', 7)")
	if got := ca.change("t"); got != "insert [map[conv:7 who:alice]]" {
		t.Fatal(got)
	}
	// Bob's reads and writes stay in his partition.
	if got := s.ok(liveBob, "SELECT who FROM chat.typing").rows(t); got != "null" {
		t.Fatalf("bob reads alice's events: %s", got)
	}
	s.ok(liveBob, "INSERT INTO chat.typing VALUES ('bob pretending to be alice', 7)")
	s.fail(liveBob, 403, "PERMISSION_DENIED", "EXECUTE AS USER 'alice' (INSERT INTO chat.typing VALUES ('bob', 1))")
	if got := cb.change("t"); got != "insert [map[conv:7 who:bob pretending to be alice]]" {
		t.Fatal(got)
	}
	// A service delivers to alice.
	s.ok(liveSvc, "EXECUTE AS USER 'alice' (INSERT INTO chat.typing VALUES ('svc', 9))")
	if got := ca.change("t"); got != "insert [map[conv:9 who:svc]]" {
		t.Fatalf("alice's subscriber after the delivery (bob's event must not reach it): %s", got)
	}
	// A marker in bob's partition: his subscriber got nothing of alice's
	// in between.
	s.ok(liveBob, "INSERT INTO chat.typing VALUES ('bob marker', 1)")
	if got := cb.change("t"); got != "insert [map[conv:1 who:bob marker]]" {
		t.Fatalf("bob's subscriber got %s", got)
	}
	if got := s.ok(liveAlice, "SELECT who FROM chat.typing ORDER BY _seq").rows(t); got != `[["alice"],["svc"]]` {
		t.Fatalf("alice's partition: %s", got)
	}
	if got := s.ok(liveBob, "SELECT who FROM chat.typing ORDER BY _seq").rows(t); got != `[["bob pretending to be alice"],["bob marker"]]` {
		t.Fatalf("bob's partition: %s", got)
	}
}

func TestLiveShutdownClosesSockets(t *testing.T) {
	s := liveServer(t)
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribeAll("m", "SELECT id FROM chat.messages", nil)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		s.stop()
	}()
	if code, reason := c.closed(); code != websocket.StatusGoingAway || reason != "server shutting down" {
		t.Fatalf("closed with %d %q", code, reason)
	}
	<-stopped
	// Stop returned: no goroutine of the live query or WebSocket code is
	// left, of this server or of any stopped before it.
	if left := liveGoroutines(); len(left) > 0 {
		t.Fatalf("%d goroutines left after stop:\n%s", len(left), strings.Join(left, "\n\n"))
	}
}

// liveGoroutines returns the stacks of goroutines running server-side live
// query, stream or WebSocket code.
func liveGoroutines() []string {
	buf := make([]byte, 16<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, pkg := range []string{"kalamdb-server/internal/ws.", "kalamdb-core/live.", "kalamdb-core/streams.", "github.com/coder/websocket."} {
			if strings.Contains(g, pkg) && !strings.Contains(g, "e2e_test.") {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

func TestLiveDroppedUserIsDisconnected(t *testing.T) {
	s := liveServer(t)
	c := s.loginWS(t, "bob", "bob-pw")
	c.subscribeAll("m", "SELECT id FROM chat.messages", nil)
	s.ok(root, "DROP USER 'bob'")
	if code, reason := c.closed(); code != websocket.StatusPolicyViolation || !strings.Contains(reason, "sign in again") {
		t.Fatalf("closed with %d %q", code, reason)
	}
	eventually(t, "bob's live queries removed", func() bool { return s.liveQueries("live_id") == "null" })
}

// TestLiveLikePrefixBeyondLatin1: a subscription's LIKE 'prefix%' and a
// SELECT with it find texts whose character after the prefix is above
// U+00FF, as DELETE with the same WHERE does.
func TestLiveLikePrefixBeyondLatin1(t *testing.T) {
	s := liveServer(t)
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribeAll("m", "SELECT id, body FROM chat.messages WHERE body LIKE '北%'", nil)
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'b'), (2, 7, '北京')")
	if got := c.change("m"); got != "insert [map[body:北京 id:2]]" {
		t.Fatal(got)
	}
	if got := s.ok(liveAlice, "SELECT id FROM chat.messages WHERE body LIKE '北%'").rows(t); got != "[[2]]" {
		t.Fatalf("SELECT ... LIKE '北%%': %s", got)
	}
}

// TestLiveChangeDoesNotWaitForTheAnswer: a change is sent once its
// statement has committed, whatever becomes of the statement's HTTP
// answer: a client that sends INSERTs over a keep-alive connection and
// does not read the answers still has its subscription's frames. A
// statement that fails in between sends nothing, and the frames keep the
// commit order. The answers are all there when finally read.
func TestLiveChangeDoesNotWaitForTheAnswer(t *testing.T) {
	s := liveServer(t)
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribeAll("m", "SELECT id, body FROM chat.messages", nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:alice-pw"))
	post := func(sqlText string) {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"sql": sqlText})
		req := fmt.Sprintf("POST /v1/api/sql HTTP/1.1\r\nHost: kalamdb\r\nAuthorization: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			auth, len(body), body)
		if _, err := conn.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
	}
	post("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'one')")
	if got := c.change("m"); got != "insert [map[body:one id:1]]" {
		t.Fatal(got)
	}
	post("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'again')") // duplicate key: fails
	post("INSERT INTO chat.messages (id, conv, body) VALUES (2, 7, 'two'), (3, 7, 'three')")
	if got := c.change("m") + " " + c.change("m"); got != "insert [map[body:two id:2]] insert [map[body:three id:3]]" {
		t.Fatal(got)
	}
	rd := bufio.NewReader(conn)
	for i, want := range []int{http.StatusOK, http.StatusBadRequest, http.StatusOK} {
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("answer %d: HTTP %d %s, want %d", i, resp.StatusCode, raw, want)
		}
	}
}
