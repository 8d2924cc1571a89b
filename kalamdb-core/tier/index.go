package tier

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
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

// Secondary index lifecycle. CREATE INDEX publishes the index as
// building; from then on every commit maintains its entries (package
// txn). Once Locks.Barrier has let the commits that started before finish,
// the rows that existed before are the build job's: it reads every
// partition, hot and cold merged, at one snapshot, and writes the entry of
// each live row under the partition's lock, only if that row's current
// version is still the one it read (otherwise a commit has written the
// right entry, or removed it, meanwhile). An empty table skips the job.
// The index becomes ready, and queries use it, when the job ends.
//
// A build interrupted by a crash or a shutdown stays building and is
// started again at the next start (ResumeIndexBuilds); writing an entry
// twice is harmless. One that crashed the server at every start up to
// the bound (jobs.Manager.GiveUp) is not: the index is removed, as a
// failed build's is. KILL JOB and DROP INDEX cancel it and remove the
// index; a build that fails removes it too, with the error in its job.

// buildBatchRows is how many entries a build writes per batch (and per
// hold of a partition lock).
const buildBatchRows = 1024

// Failpoints of an index build (see the flush's).
const (
	FailIndexBuildBeforeWrite = "index_build.before_write" // before each batch of entries
	FailIndexBuildBeforeReady = "index_build.before_ready" // every entry written, index still building
	FailIndexBuildCancelled   = "index_build.cancelled"    // DROP INDEX or KILL JOB cancelled a build and waits for it
)

// indexBuilds tracks the running and queued build jobs, to cancel them.
type indexBuilds struct {
	mu   sync.Mutex
	jobs map[string]indexBuild // by job id
}

type indexBuild struct {
	tableID string
	indexID uint32
}

func (b *indexBuilds) add(jobID string, ib indexBuild) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.jobs[jobID] = ib
}

func (b *indexBuilds) remove(jobID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.jobs, jobID)
}

func (b *indexBuilds) lookup(jobID string) (indexBuild, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ib, ok := b.jobs[jobID]
	return ib, ok
}

// find returns the jobs building an index.
func (b *indexBuilds) find(ib indexBuild) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for id, x := range b.jobs {
		if x == ib {
			out = append(out, id)
		}
	}
	return out
}

// CreatedIndex is what CREATE INDEX did.
type CreatedIndex struct {
	Table   *catalog.Table
	Index   systable.IndexDef
	Created bool
	// JobID is the build job, or "" when the index was ready at once.
	JobID string
}

// CreateIndex runs CREATE INDEX (its namespace resolved): the index is
// published building and built by a job, or made ready at once when the
// table has no rows.
func (m *Manager) CreateIndex(st *dialect.CreateIndex) (CreatedIndex, error) {
	t, def, created, err := m.cat.CreateIndex(st)
	if err != nil || !created {
		return CreatedIndex{Table: t, Index: def}, err
	}
	res := CreatedIndex{Table: t, Index: def, Created: true}
	// From here on every commit maintains the index; wait for those that
	// may have started before it existed.
	m.locks.Barrier()
	empty, err := m.tableEmpty(t)
	if err == nil && empty {
		if res.Table, err = m.cat.SetIndexState(t, def.IndexID, systable.IndexReady); err == nil {
			res.Index.State = systable.IndexReady
			return res, nil
		}
	}
	if err == nil {
		if res.JobID, err = m.submitIndexBuild(t, def, 0); err == nil {
			return res, nil
		}
	}
	// The index is half made: take it away again (a crash instead leaves
	// it building, and the next start builds it).
	if dropErr := m.removeIndex(t, def.IndexID); dropErr != nil {
		err = errors.Join(err, dropErr)
	}
	return CreatedIndex{}, err
}

// tableEmpty reports whether a table has no hot version and no cold file.
func (m *Manager) tableEmpty(t *catalog.Table) (bool, error) {
	shape, err := m.tables.Get(t)
	if err != nil {
		return false, err
	}
	it, err := shape.CF.NewIter(kv.IterOptions{})
	if err != nil {
		return false, tableError(shape, err)
	}
	hot := it.First()
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return false, tableError(shape, err)
	}
	if hot {
		return false, nil
	}
	manifests, err := m.tableManifests(t)
	if err != nil {
		return false, err
	}
	for _, mf := range manifests {
		if len(mf.Files) > 0 {
			return false, nil
		}
	}
	return true, nil
}

// submitIndexBuild queues the build job of an index.
// crashes carries the count of an interrupted build this one runs again.
func (m *Manager) submitIndexBuild(t *catalog.Table, def systable.IndexDef, crashes int) (string, error) {
	ns, name := t.Meta.NamespaceID, t.Meta.TableName
	ib := indexBuild{tableID: t.Meta.TableID, indexID: def.IndexID}
	var jobID string
	ready := make(chan struct{})
	id, err := m.jobs.Submit(jobs.Spec{Type: jobs.TypeIndexBuild, NamespaceID: ns, TableName: name, Key: t.Meta.TableID,
		Parameters: indexBuildParams{Index: def.Name, IndexID: def.IndexID}, Crashes: crashes},
		func(ctx context.Context, p *jobs.Progress) (any, error) {
			<-ready
			defer m.builds.remove(jobID)
			res, err := m.buildIndex(ctx, t, def.IndexID, p)
			if err != nil && ctx.Err() == nil {
				// A build that fails leaves no index behind: the error is
				// in the job, and CREATE INDEX can be run again.
				if dropErr := m.removeIndex(t, def.IndexID); dropErr != nil {
					err = errors.Join(err, dropErr)
				}
			}
			return res, err
		})
	if err != nil {
		close(ready)
		return "", err
	}
	jobID = id
	m.builds.add(id, ib)
	close(ready)
	return id, nil
}

// IndexBuildResult is the result of an index build job.
type IndexBuildResult struct {
	Index      string `json:"index"`
	Partitions int    `json:"partitions"`
	Entries    int64  `json:"entries_written"`
	Skipped    int64  `json:"rows_changed_meanwhile"`
}

// buildIndex writes the entries of every row that existed when the index
// was published, then makes it ready.
func (m *Manager) buildIndex(ctx context.Context, t *catalog.Table, indexID uint32, p *jobs.Progress) (*IndexBuildResult, error) {
	res := &IndexBuildResult{}
	cur, ok := m.cat.Snapshot().Table(t.Meta.NamespaceID, t.Meta.TableName)
	if !ok || !t.SameTable(cur) {
		return res, nil // dropped since
	}
	def, ok := cur.Meta.IndexByID(indexID)
	if !ok || def.Ready() {
		return res, nil
	}
	res.Index = def.Name
	// Commits that may have read the catalog before the index existed
	// have finished once the barrier is passed; every later one maintains
	// the index. The snapshot is taken after it, so every row is either in
	// the snapshot or written by such a commit.
	m.locks.Barrier()
	shape, err := m.tables.Get(cur)
	if err != nil {
		return res, err
	}
	var ix *tables.Index
	for _, x := range shape.Indexes {
		if x.Def.IndexID == indexID {
			ix = x
		}
	}
	if ix == nil {
		return res, fmt.Errorf("index %s of %s is not resolved", def.Name, cur.Meta.TableID)
	}
	snap, err := m.db.NewSnapshot()
	if err != nil {
		return res, err
	}
	defer snap.Close()
	owners, err := m.partitionOwners(cur, shape, snap)
	if err != nil {
		return res, err
	}
	for _, owner := range owners {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if err := m.buildPartition(ctx, cur, shape, ix, owner, snap, res, p); err != nil {
			return res, err
		}
		res.Partitions++
	}
	m.failpoint(FailIndexBuildBeforeReady)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if _, err := m.cat.SetIndexState(cur, indexID, systable.IndexReady); err != nil {
		return res, err
	}
	return res, nil
}

// partitionOwners lists the partitions of a table that have rows: hot
// ones at snap, and those with a manifest.
func (m *Manager) partitionOwners(t *catalog.Table, shape *tables.Table, snap *kv.Snapshot) ([]string, error) {
	if !shape.IsUser() {
		return []string{""}, nil
	}
	seen := map[string]bool{}
	var out []string
	it, err := shape.CF.NewIter(kv.IterOptions{Snapshot: snap})
	if err != nil {
		return nil, tableError(shape, err)
	}
	for ok := it.First(); ok; {
		u, _, err := keyenc.SplitUserKey(it.Key())
		if err != nil {
			_ = it.Close()
			return nil, tableError(shape, err)
		}
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
		ok = it.SeekGE(kv.PrefixEnd(keyenc.AppendUserPrefix(nil, u)))
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return nil, tableError(shape, err)
	}
	manifests, err := m.tableManifests(t)
	if err != nil {
		return nil, err
	}
	for _, mf := range manifests {
		if !seen[mf.UserID] && len(mf.Files) > 0 {
			seen[mf.UserID] = true
			out = append(out, mf.UserID)
		}
	}
	return out, nil
}

// builtEntry is a live row version a build read, with its index entry.
type builtEntry struct {
	key   []byte // hot key
	seq   int64
	entry []byte
}

// buildPartition writes the entries of one partition's live rows.
func (m *Manager) buildPartition(ctx context.Context, t *catalog.Table, shape *tables.Table, ix *tables.Index, owner string,
	snap *kv.Snapshot, res *IndexBuildResult, p *jobs.Progress) error {
	prefix := shape.PartitionPrefix(owner)
	files, err := m.PartitionFiles(ctx, t, owner, snap)
	if err != nil {
		return err
	}
	defer ReleaseAll(files)
	cursors, err := openCursors(ctx, files, t.Schema, ix.Cols)
	defer closeCursors(cursors)
	if err != nil {
		return err
	}
	var hotEnd []byte
	if len(prefix) > 0 {
		hotEnd = kv.PrefixEnd(prefix)
	}
	it, err := shape.CF.NewIter(kv.IterOptions{LowerBound: prefix, UpperBound: hotEnd, Snapshot: snap})
	if err != nil {
		return tableError(shape, err)
	}
	defer it.Close()
	hotOK := it.First()
	var batch []builtEntry
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// The next key of the merge: the smallest of the hot iterator's
		// and the files'.
		var best []byte
		if hotOK {
			best = it.Key()[len(prefix):]
		}
		for _, c := range cursors {
			r, err := c.Peek()
			if err != nil {
				return err
			}
			if r != nil && (best == nil || bytes.Compare(r.Key, best) < 0) {
				best = r.Key
			}
		}
		if best == nil {
			break
		}
		best = append([]byte(nil), best...)
		var (
			seq     int64 = -1
			live    bool
			vals    []any
			hotSeen bool
		)
		for _, c := range cursors {
			r, _ := c.Peek()
			if r != nil && bytes.Equal(r.Key, best) {
				if r.Seq > seq {
					seq, live, vals = r.Seq, !r.Deleted, r.Values
					if missing := c.Missing(); live && missing != nil {
						shape.FillMissing(vals, ix.Cols, func(i int) bool { return missing[i] })
					}
				}
				c.Next()
			}
		}
		if hotOK && bytes.Equal(it.Key()[len(prefix):], best) {
			hotSeen = true
			h, err := row.DecodeHeader(it.Value())
			if err != nil {
				return tableError(shape, err)
			}
			if h.Seq >= seq {
				seq, live = h.Seq, !h.Deleted
				if live {
					if vals, err = shape.StoredIndexValues(ix, it.Value()); err != nil {
						return tableError(shape, err)
					}
				}
			}
		}
		if live {
			key := append(append([]byte(nil), prefix...), best...)
			entry, err := shape.EntryKey(ix, owner, key, vals)
			if err != nil {
				return err
			}
			batch = append(batch, builtEntry{key: key, seq: seq, entry: entry})
		}
		if hotSeen {
			hotOK = it.Next()
		}
		if len(batch) == buildBatchRows {
			if err := m.writeBuilt(ctx, t, shape, owner, batch, res, p); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := it.Error(); err != nil {
		return tableError(shape, err)
	}
	return m.writeBuilt(ctx, t, shape, owner, batch, res, p)
}

// writeBuilt writes built entries under the partition's lock, each only
// if its row's current version is still the one the build read.
func (m *Manager) writeBuilt(ctx context.Context, t *catalog.Table, shape *tables.Table, owner string, batch []builtEntry,
	res *IndexBuildResult, p *jobs.Progress) error {
	if len(batch) == 0 {
		return nil
	}
	m.failpoint(FailIndexBuildBeforeWrite)
	if err := ctx.Err(); err != nil {
		return err
	}
	unlock := m.locks.Lock(txn.Partition{Family: t.Family, Owner: owner})
	defer unlock()
	var b kv.Batch
	var written int64
	for _, e := range batch {
		seq, found, err := m.currentSeq(ctx, t, shape, owner, e.key)
		if err != nil {
			return err
		}
		if !found || seq != e.seq {
			res.Skipped++
			continue
		}
		b.Put(shape.IndexCF, e.entry, tables.EntryValue(e.seq))
		written++
	}
	if err := m.db.Write(&b); err != nil {
		return tableError(shape, err)
	}
	res.Entries += written
	p.AddRows(written)
	return nil
}

// currentSeq is the _seq of a key's newest committed version: the hot one,
// else the newest cold one. The caller holds the partition's lock.
func (m *Manager) currentSeq(ctx context.Context, t *catalog.Table, shape *tables.Table, owner string, key []byte) (int64, bool, error) {
	v, err := shape.CF.Get(key)
	if err == nil {
		h, err := row.DecodeHeader(v)
		if err != nil {
			return 0, false, tableError(shape, err)
		}
		return h.Seq, true, nil
	}
	if !errors.Is(err, kv.ErrNotFound) {
		return 0, false, tableError(shape, err)
	}
	cv, err := m.NewestVersion(ctx, t, owner, shape.LocalKey(owner, key))
	if err != nil {
		return 0, false, err
	}
	return cv.Seq, cv.Found, nil
}

// DropIndex runs DROP INDEX (its namespace resolved): a build in progress
// is cancelled and waited for, the index leaves the catalog, and its
// entries are deleted once no commit can still be writing them. It
// returns the index's table (nil when IF EXISTS found nothing).
func (m *Manager) DropIndex(ctx context.Context, ns, name string, ifExists bool) (*catalog.Table, error) {
	if t, def, ok := m.cat.Snapshot().Index(ns, name); ok {
		if err := m.cancelBuilds(ctx, indexBuild{tableID: t.Meta.TableID, indexID: def.IndexID}); err != nil {
			return nil, err
		}
	}
	t, def, err := m.cat.DropIndex(ns, name, ifExists)
	if err != nil || t == nil {
		return nil, err
	}
	return t, m.deleteEntries(t, def.IndexID)
}

// cancelBuilds cancels the build jobs of an index and waits for them.
func (m *Manager) cancelBuilds(ctx context.Context, ib indexBuild) error {
	for _, id := range m.builds.find(ib) {
		if err := m.jobs.Kill(id); err != nil {
			if ae, ok := apierror.As(err); !ok || ae.Code != apierror.NotFound && ae.Code != apierror.SQLExecutionError {
				return err
			}
		}
		m.failpoint(FailIndexBuildCancelled)
		if _, err := m.jobs.Wait(ctx, id); err != nil {
			return fmt.Errorf("wait for index build %s: %w", id, err)
		}
		m.builds.remove(id)
	}
	return nil
}

// KillJob runs KILL JOB. Killing an index build cancels it, waits for it
// and removes the index, as an interrupted CREATE INDEX leaves none in
// PostgreSQL; other jobs are only cancelled.
func (m *Manager) KillJob(ctx context.Context, id string) error {
	ib, isBuild := m.builds.lookup(id)
	if err := m.jobs.Kill(id); err != nil {
		return err
	}
	if !isBuild {
		return nil
	}
	m.failpoint(FailIndexBuildCancelled)
	if _, err := m.jobs.Wait(ctx, id); err != nil {
		return fmt.Errorf("wait for index build %s: %w", id, err)
	}
	m.builds.remove(id)
	t, ok := m.cat.Snapshot().Table(tableNameOf(ib.tableID))
	if !ok {
		return nil
	}
	if d, ok := t.Meta.IndexByID(ib.indexID); !ok || d.Ready() {
		return nil
	}
	return m.removeIndex(t, ib.indexID)
}

// tableNameOf splits a table id into namespace and name.
func tableNameOf(tableID string) (string, string) {
	ns, name, _ := strings.Cut(tableID, ":")
	return ns, name
}

// removeIndex drops an index by id (whoever built it is done) and its
// entries. A table or index gone already is not an error.
func (m *Manager) removeIndex(t *catalog.Table, indexID uint32) error {
	cur, ok := m.cat.Snapshot().Table(t.Meta.NamespaceID, t.Meta.TableName)
	if !ok || !t.SameTable(cur) {
		return nil
	}
	def, ok := cur.Meta.IndexByID(indexID)
	if !ok {
		return nil
	}
	dropped, _, err := m.cat.DropIndex(cur.Meta.NamespaceID, def.Name, true)
	if err != nil || dropped == nil {
		return err
	}
	return m.deleteEntries(dropped, indexID)
}

// deleteEntries deletes every entry of a dropped index, after the commits
// that may still have been maintaining it have finished. A crash before
// leaves entries no index reads (ids are never reused);
// ResumeIndexBuilds deletes them at the next start.
func (m *Manager) deleteEntries(t *catalog.Table, indexID uint32) error {
	m.locks.Barrier()
	cf, ok := m.db.LookupColumnFamily(t.IndexFamily())
	if !ok {
		return nil
	}
	var b kv.Batch
	b.DeleteRange(cf, indexIDKey(indexID), indexIDKey(indexID+1))
	if err := m.db.Write(&b); err != nil && !errors.Is(err, kv.ErrDropped) {
		return fmt.Errorf("delete entries of index %d of %s: %w", indexID, t.Meta.TableID, err)
	}
	return nil
}

func indexIDKey(id uint32) []byte { return binary.BigEndian.AppendUint32(nil, id) }

// indexBuildParams are an index build job's parameters.
type indexBuildParams struct {
	Index   string `json:"index"`
	IndexID uint32 `json:"index_id"`
}

// ResumeIndexBuilds starts again the builds a crash or shutdown
// interrupted (every index still building), and deletes the entries of
// indexes dropped just before a crash. Jobs must be running.
//
// interrupted are the jobs jobs.Open reported: a build carries the crash
// count of its index's interrupted build jobs, and an index whose build
// reached the bound (jobs.Manager.GiveUp) is removed instead, as a
// failed build's is, its jobs saying so. Left building with no job, the
// next start would only resume it again.
func (m *Manager) ResumeIndexBuilds(interrupted []*systable.Job) error {
	builds := map[indexBuild][]*systable.Job{}
	for _, j := range interrupted {
		var p indexBuildParams
		if j.JobType != jobs.TypeIndexBuild || json.Unmarshal(j.Parameters, &p) != nil {
			continue
		}
		ib := indexBuild{tableID: systable.TableID(j.NamespaceID, j.TableName), indexID: p.IndexID}
		builds[ib] = append(builds[ib], j)
	}
	for _, t := range m.cat.Snapshot().Tables("") {
		if err := m.deleteStrayEntries(t); err != nil {
			return err
		}
		for _, d := range t.Meta.Indexes {
			if d.Ready() {
				continue
			}
			// A crash between a start's resume and its recording of the
			// interrupted rows leaves two: the higher count is the latest,
			// and the jobs are judged, and recorded, by it.
			js := builds[indexBuild{tableID: t.Meta.TableID, indexID: d.IndexID}]
			crashes := 0
			for _, j := range js {
				crashes = max(crashes, j.Crashes)
			}
			gaveUp := false
			for _, j := range js {
				j.Crashes = crashes
				gaveUp = m.jobs.GiveUp(j, fmt.Sprintf("the index %s was removed: CREATE INDEX builds it again", d.Name)) || gaveUp
			}
			if gaveUp {
				if err := m.removeIndex(t, d.IndexID); err != nil {
					return fmt.Errorf("remove index %s, whose build is not run again: %w", d.Name, err)
				}
				continue
			}
			if _, err := m.submitIndexBuild(t, d, crashes); err != nil {
				return fmt.Errorf("resume build of index %s: %w", d.Name, err)
			}
		}
	}
	return nil
}

// deleteStrayEntries deletes the entries of index ids a table no longer
// has: one seek per distinct id.
func (m *Manager) deleteStrayEntries(t *catalog.Table) error {
	cf, ok := m.db.LookupColumnFamily(t.IndexFamily())
	if !ok {
		return nil
	}
	it, err := cf.NewIter(kv.IterOptions{})
	if err != nil {
		return err
	}
	var b kv.Batch
	for ok := it.First(); ok; {
		k := it.Key()
		if len(k) < 4 {
			b.Delete(cf, append([]byte(nil), k...))
			ok = it.Next()
			continue
		}
		id := binary.BigEndian.Uint32(k)
		if _, known := t.Meta.IndexByID(id); !known {
			b.DeleteRange(cf, indexIDKey(id), indexIDKey(id+1))
		}
		if id == ^uint32(0) {
			break
		}
		ok = it.SeekGE(indexIDKey(id + 1))
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return err
	}
	if b.Len() == 0 {
		return nil
	}
	return m.db.Write(&b)
}
