package auth

import (
	"testing"
	"time"
)

// The lock doubles with each failure over the allowance up to its cap,
// and never wraps: with a Backoff of 10 s, 10 s << 30 overflowed to a
// negative lock (already over), so that failure locked nothing. Failed
// before at 30 failures over.
func TestLockDoublingSaturatesAtTheCap(t *testing.T) {
	const free = 3
	o := &ThrottleOptions{Backoff: 10 * time.Second, HalfLife: time.Hour}
	maxLock := 24 * time.Hour
	now := time.Now()
	for over := 0; over < 70; over++ {
		c := &counter{at: now, failures: float64(free + over - 1)}
		c.fail(now, free, o, maxLock)
		want := maxLock
		if over < 14 { // 10 s << 13 is under a day, << 14 over
			want = o.Backoff << over
		}
		if got := c.locked.Sub(now); got != want {
			t.Fatalf("%d failures over the allowance: locked for %v, want %v", over, got, want)
		}
	}
}

// A wait near the largest Duration (auth.login_max_backoff = "2562047h")
// wrapped negative when rounded up, and the message said "retry in 1s".
func TestRoundUpNeverWraps(t *testing.T) {
	for _, c := range []struct{ d, want time.Duration }{
		{0, time.Second},
		{time.Millisecond, time.Second},
		{time.Second, time.Second},
		{1500 * time.Millisecond, 2 * time.Second},
		{maxDuration, maxDuration.Truncate(time.Second)},
		{maxDuration - time.Second, maxDuration.Truncate(time.Second)},
	} {
		if got := roundUp(c.d); got != c.want {
			t.Errorf("roundUp(%v) = %v, want %v", c.d, got, c.want)
		}
	}
}
