package engine

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"unsafe"

	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

func rowCacheFamilies(t *testing.T) (a, b *kv.ColumnFamily) {
	t.Helper()
	db, err := kv.Open(t.TempDir(), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if a, err = db.ColumnFamily("rows_a"); err != nil {
		t.Fatal(err)
	}
	if b, err = db.ColumnFamily("rows_b"); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// TestRowCacheKeysByFamilyKeyAndSeq: a version is found only by its own
// column family, key and _seq, and its value is a copy of what was put.
func TestRowCacheKeysByFamilyKeyAndSeq(t *testing.T) {
	a, b := rowCacheFamilies(t)
	c := newRowCache(0)
	val := []byte("version 7 of k1")
	got := c.put(a, []byte("k1"), 7, val)
	val[0] = 'X' // the caller's buffer is not the cache's
	if got == nil || !bytes.Equal(got.value, []byte("version 7 of k1")) {
		t.Fatalf("put returned %+v", got)
	}
	if v := c.get(a, []byte("k1"), 7); !bytes.Equal(v, []byte("version 7 of k1")) {
		t.Fatalf("get = %q", v)
	}
	for _, miss := range []struct {
		cf  *kv.ColumnFamily
		key string
		seq int64
	}{{a, "k1", 8}, {a, "k2", 7}, {b, "k1", 7}, {a, "k", 7}} {
		if v := c.get(miss.cf, []byte(miss.key), miss.seq); v != nil {
			t.Fatalf("get(%s, %q, %d) = %q, want a miss", miss.cf.Name(), miss.key, miss.seq, v)
		}
	}
	st := RowCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load()}
	if st.Hits != 1 || st.Misses != 4 {
		t.Fatalf("hits %d misses %d, want 1 and 4", st.Hits, st.Misses)
	}
}

// TestRowCacheStaysWithinItsBound: however many versions are put, the
// cache holds at most its bound (oldest dropped first), a version too large
// for a shard is not kept, and replacing a key's version is accounted.
func TestRowCacheStaysWithinItsBound(t *testing.T) {
	a, _ := rowCacheFamilies(t)
	const bound = 64 << 10
	c := newRowCache(bound)
	value := bytes.Repeat([]byte("v"), 200)
	for i := 0; i < 5000; i++ {
		key := []byte(fmt.Sprintf("key-%05d", i%700))
		c.put(a, key, int64(i), value)
		held := int64(0)
		for j := range c.shards {
			held += c.shards[j].bytes
			if c.shards[j].bytes > c.maxShard {
				t.Fatalf("after %d puts shard %d holds %d bytes, bound %d", i+1, j, c.shards[j].bytes, c.maxShard)
			}
		}
		if held > bound {
			t.Fatalf("after %d puts the cache holds %d bytes, bound %d", i+1, held, bound)
		}
	}
	// The newest version of the last key is there; versions long
	// replaced are gone.
	if v := c.get(a, []byte("key-00099"), 4999); v == nil {
		t.Fatal("the newest version of a recent key is not cached")
	}
	if v := c.get(a, []byte("key-00099"), 99); v != nil {
		t.Fatal("a version put 4,900 puts ago is still cached")
	}
	big := bytes.Repeat([]byte("b"), int(c.maxShard))
	if got := c.put(a, []byte("big"), 1, big); got != nil {
		t.Fatal("an oversized version was put in the cache")
	}
	if v := c.get(a, []byte("big"), 1); v != nil {
		t.Fatal("an oversized version is cached")
	}
}

// TestRowCacheForgetsADroppedFamily: forget drops every version of one
// column family, and only those.
func TestRowCacheForgetsADroppedFamily(t *testing.T) {
	a, b := rowCacheFamilies(t)
	c := newRowCache(0)
	for i := int64(0); i < 100; i++ {
		key := []byte(fmt.Sprint("k", i))
		c.put(a, key, i, []byte("a"))
		c.put(b, key, i, []byte("b"))
	}
	c.forget(a.Name())
	versions, held := 0, int64(0)
	for i := range c.shards {
		versions += len(c.shards[i].m)
		held += c.shards[i].bytes
		for _, v := range c.shards[i].queue[c.shards[i].head:] {
			if v.cf == a {
				t.Fatalf("a version of %s is still queued", a.Name())
			}
		}
	}
	if versions != 100 {
		t.Fatalf("%d versions left, want rows_b's 100", versions)
	}
	if want := 100 * (int64(len("k00")) + 1 + rowVersionOverhead); held > want+100 || held < want-100 {
		t.Fatalf("%d bytes accounted for rows_b's versions, want about %d", held, want)
	}
	for i := int64(0); i < 100; i++ {
		key := []byte(fmt.Sprint("k", i))
		if c.get(a, key, i) != nil || c.get(b, key, i) == nil {
			t.Fatalf("key %s: rows_a still cached or rows_b lost", key)
		}
	}
}

// get is find of stored bytes only.
func (c *rowCache) get(cf *kv.ColumnFamily, key []byte, seq int64) []byte {
	if v, _ := c.find(cf, key, seq, nil, nil); v != nil {
		return v.value
	}
	return nil
}

// TestRowCacheColdVersions: a version read from a cold file is found only
// for the table version and the columns it was read for, its values are
// copies (the read's buffers may be reused), and stored bytes of the same
// version serve every projection.
func TestRowCacheColdVersions(t *testing.T) {
	a, _ := rowCacheFamilies(t)
	c := newRowCache(0)
	shape, other := &tableShape{}, &tableShape{}
	page := []byte("hello page")
	text := unsafe.String(&page[0], 5) // a view of a page, as a cold read may give
	wanted := []int{0, 2}
	c.putCold(a, []byte("k"), 3, shape, wanted, []any{int64(7), text}, []bool{false, true}, false)
	wanted[1] = 9 // the caller's slices are not the cache's
	copy(page, "XXXXX")
	_, cv := c.find(a, []byte("k"), 3, shape, []int{0, 2})
	if cv == nil {
		t.Fatal("a cold version is not found for its own projection")
	}
	if cv.values[0] != int64(7) || cv.values[1] != "hello" || !cv.missing[1] || cv.missing[0] || cv.deleted {
		t.Fatalf("cached cold version %+v", cv)
	}
	for _, miss := range []struct {
		shape  *tableShape
		wanted []int
		seq    int64
	}{{other, []int{0, 2}, 3}, {shape, []int{0}, 3}, {shape, []int{0, 1}, 3}, {shape, []int{0, 2}, 4}} {
		if v, cv := c.find(a, []byte("k"), miss.seq, miss.shape, miss.wanted); v != nil || cv != nil {
			t.Fatalf("found for another projection or version: %+v", miss)
		}
	}
	// The stored bytes of the version (a later hot read) replace it and
	// serve any projection.
	c.put(a, []byte("k"), 3, []byte("stored"))
	if v, cv := c.find(a, []byte("k"), 3, other, []int{1}); v == nil || string(v.value) != "stored" || cv != nil {
		t.Fatalf("stored bytes not found: %+v %v", v, cv)
	}
}

// TestRowCacheSkipsJSONAndBytesColdVersions: a cold version holding a
// JSON document (whose size the cache cannot bound cheaply) or a BYTES
// value (a slice every reader must get its own copy of) is not kept.
func TestRowCacheSkipsJSONAndBytesColdVersions(t *testing.T) {
	a, _ := rowCacheFamilies(t)
	c := newRowCache(0)
	shape := &tableShape{}
	for i, v := range []any{types.JSONDocument{Val: map[string]any{"a": 1}}, []byte("raw")} {
		key := []byte(fmt.Sprint("k", i))
		c.putCold(a, key, 1, shape, []int{0, 1}, []any{int64(1), v}, nil, false)
		if _, cv := c.find(a, key, 1, shape, []int{0, 1}); cv != nil {
			t.Fatalf("a cold version holding %T is cached", v)
		}
	}
}

// TestRowCacheConcurrentUse: readers, writers and forget at once (run
// with -race); every value found is the one put for its version.
func TestRowCacheConcurrentUse(t *testing.T) {
	a, b := rowCacheFamilies(t)
	c := newRowCache(32 << 10)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3000; i++ {
				cf := a
				if i%2 == 1 {
					cf = b
				}
				key := []byte(fmt.Sprint("k", i%97))
				seq := int64(i % 13)
				want := fmt.Sprintf("%s/%s/%d", cf.Name(), key, seq)
				if v := c.get(cf, key, seq); v != nil && string(v) != want {
					t.Errorf("found %q for %s", v, want)
					return
				}
				c.put(cf, key, seq, []byte(want))
				if i%500 == 0 {
					c.forget(a.Name())
				}
			}
		}()
	}
	wg.Wait()
}

// TestRowCacheKeepsProjectedValues: a hot version keeps the values the
// last read projected from it, counted in the bound, found for that
// projection only (the bytes serve the others), replaced by the next
// projection, and not attached once the version has left the cache.
func TestRowCacheKeepsProjectedValues(t *testing.T) {
	a, _ := rowCacheFamilies(t)
	c := newRowCache(0)
	shape := &tableShape{}
	v := c.put(a, []byte("k"), 1, []byte("stored bytes"))
	before := c.shards[v.hash%rowCacheShards].bytes
	c.keepProjected(v, shape, []int{0, 1}, []any{int64(5), "text"}, false)
	if got := c.shards[v.hash%rowCacheShards].bytes; got <= before || v.bytes != got {
		t.Fatalf("shard holds %d bytes (before %d), entry %d: the projection is not counted", got, before, v.bytes)
	}
	if fv, p := c.find(a, []byte("k"), 1, shape, []int{0, 1}); fv != v || p == nil || p.values[0] != int64(5) || p.values[1] != "text" {
		t.Fatalf("projected values not found: %+v", p)
	}
	if fv, p := c.find(a, []byte("k"), 1, shape, []int{1}); fv != v || p != nil {
		t.Fatal("another projection's values are returned")
	}
	c.keepProjected(v, shape, []int{1}, []any{"text"}, false)
	if _, p := c.find(a, []byte("k"), 1, shape, []int{0, 1}); p != nil {
		t.Fatal("the replaced projection is still found")
	}
	if _, p := c.find(a, []byte("k"), 1, shape, []int{1}); p == nil {
		t.Fatal("the new projection is not found")
	}
	c.forget(a.Name())
	c.keepProjected(v, shape, []int{0}, []any{int64(5)}, false)
	if held := c.shards[v.hash%rowCacheShards].bytes; held != 0 {
		t.Fatalf("a forgotten version's projection is counted: %d bytes", held)
	}
}
