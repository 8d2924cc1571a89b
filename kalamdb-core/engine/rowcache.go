package engine

import (
	"bytes"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// The row version cache. A read through a secondary index learns from
// each entry which row version it wants: the row's key and the _seq of
// its newest version at the statement's snapshot (entries are exact:
// commits rewrite them with the versions they write). A version, once
// written, never changes: every commit gives what it writes a new _seq,
// a flush moves versions unchanged, and a restore writes into column
// families of its own. So the stored bytes of (column family, key, _seq)
// are a pure function of that triple, and a cache of them never needs
// invalidating; a version that is no longer the newest is simply never
// asked for again and ages out.
//
// Fetching a hot row by key is a search of RocksDB's memtable skip list
// (~1 µs, most of an index read's time: the newest 50 of a conversation
// are 50 searches); a hit here is a hash lookup. A version read from a
// cold file is kept too, as the values that read projected (a point lookup
// in a Parquet file costs a key search and a decode per column, and the
// partition's file list first), for the table version and the columns it
// was read for. Only the index path uses the cache, and it is filled by
// reads, never by writes, so an INSERT costs nothing more.

// DefaultRowCacheBytes bounds the row version cache when Options leave
// it zero.
const DefaultRowCacheBytes = 32 << 20

// rowCacheShards splits the cache so concurrent readers rarely share a
// lock.
const rowCacheShards = 16

// rowVersionOverhead is about what an entry costs besides its key and
// value: the struct, its map slot and its queue slot.
const rowVersionOverhead = 112

// rowCache keeps row versions by (column family, key, _seq), each shard
// within its share of the byte bound, dropping the oldest insertions
// first.
type rowCache struct {
	seed     maphash.Seed
	maxShard int64
	shards   [rowCacheShards]rowCacheShard
	hits     atomic.Int64
	misses   atomic.Int64
}

type rowCacheShard struct {
	mu    sync.Mutex
	m     map[uint64]*rowVersion
	queue []*rowVersion // insertion order, from head
	head  int
	bytes int64
}

// rowVersion is one cached version: its stored bytes when it was read
// hot (value), and the values the last read projected from it (proj),
// which is all a version read from a cold file has. key and value share
// one allocation and are never written after the entry is built: a
// decoded row's strings may point into value.
type rowVersion struct {
	cf    *kv.ColumnFamily
	hash  uint64
	seq   int64
	key   []byte
	value []byte
	proj  atomic.Pointer[projectedRow]
	// bytes (the estimate the bound counts) and gone (evicted or
	// forgotten) are guarded by the shard's lock.
	bytes int64
	gone  bool
}

// projectedRow is a version's values projected onto the wanted columns of
// one table version (the projection, and which columns the row lacks,
// depend on both). values are shared by every read that finds them and
// never written; a hot version's have their missing columns filled in
// (missing nil), a cold read's not yet (missing marks them; they get their
// DEFAULT at read time, as without the cache).
type projectedRow struct {
	shape   *tableShape
	wanted  []int
	values  []any
	missing []bool
	deleted bool
	bytes   int64
}

func (v *rowVersion) size() int64 { return v.bytes }

// newRowCache returns a cache of about maxBytes, or nil (no cache) when
// maxBytes is negative.
func newRowCache(maxBytes int64) *rowCache {
	if maxBytes < 0 {
		return nil
	}
	if maxBytes == 0 {
		maxBytes = DefaultRowCacheBytes
	}
	c := &rowCache{seed: maphash.MakeSeed(), maxShard: max(maxBytes/rowCacheShards, 1)}
	for i := range c.shards {
		c.shards[i].m = map[uint64]*rowVersion{}
	}
	return c
}

func (c *rowCache) hash(key []byte, seq int64) uint64 {
	return maphash.Bytes(c.seed, key) ^ uint64(seq)*0x9e3779b97f4a7c15
}

// lookup returns the cached version seq of key in cf, or nil. What it
// holds must not be written.
func (c *rowCache) lookup(cf *kv.ColumnFamily, key []byte, seq int64) *rowVersion {
	h := c.hash(key, seq)
	s := &c.shards[h%rowCacheShards]
	s.mu.Lock()
	v := s.m[h]
	s.mu.Unlock()
	if v != nil && v.cf == cf && v.seq == seq && bytes.Equal(v.key, key) {
		return v
	}
	return nil
}

// find returns the cached version seq of key in cf (nil: none), and
// its values projected for shape's wanted columns if the last read
// projected those. A version is a hit if it has either stored bytes or
// those values. What it returns must not be written.
func (c *rowCache) find(cf *kv.ColumnFamily, key []byte, seq int64, shape *tableShape, wanted []int) (*rowVersion, *projectedRow) {
	v, p := c.peek(cf, key, seq, shape, wanted)
	if v != nil {
		c.count(1, 0)
	} else {
		c.count(0, 1)
	}
	return v, p
}

// peek is find without counting the hit or miss: a batch of lookups
// counts them once (count), not with two shared atomic counters per row.
func (c *rowCache) peek(cf *kv.ColumnFamily, key []byte, seq int64, shape *tableShape, wanted []int) (*rowVersion, *projectedRow) {
	if v := c.lookup(cf, key, seq); v != nil {
		if p := v.proj.Load(); p != nil && p.shape == shape && slices.Equal(p.wanted, wanted) {
			return v, p
		}
		if v.value != nil {
			return v, nil
		}
	}
	return nil, nil
}

// count adds lookups' hits and misses to the cache's counters.
func (c *rowCache) count(hits, misses int) {
	if hits > 0 {
		c.hits.Add(int64(hits))
	}
	if misses > 0 {
		c.misses.Add(int64(misses))
	}
}

// put keeps a copy of value as the version seq of key in cf and returns
// the entry, or nil for a version too large for its shard.
func (c *rowCache) put(cf *kv.ColumnFamily, key []byte, seq int64, value []byte) *rowVersion {
	size := int64(len(key)+len(value)) + rowVersionOverhead
	if size > c.maxShard/4 {
		return nil
	}
	buf := make([]byte, len(key)+len(value))
	copy(buf, key)
	copy(buf[len(key):], value)
	v := &rowVersion{cf: cf, hash: c.hash(key, seq), seq: seq, key: buf[:len(key):len(key)], value: buf[len(key):], bytes: size}
	c.insert(v)
	return v
}

// newProjected copies values projected for shape's wanted columns, or
// returns nil when they are not to be kept: a BYTES value (a slice, which
// a reader could write: every read gets its own) or a JSON document
// (whose size is not known without walking it). Strings are copied unless
// shared (views of the cached version's own bytes): a cold read's may
// share the memory of a whole decoded page.
func newProjected(shape *tableShape, wanted []int, values []any, missing []bool, deleted, shared bool) *projectedRow {
	p := &projectedRow{shape: shape, wanted: slices.Clone(wanted), values: make([]any, len(values)), deleted: deleted,
		bytes: int64(len(wanted))*8 + int64(len(missing)) + 64}
	for i, x := range values {
		switch y := x.(type) {
		case string:
			if !shared {
				x = strings.Clone(y)
				p.bytes += int64(len(y))
			}
		case decimal.Decimal:
			p.bytes += 64 // its big.Int: at most 38 digits
		case []byte, types.JSONDocument:
			return nil
		}
		p.values[i] = x
		p.bytes += 48 // the interface and a boxed fixed-size value
	}
	if missing != nil {
		p.missing = slices.Clone(missing)
	}
	return p
}

// putCold keeps a copy of a version read from a cold file: its values
// for shape's wanted columns and the columns the file lacks.
func (c *rowCache) putCold(cf *kv.ColumnFamily, key []byte, seq int64, shape *tableShape, wanted []int, values []any,
	missing []bool, deleted bool) {
	p := newProjected(shape, wanted, values, missing, deleted, false)
	if p == nil {
		return
	}
	size := int64(len(key)) + rowVersionOverhead + p.bytes
	if size > c.maxShard/4 {
		return
	}
	v := &rowVersion{cf: cf, hash: c.hash(key, seq), seq: seq, key: bytes.Clone(key), bytes: size}
	v.proj.Store(p)
	c.insert(v)
}

// keepProjected attaches to v (a cached hot version) the values a read
// projected from its bytes for shape's wanted columns, missing columns
// filled in, replacing the projection kept before.
func (c *rowCache) keepProjected(v *rowVersion, shape *tableShape, wanted []int, values []any, deleted bool) {
	p := newProjected(shape, wanted, values, nil, deleted, true)
	if p == nil {
		return
	}
	s := &c.shards[v.hash%rowCacheShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if v.gone || v.bytes+p.bytes > c.maxShard/4 {
		return
	}
	var old int64
	if q := v.proj.Load(); q != nil {
		old = q.bytes
	}
	v.proj.Store(p)
	v.bytes += p.bytes - old
	s.bytes += p.bytes - old
	c.trim(s)
}

// insert adds v to its shard, dropping the oldest versions over the
// shard's bound.
func (c *rowCache) insert(v *rowVersion) {
	s := &c.shards[v.hash%rowCacheShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	// A replaced entry stays queued (and counted) until its turn comes;
	// only the map forgets it now.
	s.m[v.hash] = v
	s.queue = append(s.queue, v)
	s.bytes += v.size()
	c.trim(s)
}

// trim drops s's oldest versions while it is over its bound; s.mu is
// held.
func (c *rowCache) trim(s *rowCacheShard) {
	for s.bytes > c.maxShard && s.head < len(s.queue) {
		old := s.queue[s.head]
		s.queue[s.head] = nil
		s.head++
		s.bytes -= old.size()
		old.gone = true
		if s.m[old.hash] == old {
			delete(s.m, old.hash)
		}
	}
	if s.head > len(s.queue)/2 {
		s.queue = append(s.queue[:0], s.queue[s.head:]...)
		s.head = 0
	}
}

// forget drops the versions of the column family named cfName (a dropped
// table's), so they stop holding memory.
func (c *rowCache) forget(cfName string) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		kept := s.queue[:0]
		for _, v := range s.queue[s.head:] {
			if v.cf.Name() == cfName {
				s.bytes -= v.size()
				v.gone = true
				if s.m[v.hash] == v {
					delete(s.m, v.hash)
				}
				continue
			}
			kept = append(kept, v)
		}
		clear(s.queue[len(kept):])
		s.queue, s.head = kept, 0
		s.mu.Unlock()
	}
}

// RowCacheStats are the row version cache's counters.
type RowCacheStats struct {
	Hits, Misses int64
	// Versions and Bytes are what it holds now (Bytes as estimated for
	// the bound).
	Versions int
	Bytes    int64
}

// RowCacheStats reports the row version cache's counters (zero when it
// is off).
func (e *Engine) RowCacheStats() RowCacheStats {
	c := e.rows
	if c == nil {
		return RowCacheStats{}
	}
	st := RowCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load()}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		st.Versions += len(s.m)
		st.Bytes += s.bytes
		s.mu.Unlock()
	}
	return st
}
