package e2e_test

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

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
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	// A small receive buffer: the server's writes fill it soon.
	_ = conn.(*net.TCPConn).SetReadBuffer(4096)
	req := "GET /v1/ws HTTP/1.1\r\nHost: kalamdb\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	// The server sends nothing after the 101 before authentication, so
	// the reader's buffer holds only the answer.
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 16), nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return &rawWS{t: t, conn: conn}
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

// A subscriber that stops reading but keeps sending pings: the server's
// pongs (written by coder/websocket, which holds the socket while its
// write waits) and the changes a committer writes itself compete for a
// socket that takes nothing. The INSERTs of the same user never wait for
// it, its other connection gets every change, and it is cut off as a
// slow consumer.
func TestLivePingingNonReaderDoesNotHoldUpInserts(t *testing.T) {
	s := liveServer(t, func(c *config.Config) { c.WebSocket.SendQueueSize = 8 })
	fast := s.loginWS(t, "alice", "alice-pw")
	fast.subscribeAll("m", "SELECT id FROM chat.messages", nil)
	slow := s.dialRawWS(t)
	slow.send(map[string]any{"type": "authenticate", "method": "basic", "username": "alice", "password": "alice-pw"})
	slow.send(map[string]any{"type": "subscribe", "subscription": map[string]any{"id": "m", "sql": "SELECT * FROM chat.messages"}})
	for s.ok(root, "SELECT COUNT(*) FROM system.live_queries").rows(t) != "[[2]]" {
	}
	pinging := make(chan struct{})
	go func() {
		defer close(pinging)
		ping := []byte(strings.Repeat("p", 125))
		for slow.frame(0x9, ping) == nil {
		}
	}()
	big := strings.Repeat("x", 16<<10)
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
	t.Logf("cut off after %d inserts", n)
	_ = slow.conn.Close()
	<-pinging
}
