package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/auth"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// fakeSetup is the catalog's first-run set-up over fakeUsers: root needs
// set-up while it has no password hash.
type fakeSetup struct {
	mu    sync.Mutex
	users *fakeUsers
	calls []string
}

func (f *fakeSetup) NeedsSetup() bool {
	u, ok := f.users.UserByName("root")
	return ok && u.PasswordHash == ""
}

func (f *fakeSetup) Setup(rootPassword, name, password, email string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.NeedsSetup() {
		return "", apierror.New(apierror.AlreadyExists, "the server is already set up")
	}
	f.calls = append(f.calls, rootPassword+"|"+name+"|"+password+"|"+email)
	f.users.update("root", func(u *systable.User) { u.PasswordHash = "set" })
	return "u_new", nil
}

const origin = "http://example.test"

// consoleReq is a request the console sends: the session mode header, from
// its own origin (the Host httptest uses is example.com).
func consoleReq(opts ...reqOpt) []reqOpt {
	return append([]reqOpt{withHeader(auth.SessionModeHeader, "cookie"), withHeader("Origin", "http://example.com"),
		withHeader("Sec-Fetch-Site", "same-origin")}, opts...)
}

func withCookies(cs []*http.Cookie) reqOpt {
	return func(r *http.Request) {
		for _, c := range cs {
			r.AddCookie(c)
		}
	}
}

type sessionAnswer struct {
	User struct {
		Username string `json:"username"`
		Role     string `json:"role"`
	} `json:"user"`
	AdminUIAccess bool    `json:"admin_ui_access"`
	CSRFToken     string  `json:"csrf_token"`
	AccessToken   *string `json:"access_token"`
	RefreshToken  *string `json:"refresh_token"`
	ExpiresAt     string  `json:"expires_at"`
}

// consoleLogin signs bob (dba) in with a cookie session and returns its
// cookies and CSRF token.
func consoleLogin(t *testing.T, e *env) ([]*http.Cookie, string) {
	t.Helper()
	w := e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"bob","password":"pw-bob"}`), consoleReq()...)
	if w.Code != http.StatusOK {
		t.Fatalf("console login: %d %s", w.Code, w.Body)
	}
	var a sessionAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if a.AccessToken != nil || a.RefreshToken != nil {
		t.Fatalf("a cookie login answered tokens to script: %s", w.Body)
	}
	if !a.AdminUIAccess || a.CSRFToken == "" || a.User.Username != "bob" || a.ExpiresAt == "" {
		t.Fatalf("console login answer: %s", w.Body)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", w.Header().Get("Cache-Control"))
	}
	cookies := w.Result().Cookies()
	byName := map[string]*http.Cookie{}
	for _, c := range cookies {
		byName[c.Name] = c
	}
	s, r := byName[auth.SessionCookie], byName[auth.RefreshCookie]
	if s == nil || r == nil {
		t.Fatalf("cookies: %v", cookies)
	}
	for _, c := range []*http.Cookie{s, r} {
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Value == "" {
			t.Fatalf("cookie %s: HttpOnly %v SameSite %v Secure %v", c.Name, c.HttpOnly, c.SameSite, c.Secure)
		}
	}
	if s.Path != "/" || r.Path != auth.RefreshCookiePath {
		t.Fatalf("cookie paths: %q %q", s.Path, r.Path)
	}
	return []*http.Cookie{s}, a.CSRFToken
}

func TestConsoleLoginSetsCookiesOnlyForAdmins(t *testing.T) {
	e := newEnv(t)
	consoleLogin(t, e)

	// A user-role account gets no console session, and no cookie.
	w := e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"alice","password":"pw-alice"}`), consoleReq()...)
	wantError(t, w, http.StatusForbidden, apierror.PermissionDenied)
	if len(w.Result().Cookies()) != 0 {
		t.Fatalf("refused console login set cookies: %v", w.Result().Cookies())
	}
	// A wrong password is 401 without a Basic challenge (the browser would
	// show its own password dialog over the console).
	w = e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"bob","password":"nope"}`), consoleReq()...)
	if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != "" || len(w.Result().Cookies()) != 0 {
		t.Fatalf("wrong password: %d %q %s", w.Code, w.Header().Get("WWW-Authenticate"), w.Body)
	}
	// A console login sent by a page of another site is refused.
	w = e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"bob","password":"pw-bob"}`),
		consoleReq(withHeader("Sec-Fetch-Site", "cross-site"))...)
	wantError(t, w, http.StatusForbidden, apierror.PermissionDenied)

	// A plain login reports admin_ui_access and sets no cookie.
	for user, want := range map[string]bool{"alice": false, "bob": true} {
		w := e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"`+user+`","password":"pw-`+user+`"}`))
		var a sessionAnswer
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || w.Code != http.StatusOK {
			t.Fatalf("plain login %s: %d %s", user, w.Code, w.Body)
		}
		if a.AdminUIAccess != want || a.AccessToken == nil || len(w.Result().Cookies()) != 0 {
			t.Fatalf("plain login %s: %s, cookies %v", user, w.Body, w.Result().Cookies())
		}
	}
}

func TestCookieSessionNeedsCSRFForChanges(t *testing.T) {
	e := newEnv(t)
	cookies, csrf := consoleLogin(t, e)
	sql := func(opts ...reqOpt) *httptest.ResponseRecorder {
		return e.do(t, http.MethodPost, "/v1/api/sql", strings.NewReader(`{"sql":"SELECT 1"}`), opts...)
	}

	// With the cookie and the token: runs as bob.
	if w := sql(consoleReq(withCookies(cookies), withHeader(auth.CSRFHeader, csrf))...); w.Code != http.StatusOK {
		t.Fatalf("cookie + CSRF: %d %s", w.Code, w.Body)
	}
	if calls := e.exec.calls(); len(calls) != 1 || calls[0].UserID != "bob" {
		t.Fatalf("executor calls: %+v", calls)
	}
	// Without the token, with a wrong one, or from another origin: refused,
	// nothing runs.
	for name, opts := range map[string][]reqOpt{
		"no token":     consoleReq(withCookies(cookies)),
		"wrong token":  consoleReq(withCookies(cookies), withHeader(auth.CSRFHeader, csrf+"x")),
		"cross-site":   {withCookies(cookies), withHeader(auth.CSRFHeader, csrf), withHeader("Sec-Fetch-Site", "same-site")},
		"other origin": {withCookies(cookies), withHeader(auth.CSRFHeader, csrf), withHeader("Origin", origin)},
	} {
		w := sql(opts...)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), string(apierror.PermissionDenied)) {
			t.Fatalf("%s: %d %s", name, w.Code, w.Body)
		}
	}
	if n := len(e.exec.calls()); n != 1 {
		t.Fatalf("refused requests ran statements: %d calls", n)
	}

	// /me is safe: the cookie alone answers, with the CSRF token.
	w := e.do(t, http.MethodGet, "/v1/api/auth/me", nil, withCookies(cookies))
	var me struct {
		Username      string `json:"username"`
		AdminUIAccess bool   `json:"admin_ui_access"`
		CSRFToken     string `json:"csrf_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil || me.Username != "bob" || !me.AdminUIAccess || me.CSRFToken != csrf {
		t.Fatalf("/me by cookie: %d %s", w.Code, w.Body)
	}
	// /me by Basic reports admin_ui_access, and no CSRF token.
	w = e.do(t, http.MethodGet, "/v1/api/auth/me", nil, withAuth(basic("alice", "pw-alice")))
	if !strings.Contains(w.Body.String(), `"admin_ui_access":false`) || strings.Contains(w.Body.String(), "csrf") {
		t.Fatalf("/me by Basic: %s", w.Body)
	}

	// A role change revokes the session.
	e.users.update("bob", func(u *systable.User) { u.Role = systable.RoleUser; u.CredentialVersion++ })
	w = e.do(t, http.MethodGet, "/v1/api/auth/me", nil, withCookies(cookies))
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("/me after a role change: %d %s", w.Code, w.Body)
	}
}

func TestCookieRefreshAndLogout(t *testing.T) {
	e := newEnv(t)
	w := e.do(t, http.MethodPost, "/v1/api/auth/login", strings.NewReader(`{"user":"bob","password":"pw-bob"}`), consoleReq()...)
	all := w.Result().Cookies()
	var csrf struct {
		CSRFToken string `json:"csrf_token"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &csrf)

	// Refresh by the refresh cookie needs the CSRF token too.
	w = e.do(t, http.MethodPost, "/v1/api/auth/refresh", nil, consoleReq(withCookies(all))...)
	wantError(t, w, http.StatusForbidden, apierror.PermissionDenied)
	e.clock.Advance(2 * 60 * 60 * 1e9) // past the access token's hour
	w = e.do(t, http.MethodPost, "/v1/api/auth/refresh", nil, consoleReq(withCookies(all), withHeader(auth.CSRFHeader, csrf.CSRFToken))...)
	if w.Code != http.StatusOK {
		t.Fatalf("refresh: %d %s", w.Code, w.Body)
	}
	var a sessionAnswer
	_ = json.Unmarshal(w.Body.Bytes(), &a)
	if a.CSRFToken != csrf.CSRFToken || a.AccessToken != nil {
		t.Fatalf("refresh answer: %s", w.Body)
	}
	renewed := w.Result().Cookies()
	if len(renewed) != 2 {
		t.Fatalf("refresh cookies: %v", renewed)
	}
	// The old access cookie expired; the renewed one works.
	if w := e.do(t, http.MethodGet, "/v1/api/auth/me", nil, withCookies(all[:1])); w.Code != http.StatusUnauthorized {
		t.Fatalf("expired access cookie: %d", w.Code)
	}
	if w := e.do(t, http.MethodGet, "/v1/api/auth/me", nil, withCookies(renewed)); w.Code != http.StatusOK {
		t.Fatalf("renewed cookie: %d %s", w.Code, w.Body)
	}

	// Logout clears both cookies; from another site it is refused.
	w = e.do(t, http.MethodPost, "/v1/api/auth/logout", nil, withHeader("Sec-Fetch-Site", "cross-site"))
	wantError(t, w, http.StatusForbidden, apierror.PermissionDenied)
	w = e.do(t, http.MethodPost, "/v1/api/auth/logout", nil, consoleReq()...)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Logged out") {
		t.Fatalf("logout: %d %s", w.Code, w.Body)
	}
	cleared := map[string]bool{}
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 && c.Value == "" {
			cleared[c.Name] = true
		}
	}
	if !cleared[auth.SessionCookie] || !cleared[auth.RefreshCookie] {
		t.Fatalf("logout cookies: %v", w.Result().Cookies())
	}
}

func TestSetupFromLoopbackOnly(t *testing.T) {
	e := newEnv(t)
	body := `{"user":"admin","password":"admin-pw","root_password":"root-pw","email":"a@example.com"}`
	local := func(opts ...reqOpt) []reqOpt {
		return append([]reqOpt{from(loopbackAddr), func(r *http.Request) { r.Host = "127.0.0.1:8080" }}, opts...)
	}

	// Not from loopback, or to a name that is not loopback (DNS
	// rebinding), or from another site: refused, nothing set up.
	for name, opts := range map[string][]reqOpt{
		"remote client":   {from(remoteAddr)},
		"rebound name":    {from(loopbackAddr), func(r *http.Request) { r.Host = "evil.example:8080" }},
		"cross-site page": local(withHeader("Sec-Fetch-Site", "cross-site")),
	} {
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			path := "/v1/api/auth/setup"
			if m == http.MethodGet {
				path = "/v1/api/auth/status"
			}
			w := e.do(t, m, path, strings.NewReader(body), opts...)
			wantError(t, w, http.StatusForbidden, apierror.PermissionDenied)
		}
		if len(e.setup.calls) != 0 {
			t.Fatalf("%s: set up anyway", name)
		}
	}

	w := e.do(t, http.MethodGet, "/v1/api/auth/status", nil, local()...)
	if !strings.Contains(w.Body.String(), `"needs_setup":true`) {
		t.Fatalf("status before: %s", w.Body)
	}
	// Missing fields are refused.
	w = e.do(t, http.MethodPost, "/v1/api/auth/setup", strings.NewReader(`{"user":"admin","password":"x"}`), local()...)
	if resp := wantError(t, w, http.StatusBadRequest, apierror.InvalidInput); !strings.Contains(resp.Error.Message, "root_password") {
		t.Fatalf("missing root_password: %s", w.Body)
	}
	w = e.do(t, http.MethodPost, "/v1/api/auth/setup", strings.NewReader(body), local()...)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Setup complete") {
		t.Fatalf("setup: %d %s", w.Code, w.Body)
	}
	if len(e.setup.calls) != 1 || e.setup.calls[0] != "root-pw|admin|admin-pw|a@example.com" {
		t.Fatalf("setup calls: %v", e.setup.calls)
	}
	if w := e.do(t, http.MethodGet, "/v1/api/auth/status", nil, local()...); !strings.Contains(w.Body.String(), `"needs_setup":false`) {
		t.Fatalf("status after: %s", w.Body)
	}
	w = e.do(t, http.MethodPost, "/v1/api/auth/setup", strings.NewReader(body), local()...)
	wantError(t, w, http.StatusConflict, apierror.AlreadyExists)
}

func TestUIServing(t *testing.T) {
	e := newEnv(t)
	fsys := fstest.MapFS{
		"index.html":         {Data: []byte(`<html><meta name="csp-nonce" content="__CSP_NONCE__"><script type="module" src="/ui/assets/app-1.js"></script></html>`)},
		"assets/app-1.js":    {Data: []byte(`console.log(1)`)},
		"assets/app-1.css":   {Data: []byte(`body{}`)},
		"favicon.svg":        {Data: []byte(`<svg/>`)},
		"assets/nested/x.js": {Data: []byte(`1`)},
	}
	if err := e.srv.MountUI(fsys); err != nil {
		t.Fatal(err)
	}
	if w := e.do(t, http.MethodGet, "/ui", nil); w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/ui/" {
		t.Fatalf("/ui: %d %v", w.Code, w.Header())
	}
	for _, path := range []string{"/ui/", "/ui/index.html", "/ui/studio"} {
		w := e.do(t, http.MethodGet, path, nil)
		csp := w.Header().Get("Content-Security-Policy")
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: %d %v", path, w.Code, w.Header())
		}
		if !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") ||
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Fatalf("%s: CSP %q", path, csp)
		}
		_, rest, _ := strings.Cut(csp, "'nonce-")
		nonce, _, _ := strings.Cut(rest, "'")
		if len(nonce) < 20 || !strings.Contains(w.Body.String(), `content="`+nonce+`"`) || strings.Contains(w.Body.String(), "__CSP_NONCE__") {
			t.Fatalf("%s: nonce %q not in the page: %s", path, nonce, w.Body)
		}
		if w.Header().Get("X-Frame-Options") != "DENY" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: headers %v", path, w.Header())
		}
	}
	w := e.do(t, http.MethodGet, "/ui/assets/app-1.js", nil)
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" ||
		!strings.Contains(w.Header().Get("Content-Type"), "javascript") || w.Body.String() != "console.log(1)" {
		t.Fatalf("asset: %d %v %s", w.Code, w.Header(), w.Body)
	}
	etag := w.Header().Get("ETag")
	if w := e.do(t, http.MethodGet, "/ui/assets/app-1.js", nil, withHeader("If-None-Match", etag)); w.Code != http.StatusNotModified {
		t.Fatalf("revalidation: %d", w.Code)
	}
	if w := e.do(t, http.MethodGet, "/ui/favicon.svg", nil); w.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("unhashed file: %v", w.Header())
	}
	// A missing file with an extension is a 404, not the page.
	wantError(t, e.do(t, http.MethodGet, "/ui/assets/missing.js", nil), http.StatusNotFound, apierror.NotFound)
	if w := e.do(t, http.MethodPost, "/ui/", nil); w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /ui/: %d", w.Code)
	}
	if err := newEnv(t).srv.MountUI(fstest.MapFS{"a.js": {Data: []byte("1")}}); err == nil {
		t.Fatal("files without index.html mounted")
	}
}
