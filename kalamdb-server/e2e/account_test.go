package e2e_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// Account safety, as an attacker would try it over HTTP and WebSocket.

// tokens is the answer of login and refresh.
type tokens struct {
	User struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	} `json:"user"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

func (s *server) login(t *testing.T, user, password string) tokens {
	t.Helper()
	r := s.do(http.MethodPost, "/v1/api/auth/login", nil, map[string]string{"user": user, "password": password})
	if r.httpStatus != http.StatusOK {
		t.Fatalf("login %s: %s", user, r)
	}
	return decodeTokens(t, r)
}

func decodeTokens(t *testing.T, r *response) tokens {
	t.Helper()
	var tk tokens
	if err := json.Unmarshal([]byte(r.raw), &tk); err != nil || tk.AccessToken == "" {
		t.Fatalf("token answer %s: %v", r.raw, err)
	}
	return tk
}

func (s *server) refresh(token string) *response {
	s.t.Helper()
	return s.do(http.MethodPost, "/v1/api/auth/refresh", &creds{bearer: token}, nil)
}

// wsAuthJWT opens a socket, authenticates with an access token and
// returns the first answer.
func (s *server) wsAuthJWT(t *testing.T, token string) (*wsClient, *wsMsg) {
	t.Helper()
	c := s.dialWS(t)
	c.send(map[string]any{"type": "authenticate", "method": "jwt", "token": token})
	return c, c.recv()
}

func accountServer(t *testing.T, mutate ...func(*config.Config)) *server {
	s := startServer(t, t.TempDir(), mutate...)
	s.ok(root, `CREATE NAMESPACE app;
		CREATE TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'bob-pw' ROLE dba;
		CREATE USER 'svc' WITH PASSWORD 'svc-pw' ROLE service`)
	return s
}

// Finding: a service took over a user's account with
// EXECUTE AS USER 'alice' (ALTER USER 'alice' SET PASSWORD '...').
func TestServiceCannotTakeOverAnAccount(t *testing.T) {
	s := accountServer(t)
	svc := basic("svc", "svc-pw")
	s.fail(svc, http.StatusForbidden, "PERMISSION_DENIED", "EXECUTE AS USER 'alice' (ALTER USER 'alice' SET PASSWORD 'owned')")
	s.fail(svc, http.StatusForbidden, "PERMISSION_DENIED", "EXECUTE AS USER 'alice' (DROP USER 'bob')")
	s.fail(root, http.StatusForbidden, "PERMISSION_DENIED", "EXECUTE AS USER 'bob' (CREATE USER 'mallory' WITH PASSWORD 'x' ROLE dba)")
	s.fail(basic("alice", "owned"), http.StatusUnauthorized, "UNAUTHORIZED", "SELECT 1")
	s.ok(basic("alice", "alice-pw"), "SELECT 1")
	// Acting on alice's data is what EXECUTE AS is for.
	r := s.ok(svc, "EXECUTE AS USER 'alice' (INSERT INTO app.notes VALUES (1, 'from svc'))")
	if r.Results[0].AsUser != "alice" {
		t.Fatalf("as_user: %s", r.raw)
	}
	if got := s.ok(basic("alice", "alice-pw"), "SELECT body FROM app.notes").rows(t); got != `[["from svc"]]` {
		t.Fatalf("alice's notes: %s", got)
	}
}

// Finding: after DROP USER 'carol' and CREATE USER 'carol', the new carol
// read the old carol's rows and the old carol's tokens worked again.
func TestRecreatedUserIsANewIdentity(t *testing.T) {
	s := accountServer(t)
	s.ok(root, "CREATE USER 'carol' WITH PASSWORD 'carol-pw' ROLE user")
	carol := basic("carol", "carol-pw")
	s.ok(carol, "INSERT INTO app.notes VALUES (1, 'old carol''s secret')")
	old := s.login(t, "carol", "carol-pw")
	oldID := s.userID("carol")
	if !strings.HasPrefix(oldID, "u_") || old.User.ID != oldID || old.User.Username != "carol" {
		t.Fatalf("carol's id %q, login user %+v", oldID, old.User)
	}

	s.ok(root, "DROP USER 'carol'")
	s.ok(root, "CREATE USER 'carol' WITH PASSWORD 'carol-pw' ROLE user")
	if newID := s.userID("carol"); newID == oldID {
		t.Fatalf("the new carol has the old id %s", oldID)
	}
	r := s.ok(carol, "SELECT count(*) FROM app.notes")
	if got := r.rows(t); got != `[[0]]` || r.Results[0].AsUser != "carol" {
		t.Fatalf("the new carol reads %s", r.raw)
	}
	s.fail(bearer(old.AccessToken), http.StatusUnauthorized, "UNAUTHORIZED", "SELECT * FROM app.notes")
	checkError(t, s.refresh(old.RefreshToken), http.StatusUnauthorized, "UNAUTHORIZED", "refresh with the old carol's token")
	if _, m := s.wsAuthJWT(t, old.AccessToken); m.Type != "auth_error" {
		t.Fatalf("websocket with the old carol's token: %s", m.raw)
	}
	// The new carol's own tokens work.
	fresh := s.login(t, "carol", "carol-pw")
	if got := s.ok(bearer(fresh.AccessToken), "SELECT count(*) FROM app.notes").rows(t); got != `[[0]]` {
		t.Fatalf("the new carol by token: %s", got)
	}
}

// Finding: tokens outlived a password change; the refresh token renewed
// forever and a WebSocket could reconnect with the old token.
func TestPasswordAndRoleChangesRevokeTokens(t *testing.T) {
	s := accountServer(t)
	alice := s.login(t, "alice", "alice-pw")
	ws, m := s.wsAuthJWT(t, alice.AccessToken)
	if m.Type != "auth_success" || m.UserID != s.userID("alice") {
		t.Fatalf("websocket before the change: %s", m.raw)
	}
	// A refresh before the change gives tokens that are revoked too.
	renewed := decodeTokens(t, s.refresh(alice.RefreshToken))

	// Changing one's own password needs the current one.
	s.fail(basic("alice", "alice-pw"), http.StatusForbidden, "PERMISSION_DENIED", "ALTER USER 'alice' SET PASSWORD 'alice-pw2'")
	s.fail(bearer(alice.AccessToken), http.StatusForbidden, "PERMISSION_DENIED",
		"ALTER USER 'alice' SET PASSWORD 'alice-pw2' CURRENT PASSWORD 'wrong'")
	s.ok(bearer(alice.AccessToken), "ALTER USER 'alice' SET PASSWORD 'alice-pw2' CURRENT PASSWORD 'alice-pw'")

	if code, _ := ws.closed(); code != websocket.StatusPolicyViolation {
		t.Fatalf("open socket closed with %d", code)
	}
	for name, tk := range map[string]tokens{"login": alice, "refreshed": renewed} {
		s.fail(bearer(tk.AccessToken), http.StatusUnauthorized, "UNAUTHORIZED", "SELECT 1")
		checkError(t, s.refresh(tk.RefreshToken), http.StatusUnauthorized, "UNAUTHORIZED", name+" refresh token after the change")
		if _, m := s.wsAuthJWT(t, tk.AccessToken); m.Type != "auth_error" {
			t.Fatalf("websocket with the %s token after the change: %s", name, m.raw)
		}
	}
	s.login(t, "alice", "alice-pw2")

	// A role change revokes as well.
	bob := s.login(t, "bob", "bob-pw")
	s.ok(bearer(bob.AccessToken), "SELECT 1")
	s.ok(root, "ALTER USER 'bob' SET ROLE service")
	s.fail(bearer(bob.AccessToken), http.StatusUnauthorized, "UNAUTHORIZED", "SELECT 1")
	checkError(t, s.refresh(bob.RefreshToken), http.StatusUnauthorized, "UNAUTHORIZED", "bob's refresh token after the role change")
	if _, m := s.wsAuthJWT(t, bob.AccessToken); m.Type != "auth_error" {
		t.Fatalf("websocket with bob's token after the role change: %s", m.raw)
	}
	// A dba resets someone else's password without theirs.
	s.ok(basic("root", ""), "ALTER USER 'alice' SET PASSWORD 'reset-pw'")
	s.login(t, "alice", "reset-pw")
}

// clientFrom is an HTTP client whose connections come from local address
// ip (any 127.0.0.0/8 address reaches the loopback listener on Linux), so
// one test can be several clients.
func clientFrom(t *testing.T, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func loginFrom(t *testing.T, s *server, c *http.Client, user, password string) (*http.Response, string) {
	t.Helper()
	body := fmt.Sprintf(`{"user":%q,"password":%q}`, user, password)
	resp, err := c.Post(s.base+"/v1/api/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// Finding: unlimited wrong passwords, each a bcrypt. Now a guessing client
// is locked out (429 with Retry-After, no bcrypt) on every way in, while
// the owner signs in from elsewhere.
func TestPasswordGuessingIsThrottled(t *testing.T) {
	// A long first lock keeps the test independent of how fast it runs.
	s := accountServer(t, func(c *config.Config) {
		c.Auth.LoginFailuresPerUserClient = 3
		c.Auth.LoginBackoff = time.Hour
		c.Auth.LoginMaxBackoff = 2 * time.Hour
		c.Auth.LoginMaxUserBackoff = time.Hour
	})
	attacker, owner := clientFrom(t, "127.0.0.1"), clientFrom(t, "127.0.0.2")
	for i := 0; i < 3; i++ {
		if resp, raw := loginFrom(t, s, attacker, "alice", fmt.Sprintf("guess%d", i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d %s", i, resp.StatusCode, raw)
		}
	}
	resp, raw := loginFrom(t, s, attacker, "alice", "guess3")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "3600" ||
		!strings.Contains(raw, `"RATE_LIMIT_EXCEEDED"`) {
		t.Fatalf("guess past the allowance: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), raw)
	}
	// Basic auth on the SQL endpoint and on /me, and WebSocket basic auth,
	// are the same door.
	checkError(t, s.sql(basic("alice", "guess4"), "SELECT 1"), http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", "Basic on /v1/api/sql")
	checkError(t, s.do(http.MethodGet, "/v1/api/auth/me", &creds{user: "alice", password: "guess5"}, nil),
		http.StatusTooManyRequests, "RATE_LIMIT_EXCEEDED", "Basic on /v1/api/auth/me")
	ws := s.dialWS(t)
	ws.send(map[string]any{"type": "authenticate", "method": "basic", "username": "alice", "password": "guess6"})
	if m := ws.recv(); m.Type != "auth_error" || !strings.Contains(m.Message, "too many failed sign-ins") {
		t.Fatalf("websocket basic auth while throttled: %s", m.raw)
	}
	// The owner, from another address, is not locked out.
	if resp, raw := loginFrom(t, s, owner, "alice", "alice-pw"); resp.StatusCode != http.StatusOK {
		t.Fatalf("owner from another address: %d %s", resp.StatusCode, raw)
	}
}

// jwtWith signs a token with the server's secret around payload, as
// whoever holds the secret (or a bug minting tokens) could.
func jwtWith(secret, payload string) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(m.Sum(nil))
}

// Finding: a JWT with a string exp was accepted; a body with two "sql"
// keys ran the last.
func TestLooseInputIsRefused(t *testing.T) {
	s := accountServer(t)
	now := time.Now().Unix()
	claims := func(exp string) string {
		return fmt.Sprintf(`{"iss":"kalamdb","sub":"root","role":"system","typ":"access","cv":0,"auth_time":%d,"iat":%d,"exp":%s}`, now-60, now-60, exp)
	}
	good := jwtWith(s.cfg.Auth.JWTSecret, claims(fmt.Sprint(now+3600)))
	s.ok(bearer(good), "SELECT 1") // the control: the secret and shape are right
	for name, exp := range map[string]string{
		"string": fmt.Sprintf(`"%d"`, now+3600), "float": fmt.Sprintf("%d.5", now+3600), "exponent": "1e10", "null": "null",
	} {
		s.fail(bearer(jwtWith(s.cfg.Auth.JWTSecret, claims(exp))), http.StatusUnauthorized, "UNAUTHORIZED", "SELECT 1 -- exp "+name)
	}

	r := s.do(http.MethodPost, "/v1/api/sql", &root, `{"sql":"SELECT 1","sql":"DROP USER 'alice'"}`)
	checkError(t, r, http.StatusBadRequest, "INVALID_INPUT", "two sql keys")
	s.ok(basic("alice", "alice-pw"), "SELECT 1") // alice was not dropped

	// On a WebSocket, an ambiguous message is a protocol error; the socket
	// stays usable.
	ws := s.dialWS(t)
	ws.sendRaw(websocket.MessageText, []byte(`{"type":"authenticate","method":"jwt","token":"x","token":"`+good+`"}`))
	if m := ws.recv(); m.Type != "error" || m.Code != "PROTOCOL" || !strings.Contains(m.Message, "duplicate key") {
		t.Fatalf("duplicate key on the socket: %s", m.raw)
	}
	ws.send(map[string]any{"type": "authenticate", "method": "jwt", "token": good})
	if m := ws.recv(); m.Type != "auth_success" {
		t.Fatalf("after the refused message: %s", m.raw)
	}
}

// CURRENT_USER() is the name (as in KalamDB), CURRENT_USER_ID() the id;
// system.users shows both.
func TestUserNameAndID(t *testing.T) {
	s := accountServer(t)
	id := s.userID("alice")
	got := s.ok(basic("alice", "alice-pw"), "SELECT CURRENT_USER(), CURRENT_USER_ID()").rows(t)
	if want := fmt.Sprintf(`[["alice",%q]]`, id); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	got = s.ok(basic("svc", "svc-pw"), "EXECUTE AS USER 'alice' (SELECT CURRENT_USER(), CURRENT_USER_ID())").rows(t)
	if want := fmt.Sprintf(`[["alice",%q]]`, id); got != want {
		t.Fatalf("as alice: got %s, want %s", got, want)
	}
	if got := s.ok(root, "SELECT user_id, username FROM system.users WHERE role = 'system'").rows(t); got != `[["root","root"]]` {
		t.Fatalf("root: %s", got)
	}
}

// The attack's look-alike: the Kelvin sign K (U+212A) in "\u212aice"
// signed in as, ran as and altered alice, because lookups folded case
// with Unicode rules. Only ASCII folds: the look-alike is an unknown name
// on every path, while ALICE is still alice.
func TestLookAlikeUserNamesAreOtherNames(t *testing.T) {
	s := accountServer(t)
	if r := s.do(http.MethodPost, "/v1/api/auth/login", nil, map[string]string{"user": "ALICE", "password": "alice-pw"}); r.httpStatus != http.StatusOK {
		t.Fatalf("ALICE: %s", r)
	}
	const kelvin = "\u212a"
	s.ok(root, "CREATE USER 'kim' WITH PASSWORD 'kim-pw-123' ROLE user")
	checkError(t, s.do(http.MethodPost, "/v1/api/auth/login", nil, map[string]string{"user": kelvin + "im", "password": "kim-pw-123"}),
		http.StatusUnauthorized, "UNAUTHORIZED", "login with the Kelvin sign")
	checkError(t, s.sql(basic(kelvin+"im", "kim-pw-123"), "SELECT 1"), http.StatusUnauthorized, "UNAUTHORIZED", "Basic auth with the Kelvin sign")
	s.fail(root, http.StatusNotFound, "NOT_FOUND", "EXECUTE AS USER '"+kelvin+"im' (SELECT CURRENT_USER())")
	s.fail(root, http.StatusNotFound, "NOT_FOUND", "ALTER USER '"+kelvin+"IM' SET ROLE dba")
	if got := s.ok(root, "SELECT role FROM system.users WHERE username = 'kim'").rows(t); got != `[["user"]]` {
		t.Fatalf("kim: %s", got)
	}
	if got := s.ok(root, "ALTER USER 'KIM' SET ROLE service").Results[0].Message; got != "User kim altered" {
		t.Fatalf("message: %q", got)
	}
	r := s.fail(root, http.StatusBadRequest, "INVALID_INPUT", "CREATE USER '"+s.userID("alice")+"' WITH PASSWORD 'x-pw-12345' ROLE user")
	if !strings.Contains(r.Error.Message, "reserved for user ids") {
		t.Fatalf("a name like an id: %s", r.Error.Message)
	}
}
