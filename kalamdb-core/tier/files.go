package tier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// fileCache keeps cold files open (their footers parsed) across
// statements. Files are immutable, so a cached one is always valid; it is
// closed when evicted and no statement uses it.
type fileCache struct {
	mu    sync.Mutex
	max   int
	files map[string]*File
	tick  uint64
	// pages holds what reads decode from the files (pages, footers, page
	// indexes, bloom filters), shared by all of them.
	pages *cold.Cache
}

type File struct {
	f     *cold.File
	refs  int
	used  uint64
	dead  bool // evicted while in use: close on last release
	cache *fileCache
	key   string
}

func newFileCache(max int, pages *cold.Cache) *fileCache {
	return &fileCache{max: max, files: map[string]*File{}, pages: pages}
}

// open returns the file at path of a storage, opened once and shared.
func (c *fileCache) open(ctx context.Context, storageID string, fsys cold.Storage, path string) (*File, error) {
	key := storageID + "\x00" + path
	c.mu.Lock()
	if cf, ok := c.files[key]; ok {
		cf.refs++
		c.tick++
		cf.used = c.tick
		c.mu.Unlock()
		return cf, nil
	}
	c.mu.Unlock()
	f, err := cold.OpenFileWith(ctx, fsys, path, cold.OpenOptions{Cache: c.pages, StorageID: storageID})
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
	cf := &File{f: f, refs: 1, used: c.tick, cache: c, key: key}
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
		delete(c.files, victim.key)
		if victim.refs == 0 {
			_ = victim.f.Close()
		} else {
			victim.dead = true
		}
	}
}

// forget drops a file (deleted by compaction or cleanup) from the cache.
func (c *fileCache) forget(storageID, path string) {
	c.pages.Invalidate(storageID, path)
	c.mu.Lock()
	defer c.mu.Unlock()
	key := storageID + "\x00" + path
	if cf, ok := c.files[key]; ok {
		delete(c.files, key)
		if cf.refs == 0 {
			_ = cf.f.Close()
		} else {
			cf.dead = true
		}
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
	for k, cf := range c.files {
		if cf.refs == 0 {
			_ = cf.f.Close()
		} else {
			cf.dead = true
		}
		delete(c.files, k)
	}
}

// PartitionFiles opens the cold files of a partition as listed by its
// manifest at snap (nil snap: the latest manifest), newest first.
func (m *Manager) PartitionFiles(ctx context.Context, t *catalog.Table, owner string, snap *kv.Snapshot) ([]*File, error) {
	id := systable.ManifestID(t.Meta.NamespaceID, t.Meta.TableName, owner)
	var mf *systable.Manifest
	var err error
	if snap != nil {
		mf, err = m.manifests.GetAt(snap, id)
	} else {
		mf, err = m.manifests.Get(id)
	}
	if errors.Is(err, systable.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(mf.Files) == 0 {
		return nil, nil
	}
	st, fsys, err := m.tableStorage(t)
	if err != nil {
		return nil, err
	}
	files := make([]systable.ManifestFile, len(mf.Files))
	copy(files, mf.Files)
	sort.SliceStable(files, func(i, j int) bool { return files[i].MaxSeq > files[j].MaxSeq })
	out := make([]*File, 0, len(files))
	for _, mf := range files {
		cf, err := m.files.open(ctx, st.StorageID, fsys, mf.Path)
		if err != nil {
			for _, o := range out {
				o.Release()
			}
			return nil, apierror.Wrap(apierror.SQLExecutionError, err,
				fmt.Sprintf("cold data of %s.%s is unreadable (%s); the hot rows are intact",
					t.Meta.NamespaceID, t.Meta.TableName, unreadableReason(err)))
		}
		out = append(out, cf)
	}
	return out, nil
}

// Lookup finds the newest cold version of a partition-local key, and
// which wanted columns its file lacks (written before they existed).
func Lookup(ctx context.Context, files []*File, current *systable.TableSchema, want []int, local []byte) (cold.Row, []bool, bool, error) {
	for _, cf := range files {
		r, found, err := cf.f.Lookup(ctx, current, want, local)
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

// Epoch implements txn.Cold: it moves, under the partition lock,
// whenever a flush, compaction or drop changes the table's files.
func (m *Manager) Epoch(tableID string) uint64 { return m.epoch(tableID).Load() }

// NewestVersion implements txn.Cold: the newest cold version of a key,
// reading the latest manifest; commit validation calls it under the
// partition's lock, which flush and compaction also take to change a
// manifest.
func (m *Manager) NewestVersion(ctx context.Context, t *catalog.Table, owner string, local []byte) (txn.ColdVersion, error) {
	files, err := m.PartitionFiles(ctx, t, owner, nil)
	if err != nil || len(files) == 0 {
		return txn.ColdVersion{}, err
	}
	defer ReleaseAll(files)
	r, _, found, err := Lookup(ctx, files, t.Schema, []int{}, local)
	if err != nil || !found {
		return txn.ColdVersion{}, err
	}
	return txn.ColdVersion{Seq: r.Seq, Deleted: r.Deleted, Found: true}, nil
}

// Cursor walks one file's rows of a key range. Forward scans stream
// rows from a goroutine in batches, so a LIMIT stops the read early and a
// large file is never held in memory; reverse scans (ORDER BY pk DESC)
// read the range and walk it backwards.
type Cursor struct {
	// missing marks the wanted columns the file lacks.
	missing []bool
	rows    []cold.Row
	i       int
	reverse bool

	batches chan []cold.Row
	errc    chan error
	cancel  context.CancelFunc
	done    bool
	err     error
}

// Missing marks the wanted columns the cursor's file lacks (written
// before they existed), or is nil when it has them all.
func (c *Cursor) Missing() []bool { return c.missing }

const coldBatchRows = 512

func OpenCursor(ctx context.Context, file *File, current *systable.TableSchema, want []int, lo, hi []byte, reverse bool) (*Cursor, error) {
	f := file.f
	missing, err := f.Missing(current, want)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(missing, true) {
		missing = nil
	}
	if reverse {
		var rows []cold.Row
		err := f.ScanRange(ctx, current, want, lo, hi, func(r cold.Row) error {
			rows = append(rows, r)
			return nil
		})
		if err != nil {
			return nil, err
		}
		return &Cursor{rows: rows, i: len(rows) - 1, reverse: true, done: true, missing: missing}, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &Cursor{batches: make(chan []cold.Row, 2), errc: make(chan error, 1), cancel: cancel, missing: missing}
	go func() {
		batch := make([]cold.Row, 0, coldBatchRows)
		err := f.ScanRange(ctx, current, want, lo, hi, func(r cold.Row) error {
			batch = append(batch, r)
			if len(batch) == coldBatchRows {
				select {
				case c.batches <- batch:
				case <-ctx.Done():
					return ctx.Err()
				}
				batch = make([]cold.Row, 0, coldBatchRows)
			}
			return nil
		})
		if err == nil && len(batch) > 0 {
			select {
			case c.batches <- batch:
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
		c.errc <- err
		close(c.batches)
	}()
	return c, nil
}

// openCursors opens a forward cursor over each whole file, wanting the
// given columns; on an error it returns the cursors opened so far, which
// the caller closes (closeCursors) in every case.
func openCursors(ctx context.Context, files []*File, current *systable.TableSchema, want []int) ([]*Cursor, error) {
	cursors := make([]*Cursor, 0, len(files))
	for _, f := range files {
		c, err := OpenCursor(ctx, f, current, want, nil, nil, false)
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

// Peek returns the cursor's current row, or nil at the end.
func (c *Cursor) Peek() (*cold.Row, error) {
	if c.reverse {
		if c.i < 0 {
			return nil, nil
		}
		return &c.rows[c.i], nil
	}
	for c.i >= len(c.rows) {
		if c.done {
			return nil, c.err
		}
		b, ok := <-c.batches
		if !ok {
			c.done = true
			if err := <-c.errc; err != nil && !errors.Is(err, context.Canceled) {
				c.err = err
			}
			return nil, c.err
		}
		c.rows, c.i = b, 0
	}
	return &c.rows[c.i], nil
}

func (c *Cursor) Next() {
	if c.reverse {
		c.i--
	} else {
		c.i++
	}
}

// Close stops the producer and waits for it, so no goroutine outlives the
// scan.
func (c *Cursor) Close() {
	if c.cancel == nil || c.done {
		return
	}
	c.cancel()
	for range c.batches {
	}
	<-c.errc
	c.done = true
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
		total.RowsDecoded += s.RowsDecoded
		total.BytesRead += s.BytesRead
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
