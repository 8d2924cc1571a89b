package live

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Reasons a connection ends (Conn.Err).
var (
	// ErrSlowConsumer: the send queue was full; the client is too slow.
	ErrSlowConsumer = errors.New("live: send queue full, the client does not keep up")
	// ErrClosed: the front end closed the connection.
	ErrClosed = errors.New("live: connection closed")
	// ErrShutdown: the manager was closed (server shutdown).
	ErrShutdown = errors.New("live: server shutting down")
	// ErrAccountChanged: the user was dropped, or their role or password
	// changed, after the connection was opened.
	ErrAccountChanged = errors.New("live: the account changed; sign in again")
	// ErrServerMemory: the send queue could not grow within the server's
	// memory account (limits.server_memory_bytes) or the user's share of
	// it (limits.user_memory_bytes); the client may reconnect and resume
	// later.
	ErrServerMemory = errors.New("live: the server's memory bound is reached; reconnect later")
)

// maxSubscriptionIDBytes bounds client-chosen subscription ids, which end
// up in live ids, logs and system.live_queries.
const maxSubscriptionIDBytes = 128

// Conn is one client connection's live queries: its subscriptions and its
// send queue. Subscribe, NextBatch and Unsubscribe are called by the
// goroutine that reads the client's requests; Next, TryNext and Pending by
// the one goroutine at a time that writes to the client. Both may run at
// once, and any goroutine may call Send, Close, Done and Err.
type Conn struct {
	m      *Manager
	id     string
	userID string
	role   systable.Role
	// account is the user's account as authenticated (nil for a
	// connection not tied to one, in tests of the core alone).
	account *account

	// ctx ends with the connection; its cause is the reason (Err).
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu     sync.Mutex
	subs   map[string]*subscription // by client subscription id
	q      fifo
	qBytes int64 // the sizes of q's items
	// mem is what q, the item being written and the changes kept aside
	// hold, reserved from the server's memory account (the user's share
	// of it); taken under mu, given back as each is done with (the
	// changes kept aside from any goroutine), and all of it given back
	// when the connection ends.
	// inFlight is the size of the item the sender took last, reserved
	// until the sender reports it written (Sent) or takes the next.
	mem      memory.Charge
	inFlight int64
	closed   bool
	wake     chan struct{} // capacity 1: "the queue may have grown"
	// wakeup, when set, is called after each item is queued (SetWakeup).
	wakeup func(w *txn.Wakes)

	// out holds messages the sender produced but Next has not returned
	// yet (a last batch brings the changes kept aside with it). Only the
	// goroutine calling Next touches it.
	out []Message
	// pendingBytes is the size of the changes kept aside for the
	// connection's loading subscriptions (each one's share is its
	// pendingBytes), bounded like the queue.
	pendingBytes atomic.Int64
}

// account identifies the credentials a connection was opened with.
type account struct {
	created time.Time
	version int64
	role    systable.Role
}

// current reports whether u is still the account a was read from: the
// same user (a user id restored onto a new account has another creation
// time), role and credential version (which every change of the password
// or role increments, catalog.AlterUser).
func (a *account) current(u *systable.User) bool {
	return u.CreatedAt.Equal(a.created) && u.Role == a.role && u.CredentialVersion == a.version
}

// ID is the connection id, the first part of its live ids.
func (c *Conn) ID() string { return c.id }

// UserID is the authenticated user the connection belongs to.
func (c *Conn) UserID() string { return c.userID }

// Context ends when the connection does: closed by the front end, cut off
// as a slow consumer, or shut down with the manager. Its cause is Err. A
// front end can react with context.AfterFunc, without a goroutine per
// connection.
func (c *Conn) Context() context.Context { return c.ctx }

// Done is Context().Done().
func (c *Conn) Done() <-chan struct{} { return c.ctx.Done() }

// Err reports why the connection ended (nil while it is open).
func (c *Conn) Err() error { return context.Cause(c.ctx) }

// Close ends the connection and removes its subscriptions. It is safe to
// call more than once.
func (c *Conn) Close() { c.end(ErrClosed) }

func (c *Conn) end(reason error) {
	c.mu.Lock()
	c.failLocked(reason)
	subs := c.subs
	c.subs = nil
	c.mu.Unlock()
	for _, s := range subs {
		c.m.removeSubscription(s)
	}
	c.m.forgetConn(c)
}

// failLocked marks the connection ended; c.mu is held.
func (c *Conn) failLocked(reason error) {
	if c.closed {
		return
	}
	c.closed = true
	c.q.drain()
	c.qBytes, c.inFlight = 0, 0
	c.mem.Release()
	c.cancel(reason)
}

// Send queues a message from the front end (an error it detected itself),
// after what is already queued. Like every queued message it counts
// against the send queue bound.
func (c *Conn) Send(m Message) { c.push(item{msg: m}, nil) }

// push appends to the send queue without ever waiting: when the queue is
// full the connection fails as a slow consumer instead. What waking the
// sender asks of a committer (a send it runs itself, or a goroutine made
// runnable) goes to w, which is nil outside a commit.
func (c *Conn) push(it item, w *txn.Wakes) { c.pushFrom(it, nil, w) }

// pushFrom is push of an entry whose it.size bytes from holds reserved
// already (a batch of initial data, reserved row by row as it was read):
// the entry takes that reservation over instead of reserving again, so
// what was reserved before the work is not refused after it. from is
// left empty when the entry is queued; otherwise its caller releases it.
func (c *Conn) pushFrom(it item, from *memory.Charge, w *txn.Wakes) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if c.q.len() >= c.m.opts.SendQueueSize || (c.qBytes > 0 && c.qBytes+it.size > c.m.opts.SendQueueBytes) {
		c.failLocked(ErrSlowConsumer)
		c.mu.Unlock()
		return
	}
	// A connection that holds little (its queue and the item being
	// written together under keepUpBytes) takes its entry even past the
	// server's account: its client keeps up, and the entry is gone again
	// once written. The clients the account cuts off are those that fall
	// behind, and what the others may force is bounded by keepUpBytes
	// each.
	switch {
	case from != nil:
		// Given back first: for a moment the bytes are counted by
		// neither, never by both, which could refuse someone else.
		from.Release()
		c.mem.Force(it.size)
	case c.qBytes+c.inFlight+it.size <= keepUpBytes:
		c.mem.Force(it.size)
	case !c.mem.Reserve(it.size):
		c.failLocked(ErrServerMemory)
		c.mu.Unlock()
		return
	}
	wasEmpty := c.q.len() == 0
	c.q.push(it)
	c.qBytes += it.size
	wakeup := c.wakeup
	c.mu.Unlock()
	if wakeup != nil {
		wakeup(w)
		return
	}
	select {
	case c.wake <- struct{}{}:
		if wasEmpty {
			w.Woke()
		}
	default:
	}
}

// keepUpBytes is what a connection may hold (queued, and being written)
// and still take a new entry past the server's memory account.
const keepUpBytes = 64 << 10

// Sent tells the connection that the sender has written what it took
// last, so its memory goes back to the server's account. A sender that
// does not call it gives it back when it takes the next item.
func (c *Conn) Sent() {
	c.mu.Lock()
	c.mem.Give(c.inFlight)
	c.inFlight = 0
	c.mu.Unlock()
}

// SetWakeup makes the connection call f after each message or change it
// queues, instead of waking a goroutine blocked in Next: a front end can
// then run its writer only while there is something to write, rather than
// keep one parked per idle connection. f may be called from any
// goroutine, including a committing writer's with partitions locked, so
// it must not block. A committer passes its txn.Wakes: f may defer its
// send to the committer (Wakes.Defer), or record that it made a goroutine
// runnable (Wakes.Woke); anyone else passes nil. Set it before the first
// request.
func (c *Conn) SetWakeup(f func(w *txn.Wakes)) {
	c.mu.Lock()
	c.wakeup = f
	c.mu.Unlock()
}

// Pending reports whether TryNext would have something to return (or an
// end to report).
func (c *Conn) Pending() bool {
	if len(c.out) > 0 {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed || c.q.len() > 0
}

// pop takes the next item, waiting for one when wait is set.
func (c *Conn) pop(ctx context.Context, wait bool) (item, bool, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return item{}, false, c.Err()
		}
		// The sender asks for an item only once it has every message of
		// the last one (next drains out first), so the last one is done
		// with, whether or not it made a message.
		c.mem.Give(c.inFlight)
		c.inFlight = 0
		if it, ok := c.q.pop(); ok {
			c.qBytes -= it.size
			c.inFlight = it.size
			c.mu.Unlock()
			return it, true, nil
		}
		c.mu.Unlock()
		if !wait {
			return item{}, false, nil
		}
		select {
		case <-c.wake:
		case <-c.ctx.Done():
		case <-ctx.Done():
			return item{}, false, ctx.Err()
		}
	}
}

// Next returns the next message to send, waiting for one. It evaluates
// subscription filters and encodes changed rows, so this work runs on the
// connection's own goroutine and not on the writer's. It returns the
// reason (Err) once the connection has ended, or ctx's error. Only one
// goroutine at a time may call Next or TryNext.
func (c *Conn) Next(ctx context.Context) (Message, error) {
	m, _, err := c.next(ctx, true)
	return m, err
}

// TryNext is Next without waiting: ok is false when nothing is queued.
func (c *Conn) TryNext(ctx context.Context) (m Message, ok bool, err error) {
	return c.next(ctx, false)
}

func (c *Conn) next(ctx context.Context, wait bool) (Message, bool, error) {
	for {
		if len(c.out) > 0 {
			m := c.out[0]
			c.out[0] = nil
			if c.out = c.out[1:]; len(c.out) == 0 {
				c.out = nil
			}
			return m, true, nil
		}
		it, ok, err := c.pop(ctx, wait)
		if err != nil || !ok {
			return nil, false, err
		}
		c.process(ctx, it)
	}
}

// process turns one queue item into zero or more messages in c.out. A
// panic while it does (a bug the subscription's WHERE or rows reach in
// the engine) ends that item's subscription, not the process: the sender
// runs outside any request, so nothing else would recover it.
func (c *Conn) process(ctx context.Context, it item) {
	defer func() {
		if r := recover(); r != nil {
			c.failInternal(it.sub, r)
		}
	}()
	s := it.sub
	if it.refresh {
		if s.removed.Load() {
			return
		}
		s.sys.dirty.Store(false) // a commit from now on queues another
		if !s.ready {
			s.sys.refreshAfterLoad = true
			return
		}
		c.refreshSystem(ctx, s)
		return
	}
	if it.msg != nil {
		if s != nil && s.removed.Load() && !it.always {
			return
		}
		c.out = append(c.out, it.msg)
		if it.lastBatch {
			// The initial data is out: the changes committed since its
			// snapshot follow, in commit order, then live ones.
			s.ready = true
			if it.after != nil && !s.removed.Load() {
				c.out = append(c.out, it.after)
			}
			if s.sys != nil && s.sys.refreshAfterLoad && !s.removed.Load() {
				s.sys.refreshAfterLoad = false
				c.refreshSystem(ctx, s)
			}
			pending := s.pending
			s.pending = nil
			c.releasePending(s)
			for _, ch := range pending {
				if s.removed.Load() {
					break
				}
				c.deliver(ctx, s, ch)
			}
		}
		return
	}
	for i := range it.changes {
		if s.removed.Load() {
			return
		}
		ch := &it.changes[i]
		if !s.ready {
			if len(s.pending) >= c.m.opts.MaxPendingChanges {
				c.endSubscription(s, NewError(s.id, apierror.SubscriptionFailed,
					"more than %d changes arrived while the initial data was loading; subscribe again (from_seq_id resumes)",
					c.m.opts.MaxPendingChanges))
				return
			}
			size := changeSize(ch)
			if held := c.pendingBytes.Load(); held > 0 && held+size > c.m.opts.SendQueueBytes {
				c.endSubscription(s, NewError(s.id, apierror.SubscriptionFailed,
					"more than %d bytes of changes arrived while the initial data was loading (send_queue_bytes); ask for the next batches sooner, or subscribe again (from_seq_id resumes)",
					c.m.opts.SendQueueBytes))
				return
			}
			if !c.reserveMemory(size) {
				c.endSubscription(s, NewError(s.id, apierror.SubscriptionFailed,
					"%s (while the initial data was loading; subscribe again later, from_seq_id resumes)", c.mem.Refusal().Message))
				return
			}
			s.pending = append(s.pending, ch)
			s.pendingBytes.Add(size)
			c.pendingBytes.Add(size)
			if s.removed.Load() {
				// Removed meanwhile: its removal may have released the
				// share before this change was added to it.
				c.releasePending(s)
			}
			continue
		}
		c.deliver(ctx, s, ch)
	}
}

// deliver renders one change for a ready subscription.
func (c *Conn) deliver(ctx context.Context, s *subscription, ch *txn.Change) {
	msg, end := s.render(ctx, ch)
	if end != nil {
		c.endSubscription(s, end)
		return
	}
	if msg != nil {
		c.out = append(c.out, msg)
		s.changes.Add(1)
		s.lastUpdate.Store(c.m.opts.Now().UnixMicro())
	}
}

// releasePending gives back s's share of the connection's pendingBytes
// (its changes kept aside were delivered or dropped). Any goroutine may
// call it, more than once.
func (c *Conn) releasePending(s *subscription) {
	if n := s.pendingBytes.Swap(0); n != 0 {
		c.pendingBytes.Add(-n)
		c.mem.Give(n)
	}
}

// newLoadCharge is an empty reservation, from the connection's account,
// for one batch of initial data while it is read (subscription.fetch).
// It is the batch's own, not the connection's (c.mem), so a connection
// ending meanwhile (which releases c.mem) cannot race with it: the batch's
// bytes go back when its reader is done, queued or not.
func (c *Conn) newLoadCharge() *memory.Charge {
	mem := new(memory.Charge)
	mem.Reset(c.mem.Account())
	return mem
}

// reserveMemory takes n bytes from the server's memory account for
// changes kept aside. A connection that has ended reserves nothing more:
// what it held was given back when it ended.
func (c *Conn) reserveMemory(n int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.closed && c.mem.Reserve(n)
}

// endSubscription removes s from the sender's side and tells the client
// why. The message goes straight to out: the sender is the one goroutine
// that orders what the client sees.
func (c *Conn) endSubscription(s *subscription, why *ErrorMessage) {
	c.m.removeSubscription(s)
	s.pending = nil
	c.out = append(c.out, why)
}

// failInternal ends s after a panic (v) on the sender and reports it; the
// client is told only that the subscription failed. A panic outside any
// subscription (a plain message) loses that message.
func (c *Conn) failInternal(s *subscription, v any) {
	err := fmt.Errorf("live: panic on the sender: %v\n%s", v, debug.Stack())
	liveID := c.id
	if s != nil && !s.removed.Load() {
		liveID = s.liveID
		c.endSubscription(s, NewError(s.id, apierror.SubscriptionFailed,
			"the subscription ended: internal error while evaluating a change"))
	}
	if report := c.m.opts.OnInternalError; report != nil {
		report(liveID, err)
	}
}

// SubscriptionOptions are the options of a subscribe request (docs/api.md).
type SubscriptionOptions struct {
	// BatchSize is the rows per initial-data batch (0: the default).
	BatchSize int `json:"batch_size,omitempty"`
	// LastRows asks for only the newest N rows as initial data.
	LastRows int `json:"last_rows,omitempty"`
	// FromSeqID resumes: only rows with a greater _seq are initial data.
	FromSeqID int64 `json:"from_seq_id,omitempty"`
}

func validateID(id string) error {
	switch {
	case id == "":
		return apierror.New(apierror.InvalidSubscriptionID, "subscription id must not be empty")
	case len(id) > maxSubscriptionIDBytes:
		return apierror.New(apierror.InvalidSubscriptionID, "subscription id is longer than %d bytes", maxSubscriptionIDBytes)
	case !utf8.ValidString(id):
		return apierror.New(apierror.InvalidSubscriptionID, "subscription id is not valid UTF-8")
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return apierror.New(apierror.InvalidSubscriptionID, "subscription id must not contain control characters")
		}
	}
	return nil
}

// Subscribe starts a subscription: it compiles the query, registers it
// for changes, reads the first batch of initial data at the registration
// snapshot and queues the subscription_ack and that batch. The error, if
// any, is an *apierror.Error with a WebSocket code of docs/api.md, for the
// front end to send as an `error` message; the connection stays usable.
func (c *Conn) Subscribe(ctx context.Context, id, sqlText string, o SubscriptionOptions) error {
	if err := validateID(id); err != nil {
		return err
	}
	if o.BatchSize < 0 || o.LastRows < 0 || o.FromSeqID < 0 {
		return apierror.New(apierror.Protocol, "subscription options must not be negative")
	}
	if err := c.checkNewID(id); err != nil {
		return err
	}
	f, err := c.m.eng.CompileFilter(ctx, c.userID, c.role, "", sqlText)
	if err != nil {
		return wireError(err)
	}
	var s *subscription
	if f.System != "" {
		s = newSystemSubscription(c, id, sqlText, o, f)
	} else if s, err = newSubscription(c, id, sqlText, o, f); err != nil {
		return err
	}
	// A subscription keeps its text and its compiled query for as long
	// as it lasts: bounded per subscription only by the message size,
	// and a user's thousand subscriptions of 1 MiB held 3.6 GB (of IN
	// lists, 21 GB), so they are the user's like what they queue.
	s.held.Reset(c.mem.Account())
	if !s.held.Reserve(int64(len(sqlText)) + f.HeldBytes()) {
		return wireError(s.held.Refusal())
	}
	if err := c.reserve(s); err != nil {
		s.held.Release()
		return err
	}
	if h := c.m.afterReserve; h != nil {
		h()
	}
	s.loadMu.Lock()
	if s.removed.Load() {
		// Ended since reserve (the connection closed, cut off as a slow
		// consumer or for its account): removeSubscription has done its
		// cleanup already, so opening now would register, record and pin
		// a snapshot for a subscription nothing would ever remove. Checked
		// under loadMu: a removal that starts after this waits for open
		// and then undoes it.
		s.loadMu.Unlock()
		return apierror.New(apierror.SubscriptionFailed, "the connection is closed")
	}
	if s.sys != nil {
		err = s.openSystem(ctx)
	} else {
		err = s.open(ctx)
	}
	s.markIdle()
	s.loadMu.Unlock()
	if err != nil {
		c.m.removeSubscription(s)
		return err
	}
	return nil
}

// checkNewID refuses a subscription id in use and a connection at its
// limit before any work is done; reserve checks again atomically.
func (c *Conn) checkNewID(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.checkNewIDLocked(id)
}

func (c *Conn) checkNewIDLocked(id string) error {
	switch {
	case c.closed:
		return apierror.New(apierror.SubscriptionFailed, "the connection is closed")
	case c.subs[id] != nil:
		return apierror.New(apierror.InvalidSubscriptionID, "subscription id %q is already in use on this connection", id)
	case len(c.subs) >= c.m.opts.MaxSubscriptionsPerConnection:
		return apierror.New(apierror.SubscriptionLimitExceeded, "a connection may hold at most %d subscriptions", c.m.opts.MaxSubscriptionsPerConnection)
	}
	return nil
}

// reserve takes the subscription's place on the connection and in the
// user's quota.
func (c *Conn) reserve(s *subscription) error {
	if err := c.m.reserveUser(c.userID); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.checkNewIDLocked(s.id); err != nil {
		c.m.releaseUser(c.userID)
		return err
	}
	c.subs[s.id] = s
	return nil
}

// subscription returns the client's subscription id on this connection.
func (c *Conn) subscription(id string) (*subscription, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.subs[id]; s != nil {
		return s, nil
	}
	return nil, apierror.New(apierror.NotFound, "no subscription %q on this connection", id)
}

// NextBatch queues the next batch of a loading subscription's initial
// data. The server continues from the last row it sent rather than from a
// client-supplied _seq: JavaScript clients cannot hold a 64-bit _seq
// exactly, and a rounded one would skip or repeat rows.
func (c *Conn) NextBatch(ctx context.Context, id string) error {
	s, err := c.subscription(id)
	if err != nil {
		return err
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	if s.removed.Load() {
		return apierror.New(apierror.NotFound, "no subscription %q on this connection", id)
	}
	if !s.loading() {
		return apierror.New(apierror.BatchFetchFailed, "the initial data of subscription %q is complete", id)
	}
	// A failed batch leaves the subscription loading: its idle time
	// starts again, as after a batch sent.
	defer s.markIdle()
	return s.sendBatch(ctx)
}

// Unsubscribe ends a subscription; nothing more is sent for it.
func (c *Conn) Unsubscribe(id string) error {
	s, err := c.subscription(id)
	if err != nil {
		return err
	}
	c.m.removeSubscription(s)
	return nil
}

// now is the manager's clock, for subscription timestamps.
func (c *Conn) now() time.Time { return c.m.opts.Now() }
