package tier

import (
	"bytes"
	"sort"
	"sync"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// manifestCache keeps the decoded file lists of the manifests statements
// read. Every cold read and every INSERT's duplicate check reads its
// partition's manifest, and decoding its JSON cost more (~10 µs for a
// newest-50 read) than the rest of finding the files.
//
// Invariants:
//   - an entry is keyed by manifest id and holds the exact stored bytes
//     it was decoded from; a lookup compares them with the bytes the
//     caller read at its own snapshot, so an entry is never stale for any
//     snapshot, and no invalidation hook is needed;
//   - entries are never changed after they are stored: callers share
//     their file lists read-only;
//   - the bytes held are bounded by maxBytes; past it, entries are dropped
//     in map order (random) until the new one fits.
type manifestCache struct {
	maxBytes int64

	mu    sync.RWMutex
	m     map[string]*decodedManifest
	bytes int64
}

// decodedManifest is a manifest's file list, newest first (MaxSeq
// descending), as decoded from raw.
type decodedManifest struct {
	raw   []byte
	files []systable.ManifestFile
}

// defaultManifestCacheBytes bounds the manifests kept (charged about
// twice their stored bytes each).
const defaultManifestCacheBytes = 8 << 20

func newManifestCache(maxBytes int64) *manifestCache {
	return &manifestCache{maxBytes: maxBytes, m: map[string]*decodedManifest{}}
}

// cost is what an entry is charged: its bytes, and about as much again
// for the decoded list.
func (d *decodedManifest) cost() int64 { return 2 * int64(len(d.raw)) }

// get returns the file list decoded from raw for manifest id, if kept.
func (c *manifestCache) get(id string, raw []byte) ([]systable.ManifestFile, bool) {
	c.mu.RLock()
	d, ok := c.m[id]
	c.mu.RUnlock()
	if !ok || !bytes.Equal(d.raw, raw) {
		return nil, false
	}
	return d.files, true
}

// put keeps files (newest first, decoded from raw) for manifest id.
func (c *manifestCache) put(id string, raw []byte, files []systable.ManifestFile) {
	d := &decodedManifest{raw: bytes.Clone(raw), files: files}
	if d.cost() > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[id]; ok {
		c.bytes -= old.cost()
		delete(c.m, id)
	}
	for k, e := range c.m {
		if c.bytes+d.cost() <= c.maxBytes {
			break
		}
		c.bytes -= e.cost()
		delete(c.m, k)
	}
	c.m[id] = d
	c.bytes += d.cost()
}

// newestFirst is a copy of files sorted by MaxSeq, descending: a key's
// newest cold version is in the first file that holds it.
func newestFirst(files []systable.ManifestFile) []systable.ManifestFile {
	out := make([]systable.ManifestFile, len(files))
	copy(out, files)
	sort.SliceStable(out, func(i, j int) bool { return out[i].MaxSeq > out[j].MaxSeq })
	return out
}
