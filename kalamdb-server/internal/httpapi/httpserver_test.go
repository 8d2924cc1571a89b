package httpapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// pipeConn is one end of a net.Pipe, to feed the limiter.
func pipeConn(t *testing.T) net.Conn {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a
}

func closed(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	return errors.Is(err, io.ErrClosedPipe)
}

func TestConnLimiterEvictsOldestAnonymous(t *testing.T) {
	l := newConnLimiter(4, 2, 0)
	a, b := l.admit(pipeConn(t)), l.admit(pipeConn(t))
	mustAuth(t, a)
	c := l.admit(pipeConn(t))
	// b and c are anonymous: the next one pushes out b, the oldest.
	d := l.admit(pipeConn(t))
	if d == nil || !closed(b.Conn) || closed(c.Conn) || closed(a.Conn) {
		t.Fatalf("eviction: d=%v b closed=%v c closed=%v a closed=%v", d != nil, closed(b.Conn), closed(c.Conn), closed(a.Conn))
	}
	// A connection with a request in progress goes after idle ones.
	c.begin()
	e := l.admit(pipeConn(t))
	if e == nil || closed(c.Conn) || !closed(d.Conn) {
		t.Fatalf("busy connection evicted before an idle one")
	}
	c.end()
	if open, unauth := l.counts(); open != 3 || unauth != 2 {
		t.Fatalf("counts %d/%d, want 3/2", open, unauth)
	}
	// Authenticated connections that are not idle between requests are
	// never evicted: with every slot taken by one, a new connection is
	// refused.
	mustAuth(t, c)
	mustAuth(t, e)
	f := l.admit(pipeConn(t))
	mustAuth(t, f)
	if g := l.admit(pipeConn(t)); g != nil {
		t.Fatal("a connection over the limit was admitted with every open one authenticated")
	}
	// Closing frees the slot once.
	_ = f.Close()
	_ = f.Close()
	if open, _ := l.counts(); open != 3 {
		t.Fatalf("open %d after a close, want 3", open)
	}
	if l.admit(pipeConn(t)) == nil {
		t.Fatal("a freed slot was not reused")
	}
}

func mustAuth(t *testing.T, tc *trackedConn) {
	t.Helper()
	if err := tc.authenticated("alice"); err != nil {
		t.Fatal(err)
	}
}

// serveForTest runs e's API behind the real HTTP server on a loopback
// port and returns its address.
func serveForTest(t *testing.T, e *env, mutate func(*config.Config)) (*HTTPServer, string) {
	t.Helper()
	c := config.Default()
	c.Server.Host, c.Server.Port = "127.0.0.1", 0
	if mutate != nil {
		mutate(&c)
	}
	hs, err := NewHTTPServer(&c, e.srv, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = hs.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = hs.Close()
		<-served
	})
	return hs, ln.Addr().String()
}

// An anonymous request that announces a body and sends part of it is
// answered and its connection closed, not kept waiting for the rest.
func TestPartialBodyWithoutCredentialsIsClosed(t *testing.T) {
	e := newEnv(t)
	_, addr := serveForTest(t, e, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"sql\":")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !resp.Close {
		t.Fatalf("got %d, Connection: close %v", resp.StatusCode, resp.Close)
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("connection still open after the answer: %v", err)
	}
}

// An authenticated request whose body stops coming fails when the body
// timeout passes.
func TestSlowBodyTimesOut(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ReadBodyTimeout = 50 * time.Millisecond })
	_, addr := serveForTest(t, e, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: 100\r\n\r\n{\"sql\":", basic("alice", "pw-alice"))
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "did not arrive") {
		t.Fatalf("got %d %s", resp.StatusCode, body)
	}
	if len(e.exec.calls()) != 0 {
		t.Fatal("the statement ran without its body")
	}
}

// Shutdown waits for requests, then cancels those still running; they
// end with an error saying why, and Shutdown returns in time.
func TestShutdownCancelsRunningRequests(t *testing.T) {
	e := newEnv(t)
	started := make(chan struct{})
	cause := make(chan error, 1)
	e.exec.reply = func(ctx context.Context, _ executor.Request) ([]executor.Result, error) {
		close(started)
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return nil, context.Cause(ctx)
	}
	hs, addr := serveForTest(t, e, nil)
	answered := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/api/sql", strings.NewReader(`{"sql":"SELECT 1"}`))
		req.Header.Set("Authorization", basic("alice", "pw-alice"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			close(answered)
			return
		}
		answered <- resp
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := <-cause; !apierror.Is(err, apierror.SQLExecutionError) || !strings.Contains(err.Error(), "shutting down") {
		t.Fatalf("statement cancelled with %v", err)
	}
	resp := <-answered
	if resp == nil {
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "shutting down") {
		t.Fatalf("client got %d %s", resp.StatusCode, body)
	}
}

// One user may hold at most maxPerUser authenticated connections: one
// user (or one stolen password) cannot take every slot. A connection
// counts for the user who last authenticated on it; closing it frees the
// slot.
func TestConnLimiterCapsConnectionsPerUser(t *testing.T) {
	l := newConnLimiter(10, 10, 2)
	a, b, c := l.admit(pipeConn(t)), l.admit(pipeConn(t)), l.admit(pipeConn(t))
	for _, tc := range []*trackedConn{a, b} {
		if err := tc.authenticated("alice"); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.authenticated("alice"); err != nil {
		t.Fatalf("a second request on the same connection: %v", err)
	}
	err := c.authenticated("alice")
	if _, ok := apierror.RetryAfterOf(err); !ok || !strings.Contains(err.Error(), "max_connections_per_user") {
		t.Fatalf("a third connection of alice: %v", err)
	}
	if err := c.authenticated("bob"); err != nil {
		t.Fatalf("bob: %v", err)
	}
	// b now serves bob: alice has one connection, bob two.
	if err := b.authenticated("bob"); err != nil {
		t.Fatal(err)
	}
	d := l.admit(pipeConn(t))
	if err := d.authenticated("bob"); err == nil {
		t.Fatal("a third connection of bob")
	}
	if err := d.authenticated("alice"); err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
	e := l.admit(pipeConn(t))
	if err := e.authenticated("alice"); err != nil {
		t.Fatalf("after alice closed one: %v", err)
	}
	if n := l.userConns("alice"); n != 2 {
		t.Fatalf("alice holds %d, want 2", n)
	}
}

// When every slot is taken and none is anonymous, the oldest idle
// keep-alive connection is closed for the new one (its client reconnects
// when it needs to); connections with a request in progress, and
// WebSockets, are never closed for another.
func TestConnLimiterEvictsIdleAuthenticated(t *testing.T) {
	l := newConnLimiter(3, 3, 0)
	a, b, c := l.admit(pipeConn(t)), l.admit(pipeConn(t)), l.admit(pipeConn(t))
	for _, tc := range []*trackedConn{a, b, c} {
		if err := tc.authenticated("alice"); err != nil {
			t.Fatal(err)
		}
	}
	l.state(b, http.StateIdle)
	l.state(a, http.StateIdle)
	l.state(c, http.StateHijacked) // a WebSocket
	d := l.admit(pipeConn(t))
	if d == nil || !closed(b.Conn) || closed(a.Conn) {
		t.Fatalf("the oldest idle connection was not the one closed")
	}
	// An anonymous connection goes before an idle one: a becomes idle
	// again, and d is closed for e.
	l.state(a, http.StateIdle)
	e := l.admit(pipeConn(t))
	if e == nil || !closed(d.Conn) || closed(a.Conn) {
		t.Fatal("the anonymous d was not the one closed")
	}
	// With a active again, e authenticated and c a WebSocket, nothing can
	// make room.
	l.state(a, http.StateActive)
	mustAuth(t, e)
	if g := l.admit(pipeConn(t)); g != nil {
		t.Fatal("admitted with every connection busy or a WebSocket")
	}
	if n := l.userConns("alice"); n != 3 {
		t.Fatalf("alice holds %d, want 3 (b was closed)", n)
	}
}

// A client that never reads its answer loses its connection after the
// write timeout, through the fast lane and through net/http alike: the
// request ends and its answer (up to max_result_bytes) is not held for
// as long as the client cares to keep the connection open.
func TestUnreadAnswerIsCutOff(t *testing.T) {
	for _, fast := range []bool{true, false} {
		t.Run(fmt.Sprintf("fast=%v", fast), func(t *testing.T) {
			// 48 rows of 1 MiB: more than the socket buffers hold.
			e, c := dialWriteTimeout(t, fast, 48, strings.Repeat("x", 1<<20))
			body := `{"sql":"SELECT s"}`
			fmt.Fprintf(c, "POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n%s", basic("alice", "pw-alice"), len(body), body)
			// The request ends (its access log line is written) although
			// the client reads nothing.
			deadline := time.Now().Add(time.Minute)
			for e.logs.FilterMessage("http request").FilterField(zap.String("route", "/v1/api/sql")).Len() == 0 {
				if time.Now().After(deadline) {
					t.Fatal("the request was still writing its answer after a minute")
				}
				time.Sleep(10 * time.Millisecond)
			}
			// And the connection is closed: what the kernel buffered, then
			// the end.
			_ = c.SetReadDeadline(time.Now().Add(time.Minute))
			n, err := io.Copy(io.Discard, c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("connection still open after %d bytes", n)
			}
			if n >= 48<<20 {
				t.Fatalf("the whole answer (%d bytes) arrived", n)
			}
		})
	}
}

// Small answers are offered to the socket before the write deadline is
// set (the lane sets it only for a write that must wait): a client that
// pipelines requests and never reads fills the socket's buffers with
// their answers, and then loses its connection after the write timeout
// all the same. The client only writes: more requests than every buffer
// on the way holds, so its writes fail once the server closes, and block
// (until the client's own deadline) if it never does.
func TestUnreadSmallAnswersAreCutOff(t *testing.T) {
	for _, fast := range []bool{true, false} {
		t.Run(fmt.Sprintf("fast=%v", fast), func(t *testing.T) {
			// An answer the lane copies and flushes.
			_, c := dialWriteTimeout(t, fast, 1, strings.Repeat("x", 3000))
			body := `{"sql":"SELECT s"}`
			req := fmt.Sprintf("POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n%s", basic("alice", "pw-alice"), len(body), body)
			const requests = 200_000 // ~34 MB of requests for ~600 MB of answers
			_ = c.SetWriteDeadline(time.Now().Add(time.Minute))
			n := 0
			var err error
			for ; n < requests && err == nil; n++ {
				_, err = io.WriteString(c, req)
			}
			var ne net.Error
			switch {
			case err == nil:
				t.Fatalf("the server took all %d requests of a client that reads nothing", requests)
			case errors.As(err, &ne) && ne.Timeout():
				t.Fatalf("the server stopped reading after %d requests but kept the connection open: %v", n, err)
			}
		})
	}
}

// dialWriteTimeout serves, with a write timeout of 100 ms, an executor
// that answers every statement with rows copies of text, and dials it.
func dialWriteTimeout(t *testing.T, fast bool, rows int, text string) (*env, net.Conn) {
	t.Helper()
	e := newEnv(t, func(o *Options) { o.WriteTimeout = 100 * time.Millisecond })
	e.exec.reply = func(context.Context, executor.Request) ([]executor.Result, error) {
		rs := make([][]any, rows)
		for i := range rs {
			rs[i] = []any{text}
		}
		return []executor.Result{{Schema: []executor.Column{{Name: "s", DataType: "Text"}}, Rows: rs, RowCount: int64(rows)}}, nil
	}
	_, addr := serveForTest(t, e, func(c *config.Config) { c.Server.FastSQLPath = fast })
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return e, c
}

// A server stopped as it starts: Serve runs on its own goroutine, so
// Shutdown may begin before it, and the fast lane's count of what
// Shutdown waits for was raised from zero (the accept loop) while
// Shutdown waited on it, a race the detector reported in a start/stop
// test of the whole app. A Serve that comes after Shutdown returns
// http.ErrServerClosed and serves nothing.
func TestShutdownRacingServe(t *testing.T) {
	for range 10 {
		c := config.Default()
		c.Server.Host, c.Server.Port = "127.0.0.1", 0
		hs, err := NewHTTPServer(&c, newEnv(t).srv, nil)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- hs.Serve(ln) }()
		if err := hs.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Fatalf("Serve: %v, want http.ErrServerClosed", err)
		}
	}
	// After Shutdown, a Serve starts nothing.
	c := config.Default()
	hs, err := NewHTTPServer(&c, newEnv(t).srv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := hs.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Fatal("a Serve after Shutdown still accepts connections")
	}
}
