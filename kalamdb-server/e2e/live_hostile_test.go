package e2e_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// hostileLiveServer is a server with alice and bob, and a table of notes.
func hostileLiveServer(t *testing.T, mutate ...func(*config.Config)) *server {
	t.Helper()
	s := startServer(t, t.TempDir(), mutate...)
	s.ok(root, `CREATE NAMESPACE app; CREATE TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT);
		CREATE USER 'alice' WITH PASSWORD 'pw-alice' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'pw-bob' ROLE user`)
	return s
}

// The review's crash: a subscription whose WHERE made the engine panic on
// the sender (NaN compared as a decimal) took the process down. Now at
// worst that subscription ends; the server, the connection's other
// subscriptions and other users go on.
func TestLiveFilterPanicDoesNotKillTheServer(t *testing.T) {
	s := hostileLiveServer(t)
	alice := s.loginWS(t, "alice", "pw-alice")
	alice.subscribeAll("boom", "SELECT * FROM app.notes WHERE id > 1000000 AND id::float8 * 'NaN' = 1.5", nil)
	alice.subscribeAll("fine", "SELECT id FROM app.notes", nil)
	bob := s.loginWS(t, "bob", "pw-bob")
	bob.subscribeAll("fine", "SELECT id FROM app.notes", nil)

	s.ok(basic("alice", "pw-alice"), "INSERT INTO app.notes VALUES (2000000, 'boom')")
	s.ok(basic("alice", "pw-alice"), "INSERT INTO app.notes VALUES (1, 'after')")
	var fine []string
	for len(fine) < 2 {
		m := alice.recv()
		switch {
		case m.SubscriptionID == "fine" && m.Type == "change":
			fine = append(fine, m.raw)
		case m.SubscriptionID == "boom" && m.Type == "error" && m.Code == "SUBSCRIPTION_FAILED":
			// The engine failed on this row: this subscription ends.
		default:
			t.Fatalf("unexpected message: %s", m.raw)
		}
	}
	if !strings.Contains(fine[0], "2000000") || !strings.Contains(fine[1], `"id":1`) {
		t.Fatalf("the other subscription: %v", fine)
	}
	s.ok(basic("bob", "pw-bob"), "INSERT INTO app.notes VALUES (7, 'bob')")
	if got := bob.change("fine"); got != "insert [map[id:7]]" {
		t.Fatal(got)
	}
	if h := s.do(http.MethodGet, "/health", nil, nil); h.httpStatus != http.StatusOK {
		t.Fatalf("/health: %s", h)
	}
}

// The review's busy sender: a WHERE that evaluated for more than 100 s per
// change. Each such subscription is stopped at the subscriber's statement
// timeout and ends with SUBSCRIPTION_FAILED; several of them do not keep
// the server busy, and other users' subscriptions get their changes.
func TestLiveExpensiveFiltersEndAtTheStatementTimeout(t *testing.T) {
	s := hostileLiveServer(t, func(c *config.Config) { c.Limits.StatementTimeoutUser = time.Second })
	const slowWhere = "SELECT * FROM app.notes WHERE id > 1000 AND regexp_count(body, '(a|b|ab|ba){999}') > 0"
	var slow []*wsClient
	for range 3 {
		c := s.loginWS(t, "alice", "pw-alice")
		c.subscribeAll("slow", slowWhere, nil)
		slow = append(slow, c)
	}
	bob := s.loginWS(t, "bob", "pw-bob")
	bob.subscribeAll("fine", "SELECT id FROM app.notes", nil)

	s.ok(basic("alice", "pw-alice"), "INSERT INTO app.notes VALUES (2001, repeat('ab', 800000))")
	for _, c := range slow {
		m := c.expectError("SUBSCRIPTION_FAILED", "slow")
		if !strings.Contains(m.Message, "statement_timeout") {
			t.Fatalf("error: %s", m.raw)
		}
	}
	if got := s.ok(root, "SELECT COUNT(*) FROM system.live_queries").rows(t); got != "[[1]]" {
		t.Fatalf("live queries left: %s", got)
	}
	s.ok(basic("bob", "pw-bob"), "INSERT INTO app.notes VALUES (5, 'x')")
	if got := bob.change("fine"); got != "insert [map[id:5]]" {
		t.Fatal(got)
	}
}

// The review's smuggling over WebSocket: encoding/json matched "TYPE" and
// "SQL" to type and sql, so a message a proxy or a log read as one request
// ran as another. Such messages, and text that is not UTF-8, are refused
// with PROTOCOL; nothing changes and the socket stays usable.
func TestLiveAmbiguousMessagesAreRefused(t *testing.T) {
	s := hostileLiveServer(t)
	s.ok(root, "CREATE SHARED TABLE app.pub (id BIGINT PRIMARY KEY) WITH (ACCESS_LEVEL = 'PUBLIC')")
	c := s.loginWS(t, "alice", "pw-alice")
	c.subscribeAll("n", "SELECT id FROM app.notes", nil)
	for _, raw := range []string{
		`{"type":"subscribe","subscription_id":"n","subscription":{"id":"x","sql":"SELECT id FROM app.notes"},"TYPE":"unsubscribe"}`,
		`{"type":"subscribe","subscription":{"id":"y","sql":"SELECT id FROM app.notes","SQL":"SELECT id FROM app.pub"}}`,
		`{"type":"unsubscribe","Subscription_Id":"n","subscription_id":"other"}`,
		"{\"type\":\"subscribe\",\"subscription\":{\"id\":\"z\",\"sql\":\"SELECT id FROM app.notes WHERE id <> 'a\xff'\"}}",
		`{"type":"subscribe","subscription":{"id":"z","sql":"SELECT id FROM app.notes WHERE id <> '\udc00'"}}`,
	} {
		c.sendRaw(websocket.MessageText, []byte(raw))
		c.expectError("PROTOCOL", "")
	}
	if got := s.ok(root, "SELECT COUNT(*) FROM system.live_queries").rows(t); got != "[[1]]" {
		t.Fatalf("live queries: %s", got)
	}
	s.ok(basic("alice", "pw-alice"), "INSERT INTO app.notes VALUES (1, 'x')")
	if got := c.change("n"); got != "insert [map[id:1]]" {
		t.Fatal(got)
	}
}

// The review's memory blow-up: rows of 10 MB, subscribed to with
// batch_size 10000, made one initial-data message of every row (RSS from
// 4.7 to 9.7 GB, no batch after 36 s). Batches are bounded in bytes
// (websocket.max_batch_bytes) as well as in rows: each holds at most the
// bound, or one row larger than it, and every row arrives once, in order.
func TestLiveInitialDataIsBoundedInBytes(t *testing.T) {
	const limit = 1 << 20
	s := hostileLiveServer(t, func(c *config.Config) { c.WebSocket.MaxBatchBytes = limit })
	alice := basic("alice", "pw-alice")
	for i := 1; i <= 12; i++ {
		size := 400_000
		if i == 5 {
			size = 3_000_000 // one row larger than a whole batch
		}
		s.ok(alice, "INSERT INTO app.notes VALUES ($1, repeat('x', $2))", i, size)
	}
	c := s.loginWS(t, "alice", "pw-alice")
	c.subscribe("n", "SELECT * FROM app.notes", map[string]any{"batch_size": 10000})
	c.expect("subscription_ack", "n")
	var ids []int64
	for {
		b := c.expect("initial_data_batch", "n")
		if len(b.Rows) == 0 || (len(b.Rows) > 1 && len(b.raw) > limit+4096) {
			t.Fatalf("batch %d: %d rows, %d bytes", b.BatchControl.BatchNum, len(b.Rows), len(b.raw))
		}
		ids = append(ids, rowIDs(b.Rows)...)
		if !b.BatchControl.HasMore {
			break
		}
		c.send(map[string]any{"type": "next_batch", "subscription_id": "n"})
	}
	if got := fmt.Sprint(ids); got != "[1 2 3 4 5 6 7 8 9 10 11 12]" {
		t.Fatalf("rows: %s", got)
	}
}

// metric reads one unlabelled sample of /metrics (-1 when absent).
func (s *server) metric(name string) float64 {
	s.t.Helper()
	m := s.do(http.MethodGet, "/metrics", nil, nil)
	for _, line := range strings.Split(m.raw, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				s.t.Fatalf("metric %s: %q", name, line)
			}
			return f
		}
	}
	return -1
}

// The attack's zombie work: a client pipelined 100 subscribes whose WHERE
// cost seconds per row and hung up; the server then served every one of
// them, for nobody, for minutes. Now the server reads while it serves:
// closing the socket cancels the request in progress and drops the queued
// ones, which never start, and the metrics show both. Requests beyond the
// queue's bound are refused at once rather than left unread.
func TestLiveClosingTheSocketCancelsItsRequests(t *testing.T) {
	s := hostileLiveServer(t, func(c *config.Config) {
		// The slow subscribe runs until it is cancelled, not until a
		// time limit.
		c.Limits.StatementTimeoutUser = time.Hour
		// No rate limit: a socket may have max_subscriptions_per_connection+10
		// requests unanswered.
		c.WebSocket.MessagesPerSecond = 0
		c.WebSocket.MaxSubscriptionsPerConnection = 5
	})
	const queueCap, extra = 15, 4
	alice := basic("alice", "pw-alice")
	s.ok(alice, "INSERT INTO app.notes VALUES (1, repeat('ab', 400000))")
	c := s.loginWS(t, "alice", "pw-alice")
	for i := range queueCap + extra {
		c.subscribe(fmt.Sprintf("s%d", i), "SELECT id FROM app.notes WHERE regexp_count(body, '(a|b|ab|ba){999}') > 0", nil)
	}
	// The requests beyond the queue are refused, in order, at once.
	for i := range extra {
		m := c.expectError("RATE_LIMIT_EXCEEDED", fmt.Sprintf("s%d", queueCap+i))
		if !strings.Contains(m.Message, "wait on this connection") {
			t.Fatalf("refusal: %s", m.raw)
		}
	}
	eventually(t, "one request served, the others queued", func() bool {
		return s.metric("kalamdb_ws_requests_running") == 1 && s.metric("kalamdb_ws_requests_queued") == queueCap-1
	})
	if got := s.metric("kalamdb_ws_requests_queue_full_total"); got != extra {
		t.Fatalf("queue full: %v", got)
	}
	_ = c.c.CloseNow()
	eventually(t, "the closed socket's requests end", func() bool {
		return s.metric("kalamdb_ws_requests_running") == 0 && s.metric("kalamdb_ws_requests_queued") == 0
	})
	for name, want := range map[string]float64{
		"kalamdb_ws_requests_cancelled_total": 1,
		"kalamdb_ws_requests_dropped_total":   queueCap - 1,
		"kalamdb_ws_requests_orphaned":        0,
		"kalamdb_live_subscriptions":          0,
	} {
		if got := s.metric(name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := s.ok(root, "SELECT COUNT(*) FROM system.live_queries").rows(t); got != "[[0]]" {
		t.Fatalf("live queries left: %s", got)
	}
}

// The attack's amplifier: a WHERE that built a 16 MB string per row
// (position('zz' IN repeat(body, 8000000))) cost that for every change and
// every subscription. Such a WHERE is refused at subscribe, naming the
// function, and the socket stays usable.
func TestLiveValueBuildingWhereIsRefused(t *testing.T) {
	s := hostileLiveServer(t)
	c := s.loginWS(t, "alice", "pw-alice")
	c.subscribe("big", "SELECT id FROM app.notes WHERE position('zz' IN repeat(body, 8000000)) > 0", nil)
	if m := c.expectError("UNSUPPORTED", "big"); !strings.Contains(m.Message, "repeat()") {
		t.Fatalf("refusal: %s", m.raw)
	}
	c.subscribeAll("n", "SELECT id FROM app.notes", nil)
	if got := s.ok(root, "SELECT COUNT(*) FROM system.live_queries").rows(t); got != "[[1]]" {
		t.Fatalf("live queries: %s", got)
	}
}

// A subscriber's WHERE is evaluated for it, never in the statement of
// another user that wrote the change: an INSERT into a SHARED table, or a
// service's EXECUTE AS USER into the subscriber's own table, returns while
// the subscriber's expensive filter still runs on the row (its
// subscription is still listed), and the filter still ends at the
// subscriber's statement timeout.
func TestLiveExpensiveFilterDoesNotHoldUpAnotherUsersInsert(t *testing.T) {
	for name, tc := range map[string]struct{ table, writer, insert string }{
		"shared":     {"app.pub", "root", "INSERT INTO app.pub VALUES (2001, repeat('ab', 800000))"},
		"execute as": {"app.notes", "svc", "EXECUTE AS USER 'alice' (INSERT INTO app.notes VALUES (2001, repeat('ab', 800000)))"},
	} {
		t.Run(name, func(t *testing.T) {
			s := hostileLiveServer(t, func(c *config.Config) { c.Limits.StatementTimeoutUser = 5 * time.Second })
			s.ok(root, `CREATE SHARED TABLE app.pub (id BIGINT PRIMARY KEY, body TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
				CREATE USER 'svc' WITH PASSWORD 'pw-svc' ROLE service`)
			alice := s.loginWS(t, "alice", "pw-alice")
			alice.subscribeAll("slow", "SELECT * FROM "+tc.table+" WHERE id > 1000 AND regexp_count(body, '(a|b|ab|ba){999}') > 0", nil)
			writer := root
			if tc.writer == "svc" {
				writer = basic("svc", "pw-svc")
			}
			s.ok(writer, tc.insert)
			if got := s.ok(root, "SELECT COUNT(*) FROM system.live_queries").rows(t); got != "[[1]]" {
				t.Fatalf("the INSERT returned after the subscriber's filter ended: live queries %s", got)
			}
			if m := alice.expectError("SUBSCRIPTION_FAILED", "slow"); !strings.Contains(m.Message, "statement_timeout") {
				t.Fatalf("error: %s", m.raw)
			}
		})
	}
}
