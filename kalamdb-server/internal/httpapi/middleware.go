package httpapi

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// RequestIDHeader carries the request id in both directions: a sane id
// sent by the client (or a proxy) is kept so logs correlate across hops,
// otherwise one is generated.
const RequestIDHeader = "X-Request-Id"

// requestInfo is what the handlers tell the middleware about a request, for
// the access log and the metrics. A request is served by one goroutine, so
// it needs no lock.
type requestInfo struct {
	id     string
	start  time.Time
	route  string
	code   apierror.Code
	userID string
	// bodyRead is set once the handler has read the whole body.
	bodyRead bool
}

// infoOf returns the info of the request w answers. Handlers reach it
// through their ResponseWriter, which the middleware wraps, rather than
// through the request context, which would cost a copy of the request;
// outside the middleware (tests of single handlers) it is a throwaway.
func infoOf(w http.ResponseWriter) *requestInfo {
	if rec, ok := w.(*statusRecorder); ok {
		return &rec.info
	}
	return &requestInfo{start: time.Now()}
}

// ServeHTTP runs the middleware (request id, metrics, access log, panic
// recovery, the body's read deadline) around the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if tc := connFrom(r.Context()); tc != nil {
		tc.begin()
		defer tc.end()
	}
	if hasBody(r) && s.opts.ReadBodyTimeout > 0 {
		// Cleared by readBody once the body is in, so that it never cuts
		// off a running statement (net/http would cancel the request
		// when its background read failed).
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.opts.ReadBodyTimeout))
	}
	// One allocation for the request's state.
	rec := &statusRecorder{ResponseWriter: w}
	info := &rec.info
	info.id, info.start, info.route = requestID(r), time.Now(), "unmatched"
	w.Header().Set(RequestIDHeader, info.id)

	s.metrics.inFlight.Inc()
	defer func() {
		// Runs after serveRecovering, also while an ErrAbortHandler panic
		// propagates, so aborted requests are counted too.
		s.metrics.inFlight.Dec()
		s.observe(r, rec, info)
	}()
	s.serveRecovering(rec, r, info)
}

func (s *Server) serveRecovering(w *statusRecorder, r *http.Request, info *requestInfo) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
			// net/http's way to abort a response; let it do its job.
			panic(v)
		}
		s.log.Error("panic serving request",
			zap.String("request_id", info.id), zap.String("route", info.route),
			zap.Any("panic", v), zap.Stack("stack"))
		info.code = apierror.InternalError
		if w.status == 0 {
			s.writeJSON(w, r, http.StatusInternalServerError, errorEnvelope(info, &apierror.Error{
				Code: apierror.InternalError, Message: msgInternal,
			}))
		}
	}()
	if s.sqlRoute != nil && isSQLRoute(r) {
		r.Pattern = sqlPattern
		s.sqlRoute.ServeHTTP(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// sqlPattern is the SQL endpoint's route.
const sqlPattern = "POST /v1/api/sql"

// isSQLRoute reports whether r is, plainly, a request for sqlPattern: the
// method, and a path that needs no cleaning or unescaping. The mux routes
// every such request to sqlPattern too (TestSQLRouteAgreesWithTheMux);
// anything less plain goes through the mux, whose matching costs a
// statement more than a microsecond from cold caches.
func isSQLRoute(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/v1/api/sql" && r.URL.RawPath == ""
}

func (s *Server) observe(r *http.Request, rec *statusRecorder, info *requestInfo) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK // nothing written: net/http answers 200
	}
	code := info.code
	if code == "" {
		if status < 400 {
			code = codeOK
		} else {
			code = apierror.Code(strconv.Itoa(status))
		}
	}
	elapsed := time.Since(info.start)
	m := s.metrics.of(info.route, code, status)
	m.requests.Inc()
	m.duration.Observe(elapsed.Seconds())

	level := zap.InfoLevel
	if info.route == "/health" || info.route == "/v1/api/healthcheck" || info.route == "/metrics" {
		level = zap.DebugLevel // probes would drown the log
	}
	if ce := s.accessLog.Check(level, "http request"); ce != nil {
		ce.Write(
			zap.String("request_id", info.id),
			zap.String("method", r.Method),
			zap.String("path", r.URL.Path),
			zap.String("route", info.route),
			zap.Int("status", status),
			zap.String("code", string(code)),
			zap.String("user_id", info.userID),
			zap.String("remote", r.RemoteAddr),
			zap.Int64("bytes", rec.written),
			zap.Duration("duration", elapsed),
		)
	}
}

// hasBody reports whether r comes with a body to read.
func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}

// requestID keeps a client-supplied id when it is short and plain (it ends
// up in logs, so no control characters or unbounded length), otherwise
// generates 128 random bits.
func requestID(r *http.Request) string {
	if id := r.Header.Get(RequestIDHeader); len(id) > 0 && len(id) <= 128 && plainID(id) {
		return id
	}
	// An identifier, not a secret (a client may choose its own): the
	// runtime's generator, unpredictable and per thread, is enough, and
	// cheaper than crypto/rand on every request.
	var raw [16]byte
	binary.LittleEndian.PutUint64(raw[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(raw[8:], rand.Uint64())
	var text [32]byte
	hex.Encode(text[:], raw[:])
	return string(text[:])
}

func plainID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// statusRecorder remembers the status and size of the answer. It unwraps
// (http.ResponseController, coder/websocket) and forwards Flush and Hijack
// so streaming and the WebSocket upgrade work through it.
type statusRecorder struct {
	http.ResponseWriter
	status  int
	written int64
	// info is the request's, here so that the middleware allocates once.
	info requestInfo
}

func (w *statusRecorder) WriteHeader(code int) {
	// Informational answers (103 Early Hints) are not the final status;
	// 101 is, for an upgraded connection.
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.written += int64(n)
	return n, err
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusRecorder) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}
