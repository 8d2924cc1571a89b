package tier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// cleanupParams are the parameters of a cleanup job: the cold files and
// directories of a dropped table.
type cleanupParams struct {
	StorageID string    `json:"storage_id"`
	Files     []string  `json:"files"`
	DroppedAt time.Time `json:"dropped_at"`
	// BaseDirectory is the storage's path at the drop. Once no table uses
	// the storage its path may change; the files stay where they were.
	BaseDirectory string `json:"base_directory,omitempty"`
	// Layout is where the table's partitions were. Nil in jobs recorded
	// before it existed, or for a storage whose templates break the rules:
	// then only the listed files are removed.
	Layout *catalog.TableLayout `json:"layout,omitempty"`
	// MaxBatch bounds the batch files the table's writers can have
	// produced: the highest next batch number of its partitions (a
	// partition without a manifest has only ever been writing batch 1).
	MaxBatch int64 `json:"max_batch,omitempty"`
}

// cleanupResult is a cleanup job's result JSON.
type cleanupResult struct {
	FilesRemoved int `json:"files_removed"`
	FilesKept    int `json:"files_kept"`
	DirsRemoved  int `json:"dirs_removed"`
}

// DropTable is the tiers' part of dropping a table (a catalog.DropWork):
// it removes the table's manifests in the batch that drops its metadata,
// and records a cleanup job for its files and directories in that batch
// too, so they are deleted even if the server dies right after the drop.
// The returned function, run once the batch is written or has failed,
// ends the table write (moving the table's epoch after the manifests are
// gone, as for every manifest write) and, only if the batch committed,
// launches the job.
func (m *Manager) DropTable(b *kv.Batch, t *catalog.Table) (func(committed bool), error) {
	if t.Meta.TableType == dialect.TableTypeStream {
		return nil, nil
	}
	// From before the manifests are read until the batch deleting them is
	// written or has failed, no flush or compaction commits one (dropGate).
	undrop := m.drops.beginDrop(t.Meta.TableID)
	after, err := m.dropTable(b, t)
	if err != nil {
		undrop()
		return nil, err
	}
	return func(committed bool) {
		after(committed)
		undrop()
	}, nil
}

// dropTable is DropTable's work once the table is marked as being dropped.
func (m *Manager) dropTable(b *kv.Batch, t *catalog.Table) (func(committed bool), error) {
	ms, err := m.tableManifests(t)
	if err != nil {
		return nil, fmt.Errorf("drop %s: manifests: %w", t.Meta.TableID, err)
	}
	params := cleanupParams{StorageID: t.Meta.StorageID, DroppedAt: time.Now().UTC(), MaxBatch: 1}
	for _, mf := range ms {
		params.MaxBatch = max(params.MaxBatch, mf.NextBatch)
		m.manifests.DeleteInBatch(b, mf.ManifestID)
		for _, f := range mf.Files {
			params.Files = append(params.Files, f.Path)
		}
	}
	// The drop's batch deletes every manifest of the table: it is a write
	// of the table in progress (beginTableWrite) from here until the
	// caller has written it or given up. The catalog runs the returned
	// function on every path (catalog.DropWork), so a failed batch ends
	// the count too: left up, it would make the settled entries of this
	// table, and of the tables sharing its stripe, miss until a restart.
	if st, ok := m.cat.Snapshot().Storage(t.Meta.StorageID); ok && st.StorageType == catalog.StorageFilesystem {
		params.BaseDirectory = st.BaseDirectory
		if tmpl, err := catalog.TemplateOf(st, t); err == nil {
			l := tmpl.Layout(t.Meta.NamespaceID, t.Meta.TableName)
			params.Layout = &l
		}
	}
	if len(params.Files) == 0 && params.Layout == nil {
		ended := m.beginTableWrite(t.Meta.TableID)
		return func(bool) { ended() }, nil
	}
	// Even a table without files may have left a directory (a first
	// flush that died before its commit), so the job runs for every
	// dropped table.
	spec := jobs.Spec{Type: jobs.TypeCleanup, NamespaceID: t.Meta.NamespaceID, TableName: t.Meta.TableName, Parameters: params}
	j, err := m.jobs.Prepare(b, spec)
	if err != nil {
		return nil, err
	}
	ended := m.beginTableWrite(t.Meta.TableID)
	return func(committed bool) {
		ended()
		if !committed {
			// The table and its files stay; a batch that failed after
			// being applied recorded the job, which a restart retries.
			return
		}
		// The table's key: a table re-created under the same name neither
		// flushes into a directory this job is removing, nor the other way.
		_ = m.jobs.Launch(j, t.Meta.TableID, m.cleanupRun(t.Meta.NamespaceID, params))
	}, nil
}

// cleanupRun deletes a dropped table's files, then its directories that
// are left empty. Only what the server wrote is deleted: batch files,
// manifest mirrors and temporary files of the partitions' directories,
// last modified before the drop (a newer one belongs to a table created
// since under the same name and path). A directory is removed only once
// empty, from the partitions up to the table's own directory (the
// namespace's, once the namespace is dropped too), never above: foreign
// files keep their directories, and the storage's base is never removed.
func (m *Manager) cleanupRun(namespace string, p cleanupParams) jobs.RunFunc {
	return func(ctx context.Context, prog *jobs.Progress) (any, error) {
		snap := m.cat.Snapshot()
		st, ok := snap.Storage(p.StorageID)
		if !ok {
			return nil, fmt.Errorf("storage %s no longer exists; %d files of the dropped table remain in it", p.StorageID, len(p.Files))
		}
		if p.BaseDirectory != "" && st.BaseDirectory != p.BaseDirectory {
			return nil, fmt.Errorf("storage %s has moved since the drop; the dropped table's files remain in its old directory", p.StorageID)
		}
		fsys, err := m.writableStorage(st)
		if err != nil {
			return nil, err
		}
		res := &cleanupResult{}
		if p.Layout != nil {
			// Every listed file is in a partition directory of the layout,
			// which the walk visits.
			minDepth := p.Layout.TableDepth
			if _, ok := snap.Namespace(namespace); !ok {
				minDepth = p.Layout.NamespaceDepth
			}
			c := &dirCleaner{m: m, fsys: fsys, storageID: p.StorageID, segments: p.Layout.Segments, partitions: true,
				maxBatch: p.MaxBatch, droppedAt: p.DroppedAt, minDepth: minDepth, res: res, prog: prog}
			if err := c.walk(ctx, 0, "."); err != nil {
				return nil, err
			}
			return res, nil
		}
		for _, f := range p.Files {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if _, ok := batchNumber(path.Base(f)); !ok {
				continue // not a name this server writes: not ours to delete
			}
			if err := m.removeIfBefore(ctx, fsys, p.StorageID, f, p.DroppedAt, res, prog); err != nil {
				return nil, err
			}
		}
		return res, nil
	}
}

// removeIfBefore deletes a file of a dropped table unless it changed
// since the drop.
func (m *Manager) removeIfBefore(ctx context.Context, fsys cold.Storage, storageID, f string, droppedAt time.Time,
	res *cleanupResult, prog *jobs.Progress) error {
	info, err := fsys.Stat(ctx, f)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if info.IsDir {
		return nil
	}
	if !info.ModTime.Before(droppedAt) {
		res.FilesKept++
		return nil
	}
	m.files.forget(storageID, f)
	if err := fsys.Remove(ctx, f); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	res.FilesRemoved++
	prog.AddRows(1)
	return nil
}

// dirCleaner walks the directories a dropped table's (or namespace's)
// layout can produce.
type dirCleaner struct {
	m         *Manager
	fsys      cold.Storage
	storageID string
	// segments of the directories to walk; the user's segment is
	// catalog.PlaceholderUser.
	segments []string
	// partitions: the deepest directories are partitions, whose files
	// (up to maxBatch, modified before droppedAt) are removed.
	partitions bool
	maxBatch   int64
	droppedAt  time.Time
	minDepth   int
	res        *cleanupResult
	prog       *jobs.Progress
}

// walk visits dir, the directory of the first i segments: the user's
// segment matches every subdirectory named as a user id may be, the
// others only themselves. At a partition directory it removes the
// server's files; on the way back it removes directories left empty at
// or below minDepth.
func (c *dirCleaner) walk(ctx context.Context, i int, dir string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	segs := c.segments
	switch {
	case i == len(segs):
		if c.partitions {
			if err := c.cleanPartition(ctx, dir); err != nil {
				return err
			}
		}
	case segs[i] == catalog.PlaceholderUser:
		entries, err := listIfExists(ctx, c.fsys, dir)
		if err != nil {
			return err
		}
		for _, en := range entries {
			if en.IsDir && keyenc.ValidateUserID(en.Name) == nil {
				if err := c.walk(ctx, i+1, path.Join(dir, en.Name)); err != nil {
					return err
				}
			}
		}
	default:
		if err := c.walk(ctx, i+1, path.Join(dir, segs[i])); err != nil {
			return err
		}
	}
	if i == 0 || i-1 < c.minDepth {
		return nil
	}
	err := c.fsys.RemoveDir(ctx, dir)
	switch {
	case err == nil:
		c.res.DirsRemoved++
	case errors.Is(err, cold.ErrDirNotEmpty), errors.Is(err, fs.ErrNotExist):
	default:
		return err
	}
	return nil
}

// cleanPartition removes the server's files from one partition directory
// of the dropped table: batch files up to MaxBatch (listed or orphaned:
// nothing of a dropped table is referenced any more), its manifest mirror
// and temporary files, all last modified before the drop.
func (c *dirCleaner) cleanPartition(ctx context.Context, dir string) error {
	entries, err := listIfExists(ctx, c.fsys, dir)
	if err != nil {
		return err
	}
	for _, en := range entries {
		if en.IsDir {
			continue
		}
		if n, ok := batchNumber(en.Name); ok && n > c.maxBatch || !ok && en.Name != manifestMirror {
			continue // not a name the table's writers produced
		}
		f := path.Join(dir, en.Name)
		if err := c.m.removeIfBefore(ctx, c.fsys, c.storageID, f, c.droppedAt, c.res, c.prog); err != nil {
			return err
		}
	}
	_, err = c.fsys.CleanupTemp(ctx, dir, c.droppedAt, ownedTempTarget)
	return err
}

// namespaceCleanupParams are the parameters of the cleanup job of a
// dropped namespace: the directories it had in each storage above its
// tables' own (those go with the tables' cleanup jobs).
type namespaceCleanupParams struct {
	Storages []namespaceDirs `json:"storages"`
}

type namespaceDirs struct {
	StorageID     string `json:"storage_id"`
	BaseDirectory string `json:"base_directory"`
	// Prefixes are the namespace's directories by template, from the
	// storage base down to the one above the table's (user segments are
	// catalog.PlaceholderUser), with the depth the namespace's own start.
	Prefixes []namespacePrefix `json:"prefixes"`
}

type namespacePrefix struct {
	Segments []string `json:"segments"`
	MinDepth int      `json:"min_depth"`
}

// DropNamespace is the tiers' part of dropping a namespace (a
// catalog.NamespaceDropWork): it records, in the batch that drops the
// namespace, a job removing the namespace's directories from every storage
// once they are empty. A namespace can be
// dropped after its tables (then nothing else would remove them) or with
// them (then the tables' cleanup jobs, which try too, may still be
// emptying them: whichever job empties a directory last removes it).
func (m *Manager) DropNamespace(b *kv.Batch, namespace string) (func(committed bool), error) {
	var params namespaceCleanupParams
	for _, st := range m.cat.Snapshot().Storages() {
		if st.StorageType != catalog.StorageFilesystem {
			continue
		}
		user, shared, err := catalog.CheckTemplates(st.UserTablesTemplate, st.SharedTablesTemplate)
		if err != nil {
			continue
		}
		dirs := namespaceDirs{StorageID: st.StorageID, BaseDirectory: st.BaseDirectory}
		seen := map[string]bool{}
		for _, tmpl := range []catalog.Template{user, shared} {
			l := tmpl.Layout(namespace, "")
			if l.NamespaceDepth >= l.TableDepth {
				continue // the namespace owns no directory above its tables'
			}
			segs := l.Segments[:l.TableDepth]
			if key := strings.Join(segs, "/"); !seen[key] {
				seen[key] = true
				dirs.Prefixes = append(dirs.Prefixes, namespacePrefix{Segments: segs, MinDepth: l.NamespaceDepth})
			}
		}
		if len(dirs.Prefixes) > 0 {
			params.Storages = append(params.Storages, dirs)
		}
	}
	if len(params.Storages) == 0 {
		return nil, nil
	}
	j, err := m.jobs.Prepare(b, jobs.Spec{Type: jobs.TypeCleanup, NamespaceID: namespace, Parameters: params})
	if err != nil {
		return nil, err
	}
	return func(committed bool) {
		if committed {
			_ = m.jobs.Launch(j, "", m.namespaceCleanupRun(namespace, params))
		}
	}, nil
}

// namespaceCleanupRun removes a dropped namespace's empty directories. A
// namespace created again since under the same name keeps them.
func (m *Manager) namespaceCleanupRun(namespace string, p namespaceCleanupParams) jobs.RunFunc {
	return func(ctx context.Context, prog *jobs.Progress) (any, error) {
		snap := m.cat.Snapshot()
		res := &cleanupResult{}
		if _, ok := snap.Namespace(namespace); ok {
			return res, nil
		}
		for _, d := range p.Storages {
			st, ok := snap.Storage(d.StorageID)
			if !ok || st.BaseDirectory != d.BaseDirectory {
				continue // gone or moved: the directories are no longer a storage's
			}
			fsys, err := m.writableStorage(st)
			if err != nil {
				return nil, err
			}
			for _, pre := range d.Prefixes {
				c := &dirCleaner{m: m, fsys: fsys, storageID: d.StorageID, segments: pre.Segments, minDepth: pre.MinDepth, res: res, prog: prog}
				if err := c.walk(ctx, 0, "."); err != nil {
					return nil, err
				}
			}
		}
		return res, nil
	}
}

// retryCleanup restarts a cleanup job a crash interrupted: a table's, or
// a namespace's (no table name).
func (m *Manager) retryCleanup(raw json.RawMessage, ns, table string) error {
	if table == "" {
		var p namespaceCleanupParams
		if err := json.Unmarshal(raw, &p); err != nil {
			return fmt.Errorf("cleanup parameters: %w", err)
		}
		_, err := m.jobs.Submit(jobs.Spec{Type: jobs.TypeCleanup, NamespaceID: ns, Parameters: p}, m.namespaceCleanupRun(ns, p))
		return err
	}
	var p cleanupParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("cleanup parameters: %w", err)
	}
	_, err := m.jobs.Submit(jobs.Spec{Type: jobs.TypeCleanup, NamespaceID: ns, TableName: table, Parameters: p,
		Key: systable.TableID(ns, table)}, m.cleanupRun(ns, p))
	return err
}
