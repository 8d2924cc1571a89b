package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"go.uber.org/zap"
	"golang.org/x/net/http/httpguts"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// exchange is what a client saw on one connection: each answer as text
// (status, sorted headers but Date, body), and whether the server closed
// the connection after the last one.
type exchange struct {
	answers []string
	closed  bool
}

var (
	tookRe = regexp.MustCompile(`"took":[0-9.e+-]+`)
	idRe   = regexp.MustCompile(`[0-9a-f]{32}`)
	jwtRe  = regexp.MustCompile(`eyJ[A-Za-z0-9_.-]+`)
)

// converse writes each of writes to a new connection to addr (pausing
// briefly between them, so they tend to arrive as separate reads), then
// reads answers until the server closes the connection or answers want.
func converse(t *testing.T, addr string, writes []string, want int) exchange {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, w := range writes {
		if i > 0 {
			time.Sleep(5 * time.Millisecond) // not asserted on: only shapes the reads
		}
		if _, err := io.WriteString(c, w); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	br := bufio.NewReader(c)
	var ex exchange
	for len(ex.answers) < want {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			ex.closed = true
			return ex
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("answer %d: %v", len(ex.answers), err)
		}
		var keys []string
		for k := range resp.Header {
			if k != "Date" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		var b strings.Builder
		fmt.Fprintf(&b, "%s chunked=%v\n", resp.Status, len(resp.TransferEncoding) > 0)
		for _, k := range keys {
			v := strings.Join(resp.Header[k], ", ")
			if k == "Content-Length" {
				v = "N" // took's digits vary; the body is compared
			}
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
		b.WriteString(tookRe.ReplaceAllString(string(body), `"took":T`))
		ex.answers = append(ex.answers, idRe.ReplaceAllString(jwtRe.ReplaceAllString(b.String(), "JWT"), "ID"))
		if resp.Close {
			break
		}
	}
	// Whether the server closes the connection now (it must when it said
	// so); a kept connection answers nothing more.
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err = br.ReadByte()
	ex.closed = errors.Is(err, io.EOF)
	return ex
}

// The fast lane answers every request, well-formed or not, as net/http
// does: the same statuses, headers, bodies and connection handling, for
// the requests it serves and for those it hands to net/http (malformed
// heads, other framings, other routes, anything it does not parse
// itself), also in the middle of a connection.
func TestFastLaneAnswersAsNetHTTP(t *testing.T) {
	bigBodies := func(o *Options) { o.MaxBodyBytes = 64 << 10 }
	// Short timeouts: some cases end by one.
	configure := func(fast bool) func(*config.Config) {
		return func(c *config.Config) {
			c.Server.FastSQLPath = fast
			c.Server.ReadHeaderTimeout, c.Server.IdleTimeout = 300*time.Millisecond, 2*time.Second
		}
	}
	laneSrv, laneAddr := serveForTest(t, newEnv(t, bigBodies), configure(true))
	_, plainAddr := serveForTest(t, newEnv(t, bigBodies), configure(false))

	auth := "Authorization: " + basic("alice", "pw-alice") + "\r\n"
	sql := func(extra, body string) string {
		return fmt.Sprintf("POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nX-Request-Id: r1\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			extra, len(body), body)
	}
	post := func(path, extra, body string) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: db\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			path, extra, len(body), body)
	}
	ok := `{"sql":"SELECT 1"}`
	big := `{"sql":"SELECT 1"` + strings.Repeat(" ", 20<<10) + `}`
	health := "GET /health HTTP/1.1\r\nHost: db\r\nX-Request-Id: h1\r\n\r\n"
	head := sql(auth, ok)
	headOnly, bodyOnly := head[:len(head)-len(ok)], ok

	cases := []struct {
		name   string
		writes []string
		want   int // answers to wait for
		lane   int // requests the lane must answer itself
	}{
		{"one statement", []string{sql(auth, ok)}, 1, 1},
		{"pipelined", []string{sql(auth, ok) + sql(auth, `{"sql":"SELECT 2"}`)}, 2, 2},
		{"body in a second packet", []string{headOnly, bodyOnly}, 1, 1},
		{"body split in three", []string{headOnly, bodyOnly[:5], bodyOnly[5:]}, 1, 1},
		{"head split mid-field", []string{headOnly[:40], headOnly[40:] + bodyOnly}, 1, 1},
		{"head split inside its blank line", []string{headOnly[:len(headOnly)-3], headOnly[len(headOnly)-3:] + bodyOnly}, 1, 1},
		{"head split before its last LF", []string{headOnly[:len(headOnly)-1], headOnly[len(headOnly)-1:] + bodyOnly}, 1, 1},
		{"body larger than the buffer", []string{sql(auth, big)}, 1, 1},
		{"then health on the same connection", []string{sql(auth, ok), health, sql(auth, ok)}, 3, 3},
		{"health first", []string{health, sql(auth, ok)}, 2, 2},
		{"connection close", []string{sql(auth+"Connection: close\r\n", ok)}, 1, 1},
		{"no credentials, partial body", []string{strings.Replace(sql("", ok), `{"sql":"SELECT 1"}`, `{"sql"`, 1)}, 1, 1},
		{"body over the limit", []string{sql(auth, `{"sql":"`+strings.Repeat("x", 70<<10)+`"}`)}, 1, 1},
		{"bad json", []string{sql(auth, `{"sql":`)}, 1, 1},
		{"unknown field", []string{sql(auth, `{"sql":"SELECT 1","x":1}`)}, 1, 1},
		{"empty body", []string{"POST /v1/api/sql HTTP/1.1\r\nHost: db\r\n" + auth + "\r\n"}, 1, 1},
		{"no content length", []string{"POST /v1/api/sql HTTP/1.1\r\nHost: db\r\n" + auth + "\r\n" + ok + "\r\n\r\n"}, 2, 1},
		{"no host", []string{strings.Replace(sql(auth, ok), "Host: db\r\n", "", 1)}, 1, 0},
		{"two hosts", []string{strings.Replace(sql(auth, ok), "Host: db\r\n", "Host: db\r\nHost: other\r\n", 1)}, 1, 0},
		{"bad host", []string{strings.Replace(sql(auth, ok), "Host: db\r\n", "Host: d b\r\n", 1)}, 1, 0},
		{"conflicting lengths", []string{strings.Replace(sql(auth, ok), "Content-Type", "Content-Length: 3\r\nContent-Type", 1)}, 1, 0},
		{"equal lengths twice", []string{strings.Replace(sql(auth, ok), "Content-Type", fmt.Sprintf("Content-Length: %d\r\nContent-Type", len(ok)), 1)}, 1, 1},
		{"plus sign length", []string{strings.Replace(sql(auth, ok), fmt.Sprintf("Length: %d", len(ok)), fmt.Sprintf("Length: +%d", len(ok)), 1)}, 1, 0},
		{"chunked body", []string{"POST /v1/api/sql HTTP/1.1\r\nHost: db\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n" +
			fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(ok), ok)}, 1, 0},
		{"chunked and length", []string{strings.Replace(sql(auth, ok), "Content-Type", "Transfer-Encoding: chunked\r\nContent-Type", 1) + "\r\n\r\n"}, 1, 0},
		{"expect continue", []string{strings.Replace(sql(auth, ok), "Content-Type", "Expect: 100-continue\r\nContent-Type", 1)}, 1, 0},
		{"expect other", []string{strings.Replace(sql(auth, ok), "Content-Type", "Expect: x\r\nContent-Type", 1)}, 1, 0},
		{"upgrade", []string{strings.Replace(sql(auth, ok), "Content-Type", "Upgrade: websocket\r\nConnection: Upgrade\r\nContent-Type", 1)}, 1, 0},
		{"bare LF", []string{strings.ReplaceAll(sql(auth, ok), "\r\n", "\n")}, 1, 0},
		{"bare LF in one line", []string{strings.Replace(sql(auth, ok), "Host: db\r\n", "Host: db\n", 1)}, 1, 0},
		{"lone CR in a value", []string{strings.Replace(sql(auth, ok), "X-Request-Id: r1", "X-Other: a\rb\r\nX-Request-Id: r1", 1)}, 1, 0},
		{"folded header", []string{strings.Replace(sql(auth, ok), "X-Request-Id: r1\r\n", "X-Request-Id: r1\r\n\tmore\r\n", 1)}, 1, 0},
		{"space in a header name", []string{strings.Replace(sql(auth, ok), "X-Request-Id", "X Request-Id", 1)}, 1, 0},
		{"header larger than the buffer", []string{strings.Replace(sql(auth, ok), "Content-Type", "X-Big: "+strings.Repeat("b", 10<<10)+"\r\nContent-Type", 1)}, 1, 0},
		{"query string", []string{strings.Replace(sql(auth, ok), "/v1/api/sql", "/v1/api/sql?x=1", 1)}, 1, 0},
		{"lower-case method", []string{strings.Replace(sql(auth, ok), "POST", "post", 1)}, 1, 0},
		{"HTTP/1.0", []string{strings.Replace(sql(auth, ok), "HTTP/1.1", "HTTP/1.0", 1)}, 1, 0},
		{"CRLF after a body", []string{sql(auth, ok) + "\r\n" + sql(auth, ok)}, 2, 2},
		{"GET on the statement path", []string{"GET /v1/api/sql HTTP/1.1\r\nHost: db\r\n\r\n"}, 1, 0},
		{"garbage", []string{"POST /v1/api/sql HTTP/1.1\r\n\x00\x01\r\n\r\n"}, 1, 0},
		{"healthcheck, me, login, refresh, logout", []string{"GET /v1/api/healthcheck HTTP/1.1\r\nHost: db\r\n\r\n",
			"GET /v1/api/auth/me HTTP/1.1\r\nHost: db\r\n" + auth + "\r\n",
			post("/v1/api/auth/login", "", `{"username":"alice","password":"pw-alice"}`),
			post("/v1/api/auth/login", "", `{"username":"alice","password":"wrong"}`),
			post("/v1/api/auth/refresh", "Authorization: Bearer x\r\n", ""),
			post("/v1/api/auth/logout", auth, "")}, 6, 6},
		{"health with a query", []string{"GET /health?x=1 HTTP/1.1\r\nHost: db\r\n\r\n"}, 1, 0},
		{"POST to health", []string{post("/health", "", "")}, 1, 0},
		{"GET with a body", []string{"GET /health HTTP/1.1\r\nHost: db\r\nContent-Length: 3\r\n\r\nabc" + health}, 2, 2},
		{"not found", []string{"GET /nothing HTTP/1.1\r\nHost: db\r\n\r\n"}, 1, 0},
		{"request line only, then close", []string{"POST /v1/api/sql HTTP/1.1\r\n"}, 1, 0},
		{"partial field until the header timeout", []string{"POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nX-A: par"}, 1, 0},
		{"head over the buffer until the header timeout", []string{"POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nX-Big: " + strings.Repeat("b", 9<<10)}, 1, 0},
		{"CRLF before the first request", []string{"\r\n" + sql(auth, ok)}, 1, 0},
		{"CRLF before a first health check", []string{"\r\n" + health}, 1, 0},
		{"five CRLF bytes after a body", []string{sql(auth, ok) + "\r\n\r\n\r" + sql(auth, ok)}, 2, 1},
		{"four CRLF bytes after a body", []string{sql(auth, ok) + "\r\n\r\n" + sql(auth, ok)}, 2, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := laneSrv.lane.served.Load()
			lane := converse(t, laneAddr, c.writes, c.want)
			if got := laneSrv.lane.served.Load() - before; got != int64(c.lane) {
				t.Errorf("the lane answered %d requests, want %d", got, c.lane)
			}
			plain := converse(t, plainAddr, c.writes, c.want)
			if !slices.Equal(lane.answers, plain.answers) || lane.closed != plain.closed {
				t.Fatalf("fast lane:\n%s\nclosed=%v\n\nnet/http:\n%s\nclosed=%v",
					strings.Join(lane.answers, "\n--\n"), lane.closed, strings.Join(plain.answers, "\n--\n"), plain.closed)
			}
		})
	}
}

// blockUntilCancelled makes e's statements (those with text sql; all when
// sql is empty) signal started and run until cancelled, then send the
// cancellation's cause (or, after a minute, a failure); other statements
// answer at once.
func blockUntilCancelled(e *env, sql string) (started chan struct{}, cause chan error) {
	started, cause = make(chan struct{}, 1), make(chan error, 1)
	e.exec.reply = func(ctx context.Context, req executor.Request) ([]executor.Result, error) {
		if sql != "" && req.SQL != sql {
			return []executor.Result{{Message: "ok"}}, nil
		}
		started <- struct{}{}
		select {
		case <-ctx.Done():
			cause <- context.Cause(ctx)
		case <-time.After(time.Minute):
			cause <- errors.New("not cancelled within a minute")
		}
		return nil, ctx.Err()
	}
	return started, cause
}

// A client that closes its connection while its statement runs cancels
// the statement, as net/http's background read does.
func TestFastLaneCancelsWhenTheClientLeaves(t *testing.T) {
	e := newEnv(t)
	started, cause := blockUntilCancelled(e, "")
	_, addr := serveForTest(t, e, nil)
	body := `{"sql":"SELECT 1"}`
	for _, split := range []bool{false, true} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n", basic("alice", "pw-alice"), len(body))
		if split {
			// The body arrives after the watcher has seen the handler
			// waiting for it (this only shapes the run).
			io.WriteString(c, body[:4])
			time.Sleep(50 * time.Millisecond)
			io.WriteString(c, body[4:])
		} else {
			io.WriteString(c, body)
		}
		<-started
		c.Close()
		if err := <-cause; !errors.Is(err, errClientGone) {
			t.Fatalf("split %v: statement ended with %v, want the client's departure", split, err)
		}
	}
}

// A client that leaves is noticed also once the header or idle timeout
// that bounded its request's head has passed, and behind a pipelined
// request; before, the read that watched for it ended at that deadline as
// if it had been stopped, and a pipelined client was not watched at all.
func TestFastLaneCancelsAfterTheHeadDeadline(t *testing.T) {
	e := newEnv(t)
	started, cause := blockUntilCancelled(e, "SELECT 2")
	_, addr := serveForTest(t, e, func(c *config.Config) {
		c.Server.ReadHeaderTimeout = 50 * time.Millisecond
		c.Server.IdleTimeout = 50 * time.Millisecond
	})
	request := func(sql string) string {
		body := `{"sql":"` + sql + `"}`
		return fmt.Sprintf("POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n%s",
			basic("alice", "pw-alice"), len(body), body)
	}
	for _, c := range []struct {
		name   string
		before string // a request answered first, on the same connection
		send   string
	}{
		{"first request", "", request("SELECT 2")},
		{"kept connection", request("SELECT 1"), request("SELECT 2")},
		{"pipelined", "", request("SELECT 2") + request("SELECT 1")},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if c.before != "" {
			io.WriteString(conn, c.before)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			io.Copy(io.Discard, resp.Body)
		}
		io.WriteString(conn, c.send)
		<-started
		// Past the deadline of the head (this only shapes the run).
		time.Sleep(150 * time.Millisecond)
		conn.Close()
		if err := <-cause; !errors.Is(err, errClientGone) {
			t.Fatalf("%s: statement ended with %v, want the client's departure", c.name, err)
		}
	}
}

// recordingConn records the read deadlines set on it.
type recordingConn struct {
	net.Conn
	deadlines []time.Time
}

func (c *recordingConn) SetReadDeadline(t time.Time) error {
	c.deadlines = append(c.deadlines, t)
	return nil
}

// A connection handed to net/http keeps the lane's deadline for the head
// it had started: net/http's own header timeout cannot extend it, until
// net/http has the head and clears its deadline; later ones pass as set.
func TestHandedConnKeepsTheHeadDeadline(t *testing.T) {
	rc := &recordingConn{Conn: pipeConn(t)}
	limit := time.Now().Add(time.Second)
	hc := &handedConn{trackedConn: &trackedConn{Conn: rc}, headDeadline: limit}
	later, earlier := limit.Add(time.Hour), limit.Add(-time.Millisecond)
	_ = hc.SetReadDeadline(later)
	_ = hc.SetReadDeadline(earlier)
	_ = hc.SetReadDeadline(time.Time{})
	_ = hc.SetReadDeadline(later)
	want := []time.Time{limit, earlier, {}, later}
	if !slices.EqualFunc(rc.deadlines, want, time.Time.Equal) {
		t.Fatalf("deadlines %v, want %v", rc.deadlines, want)
	}
}

// A head that stops coming is cut off after the header timeout, and an
// idle connection after the idle timeout.
func TestFastLaneTimeouts(t *testing.T) {
	e := newEnv(t)
	_, addr := serveForTest(t, e, func(c *config.Config) {
		c.Server.ReadHeaderTimeout = 50 * time.Millisecond
		c.Server.IdleTimeout = time.Hour
	})
	_, idleAddr := serveForTest(t, newEnv(t), func(c *config.Config) {
		c.Server.ReadHeaderTimeout = time.Hour
		c.Server.IdleTimeout = 50 * time.Millisecond
	})
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	waitClosed := func(c net.Conn) error {
		_ = c.SetReadDeadline(time.Now().Add(time.Minute))
		_, err := io.ReadAll(c)
		return err
	}
	// Silent from the start: the header timeout applies, not the idle
	// one (made long here).
	if err := waitClosed(silent); err != nil {
		t.Fatalf("silent connection: %v", err)
	}
	partial, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer partial.Close()
	io.WriteString(partial, "POST /v1/api/sql HTTP/1.1\r\nHost: x\r\n")
	if err := waitClosed(partial); err != nil {
		t.Fatalf("partial head: %v", err)
	}

	idle, err := net.Dial("tcp", idleAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	body := `{"sql":"SELECT 1"}`
	fmt.Fprintf(idle, "POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n%s", basic("alice", "pw-alice"), len(body), body)
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("got %d, close %v", resp.StatusCode, resp.Close)
	}
	_ = idle.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection: %v, want it closed", err)
	}
}

// Shutdown closes idle fast-lane connections at once and lets a running
// request finish, answering it with Connection: close.
func TestFastLaneShutdown(t *testing.T) {
	e := newEnv(t)
	started, release := make(chan struct{}), make(chan struct{})
	e.exec.reply = func(ctx context.Context, req executor.Request) ([]executor.Result, error) {
		if req.SQL == "SELECT 2" {
			close(started)
			<-release
		}
		return []executor.Result{{Message: "ok"}}, nil
	}
	hs, addr := serveForTest(t, e, nil)
	send := func(c net.Conn, sql string) {
		body := `{"sql":"` + sql + `"}`
		fmt.Fprintf(c, "POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n%s", basic("alice", "pw-alice"), len(body), body)
	}
	idle, _ := net.Dial("tcp", addr)
	defer idle.Close()
	idleR := bufio.NewReader(idle)
	send(idle, "SELECT 1")
	if resp, err := http.ReadResponse(idleR, nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("first answer: %v", err)
	} else {
		io.Copy(io.Discard, resp.Body)
	}
	busy, _ := net.Dial("tcp", addr)
	defer busy.Close()
	send(busy, "SELECT 2")
	<-started

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		done <- hs.Shutdown(ctx)
	}()
	_ = idle.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := idleR.ReadByte(); err == nil {
		t.Fatal("idle connection got bytes at shutdown, want it closed")
	}
	close(release)
	busyR := bufio.NewReader(busy)
	_ = busy.SetReadDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(busyR, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Fatalf("running request: %d, close %v", resp.StatusCode, resp.Close)
	}
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// serveLane serves h in the fast lane (with net/http behind it) on a
// loopback port.
func serveLane(t *testing.T, h http.Handler) string {
	t.Helper()
	addr, _ := serveLaneWith(t, h, time.Minute, 0)
	return addr
}

// serveLaneWith is serveLane with the idle timeout and busy polling
// given, and the lane returned; setup changes the lane before it serves
// (after, its serving goroutines would race with the change).
func serveLaneWith(t *testing.T, h http.Handler, idle, busyPoll time.Duration, setup ...func(*laneServer)) (string, *laneServer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := newConnLimiter(100, 100, 0)
	limited := conns.listen(ln)
	handoff := newHandoffListener(limited)
	lane := newLaneServer(h, conns, context.Background(), idle, time.Minute, busyPoll, zap.NewNop())
	for _, f := range setup {
		f(lane)
	}
	lane.wg.Add(1)
	go lane.acceptLoop(limited, handoff)
	srv := &http.Server{Handler: h}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(handoff) }()
	t.Cleanup(func() {
		lane.beginShutdown()
		_ = srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := lane.wait(ctx); err != nil {
			t.Error(err)
		}
		<-served
	})
	return ln.Addr().String(), lane
}

// Answers without a Content-Length are framed by one when they are short
// and chunked otherwise, also when flushed midway; bodies are refused
// where HTTP has none; a handler that writes less than it declared, or
// panics, costs its connection, not the next request's framing.
func TestFastLaneFraming(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/api/sql", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch string(body) {
		case "short":
			io.WriteString(w, "hello")
		case "long":
			w.Write(bytes.Repeat([]byte("0123456789"), 1000))
		case "flushed":
			io.WriteString(w, "part one;")
			http.NewResponseController(w).Flush()
			io.WriteString(w, "part two")
		case "nocontent":
			w.WriteHeader(http.StatusNoContent)
			if _, err := io.WriteString(w, "x"); !errors.Is(err, http.ErrBodyNotAllowed) {
				panic("a body after 204 was accepted")
			}
		case "understated":
			w.Header().Set("Content-Length", "3")
			if _, err := io.WriteString(w, "four"); !errors.Is(err, http.ErrContentLength) {
				panic("more than Content-Length was accepted")
			}
			io.WriteString(w, "abc")
		case "short of length":
			w.Header().Set("Content-Length", "10")
			io.WriteString(w, "abc")
		case "panic":
			panic("boom")
		case "abort":
			panic(http.ErrAbortHandler)
		}
	})
	addr := serveLane(t, mux)
	post := func(body string) string {
		return fmt.Sprintf("POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}
	for _, c := range []struct {
		body, want string
		chunked    bool
		closed     bool
	}{
		{"short", "hello", false, false},
		{"long", strings.Repeat("0123456789", 1000), true, false},
		{"flushed", "part one;part two", true, false},
		{"nocontent", "", false, false},
		{"understated", "abc", false, false},
		{"short of length", "", false, true},
		{"panic", "", false, true},
		{"abort", "", false, true},
	} {
		t.Run(c.body, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// The same request twice, pipelined: the second answer shows
			// the first left the connection in step.
			io.WriteString(conn, post(c.body)+post("short"))
			_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if c.closed {
				if err == nil {
					got, rerr := io.ReadAll(resp.Body)
					if rerr == nil {
						t.Fatalf("got a whole answer %q, want the connection cut", got)
					}
				}
				if _, err := http.ReadResponse(br, nil); err == nil {
					t.Fatal("the connection served another request")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			if err != nil || string(got) != c.want || (len(resp.TransferEncoding) > 0) != c.chunked {
				t.Fatalf("got %q (%v), chunked %v; want %q, chunked %v", got, err, resp.TransferEncoding, c.want, c.chunked)
			}
			// A body without a Content-Type gets the one net/http sniffs.
			if wantType := http.DetectContentType([]byte(c.want)); c.want != "" && resp.Header.Get("Content-Type") != wantType {
				t.Fatalf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), wantType)
			}
			next, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("second answer: %v", err)
			}
			if got, _ := io.ReadAll(next.Body); string(got) != "hello" {
				t.Fatalf("second answer %q", got)
			}
		})
	}
}

// The lane's own head parser agrees with net/http's ReadRequest (and its
// server's checks) on every head it accepts, over random heads built from
// names and values in every case and shape a client or an attacker
// sends; everything it is unsure of it refuses, which hands the request
// to net/http.
func TestLaneParseMatchesReadRequest(t *testing.T) {
	names := []string{"Host", "host", "HOST", "Authorization", "content-type", "Content-Length", "content-length",
		"CONTENT-LENGTH", "Connection", "connection", "X-Request-Id", "x-custom_name", "Pragma", "Cache-Control",
		"User-Agent", "Accept-Encoding", "cookie", "Transfer-Encoding", "Expect", "Upgrade", "Trailer",
		"weird name", "x-\xc3\xa9", "", "X-A"}
	values := []string{"", "a", " a ", "\ta\t", "close", "keep-alive, close", "Close", "keep-alive", "no-cache",
		"0", "18", "018", "+5", "-1", " 7 ", "99999999999999999999", "1e3", "a\x01b", "x\x7f", "\xc3\xbc", "db",
		"db:8080", "[::1]:80", "a b", "chunked", "100-continue", "websocket", "Basic YWxpY2U6cHc="}
	r := rand.New(rand.NewPCG(7, 11))
	lc := &laneConn{}
	accepted := 0
	for i := 0; i < 20000; i++ {
		route := &laneRoutes[r.IntN(len(laneRoutes))]
		var b strings.Builder
		b.WriteString(route.line)
		if r.IntN(4) > 0 {
			fmt.Fprintf(&b, "Host: db\r\n")
		}
		for n := r.IntN(6); n > 0; n-- {
			fmt.Fprintf(&b, "%s:%s\r\n", names[r.IntN(len(names))], values[r.IntN(len(values))])
		}
		b.WriteString("\r\n")
		head := []byte(b.String())
		got, ok := lc.parse(head, route)
		if !ok {
			continue
		}
		accepted++
		want, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			t.Fatalf("lane accepted a head ReadRequest refuses (%v):\n%q", err, head)
		}
		if got.Method != want.Method || got.URL.String() != want.URL.String() || got.RequestURI != want.RequestURI ||
			got.Proto != want.Proto || got.ProtoMajor != want.ProtoMajor || got.ProtoMinor != want.ProtoMinor ||
			got.ContentLength != want.ContentLength || got.Close != want.Close || got.Host != want.Host ||
			len(want.TransferEncoding) != 0 || !reflect.DeepEqual(got.Header, want.Header) {
			t.Fatalf("head %q:\nlane     %+v\nnet/http %+v", head, got, want)
		}
		// What net/http's server checks after ReadRequest.
		if !httpguts.ValidHostHeader(want.Host) || want.Header.Get("Expect") != "" {
			t.Fatalf("lane accepted a head net/http's server refuses: %q", head)
		}
		for k, vv := range want.Header {
			for _, v := range vv {
				if !httpguts.ValidHeaderFieldName(k) || !httpguts.ValidHeaderFieldValue(v) {
					t.Fatalf("lane accepted an invalid field %q: %q in %q", k, v, head)
				}
			}
		}
	}
	if accepted < 2000 {
		t.Fatalf("the lane accepted only %d of 20000 heads", accepted)
	}
	// A head like every client's.
	head := "POST /v1/api/sql HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: 18\r\n" +
		"Authorization: Basic YWxpY2U6cHc=\r\nContent-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n"
	if _, ok := lc.parse([]byte(head), &laneRoutes[0]); !ok {
		t.Fatal("the lane refused a plain client head")
	}
}

// countingConn counts what is written to it.
type countingConn struct {
	net.Conn
	writes, bytes int
	buf           bytes.Buffer // what was written
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes++
	c.bytes += len(p)
	return c.buf.Write(p)
}

// An answer goes out in one write, and an idle connection keeps at most a
// small buffer, whatever the largest answer it sent.
func TestLaneOutWritesOnceAndKeepsLittle(t *testing.T) {
	cc := &countingConn{}
	o := laneOut{conn: cc}
	_, _ = o.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 12000\r\n\r\n")
	_, _ = o.Write(bytes.Repeat([]byte("x"), 12000))
	if err := o.Flush(); err != nil || cc.writes != 1 {
		t.Fatalf("%d writes (%v), want 1", cc.writes, err)
	}
	if cap(o.buf) > 4<<10 { // net/http's writer keeps 4 KiB
		t.Fatalf("kept a %d-byte buffer after the answer", cap(o.buf))
	}
	// A small answer keeps its buffer for the next one.
	_, _ = o.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	_ = o.Flush()
	if cap(o.buf) == 0 || cc.writes != 2 {
		t.Fatalf("small answer: cap %d, writes %d", cap(o.buf), cc.writes)
	}
}

// TestLaneOutLendsLargeAnswersABuffer: an answer larger than what an idle
// connection keeps is collected in a buffer borrowed from the server's
// pool and given back once sent, whole and in one write; a small answer
// borrows nothing.
func TestLaneOutLendsLargeAnswersABuffer(t *testing.T) {
	cc := &countingConn{}
	pool := &recordingPool{}
	o := laneOut{conn: cc, pool: pool}
	answer := func(n int) string {
		return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", n) + strings.Repeat("y", n)
	}
	small := answer(100)
	_, _ = o.WriteString(small[:40])
	_, _ = o.Write([]byte(small[40:]))
	if o.big != nil {
		t.Fatal("a 100-byte answer borrowed a buffer")
	}
	_ = o.Flush()
	large := answer(12000)
	_, _ = o.WriteString(large[:43])
	_, _ = o.Write([]byte(large[43:]))
	if o.big == nil {
		t.Fatal("a 12000-byte answer did not borrow a buffer")
	}
	lent := o.big
	if err := o.Flush(); err != nil || cc.writes != 2 {
		t.Fatalf("%d writes (%v), want 2", cc.writes, err)
	}
	if got := cc.buf.String(); got != small+large {
		t.Fatalf("sent %d bytes, want %d: %.80q", len(got), len(small+large), got)
	}
	if o.big != nil || cap(o.buf) > 4<<10 {
		t.Fatalf("kept a %d-byte buffer after the answer", cap(o.buf))
	}
	if len(pool.put) != 1 || pool.put[0] != lent || len(*lent) != 0 {
		t.Fatalf("given back %d buffers (want the lent one, empty)", len(pool.put))
	}
}

// recordingPool is a pool that keeps what is given back (sync.Pool drops
// a share of it at random under -race).
type recordingPool struct{ put []*[]byte }

func (p *recordingPool) Get() any  { return nil }
func (p *recordingPool) Put(x any) { p.put = append(p.put, x.(*[]byte)) }

// The head's shared string and value slices are an optimisation only: a
// field's values stay its own (an append to one cannot change another),
// a value that may be a secret is not in the memory other values keep
// alive, and a head with more fields than the parser's stack array
// parses as ReadRequest does.
func TestLaneParseKeepsFieldsApart(t *testing.T) {
	lc := &laneConn{}
	head := "POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nUser-Agent: app/1.0\r\nContent-Length: 18\r\n" +
		"Authorization: Basic YWxpY2U6cHc=\r\nCookie: s=secret\r\nX-Api-Key: k3y\r\nContent-Type: application/json\r\n" +
		"Accept: */*\r\nAccept: text/plain\r\n\r\n"
	req, ok := lc.parse([]byte(head), &laneRoutes[0])
	if !ok {
		t.Fatal("refused")
	}
	req.Header["User-Agent"] = append(req.Header["User-Agent"], "appended")
	req.Header["User-Agent"][0] = "changed"
	if got := req.Header.Get("Content-Length"); got != "18" {
		t.Fatalf("Content-Length after a change to User-Agent: %q", got)
	}
	if got := req.Header.Get("Authorization"); got != "Basic YWxpY2U6cHc=" {
		t.Fatalf("Authorization after a change to User-Agent: %q", got)
	}
	if got := req.Header.Values("Accept"); !slices.Equal(got, []string{"*/*", "text/plain"}) {
		t.Fatalf("repeated field: %q", got)
	}
	// The shared values lie in one string; no secret may lie inside it.
	ptr := func(s string) uintptr { return uintptr(unsafe.Pointer(unsafe.StringData(s))) }
	lo, hi := ptr(req.Host), ptr(req.Host)+uintptr(len(req.Host))
	for _, v := range append(req.Header.Values("Content-Type"), req.Header.Values("Accept")...) {
		lo, hi = min(lo, ptr(v)), max(hi, ptr(v)+uintptr(len(v)))
	}
	if hi-lo != uintptr(len("db"+"app/1.0"+"18"+"application/json"+"*/*"+"text/plain")) {
		t.Fatalf("the shared values are not one string: %d bytes apart", hi-lo)
	}
	for _, name := range []string{"Authorization", "Cookie", "X-Api-Key"} {
		if p := ptr(req.Header.Get(name)); p >= lo && p < hi {
			t.Fatalf("%s's value shares memory with the head's shared values", name)
		}
	}

	// More fields than the stack array holds.
	var b strings.Builder
	b.WriteString("POST /v1/api/sql HTTP/1.1\r\nHost: db\r\n")
	for i := 0; i < 3*laneParseFields; i++ {
		fmt.Fprintf(&b, "X-F%d: v%d\r\n", i, i)
	}
	b.WriteString("\r\n")
	got, ok := lc.parse([]byte(b.String()), &laneRoutes[0])
	if !ok {
		t.Fatal("refused a head with many fields")
	}
	want, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String())))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Header, want.Header) {
		t.Fatalf("many fields:\nlane     %v\nnet/http %v", got.Header, want.Header)
	}
}

// A client's usual head costs the request, its URL, the header map, one
// array of value slices, the shared values and the Authorization value.
func TestLaneParseAllocations(t *testing.T) {
	lc := &laneConn{}
	head := []byte("POST /v1/api/sql HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: 18\r\n" +
		"Authorization: Basic YWxpY2U6cHc=\r\nContent-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n")
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := lc.parse(head, &laneRoutes[0]); !ok {
			t.Fatal("refused")
		}
	})
	if allocs > 7 {
		t.Fatalf("%v allocations to parse a usual head, want at most 7", allocs)
	}
}

// writeHeaderFields writes what http.Header.Write writes, on random
// headers with odd names and values (CR, LF, spaces, tabs, invalid names,
// repeated values) and on more fields than its stack array holds.
func TestWriteHeaderFieldsMatchesHeaderWrite(t *testing.T) {
	names := []string{"Content-Type", "X-Request-Id", "Date", "Content-Length", "A", "a", "Zz", "bad name", "",
		"X-\xc3\xa9", "Set-Cookie", "Www-Authenticate", "Retry-After", "Connection"}
	values := []string{"", " ", "a", " a ", "\ta\t", "a\r\nb", "\r\n", "a\nb\rc", " \r x \n ", "application/json; charset=utf-8",
		"\xc3\xbc", "a\x00b", "nosniff"}
	r := rand.New(rand.NewPCG(3, 5))
	for i := 0; i < 5000; i++ {
		h := http.Header{}
		fields := r.IntN(8)
		if i%100 == 0 {
			fields = 40
		}
		for n := 0; n < fields; n++ {
			name := names[r.IntN(len(names))]
			if fields > len(names) {
				name = fmt.Sprintf("X-F%02d", n)
			}
			for m := r.IntN(3); m >= 0; m-- {
				h[name] = append(h[name], values[r.IntN(len(values))])
			}
		}
		var want bytes.Buffer
		if err := h.Write(&want); err != nil {
			t.Fatal(err)
		}
		var o laneOut
		writeHeaderFields(&o, h)
		if !bytes.Equal(o.buf, want.Bytes()) {
			t.Fatalf("header %q:\nlane   %q\nWrite  %q", h, o.buf, want.Bytes())
		}
	}
}

// The Date value every answer of a second shares is never in a handler's
// header after its answer is written (as with net/http), so a handler
// that changes the header it sees cannot change the next answer's Date.
func TestLaneDateIsNotTheHandlersToChange(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/api/sql", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "{}")
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if d := w.Header()["Date"]; len(d) > 0 {
			d[0] = "tampered"
		}
	})
	addr := serveLane(t, mux)
	c := dialLane(t, addr)
	for i := range 3 {
		c.send("{}")
		resp, err := http.ReadResponse(c.br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if d := resp.Header.Get("Date"); d == "tampered" {
			t.Fatalf("answer %d: Date %q, changed by an earlier handler", i, d)
		} else if _, err := http.ParseTime(d); err != nil {
			t.Fatalf("answer %d: Date %q: %v", i, d, err)
		}
	}
}
