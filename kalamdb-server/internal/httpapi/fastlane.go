package httpapi

// The fast lane serves the statement endpoint, POST /v1/api/sql, and the
// JSON routes a client uses beside it on the same connection (laneRoutes),
// on keep-alive HTTP/1.1 connections without net/http's per-request
// machinery, and hands every other request, with the connection it came
// on, to net/http.
//
// Why: net/http starts a background read per request (a goroutine, which
// wakes another thread, then is aborted through a read deadline at the end
// of the request) so that it notices a client going away. On this class of
// machine that machinery is half of a small request's server CPU (measured
// 64-76 µs against 32-35 µs per request for the same answer), and a point
// lookup's statement is about 50 µs. The lane watches for a departed
// client only once a statement has run for a tick of its watcher.
//
// Invariants:
//   - The lane answers a request only when its head is complete within the
//     connection's read buffer, starts exactly with one of laneRoutes, and
//     holds nothing the lane does not implement or where its parser could
//     read it otherwise than net/http's (parse): no Transfer-Encoding,
//     Expect or Upgrade, a plain Content-Length, exactly one valid Host,
//     every field valid as net/http's server checks them, no obsolete line
//     folding or bare LF.
//   - Anything else goes to net/http with every byte the lane read from the
//     connection and did not consume, in order, and net/http keeps the
//     connection to its end: also a head that did not arrive whole (a
//     timeout or a close). Whatever net/http answers to a request (errors
//     included) is what the client gets: the lane never has to be right
//     about a request it does not serve.
//   - Both serve the same handler (Server.ServeHTTP, the whole middleware),
//     with the same timeouts: a new connection's first head within
//     ReadHeaderTimeout of accept, IdleTimeout between requests, a kept
//     connection's head within ReadHeaderTimeout of its first byte, the
//     body's read deadline from the middleware. A connection handed over
//     keeps the head's deadline (handedConn), so the two timeouts never
//     add up.
//   - A client that closes its connection while its statement runs
//     cancels it, as under net/http: the watcher reads the connection of
//     a statement that has run a tick, whatever deadline is left on it and
//     whatever it pipelined.
//   - A response is framed by Content-Length when the handler gives one or
//     finishes within laneBufferBytes, else chunked; a connection whose
//     framing could be out of step (a body not read to its end, a short
//     answer, a write error, a panic) is closed, never reused.
//   - Shutdown closes idle lane connections at once, lets busy ones finish
//     their request, and then closes them (laneServer.shutdown).
//
// Busy polling (server.busy_poll): a kept, authenticated connection
// whose client sent its last request within busy_poll of the answer
// before it polls its socket for the next one, for up to busy_poll,
// before it parks on Go's network poller. Why: an idle core of this
// class of machine takes ~50 µs to wake for a parked reader, which was
// more than the statement of a point lookup (measured: a do-nothing
// server's round trip 98 µs parked, 45 µs polling). Polling is bounded
// three ways, so that it spends CPU only where it buys latency:
//   - in time: busy_poll, and never past the connection's read deadline;
//   - in processors: at most half of them poll at once (none with one),
//     others park at once, and a poll stops once polls and running
//     handlers take every processor, since a polling one never looks at
//     other sockets;
//   - by use: a client slower than busy_poll turns it off for its
//     connection until it is fast again.
//
// A polling goroutine keeps its processor; the others take the work
// queued on it. Shutdown and an eviction end a poll (pollOver).

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/net/http/httpguts"
)

const (
	// laneReadBufferBytes bounds a request head the lane can serve; a
	// longer one (large cookies, say) goes to net/http, which allows
	// maxHeaderBytes.
	laneReadBufferBytes = 8 << 10
	// laneBufferBytes is how much of an answer without Content-Length is
	// held back to frame it with one; past it the answer is chunked.
	laneBufferBytes = 4 << 10
	// watchTick is how often the lane's watcher looks at running
	// requests; one that has run for a whole tick (so 10-20 ms) with its
	// body read gets a background read of its connection, to notice a
	// client that went away. A timer per request would cost more than a
	// point lookup's parsing.
	watchTick = 10 * time.Millisecond
)

// laneRoute is a request line the lane serves, and the request it makes.
type laneRoute struct{ line, method, path string }

// laneRoutes are the JSON API's routes, whose handlers set every header
// their answers need: the statement endpoint, and what a client also sends
// on the same keep-alive connection (health checks, sign-in), so that its
// connection is not handed to net/http by its first request. Read only.
var laneRoutes = [...]laneRoute{
	{"POST /v1/api/sql HTTP/1.1\r\n", http.MethodPost, "/v1/api/sql"},
	{"GET /health HTTP/1.1\r\n", http.MethodGet, "/health"},
	{"GET /v1/api/healthcheck HTTP/1.1\r\n", http.MethodGet, "/v1/api/healthcheck"},
	{"POST /v1/api/auth/login HTTP/1.1\r\n", http.MethodPost, "/v1/api/auth/login"},
	{"POST /v1/api/auth/refresh HTTP/1.1\r\n", http.MethodPost, "/v1/api/auth/refresh"},
	{"POST /v1/api/auth/logout HTTP/1.1\r\n", http.MethodPost, "/v1/api/auth/logout"},
	{"GET /v1/api/auth/me HTTP/1.1\r\n", http.MethodGet, "/v1/api/auth/me"},
}

// matchRoute finds the route whose request line buf starts with; partial
// is true when buf is still shorter than a line it begins.
func matchRoute(buf []byte) (route *laneRoute, partial bool) {
	for i := range laneRoutes {
		r := &laneRoutes[i]
		n := min(len(buf), len(r.line))
		if string(buf[:n]) != r.line[:n] {
			continue
		}
		if n == len(r.line) {
			return r, false
		}
		partial = true
	}
	return nil, partial
}

// errClientGone is the cause of a request's cancellation when its client
// closes the connection during the statement.
var errClientGone = errors.New("the client closed the connection")

// laneServer accepts connections and serves them in the lane until a
// request is not for it. It owns no listener: Serve's caller does.
type laneServer struct {
	handler       http.Handler
	conns         *connLimiter
	base          context.Context
	idleTimeout   time.Duration
	headerTimeout time.Duration
	log           *zap.Logger

	mu       sync.Mutex
	shutting bool
	active   map[*laneConn]struct{}
	wg       sync.WaitGroup
	// stopping is shutting, for the answers' Connection header without
	// the lock.
	stopping atomic.Bool

	// busy holds the requests in their handler with the watcher's epoch
	// at their start, under watchMu; the watcher sleeps on kick while
	// there are none.
	watchMu       sync.Mutex
	busy          map[*laneConn]uint64
	epoch         uint64
	watcherAsleep bool
	kick          chan struct{}

	// busyPoll is how long a kept connection may poll for its next
	// request before parking (0: never); polling counts the connections
	// polling now, at most maxPolling: half the processors, so that the
	// others run everything else (none polls with one processor).
	busyPoll   time.Duration
	polling    atomic.Int32
	maxPolling atomic.Int32
	// procs is GOMAXPROCS, and handling the lane's requests in their
	// handler with their body read (laneBody.count; one still waiting for
	// its body waits in the network poller, on no processor, and counted
	// it would let any client's slow body stop every poll of a small
	// server): a poll stops once handling and polling together take
	// every processor, because a processor that polls never looks at the
	// other sockets, and with none idle the runtime would notice their
	// requests only at its 10 ms network check.
	procs    atomic.Int32
	handling atomic.Int32
	// procsFrom gives maxPolling and procs (processorBounds: from
	// GOMAXPROCS); they are read again at the first poll decision after
	// procsEvery has passed since the last reading (procsAt, Unix ns),
	// because the runtime changes GOMAXPROCS while the process runs when
	// its container's CPU limit changes. Bounds read only at start would
	// let polls keep every processor of a server whose limit was lowered.
	procsFrom  func() (maxPolling, procs int32)
	procsEvery time.Duration
	procsAt    atomic.Int64
	// caught counts the requests that arrived while their connection
	// polled, missed the polls that ended without one.
	caught, missed atomic.Int64

	// served counts the requests the lane answered; handedOff the
	// connections it gave to net/http.
	served, handedOff atomic.Int64

	// answers lends connections the buffer of an answer larger than an
	// idle connection keeps (laneOut.big), so that a busy server does not
	// allocate one per answer while idle connections still hold 4 KiB.
	answers sync.Pool
}

// register adds the lane's counters to reg.
func (s *laneServer) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kalamdb_http_fast_lane_requests_total",
			Help: "Requests answered by the fast lane (the statement endpoint and the JSON API's fixed routes, without net/http's per-request machinery)."},
			func() float64 { return float64(s.served.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kalamdb_http_fast_lane_handoffs_total",
			Help: "Connections the fast lane handed to net/http, at a request it does not serve."},
			func() float64 { return float64(s.handedOff.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kalamdb_http_busy_poll_caught_total",
			Help: "Requests that arrived while their keep-alive connection polled for them (server.busy_poll)."},
			func() float64 { return float64(s.caught.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "kalamdb_http_busy_poll_missed_total",
			Help: "Polls of a keep-alive connection that ended without a request; each spent up to server.busy_poll of CPU."},
			func() float64 { return float64(s.missed.Load()) }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// newLaneServer serves h; busyPoll is server.busy_poll (0: connections
// park at once between requests).
func newLaneServer(h http.Handler, conns *connLimiter, base context.Context, idle, header, busyPoll time.Duration, log *zap.Logger) *laneServer {
	return &laneServer{handler: h, conns: conns, base: base, idleTimeout: idle, headerTimeout: header,
		busyPoll: busyPoll, procsFrom: processorBounds, procsEvery: time.Second,
		log: log, active: make(map[*laneConn]struct{}), busy: make(map[*laneConn]uint64), kick: make(chan struct{}, 1)}
}

// processorBounds is the polling bounds of the processors the runtime
// runs goroutines on now: half of them may poll, none of one.
func processorBounds() (maxPolling, procs int32) {
	n := int32(runtime.GOMAXPROCS(0))
	return n / 2, n
}

// readProcessorBounds reads maxPolling and procs again when procsEvery
// has passed since they were last read (or they never were). Two
// connections may read them at once; both store what they read.
func (s *laneServer) readProcessorBounds(now time.Time) {
	at := s.procsAt.Load()
	if at != 0 && now.UnixNano()-at < int64(s.procsEvery) {
		return
	}
	maxPolling, procs := s.procsFrom()
	s.maxPolling.Store(maxPolling)
	s.procs.Store(procs)
	s.procsAt.Store(now.UnixNano())
}

// acceptLoop serves the connections of ln until it fails, handing what
// the lane does not serve to net/http through out. A failure other than
// closing ln ends out with that error, so that net/http's Serve returns it.
func (s *laneServer) acceptLoop(ln net.Listener, out *handoffListener) {
	defer s.wg.Done()
	s.wg.Add(1)
	go s.watchLoop(out.done)
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporaryAccept(err) {
				// Out of descriptors and the like: as net/http does, wait
				// and retry rather than stop serving.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", zap.Error(err), zap.Duration("in", backoff))
				select {
				case <-time.After(backoff):
					continue
				case <-out.done:
					return
				}
			}
			out.fail(err)
			return
		}
		backoff = 0
		tc, ok := c.(*trackedConn)
		if !ok {
			// Not admitted through the limiter (cannot happen with
			// connLimiter.listen); net/http serves it as before.
			out.handOff(c)
			continue
		}
		lc := &laneConn{srv: s, tc: tc, out: out}
		if !s.track(lc) {
			_ = tc.Close()
			continue
		}
		go lc.serve()
	}
}

// isTemporaryAccept reports the accept errors net/http retries.
func isTemporaryAccept(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// startAccepting counts the accept loop about to start among what Shutdown
// waits for; false when the server is already shutting down. Under mu,
// as track: a WaitGroup's Add from zero must not race its Wait, and Serve
// runs on its own goroutine, possibly after Shutdown has begun.
func (s *laneServer) startAccepting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting {
		return false
	}
	s.wg.Add(1)
	return true
}

// track adds lc to the connections Shutdown waits for; false when the
// server is shutting down.
func (s *laneServer) track(lc *laneConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting {
		return false
	}
	s.active[lc] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *laneServer) untrack(lc *laneConn) {
	s.mu.Lock()
	delete(s.active, lc)
	s.mu.Unlock()
	s.wg.Done()
}

// setIdle marks lc as waiting for a request (idle) or serving one; false
// when the server is shutting down, and lc must close.
func (s *laneServer) setIdle(lc *laneConn, idle bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	lc.idle = idle
	return !s.shutting
}

// beginShutdown stops new requests in the lane: idle connections are
// closed now, busy ones after their request.
func (s *laneServer) beginShutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutting = true
	s.stopping.Store(true)
	for lc := range s.active {
		if lc.idle {
			_ = lc.tc.Conn.Close() // the serving goroutine releases it
		}
	}
}

// wait waits for every lane connection to end, or for ctx; then it closes
// those left and returns.
func (s *laneServer) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		// Like http.Server.Close: the connections close, and a handler
		// that ignores its cancelled context is not waited for.
		s.mu.Lock()
		for lc := range s.active {
			_ = lc.tc.Conn.Close()
		}
		s.mu.Unlock()
		return fmt.Errorf("fast lane: requests still running: %w", context.Cause(ctx))
	}
}

// watchLoop starts the background read of every request that has run
// for a whole tick, until done. It sleeps while no request runs.
func (s *laneServer) watchLoop(done <-chan struct{}) {
	defer s.wg.Done()
	tick := time.NewTicker(watchTick)
	defer tick.Stop()
	var due []*laneConn
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		s.watchMu.Lock()
		if len(s.busy) == 0 {
			s.watcherAsleep = true
			s.watchMu.Unlock()
			tick.Stop()
			select {
			case <-done:
				return
			case <-s.kick:
			}
			tick.Reset(watchTick)
			continue
		}
		s.epoch++
		due = due[:0]
		for lc, since := range s.busy {
			if s.epoch-since >= 2 {
				due = append(due, lc)
				delete(s.busy, lc)
			}
		}
		s.watchMu.Unlock()
		for _, lc := range due {
			lc.watch.begin()
		}
	}
}

// running tells the watcher that lc's request is in its handler, and
// done that it is not any more; done waits for the watch's read to stop
// and reports whether the connection is still there.
func (s *laneServer) running(lc *laneConn) {
	s.watchMu.Lock()
	s.busy[lc] = s.epoch
	wake := s.watcherAsleep
	s.watcherAsleep = false
	s.watchMu.Unlock()
	if wake {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

func (s *laneServer) done(lc *laneConn) (connected bool) {
	// Stopped first, so that the watch cannot put lc back in busy.
	reading := lc.watch.markStopped()
	s.watchMu.Lock()
	delete(s.busy, lc)
	s.watchMu.Unlock()
	if !reading {
		return true
	}
	return lc.watch.stopRead()
}

// laneConn is one connection served by the lane; one goroutine serves it.
type laneConn struct {
	srv *laneServer
	tc  *trackedConn
	out *handoffListener
	ctx context.Context // the connection's: base, with the tracked conn

	src    laneSource
	br     *bufio.Reader
	bw     laneOut
	remote string

	body     laneBody
	watch    laneWatch
	date     dateCache
	requests int // served so far
	// answered is when the last answer was written (only kept while
	// busy polling is on), and gap how long the client then took to send
	// its next request: pollNext polls only for a client that was quick.
	answered time.Time
	gap      time.Duration
	lastPost bool // the last request served was a POST
	// deadline is the read deadline serveOne or readHead last set (zero:
	// none); a request handed to net/http may not extend it.
	deadline time.Time
	// readDeadline is set while the handler has a read deadline on the
	// connection (the body's), so that clearing it costs nothing otherwise.
	readDeadline bool

	idle bool // guarded by srv.mu
}

// laneSource is what br reads from: the connection, after the byte a
// background read took from it, if any.
type laneSource struct {
	conn    net.Conn
	held    [1]byte
	hasHeld bool
	// poll, when set by pollNext, makes the next read poll the socket
	// until pollEnd before it parks, and is cleared by that read; try is
	// the connection's raw descriptor (nil: no polling).
	try     *laneTry
	poll    *laneServer
	pollEnd time.Time
	quit    func() bool // laneConn.pollOver, made once
}

func (r *laneSource) Read(p []byte) (int, error) {
	if r.hasHeld && len(p) > 0 {
		p[0] = r.held[0]
		r.hasHeld = false
		return 1, nil
	}
	if s := r.poll; s != nil {
		r.poll = nil
		n, polled, err := r.try.readPolling(p, r.pollEnd, &s.polling, r.quit)
		if polled && n > 0 {
			s.caught.Add(1)
		} else {
			s.missed.Add(1)
		}
		return n, err
	}
	return r.conn.Read(p)
}

func (lc *laneConn) serve() {
	defer lc.srv.untrack(lc)
	lc.src.conn = lc.tc
	lc.br = bufio.NewReaderSize(&lc.src, laneReadBufferBytes)
	lc.bw.conn = lc.tc.Conn // the TCP connection itself, so that writev is used
	lc.bw.pool = &lc.srv.answers
	lc.bw.try = newLaneTry(lc.tc.Conn)
	lc.src.try = lc.bw.try
	lc.src.quit = lc.pollOver
	lc.remote = lc.tc.RemoteAddr().String()
	lc.ctx = context.WithValue(lc.srv.base, connKey{}, lc.tc)
	for {
		served, keep := lc.serveOne()
		if !served {
			return // handed off or closed
		}
		if !keep {
			_ = lc.bw.Flush()
			_ = lc.tc.Close()
			return
		}
	}
}

// serveOne waits for the next request and serves it. served is false
// when the connection went to net/http or ended; keep is false when it
// must close after the answer.
func (lc *laneConn) serveOne() (served, keep bool) {
	if !lc.srv.setIdle(lc, true) {
		_ = lc.tc.Close()
		return false, false
	}
	// A new connection owes its first request's head within the header
	// timeout; a kept one may then wait the idle timeout for the next.
	wait := lc.srv.idleTimeout
	if lc.requests == 0 {
		wait = lc.srv.headerTimeout
	}
	lc.setDeadline(wait)
	lc.pollNext()
	b, err := lc.br.Peek(1)
	if !lc.answered.IsZero() {
		lc.gap = time.Since(lc.answered)
	}
	if err != nil {
		// Nothing came: net/http does not answer either.
		lc.srv.setIdle(lc, false)
		_ = lc.tc.Close()
		return false, false
	}
	if lc.lastPost && (b[0] == '\r' || b[0] == '\n') {
		// net/http tolerates up to four bytes of CRLF after a POST's body
		// (RFC 9112 §2.2).
		b, _ = lc.br.Peek(4)
		n := 0
		for n < len(b) && (b[n] == '\r' || b[n] == '\n') {
			n++
		}
		_, _ = lc.br.Discard(n)
	}
	if !lc.srv.setIdle(lc, false) {
		_ = lc.tc.Close()
		return false, false
	}
	lc.srv.conns.state(lc.tc, http.StateActive)
	head, route := lc.readHead()
	if route == nil {
		lc.handOff()
		return false, false
	}
	req, ok := lc.parse(head, route)
	if !ok {
		lc.handOff()
		return false, false
	}
	_, _ = lc.br.Discard(len(head))
	lc.srv.served.Add(1)
	lc.requests++
	lc.lastPost = route.method == http.MethodPost
	keep = lc.serveRequest(req)
	lc.srv.conns.state(lc.tc, http.StateIdle)
	if lc.srv.busyPoll > 0 {
		lc.answered = time.Now()
	}
	return true, keep
}

// pollNext makes the wait for the next request poll first, when busy
// polling is on, the connection has authenticated (an anonymous client
// could otherwise hold the polling slots and spend their CPU), its client
// sent its last request within busyPoll of the answer before it, nothing
// of the next one is here yet and a polling slot is free. Polling stops
// at the read deadline, if that is sooner.
func (lc *laneConn) pollNext() {
	s := lc.srv
	if s.busyPoll <= 0 || lc.src.try == nil || lc.requests == 0 || lc.gap > s.busyPoll ||
		lc.br.Buffered() > 0 || lc.src.hasHeld || lc.tc.owner.Load() == nil {
		return
	}
	now := time.Now()
	s.readProcessorBounds(now)
	if n := s.polling.Add(1); n > s.maxPolling.Load() || s.handling.Load()+n > s.procs.Load() {
		s.polling.Add(-1)
		return
	}
	end := now.Add(s.busyPoll)
	if !lc.deadline.IsZero() && lc.deadline.Before(end) {
		end = lc.deadline
	}
	lc.src.poll, lc.src.pollEnd = s, end
}

// pollOver reports, without a lock, that a poll must stop: the server
// closed the connection while it waited for a request (shutdown began,
// or the limiter released it, an eviction, which disowns it), or every
// processor is taken by a poll or a lane request's handler.
func (lc *laneConn) pollOver() bool {
	s := lc.srv
	return s.stopping.Load() || lc.tc.owner.Load() == nil || s.handling.Load()+s.polling.Load() >= s.procs.Load()
}

// readHead returns the request head (through its blank line) and its
// route when it is complete in br's buffer and may be for the lane; the
// route is nil when the
// request is not the lane's, or its head did not arrive whole (a timeout,
// or the client closed the connection): it is left in br for net/http,
// which answers it as it answers any. A kept connection's head is due
// within ReadHeaderTimeout of its first byte; a new one's since accept.
func (lc *laneConn) readHead() (head []byte, route *laneRoute) {
	waited := lc.requests == 0
	scanned := 0 // bytes headEnd has looked at: a head sent a byte at a time is not rescanned
	for {
		buf, _ := lc.br.Peek(lc.br.Buffered())
		r, partial := matchRoute(buf)
		if r == nil && !partial {
			return nil, nil
		}
		if r != nil {
			if end := headEnd(buf, scanned); end > 0 {
				return buf[:end], r
			} else if end < 0 {
				return nil, nil // a bare LF
			}
			scanned = len(buf)
		}
		if len(buf) == lc.br.Size() {
			return nil, nil // too long for the lane
		}
		if !waited {
			lc.setDeadline(lc.srv.headerTimeout)
			waited = true
		}
		if _, err := lc.br.Peek(len(buf) + 1); err != nil {
			return nil, nil
		}
	}
}

// setDeadline sets the connection's read deadline d from now (none for
// 0) and remembers it, for a hand-off.
func (lc *laneConn) setDeadline(d time.Duration) {
	var t time.Time
	if d > 0 {
		t = time.Now().Add(d)
	}
	if t.IsZero() && lc.deadline.IsZero() {
		return
	}
	lc.deadline = t
	_ = lc.tc.SetReadDeadline(t)
}

// headEnd is the length of the head in buf through its terminating blank
// line; 0 when buf holds no complete head yet; -1 when a line of it ends
// in a bare LF, which net/http accepts and the lane leaves to it. Bytes
// before from were looked at already (each is judged by those before it).
func headEnd(buf []byte, from int) int {
	for i := from; i < len(buf); i++ {
		if buf[i] != '\n' {
			continue
		}
		if i == 0 || buf[i-1] != '\r' {
			return -1
		}
		if i >= 3 && buf[i-2] == '\n' && buf[i-3] == '\r' {
			return i + 1
		}
	}
	return 0
}

// parse builds the request of head as http.ReadRequest would, and checks
// it as net/http's server does; ok is false for anything the lane does not
// serve, or where the two parsers could disagree: any Transfer-Encoding,
// Expect or Upgrade, a Content-Length that is not plain digits or is
// repeated with another value, fields net/http's server refuses, a
// missing or repeated Host. TestLaneParseMatchesReadRequest holds it to
// ReadRequest.
//
// Allocations are what a request pays for every field: the values of the
// fields isSharedField names are copied into one string together and the
// header's value slices are cut from one array (each with its capacity
// cut to its length, so an append to one field's values cannot reach the
// next). A field whose value may be a secret (Authorization, Cookie, any
// name isSharedField does not list) gets a string of its own, so that a kept
// value (a User-Agent in a log line, say) never holds a credential in
// memory with it.
func (lc *laneConn) parse(head []byte, route *laneRoute) (*http.Request, bool) {
	lines := head[len(route.line) : len(head)-2]
	var stack [laneParseFields]laneField
	fields := stack[:0]
	shared := 0 // bytes of the values that go into the shared string
	for len(lines) > 0 {
		i := bytes.Index(lines, []byte("\r\n"))
		if i < 0 {
			return nil, false
		}
		line := lines[:i]
		lines = lines[i+2:]
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return nil, false // also a folded line, which starts with SP or HT
		}
		rawName := line[:colon]
		rawValue := bytes.Trim(line[colon+1:], " \t")
		if !validFieldName(rawName) || !validFieldValue(rawValue) {
			return nil, false
		}
		f := laneField{name: canonicalFieldName(rawName), raw: rawValue}
		if f.shared = isSharedField(f.name); f.shared {
			shared += len(rawValue)
		}
		fields = append(fields, f)
	}
	var text strings.Builder
	text.Grow(shared)
	for i := range fields {
		if fields[i].shared {
			text.Write(fields[i].raw)
		}
	}
	all := text.String() // no copy: the builder's bytes
	req := &http.Request{
		Method: route.method, URL: &url.URL{Path: route.path}, RequestURI: route.path,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(http.Header, len(fields)),
	}
	slots := make([]string, len(fields))
	hosts, at := 0, 0
	var contentLength string
	for i := range fields {
		name, raw := fields[i].name, fields[i].raw
		var value string
		if fields[i].shared {
			value = all[at : at+len(raw)]
			at += len(raw)
		} else {
			value = string(raw)
		}
		switch name {
		case "Host":
			hosts++
			if hosts > 1 || !httpguts.ValidHostHeader(value) {
				return nil, false
			}
			req.Host = value
			continue
		case "Transfer-Encoding", "Expect", "Upgrade":
			return nil, false
		case "Content-Length":
			if !plainDigits(value) || (contentLength != "" && value != contentLength) {
				return nil, false
			}
			if contentLength != "" {
				continue // a repeat of the same length counts once, as in ReadRequest
			}
			contentLength = value
		}
		if vv, ok := req.Header[name]; ok {
			req.Header[name] = append(vv, value)
			continue
		}
		slots[i] = value
		req.Header[name] = slots[i : i+1 : i+1]
	}
	if hosts != 1 {
		return nil, false
	}
	if contentLength != "" {
		n, err := strconv.ParseInt(contentLength, 10, 64)
		if err != nil {
			return nil, false
		}
		req.ContentLength = n
	}
	req.Close = httpguts.HeaderValuesContainsToken(req.Header["Connection"], "close")
	if hp := req.Header["Pragma"]; len(hp) > 0 && hp[0] == "no-cache" {
		if _, ok := req.Header["Cache-Control"]; !ok {
			req.Header["Cache-Control"] = []string{"no-cache"}
		}
	}
	return req, true
}

// laneParseFields is how many fields parse collects without a heap
// allocation; a head with more still parses.
const laneParseFields = 16

// laneField is one field of a head being parsed.
type laneField struct {
	name   string
	raw    []byte // the value, trimmed, in the connection's buffer
	shared bool   // copied into the head's shared string (isSharedField)
}

// isSharedField reports whether a field's value is copied into the
// request's shared string: fields every client sends that never hold a
// secret.
func isSharedField(name string) bool {
	switch name {
	case "Host", "Content-Type", "Content-Length", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language",
		"Connection", "X-Request-Id", "Origin", "Referer", "Pragma", "Cache-Control":
		return true
	}
	return false
}

// plainDigits reports whether s is 1 to 18 ASCII digits: a Content-Length
// every parser reads alike.
func plainDigits(s string) bool {
	if len(s) == 0 || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validFieldName and validFieldValue are httpguts' checks without a
// string conversion.
func validFieldName(b []byte) bool {
	for _, c := range b {
		if !httpguts.IsTokenRune(rune(c)) {
			return false
		}
	}
	return len(b) > 0
}

func validFieldValue(b []byte) bool {
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func equalFoldASCII(s string, b []byte) bool {
	if len(s) != len(b) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c, d := s[i], b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// commonFields are canonical names a client sends with every statement,
// so that their keys cost no allocation.
var commonFields = [...]string{"Host", "Authorization", "Content-Type", "Content-Length", "User-Agent",
	"Accept", "Accept-Encoding", "Connection", "X-Request-Id", "Cookie", "Origin", "Referer",
	"Transfer-Encoding", "Expect", "Upgrade", "Pragma", "Cache-Control", "X-Csrf-Token"}

// canonicalFieldName is textproto's canonical form of a valid name.
func canonicalFieldName(b []byte) string {
	for _, f := range commonFields {
		if equalFoldASCII(f, b) {
			return f
		}
	}
	return textproto.CanonicalMIMEHeaderKey(string(b))
}

// handOff gives the connection, with what br holds, to net/http.
func (lc *laneConn) handOff() {
	var pending []byte
	if n := lc.br.Buffered(); n > 0 {
		b, _ := lc.br.Peek(n)
		pending = bytes.Clone(b)
	}
	if lc.src.hasHeld {
		pending = append(pending, lc.src.held[0])
	}
	lc.srv.handedOff.Add(1)
	lc.out.handOff(&handedConn{trackedConn: lc.tc, pending: pending, headDeadline: lc.deadline})
}

// serveRequest runs the handler for req and writes its answer; it
// reports whether the connection may serve another request.
func (lc *laneConn) serveRequest(req *http.Request) bool {
	ctx, cancel := context.WithCancelCause(lc.ctx)
	defer cancel(context.Canceled)
	req = req.WithContext(ctx)
	req.RemoteAddr = lc.remote
	lc.body.reset(lc, req.ContentLength)
	req.Body = &lc.body
	w := &laneWriter{lc: lc, req: req, header: make(http.Header, 4), contentLength: -1, status: 0}

	lc.watch.reset(lc, cancel)
	lc.srv.running(lc)
	if lc.body.complete.Load() || lc.body.buffered() {
		// Its handler waits on nothing from the network (authentication
		// before the body is read takes CPU): running from the start.
		lc.body.count() // not in running: the watcher calls it again for a slow body
	}
	ok := lc.runHandler(w, req)
	if lc.body.counted {
		lc.srv.handling.Add(-1)
	}
	// A pipelined byte the watch read is kept for the next head; a failed
	// read means the client is gone.
	gone := !lc.srv.done(lc)
	if lc.readDeadline {
		_ = lc.tc.SetReadDeadline(time.Time{})
		lc.readDeadline = false
	}
	if !ok {
		// The handler panicked: whatever it wrote may be half an answer.
		return false
	}
	if !w.finish() || gone {
		return false
	}
	if lc.body.remaining > 0 {
		// Not read to its end: the rest would be taken for the next
		// request. Drop it if it is here already, else close.
		if int64(lc.br.Buffered()) < lc.body.remaining {
			return false
		}
		_, _ = lc.br.Discard(int(lc.body.remaining))
	}
	return !w.closeAfter && !req.Close
}

// runHandler calls the handler; false when it panicked (the connection
// then closes without another word, as net/http does).
func (lc *laneConn) runHandler(w *laneWriter, req *http.Request) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			ok = false
			if v != http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				lc.srv.log.Error("panic serving a fast-lane request", zap.Any("panic", v), zap.Stack("stack"))
			}
		}
	}()
	lc.srv.handler.ServeHTTP(w, req)
	return true
}

// laneWatch notices a client that goes away during a long statement: once
// the watcher finds the request running with its body read, a goroutine
// reads the connection; an error there (the client closed it) cancels the
// request; a byte read there (the client sent more: pipelining) is kept
// for the next head. One per connection, reset for each request.
type laneWatch struct {
	lc     *laneConn
	cancel context.CancelCauseFunc

	mu      sync.Mutex
	stopped bool
	reading bool
	done    chan struct{}
	failed  bool // the read failed: the connection is gone
}

func (w *laneWatch) reset(lc *laneConn, cancel context.CancelCauseFunc) {
	w.mu.Lock()
	w.lc, w.cancel = lc, cancel
	w.stopped, w.reading, w.failed = false, false, false
	w.mu.Unlock()
}

// begin runs on the watcher's goroutine, concurrently with the handler:
// it learns the body's state only through laneBody's atomics.
func (w *laneWatch) begin() {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.stopped:
		return
	case w.reading:
		// Called twice for one request: a due entry the watcher collected
		// while the request before it ran, then its own. A second read
		// would take another byte that held cannot keep (the request
		// behind would lose it), and close done twice.
		return
	case !w.lc.body.complete.Load():
		// Still reading a slow body: the watcher looks again next tick.
		w.lc.srv.running(w.lc)
		return
	case w.lc.src.hasHeld:
		// A watch of an earlier request read a byte the reader has not
		// come to yet (the requests since came from its buffer): the
		// client sent more, and held keeps one byte, so a read now would
		// replace it and the stream would lose a byte. (Looked at only
		// once the body is complete: until then the handler's reads of
		// the body may take the held byte.)
		return
	}
	// The head's or idle wait's deadline may still be set (a request
	// that came whole needed no other): the read must outlast it, or it
	// would end as if stopped. stopRead sets its own.
	_ = w.lc.tc.SetReadDeadline(time.Time{})
	w.reading = true
	w.done = make(chan struct{})
	go w.read(w.done)
}

func (w *laneWatch) read(done chan struct{}) {
	defer close(done)
	n, err := w.lc.tc.Read(w.lc.src.held[:])
	if n == 1 {
		w.lc.src.hasHeld = true
		return
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return // stop's doing
	}
	w.failed = true
	w.cancel(errClientGone)
}

// markStopped ends the watch; it reports whether its read has started,
// which stopRead must then end.
func (w *laneWatch) markStopped() (reading bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	return w.reading
}

// stopRead interrupts the watch's read and waits for it; false when the
// read had found the connection gone.
func (w *laneWatch) stopRead() bool {
	_ = w.lc.tc.SetReadDeadline(time.Unix(1, 0))
	<-w.done
	_ = w.lc.tc.SetReadDeadline(time.Time{})
	return !w.failed
}

// laneBody is a request's body: the next remaining bytes of br. Only the
// handler's goroutine reads it; complete tells the watch (another
// goroutine) when the connection may be read behind it.
type laneBody struct {
	lc        *laneConn
	remaining int64
	err       error
	// counted is set once the request counts in laneServer.handling:
	// from the start of its handler when its whole body is here already,
	// else from when its body has been read.
	counted bool
	// complete is set once the body is read to its end.
	complete atomic.Bool
}

func (b *laneBody) reset(lc *laneConn, n int64) {
	b.lc, b.remaining, b.err, b.counted = lc, n, nil, false
	b.complete.Store(n == 0)
}

// count counts the request as running in its handler (handling), once.
func (b *laneBody) count() {
	if !b.counted {
		b.counted = true
		b.lc.srv.handling.Add(1)
	}
}

// buffered reports whether the whole rest of the body is in br already.
func (b *laneBody) buffered() bool { return int64(b.lc.br.Buffered()) >= b.remaining }

func (b *laneBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.remaining == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.lc.br.Read(p)
	b.remaining -= int64(n)
	if b.remaining == 0 {
		b.complete.Store(true)
		b.count()
	}
	if err != nil && b.remaining > 0 {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		b.err = err
		return n, err
	}
	return n, nil
}

func (b *laneBody) Close() error { return nil }

// laneWriter is the http.ResponseWriter of a lane request.
type laneWriter struct {
	lc     *laneConn
	req    *http.Request
	header http.Header

	status        int
	headerSent    bool
	contentLength int64 // declared by the handler; -1 if not
	written       int64
	chunked       bool
	closeAfter    bool
	failed        bool // a write to the connection failed
	held          []byte
}

func (w *laneWriter) Header() http.Header { return w.header }

func (w *laneWriter) WriteHeader(code int) {
	if w.status != 0 || code < 200 {
		// Informational answers are not supported here (the statement
		// endpoint sends none); a second status is ignored, as net/http
		// ignores a superfluous one.
		return
	}
	w.status = code
	if cl := w.header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			w.contentLength = n
		} else {
			w.header.Del("Content-Length")
		}
	}
	if !bodyAllowedForStatus(code) {
		w.contentLength = 0
	}
}

func bodyAllowedForStatus(code int) bool {
	return code != http.StatusNoContent && code != http.StatusNotModified
}

func (w *laneWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowedForStatus(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.contentLength >= 0 && w.written+int64(len(p)) > w.contentLength {
		return 0, http.ErrContentLength
	}
	if w.failed {
		return 0, io.ErrClosedPipe
	}
	w.written += int64(len(p))
	if !w.headerSent {
		if w.contentLength >= 0 {
			w.sendHeader(p)
		} else if len(w.held)+len(p) <= laneBufferBytes {
			w.held = append(w.held, p...)
			return len(p), nil
		} else {
			w.chunked = true
			if len(w.held) > 0 {
				w.sendHeader(w.held)
			} else {
				w.sendHeader(p)
			}
			w.writeChunk(w.held)
			w.held = w.held[:0]
		}
	}
	if w.chunked {
		w.writeChunk(p)
	} else {
		_, _ = w.lc.bw.Write(p)
	}
	if w.lc.bw.err != nil {
		w.failed = true
	}
	if w.failed {
		return 0, io.ErrClosedPipe
	}
	return len(p), nil
}

// writeChunk writes p as one chunk of a chunked answer.
func (w *laneWriter) writeChunk(p []byte) {
	if len(p) == 0 {
		return
	}
	bw := &w.lc.bw
	var n [16]byte
	_, _ = bw.Write(strconv.AppendInt(n[:0], int64(len(p)), 16))
	_, _ = bw.WriteString("\r\n")
	_, _ = bw.Write(p)
	if _, err := bw.WriteString("\r\n"); err != nil {
		w.failed = true
	}
}

// FlushError sends what is written so far; an answer without
// Content-Length becomes chunked.
func (w *laneWriter) FlushError() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headerSent {
		if w.contentLength < 0 {
			w.chunked = true
		}
		w.sendHeader(w.held)
		w.writeChunkOrBody(w.held)
		w.held = w.held[:0]
	}
	if err := w.lc.bw.Flush(); err != nil {
		w.failed = true
		return err
	}
	return nil
}

func (w *laneWriter) Flush() { _ = w.FlushError() }

func (w *laneWriter) writeChunkOrBody(p []byte) {
	if w.chunked {
		w.writeChunk(p)
	} else if len(p) > 0 {
		_, _ = w.lc.bw.Write(p)
	}
}

// SetReadDeadline is the request body's read deadline (the middleware's
// readBodyTimeout). With the whole body in the buffer there is nothing to
// read, and no deadline to set.
func (w *laneWriter) SetReadDeadline(t time.Time) error {
	lc := w.lc
	if t.IsZero() {
		if !lc.readDeadline {
			return nil
		}
		lc.readDeadline = false
		return lc.tc.SetReadDeadline(t)
	}
	if lc.body.complete.Load() || lc.body.buffered() {
		return nil
	}
	lc.readDeadline = true
	return lc.tc.SetReadDeadline(t)
}

// SetWriteDeadline bounds the writes of the answer. The deadline is
// recorded, and set on the connection only before a write that may wait
// (laneOut.send); clearing it touches the connection only if it was set.
// It may be called from another goroutine than the handler's (a watchdog
// cutting off a stalled answer, as net/http's connection allows): the
// record is under o.mu, and a deadline set while a write waits armed goes
// to the connection at once.
func (w *laneWriter) SetWriteDeadline(t time.Time) error {
	o := &w.lc.bw
	o.mu.Lock()
	defer o.mu.Unlock()
	o.deadline = t
	switch {
	case t.IsZero():
		if !o.armed {
			return nil
		}
		o.armed = false
		return w.lc.tc.SetWriteDeadline(t)
	case o.armed || o.try == nil:
		o.armed = true
		return w.lc.tc.SetWriteDeadline(t)
	}
	return nil
}

// finish completes the answer after the handler returned; false when the
// connection cannot be reused.
func (w *laneWriter) finish() bool {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headerSent {
		if w.contentLength < 0 && bodyAllowedForStatus(w.status) {
			w.contentLength = int64(len(w.held))
			w.header.Set("Content-Length", strconv.Itoa(len(w.held)))
		}
		w.sendHeader(w.held)
		w.writeChunkOrBody(w.held)
	}
	if w.chunked {
		_, _ = w.lc.bw.WriteString("0\r\n\r\n")
	}
	if err := w.lc.bw.Flush(); err != nil {
		w.failed = true
	}
	short := !w.chunked && w.contentLength >= 0 && w.written != w.contentLength
	return !w.failed && !short
}

// sendHeader writes the status line and header into bw.
// first is the start of the body, for the Content-Type net/http would
// sniff from it.
func (w *laneWriter) sendHeader(first []byte) {
	w.headerSent = true
	h := w.header
	if bodyAllowedForStatus(w.status) {
		_, haveType := h["Content-Type"]
		if !haveType && len(first) > 0 && h.Get("Content-Encoding") == "" && h.Get("Transfer-Encoding") == "" {
			h.Set("Content-Type", http.DetectContentType(first))
		}
	} else {
		// What net/http leaves out of a 204 or 304.
		h.Del("Content-Length")
		h.Del("Transfer-Encoding")
		if w.status == http.StatusNotModified {
			h.Del("Content-Type")
		}
	}
	if w.chunked {
		h.Del("Content-Length")
		h.Set("Transfer-Encoding", "chunked")
	}
	if h.Get("Connection") == "close" || w.req.Close || w.lc.srv.stopping.Load() {
		w.closeAfter = true
		h.Set("Connection", "close")
	}
	// The Date value is one slice that every answer of the second
	// shares: it is in the handler's header only while the header is
	// written, as net/http's never is, so that no handler can reach it
	// and change later answers.
	_, hadDate := h["Date"]
	if !hadDate {
		h["Date"] = w.lc.date.now()
	}
	bw := &w.lc.bw
	var line [64]byte
	b := append(line[:0], "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(w.status), 10)
	b = append(b, ' ')
	if text := http.StatusText(w.status); text != "" {
		b = append(b, text...)
	} else {
		b = append(b, "status code "...)
		b = strconv.AppendInt(b, int64(w.status), 10)
	}
	b = append(b, "\r\n"...)
	_, _ = bw.Write(b)
	writeHeaderFields(bw, h)
	if !hadDate {
		delete(h, "Date")
	}
	if _, err := bw.WriteString("\r\n"); err != nil {
		w.failed = true
	}
}

// writeHeaderFields writes h as http.Header.Write does (fields sorted by
// name, invalid names left out, CR and LF in a value turned to spaces, the
// value trimmed of ASCII space), without its sorter and string replacer:
// an answer has a handful of fields, sorted here on the stack.
// TestWriteHeaderFieldsMatchesHeaderWrite holds it to Header.Write. A
// failed write sticks in o and is seen when it is flushed.
func writeHeaderFields(o *laneOut, h http.Header) {
	var stack [16]string
	names := stack[:0]
	for k := range h {
		names = append(names, k)
	}
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && names[j] < names[j-1]; j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
	for _, k := range names {
		if !httpguts.ValidHeaderFieldName(k) {
			continue
		}
		for _, v := range h[k] {
			_, _ = o.WriteString(k)
			_, _ = o.WriteString(": ")
			writeFieldValue(o, v)
			_, _ = o.WriteString("\r\n")
		}
	}
}

// writeFieldValue writes v with CR and LF as spaces, trimmed of ASCII
// space (textproto.TrimString after the replacement).
func writeFieldValue(o *laneOut, v string) {
	space := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for len(v) > 0 && space(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && space(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	for {
		i := strings.IndexAny(v, "\r\n")
		if i < 0 {
			_, _ = o.WriteString(v)
			return
		}
		_, _ = o.WriteString(v[:i])
		_, _ = o.WriteString(" ")
		v = v[i+1:]
	}
}

// laneOut collects an answer's bytes for one write system call: small
// writes are copied together; a large one goes out with what is already
// collected in one writev, without a copy. A write error sticks.
//
// An answer that outgrows laneOutKeepBytes moves to a buffer of
// laneOutBigBytes borrowed from pool and returned once it is sent, so
// that the connection keeps only its small buffer between answers.
type laneOut struct {
	conn net.Conn
	pool answerPool // of *[]byte with capacity laneOutBigBytes; nil: none
	buf  []byte
	// small is the connection's own buffer, kept between answers; big
	// the borrowed one buf is in, if any.
	small []byte
	big   *[]byte
	err   error

	// deadline is the answer's write deadline (laneWriter.SetWriteDeadline,
	// zero: none). It is set on the connection (armed) only before a write
	// that may wait: a write the socket takes whole at once needs none.
	// Under mu: SetWriteDeadline may come from another goroutine.
	mu       sync.Mutex
	deadline time.Time
	armed    bool
	// try offers bytes to the socket without waiting (laneTry); nil
	// where the connection has no raw file descriptor, and the deadline
	// is then armed as soon as it is set.
	try *laneTry
}

// arm sets the recorded write deadline on the connection, before a write
// that may wait.
func (o *laneOut) arm() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.deadline.IsZero() || o.armed {
		return nil
	}
	o.armed = true
	return o.conn.SetWriteDeadline(o.deadline)
}

// offering reports whether send offers its bytes without waiting first:
// a deadline is recorded and not armed.
func (o *laneOut) offering() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return !o.deadline.IsZero() && !o.armed && o.try != nil
}

// send writes p to the connection. Under a write deadline, p is first
// offered to the socket without waiting (one write(2)); only what the
// socket does not take at once is written with the deadline armed. So an
// answer to a client that reads (the socket's buffer takes it whole)
// costs no deadline change, where arming and clearing it cost two timer
// updates in Go's network poller per answer, and an answer that must
// wait is bounded as before. A write the socket takes at once is not
// refused for a deadline that passed already: the deadline bounds
// waiting for the client.
func (o *laneOut) send(p []byte) error {
	if len(p) > 0 && o.offering() {
		n, err := o.try.write(p)
		if err != nil {
			return err
		}
		p = p[n:]
		if len(p) == 0 {
			return nil
		}
	}
	if err := o.arm(); err != nil {
		return err
	}
	_, err := o.conn.Write(p)
	return err
}

const (
	// laneDirectBytes is the size from which a write is not copied.
	laneDirectBytes = 16 << 10
	// laneOutFlushBytes is how much is collected before it is sent
	// (chunked answers and many small writes).
	laneOutFlushBytes = 64 << 10
	// laneOutKeepBytes bounds the buffer an idle connection keeps between
	// answers, as net/http's 4 KiB writer: a large answer's buffer is
	// given back once sent, so thousands of idle keep-alive connections
	// do not each hold the largest answer they ever had.
	laneOutKeepBytes = 4 << 10
	// laneOutBigBytes is the size of a borrowed buffer: it holds what
	// is collected before a flush and the largest write that is copied.
	laneOutBigBytes = laneOutFlushBytes + laneDirectBytes
)

// answerPool is where laneOut borrows large buffers (a *sync.Pool).
type answerPool interface {
	Get() any
	Put(any)
}

// grow makes room for n more bytes, moving to a borrowed buffer when the
// small one is too small.
func (o *laneOut) grow(n int) {
	need := len(o.buf) + n
	if need <= cap(o.buf) || need <= laneOutKeepBytes || need > laneOutBigBytes || o.big != nil || o.pool == nil {
		return
	}
	if o.small == nil {
		o.small = o.buf[:0]
	}
	bp, _ := o.pool.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, 0, laneOutBigBytes)
		bp = &b
	}
	o.big = bp
	o.buf = append((*bp)[:0], o.buf...)
}

func (o *laneOut) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	if len(p) < laneDirectBytes {
		o.grow(len(p))
		o.buf = append(o.buf, p...)
		if len(o.buf) >= laneOutFlushBytes {
			return len(p), o.Flush()
		}
		return len(p), nil
	}
	bufs := net.Buffers{o.buf, p}
	if o.err = o.arm(); o.err == nil {
		_, o.err = bufs.WriteTo(o.conn)
	}
	o.reset()
	if o.err != nil {
		return 0, o.err
	}
	return len(p), nil
}

func (o *laneOut) WriteString(s string) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	o.grow(len(s))
	o.buf = append(o.buf, s...)
	return len(s), nil
}

// Flush sends what is collected.
func (o *laneOut) Flush() error {
	if o.err == nil && len(o.buf) > 0 {
		o.err = o.send(o.buf)
	}
	o.reset()
	return o.err
}

// reset empties the buffer, giving a borrowed one back.
func (o *laneOut) reset() {
	if o.big != nil {
		*o.big = (*o.big)[:0]
		o.pool.Put(o.big)
		o.big, o.buf = nil, o.small
	}
	if cap(o.buf) > laneOutKeepBytes {
		o.buf = nil
	} else {
		o.buf = o.buf[:0]
	}
	o.small = nil
}

// dateCache is the Date header's value, formatted once a second.
type dateCache struct {
	sec int64
	val []string
}

func (d *dateCache) now() []string {
	t := time.Now()
	if s := t.Unix(); s != d.sec || d.val == nil {
		d.sec = s
		d.val = []string{t.UTC().Format(http.TimeFormat)}
	}
	return d.val
}

// handedConn is a connection the lane gave to net/http: reads return what
// the lane had read and not consumed, then the connection's. Until
// net/http has read its first request's head, its read deadlines are kept
// within the one the lane had set for that head, so that a slow client
// cannot have a header timeout from each of them.
type handedConn struct {
	*trackedConn
	pending      []byte
	headDeadline time.Time // zero: no bound, or the head is read
}

func (c *handedConn) SetReadDeadline(t time.Time) error {
	if !c.headDeadline.IsZero() {
		if t.IsZero() {
			// net/http clears its header deadline once the head is read.
			c.headDeadline = time.Time{}
		} else if t.After(c.headDeadline) {
			t = c.headDeadline
		}
	}
	return c.trackedConn.SetReadDeadline(t)
}

func (c *handedConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.trackedConn.SetWriteDeadline(t)
}

func (c *handedConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.trackedConn.Read(p)
}

// tracked is the admitted connection behind c, as net/http's hooks see it.
func tracked(c net.Conn) *trackedConn {
	switch c := c.(type) {
	case *trackedConn:
		return c
	case *handedConn:
		return c.trackedConn
	}
	return nil
}

// handoffListener is the listener net/http serves: the connections the
// lane hands over. Closing it closes the real listener.
type handoffListener struct {
	inner net.Listener
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	err   atomic.Pointer[error]
}

func newHandoffListener(inner net.Listener) *handoffListener {
	return &handoffListener{inner: inner, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *handoffListener) handOff(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.Close()
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		if err := l.err.Load(); err != nil {
			return nil, *err
		}
		return nil, net.ErrClosed
	}
}

// fail ends the listener with the real listener's error.
func (l *handoffListener) fail(err error) {
	l.err.CompareAndSwap(nil, &err)
	_ = l.Close()
}

func (l *handoffListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.inner.Close()
	})
	return err
}

func (l *handoffListener) Addr() net.Addr { return l.inner.Addr() }
