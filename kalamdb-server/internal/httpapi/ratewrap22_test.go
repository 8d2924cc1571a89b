package httpapi

import (
	"testing"
	"time"
)

// With a rate so low that a bucket's refill time is past the largest
// Duration (requests_per_second = 1e-12), the idle time converted from
// float wrapped negative, every sweep forgot every bucket, and each user
// got a fresh burst every minute. Failed before: the request after the
// sweep was allowed.
func TestRateLimiterTinyRateKeepsBuckets(t *testing.T) {
	c := &clock{now: time.Unix(1000, 0)}
	l := newUserLimiter(1e-12, 1, c.Now)
	if ok, _ := l.allow("u"); !ok {
		t.Fatal("first request refused")
	}
	if ok, _ := l.allow("u"); ok {
		t.Fatal("second request allowed")
	}
	c.Advance(2 * time.Minute)
	if ok, _ := l.allow("u"); ok {
		t.Fatal("a sweep forgot the bucket: a fresh burst")
	}
}
