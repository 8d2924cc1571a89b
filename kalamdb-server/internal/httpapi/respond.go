package httpapi

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// msgInternal is the only thing a client learns about an unclassified
// error; the error itself goes to the log with the request id.
const msgInternal = "internal error; see the server log for this request id"

// wireError is the `error` object of the wire contract (docs/api.md).
type wireError struct {
	Code    apierror.Code `json:"code"`
	Message string        `json:"message"`
	Details any           `json:"details"`
}

// envelope is the answer of POST /v1/api/sql, and the shape of every error
// answer of this API, so clients parse one format.
type envelope struct {
	Status  string            `json:"status"`
	Results []executor.Result `json:"results"`
	Took    float64           `json:"took"`
	Error   *wireError        `json:"error,omitempty"`
}

// tookMillis is the server time so far in (fractional) milliseconds.
func tookMillis(info *requestInfo) float64 {
	return float64(time.Since(info.start).Microseconds()) / 1000
}

func errorEnvelope(info *requestInfo, e *apierror.Error) envelope {
	return envelope{
		Status:  "error",
		Results: []executor.Result{},
		Took:    tookMillis(info),
		Error:   &wireError{Code: e.Code, Message: e.Message, Details: e.Details},
	}
}

// writeJSON encodes v before writing anything, so an encoding failure can
// still become a clean 500.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	bp := s.getBuf()
	defer s.putBuf(bp)
	b, err := row.AppendEncodingJSON(*bp, v)
	if err != nil {
		s.writeEncodeFailure(w, r, err)
		return
	}
	*bp = append(b, '\n')
	s.writeBody(w, status, *bp)
}

// writeSuccess answers a successful SQL request.
func (s *Server) writeSuccess(w http.ResponseWriter, r *http.Request, results []executor.Result, took float64, charge *memory.Charge) {
	bp := s.getBuf()
	defer s.putBuf(bp)
	b, err := appendSuccess(*bp, results, took)
	*bp = b
	if err != nil {
		s.writeEncodeFailure(w, r, err)
		return
	}
	// The answer is counted beside its rows until it is written, but not
	// refused: it is built already, so refusing it would free nothing, and
	// the statements that made it have committed; a 429 would invite a
	// retry that writes them twice. What bounds it is its rows, which were
	// reserved before they were read.
	charge.Force(int64(len(b)))
	s.writeBody(w, http.StatusOK, b)
}

// writeEncodeFailure answers INTERNAL_ERROR for an answer that could not
// be encoded (a value no JSON can hold: a bug upstream).
func (s *Server) writeEncodeFailure(w http.ResponseWriter, r *http.Request, err error) {
	info := infoOf(w)
	s.log.Error("encode response", zap.String("request_id", info.id), zap.Error(err))
	info.code = apierror.InternalError
	bp := s.getBuf()
	defer s.putBuf(bp)
	// Encoding this fixed shape cannot fail.
	b, _ := row.AppendEncodingJSON(*bp, errorEnvelope(info, &apierror.Error{Code: apierror.InternalError, Message: msgInternal}))
	*bp = append(b, '\n')
	s.writeBody(w, http.StatusInternalServerError, *bp)
}

// writeBody writes a JSON answer with its length, and sends it at once:
// what the middleware does after the handler (metrics, the access log)
// then happens while the client reads the answer, not before it. The
// client has WriteTimeout to take it: one that does not read (an answer
// can be up to max_result_bytes) loses its connection instead of holding
// the answer's memory for good. The deadline is cleared afterwards, so a
// later answer on the same connection is not cut short by it.
func (s *Server) writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	// One array for the three fields' values (Header.Set allocates one
	// each); each slice's capacity is its length, so an append to one
	// field cannot overwrite the next.
	vals := [...]string{"application/json; charset=utf-8", "nosniff", strconv.Itoa(len(body))}
	h["Content-Type"], h["X-Content-Type-Options"], h["Content-Length"] = vals[0:1:1], vals[1:2:2], vals[2:3:3]
	w.WriteHeader(status)
	rc := http.NewResponseController(w)
	if s.opts.WriteTimeout > 0 {
		_ = rc.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
		defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
	}
	_, _ = w.Write(body)
	_ = rc.Flush()
}

// writeError answers err in the error envelope with the status of its code.
// An *apierror.Error (anywhere in the chain) is shown as is: its message is
// client-safe by contract. Anything else is a bug or an infrastructure
// failure: it is logged and the client sees only INTERNAL_ERROR.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	info := infoOf(w)
	e, ok := apierror.As(err)
	switch {
	case !ok && errors.Is(r.Context().Err(), context.Canceled):
		// The client went away (net/http cancels the request context), so
		// whatever the executor made of that, nobody will read an answer.
		info.code = codeClientClosed
		s.log.Debug("client closed the request", zap.String("request_id", info.id), zap.Error(err))
		w.WriteHeader(statusClientClosed)
		return
	case !ok && errors.Is(err, context.DeadlineExceeded):
		e = apierror.Wrap(apierror.SQLExecutionError, err, "statement cancelled: time limit exceeded")
	case !ok:
		s.log.Error("unclassified error", zap.String("request_id", info.id),
			zap.String("route", info.route), zap.String("user_id", info.userID), zap.Error(err))
		e = &apierror.Error{Code: apierror.InternalError, Message: msgInternal}
	case e.Code == apierror.InternalError:
		s.log.Error("internal error", zap.String("request_id", info.id),
			zap.String("route", info.route), zap.String("user_id", info.userID), zap.Error(err))
	case e.Cause != nil && cold.IsReadFailure(e.Cause):
		// A damaged or missing cold file, or a storage failing: the user
		// gets a message without its path; the operator needs the path.
		s.log.Warn("cold data unreadable", zap.String("request_id", info.id),
			zap.String("route", info.route), zap.String("user_id", info.userID), zap.Error(err))
	case e.Cause != nil:
		s.log.Debug("request refused", zap.String("request_id", info.id),
			zap.String("code", string(e.Code)), zap.Error(err))
	}
	info.code = e.Code
	if !info.bodyRead && hasBody(r) {
		// Answered without reading the body (no credentials, too large):
		// close the connection rather than let net/http wait to drain
		// what the client may never send (it would read up to 256 KiB of
		// it for as long as the client cares to trickle it).
		w.Header().Set("Connection", "close")
		_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	}
	status := StatusForCode(e.Code)
	if status == http.StatusUnauthorized && !wantsCookieSession(r) {
		// Not to the console: a browser answers a Basic challenge with
		// its own password dialog, over the console's sign-in page.
		w.Header().Set("WWW-Authenticate", `Basic realm="kalamdb"`)
	}
	if wait, ok := apierror.RetryAfterOf(e); ok {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(wait.Seconds())), 10))
	}
	s.writeJSON(w, r, status, errorEnvelope(info, e))
}
