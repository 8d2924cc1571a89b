package memory

import (
	"context"
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
//
// A run's cost grows with the live heap (its marking: about 0.1 s of CPU
// for 128 MiB of small objects, 0.8 s for 512 MiB, and seconds of wall
// time on a loaded machine), and any user can cause one by giving back a
// quarter of a statement's memory. So the next run waits an interval
// from the end of the last one, and at least dutyFactor times as long as
// the last one took: runs take at most 1/dutyFactor of the time however
// large the heap, and never overlap even when one takes longer than the
// interval. Stop ends the runs with the server.
type Reclaimer struct {
	threshold int64
	every     time.Duration
	// free returns the memory (debug.FreeOSMemory); after runs f after d
	// without holding up the holder that gave its bytes back
	// (time.AfterFunc) and returns what cancels it; now is the clock.
	// Tests replace them.
	free  func()
	after func(d time.Duration, f func()) (cancel func() bool)
	now   func() time.Time

	mu sync.Mutex
	// last is when the last run ended and took how long it took;
	// pending, that a run is scheduled (or, while one runs, asked for);
	// running, closed when the run in progress ends (nil: none runs);
	// cancel stops the scheduled run; stopped, that no run starts again.
	last    time.Time
	took    time.Duration
	pending bool
	running chan struct{}
	cancel  func() bool
	stopped bool
	runs    int64
}

// dutyFactor is how many times a run's duration the next one waits at
// least: runs take at most 1/dutyFactor of the server's time.
const dutyFactor = 20

// NewReclaimer returns a Reclaimer that frees the heap's free memory in a
// goroutine of its own after a give-back of at least threshold bytes,
// runs starting at least every apart.
func NewReclaimer(threshold int64, every time.Duration) *Reclaimer {
	return &Reclaimer{threshold: threshold, every: every, free: debug.FreeOSMemory,
		after: func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }, now: time.Now}
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

// Stop cancels r's scheduled run, keeps any more from starting, and
// waits for one in progress to end (or for ctx): a stopped server leaves
// no goroutine of r's behind.
func (r *Reclaimer) Stop(ctx context.Context) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	r.stopped = true
	if r.cancel != nil && r.cancel() {
		r.pending, r.cancel = false, nil
	}
	running := r.running
	r.mu.Unlock()
	if running == nil {
		return nil
	}
	select {
	case <-running:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// gaveBack notes that n bytes went back to the account.
func (r *Reclaimer) gaveBack(n int64) {
	if r == nil || n < r.threshold {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending || r.stopped {
		return
	}
	r.pending = true
	if r.running == nil {
		r.scheduleLocked()
	}
}

// scheduleLocked schedules the next run: an interval after the last one
// ended, and at least dutyFactor times its duration.
func (r *Reclaimer) scheduleLocked() {
	var wait time.Duration
	if !r.last.IsZero() {
		wait = max(r.last.Add(max(r.every, dutyFactor*r.took)).Sub(r.now()), 0)
	}
	r.cancel = r.after(wait, r.run)
}

func (r *Reclaimer) run() {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	done := make(chan struct{})
	r.pending, r.cancel, r.running = false, nil, done
	r.runs++
	start := r.now()
	r.mu.Unlock()
	defer close(done)
	r.free()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running = nil
	r.last = r.now()
	r.took = r.last.Sub(start)
	// A give-back while this one ran asked for another.
	if r.pending && !r.stopped {
		r.scheduleLocked()
	}
}
