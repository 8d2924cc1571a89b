package httpapi

import (
	"container/list"
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Every connection costs a file descriptor, and a slow client can hold one
// for as long as the timeouts allow; a few hundred of them used to exhaust
// the server's descriptors, /health included. connLimiter bounds the
// connections the server holds without letting anonymous clients crowd
// out anyone:
//
//   - a connection is unauthenticated from its accept until a request on
//     it presents valid credentials (Basic, Bearer, a login, or the
//     WebSocket authenticate message);
//   - at most maxUnauth connections are unauthenticated and at most max are
//     open; a new connection that would pass either bound evicts the oldest
//     unauthenticated connection instead (preferring one with no request
//     in progress), and is refused only when every open connection is
//     authenticated.
//
// Every new connection is admitted as long as anonymous ones hold slots,
// so slow or idle anonymous clients cannot starve /health, a login or an
// authenticated client: to push a fresh connection out, an attacker must
// open maxUnauth newer ones during that connection's first request, which
// takes milliseconds. Authenticated connections are never evicted.
type connLimiter struct {
	max, maxUnauth int

	mu     sync.Mutex
	open   int
	unauth list.List // *trackedConn, oldest first

	evicted, refused prometheus.Counter
}

func newConnLimiter(max, maxUnauth int) *connLimiter {
	return &connLimiter{
		max: max, maxUnauth: min(maxUnauth, max),
		evicted: prometheus.NewCounter(prometheus.CounterOpts{Name: "kalamdb_http_connections_evicted_total",
			Help: "Unauthenticated connections closed to make room for new ones."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Name: "kalamdb_http_connections_refused_total",
			Help: "Connections refused because every open connection was authenticated."}),
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
		victim = l.victimLocked()
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
// in progress, else the oldest unauthenticated one, else nil.
func (l *connLimiter) victimLocked() *trackedConn {
	for e := l.unauth.Front(); e != nil; e = e.Next() {
		if tc := e.Value.(*trackedConn); tc.busy == 0 {
			return tc
		}
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
}

// trackedConn is an admitted connection. Its fields are guarded by its
// limiter's mu.
type trackedConn struct {
	net.Conn
	l        *connLimiter
	elem     *list.Element // in l.unauth while unauthenticated
	busy     int           // requests in progress
	released bool
	// authed is set (under mu) once the connection has authenticated, so
	// later requests on it need not take the limiter's lock to say so.
	authed atomic.Bool
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

func (tc *trackedConn) authenticated() {
	if tc.authed.Load() {
		return
	}
	tc.l.mu.Lock()
	defer tc.l.mu.Unlock()
	tc.authed.Store(true)
	if tc.elem != nil {
		tc.l.unauth.Remove(tc.elem)
		tc.elem = nil
	}
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

// MarkAuthenticated records that the connection of the request whose
// context ctx is has presented valid credentials, so the connection limit
// no longer evicts it. The WebSocket endpoint calls it after in-band
// authentication.
func MarkAuthenticated(ctx context.Context) {
	if tc := connFrom(ctx); tc != nil {
		tc.authenticated()
	}
}
