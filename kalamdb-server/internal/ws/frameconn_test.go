package ws

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func rawFrame(fin bool, opcode byte, payload []byte) []byte {
	buf := append(make([]byte, maxFrameHeader), payload...)
	f := textFrame(buf)
	f[0] = opcode
	if fin {
		f[0] |= 0x80
	}
	return f
}

// TestFrameTrackerFindsEveryFrameBoundary: however the stream is cut into
// writes, the tracker is between frames exactly at the end of a frame that
// leaves no message open: not inside a header or a payload (of any length
// encoding), and not between the frames of a fragmented message, even
// after a control frame written in the middle of one.
func TestFrameTrackerFindsEveryFrameBoundary(t *testing.T) {
	text := func(n int) []byte { return rawFrame(true, 0x1, bytes.Repeat([]byte("a"), n)) }
	// Each frame, and whether a message is still open after it.
	parts := []struct {
		f    []byte
		open bool
	}{
		{text(0), false}, {text(5), false}, {text(125), false}, {text(126), false},
		{text(65535), false}, {text(65536), false},
		{rawFrame(true, 0x9, []byte("ping")), false},
		// A fragmented message, a pong in the middle of it.
		{rawFrame(false, 0x1, []byte("part one")), true},
		{rawFrame(true, 0xA, []byte("pong")), true},
		{rawFrame(false, 0x0, []byte("part two")), true},
		{rawFrame(true, 0x0, []byte("last part")), false},
		{text(3), false},
	}
	var stream []byte
	between := map[int]bool{}
	for _, p := range parts {
		stream = append(stream, p.f...)
		between[len(stream)] = !p.open
	}
	for _, chunk := range []int{1, 2, 3, 7, 100, 4096, len(stream)} {
		var tr frameTracker
		if !tr.between() {
			t.Fatal("a fresh stream is not between frames")
		}
		for i := 0; i < len(stream); i += chunk {
			j := min(i+chunk, len(stream))
			tr.advance(stream[i:j])
			if want := between[j]; tr.between() != want {
				t.Fatalf("chunks of %d: at byte %d of %d between=%v, want %v", chunk, j, len(stream), tr.between(), want)
			}
		}
	}
}

// wsPair serves one WebSocket through a hijackHook and returns the
// server's connection, its frameConn, and a client connected to it.
func wsPair(t *testing.T) (server *websocket.Conn, fc *frameConn, client *websocket.Conn) {
	t.Helper()
	type accepted struct {
		c  *websocket.Conn
		fc *frameConn
	}
	got := make(chan accepted, 1)
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hook := &hijackHook{ResponseWriter: w}
		c, err := websocket.Accept(hook, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			t.Error(err)
			return
		}
		got <- accepted{c, hook.conn}
		<-done
	}))
	t.Cleanup(func() {
		close(done)
		srv.Close()
	})
	client, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	client.SetReadLimit(64 << 20)
	t.Cleanup(func() { _ = client.CloseNow() })
	a := <-got
	t.Cleanup(func() { _ = a.c.CloseNow() })
	if a.fc == nil || a.fc.raw == nil {
		t.Fatal("the hijacked connection has no frameConn with a raw socket")
	}
	return a.c, a.fc, client
}

// injectText writes msg as one frame through fc, as sendInline does; false
// when fc could not take one now.
func injectText(t *testing.T, fc *frameConn, msg string) (ok, spilled bool) {
	t.Helper()
	if !fc.tryBegin() {
		return false, false
	}
	defer fc.end()
	spilled, err := fc.inject(textFrame(append(make([]byte, maxFrameHeader), msg...)))
	if err != nil {
		t.Fatal(err)
	}
	return true, spilled
}

// TestInjectedFramesNeverSplitCoderMessages: frames injected while
// coder/websocket writes messages of every size (some longer than its
// buffer, so written in pieces) and fragmented ones reach the client
// whole, each source's messages in order, none inside another's.
func TestInjectedFramesNeverSplitCoderMessages(t *testing.T) {
	server, fc, client := wsPair(t)
	const coderMsgs = 300
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range coderMsgs {
			body := fmt.Sprintf("coder-%d-", i) + strings.Repeat("c", (i*977)%20000)
			if i%5 == 0 {
				// A fragmented message: a frame per Write.
				w, err := server.Writer(context.Background(), websocket.MessageText)
				if err != nil {
					t.Error(err)
					return
				}
				for _, part := range []string{body[:len(body)/3], body[len(body)/3 : 2*len(body)/3], body[2*len(body)/3:]} {
					if _, err := w.Write([]byte(part)); err != nil {
						t.Error(err)
						return
					}
				}
				if err := w.Close(); err != nil {
					t.Error(err)
					return
				}
				continue
			}
			if err := server.Write(context.Background(), websocket.MessageText, []byte(body)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	injected := 0
	coderDone := make(chan struct{})
	go func() { wg.Wait(); close(coderDone) }()
	for stop := false; !stop; {
		select {
		case <-coderDone:
			stop = true
		default:
		}
		if ok, _ := injectText(t, fc, fmt.Sprintf("inj-%d", injected)); ok {
			injected++
		}
	}
	if injected == 0 {
		t.Fatal("nothing was injected")
	}
	nextCoder, nextInj := 0, 0
	for nextCoder < coderMsgs || nextInj < injected {
		typ, data, err := client.Read(context.Background())
		if err != nil {
			t.Fatalf("after %d coder and %d injected messages: %v", nextCoder, nextInj, err)
		}
		if typ != websocket.MessageText {
			t.Fatalf("message type %v", typ)
		}
		switch s := string(data); {
		case strings.HasPrefix(s, "inj-"):
			if s != fmt.Sprintf("inj-%d", nextInj) {
				t.Fatalf("injected message %q, want inj-%d", s, nextInj)
			}
			nextInj++
		default:
			want := fmt.Sprintf("coder-%d-", nextCoder) + strings.Repeat("c", (nextCoder*977)%20000)
			if s != want {
				t.Fatalf("coder message %d is %d bytes starting %q, want %d bytes", nextCoder, len(s), s[:min(len(s), 20)], len(want))
			}
			nextCoder++
		}
	}
}

// fillSocket shrinks fc's send buffer and injects msg(0), msg(1), ...
// until one is spilled (the client reads nothing meanwhile); it returns
// how many it injected, the spilled one included.
func fillSocket(t *testing.T, fc *frameConn, msg func(i int) string) int {
	t.Helper()
	if err := fc.raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 4096)
	}); err != nil {
		t.Fatal(err)
	}
	for sent := 0; sent < 10000; {
		ok, spilled := injectText(t, fc, msg(sent))
		if !ok {
			t.Fatalf("injection %d refused before any spill", sent)
		}
		sent++
		if spilled {
			return sent
		}
	}
	t.Fatal("the socket never filled")
	return 0
}

// TestInjectSpillsInsteadOfWaiting: once the client stops reading and
// the socket is full, an injection still returns at once, keeping what
// the socket did not take; nothing more is injected until that is
// written, and coder/websocket's next message goes after it. When the
// client reads again, every message arrives whole and in order.
func TestInjectSpillsInsteadOfWaiting(t *testing.T) {
	server, fc, client := wsPair(t)
	msg := strings.Repeat("s", 16<<10)
	sent := fillSocket(t, fc, func(i int) string { return fmt.Sprintf("%05d%s", i, msg) })
	if ok, _ := injectText(t, fc, "too soon"); ok {
		t.Fatal("injected while an earlier frame was left over")
	}
	coderWrote := make(chan error, 1)
	go func() {
		coderWrote <- server.Write(context.Background(), websocket.MessageText, []byte("after the spill"))
	}()
	for i := range sent {
		_, data, err := client.Read(context.Background())
		if err != nil {
			t.Fatalf("message %d of %d: %v", i, sent, err)
		}
		if want := fmt.Sprintf("%05d%s", i, msg); string(data) != want {
			t.Fatalf("message %d: %d bytes starting %q", i, len(data), data[:min(len(data), 10)])
		}
	}
	_, data, err := client.Read(context.Background())
	if err != nil || string(data) != "after the spill" {
		t.Fatalf("coder's message after the spill: %q %v", data, err)
	}
	if err := <-coderWrote; err != nil {
		t.Fatal(err)
	}
	if ok, spilled := injectText(t, fc, "again"); !ok || spilled {
		t.Fatalf("after the spill was written: injected %v, spilled %v", ok, spilled)
	}
	if _, data, err := client.Read(context.Background()); err != nil || string(data) != "again" {
		t.Fatalf("%q %v", data, err)
	}
}

// TestFlushWritesTheSpillAlone: the writer goroutine an injector hands
// over to writes the leftover first, even with nothing else to send.
func TestFlushWritesTheSpillAlone(t *testing.T) {
	_, fc, client := wsPair(t)
	msg := strings.Repeat("f", 16<<10)
	sent := fillSocket(t, fc, func(int) string { return msg })
	read := make(chan error, 1)
	go func() {
		for range sent {
			if _, data, err := client.Read(context.Background()); err != nil || string(data) != msg {
				read <- fmt.Errorf("%d bytes, %v", len(data), err)
				return
			}
		}
		read <- nil
	}()
	if err := fc.flush(time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := <-read; err != nil {
		t.Fatal(err)
	}
	if len(fc.spill) != 0 {
		t.Fatal("spill left after flush")
	}
}

// TestNoInjectionWithoutARawSocket: a connection without a file
// descriptor (net.Pipe) is written by coder/websocket alone.
func TestNoInjectionWithoutARawSocket(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	fc := newFrameConn(a)
	if fc.tryBegin() {
		t.Fatal("injection offered on a connection without a raw socket")
	}
}

// TestNoInjectionAfterTheCloseFrame: once coder/websocket has written a
// close frame (a close handshake under way: shutdown, slow consumer), no
// data frame may follow it on the wire (RFC 6455 section 5.5.1), so a
// committer's frame is not injected; the writer goroutine it hands over
// to gets coder's "closed" error instead.
func TestNoInjectionAfterTheCloseFrame(t *testing.T) {
	_, fc, _ := wsPair(t)
	if !fc.tryBegin() {
		t.Fatal("no injection on a fresh socket")
	}
	fc.end()
	if _, err := fc.Write(rawFrame(true, 0x8, []byte{0x03, 0xe9})); err != nil {
		t.Fatal(err)
	}
	if fc.tryBegin() {
		fc.end()
		t.Fatal("a frame may be injected after the close frame")
	}
}
