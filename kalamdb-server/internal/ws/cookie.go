package ws

import (
	"net/http"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/auth"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// The admin console authenticates its socket with its session cookie:
// {"type":"authenticate","method":"cookie","token":"<CSRF token>"}. The
// browser sends the cookie with the upgrade request; the in-band CSRF
// token proves the page that opened the socket could read this origin's
// answers, since a page of another origin on the same site (another port
// of localhost) would get the cookie sent too.

// sessionCookie is the session cookie's value of an upgrade request sent
// by a page of the server's own origin, else "".
func sessionCookie(r *http.Request) string {
	if r.Header.Get("Origin") == "" || !auth.SameOrigin(r) {
		return ""
	}
	c, err := r.Cookie(auth.SessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

func (s *session) checkCookie(csrf string) (auth.Principal, error) {
	if s.cookieToken == "" {
		return auth.Principal{}, apierror.New(apierror.Unauthorized,
			"no console session on this connection: the upgrade request had no session cookie from this origin")
	}
	return s.h.auth.CheckSessionToken(s.cookieToken, csrf, s.remote)
}
