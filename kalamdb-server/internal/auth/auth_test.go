package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// fakeUsers is an in-memory UserLookup, safe for concurrent use.
type fakeUsers struct {
	mu    sync.Mutex
	users map[string]systable.User
}

func newFakeUsers() *fakeUsers { return &fakeUsers{users: map[string]systable.User{}} }

func (f *fakeUsers) UserByName(name string) (*systable.User, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.users {
		if u.Username == name {
			return &u, true
		}
	}
	return nil, false
}

func (f *fakeUsers) UserByID(id string) (*systable.User, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		return nil, false
	}
	return &u, true
}

func (f *fakeUsers) set(u systable.User) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[u.UserID] = u
}

func (f *fakeUsers) drop(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.users, id)
}

func hash(t testing.TB, pw string) string {
	t.Helper()
	h, err := HashPassword(pw, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// clock is a manually advanced clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

type fixture struct {
	users   *fakeUsers
	clock   *clock
	auth    *Authenticator
	bcrypts atomic.Int64
}

func newFixture(t testing.TB, mutate ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{users: newFakeUsers(), clock: newClock()}
	opts := Options{
		JWTSecret:       testSecret,
		AccessTokenTTL:  time.Hour,
		RefreshTokenTTL: 7 * 24 * time.Hour,
		BcryptCost:      bcrypt.MinCost,
		CacheTTL:        time.Minute,
		CacheMaxEntries: 100,
		// Concurrent tests wait for a bcrypt slot; tests of the bound
		// set their own.
		CheckWait: time.Minute,
		Now:       f.clock.Now,
	}
	for _, m := range mutate {
		m(&opts)
	}
	a, err := New(f.users, opts)
	if err != nil {
		t.Fatal(err)
	}
	a.checkPw = func(h, pw string) (bool, error) {
		f.bcrypts.Add(1)
		return checkPassword(h, pw)
	}
	f.auth = a
	// Ids differ from names, as the catalog makes them, so a test cannot
	// pass by confusing the two.
	f.users.set(systable.User{UserID: "u_alice", Username: "alice", PasswordHash: hash(t, "pw-alice"), Role: systable.RoleUser, Email: "a@example.com"})
	f.users.set(systable.User{UserID: "root", Username: "root", Role: systable.RoleSystem})
	return f
}

func wantUnauthorized(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: accepted, want UNAUTHORIZED", what)
	}
	if apierror.CodeOf(err) != apierror.Unauthorized {
		t.Fatalf("%s: code %s (%v), want UNAUTHORIZED", what, apierror.CodeOf(err), err)
	}
}

const remote = "203.0.113.9:5555"

// bg is the request context of calls that do not test cancellation.
func bg() context.Context { return context.Background() }

func TestCacheHitSkipsBcryptAndTakesRoleFromCurrentRow(t *testing.T) {
	f := newFixture(t)
	p, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", remote)
	if err != nil {
		t.Fatal(err)
	}
	if p.UserID != "u_alice" || p.Username != "alice" || p.Role != systable.RoleUser || p.User.PasswordHash != "" {
		t.Fatalf("principal %+v", p)
	}
	if n := f.bcrypts.Load(); n != 1 {
		t.Fatalf("bcrypt calls after first login = %d, want 1", n)
	}
	for i := 0; i < 5; i++ {
		if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", remote); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.bcrypts.Load(); n != 1 {
		t.Fatalf("bcrypt calls after cached logins = %d, want still 1", n)
	}
	// ALTER USER SET EMAIL changes the row but not the credentials:
	// still a hit, with the current row.
	u, _ := f.users.UserByName("alice")
	u.Email = "new@example.com"
	f.users.set(*u)
	p, err = f.auth.CheckPassword(bg(), "alice", "pw-alice", remote)
	if err != nil || p.User.Email != "new@example.com" {
		t.Fatalf("after an email change: %+v %v", p, err)
	}
	if n := f.bcrypts.Load(); n != 1 {
		t.Errorf("bcrypt calls = %d, want 1", n)
	}
	// ALTER USER SET ROLE keeps the hash but bumps the credential
	// version: the entry is stale, and the answer has the new role.
	u.Role, u.CredentialVersion = systable.RoleDBA, u.CredentialVersion+1
	f.users.set(*u)
	p, err = f.auth.CheckPassword(bg(), "alice", "pw-alice", remote)
	if err != nil {
		t.Fatal(err)
	}
	if p.Role != systable.RoleDBA {
		t.Errorf("role = %s, want dba from the current row", p.Role)
	}
	if n := f.bcrypts.Load(); n != 2 {
		t.Errorf("bcrypt calls = %d, want 2 (the role change made the entry stale)", n)
	}
}

func TestWrongPasswordAlwaysPaysBcrypt(t *testing.T) {
	f := newFixture(t)
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", remote); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		_, err := f.auth.CheckPassword(bg(), "alice", "wrong", remote)
		wantUnauthorized(t, err, "wrong password")
	}
	if n := f.bcrypts.Load(); n != 4 {
		t.Errorf("bcrypt calls = %d, want 4 (1 good + 3 wrong)", n)
	}
	// Unknown users pay too (dummy hash), with the same message.
	_, errUnknown := f.auth.CheckPassword(bg(), "mallory", "x", remote)
	wantUnauthorized(t, errUnknown, "unknown user")
	_, errWrong := f.auth.CheckPassword(bg(), "alice", "x", remote)
	if n := f.bcrypts.Load(); n != 6 {
		t.Errorf("bcrypt calls = %d, want 6", n)
	}
	e1, _ := apierror.As(errUnknown)
	e2, _ := apierror.As(errWrong)
	if e1.Message != e2.Message {
		t.Errorf("unknown user (%q) and wrong password (%q) are distinguishable", e1.Message, e2.Message)
	}
}

func TestPasswordChangeInvalidatesCache(t *testing.T) {
	f := newFixture(t)
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", remote); err != nil {
		t.Fatal(err)
	}
	u, _ := f.users.UserByName("alice")
	u.PasswordHash = hash(t, "new-pw")
	f.users.set(*u)
	_, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", remote)
	wantUnauthorized(t, err, "old password after ALTER USER SET PASSWORD")
	if _, err := f.auth.CheckPassword(bg(), "alice", "new-pw", remote); err != nil {
		t.Fatalf("new password: %v", err)
	}
	// Changing it back to the old password with a fresh hash (new salt)
	// must not resurrect the stale entry either: it was dropped, so this
	// pays a bcrypt again.
	before := f.bcrypts.Load()
	u.PasswordHash = hash(t, "pw-alice")
	f.users.set(*u)
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", remote); err != nil {
		t.Fatal(err)
	}
	if f.bcrypts.Load() != before+1 {
		t.Errorf("re-set password served from cache")
	}
}

func TestDropUserInvalidatesCache(t *testing.T) {
	f := newFixture(t)
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", remote); err != nil {
		t.Fatal(err)
	}
	f.users.drop("u_alice")
	_, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", remote)
	wantUnauthorized(t, err, "dropped user")
	// Re-created with the same password: a new id, a new hash.
	f.users.set(systable.User{UserID: "u_alice2", Username: "alice", PasswordHash: hash(t, "pw-alice"), Role: systable.RoleUser})
	before := f.bcrypts.Load()
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", remote); err != nil {
		t.Fatal(err)
	}
	if f.bcrypts.Load() != before+1 {
		t.Error("re-created user served from the old cache entry")
	}
}

func TestCacheEntryExpires(t *testing.T) {
	f := newFixture(t)
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", remote); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(59 * time.Second)
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", remote); err != nil {
		t.Fatal(err)
	}
	if n := f.bcrypts.Load(); n != 1 {
		t.Fatalf("bcrypt calls within TTL = %d, want 1", n)
	}
	f.clock.Advance(time.Second)
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", remote); err != nil {
		t.Fatal(err)
	}
	if n := f.bcrypts.Load(); n != 2 {
		t.Fatalf("bcrypt calls after TTL = %d, want 2", n)
	}
}

func TestCacheIsBounded(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.CacheMaxEntries = 3 })
	for i := 0; i < 5; i++ {
		name := fmt.Sprintf("u%d", i)
		f.users.set(systable.User{UserID: name, Username: name, PasswordHash: hash(t, "pw"), Role: systable.RoleUser})
		if _, err := f.auth.CheckPassword(bg(), name, "pw", remote); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.auth.cache.len(); n != 3 {
		t.Fatalf("cache holds %d entries, want 3", n)
	}
	before := f.bcrypts.Load()
	if _, err := f.auth.CheckPassword(bg(), "u4", "pw", remote); err != nil { // newest: cached
		t.Fatal(err)
	}
	if f.bcrypts.Load() != before {
		t.Error("newest entry was evicted")
	}
	if _, err := f.auth.CheckPassword(bg(), "u0", "pw", remote); err != nil { // oldest: evicted
		t.Fatal(err)
	}
	if f.bcrypts.Load() != before+1 {
		t.Error("oldest entry was not evicted")
	}
}

func TestCacheDisabled(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.CacheTTL = 0 })
	for i := 0; i < 3; i++ {
		if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", remote); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.bcrypts.Load(); n != 3 {
		t.Errorf("bcrypt calls = %d, want 3 with the cache disabled", n)
	}
}

func TestConcurrentAuthentication(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.CacheMaxEntries = 4 })
	for i := 0; i < 8; i++ {
		name := fmt.Sprintf("c%d", i)
		f.users.set(systable.User{UserID: name, Username: name, PasswordHash: hash(t, "pw"), Role: systable.RoleUser})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				name := fmt.Sprintf("c%d", (g+i)%8)
				if _, err := f.auth.CheckPassword(bg(), name, "pw", remote); err != nil {
					errs <- err
				}
				if _, err := f.auth.CheckPassword(bg(), name, "bad", remote); err == nil {
					errs <- fmt.Errorf("%s: wrong password accepted", name)
				}
				if i%5 == 0 {
					f.clock.Advance(10 * time.Second)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := f.auth.cache.len(); n > 4 {
		t.Errorf("cache grew to %d entries past its bound of 4", n)
	}
}

func TestRootLoopbackRule(t *testing.T) {
	f := newFixture(t)
	for _, addr := range []string{"127.0.0.1:40000", "[::1]:40000", "127.8.9.10:1", "[::ffff:127.0.0.1]:9"} {
		p, err := f.auth.CheckPassword(bg(), "root", "", addr)
		if err != nil {
			t.Errorf("root from %s: %v", addr, err)
			continue
		}
		if p.Role != systable.RoleSystem {
			t.Errorf("root role %s", p.Role)
		}
	}
	for _, addr := range []string{"10.0.0.1:40000", "[2001:db8::1]:1", "192.168.1.1:80", "", "localhost:80", "garbage"} {
		_, err := f.auth.CheckPassword(bg(), "root", "", addr)
		wantUnauthorized(t, err, "password-less root from "+addr)
	}
	// A password sent for password-less root is refused even on loopback.
	_, err := f.auth.CheckPassword(bg(), "root", "guess", "127.0.0.1:1")
	wantUnauthorized(t, err, "root with a password")

	// Other users with an empty hash are never accepted.
	f.users.set(systable.User{UserID: "bob", Username: "bob", Role: systable.RoleDBA})
	_, err = f.auth.CheckPassword(bg(), "bob", "", "127.0.0.1:1")
	wantUnauthorized(t, err, "password-less non-root user")

	// Once root has a password, it works from anywhere and "" no longer does.
	f.users.set(systable.User{UserID: "root", Username: "root", Role: systable.RoleSystem, PasswordHash: hash(t, "rootpw")})
	if _, err := f.auth.CheckPassword(bg(), "root", "rootpw", "10.0.0.1:1"); err != nil {
		t.Errorf("root with password from remote: %v", err)
	}
	_, err = f.auth.CheckPassword(bg(), "root", "", "127.0.0.1:1")
	wantUnauthorized(t, err, "root without password after one was set")
}

func TestIsLoopback(t *testing.T) {
	cases := map[string]bool{
		"127.0.0.1:80": true, "127.255.255.254:1": true, "[::1]:80": true, "::1": true, "127.0.0.1": true,
		"[::ffff:127.0.0.1]:1": true, "[fe80::1%lo]:1": false, "10.0.0.1:80": false, "[::]:1": false,
		"0.0.0.0:1": false, "": false, "localhost:80": false, "128.0.0.1:1": false,
	}
	for addr, want := range cases {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestTokensRoundTripAndExpiry(t *testing.T) {
	f := newFixture(t)
	p, pair, err := f.auth.Login(bg(), "alice", "pw-alice", remote)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.clock.Now().Add(time.Hour); !pair.AccessExpiresAt.Equal(want) {
		t.Errorf("access expires %v, want %v", pair.AccessExpiresAt, want)
	}
	if want := f.clock.Now().Add(7 * 24 * time.Hour); !pair.RefreshExpiresAt.Equal(want) {
		t.Errorf("refresh expires %v, want %v", pair.RefreshExpiresAt, want)
	}
	claims, err := f.auth.Tokens().Verify(pair.AccessToken, AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Subject != "u_alice" || claims.Role != systable.RoleUser || claims.Type != AccessToken ||
		claims.Username != "alice" || claims.IssuedAt == nil || claims.ExpiresAt == nil ||
		claims.AuthTime == nil || !claims.AuthTime.Equal(f.clock.Now()) {
		t.Errorf("claims %+v", claims)
	}
	got, err := f.auth.CheckToken(pair.AccessToken, AccessToken, remote)
	if err != nil || got.UserID != p.UserID {
		t.Fatalf("CheckToken: %+v, %v", got, err)
	}

	f.clock.Advance(time.Hour - time.Second)
	if _, err := f.auth.CheckToken(pair.AccessToken, AccessToken, remote); err != nil {
		t.Fatalf("token rejected a second before expiry: %v", err)
	}
	f.clock.Advance(time.Second)
	_, err = f.auth.CheckToken(pair.AccessToken, AccessToken, remote)
	wantUnauthorized(t, err, "expired access token")
	if e, _ := apierror.As(err); !strings.Contains(e.Message, "expired") {
		t.Errorf("message %q does not say expired", e.Message)
	}
	// The refresh token still works.
	if _, err := f.auth.CheckToken(pair.RefreshToken, RefreshToken, remote); err != nil {
		t.Errorf("refresh token: %v", err)
	}
}

func TestTokenTypeIsEnforced(t *testing.T) {
	f := newFixture(t)
	_, pair, err := f.auth.Login(bg(), "alice", "pw-alice", remote)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.auth.CheckToken(pair.RefreshToken, AccessToken, remote)
	wantUnauthorized(t, err, "refresh token used as access token")
	_, err = f.auth.CheckToken(pair.AccessToken, RefreshToken, remote)
	wantUnauthorized(t, err, "access token used as refresh token")
}

func signWith(t *testing.T, method jwt.SigningMethod, key any, c Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validClaims(now time.Time) Claims {
	return Claims{
		Role: systable.RoleSystem, Type: AccessToken, Username: "alice", AuthTime: jwt.NewNumericDate(now),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: Issuer, Subject: "u_alice",
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
		},
	}
}

func TestForgedAndMalformedTokensAreRefused(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	good := signWith(t, jwt.SigningMethodHS256, testSecret, validClaims(now))
	if _, err := f.auth.CheckToken(good, AccessToken, remote); err != nil {
		t.Fatalf("control token refused: %v", err)
	}

	noExp := validClaims(now)
	noExp.ExpiresAt = nil
	noIss := validClaims(now)
	noIss.Issuer = ""
	future := validClaims(now)
	future.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour))
	noTyp := validClaims(now)
	noTyp.Type = ""
	otherSub := validClaims(now)
	otherSub.Subject = "alice" // the name, not the id
	oldVersion := validClaims(now)
	oldVersion.CredentialVersion = -1
	noAuthTime := validClaims(now)
	noAuthTime.AuthTime = nil

	parts := strings.Split(good, ".")
	// Same header and signature, payload swapped for one claiming more.
	elevated := validClaims(now)
	elevated.Subject, elevated.Username = RootUserID, RootUserID
	elevatedPayload := strings.Split(signWith(t, jwt.SigningMethodHS256, []byte("x"), elevated), ".")[1]
	tampered := parts[0] + "." + elevatedPayload + "." + parts[2]

	cases := map[string]string{
		"other secret":         signWith(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-xx"), validClaims(now)),
		"alg none":             signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims(now)),
		"HS512 with same key":  signWith(t, jwt.SigningMethodHS512, testSecret, validClaims(now)),
		"tampered payload":     tampered,
		"no exp":               signWith(t, jwt.SigningMethodHS256, testSecret, noExp),
		"no issuer":            signWith(t, jwt.SigningMethodHS256, testSecret, noIss),
		"issued in the future": signWith(t, jwt.SigningMethodHS256, testSecret, future),
		"no typ":               signWith(t, jwt.SigningMethodHS256, testSecret, noTyp),
		"subject is a name":    signWith(t, jwt.SigningMethodHS256, testSecret, otherSub),
		"negative version":     signWith(t, jwt.SigningMethodHS256, testSecret, oldVersion),
		"no auth_time":         signWith(t, jwt.SigningMethodHS256, testSecret, noAuthTime),
		"garbage":              "not.a.jwt",
		"empty":                "",
		"signature stripped":   parts[0] + "." + parts[1] + ".",
	}
	for name, tok := range cases {
		_, err := f.auth.CheckToken(tok, AccessToken, remote)
		wantUnauthorized(t, err, name)
	}
}

func TestTokenUsesCurrentUserRow(t *testing.T) {
	f := newFixture(t)
	// A token claiming role system for a user whose row says user.
	tok := signWith(t, jwt.SigningMethodHS256, testSecret, validClaims(f.clock.Now()))
	p, err := f.auth.CheckToken(tok, AccessToken, remote)
	if err != nil {
		t.Fatal(err)
	}
	if p.Role != systable.RoleUser {
		t.Errorf("role %s from the token, want user from the row", p.Role)
	}
	f.users.drop("u_alice")
	_, err = f.auth.CheckToken(tok, AccessToken, remote)
	wantUnauthorized(t, err, "token of a dropped user")
	// The name created again is another user: the old token stays dead.
	f.users.set(systable.User{UserID: "u_alice2", Username: "alice", PasswordHash: hash(t, "x"), Role: systable.RoleUser})
	_, err = f.auth.CheckToken(tok, AccessToken, remote)
	wantUnauthorized(t, err, "token of a dropped user whose name was reused")
}

func TestPasswordlessRootTokenIsLoopbackOnly(t *testing.T) {
	f := newFixture(t)
	_, pair, err := f.auth.Login(bg(), "root", "", "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.auth.CheckToken(pair.AccessToken, AccessToken, "[::1]:2"); err != nil {
		t.Errorf("root token on loopback: %v", err)
	}
	_, err = f.auth.CheckToken(pair.AccessToken, AccessToken, "198.51.100.1:2")
	wantUnauthorized(t, err, "password-less root's token replayed from remote")
}

func basicHeader(user, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

func TestAuthenticateRequest(t *testing.T) {
	f := newFixture(t)
	_, pair, err := f.auth.Login(bg(), "alice", "pw-alice", remote)
	if err != nil {
		t.Fatal(err)
	}
	ok := map[string]string{
		"basic":             basicHeader("alice", "pw-alice"),
		"basic lower-case":  "basic " + base64.StdEncoding.EncodeToString([]byte("alice:pw-alice")),
		"bearer":            "Bearer " + pair.AccessToken,
		"bearer lower-case": "bearer " + pair.AccessToken,
	}
	for name, h := range ok {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("Authorization", h)
		p, err := f.auth.Authenticate(r)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if p.UserID != "u_alice" || p.Username != "alice" || p.Role != systable.RoleUser {
			t.Errorf("%s: principal %+v", name, p)
		}
	}
	bad := map[string]string{
		"missing":          "",
		"unknown scheme":   "Digest abc",
		"not base64":       "Basic !!!",
		"no colon":         "Basic " + base64.StdEncoding.EncodeToString([]byte("alice")),
		"empty user":       "Basic " + base64.StdEncoding.EncodeToString([]byte(":pw")),
		"wrong password":   basicHeader("alice", "nope"),
		"empty bearer":     "Bearer ",
		"refresh as token": "Bearer " + pair.RefreshToken,
		"scheme only":      "Bearer",
	}
	for name, h := range bad {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		_, err := f.auth.Authenticate(r)
		wantUnauthorized(t, err, name)
	}
}

func TestPasswordWithColon(t *testing.T) {
	f := newFixture(t)
	f.users.set(systable.User{UserID: "carol", Username: "carol", PasswordHash: hash(t, "a:b:c"), Role: systable.RoleUser})
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", basicHeader("carol", "a:b:c"))
	if _, err := f.auth.Authenticate(r); err != nil {
		t.Fatalf("password containing ':' refused: %v", err)
	}
}

func TestRefresh(t *testing.T) {
	f := newFixture(t)
	_, pair, err := f.auth.Login(bg(), "alice", "pw-alice", remote)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Hour) // the access token has expired
	r := httptest.NewRequest(http.MethodPost, "/v1/api/auth/refresh", nil)
	r.RemoteAddr = remote
	r.Header.Set("Authorization", "Bearer "+pair.RefreshToken)
	p, next, err := f.auth.Refresh(r)
	if err != nil {
		t.Fatal(err)
	}
	if p.UserID != "u_alice" {
		t.Errorf("principal %+v", p)
	}
	if _, err := f.auth.CheckToken(next.AccessToken, AccessToken, remote); err != nil {
		t.Errorf("new access token: %v", err)
	}
	if !next.AccessExpiresAt.Equal(f.clock.Now().Add(time.Hour)) {
		t.Errorf("new access token expires %v", next.AccessExpiresAt)
	}

	r.Header.Set("Authorization", "Bearer "+next.AccessToken)
	_, _, err = f.auth.Refresh(r)
	wantUnauthorized(t, err, "refresh with an access token")
	r.Header.Set("Authorization", basicHeader("alice", "pw-alice"))
	_, _, err = f.auth.Refresh(r)
	wantUnauthorized(t, err, "refresh with Basic")
}

func TestHashPasswordRefusesOverlongPasswords(t *testing.T) {
	if _, err := HashPassword(strings.Repeat("x", 73), bcrypt.MinCost); err == nil {
		t.Error("73-byte password hashed (bcrypt would truncate it)")
	}
}

func TestCorruptHashIsRefusedNotPanicking(t *testing.T) {
	f := newFixture(t)
	f.users.set(systable.User{UserID: "dave", Username: "dave", PasswordHash: "not-a-bcrypt-hash", Role: systable.RoleUser})
	_, err := f.auth.CheckPassword(bg(), "dave", "x", remote)
	wantUnauthorized(t, err, "corrupt hash")
	if e, _ := apierror.As(err); e.Cause == nil {
		t.Error("corrupt hash error lost its cause (needed in the logs)")
	}
}

func TestNewValidatesOptions(t *testing.T) {
	if _, err := New(newFakeUsers(), Options{AccessTokenTTL: time.Hour, RefreshTokenTTL: time.Hour, BcryptCost: bcrypt.MinCost}); err == nil {
		t.Error("empty secret accepted")
	}
	if _, err := New(nil, Options{JWTSecret: testSecret, AccessTokenTTL: time.Hour, RefreshTokenTTL: time.Hour}); err == nil {
		t.Error("nil lookup accepted")
	}
}

func TestOverlongPasswordIsNotTruncated(t *testing.T) {
	f := newFixture(t)
	pw := strings.Repeat("p", MaxPasswordBytes)
	f.users.set(systable.User{UserID: "erin", Username: "erin", PasswordHash: hash(t, pw), Role: systable.RoleUser})
	if _, err := f.auth.CheckPassword(bg(), "erin", pw, remote); err != nil {
		t.Fatalf("72-byte password: %v", err)
	}
	before := f.bcrypts.Load()
	_, err := f.auth.CheckPassword(bg(), "erin", pw+"suffix", remote)
	wantUnauthorized(t, err, "password with a suffix past bcrypt's 72 bytes")
	if f.bcrypts.Load() != before+1 {
		t.Error("overlong password refused without paying a bcrypt")
	}
}

func TestOptionsFromConfig(t *testing.T) {
	c := config.Default()
	c.Auth.JWTSecret = strings.Repeat("j", 32)
	o := OptionsFromConfig(&c)
	if string(o.JWTSecret) != c.Auth.JWTSecret || o.AccessTokenTTL != time.Hour || o.RefreshTokenTTL != 7*24*time.Hour ||
		o.BcryptCost != 10 || o.CacheTTL != time.Minute || o.CacheMaxEntries != 10000 {
		t.Errorf("options %+v", o)
	}
	want := ThrottleOptions{PerUserClient: 5, PerClient: 20, PerUser: 100, Backoff: time.Second,
		MaxBackoff: 15 * time.Minute, MaxUserBackoff: time.Minute, HalfLife: 5 * time.Minute}
	if o.Throttle != want || o.MaxConcurrentChecks != 0 || o.CheckWait != 2*time.Second {
		t.Errorf("throttle options %+v, checks %d, wait %s", o.Throttle, o.MaxConcurrentChecks, o.CheckWait)
	}
}
