package e2e_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// keepAlive is a client's keep-alive connection, spoken to in raw HTTP/1.1
// so that the test decides exactly which connection each request uses.
type keepAlive struct {
	t  *testing.T
	c  net.Conn
	rd *bufio.Reader
}

func (s *server) keepAlive(t *testing.T) *keepAlive {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &keepAlive{t: t, c: c, rd: bufio.NewReader(c)}
}

// sql posts a statement as user:password and returns the answer's status,
// body and whether the server closes the connection after it (an error
// when the connection was closed before an answer).
func (k *keepAlive) sql(user, password, stmt string) (int, string, bool, error) {
	body := fmt.Sprintf(`{"sql":%q}`, stmt)
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	_ = k.c.SetDeadline(time.Now().Add(wsWait))
	if _, err := fmt.Fprintf(k.c, "POST /v1/api/sql HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		auth, len(body), body); err != nil {
		return 0, "", false, err
	}
	resp, err := http.ReadResponse(k.rd, nil)
	if err != nil {
		return 0, "", false, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp.Close, err
}

// The review's lock-out: one user opened 4,096 authenticated keep-alive
// connections and /health and everyone else's logins got EOF. One user
// holds at most server.max_connections_per_user connections (WebSockets
// included); past it a request is refused with 429 RATE_LIMIT_EXCEEDED and
// its connection closed, and other users and /health are unaffected.
func TestOneUserCannotTakeEveryConnection(t *testing.T) {
	s := startServer(t, t.TempDir(), func(c *config.Config) {
		c.Server.MaxConnections = 40
		c.Server.MaxUnauthenticatedConnections = 10
		c.Server.MaxConnectionsPerUser = 6
	})
	s.ok(root, `CREATE USER 'mallory' WITH PASSWORD 'pw-m' ROLE user; CREATE USER 'bob' WITH PASSWORD 'pw-b' ROLE user`)
	var held []*keepAlive
	for range 6 {
		k := s.keepAlive(t)
		if status, body, _, err := k.sql("mallory", "pw-m", "SELECT 1"); err != nil || status != http.StatusOK {
			t.Fatalf("mallory's connection: %d %s %v", status, body, err)
		}
		held = append(held, k)
	}
	extra := s.keepAlive(t)
	status, body, closes, err := extra.sql("mallory", "pw-m", "SELECT 1")
	if err != nil || status != http.StatusTooManyRequests || !closes ||
		!strings.Contains(body, "RATE_LIMIT_EXCEEDED") || !strings.Contains(body, "max_connections_per_user") {
		t.Fatalf("mallory's 7th connection: %d %s close=%v %v", status, body, closes, err)
	}
	// A WebSocket is a connection too.
	ws := s.dialWS(t)
	ws.send(map[string]any{"type": "authenticate", "method": "basic", "username": "mallory", "password": "pw-m"})
	if m := ws.recv(); m.Type != "auth_error" || !strings.Contains(m.Message, "max_connections_per_user") {
		t.Fatalf("mallory's WebSocket: %s", m.raw)
	}
	// Everyone else is served.
	if h := s.do(http.MethodGet, "/health", nil, nil); h.httpStatus != http.StatusOK {
		t.Fatalf("/health: %s", h)
	}
	s.ok(basic("bob", "pw-b"), "SELECT 1")
	bobWS := s.loginWS(t, "bob", "pw-b")
	bobWS.c.CloseNow()
	// A connection mallory closes is hers to use again.
	held[0].c.Close()
	eventually(t, "a slot freed by a closed connection", func() bool {
		status, _, _, err := s.keepAlive(t).sql("mallory", "pw-m", "SELECT 1")
		return err == nil && status == http.StatusOK
	})
}

// When every slot is taken by authenticated keep-alive connections idle
// between requests, a new client gets one: the connection idle the
// longest is closed for it (its client reconnects when it needs to). So
// /health and logins work even while one user, or many, hold every slot.
func TestIdleConnectionsMakeRoom(t *testing.T) {
	s := startServer(t, t.TempDir(), func(c *config.Config) {
		c.Server.MaxConnections = 16
		c.Server.MaxUnauthenticatedConnections = 4
		c.Server.MaxConnectionsPerUser = 0
	})
	s.ok(root, `CREATE USER 'mallory' WITH PASSWORD 'pw-m' ROLE user; CREATE USER 'bob' WITH PASSWORD 'pw-b' ROLE user`)
	opened := 0
	for ; opened < 40; opened++ {
		if status, _, _, err := s.keepAlive(t).sql("mallory", "pw-m", "SELECT 1"); err != nil || status != http.StatusOK {
			t.Fatalf("mallory's connection %d: %d %v", opened, status, err)
		}
	}
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for range 5 {
		resp, err := fresh.Get(s.base + "/health")
		if err != nil {
			t.Fatalf("/health with every slot held: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/health: %d", resp.StatusCode)
		}
		resp, err = fresh.Post(s.base+"/v1/api/auth/login", "application/json", strings.NewReader(`{"user":"bob","password":"pw-b"}`))
		if err != nil {
			t.Fatalf("bob's login with every slot held: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("login: %d", resp.StatusCode)
		}
	}
}
