package config

import (
	"math"
	"testing"
)

// Cache bounds as large as int64 holds ("as much as it wants") were
// summed unchecked: two of them wrapped to about plan_bytes, and the
// derived heap limit left the caches next to nothing, so the collector
// ran without pause as they filled. Failed before: 2432696318 bytes.
func TestHeapLimitWithHugeCaches(t *testing.T) {
	c := Default()
	c.Limits.ServerMemoryBytes = 1 << 30
	c.Cache.ColdBytes, c.Cache.RowBytes = math.MaxInt64, math.MaxInt64
	want := max(availableMemory()/4*3, 1<<30)
	if got, set := c.HeapLimit(""); !set || got != want {
		t.Errorf("cold_bytes = row_bytes = MaxInt64: %d (set %v), want %d", got, set, want)
	}
}
