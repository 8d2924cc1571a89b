package e2e_test

// Adversarial end-to-end tests of the frames a committer writes itself
// between coder/websocket's (session 9, lane13 review): read by a strict
// hand-written frame parser, so that a frame cut into, a bad header or a
// message for another user shows up as such.

import (
	"bufio"
	"encoding/binary"
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

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// strictFrames reads the server's frames from c and returns each text
// message; it fails on anything RFC 6455 does not allow a server to send
// without extensions (a reserved bit, a masked frame, a fragment, an
// unknown opcode, a control frame over 125 bytes, a text message that is
// not one JSON value). Pings are answered by nobody: the test does not
// need them.
type strictFrames struct {
	t  *testing.T
	br *bufio.Reader
}

func (f *strictFrames) next() (opcode byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(f.br, h[:]); err != nil {
		return 0, nil, err
	}
	if h[0]&0x70 != 0 {
		return 0, nil, fmt.Errorf("reserved bits set: %08b", h[0])
	}
	if h[0]&0x80 == 0 {
		return 0, nil, fmt.Errorf("fragmented frame: %08b", h[0])
	}
	if h[1]&0x80 != 0 {
		return 0, nil, fmt.Errorf("masked server frame")
	}
	opcode = h[0] & 0x0f
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(f.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(f.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	switch opcode {
	case 0x1:
	case 0x8, 0x9, 0xa:
		if n > 125 {
			return 0, nil, fmt.Errorf("control frame of %d bytes", n)
		}
	default:
		return 0, nil, fmt.Errorf("opcode %#x", opcode)
	}
	if n > 64<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(f.br, payload); err != nil {
		return 0, nil, err
	}
	if opcode == 0x1 && !json.Valid(payload) {
		return 0, nil, fmt.Errorf("text frame is not JSON: %.200q", payload)
	}
	return opcode, payload, nil
}

// dialReadingWS is dialRawWS with the system's receive buffer: a client
// that reads, through a tiny buffer, would find loopback TCP sending to it
// at the pace of zero-window probes.
func (s *server) dialReadingWS(t *testing.T) *rawWS {
	t.Helper()
	// Offered, and to be declined (the server compresses nothing); the
	// strict reader then refuses any frame with a reserved bit.
	c, h := s.dialRawWSWith(t, 0, "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n")
	if ext := h.Get("Sec-WebSocket-Extensions"); ext != "" {
		t.Fatalf("server accepted extensions %q", ext)
	}
	return c
}

// A subscriber whose large initial batches are being written while
// commits of its own user write change frames themselves, with pings
// from the client drawing pongs in between, reads a well-formed stream:
// every frame whole, every message JSON, each subscription's changes in
// commit order after its last batch; and another user's socket,
// subscribed to the same user table, never sees one of them.
func TestLiveFramesStayWholeUnderInlineChanges(t *testing.T) {
	// A queue deep enough that this reader, which parses every frame, is
	// not cut off as a slow consumer.
	s := liveServer(t, func(c *config.Config) {
		c.WebSocket.SendQueueSize = 1 << 20
		c.WebSocket.SendQueueBytes = 1 << 30
	})
	pad := strings.Repeat("x", 2000)
	for i := range 300 {
		s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES ($1, 1, $2)", -1-i, pad)
	}
	s.ok(liveBob, "INSERT INTO chat.messages (id, conv, body) VALUES (-100000, 1, 'bob-only')")

	bob := s.loginWS(t, "bob", "bob-pw")
	bob.subscribeAll("b", "SELECT id, body FROM chat.messages", nil)

	alice := s.dialReadingWS(t)
	alice.send(map[string]any{"type": "authenticate", "method": "basic", "username": "alice", "password": "alice-pw"})
	frames := &strictFrames{t: t, br: bufio.NewReaderSize(alice.conn, 512)}

	const inserts = 3000
	// Inserts run throughout, one change frame each per subscription.
	var next atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
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
			if id > inserts {
				return
			}
			if r := s.sql(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES ($1, 1, 'c')", id); r.httpStatus != 200 {
				t.Error(r)
				return
			}
		}
	}()
	// Pings in between: coder/websocket writes a pong for each. Every
	// frame the client sends goes through one writer goroutine, so that
	// the reader never waits on a write (a client that does can deadlock
	// with a server whose pongs wait for the reader).
	outbox := make(chan []byte, 1<<16)
	pingStop := make(chan struct{})
	var pingWG sync.WaitGroup
	pingWG.Add(1)
	go func() {
		defer pingWG.Done()
		for {
			select {
			case <-pingStop:
				return
			case m := <-outbox:
				if alice.frame(0x1, m) != nil {
					return
				}
				continue
			default:
			}
			if alice.frame(0x9, []byte("p")) != nil {
				return
			}
			time.Sleep(time.Millisecond) // only paces the pings
		}
	}()
	send := func(v any) {
		raw, _ := json.Marshal(v)
		outbox <- raw
	}

	const subs = 4
	for i := range subs {
		send(map[string]any{"type": "subscribe", "subscription": map[string]any{
			"id": fmt.Sprintf("s%d", i), "sql": "SELECT id, body FROM chat.messages", "options": map[string]any{"batch_size": 1000}}})
	}
	type state struct {
		ready bool
		last  int64
		ids   map[int64]bool
	}
	st := map[string]*state{}
	for i := range subs {
		st[fmt.Sprintf("s%d", i)] = &state{ids: map[int64]bool{}}
	}
	readyAll := func() bool {
		for _, v := range st {
			if !v.ready {
				return false
			}
		}
		return true
	}
	var stopped bool
	var final int64
	done := map[string]bool{}
	_ = alice.conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
	for len(done) < subs {
		if !stopped && readyAll() && next.Load() > inserts {
			stopped = true
			close(stop)
			wg.Wait()
			final = 1 << 40
			s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES ($1, 1, 'final')", final)
		}
		op, p, err := frames.next()
		if err != nil {
			t.Fatalf("frame: %v", err)
		}
		if op != 0x1 {
			if op == 0x8 {
				t.Fatalf("socket closed: %q", p)
			}
			continue
		}
		var m wsMsg
		if err := json.Unmarshal(p, &m); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(p), "bob-only") {
			t.Fatalf("alice got bob's row: %.200s", p)
		}
		v := st[m.SubscriptionID]
		switch m.Type {
		case "auth_success", "subscription_ack":
		case "initial_data_batch":
			for _, r := range m.Rows {
				if id := int64(r["id"].(float64)); id > 0 {
					v.ids[id] = true
				}
			}
			if m.BatchControl.HasMore {
				send(map[string]any{"type": "next_batch", "subscription_id": m.SubscriptionID, "last_seq_id": m.BatchControl.LastSeqID})
			} else {
				v.ready = true
			}
		case "change":
			if !v.ready {
				t.Fatalf("%s: change before its last batch: %.200s", m.SubscriptionID, p)
			}
			id := int64(m.Rows[0]["id"].(float64))
			if id <= v.last && id > 0 {
				t.Fatalf("%s: change %d after %d", m.SubscriptionID, id, v.last)
			}
			if id > 0 {
				v.last = id
				if v.ids[id] {
					t.Fatalf("%s: row %d twice", m.SubscriptionID, id)
				}
				v.ids[id] = true
			}
			if stopped && id == final {
				done[m.SubscriptionID] = true
			}
		default:
			t.Fatalf("unexpected %.300s", p)
		}

	}
	close(pingStop)
	pingWG.Wait()
	for name, v := range st {
		for id := int64(1); id <= inserts; id++ {
			if !v.ids[id] {
				t.Fatalf("%s: row %d never arrived", name, id)
			}
		}
	}
	// bob's socket saw none of alice's changes: his next message is his own.
	s.ok(liveBob, "INSERT INTO chat.messages (id, conv, body) VALUES (-100001, 1, 'bob-two')")
	if got := bob.change("b"); !strings.Contains(got, "bob-two") {
		t.Fatalf("bob's next change is %s", got)
	}
}

// Sockets reset (RST) or closed in the middle of a stream of changes the
// committers write themselves, some while a frame was left over (spilled)
// for a writer goroutine, leave nothing behind: no subscription listed,
// no goroutine running, and every insert returned.
func TestLiveAbruptClosesUnderInlineChangesLeakNothing(t *testing.T) {
	s := liveServer(t)
	s.ok(root, "SELECT 1")
	base := stableGoroutines()
	body := strings.Repeat("y", 3000) // a few frames fill a small socket buffer: spills
	var next atomic.Int64
	for round := range 4 {
		var socks []*rawWS
		for range 4 {
			ws := s.dialRawWS(t) // a small receive buffer, and it never reads
			ws.send(map[string]any{"type": "authenticate", "method": "basic", "username": "alice", "password": "alice-pw"})
			ws.send(map[string]any{"type": "subscribe", "subscription": map[string]any{"id": "m", "sql": "SELECT * FROM chat.messages"}})
			socks = append(socks, ws)
		}
		for s.ok(root, "SELECT COUNT(*) FROM system.live_queries").rows(t) != "[[4]]" {
		}
		for range 40 {
			s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES ($1, 1, $2)", next.Add(1), body)
		}
		for i, ws := range socks {
			if (i+round)%2 == 0 {
				_ = ws.conn.(*net.TCPConn).SetLinger(0)
			}
			_ = ws.conn.Close()
		}
		for range 20 {
			s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES ($1, 1, $2)", next.Add(1), body)
		}
	}
	for s.ok(root, "SELECT COUNT(*) FROM system.live_queries").rows(t) != "[[0]]" {
		time.Sleep(10 * time.Millisecond) // a condition, not a time: the test's timeout bounds it
	}
	if n := goroutinesSettle(base); n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after abrupt closes, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// A WebSocket upgrade pipelined behind a lane request on a kept
// connection, with the client's first frames sent before the 101 came:
// the lane answers the statement, hands the rest to net/http with every
// byte it read, and the socket authenticates from the early frame.
func TestLiveUpgradePipelinedBehindALaneRequest(t *testing.T) {
	s := liveServer(t)
	c, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	auth := map[string]any{"type": "authenticate", "method": "basic", "username": "alice", "password": "alice-pw"}
	raw, _ := json.Marshal(auth)
	frame := append([]byte{0x81, 0x80 | byte(len(raw)), 0, 0, 0, 0}, raw...) // masked with a zero key
	req := sqlRequest("Authorization: "+basicHeader("alice", "alice-pw")+"\r\n", "SELECT 7") +
		"GET /v1/ws HTTP/1.1\r\nHost: kalamdb\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" + string(frame)
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "[[7]]") {
		t.Fatalf("statement: HTTP %d %s", resp.StatusCode, body)
	}
	resp, err = http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	frames := &strictFrames{t: t, br: br}
	op, p, err := frames.next()
	if err != nil || op != 0x1 || !strings.Contains(string(p), `"auth_success"`) {
		t.Fatalf("first frame %#x %q %v", op, p, err)
	}
}
