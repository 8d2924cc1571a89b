package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// RootUserID is the id (and name) of the built-in root user.
const RootUserID = "root"

// UserLookup reads the current system.users row by user name. It must be
// cheap (an in-memory catalog lookup): it runs on every authenticated
// request, cache hit or not, so that password changes, role changes and
// dropped users take effect immediately. The returned row is not modified.
type UserLookup interface {
	UserByName(name string) (*systable.User, bool)
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
}

// Options configure an Authenticator.
type Options struct {
	JWTSecret       []byte
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	// BcryptCost is the cost of the dummy hash checked for unknown users, so
	// that "no such user" takes as long as "wrong password".
	BcryptCost int
	// CacheTTL and CacheMaxEntries bound the verified-credential cache;
	// either 0 disables it.
	CacheTTL        time.Duration
	CacheMaxEntries int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// OptionsFromConfig maps the [auth] section to Options. The JWT secret must
// already be ensured (config.EnsureJWTSecret).
func OptionsFromConfig(c *config.Config) Options {
	return Options{
		JWTSecret:       []byte(c.Auth.JWTSecret),
		AccessTokenTTL:  c.Auth.AccessTokenTTL,
		RefreshTokenTTL: c.Auth.RefreshTokenTTL,
		BcryptCost:      c.Auth.BcryptCost,
		CacheTTL:        c.Auth.BasicCacheTTL,
		CacheMaxEntries: c.Auth.BasicCacheMaxEntries,
	}
}

// Authenticator checks Basic credentials and bearer tokens against the
// current users. Safe for concurrent use.
type Authenticator struct {
	users  UserLookup
	tokens *Tokens
	cache  *credentialCache
	now    func() time.Time
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
// credentials, or a refresh token give an UNAUTHORIZED *apierror.Error.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return Principal{}, unauthorized("missing Authorization header (use Basic or Bearer)")
	}
	scheme, rest, _ := strings.Cut(header, " ")
	switch strings.ToLower(scheme) {
	case "basic":
		user, pass, err := ParseBasic(rest)
		if err != nil {
			return Principal{}, err
		}
		return a.CheckPassword(user, pass, r.RemoteAddr)
	case "bearer":
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

// CheckPassword verifies a user name and password, from remoteAddr (for the
// root rule). A credential verified within the cache TTL against the user's
// current hash skips bcrypt; anything else, in particular every wrong
// password, pays a full bcrypt.
func (a *Authenticator) CheckPassword(username, password, remoteAddr string) (Principal, error) {
	u, ok := a.users.UserByName(username)
	if !ok || u == nil {
		_, _ = a.checkPw(a.dummyHash, password)
		return Principal{}, unauthorized(msgBadCredentials)
	}
	if u.PasswordHash == "" {
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

	if len(password) > MaxPasswordBytes {
		// bcrypt would compare only the first 72 bytes, accepting any
		// suffix; no stored password can be longer, so refuse (at the same
		// cost as any other wrong password).
		_, _ = a.checkPw(a.dummyHash, "")
		return Principal{}, unauthorized(msgBadCredentials)
	}
	now := a.now()
	key := a.cache.key(username, password)
	if a.cache.hit(key, u.UserID, u.PasswordHash, now) {
		return principalOf(u), nil
	}
	match, err := a.checkPw(u.PasswordHash, password)
	if err != nil {
		// A corrupt stored hash: refuse, keep the cause for the logs.
		return Principal{}, apierror.Wrap(apierror.Unauthorized, err, msgBadCredentials)
	}
	if !match {
		return Principal{}, unauthorized(msgBadCredentials)
	}
	a.cache.put(key, u.UserID, u.PasswordHash, now)
	return principalOf(u), nil
}

// admitPasswordless applies API.md's rule to a user without a password
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
// from the current user row: a dropped user's tokens stop working at once,
// and the role is the current one, not the one in the token.
func (a *Authenticator) CheckToken(token string, want TokenType, remoteAddr string) (Principal, error) {
	claims, err := a.tokens.Verify(token, want)
	if err != nil {
		return Principal{}, err
	}
	name := claims.Username
	if name == "" {
		name = claims.Subject
	}
	u, ok := a.users.UserByName(name)
	if !ok || u == nil || u.UserID != claims.Subject {
		return Principal{}, unauthorized("the token's user no longer exists")
	}
	if u.PasswordHash == "" {
		if err := a.admitPasswordless(u, remoteAddr); err != nil {
			return Principal{}, err
		}
	}
	return principalOf(u), nil
}

// Login checks a password and issues a token pair.
func (a *Authenticator) Login(username, password, remoteAddr string) (Principal, TokenPair, error) {
	p, err := a.CheckPassword(username, password, remoteAddr)
	if err != nil {
		return Principal{}, TokenPair{}, err
	}
	pair, err := a.tokens.Issue(&p.User)
	if err != nil {
		return Principal{}, TokenPair{}, err
	}
	return p, pair, nil
}

// Refresh exchanges the refresh token in r's `Authorization: Bearer` header
// for a new pair. An access token is refused.
func (a *Authenticator) Refresh(r *http.Request) (Principal, TokenPair, error) {
	token, err := BearerToken(r.Header.Get("Authorization"))
	if err != nil {
		return Principal{}, TokenPair{}, err
	}
	p, err := a.CheckToken(token, RefreshToken, r.RemoteAddr)
	if err != nil {
		return Principal{}, TokenPair{}, err
	}
	pair, err := a.tokens.Issue(&p.User)
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
