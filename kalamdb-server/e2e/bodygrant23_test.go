package e2e_test

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// With a body limit of 1 GiB, clients declaring 1 GiB bodies and sending
// a few bytes made the server allocate the declared length for each of
// them (the request's buffer was grown to Content-Length before a byte
// was read or reserved). Now the buffer grows as the bytes arrive, each
// growth reserved first: four such requests hold (and reserve) a few
// hundred bytes, the Go heap stays far from 4 GiB, another user's request
// runs, and once the clients are gone nothing stays reserved.
func TestDeclaredHugeBodiesAllocateOnlyWhatArrives(t *testing.T) {
	const gib = 1 << 30
	s := startServer(t, t.TempDir(), func(c *config.Config) {
		c.Server.MaxBodyBytes = gib
		c.Server.MaxConnectionsPerUser = 8
		c.Server.ReadBodyTimeout = 10 * time.Minute
	})
	s.ok(root, "CREATE USER 'mallory' WITH PASSWORD 'm-pw' ROLE user; CREATE USER 'alice' WITH PASSWORD 'a-pw' ROLE user")
	mallory, alice := basic("mallory", "m-pw"), basic("alice", "a-pw")
	s.ok(alice, "SELECT 1")
	const sent = `{"sql":"SELECT 1", `
	var conns []net.Conn
	for i := 1; i <= 4; i++ {
		conn := declareBody(t, s, mallory, gib)
		conns = append(conns, conn)
		if _, err := conn.Write([]byte(sent)); err != nil {
			t.Fatal(err)
		}
		s.waitMetric(t, "kalamdb_http_requests_in_flight", "declared bodies", func(v float64) bool { return v >= float64(i+1) })
		if i == 4 {
			// The last one goes away early.
			conn.Close()
		}
	}
	// Each body's bytes land in a pooled buffer (64 KiB at most) or in
	// buffers reserved before they grow. The requests are past their
	// heads but their handlers may still be checking the password, so
	// the bounds are checked for a while.
	for settle := time.Now().Add(3 * time.Second); time.Now().Before(settle); time.Sleep(50 * time.Millisecond) {
		if got := s.metric("kalamdb_memory_reserved_bytes"); got > 4*(64<<10) {
			t.Fatalf("four bodies of %d bytes that arrived hold %.0f bytes of the account", len(sent), got)
		}
		if got := s.metric("go_memstats_alloc_bytes"); got > gib/2 {
			t.Fatalf("with four 1 GiB bodies declared and %d bytes of each sent, the Go heap holds %.0f bytes", len(sent), got)
		}
	}
	if r := s.sql(alice, "SELECT 1"); r.httpStatus != http.StatusOK {
		t.Fatalf("another user's SELECT 1 while one holds declared bodies: %s", r)
	}
	for _, c := range conns {
		c.Close()
	}
	s.waitMetric(t, "kalamdb_memory_reserved_bytes", "once the clients are gone", func(v float64) bool { return v == 0 })
}
