package e2e_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// crossJoin reads n^4 generated rows: minutes of work for n = 200.
func crossJoin(n int) string {
	v := "(VALUES " + strings.TrimSuffix(strings.Repeat("(1),", n), ",") + ")"
	return fmt.Sprintf("SELECT COUNT(*) FROM %s a(x), %s b(x), %s c(x), %s d(x)", v, v, v, v)
}

// The statements of the hardening review that froze or killed the server,
// sent several at a time by one user: while they run, /health answers and
// another user's queries succeed, and each ends with its answer or its
// error code.
func TestHostileStatementsDoNotStallTheServer(t *testing.T) {
	s := startServer(t, t.TempDir(), func(c *config.Config) {
		// A shorter limit for the user role keeps the long statements
		// shorter; everything else is the default. It is well above what
		// the other statements take, even all at once under the race
		// detector.
		c.Limits.StatementTimeoutUser = 10 * time.Second
	})
	s.ok(root, `CREATE NAMESPACE app; CREATE TABLE app.notes (id INT PRIMARY KEY, body TEXT);
		CREATE USER 'mallory' WITH PASSWORD 'pw-mallory' ROLE user;
		CREATE USER 'alice' WITH PASSWORD 'pw-alice' ROLE user`)
	mallory, alice := basic("mallory", "pw-mallory"), basic("alice", "pw-alice")
	s.ok(alice, "INSERT INTO app.notes VALUES (1, 'hello')")

	hostile := map[string]string{ // statement: its outcome
		"SELECT REGEXP_LIKE(REPEAT('a', 30), '(a*)*b')":       `[[false]]`,
		"SELECT REGEXP_LIKE(REPEAT('a', 100000), '(a|aa)*b')": `[[false]]`,
		"SELECT LENGTH(REPEAT('a', 1000000000))":              "RESOURCE_LIMIT_EXCEEDED",
		"SELECT LENGTH(LPAD('', 1000000000, 'a'))":            "RESOURCE_LIMIT_EXCEEDED",
		"SELECT LENGTH(REPEAT(' ', 10000000))":                `[[10000000]]`,
		"SELECT 1" + strings.Repeat("+1", 8000):               "RESOURCE_LIMIT_EXCEEDED",
		"SELECT 1" + strings.Repeat("+1", 100000):             "RESOURCE_LIMIT_EXCEEDED",
		crossJoin(200): "QUERY_TIMEOUT",
		"SELECT REPEAT('a', 30000) ~ '(a*)*b', 'ab' !~ '^(a|ab)*$'": `[[false,false]]`,
		// A chain PostgreSQL's parser would serialise recursively in C,
		// overflowing the thread's stack and killing the process.
		"SELECT 1" + strings.Repeat("+1", 1000000): "RESOURCE_LIMIT_EXCEEDED",
	}
	type outcome struct{ stmt, got string }
	outcomes := make(chan outcome, 2*len(hostile))
	var running sync.WaitGroup
	for round := 0; round < 2; round++ {
		for stmt := range hostile {
			running.Add(1)
			go func() {
				defer running.Done()
				r := s.sql(mallory, stmt)
				switch {
				case r.Status == "success":
					outcomes <- outcome{stmt, r.rows(t)}
				case r.Error != nil:
					outcomes <- outcome{stmt, fmt.Sprintf("%s (HTTP %d)", r.Error.Code, r.httpStatus)}
				default:
					outcomes <- outcome{stmt, r.String()}
				}
			}()
		}
	}
	allDone := make(chan struct{})
	go func() {
		running.Wait()
		close(allDone)
	}()
	// Probe until every hostile statement has ended; the statements that
	// time out take seconds, so this probes while they run.
	probes := 0
	for done := false; !done; {
		select {
		case <-allDone:
			done = true
		default:
		}
		if h := s.do(http.MethodGet, "/health", nil, nil); h.httpStatus != http.StatusOK {
			t.Fatalf("/health: %s", h)
		}
		if got := s.ok(alice, "SELECT body FROM app.notes WHERE id = 1").rows(t); got != `[["hello"]]` {
			t.Fatalf("alice's query: %s", got)
		}
		probes++
	}
	close(outcomes)
	for o := range outcomes {
		want := hostile[o.stmt]
		if !strings.HasPrefix(want, "[") {
			want += " (HTTP 400)"
		}
		if o.got != want {
			t.Errorf("%.60s…: got %s, want %s", o.stmt, o.got, want)
		}
	}
	if probes < 2 {
		t.Fatalf("only %d probes ran while the hostile statements did", probes)
	}
}

// Slow or silent anonymous clients hold connections: partial request
// bodies, partial headers, partial login bodies. With short timeouts and a
// small cap on anonymous connections, /health and authenticated queries
// still work while they are open, and the server closes every one of them.
func TestSlowClientsCannotHoldTheServer(t *testing.T) {
	s := startServer(t, t.TempDir(), func(c *config.Config) {
		c.Server.ReadHeaderTimeout = time.Second
		c.Server.ReadBodyTimeout = time.Second
		c.Server.MaxConnections = 150
		c.Server.MaxUnauthenticatedConnections = 50
	})
	s.ok(root, "CREATE USER 'alice' WITH PASSWORD 'pw-alice' ROLE user")
	addr := strings.TrimPrefix(s.base, "http://")
	partials := []string{
		"POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"sql\": \"SEL",
		"POST /v1/api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"user\": \"al",
		"POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nX-Slow: ",
		"GET /health HTTP/1.1\r\nHost: x\r\n",
		"",
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 200; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
		if _, err := io.WriteString(c, partials[i%len(partials)]); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	// Fresh connections, as a new client would open.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < 5; i++ {
		resp, err := client.Get(s.base + "/health")
		if err != nil {
			t.Fatalf("/health with slow clients connected: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/health: %d", resp.StatusCode)
		}
		req, _ := http.NewRequest(http.MethodPost, s.base+"/v1/api/sql", strings.NewReader(`{"sql":"SELECT 41 + 1"}`))
		req.SetBasicAuth("alice", "pw-alice")
		resp, err = client.Do(req)
		if err != nil {
			t.Fatalf("query with slow clients connected: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "[[42]]") {
			t.Fatalf("query: %d %s", resp.StatusCode, body)
		}
	}
	// Every slow connection is closed by the server (answered first, or
	// not); the deadline only keeps a regression from hanging the run.
	for i, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(time.Minute))
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection %d (%q) still open after a minute", i, partials[i%len(partials)])
		}
	}
	// The server still serves.
	s.ok(basic("alice", "pw-alice"), "SELECT 1")
}

// SIGTERM while a long statement runs: the statement is cancelled when the
// drain time is over, the process exits 0 within its shutdown timeout, and
// what was written before is there after a restart.
func TestSIGTERMDuringLongStatement(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	p := startProcess(t, bin, dir, "KALAMDB_SERVER_SHUTDOWN_TIMEOUT=4s", "KALAMDB_LIMITS_STATEMENT_TIMEOUT=1h")
	s := &server{t: t, base: p.base}
	s.ok(root, "CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1), (2)")
	long := postInBackground(p.base, crossJoin(300))
	// Wait until the statement is in flight (the metrics request itself is
	// the other one).
	s.waitInFlight(2)
	p.terminate(t, 2*time.Minute)
	// The long statement's client was told, if the answer got out before
	// the connection closed.
	if resp := <-long; resp != nil {
		if resp.status != http.StatusBadRequest || !strings.Contains(resp.body, "shutting down") {
			t.Errorf("long statement answered %d %s", resp.status, resp.body)
		}
	}
	p = startProcess(t, bin, dir)
	s = &server{t: t, base: p.base}
	if got := s.ok(root, "SELECT id FROM app.t ORDER BY id").rows(t); got != `[[1],[2]]` {
		t.Fatalf("after restart: %s", got)
	}
}
