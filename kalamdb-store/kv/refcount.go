package kv

import (
	"sync/atomic"
	"time"
)

// liveness tracks the users of a C object (DB or column family) so that it
// is freed only after every user is done. acquire fails once close has begun.
type liveness struct {
	refs   atomic.Int64
	closed atomic.Bool
}

// acquire takes a reference, or reports false when the object is closing.
func (l *liveness) acquire() bool {
	l.refs.Add(1)
	if l.closed.Load() {
		l.refs.Add(-1)
		return false
	}
	return true
}

func (l *liveness) release() { l.refs.Add(-1) }

// reopen calls a close off: the closer, after closeAndDrain, finds it
// cannot free the object after all (a failed column family drop), and
// users may acquire it again.
func (l *liveness) reopen() { l.closed.Store(false) }

// closeAndDrain marks the object closed and waits until every reference
// taken before that moment is released. It reports false if the object was
// already closed by someone else.
//
// The wait polls: closes are rare (shutdown, DROP TABLE cleanup) while
// acquire/release are on every read and write, and polling keeps those two a
// single atomic add each.
func (l *liveness) closeAndDrain() bool {
	if !l.closed.CompareAndSwap(false, true) {
		return false
	}
	for l.refs.Load() != 0 {
		time.Sleep(100 * time.Microsecond)
	}
	return true
}
