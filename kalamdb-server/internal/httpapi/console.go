package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/auth"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// The endpoints of the admin console: cookie sessions (login with
// auth.SessionModeHeader, refresh and logout by cookie), and the
// first-run set-up, which sets root's password from the machine the
// server runs on.

// wantsCookieSession reports whether r comes from the console, which
// marks every request it sends with auth.SessionModeHeader: cookie.
func wantsCookieSession(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get(auth.SessionModeHeader), "cookie")
}

// checkConsoleRequest refuses a console request that cookie sessions
// cannot serve, or that a page of another origin sent.
func (s *Server) checkConsoleRequest(r *http.Request) error {
	if s.sessions == nil {
		return apierror.New(apierror.Unsupported, "cookie sessions are not enabled on this server")
	}
	return auth.CheckSameOrigin(r)
}

// sessionResponse answers a cookie login or refresh: what the console
// shows and needs, never the tokens, which only the HttpOnly cookies hold.
type sessionResponse struct {
	User             wireUser `json:"user"`
	AdminUIAccess    bool     `json:"admin_ui_access"`
	ExpiresAt        string   `json:"expires_at"`
	RefreshExpiresAt string   `json:"refresh_expires_at"`
	CSRFToken        string   `json:"csrf_token"`
}

// startCookieSession answers a cookie login: dba and system only.
func (s *Server) startCookieSession(w http.ResponseWriter, r *http.Request, p auth.Principal, pair auth.TokenPair) {
	if err := auth.CheckConsoleRole(p); err != nil {
		s.writeError(w, r, err)
		return
	}
	csrf, err := s.sessions.CSRFOf(pair)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSession(w, r, auth.Session{Principal: p, CSRF: csrf}, pair)
}

func (s *Server) refreshCookieSession(w http.ResponseWriter, r *http.Request) {
	sess, pair, err := s.sessions.RefreshFromCookie(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !s.admit(w, r, sess.Principal) {
		return
	}
	s.writeSession(w, r, sess, pair)
}

func (s *Server) writeSession(w http.ResponseWriter, r *http.Request, sess auth.Session, pair auth.TokenPair) {
	infoOf(w).code = codeOK
	w.Header().Set("Cache-Control", "no-store")
	auth.SetSessionCookies(w, r, pair)
	s.writeJSON(w, r, http.StatusOK, sessionResponse{
		User:             userToWire(&sess.Principal.User),
		AdminUIAccess:    auth.AdminUIAccess(sess.Principal.Role),
		ExpiresAt:        pair.AccessExpiresAt.UTC().Format(time.RFC3339),
		RefreshExpiresAt: pair.RefreshExpiresAt.UTC().Format(time.RFC3339),
		CSRFToken:        sess.CSRF,
	})
}

// handleLogout clears the session cookies. It needs no credentials (an
// expired session must be able to sign out too), only the same origin.
// The tokens themselves are not revoked: they expire with their TTL.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if err := auth.CheckSameOrigin(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	infoOf(w).code = codeOK
	w.Header().Set("Cache-Control", "no-store")
	auth.ClearSessionCookies(w, r)
	s.writeJSON(w, r, http.StatusOK, map[string]string{"message": "Logged out successfully"})
}

// checkSetupClient admits the set-up endpoints' clients: loopback
// addresses only, asking for a loopback host name (so a page of another
// site whose name was rebound to 127.0.0.1 cannot set root's password),
// from the same origin.
func checkSetupClient(r *http.Request) error {
	if !auth.IsLoopback(r.RemoteAddr) || !loopbackHost(r.Host) {
		return apierror.New(apierror.PermissionDenied, "the first-run set-up is served on localhost only")
	}
	return auth.CheckSameOrigin(r)
}

// loopbackHost reports whether a Host header names this machine:
// localhost or a loopback address, with or without a port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

type setupStatus struct {
	NeedsSetup bool   `json:"needs_setup"`
	Message    string `json:"message"`
}

func (s *Server) handleSetupStatus(w http.ResponseWriter, r *http.Request) {
	if err := checkSetupClient(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	infoOf(w).code = codeOK
	w.Header().Set("Cache-Control", "no-store")
	st := setupStatus{NeedsSetup: s.setup.NeedsSetup(), Message: "The server is set up; sign in."}
	if st.NeedsSetup {
		st.Message = "Server requires initial setup: choose root's password and create a dba user."
	}
	s.writeJSON(w, r, http.StatusOK, st)
}

// handleSetup sets root's password and creates a dba user, while root has
// no password; it does not sign anyone in.
func (s *Server) handleSetup(w http.ResponseWriter, r *http.Request) {
	if err := checkSetupClient(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	req, ok := readRequest(s, w, r, min(s.opts.MaxBodyBytes, maxLoginBodyBytes), decodeSetupRequest)
	if !ok {
		return
	}
	id, err := s.setup.Setup(req.RootPassword, req.User, req.Password, req.Email)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	infoOf(w).code = codeOK
	s.writeJSON(w, r, http.StatusOK, map[string]string{
		"message": "Setup complete: root's password is set and " + req.User + " (dba) was created; sign in.",
		"user_id": id,
	})
}

// setupRequest is the body of POST /v1/api/auth/setup.
type setupRequest struct {
	User, Password, RootPassword, Email string
}

func decodeSetupRequest(body []byte) (setupRequest, error) {
	var req setupRequest
	obj, err := decodeObject(body, "user", "password", "root_password", "email")
	if err != nil {
		return req, err
	}
	for _, f := range []struct {
		name     string
		dst      *string
		required bool
	}{
		{"user", &req.User, true},
		{"password", &req.Password, true},
		{"root_password", &req.RootPassword, true},
		{"email", &req.Email, false},
	} {
		v, err := obj.String(f.name)
		if err != nil {
			return req, fieldError(err)
		}
		if v == nil || *v == "" {
			if f.required {
				return req, apierror.New(apierror.InvalidInput, "missing field %q", f.name).
					WithDetails(map[string]string{"field": f.name})
			}
			continue
		}
		*f.dst = *v
	}
	return req, nil
}
