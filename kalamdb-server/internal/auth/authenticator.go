package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// RootUserID is the id (and name) of the built-in root user.
const RootUserID = "root"

// UserLookup reads the current system.users rows. It must be cheap (an
// in-memory catalog lookup): it runs on every authenticated request, cache
// hit or not, so that password changes, role changes and dropped users
// take effect immediately. The returned rows are not modified.
type UserLookup interface {
	// UserByName finds a user by user name (what a person types).
	UserByName(name string) (*systable.User, bool)
	// UserByID finds a user by user id (what tokens carry).
	UserByID(id string) (*systable.User, bool)
}

// Principal is an authenticated caller. Role always comes from the user's
// current row, never from a cache or a token, so a demoted user loses the
// old role on the next request.
type Principal struct {
	UserID   string
	Username string
	Role     systable.Role
	// User is a copy of the current system.users row with PasswordHash
	// cleared, for /v1/api/auth/me and login answers.
	User systable.User
	// ExpiresAt is when the credentials this principal was built from stop
	// being accepted: an access token's expiry. Zero for a password, which
	// is checked again on every request and does not expire. What outlives
	// one request (a WebSocket) must end by then.
	ExpiresAt time.Time
}

// Options configure an Authenticator.
type Options struct {
	JWTSecret      []byte
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is how long a session lasts from its password
	// sign-in: refreshing renews the tokens, never this.
	RefreshTokenTTL time.Duration
	// BcryptCost is the cost of the dummy hash checked for unknown users, so
	// that "no such user" takes as long as "wrong password".
	BcryptCost int
	// CacheTTL and CacheMaxEntries bound the verified-credential cache;
	// either 0 disables it.
	CacheTTL        time.Duration
	CacheMaxEntries int
	// Throttle bounds password guessing (see ThrottleOptions).
	Throttle ThrottleOptions
	// MaxConcurrentChecks bounds the bcrypt checks running at once, so a
	// flood of wrong passwords cannot take every core from queries
	// (0: the number of CPUs).
	MaxConcurrentChecks int
	// CheckWait is how long a password check waits for a free slot before
	// it is refused with RATE_LIMIT_EXCEEDED (0: not at all).
	CheckWait time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// OptionsFromConfig maps the [auth] section to Options. The JWT secret must
// already be ensured (config.EnsureJWTSecret).
func OptionsFromConfig(c *config.Config) Options {
	a := c.Auth
	return Options{
		JWTSecret:       []byte(a.JWTSecret),
		AccessTokenTTL:  a.AccessTokenTTL,
		RefreshTokenTTL: a.RefreshTokenTTL,
		BcryptCost:      a.BcryptCost,
		CacheTTL:        a.BasicCacheTTL,
		CacheMaxEntries: a.BasicCacheMaxEntries,
		Throttle: ThrottleOptions{
			PerUserClient:  a.LoginFailuresPerUserClient,
			PerClient:      a.LoginFailuresPerClient,
			PerUser:        a.LoginFailuresPerUser,
			Backoff:        a.LoginBackoff,
			MaxBackoff:     a.LoginMaxBackoff,
			MaxUserBackoff: a.LoginMaxUserBackoff,
			HalfLife:       a.LoginFailureHalfLife,
		},
		MaxConcurrentChecks: a.MaxConcurrentPasswordChecks,
		CheckWait:           a.PasswordCheckWait,
	}
}

// Authenticator checks Basic credentials and bearer tokens against the
// current users. Safe for concurrent use.
type Authenticator struct {
	users    UserLookup
	tokens   *Tokens
	cache    *credentialCache
	throttle *throttle
	// slots holds one token per bcrypt check running.
	slots     chan struct{}
	checkWait time.Duration
	now       func() time.Time
	// dummyHash is checked when the user does not exist, so a wrong user
	// name costs a full bcrypt like a wrong password (no user enumeration
	// by timing).
	dummyHash string
	// checkPw is checkPassword; a field so tests can count bcrypt calls.
	checkPw func(hash, password string) (bool, error)
}

// New returns an Authenticator reading users through users.
func New(users UserLookup, opts Options) (*Authenticator, error) {
	if users == nil {
		return nil, errors.New("auth: nil UserLookup")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxConcurrentChecks <= 0 {
		opts.MaxConcurrentChecks = runtime.NumCPU()
	}
	tokens, err := NewTokens(opts.JWTSecret, opts.AccessTokenTTL, opts.RefreshTokenTTL, opts.Now)
	if err != nil {
		return nil, err
	}
	cache, err := newCredentialCache(opts.CacheTTL, opts.CacheMaxEntries)
	if err != nil {
		return nil, err
	}
	random := make([]byte, 18)
	if _, err := rand.Read(random); err != nil {
		return nil, fmt.Errorf("auth: dummy password: %w", err)
	}
	dummy, err := HashPassword(base64.RawStdEncoding.EncodeToString(random), opts.BcryptCost)
	if err != nil {
		return nil, err
	}
	return &Authenticator{
		users:     users,
		tokens:    tokens,
		cache:     cache,
		throttle:  newThrottle(opts.Throttle),
		slots:     make(chan struct{}, opts.MaxConcurrentChecks),
		checkWait: opts.CheckWait,
		now:       opts.Now,
		dummyHash: dummy,
		checkPw:   checkPassword,
	}, nil
}

// Tokens returns the token signer/verifier (for the WebSocket front end).
func (a *Authenticator) Tokens() *Tokens { return a.tokens }

func unauthorized(format string, args ...any) *apierror.Error {
	return apierror.New(apierror.Unauthorized, format, args...)
}

// msgBadCredentials is deliberately the same for an unknown user and a
// wrong password.
const msgBadCredentials = "invalid username or password"

// Authenticate returns the caller of r, from `Authorization: Basic …` or
// `Authorization: Bearer <access token>`. A missing or malformed header, bad
// credentials, or a refresh token give an UNAUTHORIZED *apierror.Error; a
// throttled password check RATE_LIMIT_EXCEEDED.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return Principal{}, unauthorized("missing Authorization header (use Basic or Bearer)")
	}
	scheme, rest, _ := strings.Cut(header, " ")
	switch {
	case strings.EqualFold(scheme, "basic"):
		user, pass, err := ParseBasic(rest)
		if err != nil {
			return Principal{}, err
		}
		return a.CheckPassword(r.Context(), user, pass, r.RemoteAddr)
	case strings.EqualFold(scheme, "bearer"):
		token := strings.TrimSpace(rest)
		if token == "" {
			return Principal{}, unauthorized("empty bearer token")
		}
		return a.CheckToken(token, AccessToken, r.RemoteAddr)
	default:
		return Principal{}, unauthorized("unsupported Authorization scheme (use Basic or Bearer)")
	}
}

// ParseBasic decodes the credentials part of a Basic Authorization header
// (what follows "Basic ").
func ParseBasic(credentials string) (username, password string, err error) {
	raw, decErr := base64.StdEncoding.DecodeString(strings.TrimSpace(credentials))
	if decErr != nil {
		return "", "", apierror.Wrap(apierror.Unauthorized, decErr, "malformed Basic credentials (not base64)")
	}
	username, password, ok := strings.Cut(string(raw), ":")
	if !ok || username == "" {
		return "", "", unauthorized("malformed Basic credentials (want user:password)")
	}
	return username, password, nil
}

// BearerToken extracts the token of a `Bearer` Authorization header.
func BearerToken(header string) (string, error) {
	scheme, rest, _ := strings.Cut(header, " ")
	if header == "" || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(rest) == "" {
		return "", unauthorized("missing bearer token")
	}
	return strings.TrimSpace(rest), nil
}

// CheckPassword verifies a user name and password from remoteAddr. The
// throttle decides first: a user name or client with too many recent
// failures is refused with RATE_LIMIT_EXCEEDED, whatever the password,
// without a bcrypt; so is an attempt that finds every bcrypt slot busy for
// longer than the configured wait. An admitted attempt is answered from
// the credential cache when it holds the credential, verified against the
// user's current hash, and otherwise pays one full bcrypt (every wrong
// password and unknown user included), which counts as a failure when it
// does not match.
func (a *Authenticator) CheckPassword(ctx context.Context, username, password, remoteAddr string) (Principal, error) {
	u, ok := a.users.UserByName(username)
	if ok && u.PasswordHash == "" {
		if err := a.admitPasswordless(u, remoteAddr); err != nil {
			return Principal{}, err
		}
		if password != "" {
			// root has no password: a client sending one is misconfigured;
			// accepting any password would make typos invisible.
			return Principal{}, unauthorized("root has no password set; connect without a password")
		}
		return principalOf(u), nil
	}
	// User names are case-insensitive: a guesser must not get a fresh
	// allowance for each spelling of the victim's name.
	username = catalog.FoldUserName(username)
	var key cacheKey
	if ok {
		key = a.cache.key(username, password)
	}
	cached, client, err := a.admit(ctx, username, remoteAddr, u, key)
	if err != nil {
		return Principal{}, err
	}
	if cached {
		return principalOf(u), nil
	}
	how := attemptAbandoned
	defer func() { a.throttle.done(username, client, how, a.now()) }()
	if !a.acquireSlot(ctx) {
		return Principal{}, apierror.TooManyRequests(time.Second, "the server is busy checking passwords; retry in a second")
	}
	defer a.releaseSlot()
	hash := a.dummyHash
	if ok {
		hash = u.PasswordHash
	}
	if len(password) > MaxPasswordBytes {
		// bcrypt would compare only the first 72 bytes, accepting any
		// suffix; no stored password can be longer, so refuse (at the same
		// cost as any other wrong password).
		hash, password = a.dummyHash, ""
	}
	match, err := a.checkPw(hash, password)
	if err != nil {
		// A corrupt stored hash: refuse, keep the cause for the logs.
		how = attemptFailed
		return Principal{}, apierror.Wrap(apierror.Unauthorized, err, msgBadCredentials)
	}
	if !match || !ok || hash == a.dummyHash {
		how = attemptFailed
		return Principal{}, unauthorized(msgBadCredentials)
	}
	how = attemptSucceeded
	a.cache.put(key, u, a.now())
	return principalOf(u), nil
}

// msgBusy refuses an attempt that waited too long for other attempts on
// the same user name or client to be checked.
const msgBusy = "other sign-ins for this user or from this address are being checked; retry in a second"

// admit waits for the throttle to let an attempt at (username, password)
// from remoteAddr go ahead. It reports a credential found in the cache (u
// is nil for an unknown user, which never is), which needs nothing more;
// otherwise the attempt is reserved for the throttling identity client,
// and the caller checks the password and ends it with throttle.done. The
// throttle is asked before the cache: a locked name or client is refused
// even for a cached credential, or the cache would tell a guesser which
// of its attempts was right. An attempt held up only by attempts still
// being checked waits for them (they may cache the very credential), at
// most the check wait; one that is locked out is refused at once.
func (a *Authenticator) admit(ctx context.Context, username, remoteAddr string, u *systable.User, key cacheKey) (cached bool, client string, err error) {
	var timeout <-chan time.Time
	for {
		now := a.now()
		wait, settled := a.throttle.peek(username, remoteAddr, now)
		if wait == 0 {
			if u != nil && a.cache.hit(key, u, now) {
				return true, "", nil
			}
			client = ClientKey(remoteAddr)
			if wait, settled = a.throttle.admit(username, client, now); wait == 0 {
				return false, client, nil
			}
		}
		if settled == nil {
			return false, "", apierror.TooManyRequests(wait,
				"too many failed sign-ins for this user or from this address; retry in %s", roundUp(wait))
		}
		if timeout == nil {
			if a.checkWait <= 0 {
				return false, "", apierror.TooManyRequests(wait, msgBusy)
			}
			t := time.NewTimer(a.checkWait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-settled:
		case <-timeout:
			return false, "", apierror.TooManyRequests(wait, msgBusy)
		case <-ctx.Done():
			return false, "", apierror.TooManyRequests(wait, msgBusy)
		}
	}
}

// VerifyPassword checks a user's current password for ALTER USER ...
// CURRENT PASSWORD (executor.PasswordVerifier), throttled like a login.
func (a *Authenticator) VerifyPassword(ctx context.Context, username, password, clientAddr string) error {
	_, err := a.CheckPassword(ctx, username, password, clientAddr)
	return err
}

// roundUp rounds a wait up to whole seconds, at least one, for messages.
// A wait within a second of the largest Duration (a lock capped by
// auth.login_max_backoff = "2562047h") is rounded down: up, it wrapped
// negative and the message said "retry in 1s".
func roundUp(d time.Duration) time.Duration {
	if r := d % time.Second; r != 0 && d <= maxDuration-time.Second {
		d += time.Second - r
	}
	return max(time.Second, d.Truncate(time.Second))
}

const maxDuration = time.Duration(1<<63 - 1)

// acquireSlot takes a bcrypt slot, waiting at most checkWait.
func (a *Authenticator) acquireSlot(ctx context.Context) bool {
	select {
	case a.slots <- struct{}{}:
		return true
	default:
	}
	if a.checkWait <= 0 {
		return false
	}
	t := time.NewTimer(a.checkWait)
	defer t.Stop()
	select {
	case a.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (a *Authenticator) releaseSlot() { <-a.slots }

// admitPasswordless applies the wire contract's rule (docs/api.md,
// "Auth") to a user without a password
// hash: root is accepted from loopback addresses only, anyone else never.
// It also guards tokens, so a token obtained by password-less root on
// localhost cannot be replayed from elsewhere.
func (a *Authenticator) admitPasswordless(u *systable.User, remoteAddr string) error {
	if u.UserID != RootUserID {
		return unauthorized(msgBadCredentials)
	}
	if !IsLoopback(remoteAddr) {
		return unauthorized("root has no password set and is accepted from localhost only; set one with KALAMDB_ROOT_PASSWORD")
	}
	return nil
}

// CheckToken verifies a JWT of type want and returns its user's principal
// from the current user row: a dropped user's tokens stop working at once
// (ids are never given to another user), tokens issued before a password
// or role change are refused, and the role is the current one.
func (a *Authenticator) CheckToken(token string, want TokenType, remoteAddr string) (Principal, error) {
	p, _, err := a.checkToken(token, want, remoteAddr)
	return p, err
}

func (a *Authenticator) checkToken(token string, want TokenType, remoteAddr string) (Principal, *Claims, error) {
	claims, err := a.tokens.Verify(token, want)
	if err != nil {
		return Principal{}, nil, err
	}
	u, ok := a.users.UserByID(claims.Subject)
	if !ok {
		return Principal{}, nil, unauthorized("the token's user no longer exists")
	}
	if u.CredentialVersion != claims.CredentialVersion {
		return Principal{}, nil, unauthorized("the token was revoked: the account's password or role changed; sign in again")
	}
	if u.PasswordHash == "" {
		if err := a.admitPasswordless(u, remoteAddr); err != nil {
			return Principal{}, nil, err
		}
	}
	p := principalOf(u)
	if claims.ExpiresAt != nil {
		p.ExpiresAt = claims.ExpiresAt.Time
	}
	return p, claims, nil
}

// Login checks a password and issues a token pair; the session it starts
// lasts at most the refresh token TTL, however often it is refreshed.
func (a *Authenticator) Login(ctx context.Context, username, password, remoteAddr string) (Principal, TokenPair, error) {
	p, err := a.CheckPassword(ctx, username, password, remoteAddr)
	if err != nil {
		return Principal{}, TokenPair{}, err
	}
	pair, err := a.tokens.Issue(&p.User, a.now())
	if err != nil {
		return Principal{}, TokenPair{}, err
	}
	return p, pair, nil
}

// Refresh exchanges the refresh token in r's `Authorization: Bearer` header
// for a new pair of the same session (same sign-in time, same end). An
// access token is refused.
func (a *Authenticator) Refresh(r *http.Request) (Principal, TokenPair, error) {
	token, err := BearerToken(r.Header.Get("Authorization"))
	if err != nil {
		return Principal{}, TokenPair{}, err
	}
	p, claims, err := a.checkToken(token, RefreshToken, r.RemoteAddr)
	if err != nil {
		return Principal{}, TokenPair{}, err
	}
	pair, err := a.tokens.Issue(&p.User, claims.AuthTime.Time)
	if err != nil {
		return Principal{}, TokenPair{}, err
	}
	return p, pair, nil
}

func principalOf(u *systable.User) Principal {
	row := *u
	row.PasswordHash = ""
	return Principal{UserID: u.UserID, Username: u.Username, Role: u.Role, User: row}
}
