package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/auth"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// maxLoginBodyBytes bounds the body of the unauthenticated login endpoint
// far below the general limit: credentials are tiny, and anonymous clients
// should not make the server buffer megabytes.
const maxLoginBodyBytes = 64 << 10

// healthAnswer is the body of the health endpoints, which never changes
// while the server runs.
func healthAnswer(version string) ([]byte, error) {
	b, err := row.AppendEncodingJSON(nil, map[string]string{
		"status":      "healthy",
		"version":     version,
		"api_version": APIVersion,
	})
	return append(b, '\n'), err
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	infoOf(w).code = codeOK
	s.writeBody(w, http.StatusOK, s.health)
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, apierror.New(apierror.NotFound, "no endpoint %s %s", r.Method, r.URL.Path))
}

func (s *Server) handleMethodNotAllowed(w http.ResponseWriter, r *http.Request, route string) {
	infoOf(w).route = route
	allow := s.allowHeader(route)
	w.Header().Set("Allow", allow)
	s.writeError(w, r, apierror.New(codeMethodNotAllowed, "method %s not allowed on %s (allowed: %s)", r.Method, route, allow))
}

// authenticate runs the authenticator and the per-user rate limit, and
// records the user for the access log. On failure it has answered.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, _, ok := s.authenticateSession(w, r)
	return p, ok
}

// authenticateSession is authenticate that also accepts the console's
// session cookie when the request has no Authorization header; csrf is
// then the session's anti-CSRF token ("" for header credentials).
func (s *Server) authenticateSession(w http.ResponseWriter, r *http.Request) (p auth.Principal, csrf string, ok bool) {
	var err error
	if s.sessions != nil && r.Header.Get("Authorization") == "" && auth.HasSessionCookie(r) {
		var sess auth.Session
		sess, err = s.sessions.SessionFromCookie(r)
		p, csrf = sess.Principal, sess.CSRF
	} else {
		p, err = s.auth.Authenticate(r)
	}
	if err != nil {
		s.writeError(w, r, err)
		return auth.Principal{}, "", false
	}
	return p, csrf, s.admit(w, r, p)
}

// admit records that the connection has presented valid credentials
// (within the per-user bound on connections) and applies the per-user
// rate limit to an authenticated principal.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, p auth.Principal) bool {
	infoOf(w).userID = p.UserID
	if err := MarkAuthenticated(r.Context(), p.UserID); err != nil {
		// The connection stays anonymous; the client gets its answer and
		// the slot back.
		w.Header().Set("Connection", "close")
		s.writeError(w, r, err)
		return false
	}
	if ok, wait := s.limiter.allow(p.UserID); !ok {
		s.writeError(w, r, apierror.TooManyRequests(wait,
			"rate limit exceeded: at most %g requests per second per user", s.opts.RequestsPerSecond))
		return false
	}
	return true
}

// readBody appends the whole body to buf, under limit. Too large is
// PAYLOAD_TOO_LARGE, checked up front from Content-Length when the client
// declared one, so an oversized upload is refused before it is read.
// The body is reserved in charge (nil: not reserved) as it arrives: its
// buffer grows by doubling, each growth reserved before it is made, never
// by the length the client declared, so that a client declaring a huge
// body and sending little of it holds (and makes the server allocate)
// only what it sent; a body the account cannot take is its refusal
// (RATE_LIMIT_EXCEEDED). What is reserved is at least the body's length,
// at most its buffer's growth. Callers pass a pooled buffer and decode the
// body before they give it back: decoded values never refer to it.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, limit int64, buf []byte, charge *memory.Charge) ([]byte, error) {
	tooLarge := func() error {
		return apierror.New(apierror.PayloadTooLarge, "request body is over the limit of %d bytes", limit)
	}
	if r.ContentLength > limit {
		return nil, tooLarge()
	}
	// The buffer need not grow past the declared length: the body ends
	// there.
	grow := limit
	if r.ContentLength >= 0 {
		grow = r.ContentLength
	}
	body, held, err := memory.ReadReserved(http.MaxBytesReader(w, r.Body, limit), buf, grow, charge)
	if err != nil {
		var mbe *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &mbe), errors.Is(err, memory.ErrTooLarge):
			return nil, tooLarge()
		case errors.Is(err, memory.ErrRefused):
			return nil, charge.Refusal()
		case errors.As(err, &ne) && ne.Timeout():
			return nil, apierror.Wrap(apierror.InvalidInput, err,
				fmt.Sprintf("the request body did not arrive within %s", s.opts.ReadBodyTimeout))
		}
		return nil, apierror.Wrap(apierror.InvalidInput, err, "could not read the request body")
	}
	// A body that fitted in the pooled buffer is reserved by its length.
	if rest := int64(len(body)) - held; rest > 0 && !charge.Reserve(rest) {
		return nil, charge.Refusal()
	}
	infoOf(w).bodyRead = true
	if s.opts.ReadBodyTimeout > 0 {
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	}
	return body, nil
}

func (s *Server) handleSQL(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	// What the request holds until it has answered (its body, its result
	// rows, its encoded answer) is reserved from the server's memory
	// account. The body is reserved as it arrives (readBody), not by the
	// length it declares: a client that declares bodies and never sends
	// them would otherwise hold the account for nothing.
	charge := s.newCharge(p.UserID)
	defer s.endCharge(charge)
	bp := s.getBuf()
	defer s.putBuf(bp)
	body, err := s.readBody(w, r, s.opts.MaxBodyBytes, *bp, charge)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	*bp = body
	req, err := decodeSQLRequest(body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.SQL == nil {
		s.writeError(w, r, apierror.New(apierror.InvalidInput, `missing field "sql"`))
		return
	}
	sql := *req.SQL
	if int64(len(sql)) > s.opts.MaxSQLBytes {
		s.writeError(w, r, apierror.New(apierror.PayloadTooLarge,
			"sql is %d bytes, over the limit of %d", len(sql), s.opts.MaxSQLBytes))
		return
	}
	if strings.TrimSpace(sql) == "" {
		s.writeError(w, r, apierror.New(apierror.EmptySQL, "sql is empty"))
		return
	}
	params := req.Params
	if len(params) == 0 {
		params = nil
	}
	namespace := ""
	if req.Namespace != nil {
		namespace = *req.Namespace
	}

	xreq := executor.Request{
		UserID:     p.UserID,
		Role:       p.Role,
		SQL:        sql,
		Params:     params,
		Namespace:  namespace,
		ClientAddr: r.RemoteAddr,
		Memory:     charge,
	}
	var results []executor.Result
	if rx, ok := s.exec.(recyclingExecutor); ok {
		var done func()
		results, done, err = rx.ExecuteRecycling(r.Context(), xreq)
		// After writeSuccess: the answer's bytes are written and nothing
		// points into the rows any more.
		defer done()
	} else {
		results, err = s.exec.Execute(r.Context(), xreq)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if results == nil {
		results = []executor.Result{}
	}
	info := infoOf(w)
	info.code = codeOK
	s.writeSuccess(w, r, results, tookMillis(info), charge)
}

// readRequest reads r's body, at most limit bytes, into a pooled buffer
// and decodes it; decoded values must not refer to the buffer. On failure
// it has answered.
func readRequest[T any](s *Server, w http.ResponseWriter, r *http.Request, limit int64, decode func([]byte) (T, error)) (T, bool) {
	bp := s.getBuf()
	defer s.putBuf(bp)
	var v T
	body, err := s.readBody(w, r, limit, *bp, nil)
	if err == nil {
		*bp = body
		v, err = decode(body)
	}
	if err != nil {
		s.writeError(w, r, err)
		return v, false
	}
	return v, true
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	creds, ok := readRequest(s, w, r, min(s.opts.MaxBodyBytes, maxLoginBodyBytes), func(body []byte) ([2]string, error) {
		user, password, err := loginCredentials(r, body)
		return [2]string{user, password}, err
	})
	if !ok {
		return
	}
	username, password := creds[0], creds[1]
	cookie := wantsCookieSession(r)
	if cookie {
		if err := s.checkConsoleRequest(r); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	p, pair, err := s.auth.Login(r.Context(), username, password, r.RemoteAddr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !s.admit(w, r, p) {
		return
	}
	if cookie {
		s.startCookieSession(w, r, p, pair)
		return
	}
	s.writeTokens(w, r, p, pair)
}

// loginCredentials takes the credentials from the JSON body or, when the
// body is empty, from a Basic Authorization header (what curl -u sends).
func loginCredentials(r *http.Request, body []byte) (string, string, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		if h := r.Header.Get("Authorization"); len(h) > 6 && strings.EqualFold(h[:6], "basic ") {
			return auth.ParseBasic(h[6:])
		}
	}
	req, err := decodeLoginRequest(body)
	if err != nil {
		return "", "", err
	}
	var name string
	switch {
	case req.User != nil && req.Username != nil && *req.User != *req.Username:
		return "", "", apierror.New(apierror.InvalidInput, `"user" and "username" disagree; send one of them`)
	case req.User != nil:
		name = *req.User
	case req.Username != nil:
		name = *req.Username
	}
	if name == "" {
		return "", "", apierror.New(apierror.InvalidInput, `missing field "user"`)
	}
	password := ""
	if req.Password != nil {
		password = *req.Password
	}
	return name, password, nil
}

func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	if s.sessions != nil && r.Header.Get("Authorization") == "" && auth.HasSessionCookie(r) {
		s.refreshCookieSession(w, r)
		return
	}
	p, pair, err := s.auth.Refresh(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !s.admit(w, r, p) {
		return
	}
	s.writeTokens(w, r, p, pair)
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	p, csrf, ok := s.authenticateSession(w, r)
	if !ok {
		return
	}
	infoOf(w).code = codeOK
	if csrf != "" {
		// The CSRF token is a secret of the session.
		w.Header().Set("Cache-Control", "no-store")
	}
	s.writeJSON(w, r, http.StatusOK, meResponse{wireUser: userToWire(&p.User),
		AdminUIAccess: auth.AdminUIAccess(p.Role), CSRFToken: csrf})
}

// meResponse is the answer of /v1/api/auth/me: the user, whether it may
// use the admin console, and, for a cookie session, its anti-CSRF token.
type meResponse struct {
	wireUser
	AdminUIAccess bool   `json:"admin_ui_access"`
	CSRFToken     string `json:"csrf_token,omitempty"`
}

// wireUser is the user object of login, refresh and /me: the row without
// its password hash.
type wireUser struct {
	ID        string  `json:"id"`
	Username  string  `json:"username"`
	Role      string  `json:"role"`
	Email     *string `json:"email"`
	CreatedAt *string `json:"created_at"`
	UpdatedAt *string `json:"updated_at"`
}

func userToWire(u *systable.User) wireUser {
	w := wireUser{
		ID:        u.UserID,
		Username:  u.Username,
		Role:      string(u.Role),
		CreatedAt: rfc3339(u.CreatedAt),
		UpdatedAt: rfc3339(u.UpdatedAt),
	}
	if u.Username == "" {
		w.Username = u.UserID
	}
	if u.Email != "" {
		w.Email = &u.Email
	}
	return w
}

// rfc3339 formats t in UTC, or nil (JSON null) for the zero time.
func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

type tokenResponse struct {
	User             wireUser `json:"user"`
	AdminUIAccess    bool     `json:"admin_ui_access"`
	AccessToken      string   `json:"access_token"`
	RefreshToken     string   `json:"refresh_token"`
	ExpiresAt        string   `json:"expires_at"`
	RefreshExpiresAt string   `json:"refresh_expires_at"`
}

func (s *Server) writeTokens(w http.ResponseWriter, r *http.Request, p auth.Principal, pair auth.TokenPair) {
	infoOf(w).code = codeOK
	// Tokens are credentials: no cache may keep them (RFC 6749 §5.1).
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, http.StatusOK, tokenResponse{
		User:             userToWire(&p.User),
		AdminUIAccess:    auth.AdminUIAccess(p.Role),
		AccessToken:      pair.AccessToken,
		RefreshToken:     pair.RefreshToken,
		ExpiresAt:        pair.AccessExpiresAt.UTC().Format(time.RFC3339),
		RefreshExpiresAt: pair.RefreshExpiresAt.UTC().Format(time.RFC3339),
	})
}
