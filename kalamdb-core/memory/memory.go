// Package memory owns the server-wide account of the memory that requests
// hold while they run: the bytes statements keep (sort buffers, hash
// tables, aggregate state, pending writes), the rows of results waiting to
// be answered, and the encoded answers on their way out; on WebSockets,
// incoming messages, initial-data batches and send queues.
//
// Every statement has its own bound (limits.statement_memory_bytes,
// limits.max_result_bytes), but bounds per statement multiply with the
// connections a server accepts: 256 connections of one user, each asking
// for a 64 MiB answer it never reads, would hold 32 GiB. The Account adds
// every holder's bytes together and refuses a reservation that would take
// the total past its limit, so the server as a whole stays within it.
//
// Invariants:
//   - An Account's total is the sum of its open Charges' totals; a Charge
//     gives back exactly what it reserved, once (Release), so the total
//     returns to zero when the server is idle.
//   - A refused reservation changes nothing: neither the Account nor the
//     Charge keeps any part of it.
//   - The total passes the limit only by what holders Force, and then
//     refuses every reservation until it is back under.
//   - The total is checked when memory is reserved, before the holder takes
//     it; bytes a holder takes and drops within a row are not reserved (the
//     per-statement bounds and time limits cover them).
//   - A user's share (users.go) is an Account whose parent is the server's:
//     a reservation is taken from both or from neither, so the server's
//     total is always the sum of what every user's share holds.
//
// The server's account also returns the heap's free memory to the system
// after a large give-back (Reclaimer, reclaim.go): the bytes the account
// counts are live, and the heap they leave behind is not.
package memory

import (
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Account is a total of reserved bytes within a limit: the server's, or
// one user's share of it. It is safe for concurrent use. A nil *Account
// has no limit and keeps no total.
type Account struct {
	limit    int64
	used     atomic.Int64
	refusals atomic.Int64
	// parent is the server's account of a user's share (nil: this is the
	// server's).
	parent *Account
	// users are the server account's per-user shares (nil: none).
	users *Users
	// user is whose share this is ("" for the server's account).
	user string
	// reclaimer returns the heap's free memory after large give-backs
	// (the server's account only; nil: never).
	reclaimer *Reclaimer
}

// NewAccount returns an Account that refuses reservations past limit bytes
// (limit <= 0: no limit, the total is still kept).
func NewAccount(limit int64) *Account {
	if limit <= 0 {
		limit = math.MaxInt64
	}
	return &Account{limit: limit}
}

// Limit is the most the account lets its holders reserve at once.
func (a *Account) Limit() int64 {
	if a == nil {
		return math.MaxInt64
	}
	return a.limit
}

// Used is the total reserved now.
func (a *Account) Used() int64 {
	if a == nil {
		return 0
	}
	return a.used.Load()
}

// Refusals counts the reservations refused since the account was made.
func (a *Account) Refusals() int64 {
	if a == nil {
		return 0
	}
	return a.refusals.Load()
}

// reserve adds n (> 0) bytes to a and its parent unless either total
// would pass its limit; then it returns the account that refused, having
// reserved nothing.
func (a *Account) reserve(n int64) (refused *Account) {
	if a == nil {
		return nil
	}
	// A compare-and-swap loop, not an add that is undone: a total that
	// passed the limit even for a moment would refuse other holders'
	// reservations that fit.
	for {
		used := a.used.Load()
		if used > a.limit || n > a.limit-used {
			a.root().refusals.Add(1)
			return a
		}
		if a.used.CompareAndSwap(used, used+n) {
			break
		}
	}
	if by := a.parent.reserve(n); by != nil {
		a.used.Add(-n)
		return by
	}
	return nil
}

func (a *Account) release(n int64) {
	if a != nil && n > 0 {
		a.used.Add(-n)
		if a.parent == nil {
			a.reclaimer.gaveBack(n)
			return
		}
		a.parent.release(n)
	}
}

func (a *Account) force(n int64) {
	if a != nil {
		a.used.Add(n)
		a.parent.force(n)
	}
}

// root is the server's account that a belongs to.
func (a *Account) root() *Account {
	for a != nil && a.parent != nil {
		a = a.parent
	}
	return a
}

// Charge is one holder's share of an Account: a request's, or a
// statement's. Its bytes go back to the account together, by Release. The
// zero Charge (or one of a nil Account) reserves nothing and refuses
// nothing. A Charge may be reserved from several goroutines at once (the
// engine evaluates some expressions concurrently); Reset and Release must
// not race with Reserve.
type Charge struct {
	acct *Account
	held atomic.Int64
	// refusedBy is the account that refused c's last refused reservation
	// (its limit is the one to name).
	refusedBy atomic.Pointer[Account]
}

// Reset makes c an empty charge of a (nil: none). Anything c still held
// goes back to its account first: a holder that is recycled (a pooled
// session) must never keep bytes out of the account for good, or the
// server would refuse more and more until it refused everything.
func (c *Charge) Reset(a *Account) {
	c.Release()
	c.acct = a
}

// Reserve takes n more bytes from the account for c. It reports false,
// having reserved nothing, when the account's total would pass its limit.
func (c *Charge) Reserve(n int64) bool {
	if c == nil || c.acct == nil || n <= 0 {
		return true
	}
	if by := c.acct.reserve(n); by != nil {
		c.refusedBy.Store(by)
		return false
	}
	c.held.Add(n)
	return true
}

// Refusal is the error of c's last refused reservation: the server's
// bound, or the user's share of it.
func (c *Charge) Refusal() *apierror.Error {
	if by := c.refusedBy.Load(); by != nil {
		return by.Refusal()
	}
	return c.Account().root().Refusal()
}

// Force takes n more bytes for c even past the account's limit, for what
// must not be refused: an answer whose statements have committed, or the
// next entry of a WebSocket that keeps up (refusing it would punish the
// one holder that is not the cause). Until the total is back under the
// limit, every Reserve is refused.
func (c *Charge) Force(n int64) {
	if c == nil || c.acct == nil || n <= 0 {
		return
	}
	c.acct.force(n)
	c.held.Add(n)
}

// Give returns n of c's bytes to the account before the rest (memory a
// holder dropped early), at most what c holds.
func (c *Charge) Give(n int64) {
	if c == nil || c.acct == nil || n <= 0 {
		return
	}
	for {
		held := c.held.Load()
		m := min(n, held)
		if m <= 0 {
			return
		}
		if c.held.CompareAndSwap(held, held-m) {
			c.acct.release(m)
			return
		}
	}
}

// Held is what c holds now.
func (c *Charge) Held() int64 {
	if c == nil {
		return 0
	}
	return c.held.Load()
}

// Release gives everything c holds back to the account; c stays usable and
// empty.
func (c *Charge) Release() {
	if c == nil || c.acct == nil {
		return
	}
	c.acct.release(c.held.Swap(0))
}

// Account is the account c reserves from (nil: none).
func (c *Charge) Account() *Account {
	if c == nil {
		return nil
	}
	return c.acct
}

// RefusalRetry is how long a client refused for the server's memory is
// told to wait: what holds the memory is other requests' statements and
// answers, which end within their time limits.
const RefusalRetry = time.Second

// Refusal is the error of a reservation that a refused. Other holders
// hold the memory, so a retry later can succeed: it answers like the
// server's other shared bounds, RATE_LIMIT_EXCEEDED with a wait, and it
// names the setting.
func (a *Account) Refusal() *apierror.Error {
	if a != nil && a.parent != nil {
		return apierror.TooManyRequests(RefusalRetry,
			"your running statements and unanswered requests have reached your share of the server's memory, %s (limits.user_memory_bytes); retry once they have answered",
			ByteCount(a.Limit()))
	}
	return apierror.TooManyRequests(RefusalRetry,
		"the server's running statements and unanswered requests have reached its memory limit, %s (limits.server_memory_bytes); retry shortly",
		ByteCount(a.Limit()))
}

// ByteCount formats a size for messages to clients: in GiB, MiB or KiB
// when it is a whole number of them.
func ByteCount(n int64) string {
	const unit = 1024
	switch {
	case n == math.MaxInt64:
		return "no limit"
	case n >= unit*unit*unit && n%(unit*unit*unit) == 0:
		return strconv.FormatInt(n/(unit*unit*unit), 10) + " GiB"
	case n >= unit*unit && n%(unit*unit) == 0:
		return strconv.FormatInt(n/(unit*unit), 10) + " MiB"
	case n >= unit && n%unit == 0:
		return strconv.FormatInt(n/unit, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
