package tier

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"sync"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// obsoleteFiles keeps Parquet files that a compaction replaced until no
// reader can still need them.
//
// A reader at a RocksDB snapshot reads the manifest as of that snapshot,
// so it may open files that a later compaction has already replaced.
// Statements are short: a grace period after the compaction commits
// covers them. A live query's initial data is read at one snapshot over
// as many next_batch requests as the client takes, for any length of
// time, so each such snapshot pins the files: a file made obsolete at
// generation G is removed only once the grace has passed and every pin
// taken at a generation below G is released.
//
// Invariants: a pin records the generation before its snapshot is taken,
// and a compaction bumps the generation after its manifest commits, so a
// snapshot that can see a replaced file always holds a pin below the
// file's generation (a pin taken just after the commit is merely
// conservative). Files awaiting removal are not orphans: removeOrphans
// skips them, or a flush of the partition would delete them under a
// reader.
type obsoleteFiles struct {
	mu      sync.Mutex
	gen     uint64
	pins    map[uint64]uint64 // pin id -> generation when pinned
	nextPin uint64
	// pending are the files awaiting removal, by storage id and path.
	pending map[obsoleteKey]struct{}
	// released is closed and replaced whenever a pin is released.
	released chan struct{}
	// drained is closed and replaced whenever pending becomes empty.
	drained chan struct{}
}

type obsoleteKey struct{ storageID, path string }

func newObsoleteFiles() *obsoleteFiles {
	return &obsoleteFiles{pins: map[uint64]uint64{}, pending: map[obsoleteKey]struct{}{}, released: make(chan struct{}),
		drained: make(chan struct{})}
}

// pin holds files that are current now until release is called.
func (o *obsoleteFiles) pin() (release func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.nextPin++
	id := o.nextPin
	o.pins[id] = o.gen
	var once sync.Once
	return func() {
		once.Do(func() {
			o.mu.Lock()
			defer o.mu.Unlock()
			delete(o.pins, id)
			close(o.released)
			o.released = make(chan struct{})
		})
	}
}

// retire records files that a committed compaction replaced and returns
// their generation.
func (o *obsoleteFiles) retire(storageID string, files []systable.ManifestFile) uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.gen++
	for _, f := range files {
		o.pending[obsoleteKey{storageID, f.Path}] = struct{}{}
	}
	return o.gen
}

// pinnedBelow reports whether a pin older than gen is held, and returns
// the channel closed at the next release.
func (o *obsoleteFiles) pinnedBelow(gen uint64) (bool, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, g := range o.pins {
		if g < gen {
			return true, o.released
		}
	}
	return false, nil
}

// isPending reports whether a file awaits removal.
func (o *obsoleteFiles) isPending(storageID, path string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.pending[obsoleteKey{storageID, path}]
	return ok
}

func (o *obsoleteFiles) done(storageID string, files []systable.ManifestFile) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, f := range files {
		delete(o.pending, obsoleteKey{storageID, f.Path})
	}
	if len(o.pending) == 0 {
		close(o.drained)
		o.drained = make(chan struct{})
	}
}

// WaitObsoleteRemoved waits until no file that a compaction replaced
// awaits removal: their grace has passed, no reader pins them, and they
// are gone (or could not be removed: orphans then, see removeObsolete).
// The removal runs on a goroutine of its own after the compaction's job
// has ended, so whoever looks at a partition's directory after a
// compaction (tests, a tool) waits here first rather than for a while.
// With the default grace it waits at least that long; it returns ctx's
// error if ctx ends first.
func (m *Manager) WaitObsoleteRemoved(ctx context.Context) error {
	for {
		m.obsolete.mu.Lock()
		empty, drained := len(m.obsolete.pending) == 0, m.obsolete.drained
		m.obsolete.mu.Unlock()
		if empty {
			return nil
		}
		select {
		case <-drained:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// removeObsolete deletes files no manifest lists any more, once no reader
// can need them (see obsoleteFiles). If the server stops first, they are
// removed at Close, when no reader is left; after a crash they are orphans
// that the partition's next flush removes. Only batch files directly in
// the partition's directory dir are deleted: a manifest entry naming
// anything else was not written by this server.
func (m *Manager) removeObsolete(storageID string, fsys cold.Storage, dir string, files []systable.ManifestFile) {
	if len(files) == 0 {
		return
	}
	gen := m.obsolete.retire(storageID, files)
	m.obsoleteWG.Add(1)
	go func() {
		defer m.obsoleteWG.Done()
		defer m.obsolete.done(storageID, files)
		grace := time.NewTimer(m.obsoleteGrace())
		defer grace.Stop()
		select {
		case <-grace.C:
		case <-m.closing:
		}
	wait:
		for {
			pinned, released := m.obsolete.pinnedBelow(gen)
			if !pinned {
				break
			}
			select {
			case <-released:
			case <-m.closing:
				break wait // stopping: the readers that held the pins are gone
			}
		}
		for _, f := range files {
			m.files.forget(storageID, f.Path)
			if _, ok := batchNumber(path.Base(f.Path)); !ok || path.Dir(f.Path) != dir {
				continue
			}
			if err := fsys.Remove(context.Background(), f.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				continue // an orphan now; the next flush of the partition removes it
			}
		}
	}()
}

func (m *Manager) obsoleteGrace() time.Duration {
	if m.opts.ObsoleteFileGrace > 0 {
		return m.opts.ObsoleteFileGrace
	}
	return DefaultObsoleteFileGrace
}
