package cold

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// DefaultCacheBytes is the byte budget of a Cache made with a zero
// CacheOptions.Bytes. A partition of 10,000 chat rows (a 0.75 MB file)
// takes 2.8 MB decoded, so 128 MiB holds about forty such partitions
// whole, or the recently read pages of many more.
const DefaultCacheBytes = 128 << 20

// CacheOptions configure a Cache.
type CacheOptions struct {
	// Bytes is the budget for everything the cache holds: decoded pages,
	// parsed footers, page indexes and bloom filters (default
	// DefaultCacheBytes). Sizes are estimates of the Go memory each entry
	// keeps, within a small constant of the truth.
	Bytes int64
}

// Cache is a bounded cache of what reads take from cold files, shared by
// every File opened with it (OpenOptions.Cache) and safe for concurrent
// use: decoded data pages, parsed footers, per-column page indexes and
// _key bloom filters. Entries are evicted least recently used first once
// the byte budget is reached; an entry larger than the share of the budget
// it would live in is never kept.
//
// Files are immutable, so a cached entry is valid for as long as the file
// it came from exists under the same identity: the storage id, the path,
// the size, the modification time the storage reports at open and a hash
// of the footer (read at every open, and unique to each file written: it
// records the file's _seq range). A path written again (a table dropped
// and re-created reuses batch-1.parquet) is another identity. Invalidate forgets every identity of a path; callers
// call it when they delete a file, to give its memory back at once (the
// entries would otherwise age out, as nothing can look them up again once
// the file is gone).
type Cache struct {
	shards []cacheShard
	mask   uint64
	// pages is false for the private cache of a File opened without a
	// shared one: it keeps the footer and indexes for the File's lifetime
	// (as a File always did) but no data pages.
	pages bool

	seed   maphash.Seed // of footer hashes
	mu     sync.Mutex
	files  map[fileIdentity]*fileRec
	byPath map[string][]*fileRec
	next   uint64

	hits, misses, inserts, evictions, rejected, invalidated atomic.Int64
}

// CacheStats are a Cache's counters since it was made, and its contents.
type CacheStats struct {
	// Hits and Misses count lookups; a miss loads the entry from the file
	// (concurrent misses of one entry load it once).
	Hits, Misses int64
	// Inserts counts entries added, Evictions entries dropped for room,
	// Rejected entries too large to keep, Invalidated entries dropped by
	// Invalidate.
	Inserts, Evictions, Rejected, Invalidated int64
	// Entries and Bytes are what the cache holds now; Budget its limit.
	Entries, Bytes, Budget int64
	// Files is the number of file identities the cache knows (open, or
	// with cached entries).
	Files int
}

// NewCache returns an empty cache.
func NewCache(o CacheOptions) (*Cache, error) {
	if o.Bytes < 0 {
		return nil, fmt.Errorf("cold: cache budget %d is negative", o.Bytes)
	}
	if o.Bytes == 0 {
		o.Bytes = DefaultCacheBytes
	}
	return newCache(o.Bytes, true), nil
}

// shardBytes is the smallest budget of a shard: a budget is split into
// at most 16 shards (to spread lock contention) of at least 4 MiB, so
// that a small cache still fits its largest entries (a bloom filter of a
// full row group is 64-128 KiB).
const shardBytes = 4 << 20

func newCache(budget int64, pages bool) *Cache {
	n := 1
	for pages && n < 16 && budget/int64(2*n) >= shardBytes {
		n *= 2
	}
	c := &Cache{shards: make([]cacheShard, n), mask: uint64(n - 1), pages: pages, seed: maphash.MakeSeed(),
		files: map[fileIdentity]*fileRec{}, byPath: map[string][]*fileRec{}}
	for i := range c.shards {
		s := &c.shards[i]
		s.budget = budget / int64(n)
		s.entries = map[cacheKey]*cacheEntry{}
		s.head.prev, s.head.next = &s.head, &s.head
	}
	return c
}

// newPrivateCache is the cache of a File opened without one (one shard,
// for one File's reads): footer, indexes and bloom filters are kept while
// the File is open, pages not.
func newPrivateCache() *Cache { return newCache(1<<62, false) }

// Stats returns the cache's counters and size.
func (c *Cache) Stats() CacheStats {
	st := CacheStats{
		Hits: c.hits.Load(), Misses: c.misses.Load(), Inserts: c.inserts.Load(),
		Evictions: c.evictions.Load(), Rejected: c.rejected.Load(), Invalidated: c.invalidated.Load(),
	}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		st.Entries += int64(len(s.entries))
		st.Bytes += s.bytes
		st.Budget += s.budget
		s.mu.Unlock()
	}
	c.mu.Lock()
	st.Files = len(c.files)
	c.mu.Unlock()
	return st
}

// entryKind tells what a cache entry holds.
type entryKind uint8

const (
	kindFooter  entryKind = iota + 1 // *fileMeta
	kindBloom                        // metadata.BloomFilter of _key (nil: none)
	kindOffsets                      // *chunkPages: where a column chunk's pages start
	kindStats                        // *pageStats: a column chunk's per-page min/max
	kindPage                         // *colPage: one decoded data page
)

// cacheKey names an entry: a file (by the number its identity got), a
// row group, a column (leaf), a page, and what the entry is.
type cacheKey struct {
	file uint64
	rg   int32
	col  int32
	page int32
	kind entryKind
}

func (k cacheKey) hash() uint64 {
	h := k.file*0x9e3779b97f4a7c15 ^ uint64(uint32(k.rg))<<40 ^ uint64(uint32(k.col))<<20 ^ uint64(uint32(k.page)) ^ uint64(k.kind)<<58
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	return h ^ h>>32
}

type cacheEntry struct {
	key        cacheKey
	val        any
	size       int64
	rec        *fileRec
	prev, next *cacheEntry
	// at is the shard's clock when the entry last went to the front.
	at uint64
}

// entryOverhead is what an entry costs besides its value: the entry, its
// map slot and the value's headers.
const entryOverhead = 160

type cacheShard struct {
	mu      sync.Mutex
	entries map[cacheKey]*cacheEntry
	loading map[cacheKey]*loadCall
	head    cacheEntry // sentinel: head.next is the most recently used
	bytes   int64
	budget  int64
	// clock counts the moves to the front: an entry at most clock-at
	// places from the front (touchLocked).
	clock uint64
}

// loadCall is a load in progress, which concurrent misses of the same
// entry wait for instead of loading it again.
type loadCall struct {
	done chan struct{}
	val  any
	err  error
}

// fileIdentity names one version of a file in one storage: a file
// written again at the same path differs in its footer (every file's
// footer records its _seq range), and usually in size and modification
// time too.
type fileIdentity struct {
	storage, path string
	size          int64
	modTime       int64  // UnixNano; 0 when the storage does not tell
	footer        uint64 // hash of the footer's bytes
	// sum is the metadata checksum the opener expects: entries loaded
	// with it were checked against it, entries loaded without were not.
	sum MetaChecksum
}

// fileRec is what the cache knows of a file identity: the number its
// entries are keyed by, how many Files have it open, and how many entries
// it has. It is forgotten once neither is left, or when invalidated.
type fileRec struct {
	id      fileIdentity
	num     uint64
	opens   int // under Cache.mu
	entries atomic.Int64
	gone    atomic.Bool // forgotten: nothing more is cached for it
}

// open registers an open of identity id.
func (c *Cache) open(id fileIdentity) *fileRec {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.files[id]; ok {
		r.opens++
		return r
	}
	c.next++
	r := &fileRec{id: id, num: c.next, opens: 1}
	c.files[id] = r
	pk := pathKey(id.storage, id.path)
	c.byPath[pk] = append(c.byPath[pk], r)
	return r
}

// close ends an open of r; r is forgotten once it has no entries left
// either (a file opened again soon finds its pages still cached).
func (c *Cache) close(r *fileRec) {
	c.mu.Lock()
	r.opens--
	if r.opens == 0 && r.entries.Load() == 0 {
		c.forgetLocked(r)
	}
	c.mu.Unlock()
}

func pathKey(storage, path string) string { return storage + "\x00" + path }

func (c *Cache) forgetLocked(r *fileRec) {
	if c.files[r.id] != r {
		return
	}
	r.gone.Store(true)
	delete(c.files, r.id)
	pk := pathKey(r.id.storage, r.id.path)
	recs := c.byPath[pk]
	for i, x := range recs {
		if x == r {
			recs = append(recs[:i], recs[i+1:]...)
			break
		}
	}
	if len(recs) == 0 {
		delete(c.byPath, pk)
	} else {
		c.byPath[pk] = recs
	}
}

// maybeForget forgets r if it is no longer open and has no entries.
func (c *Cache) maybeForget(r *fileRec) {
	c.mu.Lock()
	if r.opens == 0 && r.entries.Load() == 0 {
		c.forgetLocked(r)
	}
	c.mu.Unlock()
}

// Invalidate drops everything cached for the file at path of storage
// storageID, whatever its version, and reports how many entries it
// dropped. Call it when the file is deleted. Files open on it keep
// reading correctly (their data is immutable); what they read is no
// longer cached.
func (c *Cache) Invalidate(storageID, path string) int {
	c.mu.Lock()
	recs := append([]*fileRec(nil), c.byPath[pathKey(storageID, path)]...)
	nums := make(map[uint64]bool, len(recs))
	for _, r := range recs {
		nums[r.num] = true
		c.forgetLocked(r)
	}
	c.mu.Unlock()
	if len(nums) == 0 {
		return 0
	}
	return c.purge(nums)
}

// forgetFooter drops the parsed footer of file identity r: its metadata
// no longer matches the CRCs it was verified with, and the next open of r
// must load the footer again, which verifies the whole tail (and fails
// while the file is damaged). The rest of r stays, and r stays known: its
// entries were read through the same checks, so they hold what the
// verified bytes said, and the Files open on r go on caching what they
// read (checked) once the file reads right again. Forgetting r instead
// marked it gone for every File holding it, and a File the tiers keep
// open then read its bloom filters, indexes and pages from storage at
// every lookup, a repaired file too (attackrot19_repair_test.go).
func (c *Cache) forgetFooter(r *fileRec) {
	k := cacheKey{file: r.num, kind: kindFooter}
	s := c.shard(k)
	s.mu.Lock()
	e, ok := s.entries[k]
	if ok {
		s.removeLocked(e)
	}
	s.mu.Unlock()
	if ok {
		c.invalidated.Add(1)
		if r.entries.Add(-1) == 0 {
			c.maybeForget(r)
		}
	}
}

// purge removes the entries of the file numbers in nums.
func (c *Cache) purge(nums map[uint64]bool) int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for k, e := range s.entries {
			if nums[k.file] {
				s.removeLocked(e)
				e.rec.entries.Add(-1)
				n++
			}
		}
		s.mu.Unlock()
	}
	c.invalidated.Add(int64(n))
	return n
}

func (c *Cache) shard(k cacheKey) *cacheShard {
	return &c.shards[k.hash()&c.mask]
}

// get returns the entry k if it is cached.
func (c *Cache) get(k cacheKey) (any, bool) {
	s := c.shard(k)
	s.mu.Lock()
	e, ok := s.entries[k]
	if ok {
		s.touchLocked(e)
	}
	s.mu.Unlock()
	if ok {
		c.hits.Add(1)
		return e.val, true
	}
	return nil, false
}

// getOrLoad returns the entry k of file r, loading it with load on a
// miss. load returns the value and its size in bytes. A load error is
// returned and nothing is cached; concurrent callers missing the same
// entry wait for one load. The load reads with the context of the caller
// that runs it, ctx: a waiter stops waiting when its own ctx ends, and
// loads again itself when the load it waited for was abandoned because
// the loader's context ended.
func (c *Cache) getOrLoad(ctx context.Context, r *fileRec, k cacheKey, load func() (any, int64, error)) (any, error) {
	if !c.pages && k.kind == kindPage {
		c.misses.Add(1)
		v, _, err := load()
		return v, err
	}
	s := c.shard(k)
	s.mu.Lock()
	for {
		if e, ok := s.entries[k]; ok {
			s.touchLocked(e)
			s.mu.Unlock()
			c.hits.Add(1)
			return e.val, nil
		}
		call, ok := s.loading[k]
		if !ok {
			break
		}
		s.mu.Unlock()
		select {
		case <-call.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if call.err == nil {
			c.hits.Add(1)
			return call.val, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !isCtxErr(call.err) {
			return nil, call.err
		}
		s.mu.Lock()
	}
	call := &loadCall{done: make(chan struct{})}
	if s.loading == nil {
		s.loading = map[cacheKey]*loadCall{}
	}
	s.loading[k] = call
	s.mu.Unlock()
	c.misses.Add(1)

	// A panic in load (the Parquet library on a damaged file) must not
	// leave waiters blocked: they get an error, the panic goes on to the
	// caller's recover.
	finished := false
	defer func() {
		if !finished {
			call.err = fmt.Errorf("%w: reader panic while loading", ErrCorrupt)
			s.mu.Lock()
			delete(s.loading, k)
			s.mu.Unlock()
			close(call.done)
		}
	}()
	v, size, err := load()
	finished = true
	call.val, call.err = v, err

	var evicted []*fileRec
	s.mu.Lock()
	delete(s.loading, k)
	if err == nil && !r.gone.Load() {
		size += entryOverhead
		if size > s.budget {
			c.rejected.Add(1)
		} else {
			e := &cacheEntry{key: k, val: v, size: size, rec: r}
			s.entries[k] = e
			s.pushFrontLocked(e)
			s.bytes += size
			r.entries.Add(1)
			c.inserts.Add(1)
			for s.bytes > s.budget {
				victim := s.head.prev
				s.removeLocked(victim)
				c.evictions.Add(1)
				if victim.rec.entries.Add(-1) == 0 {
					evicted = append(evicted, victim.rec)
				}
			}
		}
	}
	s.mu.Unlock()
	close(call.done)
	for _, er := range evicted {
		c.maybeForget(er)
	}
	return v, err
}

// touchLocked marks e used. An entry that went to the front fewer than
// a quarter of the shard's entries ago stays where it is: it is still in
// the front quarter of the list (only the entries moved to the front
// since are ahead of it), so the entries evicted next are the same, and a
// hit then writes nothing outside its own entry. Moving it would write
// three other entries too (its neighbours and the front), which a point
// lookup, making about 18 hits between two requests with the processor's
// caches emptied by other work, pays as cache misses.
func (s *cacheShard) touchLocked(e *cacheEntry) {
	if s.head.next == e || s.clock-e.at < uint64(len(s.entries)/4) {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	s.pushFrontLocked(e)
}

func (s *cacheShard) pushFrontLocked(e *cacheEntry) {
	e.at = s.clock
	s.clock++
	e.prev, e.next = &s.head, s.head.next
	s.head.next.prev = e
	s.head.next = e
}

func (s *cacheShard) removeLocked(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	delete(s.entries, e.key)
	s.bytes -= e.size
}
