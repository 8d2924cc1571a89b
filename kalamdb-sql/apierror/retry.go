package apierror

import (
	"errors"
	"math"
	"time"
)

// RetryAfter is the Details of a RATE_LIMIT_EXCEEDED error that knows when
// a retry can succeed. HTTP front ends also send it as a Retry-After
// header.
type RetryAfter struct {
	RetryAfterMs int64 `json:"retry_after_ms"`
}

// TooManyRequests returns a RATE_LIMIT_EXCEEDED error that says to retry
// after wait (at least a millisecond).
func TooManyRequests(wait time.Duration, format string, args ...any) *Error {
	ms := max(int64(math.Ceil(float64(wait)/float64(time.Millisecond))), 1)
	return New(RateLimitExceeded, format, args...).WithDetails(RetryAfter{RetryAfterMs: ms})
}

// RetryAfterOf returns the wait of a RATE_LIMIT_EXCEEDED error made by
// TooManyRequests.
func RetryAfterOf(err error) (time.Duration, bool) {
	var e *Error
	if !errors.As(err, &e) || e.Code != RateLimitExceeded {
		return 0, false
	}
	r, ok := e.Details.(RetryAfter)
	// A wait of the largest Duration (a lock or rate with no end in
	// sight) rounds up to more milliseconds than a Duration holds: the
	// product wrapped negative, and Retry-After said -9223372036.
	if r.RetryAfterMs > math.MaxInt64/int64(time.Millisecond) {
		return math.MaxInt64, ok
	}
	return time.Duration(r.RetryAfterMs) * time.Millisecond, ok
}
