// Package auth owns authentication for the HTTP and WebSocket front ends:
// parsing Basic credentials, verifying passwords with bcrypt behind a
// credential cache (DESIGN §8), the root-from-loopback rule (API.md "Auth"),
// issuing and verifying HS256 JWT access/refresh tokens, and turning an
// *http.Request into the authenticated Principal.
//
// It never stores users itself: it reads the current system.users rows
// through UserLookup, so a changed password, role or a dropped user takes
// effect on the very next request. Every rejection is an *apierror.Error with
// code UNAUTHORIZED whose message is safe to show the client.
package auth
