package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TokenType is the `typ` claim: which endpoints accept the token.
type TokenType string

// Token types (API.md "Auth"): a refresh token is accepted only by
// /v1/api/auth/refresh, an access token everywhere else.
const (
	AccessToken  TokenType = "access"
	RefreshToken TokenType = "refresh"
)

// Issuer is the `iss` claim of every token this server signs. Verification
// requires it, so a token signed with the same secret by another system
// that does not set it is refused.
const Issuer = "kalamdb"

// Claims are the JWT claims: sub (user id), exp, iat, iss from the
// registered set, plus role, typ and username.
type Claims struct {
	Role     systable.Role `json:"role"`
	Type     TokenType     `json:"typ"`
	Username string        `json:"username,omitempty"`
	jwt.RegisteredClaims
}

// TokenPair is what login and refresh hand out.
type TokenPair struct {
	AccessToken      string
	RefreshToken     string
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
}

// Tokens signs and verifies HS256 JWTs with one secret.
type Tokens struct {
	secret     []byte
	accessTTL  time.Duration
	refreshTTL time.Duration
	now        func() time.Time
	parser     *jwt.Parser
}

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
	return &Tokens{
		secret:     append([]byte(nil), secret...),
		accessTTL:  accessTTL,
		refreshTTL: refreshTTL,
		now:        now,
		parser: jwt.NewParser(
			// Only HS256: refuses "none" and the RS/HS confusion attack.
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithTimeFunc(now),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithIssuer(Issuer),
		),
	}, nil
}

// Issue signs an access and a refresh token for u.
func (t *Tokens) Issue(u *systable.User) (TokenPair, error) {
	// JWT times have second precision; truncate first so the expires_at we
	// report equals the exp claim exactly.
	now := t.now().Truncate(time.Second)
	access, accessExp, err := t.sign(u, AccessToken, now, t.accessTTL)
	if err != nil {
		return TokenPair{}, err
	}
	refresh, refreshExp, err := t.sign(u, RefreshToken, now, t.refreshTTL)
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

func (t *Tokens) sign(u *systable.User, typ TokenType, now time.Time, ttl time.Duration) (string, time.Time, error) {
	exp := now.Add(ttl)
	claims := Claims{
		Role:     u.Role,
		Type:     typ,
		Username: u.Username,
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
// is of type want. Every failure is an UNAUTHORIZED *apierror.Error.
func (t *Tokens) Verify(token string, want TokenType) (*Claims, error) {
	var claims Claims
	_, err := t.parser.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) {
		return t.secret, nil
	})
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return nil, apierror.Wrap(apierror.Unauthorized, err, "token expired")
		}
		return nil, apierror.Wrap(apierror.Unauthorized, err, "invalid token")
	}
	if claims.Type != want {
		return nil, apierror.New(apierror.Unauthorized, "a %s token is not accepted here (want %s token)", orUnknown(string(claims.Type)), want)
	}
	if claims.Subject == "" {
		return nil, apierror.New(apierror.Unauthorized, "invalid token: no subject")
	}
	return &claims, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "untyped"
	}
	return s
}
