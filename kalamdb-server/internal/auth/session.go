package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Cookie sessions are how the browser console signs in: the token pair
// lives in two HttpOnly cookies that script cannot read, and every
// request that changes something and is authenticated by a cookie alone
// carries the session's anti-CSRF token in CSRFHeader. The token is an
// HMAC of the session (user id and sign-in time) under a key derived from
// the JWT secret: the server keeps no state, refreshing keeps it, a new
// sign-in changes it, and only a page that could read an answer of this
// origin (login, refresh, /me) can know it.
const (
	// SessionCookie holds the access token; sent on every request of the
	// origin.
	SessionCookie = "kalamdb_session"
	// RefreshCookie holds the refresh token; sent to the refresh endpoint
	// only (its Path).
	RefreshCookie = "kalamdb_refresh"
	// RefreshCookiePath is the path RefreshCookie is scoped to.
	RefreshCookiePath = "/v1/api/auth/refresh"
	// CSRFHeader carries the anti-CSRF token of a cookie session.
	CSRFHeader = "X-KalamDB-CSRF"
	// SessionModeHeader, set to "cookie" on a login, asks for a cookie
	// session instead of tokens in the answer.
	SessionModeHeader = "X-KalamDB-Session"
)

// AdminUIAccess reports whether a role may use the admin console (and so
// hold a cookie session): dba and system.
func AdminUIAccess(r systable.Role) bool {
	return r == systable.RoleDBA || r == systable.RoleSystem
}

// errConsoleRole refuses a cookie session to a role below dba.
func errConsoleRole() *apierror.Error {
	return apierror.New(apierror.PermissionDenied, "the admin console is for dba and system users")
}

// CheckConsoleRole refuses (PERMISSION_DENIED) a principal who may not use
// the console.
func CheckConsoleRole(p Principal) error {
	if !AdminUIAccess(p.Role) {
		return errConsoleRole()
	}
	return nil
}

// CSRFToken is the anti-CSRF token of the session c belongs to (the same
// for its access and refresh tokens, and across refreshes).
func (t *Tokens) CSRFToken(c *Claims) string {
	mac := hmac.New(sha256.New, t.csrfKey())
	mac.Write([]byte(c.Subject))
	mac.Write([]byte{0})
	mac.Write([]byte(strconv.FormatInt(c.AuthTime.Unix(), 10)))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// csrfKey derives the CSRF key from the JWT secret, so a CSRF token is
// never a valid signature of anything else.
func (t *Tokens) csrfKey() []byte {
	mac := hmac.New(sha256.New, t.secret)
	mac.Write([]byte("kalamdb console csrf v1"))
	return mac.Sum(nil)
}

// checkCSRF compares a presented token with the session's in constant
// time.
func (t *Tokens) checkCSRF(c *Claims, presented string) error {
	if presented == "" {
		return apierror.New(apierror.PermissionDenied, "a request authenticated by the session cookie needs the %s header", CSRFHeader)
	}
	if subtle.ConstantTimeCompare([]byte(presented), []byte(t.CSRFToken(c))) != 1 {
		return apierror.New(apierror.PermissionDenied, "the %s header does not match the session", CSRFHeader)
	}
	return nil
}

// Session is an authenticated cookie session.
type Session struct {
	Principal Principal
	// CSRF is the session's anti-CSRF token, for the console.
	CSRF string
}

// HasSessionCookie reports whether r carries a session or refresh cookie.
func HasSessionCookie(r *http.Request) bool {
	for _, name := range [...]string{SessionCookie, RefreshCookie} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return true
		}
	}
	return false
}

// SessionFromCookie authenticates r by its session cookie. A request that
// is not safe (anything but GET, HEAD and OPTIONS) must also come from the
// console's own origin and carry the session's CSRF token. The principal
// must still be allowed the console (a role changed since revokes the
// tokens anyway).
func (a *Authenticator) SessionFromCookie(r *http.Request) (Session, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return Session{}, unauthorized("no session: sign in again")
	}
	p, claims, err := a.checkToken(c.Value, AccessToken, r.RemoteAddr)
	if err != nil {
		return Session{}, err
	}
	return a.session(r, p, claims)
}

func (a *Authenticator) session(r *http.Request, p Principal, claims *Claims) (Session, error) {
	if !safeMethod(r.Method) {
		if err := CheckSameOrigin(r); err != nil {
			return Session{}, err
		}
		if err := a.tokens.checkCSRF(claims, r.Header.Get(CSRFHeader)); err != nil {
			return Session{}, err
		}
	}
	if err := CheckConsoleRole(p); err != nil {
		return Session{}, err
	}
	return Session{Principal: p, CSRF: a.tokens.CSRFToken(claims)}, nil
}

// RefreshFromCookie exchanges the refresh cookie of r for a new token pair
// of the same session, under the same rules as SessionFromCookie.
func (a *Authenticator) RefreshFromCookie(r *http.Request) (Session, TokenPair, error) {
	c, err := r.Cookie(RefreshCookie)
	if err != nil || c.Value == "" {
		return Session{}, TokenPair{}, unauthorized("no session: sign in again")
	}
	p, claims, err := a.checkToken(c.Value, RefreshToken, r.RemoteAddr)
	if err != nil {
		return Session{}, TokenPair{}, err
	}
	s, err := a.session(r, p, claims)
	if err != nil {
		return Session{}, TokenPair{}, err
	}
	pair, err := a.tokens.Issue(&p.User, claims.AuthTime.Time)
	if err != nil {
		return Session{}, TokenPair{}, err
	}
	return s, pair, nil
}

// CSRFOf is the CSRF token of the session a freshly issued pair belongs
// to (for the answer of a cookie login).
func (a *Authenticator) CSRFOf(pair TokenPair) (string, error) {
	claims, err := a.tokens.Verify(pair.AccessToken, AccessToken)
	if err != nil {
		return "", err
	}
	return a.tokens.CSRFToken(claims), nil
}

// CheckSessionToken authenticates a WebSocket by the session cookie of
// its upgrade request (accessToken) and the CSRF token the page sent
// in-band: the cookie alone proves nothing about who opened the socket.
func (a *Authenticator) CheckSessionToken(accessToken, csrf, remoteAddr string) (Principal, error) {
	p, claims, err := a.checkToken(accessToken, AccessToken, remoteAddr)
	if err != nil {
		return Principal{}, err
	}
	if err := a.tokens.checkCSRF(claims, csrf); err != nil {
		return Principal{}, err
	}
	if err := CheckConsoleRole(p); err != nil {
		return Principal{}, err
	}
	return p, nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// CheckSameOrigin refuses a request the browser says comes from another
// site or origin: Sec-Fetch-Site when the browser sends it, else the
// Origin header against Host. A request with neither (not a browser, or a
// very old one) passes: the CSRF token is the check that always applies.
func CheckSameOrigin(r *http.Request) error {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return nil
	case "":
	default:
		return apierror.New(apierror.PermissionDenied, "cross-origin request refused")
	}
	if !SameOrigin(r) {
		return apierror.New(apierror.PermissionDenied, "cross-origin request refused")
	}
	return nil
}

// SameOrigin reports whether r's Origin header, when present, names the
// host r was sent to. (Scheme is not compared: the server does not know
// whether a proxy in front of it terminated TLS.)
func SameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// SetSessionCookies puts a token pair in the session cookies: HttpOnly,
// SameSite=Strict, Secure when the request came over TLS, each expiring
// with its token.
func SetSessionCookies(w http.ResponseWriter, r *http.Request, pair TokenPair) {
	secure := r.TLS != nil
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: pair.AccessToken, Path: "/",
		Expires: pair.AccessExpiresAt, HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: RefreshCookie, Value: pair.RefreshToken, Path: RefreshCookiePath,
		Expires: pair.RefreshExpiresAt, HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
}

// ClearSessionCookies removes both session cookies.
func ClearSessionCookies(w http.ResponseWriter, r *http.Request) {
	secure := r.TLS != nil
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: RefreshCookie, Value: "", Path: RefreshCookiePath, MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
}
