package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// signRaw signs payload (JSON text, as is) with the test secret and the
// given header alg, bypassing the JWT library's encoder so that tests can
// send what an attacker would.
func signRaw(alg, payload string) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, testSecret)
	m.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(m.Sum(nil))
}

// A token is taken only in exactly the shape this server signs: numbers
// as JSON numbers, every required claim present, nothing unknown, no key
// twice, HS256.
func TestClaimsAreStrictlyTyped(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now().Unix()
	claims := func(override string) string {
		fields := map[string]string{
			"iss": `"kalamdb"`, "sub": `"u_alice"`, "role": `"user"`, "typ": `"access"`, "username": `"alice"`,
			"cv": `0`, "auth_time": fmt.Sprint(now), "iat": fmt.Sprint(now), "exp": fmt.Sprint(now + 3600),
		}
		order := []string{"iss", "sub", "role", "typ", "username", "cv", "auth_time", "iat", "exp"}
		var parts []string
		for _, k := range order {
			parts = append(parts, fmt.Sprintf("%q:%s", k, fields[k]))
		}
		body := strings.Join(parts, ",")
		if override != "" {
			// Later keys replace: rebuild without the overridden ones.
			name, value, _ := strings.Cut(override, "=")
			if value == "<absent>" {
				body = strings.Replace(body, fmt.Sprintf("%q:%s", name, fields[name]), "", 1)
				body = strings.ReplaceAll(strings.Trim(body, ","), ",,", ",")
			} else if _, known := fields[name]; known {
				body = strings.Replace(body, fmt.Sprintf("%q:%s", name, fields[name]), fmt.Sprintf("%q:%s", name, value), 1)
			} else {
				body += fmt.Sprintf(",%q:%s", name, value)
			}
		}
		return "{" + body + "}"
	}
	if _, err := f.auth.CheckToken(signRaw("HS256", claims("")), AccessToken, remote); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
	cases := map[string]string{
		"exp as a string":          signRaw("HS256", claims(fmt.Sprintf(`exp="%d"`, now+3600))),
		"exp with a fraction":      signRaw("HS256", claims(fmt.Sprintf(`exp=%d.5`, now+3600))),
		"exp with an exponent":     signRaw("HS256", claims(`exp=1e10`)),
		"exp negative":             signRaw("HS256", claims(`exp=-1`)),
		"exp beyond year 9999":     signRaw("HS256", claims(`exp=99999999999999`)),
		"exp null":                 signRaw("HS256", claims(`exp=null`)),
		"exp missing":              signRaw("HS256", claims(`exp=<absent>`)),
		"iat as a string":          signRaw("HS256", claims(fmt.Sprintf(`iat="%d"`, now))),
		"nbf as a string":          signRaw("HS256", claims(fmt.Sprintf(`nbf="%d"`, now))),
		"cv as a string":           signRaw("HS256", claims(`cv="0"`)),
		"cv missing":               signRaw("HS256", claims(`cv=<absent>`)),
		"auth_time missing":        signRaw("HS256", claims(`auth_time=<absent>`)),
		"sub as a number":          signRaw("HS256", claims(`sub=1`)),
		"role as an array":         signRaw("HS256", claims(`role=["system"]`)),
		"unknown role":             signRaw("HS256", claims(`role="superuser"`)),
		"unknown typ":              signRaw("HS256", claims(`typ="admin"`)),
		"unknown claim":            signRaw("HS256", claims(`admin=true`)),
		"audience (never issued)":  signRaw("HS256", claims(`aud="kalamdb"`)),
		"sub twice":                signRaw("HS256", strings.Replace(claims(""), `"sub":"u_alice"`, `"sub":"u_alice","sub":"root"`, 1)),
		"alg HS384 in the header":  signRaw("HS384", claims("")),
		"payload not an object":    signRaw("HS256", `["u_alice"]`),
		"leading zero in exp":      signRaw("HS256", claims(fmt.Sprintf(`exp=0%d`, now+3600))),
		"exp a second in the past": signRaw("HS256", claims(fmt.Sprintf(`exp=%d`, now-1))),
	}
	for name, tok := range cases {
		_, err := f.auth.CheckToken(tok, AccessToken, remote)
		wantUnauthorized(t, err, name)
	}
	// nbf is optional but, when present, a number in the past.
	if _, err := f.auth.CheckToken(signRaw("HS256", claims(fmt.Sprintf(`nbf=%d`, now))), AccessToken, remote); err != nil {
		t.Errorf("numeric nbf refused: %v", err)
	}
}

func setUser(f *fixture, name string, change func(u *systable.User)) {
	u, _ := f.users.UserByName(name)
	change(u)
	f.users.set(*u)
}

func refresh(f *fixture, token string) (TokenPair, error) {
	r := httptest.NewRequest(http.MethodPost, "/v1/api/auth/refresh", nil)
	r.RemoteAddr = remote
	r.Header.Set("Authorization", "Bearer "+token)
	_, pair, err := f.auth.Refresh(r)
	return pair, err
}

// A password change and a role change (what the catalog does: a new
// credential version) revoke every earlier access and refresh token.
func TestCredentialChangeRevokesTokens(t *testing.T) {
	for name, change := range map[string]func(u *systable.User){
		"password": func(u *systable.User) { u.PasswordHash = "$2a$04$" + strings.Repeat("x", 53); u.CredentialVersion++ },
		"role":     func(u *systable.User) { u.Role = systable.RoleService; u.CredentialVersion++ },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			_, pair, err := f.auth.Login(bg(), "alice", "pw-alice", remote)
			if err != nil {
				t.Fatal(err)
			}
			// Tokens refreshed before the change are revoked as well.
			renewed, err := refresh(f, pair.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			setUser(f, "alice", change)
			for what, tok := range map[string]string{"access": pair.AccessToken, "renewed access": renewed.AccessToken} {
				_, err := f.auth.CheckToken(tok, AccessToken, remote)
				wantUnauthorized(t, err, what+" token after a "+name+" change")
				if e, _ := apierror.As(err); !strings.Contains(e.Message, "revoked") {
					t.Errorf("%s: message %q", what, e.Message)
				}
			}
			for what, tok := range map[string]string{"refresh": pair.RefreshToken, "renewed refresh": renewed.RefreshToken} {
				_, err := refresh(f, tok)
				wantUnauthorized(t, err, what+" token after a "+name+" change")
			}
		})
	}
}

// Refreshing renews the tokens, not the session: it ends the refresh TTL
// after the password sign-in however often it is refreshed.
func TestRefreshHasAnAbsoluteLifetime(t *testing.T) {
	f := newFixture(t) // refresh TTL 7 days, access TTL 1 hour
	signIn := f.clock.Now()
	_, pair, err := f.auth.Login(bg(), "alice", "pw-alice", remote)
	if err != nil {
		t.Fatal(err)
	}
	end := signIn.Add(7 * 24 * time.Hour)
	tok := pair.RefreshToken
	for day := 1; day <= 6; day++ {
		f.clock.Advance(24 * time.Hour)
		next, err := refresh(f, tok)
		if err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
		if !next.RefreshExpiresAt.Equal(end) {
			t.Fatalf("day %d: refresh token expires %v, want the session's end %v", day, next.RefreshExpiresAt, end)
		}
		tok = next.RefreshToken
	}
	// Less than an access TTL before the end: the access token ends with
	// the session too.
	f.clock.Advance(24*time.Hour - 30*time.Minute)
	next, err := refresh(f, tok)
	if err != nil {
		t.Fatal(err)
	}
	if !next.AccessExpiresAt.Equal(end) {
		t.Fatalf("access token expires %v, after the session's end %v", next.AccessExpiresAt, end)
	}
	f.clock.Advance(30 * time.Minute)
	for what, tok := range map[string]string{"first": pair.RefreshToken, "latest": next.RefreshToken} {
		_, err := refresh(f, tok)
		wantUnauthorized(t, err, what+" refresh token past the session's end")
	}
	// A new password sign-in starts a new session.
	if _, _, err := f.auth.Login(bg(), "alice", "pw-alice", remote); err != nil {
		t.Fatal(err)
	}
}

// A configured refresh TTL lowered after tokens were issued shortens the
// sessions already running.
func TestLoweredRefreshTTLAppliesToIssuedTokens(t *testing.T) {
	f := newFixture(t)
	_, pair, err := f.auth.Login(bg(), "alice", "pw-alice", remote)
	if err != nil {
		t.Fatal(err)
	}
	shorter, err := NewTokens(testSecret, time.Hour, 24*time.Hour, f.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(25 * time.Hour)
	_, err = shorter.Verify(pair.RefreshToken, RefreshToken)
	wantUnauthorized(t, err, "refresh token past the lowered TTL")
}

func wantThrottled(t *testing.T, err error, what string) time.Duration {
	t.Helper()
	wait, ok := apierror.RetryAfterOf(err)
	if !ok || wait <= 0 {
		t.Fatalf("%s: %v, want RATE_LIMIT_EXCEEDED with a retry time", what, err)
	}
	return wait
}

func throttled(o ThrottleOptions) func(*Options) {
	return func(opts *Options) { opts.Throttle = o }
}

func testThrottle() ThrottleOptions {
	return ThrottleOptions{PerUserClient: 5, PerClient: 20, PerUser: 100, Backoff: time.Second,
		MaxBackoff: 15 * time.Minute, MaxUserBackoff: time.Minute, HalfLife: 5 * time.Minute}
}

const attacker, victim = "198.51.100.66:40000", "203.0.113.10:50000"

// Wrong passwords for one name from one address lock that pair out with a
// doubling backoff, without a bcrypt per refused attempt; the victim signs
// in from elsewhere all along.
func TestThrottlePerUserAndClient(t *testing.T) {
	f := newFixture(t, throttled(testThrottle()))
	for i := 0; i < 5; i++ {
		_, err := f.auth.CheckPassword(bg(), "alice", "guess", attacker)
		wantUnauthorized(t, err, "guess within the allowance")
	}
	before := f.bcrypts.Load()
	for i := 0; i < 50; i++ {
		_, err := f.auth.CheckPassword(bg(), "alice", "guess", attacker)
		if wait := wantThrottled(t, err, "guess past the allowance"); wait != time.Second {
			t.Fatalf("first lock %s, want 1s", wait)
		}
	}
	// The right password from the locked address is refused too (it is
	// indistinguishable from a guess without paying the bcrypt).
	_, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", attacker)
	wantThrottled(t, err, "right password from the locked pair")
	if n := f.bcrypts.Load(); n != before {
		t.Fatalf("%d bcrypts for throttled attempts, want none", n-before)
	}
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", victim); err != nil {
		t.Fatalf("victim from another address: %v", err)
	}
	// After the lock, one more guess; it fails and the lock doubles.
	f.clock.Advance(time.Second)
	_, err = f.auth.CheckPassword(bg(), "alice", "guess", attacker)
	wantUnauthorized(t, err, "guess after the lock")
	_, err = f.auth.CheckPassword(bg(), "alice", "guess", attacker)
	if wait := wantThrottled(t, err, "guess after the second failure"); wait != 2*time.Second {
		t.Fatalf("second lock %s, want 2s", wait)
	}
	// Failures decay: an hour later the pair has its allowance back.
	f.clock.Advance(time.Hour)
	for i := 0; i < 4; i++ {
		_, err := f.auth.CheckPassword(bg(), "alice", "guess", attacker)
		wantUnauthorized(t, err, "guess after the decay")
	}
	// The right password clears the pair's count.
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", attacker); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		_, err := f.auth.CheckPassword(bg(), "alice", "typo", attacker)
		wantUnauthorized(t, err, "typo after a success")
	}
}

// One address guessing many names is locked out as a whole.
func TestThrottlePerClient(t *testing.T) {
	f := newFixture(t, throttled(testThrottle()))
	for i := 0; i < 20; i++ {
		_, err := f.auth.CheckPassword(bg(), fmt.Sprintf("user%d", i), "guess", attacker)
		wantUnauthorized(t, err, "spray within the allowance")
	}
	before := f.bcrypts.Load()
	_, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", attacker)
	wantThrottled(t, err, "any name from the spraying address")
	// Another address of the same IPv4 host is the same client; another
	// host is not.
	_, err = f.auth.CheckPassword(bg(), "bob", "x", "198.51.100.66:1")
	wantThrottled(t, err, "same host, other port")
	if f.bcrypts.Load() != before {
		t.Fatal("throttled attempts paid a bcrypt")
	}
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", victim); err != nil {
		t.Fatalf("victim: %v", err)
	}
}

// Many addresses guessing one name slow its sign-in from new addresses a
// little (capped), and not at all from an address it signed in from.
func TestThrottlePerUserSparesKnownClients(t *testing.T) {
	o := testThrottle()
	o.PerUser = 10
	// Without the credential cache, every sign-in below is a bcrypt the
	// throttle decides on.
	f := newFixture(t, throttled(o), func(o *Options) { o.CacheTTL = 0 })
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", victim); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		bot := fmt.Sprintf("192.0.2.%d:1000", i)
		_, err := f.auth.CheckPassword(bg(), "alice", "guess", bot)
		if i < 10 {
			wantUnauthorized(t, err, "botnet guess within the allowance")
			continue
		}
		if wait := wantThrottled(t, err, "botnet guess past the allowance"); wait > time.Minute {
			t.Fatalf("per-user lock %s over its cap", wait)
		}
	}
	// The victim's known address is not held up.
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", victim); err != nil {
		t.Fatalf("victim from a known address: %v", err)
	}
	// From a new address the victim waits at most the per-user cap.
	_, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", "203.0.113.77:1")
	wait := wantThrottled(t, err, "victim from a new address during the attack")
	f.clock.Advance(wait)
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", "203.0.113.77:1"); err != nil {
		t.Fatalf("victim from a new address after %s: %v", wait, err)
	}
}

// A burst of parallel guesses gets no more bcrypts than the allowance: an
// attempt counts as a failure until it is known not to be one.
func TestParallelGuessesStayWithinTheAllowance(t *testing.T) {
	f := newFixture(t, throttled(testThrottle()))
	results := parallel(40, func() error {
		_, err := f.auth.CheckPassword(bg(), "alice", "guess", attacker)
		return err
	})
	refused := 0
	for _, err := range results {
		if _, ok := apierror.RetryAfterOf(err); ok {
			refused++
		} else {
			wantUnauthorized(t, err, "parallel guess")
		}
	}
	if n := f.bcrypts.Load(); n != 5 || refused != 35 {
		t.Fatalf("%d bcrypts and %d refusals for 40 parallel guesses, want 5 and 35", n, refused)
	}
}

// A client sending many requests at once with a password not cached yet
// is not refused: attempts beyond the allowance wait for the first ones,
// which cache the credential.
func TestParallelSignInsWithAColdCache(t *testing.T) {
	f := newFixture(t, throttled(testThrottle()))
	for i, err := range parallel(40, func() error {
		_, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", victim)
		return err
	}) {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if n := f.bcrypts.Load(); n > 5 {
		t.Fatalf("%d bcrypts for one credential, want at most the allowance of 5", n)
	}
}

// parallel runs f n times at once and returns the results.
func parallel(n int, f func() error) []error {
	out := make([]error, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = f()
		}()
	}
	wg.Wait()
	return out
}

// The review's oracle: while the victim's credential was cached, a
// guesser's wrong passwords got 429 (no bcrypt, nothing counted) and the
// right one 200, thousands of guesses a second. The throttle decides
// before the cache: a locked pair is refused whatever the password, every
// admitted wrong guess pays a bcrypt and counts, and the victim's own
// address keeps its cached sign-in.
func TestThrottleDecidesBeforeTheCache(t *testing.T) {
	f := newFixture(t, throttled(testThrottle()))
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", victim); err != nil {
		t.Fatal(err)
	}
	answered := 0
	for i := range 3000 {
		pw := fmt.Sprintf("guess-%d", i)
		if i == 1500 {
			pw = "pw-alice"
		}
		_, err := f.auth.CheckPassword(bg(), "alice", pw, attacker)
		if err == nil {
			t.Fatalf("guess %d (the right one) was answered while the guesser is locked out", i)
		}
		if _, throttled := apierror.RetryAfterOf(err); !throttled {
			wantUnauthorized(t, err, "admitted guess")
			answered++
		}
	}
	if n := f.bcrypts.Load(); answered != 5 || n != 6 {
		t.Fatalf("%d guesses answered with %d bcrypts (one is the victim's), want 5 and 6", answered, n)
	}
	// The victim's address is not throttled, and its credential is cached.
	for range 10 {
		if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", victim); err != nil {
			t.Fatalf("victim during the attack: %v", err)
		}
	}
	if n := f.bcrypts.Load(); n != 6 {
		t.Fatalf("the victim's cached sign-ins paid %d bcrypts", n-6)
	}
	// Once the lock is over, an admitted attempt is answered: from the
	// cache for the right password, with a bcrypt and a count otherwise.
	f.clock.Advance(2 * time.Second) // the first lock is 1s; the cache keeps a minute
	if _, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", attacker); err != nil {
		t.Fatalf("right password after the lock: %v", err)
	}
	_, err := f.auth.CheckPassword(bg(), "alice", "wrong", attacker)
	wantUnauthorized(t, err, "wrong password after the lock")
	if n := f.bcrypts.Load(); n != 7 {
		t.Fatalf("%d bcrypts, want 7", n)
	}
}

// At most MaxConcurrentChecks bcrypts run at once; an attempt that finds
// none free waits up to CheckWait, then is refused without one.
func TestConcurrentPasswordChecksAreBounded(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxConcurrentChecks, o.CheckWait = 1, 0 })
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	f.auth.checkPw = func(h, pw string) (bool, error) {
		f.bcrypts.Add(1)
		once.Do(func() {
			close(started)
			<-release
		})
		return checkPassword(h, pw)
	}
	done := make(chan error, 1)
	go func() {
		_, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", remote)
		done <- err
	}()
	<-started
	_, err := f.auth.CheckPassword(bg(), "alice", "other", victim)
	wantThrottled(t, err, "attempt while every slot is busy")
	if n := f.bcrypts.Load(); n != 1 {
		t.Fatalf("%d bcrypts, want only the running one", n)
	}
	// With a wait, the attempt proceeds once the slot frees.
	f.auth.checkWait = time.Hour
	waited := make(chan error, 1)
	go func() {
		_, err := f.auth.CheckPassword(bg(), "alice", "pw-alice", victim)
		waited <- err
	}()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatalf("attempt that waited for the slot: %v", err)
	}
	// A waiting attempt gives up with its context.
	hold, freed := make(chan struct{}), make(chan struct{})
	f.auth.checkPw = func(h, pw string) (bool, error) {
		close(hold)
		<-freed
		return checkPassword(h, pw)
	}
	go func() {
		_, err := f.auth.CheckPassword(bg(), "alice", "x", remote)
		done <- err
	}()
	<-hold
	cctx, cancel := context.WithCancel(bg())
	cancel()
	_, err = f.auth.CheckPassword(cctx, "alice", "y", victim)
	wantThrottled(t, err, "waiting attempt whose client went away")
	close(freed)
	<-done
}

// VerifyPassword (ALTER USER ... CURRENT PASSWORD) is throttled like a
// login: a stolen session cannot brute-force the current password.
func TestVerifyPasswordIsThrottled(t *testing.T) {
	f := newFixture(t, throttled(testThrottle()))
	if err := f.auth.VerifyPassword(bg(), "alice", "pw-alice", attacker); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		wantUnauthorized(t, f.auth.VerifyPassword(bg(), "alice", "guess", attacker), "wrong current password")
	}
	wantThrottled(t, f.auth.VerifyPassword(bg(), "alice", "guess", attacker), "guessing the current password")
	// The right one is refused too, though it is cached: else a refusal
	// and an acceptance would tell the guesser which guess was right.
	wantThrottled(t, f.auth.VerifyPassword(bg(), "alice", "pw-alice", attacker), "the right current password while locked")
}

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"198.51.100.7:1":              "198.51.100.7",
		"[::ffff:198.51.100.7]:1":     "198.51.100.7",
		"[2001:db8:1:2:3:4:5:6]:443":  "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:9":    "2001:db8:1:2::/64",
		"[fe80::1%eth0]:1":            "fe80::/64",
		"not an address":              "not an address",
		"2001:db8:1:2:3:4:5:6":        "2001:db8:1:2::/64",
		"[2001:db8:1:3::1]:443":       "2001:db8:1:3::/64",
		"[::1]:1":                     "::/64",
		"127.0.0.1:1":                 "127.0.0.1",
		"":                            "",
		"198.51.100.7":                "198.51.100.7",
		"[2001:db8:1:2:3:4:5:6]:8080": "2001:db8:1:2::/64",
	} {
		if got := ClientKey(in); got != want {
			t.Errorf("ClientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// The tables of counts stay bounded whatever names and addresses come.
func TestThrottleTablesAreBounded(t *testing.T) {
	o := testThrottle()
	o.MaxEntries = 8
	th := newThrottle(o)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 100; i++ {
		user, client := fmt.Sprintf("u%d", i), fmt.Sprintf("c%d", i)
		if wait, _ := th.admit(user, client, now); wait != 0 {
			t.Fatalf("attempt %d refused", i)
		}
		th.done(user, client, attemptFailed, now)
	}
	for name, tab := range map[string]*counterTable{"pairs": th.pairs, "users": th.users, "clients": th.clients} {
		if n := len(tab.byKey); n > 8 || n != tab.order.Len() {
			t.Errorf("%s: %d entries (list %d), bound 8", name, n, tab.order.Len())
		}
	}
}

// User names are case-insensitive, so the throttle counts every spelling
// of a name as that name: "Alice", "ALICE" and "aLiCe" share alice's
// allowance.
func TestThrottleFoldsUserNames(t *testing.T) {
	f := newFixture(t, throttled(testThrottle()))
	for _, name := range []string{"alice", "Alice", "ALICE", "aLice", "alIce"} {
		_, err := f.auth.CheckPassword(bg(), name, "guess", attacker)
		wantUnauthorized(t, err, "guess "+name)
	}
	_, err := f.auth.CheckPassword(bg(), "ALiCE", "guess", attacker)
	wantThrottled(t, err, "a sixth spelling")
}
