package httpapi

import (
	"container/list"
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Every connection costs a file descriptor, and a slow client can hold one
// for as long as the timeouts allow; a few hundred of them used to exhaust
// the server's descriptors, /health included. connLimiter bounds the
// connections the server holds without letting anonymous clients, or one
// user, crowd out anyone:
//
//   - a connection is unauthenticated from its accept until a request on
//     it presents valid credentials (Basic, Bearer, a login, or the
//     WebSocket authenticate message); from then on it belongs to the user
//     who last authenticated on it;
//   - at most maxUnauth connections are unauthenticated and at most max are
//     open; a new connection that would pass either bound closes another
//     instead: the oldest unauthenticated one with no request in progress,
//     else (for max) the authenticated keep-alive connection idle the
//     longest, else the oldest unauthenticated one; it is refused only when
//     every open connection is authenticated and busy (a request in
//     progress, or a WebSocket);
//   - one user holds at most maxPerUser authenticated connections (0: no
//     bound); a request that would authenticate another one is refused
//     (RATE_LIMIT_EXCEEDED) and its connection closed.
//
// Every new connection is admitted as long as anonymous or idle ones hold
// slots, so slow or idle clients cannot starve /health, a login or
// another user: to push a fresh connection out, an attacker must open
// maxUnauth newer ones during that connection's first request, which takes
// milliseconds. An idle keep-alive connection closed to make room costs
// its client a reconnect. What is never closed for another is a
// connection with a request in progress; one user can hold at most
// maxPerUser of those.
type connLimiter struct {
	max, maxUnauth, maxPerUser int

	mu      sync.Mutex
	open    int
	unauth  list.List // *trackedConn, oldest first
	idle    list.List // authenticated *trackedConn between requests, idle longest first
	perUser map[string]int

	evicted, refused prometheus.Counter
}

func newConnLimiter(max, maxUnauth, maxPerUser int) *connLimiter {
	return &connLimiter{
		max: max, maxUnauth: min(maxUnauth, max), maxPerUser: maxPerUser, perUser: make(map[string]int),
		evicted: prometheus.NewCounter(prometheus.CounterOpts{Name: "kalamdb_http_connections_evicted_total",
			Help: "Unauthenticated or idle connections closed to make room for new ones."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Name: "kalamdb_http_connections_refused_total",
			Help: "Connections refused because every open connection was authenticated and busy."}),
	}
}

// register adds the limiter's metrics to reg.
func (l *connLimiter) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{
		l.evicted, l.refused,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kalamdb_http_connections", Help: "Open HTTP connections."},
			func() float64 { o, _ := l.counts(); return float64(o) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kalamdb_http_unauthenticated_connections",
			Help: "Open HTTP connections that have not presented valid credentials."},
			func() float64 { _, u := l.counts(); return float64(u) }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (l *connLimiter) counts() (open, unauth int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open, l.unauth.Len()
}

// listen wraps ln so that every accepted connection is admitted by l.
func (l *connLimiter) listen(ln net.Listener) net.Listener {
	return &limitedListener{Listener: ln, l: l}
}

type limitedListener struct {
	net.Listener
	l *connLimiter
}

func (ln *limitedListener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if tc := ln.l.admit(c); tc != nil {
			return tc, nil
		}
	}
}

// admit tracks a new connection, evicting an unauthenticated one when a
// bound is reached; nil (and c closed) when there is no room at all.
func (l *connLimiter) admit(c net.Conn) *trackedConn {
	tc := &trackedConn{Conn: c, l: l}
	var victim *trackedConn
	l.mu.Lock()
	if l.open >= l.max || l.unauth.Len() >= l.maxUnauth {
		victim = l.victimLocked(l.open >= l.max)
		if victim == nil {
			l.mu.Unlock()
			l.refused.Inc()
			_ = c.Close()
			return nil
		}
		l.releaseLocked(victim)
	}
	l.open++
	tc.elem = l.unauth.PushBack(tc)
	l.mu.Unlock()
	if victim != nil {
		l.evicted.Inc()
		_ = victim.Conn.Close()
	}
	return tc
}

// victimLocked picks the oldest unauthenticated connection with no request
// in progress, else (when the whole server is full, orIdle) the
// authenticated connection idle the longest, else the oldest
// unauthenticated one, else nil.
func (l *connLimiter) victimLocked(orIdle bool) *trackedConn {
	for e := l.unauth.Front(); e != nil; e = e.Next() {
		if tc := e.Value.(*trackedConn); tc.busy == 0 {
			return tc
		}
	}
	if e := l.idle.Front(); orIdle && e != nil {
		return e.Value.(*trackedConn)
	}
	if e := l.unauth.Front(); e != nil {
		return e.Value.(*trackedConn)
	}
	return nil
}

// releaseLocked forgets tc (closed, or evicted).
func (l *connLimiter) releaseLocked(tc *trackedConn) {
	if tc.released {
		return
	}
	tc.released = true
	l.open--
	if tc.elem != nil {
		l.unauth.Remove(tc.elem)
		tc.elem = nil
	}
	l.setIdleLocked(tc, false)
	l.disownLocked(tc)
}

// disownLocked takes tc off its user's count.
func (l *connLimiter) disownLocked(tc *trackedConn) {
	if tc.user == "" {
		return
	}
	if l.perUser[tc.user]--; l.perUser[tc.user] <= 0 {
		delete(l.perUser, tc.user)
	}
	tc.user = ""
	tc.owner.Store(nil)
}

// setIdleLocked puts an authenticated connection on the idle list (at
// the back: idle the shortest) or takes it off.
func (l *connLimiter) setIdleLocked(tc *trackedConn, idle bool) {
	switch {
	case idle && tc.idleElem == nil && tc.user != "" && !tc.released:
		tc.idleElem = l.idle.PushBack(tc)
	case !idle && tc.idleElem != nil:
		l.idle.Remove(tc.idleElem)
		tc.idleElem = nil
	}
}

// state follows net/http's view of a connection (http.Server.ConnState):
// between requests a keep-alive connection is idle; reading a request
// makes it active; a hijacked one (a WebSocket) is never idle.
func (l *connLimiter) state(tc *trackedConn, st http.ConnState) {
	if tc.owner.Load() == nil {
		// Only authenticated connections are ever closed for being idle,
		// and a connection authenticates during a request (not idle):
		// anonymous ones need no lock here.
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tc.idle = st == http.StateIdle
	l.setIdleLocked(tc, tc.idle)
}

// userConns is the number of connections user holds (for tests).
func (l *connLimiter) userConns(user string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.perUser[user]
}

// trackedConn is an admitted connection. Its fields are guarded by its
// limiter's mu.
type trackedConn struct {
	net.Conn
	l        *connLimiter
	elem     *list.Element // in l.unauth while unauthenticated
	idleElem *list.Element // in l.idle while authenticated and idle
	busy     int           // requests in progress
	idle     bool          // between requests (http.StateIdle)
	released bool
	// user is the user the connection counts for, "" while anonymous;
	// owner is the same (set under mu), so later requests of that user
	// on it need not take the limiter's lock to say so.
	user  string
	owner atomic.Pointer[string]
}

// SyscallConn is the socket's, for writes that must not wait (the
// WebSocket frames a committer writes itself). The server speaks plain
// HTTP, so the socket carries the stream as written: no TLS layer sits in
// between.
func (tc *trackedConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := tc.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

func (tc *trackedConn) Close() error {
	tc.l.mu.Lock()
	tc.l.releaseLocked(tc)
	tc.l.mu.Unlock()
	return tc.Conn.Close()
}

// CloseWrite lets net/http half-close the connection as it would a bare
// TCP connection.
func (tc *trackedConn) CloseWrite() error {
	if cw, ok := tc.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("httpapi: connection cannot half-close")
}

// authenticated records that user presented valid credentials on tc,
// which from now on counts for that user; it refuses when the user holds
// maxPerUser connections already (tc then stays as it was).
func (tc *trackedConn) authenticated(user string) error {
	if p := tc.owner.Load(); p != nil && *p == user {
		return nil
	}
	l := tc.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if tc.user == user {
		return nil
	}
	if n := l.perUser[user]; l.maxPerUser > 0 && n >= l.maxPerUser {
		return apierror.TooManyRequests(time.Second,
			"this user has %d open connections, the most one user may hold (server.max_connections_per_user); reuse or close some",
			n)
	}
	if tc.released {
		return nil // closed meanwhile: nothing to count
	}
	l.disownLocked(tc)
	tc.user = user
	// A copy to point at: storing &user moved the parameter to the heap
	// on entry, an allocation of every request, not only this one.
	owner := user
	tc.owner.Store(&owner)
	l.perUser[user]++
	if tc.elem != nil {
		l.unauth.Remove(tc.elem)
		tc.elem = nil
	}
	l.setIdleLocked(tc, tc.idle)
	return nil
}

func (tc *trackedConn) begin() {
	tc.l.mu.Lock()
	tc.busy++
	tc.l.mu.Unlock()
}

func (tc *trackedConn) end() {
	tc.l.mu.Lock()
	tc.busy--
	tc.l.mu.Unlock()
}

type connKey struct{}

// connFrom is the tracked connection a request came on, or nil (tests
// serving through httptest).
func connFrom(ctx context.Context) *trackedConn {
	tc, _ := ctx.Value(connKey{}).(*trackedConn)
	return tc
}

// MarkAuthenticated records that userID presented valid credentials on
// the connection of the request whose context ctx is: it is no longer
// anonymous, and counts for that user. It fails with RATE_LIMIT_EXCEEDED
// when the user holds the most connections one user may; the caller
// answers that and closes the connection. The WebSocket endpoint calls it
// after in-band authentication.
func MarkAuthenticated(ctx context.Context, userID string) error {
	if tc := connFrom(ctx); tc != nil {
		return tc.authenticated(userID)
	}
	return nil
}
