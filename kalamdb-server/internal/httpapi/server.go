package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/auth"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// APIVersion is the wire contract version served under /v1.
const APIVersion = "v1"

// SQLExecutor runs one authenticated statement batch (kalamdb-core's
// executor). It must honour ctx: it is the request's context, cancelled
// when the client goes away.
type SQLExecutor interface {
	Execute(ctx context.Context, req executor.Request) ([]executor.Result, error)
}

// recyclingExecutor is an SQLExecutor that takes the buffers of results'
// rows back once the answer is written (executor.Executor): done is
// called after the last use of the results.
type recyclingExecutor interface {
	ExecuteRecycling(ctx context.Context, req executor.Request) (results []executor.Result, done func(), err error)
}

// Authenticator checks credentials (auth.Authenticator). Every error it
// returns is expected to be an *apierror.Error (UNAUTHORIZED); anything
// else is answered as INTERNAL_ERROR.
type Authenticator interface {
	// Authenticate accepts Basic or a Bearer access token.
	Authenticate(r *http.Request) (auth.Principal, error)
	// Login checks a user name and password from remoteAddr.
	Login(ctx context.Context, username, password, remoteAddr string) (auth.Principal, auth.TokenPair, error)
	// Refresh exchanges the Bearer refresh token of r for a new pair.
	Refresh(r *http.Request) (auth.Principal, auth.TokenPair, error)
}

// Options are the limits and identity of the HTTP API.
type Options struct {
	// Version is the server version reported by the health endpoints.
	Version string
	// MaxBodyBytes bounds request bodies (413 PAYLOAD_TOO_LARGE).
	MaxBodyBytes int64
	// MaxSQLBytes bounds the `sql` text (413 PAYLOAD_TOO_LARGE).
	MaxSQLBytes int64
	// ReadBodyTimeout bounds the time a client may take to send a request
	// body (0: no bound).
	ReadBodyTimeout time.Duration
	// WriteTimeout bounds the time a client may take to receive an answer
	// (0: no bound).
	WriteTimeout time.Duration
	// RequestsPerSecond and RequestsBurst make a per-user token bucket;
	// 0 requests per second means no limit.
	RequestsPerSecond float64
	RequestsBurst     int
	// MetricsLoopbackOnly refuses /metrics (403) to non-loopback clients.
	MetricsLoopbackOnly bool
	// Now is the clock of the rate limiter (time.Now when nil).
	Now func() time.Time
}

// OptionsFromConfig maps the configuration to Options.
func OptionsFromConfig(c *config.Config, version string) Options {
	return Options{
		Version:             version,
		MaxBodyBytes:        c.Server.MaxBodyBytes,
		MaxSQLBytes:         c.Limits.MaxSQLBytes,
		ReadBodyTimeout:     c.Server.ReadBodyTimeout,
		WriteTimeout:        c.Server.WriteTimeout,
		RequestsPerSecond:   c.Limits.RequestsPerSecond,
		RequestsBurst:       c.Limits.RequestsBurst,
		MetricsLoopbackOnly: c.Limits.MetricsLoopbackOnly,
	}
}

// Sessions are the console's cookie sessions (auth.Authenticator). Every
// error is expected to be an *apierror.Error.
type Sessions interface {
	// SessionFromCookie authenticates a request by its session cookie
	// (and, for a request that changes something, its CSRF token).
	SessionFromCookie(r *http.Request) (auth.Session, error)
	// RefreshFromCookie renews the session of the refresh cookie.
	RefreshFromCookie(r *http.Request) (auth.Session, auth.TokenPair, error)
	// CSRFOf is the CSRF token of a freshly issued pair's session.
	CSRFOf(pair auth.TokenPair) (string, error)
}

// Setup is the first-run set-up (kalamdb-core's catalog).
type Setup interface {
	// NeedsSetup reports whether root has no password yet.
	NeedsSetup() bool
	// Setup gives root a password and creates a dba user, only while
	// root has none.
	Setup(rootPassword, name, password, email string) (string, error)
}

// Deps are the collaborators of the HTTP API.
type Deps struct {
	Executor SQLExecutor
	Auth     Authenticator
	// Sessions, when set, enables cookie sessions (the admin console).
	Sessions Sessions
	// Setup, when set, serves the first-run set-up endpoints.
	Setup Setup
	// Logger receives the access log and internal errors (zap.NewNop when
	// nil).
	Logger *zap.Logger
	// Memory is the server's memory account: a SQL request reserves its
	// body, its result rows and its encoded answer there until it has
	// answered (nil: no server-wide bound).
	Memory *memory.Account
}

// Server is the HTTP API: an http.Handler with every route of docs/api.md but
// the WebSocket one (see Handle), behind the middleware.
type Server struct {
	exec     SQLExecutor
	auth     Authenticator
	sessions Sessions
	setup    Setup
	log      *zap.Logger
	// accessLog is log without the caller, which is always the same line
	// of the middleware and costs a stack walk per entry.
	accessLog *zap.Logger
	opts      Options
	limiter   *userLimiter

	mux *http.ServeMux
	// sqlRoute is what mux serves for sqlPattern, taken without the mux's
	// matching for the one request every client sends most (see
	// serveRecovering).
	sqlRoute http.Handler
	registry *prometheus.Registry
	metrics  *httpMetrics
	// promHandler serves the registry in the Prometheus text format.
	promHandler http.Handler
	// health is the answer of the health endpoints.
	health []byte

	// memory is the server's memory account (Deps.Memory), and charges
	// recycles the requests' reservations from it (*memory.Charge).
	memory  *memory.Account
	charges sync.Pool
	// bufs recycles the buffers answers are written in (*[]byte).
	bufs sync.Pool

	// allowed lists the methods registered per path, for 405 answers and
	// their Allow header.
	allowMu sync.Mutex
	allowed map[string][]string
}

// New builds the API. The returned Server has its own Prometheus registry
// (see Registry) already holding the HTTP, Go runtime and process metrics.
func New(deps Deps, opts Options) (*Server, error) {
	if deps.Executor == nil {
		return nil, errors.New("httpapi: nil Executor")
	}
	if deps.Auth == nil {
		return nil, errors.New("httpapi: nil Authenticator")
	}
	if opts.MaxBodyBytes <= 0 || opts.MaxSQLBytes <= 0 {
		return nil, errors.New("httpapi: MaxBodyBytes and MaxSQLBytes must be positive")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := deps.Logger
	if log == nil {
		log = zap.NewNop()
	}
	health, err := healthAnswer(opts.Version)
	if err != nil {
		return nil, fmt.Errorf("httpapi: health answer: %w", err)
	}
	reg := prometheus.NewRegistry()
	metrics, err := newHTTPMetrics(reg, deps.Memory)
	if err != nil {
		return nil, err
	}
	s := &Server{
		exec:      deps.Executor,
		auth:      deps.Auth,
		sessions:  deps.Sessions,
		setup:     deps.Setup,
		log:       log,
		accessLog: log.WithOptions(zap.WithCaller(false)),
		opts:      opts,
		limiter:   newUserLimiter(opts.RequestsPerSecond, opts.RequestsBurst, opts.Now),
		mux:       http.NewServeMux(),
		registry:  reg,
		metrics:   metrics,
		allowed:   make(map[string][]string),
		health:    health,
		memory:    deps.Memory,
	}
	s.promHandler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: zap.NewStdLog(log)})
	s.routes()
	return s, nil
}

// Registry is the server's private Prometheus registry, served at /metrics.
// Other components register their collectors here.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

func (s *Server) routes() {
	s.Handle("GET /health", http.HandlerFunc(s.handleHealth))
	s.Handle("GET /v1/api/healthcheck", http.HandlerFunc(s.handleHealth))
	s.sqlRoute = s.handle(sqlPattern, http.HandlerFunc(s.handleSQL))
	s.Handle("POST /v1/api/auth/login", http.HandlerFunc(s.handleLogin))
	s.Handle("POST /v1/api/auth/refresh", http.HandlerFunc(s.handleRefresh))
	s.Handle("GET /v1/api/auth/me", http.HandlerFunc(s.handleMe))
	s.Handle("GET /metrics", http.HandlerFunc(s.handleMetrics))
	s.Handle("POST /v1/api/auth/logout", http.HandlerFunc(s.handleLogout))
	if s.setup != nil {
		s.Handle("GET /v1/api/auth/status", http.HandlerFunc(s.handleSetupStatus))
		s.Handle("POST /v1/api/auth/setup", http.HandlerFunc(s.handleSetup))
	}
	// Everything else: a JSON 404 rather than ServeMux's plain text.
	s.mux.Handle("/", http.HandlerFunc(s.handleNotFound))
}

// Handle registers h for pattern ("METHOD /path", ServeMux syntax) behind the
// server's middleware; the app mounts "GET /v1/ws" this way. Other methods
// on the same path get a JSON 405 with an Allow header. Like
// http.ServeMux.Handle it panics on an invalid or duplicate pattern, which
// is a programming error at start-up.
func (s *Server) Handle(pattern string, h http.Handler) { s.handle(pattern, h) }

// handle is Handle; it returns what the mux serves for pattern.
func (s *Server) handle(pattern string, h http.Handler) http.Handler {
	method, path, hasMethod := strings.Cut(pattern, " ")
	if !hasMethod || strings.HasPrefix(method, "/") {
		method, path = "", pattern
	}
	path = strings.TrimSpace(path)
	route := path
	routed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		infoOf(w).route = route
		h.ServeHTTP(w, r)
	})
	s.mux.Handle(pattern, routed)
	if method == "" {
		return routed
	}
	s.allowMu.Lock()
	defer s.allowMu.Unlock()
	methods, seen := s.allowed[path]
	methods = append(methods, method)
	if method == http.MethodGet {
		methods = append(methods, http.MethodHead)
	}
	slices.Sort(methods)
	s.allowed[path] = slices.Compact(methods)
	if !seen {
		s.mux.Handle(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.handleMethodNotAllowed(w, r, route)
		}))
	}
	return routed
}

func (s *Server) allowHeader(path string) string {
	s.allowMu.Lock()
	defer s.allowMu.Unlock()
	return strings.Join(s.allowed[path], ", ")
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.opts.MetricsLoopbackOnly && !auth.IsLoopback(r.RemoteAddr) {
		s.writeError(w, r, apierror.New(apierror.PermissionDenied, "metrics are served to loopback clients only"))
		return
	}
	infoOf(w).code = codeOK
	s.promHandler.ServeHTTP(w, r)
}
