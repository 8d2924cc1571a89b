package e2e_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// rawWS is a WebSocket client written by hand over TCP, to do what a
// well-behaved library will not: stop reading while still writing.
type rawWS struct {
	t    *testing.T
	conn net.Conn
}

func (s *server) dialRawWS(t *testing.T) *rawWS {
	t.Helper()
	// A small receive buffer: the server's writes fill it soon.
	c, _ := s.dialRawWSWith(t, 4096, "")
	return c
}

// dialRawWSWith upgrades a new connection with extra header lines (each
// ending in CRLF); readBuffer is its socket's receive buffer (0: the
// system's). It returns the 101 answer's header too.
func (s *server) dialRawWSWith(t *testing.T, readBuffer int, extra string) (*rawWS, http.Header) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if readBuffer > 0 {
		_ = conn.(*net.TCPConn).SetReadBuffer(readBuffer)
	}
	req := "GET /v1/ws HTTP/1.1\r\nHost: kalamdb\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	// The server sends nothing after the 101 before authentication, so
	// the reader's buffer holds only the answer.
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 16), nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return &rawWS{t: t, conn: conn}, resp.Header
}

// frame writes one masked frame (a client's), with a zero mask key.
func (c *rawWS) frame(opcode byte, payload []byte) error {
	h := []byte{0x80 | opcode, 0}
	switch n := len(payload); {
	case n < 126:
		h[1] = 0x80 | byte(n)
	default:
		h[1] = 0x80 | 126
		h = binary.BigEndian.AppendUint16(h, uint16(n))
	}
	h = append(h, 0, 0, 0, 0)
	_, err := c.conn.Write(append(h, payload...))
	return err
}

func (c *rawWS) send(v any) {
	c.t.Helper()
	raw, _ := json.Marshal(v)
	if err := c.frame(0x1, raw); err != nil {
		c.t.Fatal(err)
	}
}

// aliceFastAndSilent subscribes two of alice's sockets to her messages:
// a client that reads everything, and a raw one that reads nothing.
func aliceFastAndSilent(t *testing.T, s *server) (*wsClient, *rawWS) {
	t.Helper()
	fast := s.loginWS(t, "alice", "alice-pw")
	fast.subscribeAll("m", "SELECT id FROM chat.messages", nil)
	slow := s.dialRawWS(t)
	slow.send(map[string]any{"type": "authenticate", "method": "basic", "username": "alice", "password": "alice-pw"})
	slow.send(map[string]any{"type": "subscribe", "subscription": map[string]any{"id": "m", "sql": "SELECT * FROM chat.messages"}})
	// It reads no answer: its subscription is there once listed.
	for s.ok(root, "SELECT COUNT(*) FROM system.live_queries").rows(t) != "[[2]]" {
	}
	return fast, slow
}

// A subscriber that stops reading but keeps sending pings: the server's
// pongs (written by coder/websocket, which holds the socket while its
// write waits) and the changes a committer writes itself compete for a
// socket that takes nothing. The INSERTs of the same user never wait for
// it, its other connection gets every change, and it is cut off as a
// slow consumer.
func TestLivePingingNonReaderDoesNotHoldUpInserts(t *testing.T) {
	s := liveServer(t, func(c *config.Config) { c.WebSocket.SendQueueSize = 8 })
	fast, slow := aliceFastAndSilent(t, s)
	pinging := make(chan struct{})
	go func() {
		defer close(pinging)
		ping := []byte(strings.Repeat("p", 125))
		for slow.frame(0x9, ping) == nil {
		}
	}()
	n := insertUntilCutOff(t, s, fast, 16<<10)
	t.Logf("cut off after %d inserts", n)
	_ = slow.conn.Close()
	<-pinging
}

// Transactions that publish many changes at once, to a user with one
// socket that reads nothing and one that reads everything: the committer
// writes what the silent socket takes without waiting and hands the rest
// on; every COMMIT returns, the reading socket gets every change in
// commit order, and the silent one is cut off.
func TestLiveTransactionsToASilentSubscriber(t *testing.T) {
	s := liveServer(t, func(c *config.Config) { c.WebSocket.SendQueueSize = 8 })
	fast, _ := aliceFastAndSilent(t, s)
	big := strings.Repeat("x", 8<<10)
	n := 0
	for aliceOnly := `[["` + s.userID("alice") + `"]]`; s.liveQueries("user_id") != aliceOnly; {
		if n > 20000 {
			t.Fatal("the slow client was never cut off")
		}
		var sql strings.Builder
		sql.WriteString("BEGIN;")
		for range 20 {
			n++
			fmt.Fprintf(&sql, " INSERT INTO chat.messages (id, conv, body) VALUES (%d, 7, '%s');", n, big)
		}
		sql.WriteString(" COMMIT")
		s.ok(liveAlice, sql.String())
		for i := n - 19; i <= n; i++ {
			if got := fast.change("m"); got != fmt.Sprintf("insert [map[id:%d]]", i) {
				t.Fatalf("change %d: %s", i, got)
			}
		}
	}
}

// A change rendered on the committer's goroutine (its own user's
// subscriber) evaluates the subscription's WHERE, which may take up to the
// statement timeout; the socket must not be held meanwhile: coder's pong
// to the client's ping goes out while the slow subscription's filter still
// runs, before the error that ends it. (Held, the pong waited, and coder
// dropped the connection, without a close frame, once a control frame had
// waited 5 s.)
func TestLiveSlowFilterDoesNotHoldTheSocket(t *testing.T) {
	s := hostileLiveServer(t, func(c *config.Config) { c.Limits.StatementTimeoutUser = 5 * time.Second })
	alice := s.loginWS(t, "alice", "pw-alice")
	alice.subscribeAll("fast", "SELECT id FROM app.notes", nil)
	alice.subscribeAll("slow", "SELECT * FROM app.notes WHERE id > 1000 AND regexp_count(body, '(a|b|ab|ba){999}') > 0", nil)
	inserted := make(chan *response, 1)
	go func() {
		inserted <- s.sql(basic("alice", "pw-alice"), "INSERT INTO app.notes VALUES (2001, repeat('ab', 800000))")
	}()
	if m := alice.expect("change", "fast"); m.ChangeType != "insert" {
		t.Fatal(m.raw)
	}
	var mu sync.Mutex
	var order []string
	note := func(what string) {
		mu.Lock()
		order = append(order, what)
		mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	ended := make(chan struct{})
	go func() {
		// coder/websocket reads the pong only while a Read runs.
		for {
			_, raw, err := alice.c.Read(ctx)
			if err != nil {
				note("read: " + err.Error())
				return
			}
			note("message " + string(raw))
			if strings.Contains(string(raw), `"error"`) {
				close(ended)
			}
		}
	}()
	if err := alice.c.Ping(ctx); err != nil {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%v; got, in order: %.200q", err, order)
	}
	note("pong")
	<-ended
	mu.Lock()
	defer mu.Unlock()
	if r := <-inserted; r.httpStatus != http.StatusOK {
		t.Fatal(r)
	}
	if len(order) != 2 || order[0] != "pong" || !strings.Contains(order[1], "statement_timeout") {
		t.Fatalf("got, in order: %q", order)
	}
}
