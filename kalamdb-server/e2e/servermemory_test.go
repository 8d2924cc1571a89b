package e2e_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// TestServerMemoryBoundsUnreadAnswers: answers waiting for clients that do
// not read them hold their rows and their encoding, and every one is
// within its own limit. Together they are bounded by
// limits.server_memory_bytes: past it a request is refused with 429
// RATE_LIMIT_EXCEEDED and a Retry-After, changes nothing, and small
// requests still run; once the clients go away the memory is given back
// and the same request succeeds.
func TestServerMemoryBoundsUnreadAnswers(t *testing.T) {
	const mib = 1 << 20
	s := blobMemoryServer(t, func(c *config.Config) { c.Limits.ServerMemoryBytes = 57 * mib })
	s.ok(root, `CREATE NAMESPACE app; CREATE SHARED TABLE app.blobs (id INT PRIMARY KEY, b TEXT);
		CREATE SHARED TABLE app.copy (id INT PRIMARY KEY, b TEXT)`)
	insertBlobs(s)
	waitReserved := func(what string, done func(float64) bool) {
		t.Helper()
		s.waitMetric(t, "kalamdb_memory_reserved_bytes", what, done)
	}
	if v := s.metric("kalamdb_memory_limit_bytes"); v != 57*mib {
		t.Fatalf("kalamdb_memory_limit_bytes %.0f, want %d", v, 57*mib)
	}
	// refused runs sql, which must be refused for the server's memory
	// (the answer is not printed: it may be 12 MB).
	refused := func(sql string) *response {
		t.Helper()
		r := s.sql(root, sql)
		if r.httpStatus != http.StatusTooManyRequests || r.Error == nil || r.Error.Code != "RATE_LIMIT_EXCEEDED" {
			t.Fatalf("%s: HTTP %d %.300s, want 429 RATE_LIMIT_EXCEEDED", sql, r.httpStatus, r.raw)
		}
		return r
	}

	// Two clients ask for the 12 MB of values and read nothing: each
	// answer's rows and encoding, ~24 MB, stay reserved while the server
	// waits to write.
	var stalled []net.Conn
	for i := 1; i <= 2; i++ {
		c := unreadAnswer(t, s, root, "SELECT b FROM app.blobs")
		stalled = append(stalled, c)
		n := float64(i)
		waitReserved(fmt.Sprintf("%d unread answers", i), func(v float64) bool { return v >= n*24e6 })
	}
	// A third answer's rows would take the total past 57 MiB (answers are
	// counted, never refused: their rows were reserved as they were read).
	r := refused("SELECT b FROM app.blobs")
	if !strings.Contains(r.Error.Message, "server_memory_bytes") || r.header.Get("Retry-After") != "1" {
		t.Fatalf("refusal: %s, Retry-After %q", r.Error.Message, r.header.Get("Retry-After"))
	}
	// So would the 20 MB an INSERT ... SELECT of 10 MB holds until its
	// commit (values and their encoding); it writes nothing.
	const copyHalf = "INSERT INTO app.copy SELECT id, b FROM app.blobs WHERE id < 50"
	refused(copyHalf)
	if got := s.ok(root, "SELECT count(*) FROM app.copy").rows(t); got != "[[0]]" {
		t.Fatalf("the refused INSERT wrote: %s", got)
	}
	// Small requests run.
	if got := s.ok(root, "SELECT count(*), sum(length(b)) FROM app.blobs").rows(t); got != "[[60,12000000]]" {
		t.Fatalf("small request: %s", got)
	}
	if v := s.metric("kalamdb_memory_refusals_total"); v < 2 {
		t.Fatalf("kalamdb_memory_refusals_total %.0f, want at least 2", v)
	}

	// The clients go away: their answers' memory comes back.
	for _, c := range stalled {
		c.Close()
	}
	waitReserved("after the clients left", func(v float64) bool { return v == 0 })
	if got := len(s.ok(root, "SELECT b FROM app.blobs").Results[0].Rows); got != 60 {
		t.Fatalf("after the memory came back: %d rows", got)
	}
	s.ok(root, copyHalf)
	waitReserved("idle", func(v float64) bool { return v == 0 })
}

// blobMemoryServer is a server for 12 MB answers (insertBlobs): one
// request at its limits (24 MiB of statement memory, twice 16 MiB of
// result, a 1 MiB body) needs 57 MiB; mutate sets the memory bounds.
// Answers may wait ten minutes for a client that does not read them.
func blobMemoryServer(t *testing.T, mutate func(*config.Config)) *server {
	t.Helper()
	const mib = 1 << 20
	return startServer(t, t.TempDir(), func(c *config.Config) {
		c.Limits.StatementMemoryBytes = 24 * mib
		c.Limits.MaxResultBytes = 16 * mib
		c.Server.MaxBodyBytes = mib
		c.Limits.MaxSQLBytes = mib
		c.Server.WriteTimeout = 10 * time.Minute
	}, mutate)
}

// insertBlobs fills app.blobs with 60 rows of 200,000 bytes: 12 MB.
func insertBlobs(s *server) {
	for i := 0; i < 60; i += 10 {
		var vals []string
		for j := i; j < i+10; j++ {
			vals = append(vals, fmt.Sprintf("(%d, repeat('x', 200000))", j))
		}
		s.ok(root, "INSERT INTO app.blobs VALUES "+strings.Join(vals, ", "))
	}
}

// unreadAnswer sends sql as c on a connection with a small receive buffer
// and never reads the answer.
func unreadAnswer(t *testing.T, s *server, c creds, sql string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.TCPConn).SetReadBuffer(4096)
	body, _ := json.Marshal(map[string]string{"sql": sql})
	req := fmt.Sprintf("POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Basic %s\r\nContent-Length: %d\r\n\r\n%s",
		base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.password)), len(body), body)
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// mallorysShareNearlyFull starts a blobMemoryServer whose users each get
// a 57 MiB share of 200 MiB (mutate, when set, changes more), with users
// mallory and alice and a PUBLIC app.blobs of 12 MB, and leaves two 12 MB
// answers of mallory's unread: ~48 MB of her share (leaveUnread). It
// returns the connections of the unread answers.
func mallorysShareNearlyFull(t *testing.T, mutate func(*config.Config)) (*server, []net.Conn) {
	t.Helper()
	const mib = 1 << 20
	s := blobMemoryServer(t, func(c *config.Config) {
		c.Limits.ServerMemoryBytes = 200 * mib
		c.Limits.UserMemoryBytes = 57 * mib
		if mutate != nil {
			mutate(c)
		}
	})
	s.ok(root, `CREATE NAMESPACE app; CREATE SHARED TABLE app.blobs (id INT PRIMARY KEY, b TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
		CREATE USER 'mallory' WITH PASSWORD 'm-pw' ROLE user; CREATE USER 'alice' WITH PASSWORD 'a-pw' ROLE user`)
	insertBlobs(s)
	s.ok(basic("mallory", "m-pw"), "SELECT 1") // signs in once: concurrent checks of one password are refused
	return s, leaveUnread(t, s, 2)
}

// leaveUnread has mallory leave n more 12 MB answers unread (24 MB of her
// share each, rows and encoded answer) and returns their connections.
func leaveUnread(t *testing.T, s *server, n int) []net.Conn {
	t.Helper()
	var unread []net.Conn
	before := s.metric("kalamdb_memory_reserved_bytes")
	for i := 1; i <= n; i++ {
		unread = append(unread, unreadAnswer(t, s, basic("mallory", "m-pw"), "SELECT b FROM app.blobs"))
		want := before + float64(i)*24e6
		s.waitMetric(t, "kalamdb_memory_reserved_bytes", "mallory's unread answers", func(v float64) bool { return v >= want })
	}
	return unread
}

// One user's requests hold at most their share of the server's memory
// (limits.user_memory_bytes): past it that user is refused, naming the
// share, while another user's request of the same size runs.
func TestOneUserCannotTakeTheServersMemory(t *testing.T) {
	s, _ := mallorysShareNearlyFull(t, nil)
	mallory, alice := basic("mallory", "m-pw"), basic("alice", "a-pw")
	r := s.sql(mallory, "SELECT b FROM app.blobs")
	if r.httpStatus != http.StatusTooManyRequests || r.Error == nil || !strings.Contains(r.Error.Message, "user_memory_bytes") {
		t.Fatalf("mallory's third answer: HTTP %d %.300s, want 429 naming user_memory_bytes", r.httpStatus, r.raw)
	}
	if got := len(s.ok(alice, "SELECT b FROM app.blobs").Results[0].Rows); got != 60 {
		t.Fatalf("alice's answer while mallory holds her share: %d rows", got)
	}
}
