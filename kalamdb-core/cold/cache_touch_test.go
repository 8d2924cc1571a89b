package cold

import (
	"context"
	"sync/atomic"
	"testing"
)

// A hit on an entry that went to the front recently leaves the list as it
// is (no write to other entries); a hit on an older one moves it to the
// front; and either way the entry used survives the loads of the next
// three quarters of the shard's entries.
func TestCacheHitOnARecentEntryDoesNotMoveIt(t *testing.T) {
	const n = 100
	c := newTestCache(t, 4<<20) // one shard
	if len(c.shards) != 1 {
		t.Fatalf("%d shards", len(c.shards))
	}
	s := &c.shards[0]
	rec := c.open(fileIdentity{storage: "s", path: "a"})
	var calls atomic.Int64
	get := func(p int) {
		t.Helper()
		if v, err := c.getOrLoad(context.Background(), rec, pageKey(rec, p), load(&calls, p, 100)); err != nil || v != p {
			t.Fatalf("page %d: %v, %v", p, v, err)
		}
	}
	for p := range n {
		get(p)
	}
	front := func() int { return s.head.next.val.(int) }
	if front() != n-1 {
		t.Fatalf("front %d after loading 0..%d", front(), n-1)
	}
	// Page 90 went to the front 9 moves ago, fewer than n/4: it stays.
	get(90)
	if front() != n-1 {
		t.Fatalf("a hit on page 90 moved it to the front")
	}
	// Page 10 went there 89 moves ago: it moves.
	get(10)
	if front() != 10 {
		t.Fatalf("a hit on page 10 left it at its place (front %d)", front())
	}
	if c.Stats().Hits != 2 {
		t.Fatalf("hits: %+v", c.Stats())
	}

	// Loads that each evict one entry: the 3n/4-1 that follow keep the
	// two pages used above, whatever their place.
	budget := s.bytes
	s.budget = budget
	for p := n; p < n+3*n/4-1; p++ {
		get(p)
	}
	for _, p := range []int{90, 10} {
		if _, ok := c.get(pageKey(rec, p)); !ok {
			t.Fatalf("page %d, used recently, was evicted", p)
		}
	}
	if _, ok := c.get(pageKey(rec, 0)); ok {
		t.Fatal("page 0, the least recently used, was kept")
	}
}
