package e2e_test

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// smallMemoryServer is a server whose memory account is as small as the
// configuration allows: one request at its limits (1 MiB of statement
// memory, twice 1 MiB of result, a 1 MiB body) fits exactly.
func smallMemoryServer(t *testing.T, mutate ...func(*config.Config)) *server {
	t.Helper()
	const mib = 1 << 20
	return startServer(t, t.TempDir(), append([]func(*config.Config){func(c *config.Config) {
		c.Limits.MaxValueBytes = mib
		c.Limits.StatementMemoryBytes = mib
		c.Limits.MaxResultBytes = mib
		c.Server.MaxBodyBytes = mib
		c.Limits.MaxSQLBytes = mib
		c.Limits.ServerMemoryBytes = 4 * mib
		c.Server.ReadBodyTimeout = 10 * time.Minute
		c.Server.WriteTimeout = 10 * time.Minute
	}}, mutate...)...)
}

// declareBody opens a connection that sends, as c, the head of a SQL
// request declaring an n-byte body, and never sends the body.
func declareBody(t *testing.T, s *server, c creds, n int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprintf("POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Basic %s\r\nContent-Length: %d\r\n\r\n",
		base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.password)), n)
	if _, err := conn.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// waitMetric waits (a minute at most) until done accepts the metric.
func (s *server) waitMetric(t *testing.T, name, what string, done func(float64) bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; {
		v := s.metric(name)
		if done(v) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s stayed %.0f", what, name, v)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// One user, within their own connection limit, sends only the heads of
// SQL requests that declare the largest body allowed and never sends the
// bodies. A body counts in the server's account once it has arrived, so
// the heads (~200 bytes each) hold nothing, and another user's request
// runs. (When bodies were reserved by their declared length, a handful of
// heads filled the account: with the defaults, 2.5 GiB per user.)
func TestDeclaredBodiesOfOneUserDoNotStarveOthers(t *testing.T) {
	const mib = 1 << 20
	s := smallMemoryServer(t, func(c *config.Config) { c.Server.MaxConnectionsPerUser = 8 })
	s.ok(root, "CREATE USER 'mallory' WITH PASSWORD 'm-pw' ROLE user; CREATE USER 'alice' WITH PASSWORD 'a-pw' ROLE user")
	mallory, alice := basic("mallory", "m-pw"), basic("alice", "a-pw")
	s.ok(alice, "SELECT 1")
	// Half of mallory's connections, each only a request head, one after
	// the other (concurrent checks of one password are refused), each
	// being served (the scrape counts itself) before the next.
	for i := 1; i <= 4; i++ {
		declareBody(t, s, mallory, mib)
		s.waitMetric(t, "kalamdb_http_requests_in_flight", "request heads", func(v float64) bool { return v >= float64(i+1) })
	}
	// ...and, as the server works now, have each reserved a body; a
	// server that reserves nothing for them never gets there, which is
	// not a failure: the wait only lets the heads settle.
	for settle := time.Now().Add(2 * time.Second); time.Now().Before(settle) && s.metric("kalamdb_memory_reserved_bytes") < 4*mib; {
		time.Sleep(10 * time.Millisecond)
	}
	if r := s.sql(alice, "SELECT 1"); r.httpStatus != http.StatusOK {
		t.Fatalf("another user's SELECT 1 while one user holds 4 request heads (no body bytes sent): %s", r)
	}
}

// A batch of 300 one-row point lookups, a few KB of answer and within
// every limit of a request, fits an idle server whose account holds "one
// request at its limits": a result reserves its first row as it is, and
// what a statement reserved beyond its rows goes back when it ends. (When
// every result reserved at least 16 KiB, this batch reserved 4.8 MB and
// was refused every time.)
func TestSmallResultsOfABatchFitAnIdleServer(t *testing.T) {
	s := smallMemoryServer(t)
	s.ok(root, "CREATE NAMESPACE app; CREATE SHARED TABLE app.kv (id INT PRIMARY KEY, v INT); INSERT INTO app.kv VALUES (1, 10)")
	s.waitMetric(t, "kalamdb_memory_reserved_bytes", "idle", func(v float64) bool { return v == 0 })
	r := s.sql(root, strings.Repeat("SELECT v FROM app.kv WHERE id = 1;", 300))
	if r.httpStatus != http.StatusOK {
		t.Fatalf("300 one-row lookups on an idle server (refused for good: a retry reserves the same): %.300s", r.raw)
	}
}

// An answer can be several times its rows as max_result_bytes counts
// them (JSON writes a control character as six bytes, \u0001): two 400 KB
// values answer 4.8 MB. The answer is counted in the server's account but
// never refused (its rows were reserved as they were read, and its
// statements have committed), so it is answered on an idle server whose
// account is the smallest allowed.
func TestAnAnswerWithinItsLimitsFitsAnIdleServer(t *testing.T) {
	s := smallMemoryServer(t)
	s.ok(root, "CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY, b TEXT); INSERT INTO app.t VALUES (1, repeat(chr(1), 400000))")
	s.ok(root, "INSERT INTO app.t VALUES (2, repeat(chr(1), 400000))")
	s.waitMetric(t, "kalamdb_memory_reserved_bytes", "idle", func(v float64) bool { return v == 0 })
	if r := s.sql(root, "SELECT b FROM app.t"); r.httpStatus != http.StatusOK {
		t.Fatalf("800 KB of values (max_result_bytes 1 MiB) on an idle server: %.300s", r.raw)
	}
}

// A subscriber that reads nothing while changes keep coming is closed
// with 1013 (try again later) once its send queue cannot grow within the
// server's account, and what it held comes back.
func TestSubscriberThatFallsBehindIsClosedWithTryAgainLater(t *testing.T) {
	s := smallMemoryServer(t)
	s.ok(root, "CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY, b TEXT); CREATE USER 'dana' WITH PASSWORD 'd-pw' ROLE dba")
	c := s.loginWS(t, "dana", "d-pw")
	c.subscribeAll("m", "SELECT id, b FROM app.t", nil)
	// Until the account refuses something: the subscriber's queue (cut
	// off) or an INSERT.
	refused := 0
	for i := 1; i <= 2000 && refused == 0; i++ {
		r := s.sql(root, fmt.Sprintf("INSERT INTO app.t VALUES (%d, repeat('x', 200000))", i))
		switch r.httpStatus {
		case http.StatusOK:
		case http.StatusTooManyRequests:
			refused = i
		default:
			t.Fatalf("insert %d: %s", i, r)
		}
		if s.metric("kalamdb_memory_refusals_total") > 0 {
			refused = i
		}
	}
	code, reason := c.closed()
	if code != 1013 || !strings.Contains(reason, "server_memory_bytes") {
		t.Fatalf("closed with %d %q (first refused insert: %d), want 1013 naming server_memory_bytes", code, reason, refused)
	}
	s.waitMetric(t, "kalamdb_memory_reserved_bytes", "after the close", func(v float64) bool { return v == 0 })
}
