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
