package httpapi

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// userLimiter is a token bucket per user. Buckets of users that have been
// idle long enough to be full again are dropped (a fresh bucket is
// identical), so memory is bounded by the users active in that window.
type userLimiter struct {
	limit rate.Limit
	burst int
	now   func() time.Time
	// idleAfter is how long an unused bucket takes to refill completely.
	idleAfter time.Duration

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim      *rate.Limiter
	lastUsed time.Time
}

// sweepEvery bounds how often the bucket map is scanned for idle users.
const sweepEvery = time.Minute

// newUserLimiter returns nil (no limit) when rps is 0.
func newUserLimiter(rps float64, burst int, now func() time.Time) *userLimiter {
	if rps <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = int(math.Max(1, math.Ceil(rps)))
	}
	// A bucket is idle once it has refilled. Capped in float: past the
	// largest Duration (a rate of one request in centuries) the
	// conversion wraps negative, and every sweep forgot every bucket.
	idleAfter := time.Duration(math.MaxInt64)
	if f := float64(burst)/rps*float64(time.Second) + float64(time.Second); f < float64(math.MaxInt64) {
		idleAfter = time.Duration(f)
	}
	return &userLimiter{
		limit:     rate.Limit(rps),
		burst:     burst,
		now:       now,
		idleAfter: idleAfter,
		buckets:   make(map[string]*bucket),
	}
}

// allow takes one token from user's bucket. When there is none it reports
// false and how long until there will be one (for Retry-After).
func (l *userLimiter) allow(user string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweepLocked(now)
	b, ok := l.buckets[user]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[user] = b
	}
	b.lastUsed = now
	res := b.lim.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Second
	}
	if d := res.DelayFrom(now); d > 0 {
		// Give the token back: a refused request must not use up capacity.
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

func (l *userLimiter) sweepLocked(now time.Time) {
	if now.Sub(l.lastSweep) < sweepEvery {
		return
	}
	l.lastSweep = now
	for user, b := range l.buckets {
		if now.Sub(b.lastUsed) > l.idleAfter {
			delete(l.buckets, user)
		}
	}
}

func (l *userLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
