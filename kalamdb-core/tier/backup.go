package tier

import (
	"context"
	"errors"
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// This file is what backups need of the tiers: a snapshot that keeps the
// Parquet files it can see, the storages to copy files from and into, and
// the steps that make restored tables whole.

// PinnedSnapshot is a RocksDB snapshot that also keeps every Parquet file
// its manifests list until Close, however long a copy of them takes: a
// compaction that replaces them meanwhile retires them, and they are
// deleted only after the pin is released (obsoleteFiles).
type PinnedSnapshot struct {
	*kv.Snapshot
	// Catalog is the catalog as it was just before the snapshot was
	// taken: a statement reading the snapshot later reads only the
	// secondary indexes ready in it (engine.QueryRequest.SnapshotCatalog),
	// since an index built after the snapshot lacks entries of its rows.
	Catalog *catalog.Snapshot
	release func()
}

// Close releases the files and the snapshot. It is safe to call more than
// once.
func (s *PinnedSnapshot) Close() error {
	s.release()
	return s.Snapshot.Close()
}

// OpenPinnedSnapshot pins the current files, then takes a snapshot. The
// order matters: a pin records the generation before the snapshot is
// taken, so every file the snapshot's manifests list is current at the
// pin or retired at a later generation, which waits for the pin.
func (m *Manager) OpenPinnedSnapshot() (*PinnedSnapshot, error) {
	release := m.obsolete.pin()
	cat := m.cat.Snapshot()
	snap, err := m.db.NewSnapshot()
	if err != nil {
		release()
		return nil, fmt.Errorf("open pinned snapshot: %w", err)
	}
	return &PinnedSnapshot{Snapshot: snap, Catalog: cat, release: release}, nil
}

// Storage opens a storage definition for reading its files.
func (m *Manager) Storage(st *systable.Storage) (cold.Storage, error) { return m.storage(st) }

// WritableStorage opens a storage definition for writing files, refusing
// one that breaks the storage rules (catalog.StorageSafety).
func (m *Manager) WritableStorage(st *systable.Storage) (cold.Storage, error) {
	return m.writableStorage(st)
}

// Manifest returns a partition's manifest as of snap (nil snap: the
// latest); a partition without files has none (nil, nil).
func (m *Manager) Manifest(snap *kv.Snapshot, id string) (*systable.Manifest, error) {
	mf, err := m.manifests.GetAt(snap, id)
	if errors.Is(err, systable.ErrNotFound) {
		return nil, nil
	}
	return mf, err
}

// PutManifestInBatch adds a partition's manifest to b (a restore commits
// its tables' manifests with their catalog rows) and counts it as a write
// of the table's manifests in progress (the table's stripe: a restore
// writes every partition of the table): the caller calls end once b is
// written or has failed (a failed write may have been applied). Without
// the count, a settled manifest entry of a table of that id (one resolved
// before a DROP is still read by statements planned before it) would
// answer "no manifest" at a snapshot that sees the restored one until
// TablesRestored moves the table's stripe (manifestWrites).
func (m *Manager) PutManifestInBatch(b *kv.Batch, mf *systable.Manifest) (end func(), err error) {
	if err := m.manifests.PutInBatch(b, mf); err != nil {
		return nil, err
	}
	return m.beginTableWrite(systable.TableID(mf.NamespaceID, mf.TableName)), nil
}

// TablesRestored finishes tables a restore has just committed: it moves
// their epochs and stripes (their manifests were written with the catalog
// rows, and every manifest write moves them once it is visible), writes their
// manifest.json mirrors (a convenience: a failure is returned but
// changes nothing) and starts the build of every index the backup caught
// while it was still building.
func (m *Manager) TablesRestored(ctx context.Context, tables []*catalog.Table) error {
	for _, t := range tables {
		m.beginTableWrite(t.Meta.TableID)()
	}
	var firstErr error
	for _, t := range tables {
		for _, d := range t.Meta.Indexes {
			if d.Ready() {
				continue
			}
			if _, err := m.submitIndexBuild(t, d, 0); err != nil && firstErr == nil {
				firstErr = fmt.Errorf("build index %s of %s: %w", d.Name, t.Meta.TableID, err)
			}
		}
		if t.Meta.StorageID == "" {
			continue
		}
		if err := m.syncMirrors(ctx, t.Meta.NamespaceID, t.Meta.TableName); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return apierror.Wrap(apierror.SQLExecutionError, firstErr, "restored, but finishing the tables failed")
	}
	return nil
}

// BatchIncarnation returns the incarnation a batch file's base name is
// tagged with (newBatchName): a restore's recovery removes the files a
// dead restore copied by the incarnation it gave their table. ok is false
// for a name that is not a batch file's, or an untagged one (written
// before tags), which names no incarnation.
func BatchIncarnation(name string) (incarnation string, ok bool) {
	_, tag, ok := parseBatchName(name)
	if !ok || tag == "" {
		return "", false
	}
	return tagIncarnation(tag), true
}
