// Package auth owns authentication for the HTTP and WebSocket front ends:
// parsing Basic credentials, verifying passwords with bcrypt behind a
// credential cache, a throttle of failed password checks and a bound on
// concurrent bcrypt work, the root-from-loopback rule, issuing and
// verifying HS256 JWT access/refresh tokens, and turning an *http.Request
// into the authenticated Principal.
//
// It never stores users itself: it reads the current system.users rows
// through UserLookup, so a changed password, role or a dropped user takes
// effect on the very next request; its caches (verified Basic credentials,
// verified tokens) hold only what cannot change, and the user row is read
// on every request, hit or miss. Invariants: a token is honoured only
// while its user id exists and its credential version is the user's
// current one, and only within the session it was issued in (at most the
// refresh TTL after the password sign-in); a throttled attempt never costs
// a bcrypt, and is refused whatever its password, the cached ones included
// (the throttle is asked before the credential cache). Every rejection is an *apierror.Error (UNAUTHORIZED, or
// RATE_LIMIT_EXCEEDED with a retry time) whose message is safe to show the
// client.
//
// It also owns the admin console's cookie sessions (session.go): the
// cookies that hold a token pair, the anti-CSRF token derived from the
// session, and the same-origin checks of requests that carry them.
package auth
