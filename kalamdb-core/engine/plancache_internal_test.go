package engine

import (
	"fmt"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
)

func entry(text string, size int64) *cachedStatement {
	return &cachedStatement{key: planKey{text: text, namespace: "ns"}, size: size}
}

// TestPlanCacheEvictsLeastRecentlyUsed: the cache keeps at most its
// entries and bytes, evicting the least recently used first; an entry
// larger than the whole budget is not kept.
func TestPlanCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newPlanCache(PlanCacheOptions{Entries: 3, Bytes: 1000})
	for _, s := range []string{"a", "b", "c"} {
		c.add(entry(s, 100))
	}
	if c.get(planKey{"a", "ns"}) == nil { // a is now the most recent
		t.Fatal("a missing")
	}
	c.add(entry("d", 100)) // evicts b, the least recently used
	if c.get(planKey{"b", "ns"}) != nil {
		t.Fatal("b should have been evicted")
	}
	for _, s := range []string{"a", "c", "d"} {
		if c.get(planKey{s, "ns"}) == nil {
			t.Fatalf("%s evicted", s)
		}
	}
	// Bytes: a 700-byte entry pushes out the oldest until 1000 fit.
	c.add(entry("big", 700))
	st := c.stats()
	if st.Bytes > 1000 || st.Entries > 3 || c.get(planKey{"big", "ns"}) == nil {
		t.Fatalf("after a large entry: %+v", st)
	}
	// An entry over the budget is returned but not kept.
	huge := entry("huge", 1001)
	if got := c.add(huge); got != huge || c.get(planKey{"huge", "ns"}) != nil {
		t.Fatal("an entry over the budget was cached")
	}
	// The namespace is part of the key.
	if c.get(planKey{"big", "other"}) != nil {
		t.Fatal("found under another namespace")
	}
	// A second add of the same key returns the first entry.
	first := c.get(planKey{"big", "ns"})
	if got := c.add(entry("big", 700)); got != first {
		t.Fatal("a concurrent add replaced the cached entry")
	}
	if st := c.stats(); st.Evictions == 0 || st.Hits == 0 || st.Misses == 0 {
		t.Fatalf("counters: %+v", st)
	}
}

func TestPlanCacheDisabled(t *testing.T) {
	if c := newPlanCache(PlanCacheOptions{Entries: -1}); c != nil {
		t.Fatal("Entries < 0 should turn the cache off")
	}
	if st := (*planCache)(nil).stats(); st != (PlanCacheStats{}) {
		t.Fatalf("stats of no cache: %+v", st)
	}
}

// TestPlanCacheConcurrentUse runs gets and adds from many goroutines
// (with -race) and checks the bounds and the list's consistency after.
func TestPlanCacheConcurrentUse(t *testing.T) {
	c := newPlanCache(PlanCacheOptions{Entries: 50, Bytes: 1 << 20})
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				k := fmt.Sprint((i*7 + w) % 120)
				if c.get(planKey{k, "ns"}) == nil {
					c.add(entry(k, 1000))
				}
			}
		}(w)
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	n, bytes := 0, int64(0)
	for e := c.head.next; e != &c.head; e = e.next {
		if e.next.prev != e {
			t.Fatal("LRU list is broken")
		}
		if c.m[e.key] != e {
			t.Fatal("list and map disagree")
		}
		n++
		bytes += e.size
	}
	if n != len(c.m) || n > 50 || bytes != c.bytes {
		t.Fatalf("list %d entries %d bytes, map %d, counted %d bytes", n, bytes, len(c.m), c.bytes)
	}
}

// TestPlanCacheForgetsDroppedTables: plans compiled for a dropped table
// go at once; others stay.
func TestPlanCacheForgetsDroppedTables(t *testing.T) {
	c := newPlanCache(PlanCacheOptions{})
	dropped, kept := &catalog.Table{}, &catalog.Table{}
	a, b := c.add(entry("a", 10)), c.add(entry("b", 10))
	a.fast.Store(&fastPlan{t: dropped})
	b.fast.Store(&fastPlan{t: kept})
	c.forgetTable(dropped)
	if a.fast.Load() != nil || b.fast.Load() == nil {
		t.Fatalf("after forgetting: %v %v", a.fast.Load(), b.fast.Load())
	}
}
