package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// The console's cookie session over plain HTTP, as a browser would use it
// (the browser tests drive the same through the page).

// consoleSession signs user in as the console does and returns the
// Cookie header to send and the CSRF token.
func (s *server) consoleSession(t *testing.T, user, password string) (cookie, csrf string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.base+"/v1/api/auth/login",
		strings.NewReader(`{"user":"`+user+`","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-KalamDB-Session", "cookie")
	req.Header.Set("Origin", s.base)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("console login: %d %s", resp.StatusCode, raw)
	}
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "kalamdb_session" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" || body.CSRF == "" {
		t.Fatalf("no session: %s %v", raw, resp.Cookies())
	}
	return cookie, body.CSRF
}

// dialCookie opens a socket with the session cookie, from origin, and
// authenticates by cookie with csrf; it returns the first answer.
func (s *server) dialCookie(t *testing.T, cookie, origin, csrf string) *wsMsg {
	t.Helper()
	h := http.Header{"Cookie": {cookie}}
	if origin != "" {
		h.Set("Origin", origin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.base, "http")+"/v1/ws", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	wc := &wsClient{t: t, c: c}
	wc.send(map[string]any{"type": "authenticate", "method": "cookie", "token": csrf})
	return wc.recv()
}

func TestConsoleSessionOverHTTPAndWebSocket(t *testing.T) {
	s := startServer(t, t.TempDir(), func(c *config.Config) { c.Auth.RootPassword = "root-pw" })
	rootPw := basic("root", "root-pw")
	s.ok(rootPw, "CREATE USER 'dana' WITH PASSWORD 'dana-pw' ROLE dba")
	cookie, csrf := s.consoleSession(t, "dana", "dana-pw")

	// SQL by cookie: with the CSRF token it runs as dana; without, nothing
	// runs.
	post := func(headers map[string]string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, s.base+"/v1/api/sql", strings.NewReader(`{"sql":"CREATE NAMESPACE IF NOT EXISTS made_by_cookie"}`))
		req.Header.Set("Cookie", cookie)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	if code, body := post(map[string]string{"Origin": "http://evil.example"}); code != http.StatusForbidden {
		t.Fatalf("cookie without CSRF token: %d %s", code, body)
	}
	if r := s.ok(rootPw, "SELECT count(*) FROM system.namespaces WHERE namespace_id = 'made_by_cookie'"); r.rows(t) != "[[0]]" {
		t.Fatalf("a refused cookie request changed something: %s", r)
	}
	if code, body := post(map[string]string{"X-KalamDB-CSRF": csrf, "Origin": s.base}); code != http.StatusOK || !strings.Contains(body, `"as_user":"dana"`) {
		t.Fatalf("cookie with CSRF token: %d %s", code, body)
	}

	// The socket: the cookie of a page of this origin, and the CSRF token.
	if m := s.dialCookie(t, cookie, s.base, csrf); m.Type != "auth_success" || m.Role != "dba" {
		t.Fatalf("cookie socket: %s", m.raw)
	}
	for name, c := range map[string]struct{ origin, csrf string }{
		"wrong token":  {s.base, csrf + "x"},
		"no token":     {s.base, ""},
		"other origin": {"http://evil.example", csrf},
		"no origin":    {"", csrf},
	} {
		if m := s.dialCookie(t, cookie, c.origin, c.csrf); m.Type != "auth_error" {
			t.Fatalf("%s: %s", name, m.raw)
		}
	}

	// A user-role account gets no console session.
	s.ok(rootPw, "CREATE USER 'ursula' WITH PASSWORD 'ursula-pw' ROLE user")
	req, _ := http.NewRequest(http.MethodPost, s.base+"/v1/api/auth/login", strings.NewReader(`{"user":"ursula","password":"ursula-pw"}`))
	req.Header.Set("X-KalamDB-Session", "cookie")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Fatalf("user-role console login: %d %v", resp.StatusCode, resp.Cookies())
	}
}

func TestSetupStatusIsLoopbackOnly(t *testing.T) {
	s := startServer(t, t.TempDir())
	if r := s.do(http.MethodGet, "/v1/api/auth/status", nil, nil); !strings.Contains(r.raw, `"needs_setup":true`) {
		t.Fatalf("status: %s", r)
	}
	r := s.do(http.MethodPost, "/v1/api/auth/setup", nil, map[string]string{"user": "admin", "password": "a", "root_password": "r"})
	if r.httpStatus != http.StatusOK {
		t.Fatalf("setup: %s", r)
	}
	// Root now has a password: no more password-less root, no second set-up.
	s.fail(root, http.StatusUnauthorized, "UNAUTHORIZED", "SELECT 1")
	s.ok(basic("root", "r"), "SELECT 1")
	if r := s.ok(basic("admin", "a"), "SELECT role FROM system.users WHERE username = 'admin'"); r.rows(t) != `[["dba"]]` {
		t.Fatalf("set-up user: %s", r)
	}
	r = s.do(http.MethodPost, "/v1/api/auth/setup", nil, map[string]string{"user": "admin2", "password": "a", "root_password": "r2"})
	checkError(t, r, http.StatusConflict, "ALREADY_EXISTS", "second setup")
	// Survives a restart.
	s = s.restart()
	s.ok(basic("admin", "a"), "SELECT 1")
}
