package httpapi

// Adversarial tests of the fast lane's request path (session 9 review of
// the reqpath branch): framing against net/http, header values kept
// across requests, the hand-written answer header, and the write
// deadline armed only for a write that must wait.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"golang.org/x/net/http/httpguts"
)

// laneParseAgrees checks one head as the lane would see it: if the lane's
// parser accepts it, net/http's ReadRequest must read the same request
// and end its head at the same byte (or the two would frame the bytes
// after it differently: smuggling), and net/http's server must accept it.
func laneParseAgrees(t *testing.T, route *laneRoute, fields []byte) {
	t.Helper()
	buf := append([]byte(route.line), fields...)
	end := headEnd(buf, 0)
	if end <= 0 {
		return // the lane hands it to net/http
	}
	head := buf[:end]
	lc := &laneConn{}
	got, ok := lc.parse(head, route)
	if !ok {
		return
	}
	const after = "NEXT-REQUEST-BYTES"
	br := bufio.NewReader(strings.NewReader(string(head) + after))
	want, err := http.ReadRequest(br)
	if err != nil {
		t.Fatalf("lane accepted a head ReadRequest refuses (%v):\n%q", err, head)
	}
	// The head ends where the lane ends it, and the body is what the lane
	// will read: the same Content-Length, no other framing.
	if rest, _ := io.ReadAll(br); string(rest) != after {
		t.Fatalf("framing differs: ReadRequest left %q after head %q", rest, head)
	}
	if got.ContentLength != want.ContentLength || len(want.TransferEncoding) != 0 || got.Close != want.Close ||
		got.Host != want.Host || !reflect.DeepEqual(got.Header, want.Header) {
		t.Fatalf("head %q:\nlane     CL=%d close=%v host=%q %q\nnet/http CL=%d close=%v host=%q TE=%q %q", head,
			got.ContentLength, got.Close, got.Host, got.Header, want.ContentLength, want.Close, want.Host, want.TransferEncoding, want.Header)
	}
	// net/http's server (conn.readRequest) counts the Host fields before
	// ReadRequest drops them from the header; count them the same way.
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(head[len(route.line):])))
	mh, err := tp.ReadMIMEHeader()
	if err != nil {
		t.Fatalf("lane accepted a head textproto refuses (%v): %q", err, head)
	}
	if hosts := mh["Host"]; len(hosts) != 1 || !httpguts.ValidHostHeader(hosts[0]) || want.Header.Get("Expect") != "" {
		t.Fatalf("lane accepted a head net/http's server refuses (hosts %q): %q", hosts, head)
	}
	for k, vv := range want.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			t.Fatalf("lane accepted an invalid name %q: %q", k, head)
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				t.Fatalf("lane accepted an invalid value %q: %q", v, head)
			}
		}
	}
}

// laneSmugglingHeads are the field sections (after the request line) that
// request smuggling is made of: Content-Length repeated, signed, spaced,
// padded, listed; Transfer-Encoding in disguise; obsolete line folding;
// odd bytes in names and values; a second blank line.
var laneSmugglingHeads = []string{
	"Host: db\r\nContent-Length: 5\r\n\r\n",
	"Host: db\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
	"Host: db\r\nContent-Length: 5\r\ncontent-length: 05\r\n\r\n",
	"Host: db\r\nContent-Length: 5, 5\r\n\r\n",
	"Host: db\r\nContent-Length: +5\r\n\r\n",
	"Host: db\r\nContent-Length: -5\r\n\r\n",
	"Host: db\r\nContent-Length:\t5\t\r\n\r\n",
	"Host: db\r\nContent-Length: 5 \r\n\r\n",
	"Host: db\r\nContent-Length : 5\r\n\r\n",
	"Host: db\r\n Content-Length: 5\r\n\r\n",
	"Host: db\r\nContent-Length: 5\r\n\tContent-Length: 7\r\n\r\n",
	"Host: db\r\nContent-Length: 5\r\n 7\r\n\r\n",
	"Host: db\r\nContent-Length: 0x5\r\n\r\n",
	"Host: db\r\nContent-Length: 5\x00\r\n\r\n",
	"Host: db\r\nContent-Length: 5\x0b\r\n\r\n",
	"Host: db\r\nContent-Length: 5\r\r\n\r\n",
	"Host: db\r\nContent-Length: 99999999999999999999\r\n\r\n",
	"Host: db\r\nContent-Length: 000000000000000000005\r\n\r\n",
	"Host: db\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
	"Host: db\r\nTransfer-Encoding : chunked\r\n\r\n",
	"Host: db\r\nTransfer_Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
	"Host: db\r\ntransfer-encoding: chunked\r\n\r\n",
	"Host: db\r\nTransfer-Encoding:\tchunked\r\n\r\n",
	"Host: db\r\nTransfer-\x80Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
	"Host: db\r\nX: y\r\nTransfer-Encoding\r\n\r\n",
	"Host: db\r\nContent-Length\r\n\r\n",
	"Host: db\r\n:5\r\n\r\n",
	"Host: db\r\nX\x7f: 1\r\nContent-Length: 5\r\n\r\n",
	"Host: db\r\nX-\xff: 1\r\nContent-Length: 5\r\n\r\n",
	"Host: db\r\nX: \xff\xfe\r\nContent-Length: 5\r\n\r\n",
	"Host: db\r\nX: a\x00b\r\nContent-Length: 5\r\n\r\n",
	"Host: db\r\nHost: db\r\n\r\n",
	"Host: db\r\nhost: db\r\n\r\n",
	"Host: \r\n\r\n",
	"Host: db\x00\r\n\r\n",
	"Host: db/x\r\n\r\n",
	"host:db\r\ncontent-length:5\r\n\r\n",
	"Host: db\r\nConnection: keep-alive,close\r\nContent-Length: 5\r\n\r\n",
	"Host: db\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n",
	"Host: db\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
	"Host: db\r\nexpect: \r\nContent-Length: 5\r\n\r\n",
	"Host: db\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n",
	"Host: db\r\nPragma: no-cache\r\n\r\n",
	"Host: db\r\nPragma: no-cache\r\nCache-Control: max-age=0\r\n\r\n",
	"Host: db\r\nContent-Length: 5\r\n\r\nContent-Length: 7\r\n\r\n",
	"Host: db\r\nContent-Length: 5\n\r\n",
	"Host: db\r\n\r\r\n\r\n",
	"\r\nHost: db\r\n\r\n",
}

// The lane reads each smuggling head as net/http does, or hands it over.
func TestLaneParseSmugglingHeads(t *testing.T) {
	for _, h := range laneSmugglingHeads {
		for i := range laneRoutes {
			laneParseAgrees(t, &laneRoutes[i], []byte(h))
		}
	}
}

// FuzzLaneParse looks for a head the lane reads otherwise than net/http:
// go test -run '^$' -fuzz FuzzLaneParse ./internal/httpapi/
func FuzzLaneParse(f *testing.F) {
	for _, h := range laneSmugglingHeads {
		f.Add(uint8(0), []byte(h))
	}
	f.Add(uint8(0), []byte("Host: 127.0.0.1:8080\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: 18\r\n"+
		"Authorization: Basic YWxpY2U6cHc=\r\nContent-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n"))
	f.Fuzz(func(t *testing.T, r uint8, fields []byte) {
		laneParseAgrees(t, &laneRoutes[int(r)%len(laneRoutes)], fields)
	})
}

// A value a handler keeps from one request (a log line, a cache, a
// metric label) is not changed by the requests after it on the same
// connection, pipelined into the same read buffer: no value is a view of
// the connection's buffer, and none shares memory a later head reuses.
func TestLaneKeptHeaderValuesSurviveLaterRequests(t *testing.T) {
	type kept struct{ host, ua, id, auth, cookie, other, ctype string }
	var mu sync.Mutex
	var all []kept
	addr := serveLane(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		all = append(all, kept{r.Host, r.UserAgent(), r.Header.Get("X-Request-Id"), r.Header.Get("Authorization"),
			r.Header.Get("Cookie"), r.Header.Get("X-Other"), r.Header.Get("Content-Type")})
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	const n = 40
	want := make([]kept, n)
	var pipelined strings.Builder
	for i := range want {
		// Same lengths in every request, so that each value lies where
		// the one before it lay in the connection's buffer.
		want[i] = kept{fmt.Sprintf("h%03d", i), fmt.Sprintf("ua-%03d", i), fmt.Sprintf("id-%03d", i),
			fmt.Sprintf("Bearer secret-%03d", i), fmt.Sprintf("s=%03d", i), fmt.Sprintf("o%03d", i), fmt.Sprintf("t/%03d", i)}
		k := want[i]
		fmt.Fprintf(&pipelined, "POST /v1/api/sql HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nX-Request-Id: %s\r\nAuthorization: %s\r\n"+
			"Cookie: %s\r\nX-Other: %s\r\nContent-Type: %s\r\nContent-Length: 2\r\n\r\n{}", k.host, k.ua, k.id, k.auth, k.cookie, k.other, k.ctype)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, pipelined.String()); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	br := bufio.NewReader(c)
	for i := 0; i < n; i++ {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("kept values changed by later requests:\ngot  %q\nwant %q", all, want)
	}
}

// rawAnswerHead is the head of the first answer to req on a new
// connection to addr, as bytes, without its Date field and with its
// field lines sorted (net/http writes a Content-Length it computed after
// the handler's fields, the lane among them).
func rawAnswerHead(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	br := bufio.NewReader(c)
	var lines []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the answer's head: %v (so far %q)", err, lines)
		}
		if line == "\r\n" {
			slices.Sort(lines[1:])
			return strings.Join(lines, "") + line
		}
		if !strings.HasPrefix(line, "Date: ") {
			lines = append(lines, line)
		}
	}
}

// A handler's header values with CR, LF and other control bytes (a
// request id or an error text echoed into a field) cannot add a field or
// end the head early in the lane's hand-written header: the lane's head
// is byte for byte net/http's.
func TestLaneAnswerHeaderCannotBeInjected(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Request-Id", r.Header.Get("X-Request-Id")+"\r\nSet-Cookie: injected=1")
		w.Header()["X-Lf"] = []string{"a\nb", "\n\nc\r", "\r\n\r\nHTTP/1.1 200 OK\r\nX-Smuggled: 1"}
		w.Header()["Bad Name\r\nX-Injected"] = []string{"1"}
		w.Header()["X-Ctl"] = []string{"a\x00b\x7fc\x0bd"}
		w.Header().Set("Content-Type", "text/plain\r\n\r\n<script>")
		w.Header().Set("X-Empty", "")
		w.Header()["X-Tab"] = []string{"\t v \t"}
		_, _ = io.WriteString(w, "body")
	})
	req := "POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nX-Request-Id: r1\r\nContent-Length: 2\r\n\r\n{}"
	lane := rawAnswerHead(t, serveLane(t, h), req)
	plain := rawAnswerHead(t, servePlain(t, h), req)
	if lane != plain {
		t.Fatalf("answer heads differ:\nlane     %q\nnet/http %q", lane, plain)
	}
	for _, bad := range []string{"\r\nSet-Cookie", "\r\nX-Smuggled", "\r\nX-Injected", "\r\n\r\n<script>"} {
		if strings.Contains(lane, bad) {
			t.Fatalf("injected %q in %q", bad, lane)
		}
	}
}

// servePlain serves h with net/http alone on a loopback port.
func servePlain(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); <-served })
	return ln.Addr().String()
}

// bigAnswerHandler answers every request with size bytes under a write
// deadline of timeout, as writeBody does, and reports each answer's
// write error on done.
func bigAnswerHandler(size int, timeout time.Duration, done chan<- error) http.Handler {
	body := bytes.Repeat([]byte("z"), size)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Now().Add(timeout))
		defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
		_, err := w.Write(body)
		if err == nil {
			err = rc.Flush()
		}
		done <- err
	})
}

// A write deadline armed for an answer that had to wait (written
// directly, by writev) is cleared with it: the connection's next answer,
// sent after that deadline passed, is not cut short by it.
func TestLaneArmedWriteDeadlineDoesNotOutliveItsAnswer(t *testing.T) {
	const size = 16 << 20 // more than loopback's socket buffers hold
	const timeout = time.Second
	done := make(chan error, 8)
	addr := serveLane(t, bigAnswerHandler(size, timeout, done))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := "POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nContent-Length: 0\r\n\r\n"
	br := bufio.NewReader(c)
	for i := 0; i < 2; i++ {
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Minute))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil || n != int64(size) {
			t.Fatalf("answer %d: %d bytes (%v), want %d", i, n, err, size)
		}
		if err := <-done; err != nil {
			t.Fatalf("answer %d: handler's write: %v", i, err)
		}
		// Idle past the first answer's deadline (shapes the test only).
		time.Sleep(timeout + timeout/4)
	}
}

// The same on the copied path: an answer flushed through the
// non-blocking offer that the socket took only in part arms the deadline
// for the rest; clearing it disarms the connection, so that a later
// write, after that deadline passed, waits for the client as long as it
// must. Driven on laneOut over a real TCP connection whose client reads
// nothing until the socket is full.
func TestLaneOutOfferThenArmThenClear(t *testing.T) {
	lc, client := laneOverTCP(t)
	if lc.bw.try == nil {
		t.Skip("no raw descriptor here: the deadline is armed at once")
	}
	w := &laneWriter{lc: lc}
	_ = w.SetWriteDeadline(time.Now().Add(time.Hour))
	// 32 MiB in copied chunks, more than the socket buffers hold: the
	// client starts reading only after a while (shaping, not asserted),
	// so one flush finds the socket full and must wait, armed.
	chunk := bytes.Repeat([]byte("q"), laneDirectBytes-1)
	const chunks = (32 << 20) / (laneDirectBytes - 1)
	drained := make(chan int64, 1)
	go func() {
		time.Sleep(200 * time.Millisecond)
		n, _ := io.CopyN(io.Discard, client, int64(chunks*len(chunk)))
		drained <- n
	}()
	for i := 0; i < chunks; i++ {
		_, _ = lc.bw.Write(chunk)
		if err := lc.bw.Flush(); err != nil {
			t.Fatalf("flush %d: %v", i, err)
		}
	}
	if n := <-drained; n != int64(chunks*len(chunk)) {
		t.Fatalf("client read %d of %d bytes", n, chunks*len(chunk))
	}
	if !lc.bw.armed {
		t.Skip("the client read before the socket was full; nothing was armed")
	}
	if err := w.SetWriteDeadline(time.Time{}); err != nil || lc.bw.armed {
		t.Fatalf("clearing: %v, armed %v", err, lc.bw.armed)
	}
	// A deadline in the past now: had the connection kept one, this
	// write would fail at once; with none it waits for the client.
	_ = w.SetWriteDeadline(time.Now().Add(-time.Second))
	_ = w.SetWriteDeadline(time.Time{})
	big := bytes.Repeat([]byte("r"), 8<<20)
	go func() { n, _ := io.CopyN(io.Discard, client, int64(len(big))); drained <- n }()
	if _, err := lc.bw.Write(big); err != nil {
		t.Fatalf("a write after the deadline was cleared: %v", err)
	}
	if n := <-drained; n != int64(len(big)) {
		t.Fatalf("client read %d of %d", n, len(big))
	}
}

// A client that never reads a large answer, at a shutdown: the write that
// waits for it ends by the shutdown's deadline at the latest (the
// connection is closed under it), not by the answer's much longer write
// deadline, and the handler's goroutine ends.
func TestLaneShutdownEndsAWaitingWrite(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	h := bigAnswerHandler(64<<20, time.Hour, done)
	conns := newConnLimiter(100, 100, 0)
	limited := conns.listen(ln)
	handoff := newHandoffListener(limited)
	lane := newLaneServer(h, conns, context.Background(), time.Minute, time.Minute, 0, zap.NewNop())
	lane.wg.Add(1)
	go lane.acceptLoop(limited, handoff)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nContent-Length: 0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// Wait until the answer fills the socket: some bytes arrived and the
	// handler is still writing.
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	lane.beginShutdown()
	_ = handoff.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := lane.wait(ctx); err == nil {
		t.Fatal("shutdown found nothing running, want the waiting write")
	}
	select {
	case err := <-done:
		var ne net.Error
		if err == nil || errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the write ended with %v, want the closed connection's error", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the handler was still writing a minute after the shutdown closed its connection")
	}
}

// A write deadline set from another goroutine aborts a write that waits
// on a client that reads nothing, as on net/http's connection (whose
// SetWriteDeadline is safe to call concurrently): the pattern of a
// handler's watchdog cutting off a stalled answer. Run under -race: the
// lane's recorded deadline must not be a data race either.
func TestLaneWriteDeadlineFromAnotherGoroutine(t *testing.T) {
	done := make(chan error, 1)
	addr := serveLane(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		body := bytes.Repeat([]byte("w"), 64<<20)
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Now().Add(time.Hour))
		stop := make(chan struct{})
		watchdog := make(chan struct{})
		go func() {
			defer close(watchdog)
			select {
			case <-stop:
			case <-time.After(300 * time.Millisecond): // the watchdog's budget
				_ = rc.SetWriteDeadline(time.Now())
			}
		}()
		_, err := w.Write(body)
		close(stop)
		<-watchdog
		done <- err
	}))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nContent-Length: 0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the stalled write succeeded, want it cut off by the watchdog's deadline")
		}
	case <-time.After(time.Minute):
		t.Fatal("the watchdog's deadline did not end the stalled write")
	}
}

// BenchmarkLaneOutSmallAnswerUnderDeadline is one small answer's write
// under a write deadline, as writeBody sends it (set, write, flush,
// clear), over loopback TCP to a client that drains it: the cost of the
// deadline's bookkeeping on the path the socket takes at once.
func BenchmarkLaneOutSmallAnswerUnderDeadline(b *testing.B) {
	lc, client := laneOverTCP(b)
	go func() { _, _ = io.Copy(io.Discard, client) }()
	w := &laneWriter{lc: lc}
	answer := bytes.Repeat([]byte("a"), 300)
	b.ReportAllocs()
	for b.Loop() {
		_ = w.SetWriteDeadline(time.Now().Add(time.Minute))
		_, _ = lc.bw.Write(answer)
		if err := lc.bw.Flush(); err != nil {
			b.Fatal(err)
		}
		_ = w.SetWriteDeadline(time.Time{})
	}
}

// laneOverTCP is a lane connection whose writer (bw, with its
// non-blocking offer) writes to a loopback TCP connection, and that
// connection's client end; both close with tb.
func laneOverTCP(tb testing.TB) (*laneConn, net.Conn) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = client.Close() })
	server, err := ln.Accept()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = server.Close() })
	lc := &laneConn{tc: &trackedConn{Conn: server}}
	lc.bw.conn, lc.bw.try = server, newLaneTry(server)
	return lc, client
}
