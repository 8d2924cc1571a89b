// Package httpapi owns the HTTP surface of docs/api.md: the routes (health,
// POST /v1/api/sql, the auth endpoints with the console's cookie sessions
// and the first-run set-up, /metrics, the console's files at /ui/), the
// wire shapes of their success and error answers, the mapping from
// apierror codes to HTTP statuses, request body and SQL size limits,
// per-user rate limiting, and the middleware every route runs behind
// (request id, access log, panic recovery, Prometheus request metrics).
//
// It executes nothing itself: SQL goes to a SQLExecutor and credentials to
// an Authenticator, both declared here as the small interfaces this package
// consumes, so tests run against fakes and the fx app wires in the real ones.
// The WebSocket endpoint is mounted by the app through Server.Handle so it
// runs behind the same middleware.
//
// HTTPServer is the listening side: per-phase timeouts for slow clients,
// caps on open and on anonymous connections and on the connections of one
// user (connLimiter), and a shutdown
// that cancels the requests still running once the drain time is over, so
// the process stops in bounded time whatever it is doing.
package httpapi
