package engine

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

// Reads merge the tiers (DESIGN §5): for every key, the version with the
// highest _seq wins. A hot version, when there is one, is always the
// newest (a flush removes a hot version only if it is the one it wrote),
// and among files a later one holds newer versions. Rows whose winning
// version is _deleted are hidden like hot ones.

// fileCache keeps cold files open (their footers parsed) across
// statements. Files are immutable, so a cached one is always valid; it is
// closed when evicted and no statement uses it.
type fileCache struct {
	mu    sync.Mutex
	max   int
	files map[string]*cachedFile
	tick  uint64
}

type cachedFile struct {
	f     *cold.File
	refs  int
	used  uint64
	dead  bool // evicted while in use: close on last release
	cache *fileCache
	key   string
}

func newFileCache(max int) *fileCache {
	return &fileCache{max: max, files: map[string]*cachedFile{}}
}

// open returns the file at path of a storage, opened once and shared.
func (c *fileCache) open(ctx context.Context, storageID string, fsys cold.Storage, path string) (*cachedFile, error) {
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
	f, err := cold.OpenFile(ctx, fsys, path)
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
	cf := &cachedFile{f: f, refs: 1, used: c.tick, cache: c, key: key}
	c.files[key] = cf
	c.evictLocked()
	return cf, nil
}

func (c *fileCache) evictLocked() {
	for len(c.files) > c.max {
		var victim *cachedFile
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

func (cf *cachedFile) release() {
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

// partitionFiles opens the cold files of a partition as listed by its
// manifest at snap (nil snap: the latest manifest), newest first.
func (e *Engine) partitionFiles(ctx context.Context, t *catalog.Table, owner string, snap *kv.Snapshot) ([]*cachedFile, error) {
	id := systable.ManifestID(t.Meta.NamespaceID, t.Meta.TableName, owner)
	var m *systable.Manifest
	var err error
	if snap != nil {
		m, err = e.cold.manifests.GetAt(snap, id)
	} else {
		m, err = e.cold.manifests.Get(id)
	}
	if errors.Is(err, systable.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(m.Files) == 0 {
		return nil, nil
	}
	st, fsys, err := e.tableStorage(t)
	if err != nil {
		return nil, err
	}
	files := make([]systable.ManifestFile, len(m.Files))
	copy(files, m.Files)
	sort.SliceStable(files, func(i, j int) bool { return files[i].MaxSeq > files[j].MaxSeq })
	out := make([]*cachedFile, 0, len(files))
	for _, mf := range files {
		cf, err := e.cold.files.open(ctx, st.StorageID, fsys, mf.Path)
		if err != nil {
			for _, o := range out {
				o.release()
			}
			return nil, apierror.Wrap(apierror.SQLExecutionError, err,
				fmt.Sprintf("cold data of %s.%s is unreadable (a listed file is missing or corrupt); the hot rows are intact",
					t.Meta.NamespaceID, t.Meta.TableName))
		}
		out = append(out, cf)
	}
	return out, nil
}

// coldLookup finds the newest cold version of a partition-local key, and
// which wanted columns its file lacks (written before they existed).
func coldLookup(ctx context.Context, files []*cachedFile, current *systable.TableSchema, want []int, local []byte) (cold.Row, []bool, bool, error) {
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

// coldVersions is the cold tier as transactions see it (txn.Cold).
type coldVersions struct{ e *Engine }

// Epoch implements txn.Cold: the table's flush epoch, moved under the
// partition lock whenever a flush, compaction or drop changes its files.
func (c coldVersions) Epoch(tableID string) uint64 { return c.e.cold.epoch(tableID).Load() }

// NewestVersion implements txn.Cold: the newest cold version of a key,
// reading the latest manifest; commit validation calls it under the
// partition's lock, which flush and compaction also take to change a
// manifest.
func (c coldVersions) NewestVersion(ctx context.Context, t *catalog.Table, owner string, local []byte) (txn.ColdVersion, error) {
	files, err := c.e.partitionFiles(ctx, t, owner, nil)
	if err != nil || len(files) == 0 {
		return txn.ColdVersion{}, err
	}
	defer func() {
		for _, f := range files {
			f.release()
		}
	}()
	r, _, found, err := coldLookup(ctx, files, t.Schema, []int{}, local)
	if err != nil || !found {
		return txn.ColdVersion{}, err
	}
	return txn.ColdVersion{Seq: r.Seq, Deleted: r.Deleted, Found: true}, nil
}

// coldCursor walks one file's rows of a key range. Forward scans stream
// rows from a goroutine in batches, so a LIMIT stops the read early and a
// large file is never held in memory; reverse scans (ORDER BY pk DESC)
// read the range and walk it backwards.
type coldCursor struct {
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

const coldBatchRows = 512

func openColdCursor(ctx context.Context, f *cold.File, current *systable.TableSchema, want []int, lo, hi []byte, reverse bool) (*coldCursor, error) {
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
		return &coldCursor{rows: rows, i: len(rows) - 1, reverse: true, done: true, missing: missing}, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &coldCursor{batches: make(chan []cold.Row, 2), errc: make(chan error, 1), cancel: cancel, missing: missing}
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

// peek returns the cursor's current row, or nil at the end.
func (c *coldCursor) peek() (*cold.Row, error) {
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

func (c *coldCursor) next() {
	if c.reverse {
		c.i--
	} else {
		c.i++
	}
}

// close stops the producer and waits for it, so no goroutine outlives the
// scan.
func (c *coldCursor) close() {
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
func (e *Engine) ColdReadStats() cold.Stats {
	c := e.cold.files
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
