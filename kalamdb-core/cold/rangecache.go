package cold

import (
	"container/list"
	"context"
	"sync"
	"sync/atomic"
)

// DefaultRangeBlock is the unit a RangeCache fetches and keeps: reads are
// rounded out to whole blocks, so the footer, a page index and the pages
// of a column chunk read one after the other cost one request, not one
// each.
const DefaultRangeBlock = 128 << 10

// RangeCache keeps blocks of remote files (footers, indexes, column
// chunks) in memory, bounded in bytes, least recently used first out. It
// sits under the decoded-page Cache: that one keeps what was decoded,
// this one keeps the raw bytes so that a read that misses there (a page
// evicted, a footer parsed again after the file was reopened) does not
// go back to the object store. Entries are keyed by the object's key,
// ETag and size, so a rewritten object never serves old bytes. It is
// safe for concurrent use.
type RangeCache struct {
	max   int64
	block int64

	mu     sync.Mutex
	used   int64
	lru    *list.List // of *rangeBlock, most recent first
	blocks map[rangeKey]*list.Element

	hits, misses, fetches atomic.Int64
}

type rangeKey struct {
	file string
	idx  int64
}

type rangeBlock struct {
	key  rangeKey
	data []byte
}

// RangeCacheStats count a RangeCache's use.
type RangeCacheStats struct {
	Hits, Misses int64 // blocks found, blocks fetched
	Fetches      int64 // requests made to the store
	Bytes        int64 // bytes held
}

// NewRangeCache returns a cache of at most maxBytes; nil when maxBytes
// cannot hold one block (no cache).
func NewRangeCache(maxBytes int64) *RangeCache {
	if maxBytes < DefaultRangeBlock {
		return nil
	}
	return &RangeCache{max: maxBytes, block: DefaultRangeBlock, lru: list.New(), blocks: map[rangeKey]*list.Element{}}
}

// Stats returns the counters.
func (c *RangeCache) Stats() RangeCacheStats {
	c.mu.Lock()
	used := c.used
	c.mu.Unlock()
	return RangeCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Fetches: c.fetches.Load(), Bytes: used}
}

// rangeFetcher reads bytes of a remote file from the store.
type rangeFetcher interface {
	fetch(ctx context.Context, buf []byte, off int64) error
}

// readAt fills buf with the bytes at off of the file (of size bytes)
// identified by file, from cached blocks and, for the missing ones, by
// src, one fetch per run of consecutive missing blocks. A fetch that
// fails (ctx ended, the store failed) caches nothing of its run.
func (c *RangeCache) readAt(ctx context.Context, file string, size int64, buf []byte, off int64, src rangeFetcher) error {
	first, last := off/c.block, (off+int64(len(buf))-1)/c.block
	have := make([][]byte, last-first+1)
	c.mu.Lock()
	for i := range have {
		if el, ok := c.blocks[rangeKey{file, first + int64(i)}]; ok {
			c.lru.MoveToFront(el)
			have[i] = el.Value.(*rangeBlock).data
		}
	}
	c.mu.Unlock()
	for i := 0; i < len(have); {
		if have[i] != nil {
			c.hits.Add(1)
			i++
			continue
		}
		j := i
		for j < len(have) && have[j] == nil {
			j++
		}
		start := (first + int64(i)) * c.block
		end := min((first+int64(j))*c.block, size)
		run := make([]byte, end-start)
		c.fetches.Add(1)
		if err := src.fetch(ctx, run, start); err != nil {
			return err
		}
		for k := i; k < j; k++ {
			lo := int64(k-i) * c.block
			have[k] = run[lo:min(lo+c.block, int64(len(run))):min(lo+c.block, int64(len(run)))]
			c.misses.Add(1)
			c.put(rangeKey{file, first + int64(k)}, have[k])
		}
		i = j
	}
	for i, b := range have {
		blockStart := (first + int64(i)) * c.block
		lo := max(off, blockStart)
		hi := min(off+int64(len(buf)), blockStart+int64(len(b)))
		copy(buf[lo-off:hi-off], b[lo-blockStart:hi-blockStart])
	}
	return nil
}

func (c *RangeCache) put(k rangeKey, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.blocks[k]; ok {
		return // fetched concurrently
	}
	c.blocks[k] = c.lru.PushFront(&rangeBlock{key: k, data: data})
	c.used += int64(len(data))
	for c.used > c.max {
		el := c.lru.Back()
		b := el.Value.(*rangeBlock)
		c.lru.Remove(el)
		delete(c.blocks, b.key)
		c.used -= int64(len(b.data))
	}
}
