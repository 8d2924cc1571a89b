package e2e_test

// Adversarial end-to-end tests of the HTTP fast lane (session 9, lane13
// review): raw bytes on a real server's socket, as an attacker or an
// unlucky client would send them.

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// rawAnswers writes req to a new connection to s, then reads answers
// until the server closes the connection or stops answering (a quiet
// read of a second after a complete answer). Each answer is "STATUS body".
func rawAnswers(t *testing.T, s *server, req string) []string {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var out []string
	for {
		// Not an assertion: only how long a kept connection is given to
		// answer a request it may still be holding.
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return out
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("answer %d: %v", len(out), err)
		}
		if resp.StatusCode < 200 {
			continue // 100 Continue: interim, not an answer
		}
		out = append(out, fmt.Sprintf("%d %s", resp.StatusCode, body))
		if resp.Close {
			return out
		}
	}
}

func basicHeader(user, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

// sqlRequest is one POST /v1/api/sql with the given extra header lines
// (each ending in CRLF) and statement.
func sqlRequest(extra, sql string) string {
	body := fmt.Sprintf(`{"sql":%q}`, sql)
	return fmt.Sprintf("POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s",
		extra, len(body), body)
}

// Credentials belong to the request that carries them: a pipelined
// request without them, or with wrong ones, behind an authenticated one
// on the same connection (and in the same read), is refused, and no
// answer carries another request's rows.
func TestLaneAttackPipelinedAuthIsPerRequest(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE NAMESPACE sec; CREATE SHARED TABLE sec.vault (id INT PRIMARY KEY, secret TEXT) WITH (ACCESS_LEVEL = 'RESTRICTED');
		INSERT INTO sec.vault (id, secret) VALUES (1, 'crown-jewels')`)
	rootAuth := "Authorization: " + basicHeader("root", "") + "\r\n"
	aliceAuth := "Authorization: " + basicHeader("alice", "alice-pw") + "\r\n"
	badAuth := "Authorization: " + basicHeader("alice", "wrong") + "\r\n"
	const steal = "SELECT secret FROM sec.vault"
	for _, tc := range []struct {
		name  string
		reqs  []string
		wants []string // status prefix of each answer
	}{
		{"none behind root", []string{sqlRequest(rootAuth, "SELECT 1"), sqlRequest("", steal)}, []string{"200", "401"}},
		{"wrong behind root", []string{sqlRequest(rootAuth, "SELECT 1"), sqlRequest(badAuth, steal)}, []string{"200", "401"}},
		{"alice behind root", []string{sqlRequest(rootAuth, "SELECT 1"), sqlRequest(aliceAuth, steal)}, []string{"200", "403"}},
		{"none behind alice", []string{sqlRequest(aliceAuth, "SELECT 1"), sqlRequest("", steal), sqlRequest(rootAuth, "SELECT 2")},
			[]string{"200", "401", "200"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rawAnswers(t, s, strings.Join(tc.reqs, ""))
			for i, a := range got {
				if strings.Contains(a, "crown-jewels") {
					t.Fatalf("answer %d leaked the vault: %s", i, a)
				}
			}
			// A refused request may close the connection (then the rest is
			// not answered); what is answered is in order and as expected.
			if len(got) < 2 {
				t.Fatalf("answers %q, want at least %d", got, 2)
			}
			for i := range got {
				if i >= len(tc.wants) || !strings.HasPrefix(got[i], tc.wants[i]) {
					t.Fatalf("answers %q, want statuses %q", got, tc.wants)
				}
			}
		})
	}
}

// Framings the lane must not read differently from net/http, each
// carrying a smuggled, unauthenticated statement: whatever the server
// makes of the bytes, no request without credentials reads the vault,
// and no more requests are answered than a single reading of the bytes
// could contain.
func TestLaneAttackSmugglingVariants(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE sec; CREATE SHARED TABLE sec.vault (id INT PRIMARY KEY, secret TEXT) WITH (ACCESS_LEVEL = 'RESTRICTED');
		INSERT INTO sec.vault (id, secret) VALUES (1, 'crown-jewels')`)
	smuggled := sqlRequest("", "SELECT secret FROM sec.vault")
	outerBody := `{"sql":"SELECT 1"}`
	head := "POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nContent-Type: application/json\r\nAuthorization: " + basicHeader("root", "") + "\r\n"
	variants := map[string]string{
		"CL and TE":        head + fmt.Sprintf("Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", len(outerBody)) + smuggled,
		"TE and CL":        head + "Transfer-Encoding: chunked\r\n" + fmt.Sprintf("Content-Length: %d\r\n\r\n", 5) + "0\r\n\r\n" + smuggled,
		"two CL":           head + fmt.Sprintf("Content-Length: %d\r\nContent-Length: 0\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"CL space colon":   head + fmt.Sprintf("Content-Length : %d\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"TE space colon":   head + "Transfer-Encoding : chunked\r\nContent-Length: 0\r\n\r\n" + smuggled,
		"obs-fold CL":      head + "X-A: b\r\n Content-Length: 0\r\n" + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"bare LF":          strings.ReplaceAll(head, "\r\n", "\n") + fmt.Sprintf("Content-Length: %d\n\n", len(outerBody)) + outerBody + smuggled,
		"NUL in header":    head + "X-A: b\x00c\r\n" + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"plus CL":          head + fmt.Sprintf("Content-Length: +%d\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"CL leading zeros": head + fmt.Sprintf("Content-Length: 000%d\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"CL comma list":    head + fmt.Sprintf("Content-Length: %d, 0\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"expect continue":  head + fmt.Sprintf("Expect: 100-continue\r\nContent-Length: %d\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"absolute form":    strings.Replace(head, "/v1/api/sql", "http://db/v1/api/sql", 1) + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"http/1.0":         strings.Replace(head, "HTTP/1.1", "HTTP/1.0", 1) + fmt.Sprintf("Connection: keep-alive\r\nContent-Length: %d\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"two hosts":        head + fmt.Sprintf("Host: other\r\nContent-Length: %d\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"huge head":        head + "X-Big: " + strings.Repeat("a", 9000) + "\r\n" + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"CR in value":      head + "X-A: b\rContent-Length: 0\r\n" + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"space in name":    head + "Content Length: 0\r\n" + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"TE identity":      head + "Transfer-Encoding: identity\r\n" + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(outerBody)) + outerBody + smuggled,
		"lowercase te":     head + "transfer-encoding: chunked\r\n" + fmt.Sprintf("content-length: %d\r\n\r\n", len(outerBody)) + "0\r\n\r\n" + smuggled,
		"upgrade h2c":      head + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n" + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(outerBody)) + outerBody + smuggled,
	}
	for name, req := range variants {
		t.Run(name, func(t *testing.T) {
			got := rawAnswers(t, s, req)
			for i, a := range got {
				if strings.Contains(a, "crown-jewels") {
					t.Fatalf("answer %d leaked the vault: %s", i, a)
				}
				if i > 1 || i == 1 && !strings.HasPrefix(a, "401") {
					t.Fatalf("more answers than requests: %q", got)
				}
			}
		})
	}
}

// goroutinesSettle waits until the process runs at most want goroutines
// (a condition, not a time: it fails only after a minute), and returns
// how many it runs.
func goroutinesSettle(want int) int {
	n := runtime.NumGoroutine()
	for end := time.Now().Add(time.Minute); n > want && time.Now().Before(end); n = runtime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	return n
}

// stableGoroutines is the goroutine count once it has not changed for
// twenty looks in a row (only shapes the baseline; nothing is asserted
// on its timing).
func stableGoroutines() int {
	n, same := runtime.NumGoroutine(), 0
	for same < 20 {
		time.Sleep(10 * time.Millisecond)
		if m := runtime.NumGoroutine(); m == n {
			same++
		} else {
			n, same = m, 0
		}
	}
	return n
}

// Connections that end abruptly anywhere in a request leave nothing
// running behind them: mid-head, mid-body, right after a whole request,
// behind a pipelined one, between requests while polling, and reset
// (RST) instead of closed.
func TestLaneAttackAbruptClosesLeakNothing(t *testing.T) {
	s := startServer(t, t.TempDir(), func(c *config.Config) { c.Server.BusyPoll = config.MaxBusyPoll })
	addr := strings.TrimPrefix(s.base, "http://")
	auth := "Authorization: " + basicHeader("root", "") + "\r\n"
	whole := sqlRequest(auth, "SELECT 1")
	cut := []string{
		whole[:10],                  // mid request line
		whole[:len(whole)/2],        // mid head
		whole[:len(whole)-3],        // mid body
		whole,                       // whole, answer not read
		whole + whole + whole[:20],  // pipelined, then a partial one
		whole + "GET /metrics HTTP", // behind a hand-off's partial head
	}
	abuse := func(linger bool) {
		for _, prefix := range cut {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(c, prefix); err != nil {
				t.Fatal(err)
			}
			if linger {
				_ = c.(*net.TCPConn).SetLinger(0) // RST on close
			}
			c.Close()
		}
		// A kept connection that polls between requests, then leaves.
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		for range 3 {
			io.WriteString(c, whole)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		c.Close()
	}
	// Warm up: the server's lazily started goroutines start now.
	abuse(false)
	abuse(true)
	s.ok(root, "SELECT 1")
	base := stableGoroutines()
	for range 20 {
		abuse(false)
		abuse(true)
	}
	if n := goroutinesSettle(base); n > base {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after abrupt closes, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// A request refused before its body is read (bad credentials, a body
// over max_body_bytes) gets its answer even though the client sent the
// whole body: the server must not reset the connection (close it with
// the body unread in its receive queue, which makes the kernel send RST
// and the client's kernel drop the answer), as net/http does not: it
// half-closes and lingers (closeWriteAndWait).
func TestLaneAttackRefusedBodyStillGetsItsAnswer(t *testing.T) {
	s := startServer(t, t.TempDir(), func(c *config.Config) { c.Server.MaxBodyBytes = 64 << 10 })
	addr := strings.TrimPrefix(s.base, "http://")
	body := `{"sql":"SELECT '` + strings.Repeat("a", 8<<20) + `'"}`
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{"bad credentials", "Authorization: " + basicHeader("root", "wrong") + "\r\n", http.StatusUnauthorized},
		{"too large", "Authorization: " + basicHeader("root", "") + "\r\n", http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i := range 5 {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				req := fmt.Sprintf("POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s",
					tc.auth, len(body), body)
				// Far more than the kernels' buffers hold: the client is
				// still sending when the server answers, as a client
				// uploading a large statement is.
				go io.WriteString(c, req)
				_ = c.SetReadDeadline(time.Now().Add(time.Minute))
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					c.Close()
					t.Fatalf("attempt %d: no answer: %v", i, err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				c.Close()
				if resp.StatusCode != tc.status {
					t.Fatalf("attempt %d: HTTP %d, want %d", i, resp.StatusCode, tc.status)
				}
			}
		})
	}
}

// Many keep-alive connections at once, each pipelining statements whose
// answers name their connection and sequence, with heads cut at random
// points (some a byte at a time) and, on some connections, a request the
// lane hands to net/http midway: every answer is its own request's, in
// order, on its own connection (no buffer, header or answer shared across
// connections or requests), with busy polling on.
func TestLaneAttackAnswersStayWithTheirRequests(t *testing.T) {
	s := startServer(t, t.TempDir(), func(c *config.Config) { c.Server.BusyPoll = config.MaxBusyPoll })
	addr := strings.TrimPrefix(s.base, "http://")
	auth := "Authorization: " + basicHeader("root", "") + "\r\n"
	const conns, rounds, depth = 8, 30, 3
	var wg sync.WaitGroup
	for ci := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(ci), 7))
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
			br := bufio.NewReader(c)
			for r := range rounds {
				var want []string
				var out strings.Builder
				for d := range depth {
					tag := fmt.Sprintf("c%d-r%d-d%d-%s", ci, r, d, strings.Repeat("z", rng.IntN(6000)))
					if ci%4 == 3 && r == rounds/2 && d == 1 {
						// Handed to net/http from here on.
						out.WriteString("POST /v1/api/sql?x=1 HTTP/1.1\r\nHost: db\r\n" + auth + "Content-Type: application/json\r\n" +
							fmt.Sprintf("Content-Length: %d\r\n\r\n", len(`{"sql":"SELECT '`+tag+`'"}`)) + `{"sql":"SELECT '` + tag + `'"}`)
					} else {
						out.WriteString(sqlRequest(auth, "SELECT '"+tag+"'"))
					}
					want = append(want, tag)
				}
				b := []byte(out.String())
				for len(b) > 0 {
					n := len(b)
					switch rng.IntN(4) {
					case 0:
						n = 1
					case 1:
						n = 1 + rng.IntN(len(b))
					}
					if _, err := c.Write(b[:n]); err != nil {
						t.Error(err)
						return
					}
					b = b[n:]
				}
				for _, tag := range want {
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						t.Errorf("conn %d round %d: %v", ci, r, err)
						return
					}
					body, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != 200 || !strings.Contains(string(body), `[["`+tag+`"]]`) {
						t.Errorf("conn %d round %d: want %s, got HTTP %d %.300s %v", ci, r, tag[:min(len(tag), 20)], resp.StatusCode, body, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// A request pipelined behind one that asked to close the connection is
// never run: the lane answers the first and closes, as net/http does.
func TestLaneAttackNothingRunsAfterConnectionClose(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, "CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY)")
	auth := "Authorization: " + basicHeader("root", "") + "\r\n"
	insert := func(id int) string { return sqlRequest(auth, fmt.Sprintf("INSERT INTO app.t (id) VALUES (%d)", id)) }
	for _, tc := range []struct {
		name string
		req  string
	}{
		{"close", sqlRequest(auth+"Connection: close\r\n", "SELECT 1") + insert(1)},
		{"close token in a list", sqlRequest(auth+"Connection: keep-alive, Close\r\n", "SELECT 1") + insert(2)},
		{"close on a handed-off request", strings.Replace(sqlRequest(auth+"Connection: close\r\n", "SELECT 1"), "/v1/api/sql", "/v1/api/sql?h=1", 1) + insert(3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rawAnswers(t, s, tc.req)
			if len(got) > 1 {
				t.Fatalf("answers %q, want only the first", got)
			}
		})
	}
	if r := s.ok(root, "SELECT COUNT(*) FROM app.t").rows(t); r != "[[0]]" {
		t.Fatalf("rows inserted behind a closing request: %s", r)
	}
}

// A client that hangs up while its statement runs cancels it, on a kept
// lane connection too (behind a first request, with busy polling on):
// the statement, which would run for many minutes, ends, and the server
// has no request in flight. Statement timeouts are an hour: only the
// client's departure can end it.
func TestLaneAttackHangUpCancelsTheStatement(t *testing.T) {
	s := startServer(t, t.TempDir(), func(c *config.Config) {
		c.Limits.StatementTimeout = time.Hour
		c.Limits.StatementTimeoutUser = time.Hour
		c.Limits.StatementTimeoutService = time.Hour
		c.Limits.StatementTimeoutDBA = time.Hour
	})
	s.ok(root, "CREATE NAMESPACE app; CREATE SHARED TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT)")
	for i := range 5 { // seconds of regexp work per row
		s.ok(root, "INSERT INTO app.notes VALUES ($1, repeat('ab', 800000))", i)
	}
	inFlight := func() float64 { return s.metric("kalamdb_http_requests_in_flight") }
	idle := inFlight() // the metrics request itself, if it counts
	auth := "Authorization: " + basicHeader("root", "") + "\r\n"
	for _, first := range []bool{false, true} {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		if first {
			io.WriteString(c, sqlRequest(auth, "SELECT 1"))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		io.WriteString(c, sqlRequest(auth, "SELECT COUNT(*) FROM app.notes WHERE regexp_count(body, '(a|b|ab|ba){999}') > 0"))
		for inFlight() <= idle {
			time.Sleep(time.Millisecond) // a condition: the statement is running
		}
		c.Close()
		for inFlight() > idle {
			time.Sleep(10 * time.Millisecond) // a condition; the test's own timeout bounds it
		}
	}
}
