package tier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// fileCache keeps cold files open (their footers parsed) across
// statements. Files are immutable, so a cached one is always valid; it is
// closed when evicted and no statement uses it.
//
// A file is known by what the manifest says of it, not by its path alone:
// a path could be reused (new names are tagged so that they are not
// (newBatchName), but untagged names of older manifests were: a table
// dropped and created again wrote its batch-1.parquet again), and an open
// File of the old file must never answer for the new one. What reads
// decode from the files (pages, footers, indexes, bloom filters) is in
// pages, the cold.Cache shared by every file, whose entries are keyed by
// the file's identity (size, modification time, footer) in the same way.
type fileCache struct {
	mu    sync.Mutex
	max   int
	files map[fileKey]*File
	tick  uint64
	// pages is the shared cache of decoded pages (nil: none; each open
	// file then keeps its footer and page indexes only).
	pages *cold.Cache
}

// fileKey names one file version: its path in a storage and the size and
// _seq range the manifest records for it (unique to each file written).
type fileKey struct {
	storage, path         string
	bytes, minSeq, maxSeq int64
}

// File is an open cold file of a partition, shared by the statements
// reading it (PartitionFiles); Release gives it back.
type File struct {
	f     *cold.File
	info  systable.ManifestFile
	refs  int
	used  uint64
	dead  bool // evicted while in use: close on last release
	cache *fileCache
	key   fileKey
}

// Info is what the manifest records of the file.
func (cf *File) Info() systable.ManifestFile { return cf.info }

// Cold is the open file, for reads the tiers do not wrap (column batches).
func (cf *File) Cold() *cold.File { return cf.f }

func newFileCache(max int, pages *cold.Cache) *fileCache {
	return &fileCache{max: max, files: map[fileKey]*File{}, pages: pages}
}

// open returns the file of a manifest entry in a storage, opened once and
// shared.
func (c *fileCache) open(ctx context.Context, storageID string, fsys cold.Storage, mf systable.ManifestFile) (*File, error) {
	key := fileKey{storage: storageID, path: mf.Path, bytes: mf.Bytes, minSeq: mf.MinSeq, maxSeq: mf.MaxSeq}
	c.mu.Lock()
	if cf, ok := c.files[key]; ok {
		cf.refs++
		c.tick++
		cf.used = c.tick
		c.mu.Unlock()
		return cf, nil
	}
	c.mu.Unlock()
	f, err := cold.OpenFileWith(ctx, fsys, mf.Path, cold.OpenOptions{Cache: c.pages, StorageID: storageID, Checksum: cold.ManifestChecksum(mf)})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cf, ok := c.files[key]; ok { // opened concurrently
		_ = f.Close()
		cf.refs++
		return cf, nil
	}
	c.tick++
	cf := &File{f: f, info: mf, refs: 1, used: c.tick, cache: c, key: key}
	c.files[key] = cf
	c.evictLocked()
	return cf, nil
}

func (c *fileCache) evictLocked() {
	for len(c.files) > c.max {
		var victim *File
		for _, cf := range c.files {
			if victim == nil || cf.used < victim.used {
				victim = cf
			}
		}
		c.dropLocked(victim)
	}
}

// dropLocked removes cf from the cache, closing it unless a statement
// still reads it (then its last Release closes it).
func (c *fileCache) dropLocked(cf *File) {
	delete(c.files, cf.key)
	if cf.refs == 0 {
		_ = cf.f.Close()
	} else {
		cf.dead = true
	}
}

// forget drops every version of a file (deleted by compaction, cleanup or
// as an orphan) from the cache, and what reads decoded from it.
func (c *fileCache) forget(storageID, path string) {
	c.mu.Lock()
	for k, cf := range c.files {
		if k.storage == storageID && k.path == path {
			c.dropLocked(cf)
		}
	}
	c.mu.Unlock()
	if c.pages != nil {
		c.pages.Invalidate(storageID, path)
	}
}

// ReleaseAll releases files.
func ReleaseAll(files []*File) {
	for _, f := range files {
		f.Release()
	}
}

// Release gives back a file PartitionFiles opened.
func (cf *File) Release() {
	c := cf.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	cf.refs--
	if cf.refs == 0 && cf.dead {
		_ = cf.f.Close()
	}
}

func (c *fileCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cf := range c.files {
		c.dropLocked(cf)
	}
}

// PartitionFiles opens the cold files of a partition as listed by its
// manifest at snap (nil snap: the latest manifest), newest first.
func (m *Manager) PartitionFiles(ctx context.Context, t *catalog.Table, owner string, snap *kv.Snapshot) ([]*File, error) {
	files, err := m.manifestFiles(t, systable.ManifestID(t.Meta.NamespaceID, t.Meta.TableName, owner), snap)
	if err != nil || len(files) == 0 {
		return nil, err
	}
	return m.openFiles(ctx, t, files)
}

// openFiles opens the files of a manifest of t.
func (m *Manager) openFiles(ctx context.Context, t *catalog.Table, files []systable.ManifestFile) ([]*File, error) {
	st, fsys, err := m.tableStorage(t)
	if err != nil {
		return nil, err
	}
	out := make([]*File, 0, len(files))
	for _, mf := range files {
		cf, err := m.files.open(ctx, st.StorageID, fsys, mf)
		if err != nil {
			for _, o := range out {
				o.Release()
			}
			if ctx.Err() != nil {
				// The statement ended (cancelled, timed out) while the
				// file was being opened: that is its outcome, and says
				// nothing of the file.
				return nil, fmt.Errorf("tier: open %s: %w", mf.Path, ctx.Err())
			}
			return nil, ReadError(t.Meta.NamespaceID+"."+t.Meta.TableName, err)
		}
		out = append(out, cf)
	}
	return out, nil
}

// manifestFiles lists the files of manifest id of t as of snap (nil: the
// latest), newest first; none when there is no manifest. The list is
// shared: callers must not change it.
//
// At a snapshot, a settled entry of the cache answers without reading the
// manifest row (manifestCache.atSnapshot); without one, the latest
// manifest is read and kept as one, and answers if the snapshot is recent
// enough, else the row is read at the snapshot.
func (m *Manager) manifestFiles(t *catalog.Table, id string, snap *kv.Snapshot) ([]systable.ManifestFile, error) {
	if snap != nil {
		// After the snapshot (atSnapshot says why).
		lo := snap.SeqLowerBound()
		files, ok, current := m.decoded.atSnapshot(id, t, lo)
		if ok {
			m.manifestHits.Add(1)
			return files, nil
		}
		// A settled entry, still current, that is only newer than the
		// snapshot: the latest row would settle no older one.
		if !current {
			if files, settled, seq, err := m.readLatest(t, id); err == nil && settled && lo >= seq {
				return files, nil
			}
		}
	}
	raw, err := m.manifests.GetRawAt(snap, id)
	if errors.Is(err, systable.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	files, kept, err := m.decodeFiles(id, raw)
	if err == nil && !kept {
		m.decoded.put(id, raw, files)
	}
	return files, err
}

// decodeFiles is the file list, newest first, of manifest id stored as
// raw: the cache's when it holds those bytes (kept), else decoded.
func (m *Manager) decodeFiles(id string, raw []byte) (files []systable.ManifestFile, kept bool, err error) {
	if files, ok := m.decoded.get(id, raw); ok {
		return files, true, nil
	}
	mf, err := m.manifests.Decode(id, raw)
	if err != nil {
		return nil, false, err
	}
	return newestFirst(mf.Files), false, nil
}

// latestFiles lists the files of owner's partition of t in its latest
// manifest, newest first, like manifestFiles with no snapshot, but
// answers from the cache while the table's epoch has not moved since it
// read the manifest (see manifestCache for why that is exact). Only
// callers that hold the partition's lock, or whose answer a commit checks
// against the epoch under that lock (txn.Cold), may use it: a flush's
// manifest is visible a moment before its epoch moves.
func (m *Manager) latestFiles(t *catalog.Table, owner string) ([]systable.ManifestFile, error) {
	id := systable.ManifestID(t.Meta.NamespaceID, t.Meta.TableName, owner)
	// The epoch is read before the manifest: a write after this point
	// moves it, and the entry stops answering.
	if files, ok := m.decoded.latest(id, t, m.Epoch(t.Meta.TableID)); ok {
		return files, nil
	}
	files, _, _, err := m.readLatest(t, id)
	return files, err
}

// readLatest reads the latest manifest id of t and keeps it stamped with
// the table's epoch read before it, and settled (with the sequence number
// it holds for) when no write of the manifest was in progress or finished
// after its stripes' counters were read (manifestWrites), before the row.
func (m *Manager) readLatest(t *catalog.Table, id string) (files []systable.ManifestFile, settled bool, seq uint64, err error) {
	epoch := m.Epoch(t.Meta.TableID)
	ts, ps := m.writes.stripes(t.Meta.TableID, id)
	// In this order: a write counted in the stripes' moved is visible,
	// and had raised their written sequence number before seq was read.
	at := settledAt{table: ts, partition: ps, tableMoved: ts.moved.Load(), partitionMoved: ps.moved.Load()}
	seq = max(ts.written.Load(), ps.written.Load())
	if m.seams.beforeLatestRow != nil {
		m.seams.beforeLatestRow()
	}
	m.manifestReads.Add(1)
	raw, err := m.manifests.GetRawAt(nil, id)
	if errors.Is(err, systable.ErrNotFound) {
		raw, err = nil, nil
	}
	if err != nil {
		return nil, false, 0, err
	}
	if raw != nil {
		if files, _, err = m.decodeFiles(id, raw); err != nil {
			return nil, false, 0, err
		}
	}
	// Settled when no write is in progress and none has finished since
	// the counters were read: a write the row holds but the counters do
	// not had begun by the read and is either still counted in writing
	// or has moved its stripe since. (A write in progress before the
	// counters were read is one of the two as well, so that needs no
	// check of its own.)
	settled = at.current()
	m.decoded.putLatest(id, t, epoch, raw, files, settled, at, seq)
	return files, settled, seq, nil
}

// Lookup finds the newest cold version of a partition-local key, and
// which wanted columns its file lacks (written before they existed).
func Lookup(ctx context.Context, files []*File, current *systable.TableSchema, want []int, local []byte) (cold.Row, []bool, bool, error) {
	return LookupWith(ctx, files, current, want, local, nil)
}

// LookupWith is Lookup for a reader that looks up many rows of the same
// files: memo (nil: none) keeps the pages its lookups read (cold.PageMemo).
func LookupWith(ctx context.Context, files []*File, current *systable.TableSchema, want []int, local []byte,
	memo *cold.PageMemo) (cold.Row, []bool, bool, error) {
	for _, cf := range files {
		r, found, err := cf.f.LookupWith(ctx, current, want, local, memo)
		if err != nil {
			return cold.Row{}, nil, false, err
		}
		if found {
			missing, err := cf.f.Missing(current, want)
			if err != nil {
				return cold.Row{}, nil, false, err
			}
			return r, missing, true, nil
		}
	}
	return cold.Row{}, nil, false, nil
}

// Epoch implements txn.Cold: it moves whenever a flush, compaction, drop
// or restore changes the table's manifests, after the change is visible;
// a flush and a compaction move it before they release the partition's
// lock. It is the epoch of the table's stripe (tableStripe): it also
// moves with the writes of the tables sharing the stripe, and nothing is
// kept per table.
func (m *Manager) Epoch(tableID string) uint64 { return m.writes.table(tableID).epoch.Load() }

// NewestVersion is the newest cold version of a key, reading the latest
// manifest.
func (m *Manager) NewestVersion(ctx context.Context, t *catalog.Table, owner string, local []byte) (txn.ColdVersion, error) {
	vs, err := m.NewestVersions(ctx, t, owner, [][]byte{local})
	if err != nil {
		return txn.ColdVersion{}, err
	}
	return vs[0], nil
}

// NewestVersions implements txn.Cold: the newest cold version of each of
// the partition-local keys of owner's partition, reading the latest
// manifest once for them all; commit validation calls it under the
// partition's lock, which flush and compaction also take to change a
// manifest.
func (m *Manager) NewestVersions(ctx context.Context, t *catalog.Table, owner string, locals [][]byte) ([]txn.ColdVersion, error) {
	out := make([]txn.ColdVersion, len(locals))
	list, err := m.latestFiles(t, owner)
	if err != nil || len(list) == 0 {
		return out, err
	}
	files, err := m.openFiles(ctx, t, list)
	if err != nil {
		return nil, err
	}
	defer ReleaseAll(files)
	for i, local := range locals {
		r, _, found, err := Lookup(ctx, files, t.Schema, []int{}, local)
		if err != nil {
			if cold.IsReadFailure(err) {
				err = ReadError(t.Meta.NamespaceID+"."+t.Meta.TableName, err)
			}
			return nil, err
		}
		if found {
			out[i] = txn.ColdVersion{Seq: r.Seq, Deleted: r.Deleted, Found: true}
		}
	}
	return out, nil
}

// Cursor walks one file's rows of a key range, in either direction, a
// page at a time (cold.Cursor): a LIMIT stops the read after the pages of
// the rows it took, ORDER BY pk DESC as well as ascending, and nothing
// runs in the background. It is not safe for concurrent use.
type Cursor struct {
	c *cold.Cursor
	// missing marks the wanted columns the file lacks.
	missing []bool
	row     cold.Row
	peeked  bool
	end     bool
	err     error
}

// Missing marks the wanted columns the cursor's file lacks (written
// before they existed), or is nil when it has them all.
func (c *Cursor) Missing() []bool { return c.missing }

// OpenCursor opens a cursor over the rows of rng in file, projected onto
// the columns want of schema current (nil: all).
func OpenCursor(ctx context.Context, file *File, current *systable.TableSchema, want []int, rng cold.Range) (*Cursor, error) {
	f := file.f
	missing, err := f.Missing(current, want)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(missing, true) {
		missing = nil
	}
	cc, err := f.Rows(ctx, current, want, rng)
	if err != nil {
		return nil, err
	}
	return &Cursor{c: cc, missing: missing}, nil
}

// Peek returns the cursor's current row, or nil at the end. The row is
// valid until Next; its key and values may be kept.
func (c *Cursor) Peek() (*cold.Row, error) {
	if !c.peeked {
		if c.end {
			return nil, c.err
		}
		r, ok, err := c.c.Next()
		if err != nil || !ok {
			c.end, c.err = true, err
			return nil, err
		}
		c.row, c.peeked = r, true
	}
	return &c.row, nil
}

// openCursors opens a forward cursor over each whole file, wanting the
// given columns; on an error it returns the cursors opened so far, which
// the caller closes (closeCursors) in every case.
func openCursors(ctx context.Context, files []*File, current *systable.TableSchema, want []int) ([]*Cursor, error) {
	cursors := make([]*Cursor, 0, len(files))
	for _, f := range files {
		c, err := OpenCursor(ctx, f, current, want, cold.Range{})
		if err != nil {
			return cursors, err
		}
		cursors = append(cursors, c)
	}
	return cursors, nil
}

// closeCursors closes cursors.
func closeCursors(cursors []*Cursor) {
	for _, c := range cursors {
		c.Close()
	}
}

// Next moves past the current row.
func (c *Cursor) Next() { c.peeked = false }

// Close releases the cursor's readers.
func (c *Cursor) Close() { c.c.Close() }

// ColdCacheStats are the counters and contents of the cache of decoded
// cold pages (zero when there is none).
func (m *Manager) ColdCacheStats() cold.CacheStats {
	if m.files.pages == nil {
		return cold.CacheStats{}
	}
	return m.files.pages.Stats()
}

// ManifestStats counts the reads of latest manifest rows, and the
// snapshot reads a settled cache entry answered without one (tests,
// metrics).
func (m *Manager) ManifestStats() (reads, hits int64) {
	return m.manifestReads.Load(), m.manifestHits.Load()
}

// ColdReadStats sums the read counters of the cold files currently open,
// to observe pruning (tests, metrics).
func (m *Manager) ColdReadStats() cold.Stats {
	c := m.files
	c.mu.Lock()
	defer c.mu.Unlock()
	var total cold.Stats
	for _, cf := range c.files {
		s := cf.f.Stats()
		total.RowGroupsRead += s.RowGroupsRead
		total.RowGroupsPruned += s.RowGroupsPruned
		total.BloomChecks += s.BloomChecks
		total.BloomNegatives += s.BloomNegatives
		total.PagesPruned += s.PagesPruned
		total.PagesFiltered += s.PagesFiltered
		total.PagesDecoded += s.PagesDecoded
		total.PagesCached += s.PagesCached
		total.RowsDecoded += s.RowsDecoded
		total.ScansPruned += s.ScansPruned
		total.BytesRead += s.BytesRead
		total.ReadCalls += s.ReadCalls
	}
	return total
}

// ManifestFiles lists the cold files of a partition (owner "" for a
// SHARED table) as its latest manifest records them, without opening any,
// for EXPLAIN.
func (m *Manager) ManifestFiles(t *catalog.Table, owner string) ([]systable.ManifestFile, error) {
	mf, err := m.manifests.Get(systable.ManifestID(t.Meta.NamespaceID, t.Meta.TableName, owner))
	if errors.Is(err, systable.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return mf.Files, nil
}
