package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// maxResponseBytes bounds what the client reads of one HTTP answer. The
// server bounds its results far below this; the bound keeps a broken or
// hostile endpoint from making the client take unbounded memory.
const maxResponseBytes = 1 << 30

// refreshMargin is how long before its expiry an access token is replaced:
// a statement sent with a token about to expire would fail on the way.
const refreshMargin = 30 * time.Second

// Column is one column of a result schema.
type Column struct {
	Name     string `json:"name"`
	DataType string `json:"data_type"`
}

// Result is the result of one statement.
type Result struct {
	Schema   []Column            `json:"schema"`
	Rows     [][]json.RawMessage `json:"rows"`
	RowCount int64               `json:"row_count"`
	Message  string              `json:"message"`
	AsUser   string              `json:"as_user"`
}

// HasRows tells a statement that returns rows (possibly none) from one that
// only reports a count and a message.
func (r *Result) HasRows() bool { return r.Schema != nil }

// Response is a successful answer of POST /v1/api/sql.
type Response struct {
	Results []Result `json:"results"`
	// Took is the server's time for the request in milliseconds.
	Took float64 `json:"took"`
}

// ErrorPosition is where in the request's text a server error points:
// Position is a 1-based byte offset.
type ErrorPosition struct {
	Position int `json:"position"`
	Line     int `json:"line"`
	Column   int `json:"column"`
}

// positionOf returns the position a server error points at, if any.
func positionOf(err error) (ErrorPosition, bool) {
	e, ok := apierror.As(err)
	if !ok {
		return ErrorPosition{}, false
	}
	p, ok := e.Details.(ErrorPosition)
	return p, ok && p.Position > 0
}

// ConnError is a failure to reach the server at all: nothing was run.
type ConnError struct {
	URL string
	Err error
}

func (e *ConnError) Error() string {
	return fmt.Sprintf("could not reach the server at %s: %v", e.URL, e.Err)
}

func (e *ConnError) Unwrap() error { return e.Err }

// LoginRequiredError says the credentials the client holds no longer work
// and cannot be renewed without the password.
type LoginRequiredError struct {
	Username string
	Err      error
}

func (e *LoginRequiredError) Error() string {
	return fmt.Sprintf("the session of %s has expired or was revoked (%v); log in again", e.Username, e.Err)
}

func (e *LoginRequiredError) Unwrap() error { return e.Err }

// User is the signed-in user as login, refresh and /me describe it.
type User struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Role     string `json:"role"`
}

// Tokens is a token pair with its expiry times.
type Tokens struct {
	Access           string
	Refresh          string
	AccessExpiresAt  time.Time
	RefreshExpiresAt time.Time
}

// tokenResponse is the body of login and refresh.
type tokenResponse struct {
	User             User   `json:"user"`
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	ExpiresAt        string `json:"expires_at"`
	RefreshExpiresAt string `json:"refresh_expires_at"`
}

func (t *tokenResponse) tokens() Tokens {
	access, _ := time.Parse(time.RFC3339, t.ExpiresAt)
	refresh, _ := time.Parse(time.RFC3339, t.RefreshExpiresAt)
	return Tokens{Access: t.AccessToken, Refresh: t.RefreshToken, AccessExpiresAt: access, RefreshExpiresAt: refresh}
}

// Health is the answer of GET /health.
type Health struct {
	Status     string `json:"status"`
	Version    string `json:"version"`
	APIVersion string `json:"api_version"`
}

// Client speaks the server's HTTP contract. It authenticates with JWTs:
// it logs in once, sends the access token, and renews it with the refresh
// token before it expires or when the server refuses it. The password, when
// the user typed one, stays in memory only, so that an ended session can be
// renewed without asking again.
type Client struct {
	base    string
	http    *http.Client
	timeout time.Duration // per request; 0: none

	mu       sync.Mutex
	user     User
	password string // "" when unknown
	canLogin bool   // password is known (possibly empty)
	tokens   Tokens
	// onTokens is called (with mu held) whenever the token pair changes, so
	// that stored credentials follow the renewal.
	onTokens func(User, Tokens)
}

// NewClient returns a client of the server at base (http://host:port).
func NewClient(base string, timeout, connectTimeout time.Duration) *Client {
	dialer := &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: connectTimeout,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Client{base: strings.TrimRight(base, "/"), http: &http.Client{Transport: tr}, timeout: timeout}
}

// Base returns the server's base URL.
func (c *Client) Base() string { return c.base }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// User returns the signed-in user.
func (c *Client) User() User {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user
}

// Tokens returns the current token pair.
func (c *Client) Tokens() Tokens {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens
}

// SetTokens makes the client use a stored or given token pair for user.
// With no refresh token, an expired access token ends the session.
func (c *Client) SetTokens(u User, t Tokens) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.user, c.tokens = u, t
}

// OnTokens registers the callback run after every renewal of the tokens.
func (c *Client) OnTokens(f func(User, Tokens)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onTokens = f
}

// Login signs in with a user name and password and keeps the tokens.
func (c *Client) Login(ctx context.Context, username, password string) error {
	body, err := json.Marshal(map[string]string{"user": username, "password": password})
	if err != nil {
		return err
	}
	var tr tokenResponse
	if err := c.call(ctx, http.MethodPost, "/v1/api/auth/login", "", body, &tr); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.user, c.password, c.canLogin = tr.User, password, true
	c.setTokensLocked(tr.User, tr.tokens())
	return nil
}

func (c *Client) setTokensLocked(u User, t Tokens) {
	c.user, c.tokens = u, t
	if c.onTokens != nil {
		c.onTokens(u, t)
	}
}

// accessToken returns an access token valid for a while yet, renewing the
// pair first when it is about to expire.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tokens
	if t.Access != "" && (t.AccessExpiresAt.IsZero() || time.Until(t.AccessExpiresAt) > refreshMargin) {
		return t.Access, nil
	}
	if err := c.renewLocked(ctx, t.Access); err != nil {
		return "", err
	}
	return c.tokens.Access, nil
}

// renewLocked replaces the token pair unless another caller already
// replaced the one that failed (stale): with the refresh token, or by
// logging in again when the password is known.
func (c *Client) renewLocked(ctx context.Context, stale string) error {
	if c.tokens.Access != stale {
		return nil
	}
	var refreshErr error
	if c.tokens.Refresh != "" {
		var tr tokenResponse
		refreshErr = c.call(ctx, http.MethodPost, "/v1/api/auth/refresh", c.tokens.Refresh, nil, &tr)
		if refreshErr == nil {
			c.setTokensLocked(tr.User, tr.tokens())
			return nil
		}
		if !apierror.Is(refreshErr, apierror.Unauthorized) {
			return refreshErr
		}
	}
	if c.canLogin {
		body, err := json.Marshal(map[string]string{"user": c.user.Username, "password": c.password})
		if err != nil {
			return err
		}
		var tr tokenResponse
		if err := c.call(ctx, http.MethodPost, "/v1/api/auth/login", "", body, &tr); err != nil {
			return err
		}
		c.setTokensLocked(tr.User, tr.tokens())
		return nil
	}
	if refreshErr == nil {
		refreshErr = errors.New("the access token was refused and there is no refresh token")
	}
	return &LoginRequiredError{Username: c.user.Username, Err: refreshErr}
}

// authed runs an authenticated call, renewing the tokens once if the server
// refuses them. A refused request ran nothing, so repeating it is safe.
func (c *Client) authed(ctx context.Context, method, path string, body []byte, out any) error {
	token, err := c.accessToken(ctx)
	if err != nil {
		return err
	}
	err = c.call(ctx, method, path, token, body, out)
	if !apierror.Is(err, apierror.Unauthorized) {
		return err
	}
	c.mu.Lock()
	renewErr := c.renewLocked(ctx, token)
	fresh := c.tokens.Access
	c.mu.Unlock()
	if renewErr != nil {
		return renewErr
	}
	if fresh == token {
		return err
	}
	return c.call(ctx, method, path, fresh, body, out)
}

// SQL runs a batch. namespace is the default namespace ("" for none). A
// refused batch is an *apierror.Error whose Details, when the error points
// into the text, is an ErrorPosition.
func (c *Client) SQL(ctx context.Context, sql, namespace string) (*Response, error) {
	req := map[string]any{"sql": sql}
	if namespace != "" {
		req["namespace_id"] = namespace
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var resp Response
	if err := c.authed(ctx, http.MethodPost, "/v1/api/sql", body, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Me returns the signed-in user as the server sees it.
func (c *Client) Me(ctx context.Context) (User, error) {
	var u User
	if err := c.authed(ctx, http.MethodGet, "/v1/api/auth/me", nil, &u); err != nil {
		return User{}, err
	}
	c.mu.Lock()
	c.user = u
	c.mu.Unlock()
	return u, nil
}

// Health asks the server whether it is up.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	err := c.call(ctx, http.MethodGet, "/health", "", nil, &h)
	return h, err
}

// wireError is the error envelope of every endpoint.
type wireError struct {
	Error *struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Details json.RawMessage `json:"details"`
	} `json:"error"`
}

// call sends one request and decodes a 2xx JSON answer into out. A 4xx or
// 5xx answer is the server's *apierror.Error; no answer at all is a
// *ConnError.
func (c *Client) call(ctx context.Context, method, path, bearer string, body []byte, out any) error {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("bad server URL %q: %w", c.base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &ConnError{URL: c.base, Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &ConnError{URL: c.base, Err: fmt.Errorf("reading the answer to %s %s: %w", method, path, err)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(out); err != nil {
			return fmt.Errorf("%s %s: unreadable answer (HTTP %d): %w", method, path, resp.StatusCode, err)
		}
		return nil
	}
	var we wireError
	if json.Unmarshal(raw, &we) != nil || we.Error == nil {
		return &apierror.Error{Code: codeForStatus(resp.StatusCode),
			Message: fmt.Sprintf("HTTP %d from %s %s: %s", resp.StatusCode, method, path, snippet(string(raw), 200))}
	}
	e := &apierror.Error{Code: apierror.Code(we.Error.Code), Message: we.Error.Message}
	var pos ErrorPosition
	if len(we.Error.Details) > 0 && json.Unmarshal(we.Error.Details, &pos) == nil && pos.Position > 0 {
		e.Details = pos
	}
	return e
}

// codeForStatus names an error answer that carries no envelope (a proxy's
// page, say) by its HTTP status.
func codeForStatus(status int) apierror.Code {
	switch {
	case status == http.StatusUnauthorized:
		return apierror.Unauthorized
	case status == http.StatusForbidden:
		return apierror.PermissionDenied
	case status == http.StatusNotFound:
		return apierror.NotFound
	case status == http.StatusTooManyRequests:
		return apierror.RateLimitExceeded
	case status >= 500:
		return apierror.InternalError
	}
	return apierror.InvalidInput
}

// unwrapURLError drops net/http's "Post \"url\":" prefix, which the
// ConnError already says.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// snippet shortens s to at most n bytes for a message.
func snippet(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
