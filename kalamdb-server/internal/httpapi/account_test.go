package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/auth"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A body that names a key twice is ambiguous (this decoder keeps the last
// "sql", a proxy or an audit log may read the first): refused, and nothing
// runs.
func TestDuplicateKeysAreRefused(t *testing.T) {
	e := newEnv(t)
	for name, body := range map[string]string{
		"sql twice":              `{"sql":"SELECT 1","sql":"DROP USER 'alice'"}`,
		"namespace twice":        `{"sql":"SELECT 1","namespace_id":"a","namespace_id":"b"}`,
		"inside a param object":  `{"sql":"SELECT $1","params":[{"k":1,"k":2}]}`,
		"twice, same value":      `{"sql":"SELECT 1","sql":"SELECT 1"}`,
		"escaped spelling of it": `{"sql":"SELECT 1","s\u0071l":"DROP USER 'alice'"}`,
	} {
		w := e.sql(t, body)
		resp := wantError(t, w, http.StatusBadRequest, apierror.InvalidInput)
		if !strings.Contains(resp.Error.Message, "duplicate key") {
			t.Errorf("%s: message %q", name, resp.Error.Message)
		}
	}
	if n := len(e.exec.calls()); n != 0 {
		t.Fatalf("executor ran %d requests with ambiguous bodies", n)
	}
	w := e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"bob","user":"alice","password":"pw-alice"}`))
	wantError(t, w, http.StatusBadRequest, apierror.InvalidInput)
	// The same key in sibling objects is fine.
	if w := e.sql(t, `{"sql":"SELECT $1, $2","params":[{"k":1},{"k":2}]}`); w.Code != http.StatusOK {
		t.Fatalf("sibling objects: %d %s", w.Code, w.Body)
	}
}

// The executor learns the client's address (for throttling wrong current
// passwords).
func TestExecutorGetsTheClientAddress(t *testing.T) {
	e := newEnv(t)
	if w := e.sql(t, `{"sql":"SELECT 1"}`); w.Code != http.StatusOK {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if got := e.exec.calls()[0].ClientAddr; got != remoteAddr {
		t.Fatalf("ClientAddr %q, want %q", got, remoteAddr)
	}
}

// Guessing passwords gets 429 with Retry-After on every endpoint that
// takes a password, and the guesses stop costing bcrypts; other clients
// are not affected.
func TestThrottledPasswordsAnswer429(t *testing.T) {
	e := newEnvWithAuth(t, func(o *auth.Options) {
		o.Throttle = auth.ThrottleOptions{PerUserClient: 2, PerClient: 50, PerUser: 50, Backoff: 30 * time.Second,
			MaxBackoff: time.Hour, MaxUserBackoff: time.Minute, HalfLife: time.Hour}
	})
	login := func(body string, opts ...reqOpt) *http.Response {
		return e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(body), opts...).Result()
	}
	for i := 0; i < 2; i++ {
		if r := login(`{"user":"alice","password":"guess"}`); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, r.StatusCode)
		}
	}
	w := e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"alice","password":"guess"}`))
	resp := wantError(t, w, http.StatusTooManyRequests, apierror.RateLimitExceeded)
	if w.Header().Get("Retry-After") != "30" || !strings.Contains(string(resp.Error.Details), `"retry_after_ms":30000`) {
		t.Fatalf("Retry-After %q, details %s", w.Header().Get("Retry-After"), resp.Error.Details)
	}
	// Basic auth on the SQL endpoint and on /me is the same check.
	wantError(t, e.sql(t, `{"sql":"SELECT 1"}`), http.StatusTooManyRequests, apierror.RateLimitExceeded)
	wantError(t, e.do(t, http.MethodGet, "/v1/api/auth/me", nil, withAuth(basic("alice", "pw-alice"))),
		http.StatusTooManyRequests, apierror.RateLimitExceeded)
	// The victim elsewhere signs in.
	if r := login(`{"user":"alice","password":"pw-alice"}`, from("198.51.100.20:1")); r.StatusCode != http.StatusOK {
		t.Fatalf("victim from another address: %d", r.StatusCode)
	}
	e.clock.Advance(30 * time.Second)
	if r := login(`{"user":"alice","password":"pw-alice"}`); r.StatusCode != http.StatusOK {
		t.Fatalf("after the lock: %d", r.StatusCode)
	}
}

// Tokens issued before a password or role change are refused on every
// endpoint; a token refreshed from a revoked refresh token is never made.
func TestRevokedTokensAreRefused(t *testing.T) {
	e := newEnv(t)
	l := decodeLogin(t, e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"alice","password":"pw-alice"}`)))
	e.users.update("alice", func(u *systable.User) { u.CredentialVersion++ })
	wantError(t, e.sql(t, `{"sql":"SELECT 1"}`, withAuth("Bearer "+l.AccessToken)), http.StatusUnauthorized, apierror.Unauthorized)
	wantError(t, e.do(t, http.MethodGet, "/v1/api/auth/me", nil, withAuth("Bearer "+l.AccessToken)), http.StatusUnauthorized, apierror.Unauthorized)
	wantError(t, e.do(t, http.MethodPost, "/v1/api/auth/refresh", nil, withAuth("Bearer "+l.RefreshToken)), http.StatusUnauthorized, apierror.Unauthorized)
	// Signing in again gives working tokens.
	l = decodeLogin(t, e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"alice","password":"pw-alice"}`)))
	if w := e.sql(t, `{"sql":"SELECT 1"}`, withAuth("Bearer "+l.AccessToken)); w.Code != http.StatusOK {
		t.Fatalf("new token: %d %s", w.Code, w.Body)
	}
}
