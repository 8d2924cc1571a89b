package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/auth"
	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/jsonstrict"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// errTooLarge reports an incoming message over MaxMessageBytes (read and
// discarded, so the socket stays usable).
var errTooLarge = errors.New("ws: message too large")

// errNoMemory reports an incoming message whose buffer could not be
// reserved from the server's memory account (read and discarded, so the
// socket stays usable).
var errNoMemory = errors.New("ws: the server's memory bound is reached")

// hardLimitFactor: a message this many times over the limit is not even
// read through; the socket is closed with 1009.
const hardLimitFactor = 16

// hardReadLimit is a socket's read limit for messages of at most max
// bytes: hardLimitFactor × max, saturating below the int64 maximum (the
// library counts one byte more than its limit), so that a huge
// websocket.max_message_bytes means no hard limit, never a wrapped one.
func hardReadLimit(max int64) int64 {
	if max > (math.MaxInt64-1)/hardLimitFactor {
		return math.MaxInt64 - 1
	}
	return max * hardLimitFactor
}

// session is one socket. Goroutines: the handler's (authentication, then
// reading requests into a bounded queue), a server that runs only while
// requests are queued (serveQueue), a writer that runs only while the
// live connection has something to send (writeLoop, or sendInline on the
// goroutine of the commit that queued a change), and, only when the live
// side ends on its own, one that closes the socket (ended). An idle socket
// thus parks one goroutine, with a shallow stack.
type session struct {
	h *Handler
	c *websocket.Conn
	// out is the socket under c, through which a committer may write a
	// change's frame itself (sendInline); nil when it cannot.
	out     *frameConn
	sendFn  func() // s.sendInline for the live connection, made once
	remote  string
	limiter *rate.Limiter // nil: no rate limit
	// mem holds the socket's incoming messages reserved from the
	// server's memory account (the user's share once authenticated), from
	// the moment their bytes arrive until they have been served or
	// dropped: many sockets each sending the largest message at once
	// would otherwise hold MaxMessageBytes times the connections. The
	// reading goroutine reserves; the serving one gives back; it is all
	// given back when the socket's goroutines have ended.
	mem memory.Charge
	// work is the context of the requests the socket runs (queries for
	// initial data); it ends when the socket is closed.
	work     context.Context
	stopWork context.CancelFunc
	// onAuthenticated, when set, is called once the client has
	// authenticated; an error refuses the socket.
	onAuthenticated func(userID string) error
	// cookieToken is the console session's access token from the upgrade
	// request ("" when none, or when the page was of another origin).
	cookieToken string

	// wmu guards the writer's lifecycle: writing while one runs, stopped
	// once the socket is done (no writer may start after that).
	wmu     sync.Mutex
	writing bool
	stopped bool
	writers sync.WaitGroup

	// qmu guards the requests read and not yet served (see readLoop).
	qmu         sync.Mutex
	queue       []queued
	queuedBytes int64
	serving     bool // serveQueue runs
	current     bool // serveQueue is serving a request
	orphan      bool // ... whose socket is gone (counted in stats.orphaned)
	servers     sync.WaitGroup
}

func newSession(h *Handler, c *websocket.Conn, remote string) *session {
	s := &session{h: h, c: c, remote: remote}
	// Before authentication a message is the server's (the user is not
	// known yet).
	s.mem.Reset(h.opts.Memory)
	s.work, s.stopWork = context.WithCancel(context.Background())
	if h.opts.MessagesPerSecond > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(h.opts.MessagesPerSecond), h.opts.MessageBurst)
	}
	c.SetReadLimit(hardReadLimit(h.opts.MaxMessageBytes))
	return s
}

// close sends a close frame and ends the socket; the read loop then ends.
func (s *session) close(code websocket.StatusCode, reason string) {
	s.stopWork()
	_ = s.c.Close(code, reason)
}

// serve runs the socket: authentication, then requests, until it closes.
func (s *session) serve() {
	// Not cancellable: the socket's goroutines end when it closes (reads
	// fail) and when the live connection ends (Next fails), and a read
	// with a cancellable context would hold a context.AfterFunc while it
	// waits, for every idle socket.
	ctx := context.Background()
	defer s.stopWork()
	defer func() { _ = s.c.CloseNow() }()
	// serve returns only once the reader and the servers have ended
	// (readLoop waits for them), so nothing reserves or gives back after.
	defer s.mem.Release()
	p, ok := s.authenticate(ctx)
	if !ok {
		return
	}
	// From here on the user's messages count in the user's share.
	s.mem.Reset(s.h.opts.Memory.For(p.UserID))
	if s.onAuthenticated != nil {
		if err := s.onAuthenticated(p.UserID); err != nil {
			msg := "authentication failed"
			if ae, ok := apierror.As(err); ok {
				msg = ae.Message
			}
			_ = s.writeDirect(ctx, authError{Type: "auth_error", Message: msg})
			s.close(websocket.StatusPolicyViolation, reasonTooMany)
			return
		}
	}
	lc, err := s.h.live.Connect(&p.User)
	if errors.Is(err, live.ErrAccountChanged) {
		// The account was dropped, or its password or role changed,
		// between the credentials check and now.
		s.close(websocket.StatusPolicyViolation, reasonAccount)
		return
	}
	if err != nil {
		s.close(websocket.StatusGoingAway, reasonShutdown)
		return
	}
	defer lc.Close()
	if err := s.writeDirect(ctx, authSuccess{Type: "auth_success", UserID: p.UserID, Role: string(p.Role)}); err != nil {
		return
	}
	s.h.log.Debug("websocket authenticated", zap.String("connection_id", lc.ID()), zap.String("user_id", p.UserID),
		zap.String("remote", s.remote))
	// When the live side ends first (slow consumer, shutdown), close the
	// socket with the reason; the writer may be stuck in a write to a full
	// socket, so this cannot wait for it.
	endedDone := make(chan struct{})
	stopEnded := context.AfterFunc(lc.Context(), func() {
		defer close(endedDone)
		s.ended(lc)
	})
	// A socket signed in by access token ends when the token does, as
	// every request made with it would be refused from then on; without
	// this a token taken from a client buys a live feed with no end.
	if !p.ExpiresAt.IsZero() {
		expiry := time.AfterFunc(time.Until(p.ExpiresAt), func() { s.expired(lc) })
		defer expiry.Stop()
	}
	s.sendFn = func() { s.sendInline(lc) }
	lc.SetWakeup(func(w *txn.Wakes) { s.wake(lc, w) })
	s.readLoop(ctx, lc)
	// The client went away or the socket was closed: end the live side,
	// which ends a running writer, and wait for the other goroutines.
	if stopEnded() {
		close(endedDone)
	}
	lc.Close()
	s.wmu.Lock()
	s.stopped = true
	s.wmu.Unlock()
	s.writers.Wait()
	<-endedDone
}

// wake runs a writer unless one runs already. It is the live
// connection's wakeup, so it must not block. A committer's (w not nil)
// runs the writer itself once its locks are released (sendInline), unless
// it runs one for another connection already or the connection is another
// user's (whose filters must not run in this user's statement): the change
// then leaves without waiting for a goroutine to be woken.
func (s *session) wake(lc *live.Conn, w *txn.Wakes) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.writing || s.stopped {
		return
	}
	s.writing = true
	s.writers.Add(1)
	if s.out != nil && s.out.raw != nil && w.Defer(lc.UserID(), s.sendFn) {
		return
	}
	w.Woke()
	go s.writeLoop(lc, nil)
}

// ended closes the socket after the live side ended on its own.
func (s *session) ended(lc *live.Conn) {
	switch err := lc.Err(); {
	case errors.Is(err, live.ErrSlowConsumer):
		s.h.log.Warn("websocket client too slow; disconnected", zap.String("connection_id", lc.ID()),
			zap.String("user_id", lc.UserID()), zap.String("remote", s.remote))
		// Its subscriptions go at once, not after the close handshake.
		lc.Close()
		s.close(websocket.StatusPolicyViolation, reasonSlow)
	case errors.Is(err, live.ErrServerMemory):
		s.h.log.Warn("websocket send queue over the server's memory bound; disconnected", zap.String("connection_id", lc.ID()),
			zap.String("user_id", lc.UserID()), zap.String("remote", s.remote))
		lc.Close()
		// 1013 Try Again Later: the client did nothing wrong, the server
		// is short of memory.
		s.close(websocket.StatusTryAgainLater, reasonMemory)
	case errors.Is(err, live.ErrShutdown):
		s.close(websocket.StatusGoingAway, reasonShutdown)
	case errors.Is(err, live.ErrAccountChanged):
		s.h.log.Info("websocket closed: account changed", zap.String("connection_id", lc.ID()),
			zap.String("user_id", lc.UserID()))
		lc.Close()
		s.close(websocket.StatusPolicyViolation, reasonAccount)
	}
}

// expired ends a socket whose access token has expired, as an account
// change does: its subscriptions go at once, so no change is sent during
// the close handshake, and the client is told to sign in again.
func (s *session) expired(lc *live.Conn) {
	s.h.log.Info("websocket closed: access token expired", zap.String("connection_id", lc.ID()),
		zap.String("user_id", lc.UserID()))
	lc.Close()
	s.close(websocket.StatusPolicyViolation, reasonExpired)
}

// authenticate reads messages until a valid authenticate message, within
// AuthTimeout. Anything else before it gets AUTH_REQUIRED (or the error
// of a malformed frame); bad credentials get auth_error and a close.
func (s *session) authenticate(ctx context.Context) (auth.Principal, bool) {
	timer := time.AfterFunc(s.h.opts.AuthTimeout, func() { s.close(websocket.StatusPolicyViolation, reasonAuthTimeout) })
	defer timer.Stop()
	for {
		var in inbound
		// One message at a time: what the last one held is done with.
		s.mem.Release()
		e, _, err := s.readRequest(ctx, &in)
		if err != nil {
			return auth.Principal{}, false
		}
		if e == nil && in.Type != "authenticate" {
			e = apierror.New(apierror.AuthRequired, "authenticate first: send {\"type\":\"authenticate\", ...}")
		}
		if e != nil {
			if s.writeDirect(ctx, live.NewError(in.subscriptionID(), e.Code, "%s", e.Message)) != nil {
				return auth.Principal{}, false
			}
			continue
		}
		p, err := s.check(ctx, &in)
		if !timer.Stop() {
			return auth.Principal{}, false // timed out meanwhile; the socket is closing
		}
		if err != nil {
			msg := "authentication failed"
			if ae, ok := apierror.As(err); ok && ae.Code != apierror.InternalError {
				msg = ae.Message
			} else {
				s.h.log.Error("websocket authentication", zap.String("remote", s.remote), zap.Error(err))
			}
			_ = s.writeDirect(ctx, authError{Type: "auth_error", Message: msg})
			s.close(websocket.StatusPolicyViolation, reasonAuthFailed)
			return auth.Principal{}, false
		}
		return p, true
	}
}

func (s *session) check(ctx context.Context, in *inbound) (auth.Principal, error) {
	switch in.Method {
	case "jwt":
		return s.h.auth.CheckToken(in.Token, auth.AccessToken, s.remote)
	case "basic":
		// The socket's work context: a password check waiting for a bcrypt
		// slot gives up when the socket closes (the auth timeout included).
		return s.h.auth.CheckPassword(s.work, in.Username, in.Password, s.remote)
	case "cookie":
		return s.checkCookie(in.Token)
	}
	return auth.Principal{}, apierror.New(apierror.Unauthorized, "authentication method must be \"jwt\", \"basic\" or \"cookie\"")
}

// readLoop reads the authenticated client's requests until the socket
// closes, queueing them for serveQueue. It keeps reading while a request
// is served so that a client going away is noticed at once: the request in
// progress is cancelled (the socket's work context ends) and the ones it
// pipelined are dropped, never run for nobody. Every refusal is an error
// message, in the order of the requests; the socket stays usable.
func (s *session) readLoop(ctx context.Context, lc *live.Conn) {
	for {
		var in inbound
		e, size, err := s.readRequest(ctx, &in)
		if err != nil {
			s.gone()
			return
		}
		s.enqueue(lc, queued{in: in, refusal: e, size: size})
	}
}

// queued is a request read from the socket and not yet served: a
// decoded request, or the refusal of one (refusal set).
type queued struct {
	in      inbound
	refusal *apierror.Error
	// size is the bytes of the message, counted against the queue's
	// bound, and reserved in session.mem until it is served or dropped.
	size int64
}

// enqueue adds a request to the queue and starts serveQueue unless it
// runs. A queue at its bound (in requests, the one being served included,
// or in bytes beyond one message) refuses the request at once with
// RATE_LIMIT_EXCEEDED: the reader must not wait, or it would stop
// watching the socket.
func (s *session) enqueue(lc *live.Conn, q queued) {
	s.qmu.Lock()
	waiting := len(s.queue)
	if s.current {
		waiting++
	}
	if waiting > 0 && (waiting >= s.h.opts.MaxQueuedRequests || s.queuedBytes+q.size > s.h.opts.MaxMessageBytes) {
		s.qmu.Unlock()
		s.mem.Give(q.size)
		s.h.stats.queueFull.Add(1)
		lc.Send(live.NewError(q.in.subscriptionID(), apierror.RateLimitExceeded,
			"%d requests (or %d bytes of them) already wait on this connection; request ignored: wait for their answers",
			s.h.opts.MaxQueuedRequests, s.h.opts.MaxMessageBytes))
		return
	}
	s.queue = append(s.queue, q)
	s.queuedBytes += q.size
	if q.refusal == nil {
		s.h.stats.queued.Add(1)
	}
	if !s.serving {
		s.serving = true
		s.servers.Add(1)
		go s.serveQueue(lc)
	}
	s.qmu.Unlock()
}

// serveQueue serves queued requests one at a time, in order, then ends.
// It is a goroutine of its own (started again by the next request):
// compiling a query and reading initial data take a deep stack, which
// would otherwise stay with the socket while it idles.
func (s *session) serveQueue(lc *live.Conn) {
	defer s.servers.Done()
	for {
		s.qmu.Lock()
		if len(s.queue) == 0 {
			s.serving = false
			s.qmu.Unlock()
			return
		}
		q := s.queue[0]
		s.queue[0] = queued{}
		s.queue = s.queue[1:]
		s.queuedBytes -= q.size
		e := q.refusal
		if e == nil {
			s.h.stats.queued.Add(-1)
			s.h.stats.running.Add(1)
			s.current = true
		}
		s.qmu.Unlock()
		if e == nil {
			e = s.serveOne(lc, &q.in)
			s.qmu.Lock()
			s.current = false
			if s.orphan {
				s.orphan = false
				s.h.stats.orphaned.Add(-1)
			}
			s.qmu.Unlock()
			s.h.stats.running.Add(-1)
		}
		if e != nil {
			lc.Send(live.NewError(q.in.subscriptionID(), e.Code, "%s", e.Message))
		}
		s.mem.Give(q.size)
	}
}

// serveOne runs one request on the socket's work context.
func (s *session) serveOne(lc *live.Conn, in *inbound) (e *apierror.Error) {
	defer func() {
		// A bug reached while compiling a query or reading initial data
		// fails this request, not the process.
		if r := recover(); r != nil {
			s.h.log.Error("panic serving a websocket request", zap.String("connection_id", lc.ID()),
				zap.String("type", in.Type), zap.Any("panic", r), zap.Stack("stack"))
			e = apierror.New(apierror.SubscriptionFailed, "internal error")
		}
	}()
	return s.serveRequest(s.work, lc, in)
}

// gone ends the socket's requests once it can no longer be read: the one
// in progress is cancelled and counted as orphaned until it returns, the
// queued ones are dropped. It waits for serveQueue to end.
func (s *session) gone() {
	s.stopWork()
	s.qmu.Lock()
	for _, q := range s.queue {
		s.mem.Give(q.size)
		if q.refusal == nil {
			s.h.stats.queued.Add(-1)
			s.h.stats.dropped.Add(1)
		}
	}
	s.queue, s.queuedBytes = nil, 0
	if s.current {
		s.orphan = true
		s.h.stats.orphaned.Add(1)
		s.h.stats.cancelled.Add(1)
	}
	s.qmu.Unlock()
	s.servers.Wait()
}

// readRequest reads one message and decodes it into in. A refused message
// (too large, too fast, binary, malformed, or more than the server's
// memory account holds) is reported as e with the socket still usable;
// err means the socket is gone. size is what the message holds reserved
// in s.mem, for the caller to give back once it is done with it.
func (s *session) readRequest(ctx context.Context, in *inbound) (e *apierror.Error, size int64, err error) {
	typ, data, size, err := s.read(ctx)
	if err != nil && !errors.Is(err, errTooLarge) && !errors.Is(err, errNoMemory) {
		return nil, 0, err
	}
	// Every message counts against the rate, refused ones too: reading
	// them was work. The rate is checked after decoding, which is cheap,
	// so a refusal can name the subscription; serving is what it saves.
	allowed := s.limiter == nil || s.limiter.Allow()
	switch {
	case errors.Is(err, errNoMemory):
		e = apierror.New(apierror.RateLimitExceeded, "message ignored: %s", s.mem.Refusal().Message)
	case err != nil:
		e = apierror.New(apierror.MessageTooLarge, "message is larger than %d bytes", s.h.opts.MaxMessageBytes)
	case typ != websocket.MessageText:
		e = apierror.New(apierror.UnsupportedData, "binary messages are not supported; send JSON text")
	default:
		// Strict: an ambiguous message (two "token"s, "sql" and "SQL")
		// could be read as different requests by different parsers, so
		// it is refused, as is text that is not UTF-8.
		var err error
		if *in, err = decodeInbound(data); err != nil {
			e = apierror.New(apierror.Protocol, "malformed message: %s", jsonProblem(err))
		} else if in.Type == "" {
			e = apierror.New(apierror.Protocol, "message has no \"type\"")
		}
	}
	if !allowed {
		e = apierror.New(apierror.RateLimitExceeded, "more than %s messages per second on this connection; message ignored",
			strconv.FormatFloat(s.h.opts.MessagesPerSecond, 'f', -1, 64))
	}
	return e, size, nil
}

// jsonProblem describes a decoding error without echoing the input
// (beyond a character, or the name of an offending key).
func jsonProblem(err error) string {
	var syn *jsonstrict.SyntaxError
	var notObject *jsonstrict.NotObjectError
	var field *jsonstrict.FieldError
	var dup *jsonstrict.DuplicateKeyError
	switch {
	case errors.Is(err, errBadSeqID):
		return errBadSeqID.Error()
	case errors.As(err, &field), errors.As(err, &dup):
		return err.Error()
	case errors.As(err, &notObject):
		return "a message is a JSON object, not " + notObject.Kind
	case errors.Is(err, jsonstrict.ErrInvalidText) && errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d: %s (text must be UTF-8)", syn.Offset, syn.Error())
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	}
	return "invalid JSON"
}

// read reads one whole message. Its buffer is reserved in s.mem as it
// grows, before the bytes arrive in it; size is what stays reserved. A
// message over MaxMessageBytes (errTooLarge), or whose buffer the
// server's account refuses (errNoMemory), is read through and discarded,
// its reservation given back.
func (s *session) read(ctx context.Context) (typ websocket.MessageType, data []byte, size int64, err error) {
	typ, r, err := s.c.Reader(ctx)
	if err != nil {
		return 0, nil, 0, err
	}
	// A fresh buffer per message, dropped once it is decoded: requests
	// are rare, and an idle socket then holds none.
	data, size, err = readReserved(r, s.h.opts.MaxMessageBytes, &s.mem)
	if errors.Is(err, errTooLarge) || errors.Is(err, errNoMemory) {
		if _, derr := io.Copy(io.Discard, r); derr != nil {
			return 0, nil, 0, derr
		}
		return typ, nil, 0, err
	}
	if err != nil {
		return 0, nil, 0, err
	}
	return typ, data, size, nil
}

// readReserved is memory.ReadReserved into a fresh buffer, with this
// package's errors.
func readReserved(r io.Reader, limit int64, mem *memory.Charge) ([]byte, int64, error) {
	data, size, err := memory.ReadReserved(r, nil, limit, mem)
	switch {
	case errors.Is(err, memory.ErrTooLarge):
		err = errTooLarge
	case errors.Is(err, memory.ErrRefused):
		err = errNoMemory
	}
	return data, size, err
}

// serveRequest runs one authenticated request.
func (s *session) serveRequest(ctx context.Context, lc *live.Conn, in *inbound) *apierror.Error {
	var err error
	switch in.Type {
	case "subscribe":
		if in.Subscription == nil {
			return apierror.New(apierror.Protocol, "subscribe needs a \"subscription\" object with id and sql")
		}
		sub := in.Subscription
		o := live.SubscriptionOptions{}
		if sub.Options != nil {
			o = live.SubscriptionOptions{BatchSize: sub.Options.BatchSize, LastRows: sub.Options.LastRows, FromSeqID: int64(sub.Options.FromSeqID)}
		}
		err = lc.Subscribe(ctx, sub.ID, sub.SQL, o)
	case "next_batch":
		err = lc.NextBatch(ctx, in.SubscriptionID)
	case "unsubscribe":
		err = lc.Unsubscribe(in.SubscriptionID)
	case "authenticate":
		return apierror.New(apierror.Protocol, "already authenticated")
	default:
		return apierror.New(apierror.Protocol, "unknown message type %q", in.Type)
	}
	if err == nil {
		return nil
	}
	e, ok := apierror.As(err)
	if !ok || e.Code == apierror.InternalError {
		s.h.log.Error("websocket request", zap.String("connection_id", lc.ID()), zap.String("type", in.Type), zap.Error(err))
		return apierror.New(apierror.SubscriptionFailed, "internal error")
	}
	switch {
	case e.Cause != nil && cold.IsReadFailure(e.Cause):
		s.h.log.Warn("cold data unreadable", zap.String("connection_id", lc.ID()), zap.String("type", in.Type), zap.Error(err))
	case e.Cause != nil:
		s.h.log.Debug("websocket request refused", zap.String("connection_id", lc.ID()), zap.String("code", string(e.Code)), zap.Error(err))
	}
	return e
}

// writeLoop writes what the live connection has queued, then ends. A
// message queued as it decides to end finds it still running (Pending) or
// starts the next writer (wake): one writer at a time, none missed. first,
// when not nil, is a message's payload sendInline took and left to it.
func (s *session) writeLoop(lc *live.Conn, first []byte) {
	defer s.writers.Done()
	defer func() {
		// live.Conn recovers what one subscription's changes cause; this
		// is for the rest (encoding a message): the socket ends, the
		// server does not.
		if r := recover(); r != nil {
			s.h.log.Error("panic writing to a websocket", zap.String("connection_id", lc.ID()), zap.Any("panic", r),
				zap.Stack("stack"))
			s.close(websocket.StatusInternalError, "internal error")
		}
	}()
	ctx := context.Background()
	if s.out != nil {
		// What a committer's frame left over goes first, even when
		// nothing else is queued.
		if err := s.out.flush(s.h.opts.WriteTimeout); err != nil {
			_ = s.c.CloseNow()
			return
		}
		if first == nil {
			// A spilled frame's message counted until it was all written
			// (injectNext); the last message a writer took is written now.
			lc.Sent()
		}
	}
	if first != nil {
		if err := s.write(ctx, first); err != nil {
			return
		}
		lc.Sent()
	}
	for {
		m, ok, err := lc.TryNext(ctx)
		if err != nil {
			return // ended: see session.ended
		}
		if !ok {
			if s.idle(lc) {
				return
			}
			continue
		}
		// A fresh buffer per message: an idle socket keeps none.
		p, err := encode(m)
		if err != nil {
			s.encodeFailed(lc, m, err)
			return
		}
		if err := s.write(ctx, p); err != nil {
			// Gone, or not taking messages within WriteTimeout; either
			// way the socket is closed and the read loop ends too.
			return
		}
		lc.Sent()
	}
}

// idle ends the writer when nothing is queued (or the socket is done); it
// reports false when something was queued meanwhile, to be written by the
// writer still running.
func (s *session) idle(lc *live.Conn) bool {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.stopped || !lc.Pending() {
		s.writing = false
		return true
	}
	return false
}

func (s *session) encodeFailed(lc *live.Conn, m live.Message, err error) {
	s.h.log.Error("websocket encode", zap.String("connection_id", lc.ID()), zap.String("type", m.MessageType()), zap.Error(err))
	s.close(websocket.StatusInternalError, "internal error")
}

// inlineMessages bounds what a committer writes for one connection: its
// own change and what was queued behind it meanwhile.
const inlineMessages = 4

// sendInline is the writer run on a committer's goroutine once its locks
// are released (wake). It never waits: each message is offered to the
// socket once (frameConn.inject). It ends as writeLoop does when nothing
// is left, and otherwise hands the rest to a writer goroutine: after
// inlineMessages, at a frame over maxInlineFrame, at a frame the socket
// did not take whole, or when coder/websocket is writing (with the
// message it took, as writeLoop's first). Closing the
// socket (a message that cannot be encoded, a panic, a socket error) is
// handed to a goroutine too: a close handshake waits for the client, for
// seconds, and the committer's statement must not.
func (s *session) sendInline(lc *live.Conn) {
	var first []byte
	var closing func()
	handOver := true
	defer func() {
		if r := recover(); r != nil {
			s.h.log.Error("panic writing to a websocket", zap.String("connection_id", lc.ID()), zap.Any("panic", r),
				zap.Stack("stack"))
			closing = func() { s.close(websocket.StatusInternalError, "internal error") }
		}
		switch {
		case closing != nil:
			// Still the connection's writer (writing stays set): no other
			// starts while the socket closes.
			go func() {
				defer s.writers.Done()
				closing()
			}()
		case handOver:
			go s.writeLoop(lc, first)
		default:
			s.writers.Done()
		}
	}()
	for range inlineMessages {
		var step inlineStep
		step, first, closing = s.injectNext(lc)
		switch step {
		case stepSent:
			continue
		case stepDone:
			handOver = false
			return
		case stepHandOver:
			return
		}
	}
}

type inlineStep int

const (
	stepSent     inlineStep = iota // a message went out whole: go on
	stepDone                       // the writer has ended: nothing queued, the socket gone, or the live side ended
	stepHandOver                   // the rest is a writer goroutine's (with first, if set)
)

// injectNext writes the next queued message as one frame, without
// waiting (sendInline). closing, when set, closes the socket (the writer
// has ended); the caller runs it on a goroutine of its own.
//
// The message is taken and rendered (TryNext evaluates the subscription's
// WHERE, for up to the statement timeout) before the socket is held: held
// meanwhile, it would hold up coder/websocket's pong to a ping, and coder
// closes the connection when a control frame waits 5 s to be written.
func (s *session) injectNext(lc *live.Conn) (step inlineStep, first []byte, closing func()) {
	m, ok, err := lc.TryNext(context.Background())
	if err != nil {
		return stepDone, nil, nil // ended: see session.ended
	}
	if !ok {
		if s.idle(lc) {
			return stepDone, nil, nil
		}
		return stepSent, nil, nil
	}
	buf, err := encodeFrame(m)
	if err != nil {
		return stepDone, nil, func() { s.encodeFailed(lc, m, err) }
	}
	if len(buf) > maxInlineFrame || !s.out.tryBegin() {
		return stepHandOver, buf[maxFrameHeader:], nil
	}
	spilled, err := s.out.inject(textFrame(buf))
	s.out.end()
	if err != nil {
		// The socket is gone (reset, closed): end it, and the read loop
		// with it. CloseNow closes the connection without writing, but
		// waits for a close handshake under way.
		return stepDone, nil, func() { _ = s.c.CloseNow() }
	}
	if spilled {
		// Its memory stays counted until the writer goroutine has
		// written the rest (writeLoop).
		return stepHandOver, nil, nil
	}
	lc.Sent()
	return stepSent, nil, nil
}

// writeDirect writes one message from the handler goroutine (before the
// writer starts).
func (s *session) writeDirect(ctx context.Context, m any) error {
	p, err := encode(m)
	if err != nil {
		return err
	}
	return s.write(ctx, p)
}

func (s *session) write(ctx context.Context, p []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.h.opts.WriteTimeout)
	defer cancel()
	return s.c.Write(ctx, websocket.MessageText, p)
}

// appender is a message that writes its own JSON (live.ChangeMessage, the
// one written on every commit a subscriber sees), as encode would.
type appender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// encodeFrame is encode with maxFrameHeader bytes of room for a frame's
// header in front (textFrame).
func encodeFrame(m any) ([]byte, error) {
	if a, ok := m.(appender); ok {
		return a.AppendJSON(make([]byte, maxFrameHeader, maxFrameHeader+512))
	}
	p, err := encode(m)
	if err != nil {
		return nil, err
	}
	return append(make([]byte, maxFrameHeader, maxFrameHeader+len(p)), p...), nil
}

// encode returns m as JSON without a trailing newline, '<', '>' and '&'
// kept as they are (as the HTTP API does).
func encode(m any) ([]byte, error) {
	if a, ok := m.(appender); ok {
		return a.AppendJSON(nil)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes()[:buf.Len()-1], nil
}
