package tier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Defaults of compaction.
const (
	// DefaultDeletedRetention keeps soft-deleted rows in cold files this
	// long when a table sets no DELETED_RETENTION_HOURS.
	DefaultDeletedRetention = 7 * 24 * time.Hour
	// DefaultCompactAfterFiles starts a compaction of a partition once a
	// flush leaves it with this many files.
	DefaultCompactAfterFiles = 8
	// DefaultObsoleteFileGrace is how long a file replaced by compaction
	// stays on disk for statements that were already reading it.
	DefaultObsoleteFileGrace = 30 * time.Second
)

// CompactResult is the result of a compaction job.
type CompactResult struct {
	Partitions   int   `json:"partitions"`
	FilesBefore  int   `json:"files_before"`
	FilesAfter   int   `json:"files_after"`
	RowsRead     int64 `json:"rows_read"`
	RowsWritten  int64 `json:"rows_written"`
	Superseded   int64 `json:"superseded_versions_dropped"`
	PurgedDelete int64 `json:"deleted_rows_purged"`
	Bytes        int64 `json:"bytes"`
	// SystemPartitionsKept counts the partitions of system users left as
	// they are, and KeptReason says why (keepsSystemPartition).
	SystemPartitionsKept int    `json:"system_partitions_kept,omitempty"`
	KeptReason           string `json:"kept_reason,omitempty"`
}

// SubmitCompaction starts a compaction job of every partition of a
// table, asked for by hand: it ends a hold of the table's compactions
// after its flushes (Manager.holds).
func (m *Manager) SubmitCompaction(t *catalog.Table) (string, error) {
	id, err := m.submitCompaction(t)
	if err == nil {
		m.hold(jobs.TypeCompact, t.Meta.TableID, false)
	}
	return id, err
}

func (m *Manager) submitCompaction(t *catalog.Table) (string, error) {
	if t.Meta.TableType == dialect.TableTypeStream {
		return "", apierror.New(apierror.InvalidSQL, "STREAM table %s.%s has no files to compact", t.Meta.NamespaceID, t.Meta.TableName)
	}
	ns, name := t.Meta.NamespaceID, t.Meta.TableName
	return m.jobs.Submit(jobs.Spec{Type: jobs.TypeCompact, NamespaceID: ns, TableName: name, Key: t.Meta.TableID},
		func(ctx context.Context, p *jobs.Progress) (any, error) {
			return m.compact(ctx, ns, name, p)
		})
}

// tableManifests returns the manifests of every partition of a table.
func (m *Manager) tableManifests(t *catalog.Table) ([]*systable.Manifest, error) {
	if t.Meta.TableType != dialect.TableTypeUser {
		mf, err := m.manifests.Get(systable.TableID(t.Meta.NamespaceID, t.Meta.TableName))
		if errors.Is(err, systable.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []*systable.Manifest{mf}, nil
	}
	return m.manifests.ScanPrefix(systable.TableID(t.Meta.NamespaceID, t.Meta.TableName) + ":")
}

// compact merges each partition's files into one: per key only
// the newest version is kept, and deleted rows older than the table's
// retention are dropped.
func (m *Manager) compact(ctx context.Context, ns, name string, p *jobs.Progress) (*CompactResult, error) {
	// Before the table is resolved: a drop ending after it fails the
	// commits (dropGate).
	seen := m.drops.seen(systable.TableID(ns, name))
	t, shape, storage, fsys, err := m.jobTable(ns, name)
	if err != nil {
		return nil, err
	}
	manifests, err := m.tableManifests(t)
	if err != nil {
		return nil, err
	}
	purgeBefore := time.Now().Add(-t.Meta.DeletedRetention(DefaultDeletedRetention))
	res := &CompactResult{}
	defer func() {
		if res.SystemPartitionsKept > 0 {
			res.KeptReason = KeptUncompactedReason
			m.reportKept(jobs.TypeCompact, t, storage, res.SystemPartitionsKept)
		}
	}()
	for _, mf := range manifests {
		if len(mf.Files) == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if m.keepsSystemPartition(t, storage, mf.UserID) {
			// Its files stay where they are, readable; a merged file
			// would be a new copy of its rows on that storage.
			res.SystemPartitionsKept++
			continue
		}
		if err := m.compactPartition(ctx, t, shape, storage, fsys, mf, purgeBefore, res, p, seen); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (m *Manager) compactPartition(ctx context.Context, t *catalog.Table, shape *tables.Table, storage *systable.Storage,
	fsys cold.Storage, mf *systable.Manifest, purgeBefore time.Time, res *CompactResult, p *jobs.Progress, seen dropsSeen) error {
	files, err := m.PartitionFiles(ctx, t, mf.UserID, nil)
	if err != nil {
		return err
	}
	defer ReleaseAll(files)
	cursors, err := openCursors(ctx, files, t.Schema, nil)
	defer closeCursors(cursors)
	if err != nil {
		return err
	}
	var rowsRead, superseded, purged int64
	src := cold.SourceFunc(func() (cold.Row, bool, error) {
		for {
			var best *cold.Row
			for _, c := range cursors {
				r, err := c.Peek()
				if err != nil {
					return cold.Row{}, false, err
				}
				if r != nil && (best == nil || bytes.Compare(r.Key, best.Key) < 0) {
					best = r
				}
			}
			if best == nil {
				return cold.Row{}, false, nil
			}
			key := best.Key
			var win cold.Row
			var winMissing []bool
			n := 0
			for _, c := range cursors {
				r, _ := c.Peek()
				if r != nil && bytes.Equal(r.Key, key) {
					if n == 0 || r.Seq > win.Seq {
						win, winMissing = *r, c.Missing()
					}
					n++
					c.Next()
				}
			}
			if winMissing != nil && !win.Deleted {
				// The merged file is written under the current schema: a
				// column the old file lacked gets its DEFAULT now, as a
				// read would have given it.
				shape.FillMissing(win.Values, tables.AllColumns(len(t.Schema.Columns)), func(i int) bool { return winMissing[i] })
			}
			rowsRead += int64(n)
			superseded += int64(n - 1)
			if win.Deleted && ids.TimeOf(win.Seq).Before(purgeBefore) {
				purged++
				continue
			}
			return win, true, nil
		}
	})
	dir := catalog.PartitionPath(storage, t, mf.UserID)
	file := path.Join(dir, newBatchName(mf.NextBatch, t.Incarnation()))
	m.failpoint(FailCompactBeforeWrite)
	info, err := cold.WriteFile(ctx, fsys, file, t.Schema, src, cold.WriteOptions{ZstdLevel: 3})
	empty := errors.Is(err, cold.ErrNoRows)
	if err != nil && !empty {
		return fmt.Errorf("compact %s: write %s: %w", t.Meta.TableID, file, err)
	}
	m.failpoint(FailCompactAfterWrite)
	old := append([]systable.ManifestFile(nil), mf.Files...)
	if err := m.swapFiles(t, shape, mf, old, info, empty, seen); err != nil {
		if !empty {
			m.removeUncommitted(ctx, storage.StorageID, fsys, mf.ManifestID, info.Path)
		}
		return err
	}
	m.failpoint(FailCompactAfterSwap)
	m.removeObsolete(storage.StorageID, fsys, dir, old)
	m.writeMirror(ctx, t, seen, fsys, dir, mf)
	res.Partitions++
	res.FilesBefore += len(old)
	if !empty {
		res.FilesAfter++
		res.RowsWritten += info.Rows
		res.Bytes += info.Bytes
	}
	res.RowsRead += rowsRead
	res.Superseded += superseded
	res.PurgedDelete += purged
	p.AddRows(rowsRead)
	p.AddBytes(info.Bytes)
	return nil
}

// swapFiles replaces a partition's merged files by the merged one in its
// manifest, under the partition lock so a commit's cold check never sees a
// half-changed manifest.
func (m *Manager) swapFiles(t *catalog.Table, shape *tables.Table, mf *systable.Manifest, old []systable.ManifestFile, info cold.FileInfo, empty bool, seen dropsSeen) error {
	unlock := m.locks.Lock(txn.Partition{Family: t.Family, Owner: mf.UserID})
	defer unlock()
	merged := make(map[string]bool, len(old))
	for _, f := range old {
		merged[f.Path] = true
	}
	var keep []systable.ManifestFile
	for _, f := range mf.Files {
		if !merged[f.Path] {
			keep = append(keep, f)
		}
	}
	if !empty {
		keep = append([]systable.ManifestFile{info.ManifestFile()}, keep...)
	}
	mf.Files = keep
	mf.NextBatch++
	mf.UpdatedAt = time.Now().UTC()
	var b kv.Batch
	if err := m.manifests.PutInBatch(&b, mf); err != nil {
		return err
	}
	// Not once the table is being dropped: the drop has read the manifests.
	if err := m.commitPartitionManifest(&b, t, mf.ManifestID, seen); err != nil {
		return fmt.Errorf("compact %s: commit manifest: %w", t.Meta.TableID, err)
	}
	return nil
}
