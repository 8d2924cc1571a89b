package memory

import (
	"runtime/debug"
	"sync"
	"time"
)

// A statement that held hundreds of megabytes leaves the Go heap that
// large once it ends: the runtime gives freed memory back to the system
// only as a collection lowers its goal and its scavenger catches up, at
// about 1% of a CPU. Six concurrent statements of one user, each failing
// at a 256 MiB limit, left the server at 3 GB resident for minutes, and
// a user could do it again as soon as their statements ended. A Reclaimer
// returns the freed memory once such a holder gives its bytes back.
//
// Returning memory costs a full collection (the live heap's marking, a
// few milliseconds per hundred megabytes, concurrent with the server's
// other goroutines) and page faults when the heap grows again, so it
// happens only after a large give-back, and runs start at least an
// interval apart: a give-back within the interval of the last run
// schedules one more run at its end (the statements of a burst end
// together, and the first one's run comes before the others have given
// their memory back), and further give-backs until then join it. A user
// who repeats large statements makes the server collect once per
// interval, not once per statement.

// Reclaimer returns the heap's free memory to the system after an
// account's holders give back at least its threshold at once.
type Reclaimer struct {
	threshold int64
	every     time.Duration
	// free returns the memory (debug.FreeOSMemory); after runs f after d
	// without holding up the holder that gave its bytes back
	// (time.AfterFunc); now is the clock. Tests replace them.
	free  func()
	after func(d time.Duration, f func())
	now   func() time.Time

	mu sync.Mutex
	// last is when the last run started; pending, that a run is
	// scheduled and has not started.
	last    time.Time
	pending bool
	runs    int64
}

// NewReclaimer returns a Reclaimer that frees the heap's free memory in a
// goroutine of its own after a give-back of at least threshold bytes,
// runs starting at least every apart.
func NewReclaimer(threshold int64, every time.Duration) *Reclaimer {
	return &Reclaimer{threshold: threshold, every: every, free: debug.FreeOSMemory,
		after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }, now: time.Now}
}

// SetReclaimer makes a (the server's account) reclaim memory with r after
// large give-backs; nil: never.
func (a *Account) SetReclaimer(r *Reclaimer) {
	a.reclaimer = r
}

// Runs is how many times r has returned memory (started to).
func (r *Reclaimer) Runs() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.runs
}

// gaveBack notes that n bytes went back to the account.
func (r *Reclaimer) gaveBack(n int64) {
	if r == nil || n < r.threshold {
		return
	}
	r.mu.Lock()
	if r.pending {
		r.mu.Unlock()
		return
	}
	r.pending = true
	var wait time.Duration
	if !r.last.IsZero() {
		wait = max(r.last.Add(r.every).Sub(r.now()), 0)
	}
	r.mu.Unlock()
	r.after(wait, r.run)
}

func (r *Reclaimer) run() {
	r.mu.Lock()
	r.pending, r.last = false, r.now()
	r.runs++
	r.mu.Unlock()
	r.free()
}
