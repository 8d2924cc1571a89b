package tier

import (
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestManifestCacheAnswersOnlyForTheSameBytes: a kept list is returned
// only for the exact bytes it was decoded from (another snapshot's or a
// newer manifest misses), and the cache stays within its bound.
func TestManifestCacheAnswersOnlyForTheSameBytes(t *testing.T) {
	c := newManifestCache(1000)
	files := newestFirst([]systable.ManifestFile{{Path: "a", MaxSeq: 1}, {Path: "b", MaxSeq: 9}})
	if files[0].Path != "b" {
		t.Fatalf("not newest first: %v", files)
	}
	c.put("m1", []byte(`{"v":1}`), files)
	if got, ok := c.get("m1", []byte(`{"v":1}`)); !ok || len(got) != 2 {
		t.Fatalf("same bytes: %v %v", got, ok)
	}
	if _, ok := c.get("m1", []byte(`{"v":2}`)); ok {
		t.Fatal("other bytes answered from the cache")
	}
	if _, ok := c.get("m2", []byte(`{"v":1}`)); ok {
		t.Fatal("another manifest's entry answered")
	}
	c.put("m1", []byte(`{"v":2}`), files[:1])
	if got, ok := c.get("m1", []byte(`{"v":2}`)); !ok || len(got) != 1 {
		t.Fatalf("replaced entry: %v %v", got, ok)
	}
	for i := range 200 {
		c.put(fmt.Sprintf("p%d", i), []byte(fmt.Sprintf(`{"files":"%040d"}`, i)), files)
		if c.bytes > c.maxBytes {
			t.Fatalf("%d bytes kept, bound %d", c.bytes, c.maxBytes)
		}
	}
	var sum int64
	for _, d := range c.m {
		sum += d.cost()
	}
	if sum != c.bytes {
		t.Fatalf("charged %d, holds %d", c.bytes, sum)
	}
	c.put("huge", make([]byte, 600), files)
	if _, ok := c.get("huge", make([]byte, 600)); ok {
		t.Fatal("an entry over the bound was kept")
	}
}
