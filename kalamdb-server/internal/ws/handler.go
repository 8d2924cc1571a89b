// Package ws owns the WebSocket endpoint (GET /v1/ws, docs/api.md): the
// upgrade, in-band authentication with its timeout, the JSON framing of
// client and server messages, the per-connection limits (message size,
// binary frames, message rate, messages before authentication), and the
// socket lifecycle, including closing every socket with a close frame at
// shutdown. What a message means is kalamdb-core/live's business: after
// authentication each socket gets a live.Conn, its requests go there, and
// what live.Conn.Next returns is written out.
//
// Each socket has up to three goroutines: the handler goroutine reads
// requests into a bounded queue, a server goroutine serves them one at a
// time while any wait, and a writer goroutine drains the live.Conn. None
// outlives the handler. Because the handler keeps reading while a request
// is served, a client that closes its socket cancels the request in
// progress and drops the ones it pipelined (counted in RequestStats). The
// writer is the only one that writes once the client is authenticated, so
// the order of messages is the order live.Conn gives. The writer is
// usually the goroutine of the commit that queued a change (sendInline),
// which writes its frame without waiting and hands whatever it cannot
// write at once to a writer goroutine (frameconn.go).
package ws

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/auth"
)

// Authenticator checks in-band credentials (auth.Authenticator).
type Authenticator interface {
	CheckToken(token string, want auth.TokenType, remoteAddr string) (auth.Principal, error)
	CheckPassword(ctx context.Context, username, password, remoteAddr string) (auth.Principal, error)
	// CheckSessionToken checks a console session: the access token of the
	// upgrade request's session cookie and the CSRF token sent in-band.
	CheckSessionToken(accessToken, csrf, remoteAddr string) (auth.Principal, error)
}

// Options are the endpoint's limits. Zero values take the defaults noted.
type Options struct {
	// AuthTimeout is how long a socket may stay unauthenticated (3s).
	AuthTimeout time.Duration
	// MaxMessageBytes bounds an incoming message (1 MiB); a bigger one is
	// read, discarded and answered with MESSAGE_TOO_LARGE. One over 16
	// times this closes the socket (status 1009) without being read.
	MaxMessageBytes int64
	// MessagesPerSecond and MessageBurst bound a socket's incoming message
	// rate (RATE_LIMIT_EXCEEDED); 0 messages per second means no limit.
	MessagesPerSecond float64
	MessageBurst      int
	// MaxQueuedRequests bounds the requests a socket has sent and the
	// server has not answered yet (MessageBurst, at least 16); those not
	// started are also bounded to MaxMessageBytes beyond the first. A request over the
	// bound is refused with RATE_LIMIT_EXCEEDED.
	MaxQueuedRequests int
	// WriteTimeout bounds one write to a socket (10s); a client that does
	// not take a message for that long is disconnected.
	WriteTimeout time.Duration
	// OnAuthenticated, when set, is called with the upgraded request's
	// context and the user once the socket has authenticated (the HTTP
	// server stops counting the connection as anonymous and counts it for
	// the user). An error refuses the socket: the client gets auth_error
	// with its message and a close.
	OnAuthenticated func(ctx context.Context, userID string) error
	// Memory is the server's memory account, which incoming messages
	// reserve from (the user's share once authenticated) while they are
	// read, queued and served (nil: only the per-socket bounds).
	Memory *memory.Account
}

func (o Options) withDefaults() Options {
	if o.AuthTimeout <= 0 {
		o.AuthTimeout = 3 * time.Second
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 1 << 20
	}
	if o.MessagesPerSecond > 0 && o.MessageBurst <= 0 {
		o.MessageBurst = max(1, int(2*o.MessagesPerSecond))
	}
	if o.MaxQueuedRequests <= 0 {
		o.MaxQueuedRequests = max(o.MessageBurst, 16)
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	return o
}

// Handler serves GET /v1/ws.
type Handler struct {
	live *live.Manager
	auth Authenticator
	log  *zap.Logger
	opts Options

	stats requestStats

	mu       sync.Mutex
	sessions map[*session]struct{}
	closing  bool
	// active counts running handlers (and the closes Shutdown started),
	// so Shutdown can wait for every socket goroutine to end.
	active sync.WaitGroup
}

// New returns the endpoint's handler.
func New(m *live.Manager, a Authenticator, log *zap.Logger, o Options) *Handler {
	if log == nil {
		log = zap.NewNop()
	}
	return &Handler{live: m, auth: a, log: log, opts: o.withDefaults(), sessions: make(map[*session]struct{})}
}

// Close reasons sent in close frames (at most 123 bytes each).
const (
	reasonShutdown    = "server shutting down"
	reasonSlow        = "send queue full: the client does not read fast enough"
	reasonAuthTimeout = "authentication timeout"
	reasonAuthFailed  = "authentication failed"
	reasonAccount     = "account dropped or changed; sign in again"
	reasonExpired     = "access token expired; sign in again"
	reasonTooMany     = "too many connections for this user"
	reasonMemory      = "memory bound reached (limits.server_memory_bytes or user_memory_bytes); reconnect later"
)

// ServeHTTP upgrades the request and serves the socket until it closes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		http.Error(w, reasonShutdown, http.StatusServiceUnavailable)
		return
	}
	h.active.Add(1)
	h.mu.Unlock()
	defer h.active.Done()

	hook := &hijackHook{ResponseWriter: w}
	c, err := websocket.Accept(hook, r, &websocket.AcceptOptions{
		// Authentication is in-band, never by cookie, so a page of another
		// origin gains nothing by opening a socket: browser clients of any
		// origin are welcome (cross-site WebSocket hijacking needs ambient
		// credentials).
		InsecureSkipVerify: true,
		// Per-message deflate costs tens of KiB per socket; live changes
		// are small.
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return // Accept has answered the request
	}
	s := newSession(h, c, r.RemoteAddr)
	s.out = hook.conn
	s.cookieToken = sessionCookie(r)
	if f := h.opts.OnAuthenticated; f != nil {
		ctx := r.Context()
		s.onAuthenticated = func(userID string) error { return f(ctx, userID) }
	}
	if !h.track(s) {
		_ = c.Close(websocket.StatusGoingAway, reasonShutdown)
		return
	}
	defer h.untrack(s)
	s.serve()
}

func (h *Handler) track(s *session) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.sessions[s] = struct{}{}
	return true
}

func (h *Handler) untrack(s *session) {
	h.mu.Lock()
	delete(h.sessions, s)
	h.mu.Unlock()
}

// requestStats counts what became of the requests of every socket.
type requestStats struct {
	queued, running, orphaned     atomic.Int64
	cancelled, dropped, queueFull atomic.Int64
}

// RequestStats is what became of the sockets' requests (the endpoint's
// metrics).
type RequestStats struct {
	// Queued and Running are the requests waiting and being served now.
	Queued, Running int64
	// Orphaned are the requests still running after their socket closed:
	// cancelled, and not returned yet.
	Orphaned int64
	// Cancelled counts requests in progress when their socket closed,
	// Dropped the requests read but never started because it closed
	// first, QueueFull the requests refused because too many waited.
	Cancelled, Dropped, QueueFull int64
}

// RequestStats returns the counts of the sockets' requests.
func (h *Handler) RequestStats() RequestStats {
	st := &h.stats
	return RequestStats{Queued: st.queued.Load(), Running: st.running.Load(), Orphaned: st.orphaned.Load(),
		Cancelled: st.cancelled.Load(), Dropped: st.dropped.Load(), QueueFull: st.queueFull.Load()}
}

// Sessions is the number of open sockets.
func (h *Handler) Sessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sessions)
}

// Shutdown refuses new sockets and closes every open one with a close
// frame (1001, "server shutting down"), waiting for their goroutines to
// end. When ctx ends first, the remaining sockets are dropped without a
// close handshake, and Shutdown still waits for their goroutines, which
// then end at once.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	open := make([]*session, 0, len(h.sessions))
	for s := range h.sessions {
		open = append(open, s)
	}
	// Counted under mu, before any handler can find active at zero.
	h.active.Add(len(open))
	h.mu.Unlock()
	for _, s := range open {
		go func() {
			defer h.active.Done()
			s.close(websocket.StatusGoingAway, reasonShutdown)
		}()
	}
	done := make(chan struct{})
	go func() {
		h.active.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	for _, s := range open {
		_ = s.c.CloseNow()
	}
	<-done
	return errors.Join(errors.New("ws: shutdown: sockets did not close in time; dropped them"), ctx.Err())
}

// hijackHook hands coder/websocket the hijacked connection wrapped in a
// frameConn, through which a committer may later write a frame itself.
type hijackHook struct {
	http.ResponseWriter
	conn *frameConn
}

func (h *hijackHook) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// net/http has written the 101 answer by now; a fresh writer holds
	// nothing, but never drop what one might.
	if err := brw.Writer.Flush(); err != nil {
		_ = c.Close()
		return nil, nil, err
	}
	h.conn = newFrameConn(c)
	return h.conn, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(h.conn, brw.Writer.Size())), nil
}
