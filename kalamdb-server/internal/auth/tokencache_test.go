package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// loginAlice signs alice in and returns her token pair.
func loginAlice(t *testing.T, f *fixture) TokenPair {
	t.Helper()
	_, pair, err := f.auth.Login(bg(), "alice", "pw-alice", remote)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

// A verified token is remembered: the same token again is not parsed
// again (the very same claims come back).
func TestVerifiedTokenIsCached(t *testing.T) {
	f := newFixture(t)
	pair := loginAlice(t, f)
	first, err := f.auth.Tokens().Verify(pair.AccessToken, AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := f.auth.Tokens().Verify(pair.AccessToken, AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if again != first {
			t.Fatal("the token was verified again instead of served from the cache")
		}
	}
	if n := f.auth.Tokens().verified.len(); n != 1 {
		t.Fatalf("cache holds %d tokens, want 1", n)
	}
}

// Revocation does not wait for a cached token to expire: a credential
// change (password or role: a new credential version), DROP USER, and the
// loopback rule of password-less root apply on the very next request.
func TestCachedTokenIsRevokedAtOnce(t *testing.T) {
	for name, change := range map[string]func(f *fixture){
		"password change": func(f *fixture) {
			setUser(f, "alice", func(u *systable.User) { u.PasswordHash = hash(t, "new"); u.CredentialVersion++ })
		},
		"role change": func(f *fixture) {
			setUser(f, "alice", func(u *systable.User) { u.Role = systable.RoleDBA; u.CredentialVersion++ })
		},
		"drop user": func(f *fixture) { f.users.drop("u_alice") },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			pair := loginAlice(t, f)
			for range 2 { // the second one is served from the cache
				if _, err := f.auth.CheckToken(pair.AccessToken, AccessToken, remote); err != nil {
					t.Fatal(err)
				}
			}
			change(f)
			_, err := f.auth.CheckToken(pair.AccessToken, AccessToken, remote)
			wantUnauthorized(t, err, "cached token after a "+name)
			_, err = refresh(f, pair.RefreshToken)
			wantUnauthorized(t, err, "refresh token after a "+name)
		})
	}

	t.Run("root away from loopback", func(t *testing.T) {
		f := newFixture(t)
		_, pair, err := f.auth.Login(bg(), "root", "", "127.0.0.1:4000")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.auth.CheckToken(pair.AccessToken, AccessToken, "127.0.0.1:4000"); err != nil {
			t.Fatal(err)
		}
		_, err = f.auth.CheckToken(pair.AccessToken, AccessToken, remote)
		wantUnauthorized(t, err, "cached password-less root token from a remote address")
	})
}

// A cached token stops working the second it expires, and is dropped.
func TestCachedTokenExpires(t *testing.T) {
	f := newFixture(t)
	pair := loginAlice(t, f)
	if _, err := f.auth.CheckToken(pair.AccessToken, AccessToken, remote); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour - time.Second)
	if _, err := f.auth.CheckToken(pair.AccessToken, AccessToken, remote); err != nil {
		t.Fatalf("cached token refused a second before expiry: %v", err)
	}
	f.clock.Advance(time.Second)
	_, err := f.auth.CheckToken(pair.AccessToken, AccessToken, remote)
	wantUnauthorized(t, err, "expired cached token")
	if e, _ := apierror.As(err); !strings.Contains(e.Message, "expired") {
		t.Errorf("message %q does not say expired", e.Message)
	}
	if _, ok := f.auth.Tokens().verified.get(pair.AccessToken, f.clock.Now()); ok {
		t.Error("expired token still cached")
	}
}

// The cache is keyed by the whole token: a cached token's signature does
// not vouch for another payload, and a cached token is still refused
// where its type is not accepted, and before its nbf/iat when the clock
// goes back.
func TestCachedTokenVouchesForItselfOnly(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	good := signWith(t, jwt.SigningMethodHS256, testSecret, validClaims(now))
	if _, err := f.auth.CheckToken(good, AccessToken, remote); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	elevated := validClaims(now)
	elevated.Subject, elevated.Username = RootUserID, RootUserID
	payload := strings.Split(signWith(t, jwt.SigningMethodHS256, []byte("x"), elevated), ".")[1]
	_, err := f.auth.CheckToken(parts[0]+"."+payload+"."+parts[2], AccessToken, "127.0.0.1:1")
	wantUnauthorized(t, err, "another payload with a cached token's signature")

	_, err = f.auth.CheckToken(good, RefreshToken, remote)
	wantUnauthorized(t, err, "cached access token used as a refresh token")

	f.clock.Advance(-time.Minute)
	_, err = f.auth.CheckToken(good, AccessToken, remote)
	wantUnauthorized(t, err, "cached token before its iat")
}

// The cache is bounded: the token verified longest ago goes first.
func TestTokenCacheIsBounded(t *testing.T) {
	f := newFixture(t)
	tokens := f.auth.Tokens()
	tokens.verified = newExpiringCache[string, *Claims](3)
	var issued []string
	for i := range 5 {
		c := validClaims(f.clock.Now())
		c.Username = strings.Repeat("a", i+1) // distinct tokens
		tok := signWith(t, jwt.SigningMethodHS256, testSecret, c)
		issued = append(issued, tok)
		if _, err := tokens.Verify(tok, AccessToken); err != nil {
			t.Fatal(err)
		}
	}
	if n := tokens.verified.len(); n != 3 {
		t.Fatalf("cache holds %d tokens, want 3", n)
	}
	if _, ok := tokens.verified.get(issued[0], f.clock.Now()); ok {
		t.Error("oldest token still cached")
	}
	if _, ok := tokens.verified.get(issued[4], f.clock.Now()); !ok {
		t.Error("newest token not cached")
	}
}
