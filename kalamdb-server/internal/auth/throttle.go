package auth

import (
	"container/list"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// ThrottleOptions bound password guessing. Failed password checks are
// counted per (user name, client), per user name and per client; once a
// count reaches its allowance, further attempts on that key are refused
// without a bcrypt for a lock that starts at Backoff and doubles with each
// further failure, up to a cap. Counts decay (they halve every HalfLife
// without failures), so a lock never lasts for good.
//
// The per-user count is deliberately loose and short-capped, and does not
// apply to a client that signed in as that user before: an attacker
// spraying one name from many addresses can slow a victim's sign-in from a
// new address by at most MaxUserBackoff, never lock them out, and not
// touch the victim's usual addresses at all.
type ThrottleOptions struct {
	// PerUserClient, PerClient and PerUser are the failures allowed
	// before the lock starts; 0 turns that count off.
	PerUserClient int
	PerClient     int
	PerUser       int
	// Backoff is the first lock; MaxBackoff caps the per-(user, client)
	// and per-client locks, MaxUserBackoff the per-user one.
	Backoff        time.Duration
	MaxBackoff     time.Duration
	MaxUserBackoff time.Duration
	// HalfLife is how long a count takes to halve without failures.
	HalfLife time.Duration
	// MaxEntries bounds each table of counts; the least recently used
	// count is forgotten when one is full.
	MaxEntries int
}

// defaultThrottleEntries bounds each table of counts when MaxEntries is 0.
const defaultThrottleEntries = 100_000

const (
	// trustedFor is how long a successful sign-in exempts that
	// (user, client) pair from the per-user count.
	trustedFor = 30 * 24 * time.Hour
	// busyWait is the Retry-After of an attempt refused because other
	// attempts on the same key were still being checked for too long.
	busyWait = time.Second
)

// outcome is how an admitted attempt ended.
type outcome int

const (
	attemptFailed    outcome = iota // wrong password
	attemptSucceeded                // right password
	attemptAbandoned                // no password was checked
)

// throttle counts failed password checks. Safe for concurrent use.
type throttle struct {
	opts ThrottleOptions

	// counted is the number of counters kept (attempts in flight or
	// failures not yet decayed), so that peek can tell without the lock
	// that nothing is throttled.
	counted atomic.Int64

	mu sync.Mutex
	// settled is closed (and replaced) whenever an attempt ends, to wake
	// attempts waiting for it.
	settled chan struct{}
	pairs   *counterTable
	users   *counterTable
	clients *counterTable
	// trusted holds the (user, client) pairs that signed in successfully;
	// a counter's locked is when that trust ends.
	trusted *counterTable
}

func newThrottle(o ThrottleOptions) *throttle {
	if o.MaxEntries <= 0 {
		o.MaxEntries = defaultThrottleEntries
	}
	return &throttle{
		opts:    o,
		settled: make(chan struct{}),
		pairs:   newCounterTable(o.MaxEntries),
		users:   newCounterTable(o.MaxEntries),
		clients: newCounterTable(o.MaxEntries),
		trusted: newCounterTable(o.MaxEntries),
	}
}

// counter is the decaying failure count of one key.
type counter struct {
	key      string
	failures float64
	at       time.Time // when failures was last brought up to date
	locked   time.Time // no attempt before this
	inflight int       // admitted attempts not done yet
	elem     *list.Element
}

// decay brings failures up to now.
func (c *counter) decay(now time.Time, halfLife time.Duration) {
	if elapsed := now.Sub(c.at); elapsed > 0 && halfLife > 0 {
		c.failures *= math.Exp2(-float64(elapsed) / float64(halfLife))
	}
	c.at = now
}

// wait is how long an attempt on c must wait, given the allowance free,
// and whether only attempts still being checked hold it up.
func (c *counter) wait(now time.Time, free int, halfLife time.Duration) (time.Duration, bool) {
	c.decay(now, halfLife)
	if now.Before(c.locked) {
		return c.locked.Sub(now), false
	}
	// Attempts being checked count as failures until they are known not
	// to be, so a burst of parallel guesses cannot run past the allowance.
	if c.inflight > 0 && c.failures+float64(c.inflight) >= float64(free) {
		return busyWait, true
	}
	return 0, false
}

// fail counts a failure and locks c once it is over its allowance.
func (c *counter) fail(now time.Time, free int, o *ThrottleOptions, maxLock time.Duration) {
	c.decay(now, o.HalfLife)
	c.failures++
	// Rounded: a count that decayed a little between two failures still
	// doubles the lock.
	over := int(math.Round(c.failures)) - free
	if over < 0 {
		return
	}
	// Compared before shifting: a Backoff over about 4 s shifted by 31
	// wraps negative, a lock already over, and the guess after it was
	// admitted at once.
	lock := maxLock
	if over < 63 && o.Backoff <= maxLock>>over {
		lock = o.Backoff << over
	}
	c.locked = now.Add(lock)
}

// idle reports whether c holds nothing worth keeping.
func (c *counter) idle(now time.Time) bool {
	return c.inflight == 0 && c.failures < 0.05 && !now.Before(c.locked)
}

// counterTable is a bounded map of counters, least recently used first.
type counterTable struct {
	max   int
	byKey map[string]*counter
	order *list.List
}

func newCounterTable(max int) *counterTable {
	return &counterTable{max: max, byKey: make(map[string]*counter), order: list.New()}
}

// get returns key's counter, creating it (and forgetting the least
// recently used idle-enough one when full), and marks it used.
func (t *counterTable) get(key string, now time.Time) *counter {
	if c, ok := t.byKey[key]; ok {
		t.order.MoveToBack(c.elem)
		return c
	}
	for e := t.order.Front(); len(t.byKey) >= t.max && e != nil; {
		next := e.Next()
		if c := e.Value.(*counter); c.inflight == 0 {
			t.remove(c)
		}
		e = next
	}
	c := &counter{key: key, at: now}
	c.elem = t.order.PushBack(c)
	t.byKey[key] = c
	return c
}

func (t *counterTable) remove(c *counter) {
	t.order.Remove(c.elem)
	delete(t.byKey, c.key)
}

// forgetIdle drops c when it holds nothing.
func (t *counterTable) forgetIdle(c *counter, now time.Time) {
	if c.idle(now) {
		t.remove(c)
	}
}

// ClientKey is the throttling identity of a remote address: the IPv4
// address, or the /64 of an IPv6 one (one host usually owns a whole /64,
// so single addresses would be free to rotate through).
func ClientKey(remoteAddr string) string {
	addr, ok := remoteIP(remoteAddr)
	if !ok {
		return remoteAddr
	}
	if addr.Is6() {
		if p, err := addr.Prefix(64); err == nil {
			return p.String()
		}
	}
	return addr.String()
}

// peek reports how long an attempt on user from remoteAddr would have to
// wait, as admit does, without reserving one. While no failure is counted
// and no attempt is being checked anywhere (the steady state) it answers
// at once, without working out the client's identity or taking the lock.
func (t *throttle) peek(user, remoteAddr string, now time.Time) (wait time.Duration, settled <-chan struct{}) {
	if t.counted.Load() == 0 {
		return 0, nil
	}
	client := ClientKey(remoteAddr)
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.waitLocked(user, client, now)
}

// admit reserves an attempt to check user's password from client, or
// returns how long to wait first. When only attempts still being checked
// hold it up, settled is closed as soon as one of them ends, for the
// caller to try again (a client sending many requests at once with a
// password not cached yet must not be refused for it). An admitted attempt
// must be ended with done. A refused one creates nothing, so a locked
// client cannot grow the tables.
func (t *throttle) admit(user, client string, now time.Time) (wait time.Duration, settled <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if wait, settled = t.waitLocked(user, client, now); wait > 0 {
		return wait, settled
	}
	t.each(user, client, now, func(tab *counterTable, c *counter, _ int, _ time.Duration) { c.inflight++ })
	t.recount()
	return 0, nil
}

// waitLocked is how long an attempt on user from client must wait, and
// settled when only attempts still being checked hold it up; t.mu is
// held.
func (t *throttle) waitLocked(user, client string, now time.Time) (wait time.Duration, settled <-chan struct{}) {
	o := &t.opts
	// The pair's key is built on the stack: this runs on every cached
	// sign-in while any count is kept.
	var buf [128]byte
	pairKey := append(append(append(buf[:0], user...), 0), client...)
	locked := false
	check := func(c *counter, free int) {
		if free <= 0 || c == nil {
			return
		}
		w, busy := c.wait(now, free, o.HalfLife)
		wait = max(wait, w)
		locked = locked || (w > 0 && !busy)
	}
	check(t.pairs.byKey[string(pairKey)], o.PerUserClient)
	check(t.clients.byKey[client], o.PerClient)
	if !t.isTrusted(pairKey, now) {
		check(t.users.byKey[user], o.PerUser)
	}
	switch {
	case locked:
		return wait, nil
	case wait > 0:
		return wait, t.settled
	}
	return 0, nil
}

// recount publishes whether any count is kept (see peek); t.mu is held.
func (t *throttle) recount() {
	t.counted.Store(int64(len(t.pairs.byKey) + len(t.clients.byKey) + len(t.users.byKey)))
}

// done ends an admitted attempt.
func (t *throttle) done(user, client string, how outcome, now time.Time) {
	o := &t.opts
	pairKey := user + "\x00" + client
	t.mu.Lock()
	defer t.mu.Unlock()
	t.each(user, client, now, func(tab *counterTable, c *counter, free int, maxLock time.Duration) {
		c.inflight = max(c.inflight-1, 0)
		switch {
		case how == attemptFailed:
			c.fail(now, free, o, maxLock)
		case how == attemptSucceeded && tab == t.pairs:
			// The right password from this client: its earlier typos
			// are forgiven. The other counts keep what they saw.
			c.failures, c.locked = 0, time.Time{}
		}
		tab.forgetIdle(c, now)
	})
	if how == attemptSucceeded {
		tc := t.trusted.get(pairKey, now)
		tc.locked = now.Add(trustedFor)
	}
	t.recount()
	close(t.settled)
	t.settled = make(chan struct{})
}

// each calls f with the enabled counters of an attempt, creating them.
func (t *throttle) each(user, client string, now time.Time, f func(*counterTable, *counter, int, time.Duration)) {
	o := &t.opts
	if o.PerUserClient > 0 {
		f(t.pairs, t.pairs.get(user+"\x00"+client, now), o.PerUserClient, o.MaxBackoff)
	}
	if o.PerClient > 0 {
		f(t.clients, t.clients.get(client, now), o.PerClient, o.MaxBackoff)
	}
	if o.PerUser > 0 {
		f(t.users, t.users.get(user, now), o.PerUser, o.MaxUserBackoff)
	}
}

// isTrusted reports whether the pair signed in successfully within
// trustedFor (the trusted table's counters use locked as "trusted until").
func (t *throttle) isTrusted(pairKey []byte, now time.Time) bool {
	c := t.trusted.byKey[string(pairKey)]
	if c == nil {
		return false
	}
	if !now.Before(c.locked) {
		t.trusted.remove(c)
		return false
	}
	return true
}
