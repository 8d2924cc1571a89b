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
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Failpoints of a flush, in order; a test build of the server can make the
// process exit at any of them to prove that a crash there loses nothing
// and duplicates nothing.
const (
	FailFlushBeforeWrite = "flush.before_write" // snapshot taken, nothing written
	FailFlushAfterWrite  = "flush.after_write"  // file durable, manifest not committed
	FailFlushAfterCommit = "flush.after_commit" // manifest and hot deletes committed
	// The merged file's name is chosen from the manifest read at the
	// job's start, nothing written yet.
	FailCompactBeforeWrite = "compact.before_write"
	FailCompactAfterWrite  = "compact.after_write" // merged file durable, manifest not committed
	FailCompactAfterSwap   = "compact.after_swap"  // manifest lists the merged file only
)

func (m *Manager) failpoint(name string) {
	if m.opts.Failpoint != nil {
		m.opts.Failpoint(name)
	}
}

// FlushResult is the result of a flush job, stored as its result JSON.
type FlushResult struct {
	Partitions int      `json:"partitions"`
	Files      []string `json:"files,omitempty"`
	Rows       int64    `json:"rows"`
	Bytes      int64    `json:"bytes"`
	// Kept counts flushed rows left in the hot tier because they changed
	// while the flush ran; the next flush takes their new version.
	Kept int64 `json:"kept,omitempty"`
	// SystemPartitionsKept counts the partitions of system users left in
	// the hot tier, and KeptReason says why (keepsSystemPartition).
	SystemPartitionsKept int    `json:"system_partitions_kept_hot,omitempty"`
	KeptReason           string `json:"kept_hot_reason,omitempty"`
	// maxFiles is the most files any flushed partition now has.
	maxFiles int
}

func (m *Manager) compactAfterFiles() int {
	if m.opts.CompactAfterFiles > 0 {
		return m.opts.CompactAfterFiles
	}
	return DefaultCompactAfterFiles
}

// SubmitFlush starts a flush job of every partition of a table, asked
// for by hand: it ends a hold of the table's policy flushes.
func (m *Manager) SubmitFlush(t *catalog.Table) (string, error) {
	id, err := m.submitFlush(t, nil)
	if err == nil {
		m.hold(jobs.TypeFlush, t.Meta.TableID, false)
	}
	return id, err
}

// submitFlush starts a flush job of a table, limited to some users when
// users is not empty.
func (m *Manager) submitFlush(t *catalog.Table, users []string) (string, error) {
	if t.Meta.TableType == dialect.TableTypeStream {
		return "", apierror.New(apierror.InvalidSQL, "STREAM table %s.%s is never flushed", t.Meta.NamespaceID, t.Meta.TableName)
	}
	ns, name := t.Meta.NamespaceID, t.Meta.TableName
	var params any
	if len(users) > 0 {
		params = map[string]any{"users": users}
	}
	return m.jobs.Submit(jobs.Spec{Type: jobs.TypeFlush, NamespaceID: ns, TableName: name, Key: t.Meta.TableID, Parameters: params},
		func(ctx context.Context, p *jobs.Progress) (any, error) {
			return m.flush(ctx, ns, name, users, p)
		})
}

// jobTable resolves the table a flush or compaction job works on, as it is
// when the job runs: it may have been altered, or dropped, since the job
// was queued.
func (m *Manager) jobTable(ns, name string) (*catalog.Table, *tables.Table, *systable.Storage, cold.Storage, error) {
	t, ok := m.cat.Snapshot().Table(ns, name)
	if !ok {
		return nil, nil, nil, nil, apierror.New(apierror.TableNotFound, "table %s.%s was dropped", ns, name)
	}
	shape, err := m.tables.Get(t)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	storage, fsys, err := m.tableStorageForWrite(t)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return t, shape, storage, fsys, nil
}

// flushedKey is a hot version a flush wrote to a file.
type flushedKey struct {
	key []byte
	seq int64
}

// tableError wraps a storage error with the table it happened on.
func tableError(s *tables.Table, err error) error { return tables.Error(s.Table, err) }

// flush moves the hot rows of a table (of some users, or all) to Parquet,
// one new file per partition (docs/architecture.md, "Cold tier").
func (m *Manager) flush(ctx context.Context, ns, name string, users []string, p *jobs.Progress) (*FlushResult, error) {
	// Before the table is resolved: a drop ending after it fails the
	// commits (dropGate).
	seen := m.drops.seen(systable.TableID(ns, name))
	t, shape, storage, fsys, err := m.jobTable(ns, name)
	if err != nil {
		return nil, err
	}
	snap, err := m.db.NewSnapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	m.failpoint(FailFlushBeforeWrite)

	res := &FlushResult{}
	ranges := [][2][]byte{{nil, nil}}
	if t.Meta.TableType == dialect.TableTypeUser && len(users) > 0 {
		ranges = ranges[:0]
		for _, u := range users {
			prefix := keyenc.AppendUserPrefix(nil, u)
			ranges = append(ranges, [2][]byte{prefix, kv.PrefixEnd(prefix)})
		}
	}
	defer func() {
		if res.SystemPartitionsKept > 0 {
			res.KeptReason = KeptHotReason
			m.reportKept(jobs.TypeFlush, t, storage, res.SystemPartitionsKept)
		}
		// A partition with many files is compacted next (the job waits for
		// this one: they share the table's key).
		if res.maxFiles >= m.compactAfterFiles() && !m.held(jobs.TypeCompact, t.Meta.TableID) {
			_, _ = m.submitCompaction(t)
		}
	}()
	for _, r := range ranges {
		it, err := shape.CF.NewIter(kv.IterOptions{LowerBound: r[0], UpperBound: r[1], Snapshot: snap})
		if err != nil {
			return nil, tableError(shape, err)
		}
		flushedBefore := res.Partitions
		err = m.flushRange(ctx, t, shape, storage, fsys, it, res, p, seen)
		closeErr := it.Close()
		if err != nil {
			return res, err
		}
		if closeErr != nil {
			return res, tableError(shape, closeErr)
		}
		if res.Partitions > flushedBefore {
			// The flushed versions are deleted (range tombstones) but
			// still in RocksDB's memtable and files, where every scan of
			// the partitions would step over them until a compaction got
			// to them: an ORDER BY ... DESC took milliseconds to find that
			// a flushed partition has no hot rows left.
			if err := shape.CF.CompactRange(r[0], r[1]); err != nil {
				return res, tableError(shape, err)
			}
		}
	}
	return res, nil
}

// flushRange flushes every partition found in an iterator's range.
func (m *Manager) flushRange(ctx context.Context, t *catalog.Table, shape *tables.Table, storage *systable.Storage,
	fsys cold.Storage, it *kv.Iterator, res *FlushResult, p *jobs.Progress, seen dropsSeen) error {
	all := tables.AllColumns(shape.NUser)
	ok := it.First()
	for ok {
		if err := ctx.Err(); err != nil {
			return err
		}
		// The partition of the current key.
		user, prefix := "", []byte(nil)
		if shape.IsUser() {
			u, _, err := keyenc.SplitUserKey(it.Key())
			if err != nil {
				return tableError(shape, err)
			}
			user, prefix = u, keyenc.AppendUserPrefix(nil, u)
			if m.keepsSystemPartition(t, storage, user) {
				res.SystemPartitionsKept++
				ok = it.SeekGE(kv.PrefixEnd(prefix))
				continue
			}
		}
		var flushed []flushedKey
		// The iterator moves at the start of the next call: the row handed
		// to the writer holds views of the current key and value.
		moved := true
		src := cold.SourceFunc(func() (cold.Row, bool, error) {
			if !moved {
				ok = it.Next()
			}
			moved = false
			if !ok || !bytes.HasPrefix(it.Key(), prefix) {
				moved = true
				return cold.Row{}, false, nil
			}
			key, value := it.Key(), it.Value()
			h, err := row.DecodeHeader(value)
			if err != nil {
				return cold.Row{}, false, tableError(shape, err)
			}
			proj, err := shape.Projection(h.SchemaVersion, all)
			if err != nil {
				return cold.Row{}, false, err
			}
			vals := make([]any, len(all))
			if _, err := proj.Decode(value, vals); err != nil {
				return cold.Row{}, false, tableError(shape, err)
			}
			if proj.AnyMissing() {
				// Written before a column existed: the file, written under
				// the current schema, stores the value reads would give.
				shape.FillMissing(vals, all, proj.Missing)
			}
			flushed = append(flushed, flushedKey{key: append([]byte(nil), key...), seq: h.Seq})
			return cold.Row{Key: key[len(prefix):], Seq: h.Seq, Deleted: h.Deleted, Values: vals}, true, nil
		})
		mf, err := m.partitionManifest(t, user)
		if err != nil {
			return err
		}
		dir := catalog.PartitionPath(storage, t, user)
		if err := m.removeOrphans(ctx, storage.StorageID, fsys, dir, mf, t.Incarnation(), m.liveIncarnations,
			storage.StorageType == catalog.StorageS3); err != nil {
			return fmt.Errorf("flush %s: clean %s: %w", t.Meta.TableID, dir, err)
		}
		file := path.Join(dir, newBatchName(mf.NextBatch, t.Incarnation()))
		// Bloom filters are sized for the rows the file will hold; the
		// partition's counter of buffered writes is a close upper bound.
		expected := int64(1)
		if counters, err := m.db.ColumnFamily(txn.CountersFamily); err == nil {
			if n, err := counters.Counter(keyenc.CounterKey(t.Meta.NamespaceID, t.Meta.TableName, partitionOwner(t, user))); err == nil && n > 0 {
				expected = n
			}
		}
		info, err := cold.WriteFile(ctx, fsys, file, t.Schema, src, cold.WriteOptions{ExpectedRows: expected})
		if err != nil {
			return fmt.Errorf("flush %s: write %s: %w", t.Meta.TableID, file, err)
		}
		m.failpoint(FailFlushAfterWrite)
		kept, err := m.commitFlush(t, shape, user, mf, info, flushed, seen)
		if err != nil {
			m.removeUncommitted(ctx, storage.StorageID, fsys, mf.ManifestID, info.Path)
			return err
		}
		m.failpoint(FailFlushAfterCommit)
		m.writeMirror(ctx, t, seen, fsys, dir, mf)
		res.Partitions++
		res.Files = append(res.Files, file)
		res.Rows += info.Rows
		res.Bytes += info.Bytes
		res.Kept += kept
		res.maxFiles = max(res.maxFiles, len(mf.Files))
		p.AddRows(info.Rows)
		p.AddBytes(info.Bytes)
	}
	return it.Error()
}

// partitionManifest returns a partition's current manifest, or a new one.
func (m *Manager) partitionManifest(t *catalog.Table, userID string) (*systable.Manifest, error) {
	owner := partitionOwner(t, userID)
	id := systable.ManifestID(t.Meta.NamespaceID, t.Meta.TableName, owner)
	mf, err := m.manifests.Get(id)
	if errors.Is(err, systable.ErrNotFound) {
		return &systable.Manifest{ManifestID: id, NamespaceID: t.Meta.NamespaceID, TableName: t.Meta.TableName,
			UserID: owner, NextBatch: 1}, nil
	}
	return mf, err
}

// commitFlush makes a written file part of the partition and removes the
// flushed hot versions, in one atomic batch under the partition's commit
// lock: the file is either listed and its rows gone from the hot tier, or
// neither. A version that changed since the flush's snapshot stays hot
// (its newer _seq wins over the file's on read). It returns how many
// flushed versions were kept.
func (m *Manager) commitFlush(t *catalog.Table, shape *tables.Table, userID string, mf *systable.Manifest,
	info cold.FileInfo, flushed []flushedKey, seen dropsSeen) (int64, error) {
	owner := partitionOwner(t, userID)
	unlock := m.locks.Lock(txn.Partition{Family: t.Family, Owner: owner})
	defer unlock()
	var b kv.Batch
	var deleted, kept int64
	if len(flushed) > 0 {
		// One pass over the live keys of the flushed range, in key order
		// like the flushed list. Runs of consecutive live keys that were
		// all flushed unchanged become one range deletion: a typical flush
		// of a partition writes a single range tombstone instead of a
		// delete per row. Any key not flushed (inserted since the
		// snapshot) or changed since breaks the run and stays.
		last := flushed[len(flushed)-1].key
		it, err := shape.CF.NewIter(kv.IterOptions{LowerBound: flushed[0].key, UpperBound: append(append([]byte(nil), last...), 0)})
		if err != nil {
			return 0, tableError(shape, err)
		}
		var runStart, runEnd []byte
		endRun := func() {
			if runStart != nil {
				b.DeleteRange(shape.CF, runStart, append(runEnd, 0))
				runStart, runEnd = nil, nil
			}
		}
		j := 0
		for ok := it.First(); ok; ok = it.Next() {
			k := it.Key()
			for j < len(flushed) && bytes.Compare(flushed[j].key, k) < 0 {
				j++
			}
			deletable := false
			if j < len(flushed) && bytes.Equal(flushed[j].key, k) {
				h, err := row.DecodeHeader(it.Value())
				if err != nil {
					_ = it.Close()
					return 0, tableError(shape, err)
				}
				if h.Seq == flushed[j].seq {
					deletable = true
				} else {
					kept++
				}
			}
			if !deletable {
				endRun()
				continue
			}
			deleted++
			if runStart == nil {
				runStart = append([]byte(nil), k...)
			}
			runEnd = append(runEnd[:0], k...)
		}
		endRun()
		if err := it.Close(); err != nil {
			return 0, tableError(shape, err)
		}
	}
	mf.Files = append(mf.Files, info.ManifestFile())
	mf.NextBatch++
	mf.UpdatedAt = time.Now().UTC()
	if err := m.manifests.PutInBatch(&b, mf); err != nil {
		return 0, err
	}
	counters, err := m.db.ColumnFamily(txn.CountersFamily)
	if err != nil {
		return 0, err
	}
	ckey := keyenc.CounterKey(t.Meta.NamespaceID, t.Meta.TableName, owner)
	n, err := counters.Counter(ckey)
	if err != nil {
		return 0, err
	}
	b.SetCounter(counters, ckey, max(0, n-deleted))
	// One partition's manifest: only its entries stop answering. Not
	// once the table is being dropped: the drop has read the manifests.
	if err := m.commitPartitionManifest(&b, t, mf.ManifestID, seen); err != nil {
		return 0, tableError(shape, err)
	}
	return kept, nil
}
