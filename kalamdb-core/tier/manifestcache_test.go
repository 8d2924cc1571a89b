package tier

import (
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
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

// TestManifestCacheLatestAnswersOnlyForItsTableAndEpoch: an entry kept as
// the latest manifest answers only for the table version it was read for
// and at the epoch read before it, a partition without a manifest
// included; an entry of a snapshot's read never answers as the latest,
// nor does a "no manifest" entry answer a snapshot's read.
func TestManifestCacheLatestAnswersOnlyForItsTableAndEpoch(t *testing.T) {
	c := newManifestCache(1 << 20)
	t1, t2 := &catalog.Table{}, &catalog.Table{}
	files := newestFirst([]systable.ManifestFile{{Path: "a", MaxSeq: 1}})
	c.putLatest("m1", t1, 7, []byte(`{"v":1}`), files, false, settledAt{}, 0)
	if got, ok := c.latest("m1", t1, 7); !ok || len(got) != 1 {
		t.Fatalf("same table and epoch: %v %v", got, ok)
	}
	if _, ok := c.latest("m1", t1, 8); ok {
		t.Fatal("answered after the epoch moved")
	}
	if _, ok := c.latest("m1", t2, 7); ok {
		t.Fatal("answered for another version of the table")
	}
	if got, ok := c.get("m1", []byte(`{"v":1}`)); !ok || len(got) != 1 {
		t.Fatalf("a latest entry answers a snapshot's read of the same bytes: %v %v", got, ok)
	}
	c.put("m3", []byte(`{"v":1}`), files)
	if _, ok := c.latest("m3", t1, 7); ok {
		t.Fatal("a snapshot's entry answered as the latest")
	}
	c.putLatest("m2", t1, 7, nil, nil, false, settledAt{}, 0)
	if got, ok := c.latest("m2", t1, 7); !ok || got != nil {
		t.Fatalf("no manifest: %v %v", got, ok)
	}
	if _, ok := c.get("m2", nil); ok {
		t.Fatal("a \"no manifest\" entry answered a snapshot's read")
	}
	// Entries of partitions without a manifest are bounded too.
	small := newManifestCache(10 * entryOverhead)
	for i := range 100 {
		small.putLatest(fmt.Sprintf("p%d", i), t1, 1, nil, nil, false, settledAt{}, 0)
	}
	if len(small.m) > 10 {
		t.Fatalf("%d entries kept, bound 10", len(small.m))
	}
}

// stripesAt returns two fresh stripes and where they stand.
func stripesAt() settledAt {
	return settledAt{table: new(manifestStripe), partition: new(manifestStripe)}
}

// A settled entry answers a snapshot's read for its table, from its
// sequence number on, while neither of its stripes has a write in
// progress or has moved; an entry that is not settled never does.
func TestManifestCacheAtSnapshot(t *testing.T) {
	c := newManifestCache(1 << 20)
	t1, t2 := &catalog.Table{}, &catalog.Table{}
	files := newestFirst([]systable.ManifestFile{{Path: "a", MaxSeq: 1}})
	at := stripesAt()
	c.putLatest("m1", t1, 7, []byte(`{"v":1}`), files, true, at, 100)
	if got, ok, _ := c.atSnapshot("m1", t1, 100); !ok || len(got) != 1 {
		t.Fatalf("at its sequence number: %v %v", got, ok)
	}
	if _, ok, _ := c.atSnapshot("m1", t1, 99); ok {
		t.Fatal("answered a snapshot older than its read")
	}
	if _, ok, _ := c.atSnapshot("m1", t2, 200); ok {
		t.Fatal("answered for another version of the table")
	}
	for _, s := range []*manifestStripe{at.table, at.partition} {
		s.writing.Add(1)
		if _, ok, current := c.atSnapshot("m1", t1, 200); ok || current {
			t.Fatalf("answered during a write: ok %v current %v", ok, current)
		}
		s.writing.Add(-1)
		s.moved.Add(1)
		if _, ok, current := c.atSnapshot("m1", t1, 200); ok || current {
			t.Fatalf("answered after a write: ok %v current %v", ok, current)
		}
		s.moved.Store(0)
	}
	if _, ok, _ := c.atSnapshot("m1", t1, 200); !ok {
		t.Fatal("the stripes back where they were, the entry does not answer")
	}
	c.putLatest("m1", t1, 7, []byte(`{"v":1}`), files, false, at, 100)
	if _, ok, _ := c.atSnapshot("m1", t1, 200); ok {
		t.Fatal("an entry that is not settled answered")
	}
	c.putLatest("m2", t1, 7, nil, nil, true, at, 5)
	if got, ok, _ := c.atSnapshot("m2", t1, 5); !ok || got != nil {
		t.Fatalf("no manifest, settled: %v %v", got, ok)
	}
}

// A settled read at the same stripes keeps the entry's lower sequence
// number (the same manifest), also when the table's epoch moved (another
// partition's write), and an entry that is only newer than a snapshot
// says so; a snapshot's row read does not replace a stamped entry.
func TestManifestCacheSettledKeepsLowerSeq(t *testing.T) {
	c := newManifestCache(1 << 20)
	t1 := &catalog.Table{}
	files := newestFirst([]systable.ManifestFile{{Path: "a", MaxSeq: 1}})
	at := stripesAt()
	c.putLatest("m1", t1, 7, []byte(`{"v":1}`), files, true, at, 100)
	c.putLatest("m1", t1, 7, []byte(`{"v":1}`), files, true, at, 150)
	if _, ok, _ := c.atSnapshot("m1", t1, 120); !ok {
		t.Fatal("a later settled read raised the entry's sequence number")
	}
	c.putLatest("m1", t1, 8, []byte(`{"v":1}`), files, true, at, 150)
	if _, ok, _ := c.atSnapshot("m1", t1, 120); !ok {
		t.Fatal("a later settled read at another table epoch raised the entry's sequence number")
	}
	if _, ok := c.latest("m1", t1, 8); !ok {
		t.Fatal("the entry did not take the table's new epoch")
	}
	if _, ok, current := c.atSnapshot("m1", t1, 90); ok || !current {
		t.Fatalf("an older snapshot: ok %v current %v", ok, current)
	}
	c.put("m1", []byte(`{"v":0}`), nil)
	if _, ok, _ := c.atSnapshot("m1", t1, 120); !ok {
		t.Fatal("a snapshot's row replaced the settled entry")
	}
	at.partition.moved.Add(1)
	if _, ok, current := c.atSnapshot("m1", t1, 200); ok || current {
		t.Fatalf("after a write of the partition: ok %v current %v", ok, current)
	}
	now := settledAt{table: at.table, partition: at.partition, partitionMoved: 1}
	c.putLatest("m1", t1, 9, []byte(`{"v":2}`), files, true, now, 300)
	if _, ok, _ := c.atSnapshot("m1", t1, 300); !ok {
		t.Fatal("a new entry after the write was not kept")
	}
}
