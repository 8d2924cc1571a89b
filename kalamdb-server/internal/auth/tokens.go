package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/jsonstrict"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TokenType is the `typ` claim: which endpoints accept the token.
type TokenType string

// Token types (docs/api.md, "Auth"): a refresh token is accepted only by
// /v1/api/auth/refresh, an access token everywhere else.
const (
	AccessToken  TokenType = "access"
	RefreshToken TokenType = "refresh"
)

// Issuer is the `iss` claim of every token this server signs. Verification
// requires it, so a token signed with the same secret by another system
// that does not set it is refused.
const Issuer = "kalamdb"

// Claims are the JWT claims: sub (user id), exp, iat, iss and optionally
// nbf from the registered set, plus role, typ, username, cv (the user's
// credential version when the token was issued: a password or role change
// revokes the token) and auth_time (the password sign-in the session
// started with, which bounds how long refreshing can go on).
//
// Decoding is strict (see UnmarshalJSON): a token this server did not
// shape exactly like this is refused, whatever its signature.
type Claims struct {
	Role              systable.Role    `json:"role"`
	Type              TokenType        `json:"typ"`
	Username          string           `json:"username,omitempty"`
	CredentialVersion int64            `json:"cv"`
	AuthTime          *jwt.NumericDate `json:"auth_time"`
	jwt.RegisteredClaims
}

// claimKind is the JSON type a claim must have.
type claimKind int

const (
	claimString claimKind = iota
	claimTime             // a whole number of seconds since the epoch
	claimCount            // a non-negative whole number
)

// claimSpec says whether a claim is one a token may carry, of what kind,
// and whether it must.
func claimSpec(name string) (kind claimKind, required, known bool) {
	switch name {
	case "iss", "sub", "role", "typ":
		return claimString, true, true
	case "username":
		return claimString, false, true
	case "exp", "iat", "auth_time":
		return claimTime, true, true
	case "nbf":
		return claimTime, false, true
	case "cv":
		return claimCount, true, true
	}
	return 0, false, false
}

// maxTimeClaim is the last second of year 9999: later "times" are junk.
const maxTimeClaim = 253402300799

// UnmarshalJSON decodes claims strictly. encoding/json (and the JWT
// library over it) would take "exp": "9999999999" as a number, keep the
// last of two "sub" keys, and ignore claims it does not know; here each
// of those refuses the token. Times must be whole non-negative JSON
// numbers, strings must be strings, every claim claimSpec requires must
// be there and no other may be.
func (c *Claims) UnmarshalJSON(data []byte) error {
	if err := jsonstrict.CheckNoDuplicateKeys(data); err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	for name, v := range raw {
		kind, _, known := claimSpec(name)
		if !known {
			return fmt.Errorf("unknown claim %q", name)
		}
		if err := checkClaim(name, kind, v); err != nil {
			return err
		}
	}
	for _, name := range [...]string{"iss", "sub", "role", "typ", "username", "exp", "iat", "auth_time", "nbf", "cv"} {
		if _, required, _ := claimSpec(name); required && raw[name] == nil {
			return fmt.Errorf("missing claim %q", name)
		}
	}
	type plain Claims // the same fields without this method
	if err := json.Unmarshal(data, (*plain)(c)); err != nil {
		return err
	}
	if !c.Role.Valid() {
		return fmt.Errorf("claim role: unknown role %q", c.Role)
	}
	if c.Type != AccessToken && c.Type != RefreshToken {
		return fmt.Errorf("claim typ: unknown token type %q", c.Type)
	}
	return nil
}

func checkClaim(name string, kind claimKind, v json.RawMessage) error {
	switch kind {
	case claimString:
		if len(v) == 0 || v[0] != '"' {
			return fmt.Errorf("claim %s must be a string", name)
		}
		return nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	// ParseInt accepts a sign; JSON numbers have no '+', and a '-' is as
	// wrong as a fraction or an exponent here.
	if err != nil || n < 0 || v[0] == '-' || v[0] == '+' || (len(v) > 1 && v[0] == '0') {
		return fmt.Errorf("claim %s must be a non-negative whole number", name)
	}
	if kind == claimTime && n > maxTimeClaim {
		return fmt.Errorf("claim %s is not a time", name)
	}
	return nil
}

// TokenPair is what login and refresh hand out.
type TokenPair struct {
	AccessToken      string
	RefreshToken     string
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
}

// Tokens signs and verifies HS256 JWTs with one secret.
//
// A token that passed verification is remembered (verified) until it
// expires, so a client presenting the same token on every request pays
// for the signature and the strict claims parsing once. The cache is
// keyed by the whole token, not just its signature, so a cached signature
// never vouches for another header or payload; it holds claims only, and
// what can change during a token's life (the user's row, its credential
// version, the loopback rule) is checked by the Authenticator on every
// request, so revocation stays immediate.
type Tokens struct {
	secret     []byte
	accessTTL  time.Duration
	refreshTTL time.Duration
	now        func() time.Time
	parser     *jwt.Parser
	// validator re-checks the time claims (exp, iat, nbf) and the issuer
	// of a cached token with the parser's own rules.
	validator *jwt.Validator
	verified  *expiringCache[string, *Claims]
}

// TokenCacheEntries bounds the verified-token cache: beyond it, the token
// verified longest ago is forgotten (and verified again when it comes
// back).
const TokenCacheEntries = 10_000

// NewTokens returns a signer/verifier. now is the clock (time.Now when nil),
// injectable so expiry is tested without sleeping.
func NewTokens(secret []byte, accessTTL, refreshTTL time.Duration, now func() time.Time) (*Tokens, error) {
	if len(secret) == 0 {
		return nil, errors.New("auth: empty JWT secret")
	}
	if accessTTL <= 0 || refreshTTL <= 0 {
		return nil, fmt.Errorf("auth: token TTLs must be positive (access %s, refresh %s)", accessTTL, refreshTTL)
	}
	if now == nil {
		now = time.Now
	}
	rules := []jwt.ParserOption{
		// Only HS256: refuses "none" and the RS/HS confusion attack.
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithTimeFunc(now),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(Issuer),
	}
	return &Tokens{
		secret:     append([]byte(nil), secret...),
		accessTTL:  accessTTL,
		refreshTTL: refreshTTL,
		now:        now,
		parser:     jwt.NewParser(rules...),
		validator:  jwt.NewValidator(rules...),
		verified:   newExpiringCache[string, *Claims](TokenCacheEntries),
	}, nil
}

// Issue signs an access and a refresh token for u in a session that began
// with a password sign-in at authTime. The refresh token expires when the
// session does (authTime plus the refresh TTL), whenever it was issued;
// the access token at the latest then too.
func (t *Tokens) Issue(u *systable.User, authTime time.Time) (TokenPair, error) {
	// JWT times have second precision; truncate first so the expires_at we
	// report equals the exp claim exactly.
	now := t.now().Truncate(time.Second)
	authTime = authTime.Truncate(time.Second)
	sessionEnd := authTime.Add(t.refreshTTL)
	if !now.Before(sessionEnd) {
		return TokenPair{}, apierror.New(apierror.Unauthorized, "the session has expired; sign in again")
	}
	access, accessExp, err := t.sign(u, AccessToken, now, authTime, minTime(now.Add(t.accessTTL), sessionEnd))
	if err != nil {
		return TokenPair{}, err
	}
	refresh, refreshExp, err := t.sign(u, RefreshToken, now, authTime, sessionEnd)
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{
		AccessToken:      access,
		RefreshToken:     refresh,
		AccessExpiresAt:  accessExp,
		RefreshExpiresAt: refreshExp,
	}, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (t *Tokens) sign(u *systable.User, typ TokenType, now, authTime, exp time.Time) (string, time.Time, error) {
	claims := Claims{
		Role:              u.Role,
		Type:              typ,
		Username:          u.Username,
		CredentialVersion: u.CredentialVersion,
		AuthTime:          jwt.NewNumericDate(authTime),
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   u.UserID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign %s token: %w", typ, err)
	}
	return s, exp, nil
}

// Verify checks the signature, algorithm, issuer, expiry and that the token
// is of type want. Every failure is an UNAUTHORIZED *apierror.Error. The
// returned claims are shared with later calls for the same token: callers
// must not modify them.
func (t *Tokens) Verify(token string, want TokenType) (*Claims, error) {
	claims, err := t.verifyCached(token)
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return nil, apierror.Wrap(apierror.Unauthorized, err, "token expired")
		}
		return nil, apierror.Wrap(apierror.Unauthorized, err, "invalid token")
	}
	if claims.Type != want {
		got := orUnknown(string(claims.Type))
		return nil, apierror.New(apierror.Unauthorized, "%s %s token is not accepted here (want %s %s token)", article(got), got, article(string(want)), want)
	}
	if claims.Subject == "" {
		return nil, apierror.New(apierror.Unauthorized, "invalid token: no subject")
	}
	// The session's absolute end, under the current TTL: lowering the
	// TTL shortens sessions already running.
	if want == RefreshToken && !t.now().Before(claims.AuthTime.Add(t.refreshTTL)) {
		return nil, apierror.New(apierror.Unauthorized, "the session has expired; sign in again")
	}
	return claims, nil
}

// article is the indefinite article for a token type's name ("an access
// token", "a refresh token").
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// verifyCached returns the claims of a token whose signature and claims
// were verified before, after checking its time claims again, or verifies
// it and remembers it until it expires.
func (t *Tokens) verifyCached(token string) (*Claims, error) {
	now := t.now()
	if claims, ok := t.verified.get(token, now); ok {
		if err := t.validator.Validate(claims); err != nil {
			return nil, err
		}
		return claims, nil
	}
	claims := new(Claims)
	if _, err := t.parser.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) {
		return t.secret, nil
	}); err != nil {
		return nil, err
	}
	// Verification requires exp, so it is set.
	t.verified.put(strings.Clone(token), claims, claims.ExpiresAt.Time, now)
	return claims, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "untyped"
	}
	return s
}
