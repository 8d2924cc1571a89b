package auth

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// csrfOf is the CSRF token of the session a pair belongs to.
func csrfOf(t *testing.T, f *fixture, pair TokenPair) string {
	t.Helper()
	c, err := f.auth.CSRFOf(pair)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCSRFTokenBelongsToOneSession(t *testing.T) {
	f := newFixture(t)
	f.users.set(systable.User{UserID: "u_dora", Username: "dora", PasswordHash: hash(t, "pw-dora"), Role: systable.RoleDBA})
	_, first, err := f.auth.Login(bg(), "dora", "pw-dora", remote)
	if err != nil {
		t.Fatal(err)
	}
	token := csrfOf(t, f, first)

	// Refreshing keeps it: same session.
	f.clock.Advance(10 * time.Minute)
	r := httptest.NewRequest(http.MethodPost, "/v1/api/auth/refresh", nil)
	r.Header.Set("Authorization", "Bearer "+first.RefreshToken)
	_, renewed, err := f.auth.Refresh(r)
	if err != nil {
		t.Fatal(err)
	}
	if got := csrfOf(t, f, renewed); got != token {
		t.Fatalf("refresh changed the CSRF token: %q -> %q", token, got)
	}
	// A new sign-in is a new session with another token, and so is
	// another user's.
	f.clock.Advance(time.Second)
	_, second, _ := f.auth.Login(bg(), "dora", "pw-dora", remote)
	if csrfOf(t, f, second) == token {
		t.Fatal("two sign-ins share a CSRF token")
	}
	_, alice, _ := f.auth.Login(bg(), "alice", "pw-alice", remote)
	if csrfOf(t, f, alice) == token {
		t.Fatal("two users share a CSRF token")
	}
	// Another secret, another token for the same claims.
	other := newFixture(t, func(o *Options) { o.JWTSecret = []byte("another secret, also 32 bytes long!") })
	other.users.set(systable.User{UserID: "u_dora", Username: "dora", PasswordHash: hash(t, "pw-dora"), Role: systable.RoleDBA})
	_, otherPair, _ := other.auth.Login(bg(), "dora", "pw-dora", remote)
	if csrfOf(t, other, otherPair) == token {
		t.Fatal("the CSRF token does not depend on the secret")
	}

	// The WebSocket check: the right token and role only.
	if p, err := f.auth.CheckSessionToken(first.AccessToken, token, remote); err != nil || p.UserID != "u_dora" {
		t.Fatalf("socket with the session's token: %v", err)
	}
	for name, c := range map[string]string{"empty": "", "other session": csrfOf(t, f, second), "garbage": "x"} {
		if _, err := f.auth.CheckSessionToken(first.AccessToken, c, remote); !apierror.Is(err, apierror.PermissionDenied) {
			t.Fatalf("%s CSRF token: %v", name, err)
		}
	}
	if _, err := f.auth.CheckSessionToken(alice.AccessToken, csrfOf(t, f, alice), remote); !apierror.Is(err, apierror.PermissionDenied) {
		t.Fatalf("a user-role console socket: %v", err)
	}
	wantUnauthorized(t, func() error {
		_, err := f.auth.CheckSessionToken(first.RefreshToken, token, remote)
		return err
	}(), "a refresh token as the session cookie")
}

func TestSameOrigin(t *testing.T) {
	for _, c := range []struct {
		site, origin string
		ok           bool
	}{
		{"same-origin", "", true},
		{"none", "", true},
		{"same-site", "", false},
		{"cross-site", "http://db.example:8080", false},
		{"", "", true}, // not a browser: the CSRF token decides
		{"", "http://db.example:8080", true},
		{"", "http://DB.example:8080", true},
		{"", "http://db.example:3000", false},
		{"", "http://evil.example:8080", false},
		{"", "null", false},
	} {
		r := httptest.NewRequest(http.MethodPost, "http://db.example:8080/v1/api/sql", nil)
		if c.site != "" {
			r.Header.Set("Sec-Fetch-Site", c.site)
		}
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		err := CheckSameOrigin(r)
		if (err == nil) != c.ok {
			t.Errorf("Sec-Fetch-Site %q, Origin %q: %v, want ok=%v", c.site, c.origin, err, c.ok)
		}
		if err != nil && !apierror.Is(err, apierror.PermissionDenied) {
			t.Errorf("refusal is %v, want PERMISSION_DENIED", err)
		}
	}
}
