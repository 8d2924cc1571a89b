package apierror

import (
	"math"
	"testing"
	"time"
)

// The wait survives the round trip through whole milliseconds, and the
// largest one saturates: it rounded up past what a Duration holds and
// came back negative (a Retry-After of -9223372036 seconds). Failed
// before: -2562047h47m16.854551616s for math.MaxInt64.
func TestRetryAfterRoundTripSaturates(t *testing.T) {
	for _, c := range []struct{ wait, want time.Duration }{
		{0, time.Millisecond},
		{1500 * time.Microsecond, 2 * time.Millisecond},
		{time.Hour, time.Hour},
		{math.MaxInt64, math.MaxInt64},
		{math.MaxInt64 - time.Millisecond, 9223372036854 * time.Millisecond},
	} {
		got, ok := RetryAfterOf(TooManyRequests(c.wait, "slow down"))
		if !ok || got != c.want {
			t.Errorf("wait %v: got %v (%v), want %v", c.wait, got, ok, c.want)
		}
	}
}
