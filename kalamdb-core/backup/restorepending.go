package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// A restore that fails removes the Parquet files it copied
// (restorer.rollback). One whose process dies cannot: its files are in
// its tables' partition directories, listed by no manifest, tagged with
// incarnations no table records. So, as for the backups it writes
// (pending.go), the server remembers the restores it writes: before the
// first file is copied, one batch puts into the registry a pending
// restore entry and one entry per partition directory the restore will
// copy into (its storage, the directory, the incarnation the restore gave
// the table, the partition's manifest id). The restore clears them when
// it ends, once its rollback removed every file (a failure) or once its
// commit made the tables visible (a success).
//
// At the next start each pending restore becomes a recovery job (a
// backup job, parameter recovery, under the namespace's backup key),
// which removes, in each recorded directory only, the batch files and
// unfinished writes tagged with the recorded incarnation, except a file a
// live manifest of that partition lists or any file of an incarnation a
// table has (a restore killed after its commit: its tables are live, and
// nothing is removed). A table created since under the same name has an
// incarnation of its own, so its files are never candidates. It records
// how far it got in the pending entry as it goes (a mark: the
// directories before it are clean), so a recovery killed or failing
// midway goes on about where it was at the next start, and removing
// again what is gone is no error. The directory entries stay until the
// restore is forgotten: the run that completes removes the directories
// every run emptied (on local storage only: an object store has none),
// not just its own.
//
// Recoveries are bounded as retried jobs are (storage.job_max_start_retries):
// the entry counts the recovery runs that never returned (each run raises
// the count before its work and puts it back when it returns, whatever
// the outcome), so only runs the process died in count, and a start that
// finds the count at the bound records the recovery failed, saying which
// files stay where, and forgets the restore. A recovery that fails (an s3
// store unreachable) keeps the entry for the next start.

const (
	// restoringPrefix keys the pending restores (+ id), apart from the
	// records and the pending backups.
	restoringPrefix = "\x00restoring\x00"
	// restoringDirPrefix keys their directories (+ id + NUL + number).
	restoringDirPrefix = "\x00restoringdir\x00"
)

// pendingRestore is a restore being written, or a recovery of one.
type pendingRestore struct {
	ID        string    `json:"id"`
	Namespace string    `json:"namespace"`
	Location  string    `json:"location"`
	StartedAt time.Time `json:"started_at"`
	// Incarnations are those the restore gave its tables, by table name.
	Incarnations map[string]string `json:"incarnations"`
	// Crashes counts the recovery runs the process died in, in a row.
	Crashes int `json:"crashes,omitempty"`
	// Cleaned is how many of its directories (in key order) a recovery
	// cleaned: a later run starts there.
	Cleaned int `json:"cleaned,omitempty"`
}

// doneBatch is how many directories a recovery cleans between two
// records of how far it got.
const doneBatch = 64

// restoreDir is a partition directory a restore copies files into.
type restoreDir struct {
	StorageID   string `json:"storage_id"`
	Dir         string `json:"dir"`
	Table       string `json:"table"`
	Incarnation string `json:"incarnation"`
	ManifestID  string `json:"manifest_id"`
}

func restoringKey(id string) []byte { return []byte(restoringPrefix + id) }

func restoringDirsPrefix(id string) []byte { return []byte(restoringDirPrefix + id + "\x00") }

// beginRestore records pr and its directories in one batch.
func (s *Service) beginRestore(pr pendingRestore, dirs []restoreDir) error {
	var b kv.Batch
	if err := s.putRestore(&b, pr); err != nil {
		return err
	}
	prefix := restoringDirsPrefix(pr.ID)
	for i, d := range dirs {
		raw, err := json.Marshal(d)
		if err != nil {
			return err
		}
		b.Put(s.registry, fmt.Appendf(append([]byte(nil), prefix...), "%08d", i), raw)
	}
	if err := s.o.DB.Write(&b); err != nil {
		return fmt.Errorf("record the restore in progress: %w", err)
	}
	return nil
}

func (s *Service) putRestore(b *kv.Batch, pr pendingRestore) error {
	raw, err := json.Marshal(pr)
	if err != nil {
		return err
	}
	b.Put(s.registry, restoringKey(pr.ID), raw)
	return nil
}

// endRestore forgets restore id: its directories, then itself.
func (s *Service) endRestore(id string) error {
	var b kv.Batch
	prefix := restoringDirsPrefix(id)
	b.DeleteRange(s.registry, prefix, kv.PrefixEnd(prefix))
	b.Delete(s.registry, restoringKey(id))
	return s.o.DB.Write(&b)
}

// scanRegistry decodes the registry's values under prefix, in key order,
// with their keys.
func scanRegistry[T any](cf *kv.ColumnFamily, prefix []byte) (keys [][]byte, vals []T, err error) {
	it, err := cf.NewIter(kv.PrefixOptions(prefix))
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		var v T
		if err := json.Unmarshal(it.Value(), &v); err != nil {
			return nil, nil, fmt.Errorf("read backup registry: %w", err)
		}
		keys = append(keys, append([]byte(nil), it.Key()...))
		vals = append(vals, v)
	}
	return keys, vals, it.Error()
}

// submitRestoreRecoveries starts a recovery job for each restore a dead
// process left pending, or records it given up at the bound.
func (s *Service) submitRestoreRecoveries() error {
	_, left, err := scanRegistry[pendingRestore](s.registry, []byte(restoringPrefix))
	if err != nil {
		return err
	}
	for _, pr := range left {
		spec := jobs.Spec{Type: jobs.TypeBackup, NamespaceID: pr.Namespace, Key: jobKey(pr.Namespace), Crashes: pr.Crashes,
			Parameters: map[string]string{"location": pr.Location, "recovery": "interrupted restore"}}
		probe := &systable.Job{Crashes: pr.Crashes}
		if s.o.Jobs.GiveUp(probe, restoreRemedy(pr)) {
			msg := probe.ErrorMessage
			if _, err := s.o.Jobs.Submit(spec, func(context.Context, *jobs.Progress) (any, error) {
				return nil, errors.New(msg)
			}); err != nil {
				return err
			}
			// Forgotten once its failure is recorded: a crash in between
			// records it again at the next start.
			if err := s.endRestore(pr.ID); err != nil {
				return err
			}
			continue
		}
		if _, err := s.o.Jobs.Submit(spec, func(ctx context.Context, _ *jobs.Progress) (any, error) {
			return s.runRestoreRecovery(ctx, pr)
		}); err != nil {
			return err
		}
	}
	return nil
}

// restoreRemedy says which files of a restore given up stay, to remove by
// hand.
func restoreRemedy(pr pendingRestore) string {
	names := make([]string, 0, len(pr.Incarnations))
	for t := range pr.Incarnations {
		names = append(names, t)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, t := range names {
		parts[i] = fmt.Sprintf("%s.%s: batch-N-%s….parquet", pr.Namespace, t, pr.Incarnations[t])
	}
	return fmt.Sprintf("the files the restore of %s from %s copied before it died stay in its tables' partition directories, "+
		"listed by no manifest; remove them by hand (%s)", pr.Namespace, pr.Location, strings.Join(parts, ", "))
}

// RestoreRecovery is the result of the job that removes what a restore
// whose process died copied.
type RestoreRecovery struct {
	Namespace string `json:"namespace"`
	Location  string `json:"location"`
	// Committed: the restore's tables are live (it died after its
	// commit); nothing was removed.
	Committed bool `json:"committed,omitempty"`
	// Partitions is how many partition directories were cleaned (by
	// this run: an earlier run killed midway did the others), Removed
	// how many files and unfinished writes were removed.
	Partitions int `json:"partitions"`
	Removed    int `json:"removed"`
	// MissingStorages are storages the restore wrote to that no longer
	// exist: what it copied there was not looked for.
	MissingStorages []string `json:"missing_storages,omitempty"`
}

// runRestoreRecovery counts the run as a crash until it returns, runs it,
// then puts the count back (or forgets the restore, once recovered). A
// run the process dies in never returns (the deferred calls of a dying
// goroutine are no place for this), so its count stays raised.
func (s *Service) runRestoreRecovery(ctx context.Context, pr pendingRestore) (*RestoreRecovery, error) {
	running := pr
	running.Crashes++
	var b kv.Batch
	if err := s.putRestore(&b, running); err != nil {
		return nil, err
	}
	if err := s.o.DB.Write(&b); err != nil {
		return nil, fmt.Errorf("record the restore recovery: %w", err)
	}
	out, err := s.recoverRestore(ctx, &running)
	if err == nil {
		if err := s.endRestore(pr.ID); err != nil {
			return nil, err
		}
		return out, nil
	}
	// The count put back, with how far the run got.
	back := running
	back.Crashes = pr.Crashes
	b.Reset()
	if perr := s.putRestore(&b, back); perr == nil {
		_ = s.o.DB.Write(&b) // else the run counts as a crash: the bound comes sooner
	}
	return nil, fmt.Errorf("recover interrupted restore of %s from %s: %w", pr.Namespace, pr.Location, err)
}

// recoverRestore removes what restore pr copied, directory by directory,
// from the first pr.Cleaned has not passed, and records in pr (the
// pending entry as written) how far it got.
func (s *Service) recoverRestore(ctx context.Context, pr *pendingRestore) (*RestoreRecovery, error) {
	out := &RestoreRecovery{Namespace: pr.Namespace, Location: pr.Location}
	_, dirs, err := scanRegistry[restoreDir](s.registry, restoringDirsPrefix(pr.ID))
	if err != nil {
		return nil, err
	}
	// The incarnations of the tables the catalog has now. None is the
	// restore's unless its commit made its tables visible: no one else
	// is ever given one of its (random) incarnations.
	live := map[string]bool{}
	for _, t := range s.o.Catalog.Snapshot().Tables("") {
		live[t.Incarnation()] = true
	}
	for _, inc := range pr.Incarnations {
		if live[inc] {
			out.Committed = true
		}
	}
	emptied := map[string]map[string]bool{} // storage id -> directories to remove if empty
	opened := map[string]cold.Storage{}
	for i, d := range dirs {
		// Recorded every doneBatch directories, not each (a USER table
		// has one a user): a run killed redoes at most that many, which
		// it finds clean.
		if i > 0 && i%doneBatch == 0 {
			if err := s.restoreCleaned(pr, i); err != nil {
				return nil, err
			}
		}
		// A damaged entry without a valid incarnation names no files.
		if !catalog.ValidIncarnation(d.Incarnation) || live[d.Incarnation] {
			continue
		}
		st, ok := s.o.Catalog.Snapshot().Storage(d.StorageID)
		if !ok {
			if !slices.Contains(out.MissingStorages, d.StorageID) {
				out.MissingStorages = append(out.MissingStorages, d.StorageID)
			}
			continue
		}
		fsys, ok := opened[d.StorageID]
		if !ok {
			if fsys, err = s.o.Tier.Storage(st); err != nil {
				return nil, fmt.Errorf("storage %s: %w", d.StorageID, err)
			}
			opened[d.StorageID] = fsys
		}
		if st.StorageType == catalog.StorageFilesystem {
			// Every directory, those an earlier run cleaned too: it may
			// have failed or died before it could remove them.
			addDirs(emptied, d.StorageID, d.Dir)
		}
		if i < pr.Cleaned {
			continue
		}
		n, err := s.cleanRestoreDir(ctx, fsys, d)
		out.Removed += n
		if err != nil {
			return nil, fmt.Errorf("clean %s in storage %s: %w", d.Dir, d.StorageID, err)
		}
		out.Partitions++
	}
	if err := s.restoreCleaned(pr, len(dirs)); err != nil {
		return nil, err
	}
	s.removeEmptied(ctx, pr.Namespace, opened, emptied)
	return out, nil
}

// restoreCleaned records that the first n directories of pending restore
// pr are clean.
func (s *Service) restoreCleaned(pr *pendingRestore, n int) error {
	if n <= pr.Cleaned {
		return nil
	}
	next := *pr
	next.Cleaned = n
	var b kv.Batch
	if err := s.putRestore(&b, next); err != nil {
		return err
	}
	if err := s.o.DB.Write(&b); err != nil {
		return fmt.Errorf("record the restore recovery: %w", err)
	}
	*pr = next
	return nil
}

// addDirs adds dir and its parents (up to the storage's root) to the
// directories of storage st in dirs.
func addDirs[K comparable](dirs map[K]map[string]bool, st K, dir string) {
	if dirs[st] == nil {
		dirs[st] = map[string]bool{}
	}
	for p := dir; p != "." && p != "" && p != "/"; p = path.Dir(p) {
		dirs[st][p] = true
	}
}

// cleanRestoreDir removes from d's directory the batch files and
// unfinished writes tagged with d's incarnation, except files the live
// manifest of d's partition lists.
func (s *Service) cleanRestoreDir(ctx context.Context, fsys cold.Storage, d restoreDir) (int, error) {
	mine := func(name string) bool {
		inc, ok := tier.BatchIncarnation(name)
		return ok && inc == d.Incarnation
	}
	// A directory with no file may still have unfinished writes: an
	// object store's "directory" with nothing but a multipart upload
	// under it does not exist.
	ents, err := fsys.List(ctx, d.Dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	// Asked after the listing: a file a manifest lists by then is kept.
	listed := map[string]bool{}
	mf, err := s.o.Tier.Manifest(nil, d.ManifestID)
	if err != nil {
		return 0, err
	}
	if mf != nil {
		for _, f := range mf.Files {
			listed[f.Path] = true
		}
	}
	n := 0
	for _, e := range ents {
		p := path.Join(d.Dir, e.Name)
		if e.IsDir || !mine(e.Name) || listed[p] {
			continue
		}
		if err := fsys.Remove(ctx, p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, err
		}
		n++
	}
	m, err := fsys.CleanupTemp(ctx, d.Dir, time.Time{}, mine)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return n, err
	}
	return n + m, nil
}

// removeEmptied removes the directories a dead restore made that are
// empty now (on local storages: an object store has no directories, and
// looking costs a request each), only while the namespace does not
// exist: reserving it keeps a table created under it from writing there
// meanwhile, and refuses CREATE NAMESPACE of it for as long, so it only
// removes (rmdir, no listing). When it exists (created since) they stay,
// as they may be its tables' partitions.
func (s *Service) removeEmptied(ctx context.Context, ns string, opened map[string]cold.Storage, emptied map[string]map[string]bool) {
	if len(emptied) == 0 {
		return
	}
	release, err := s.o.Catalog.ReserveNamespace(ns)
	if err != nil {
		return
	}
	defer release()
	for id, dirs := range emptied {
		removeDirs(ctx, opened[id], dirs)
	}
}

// restoreDirs are the directories the planned copies write into.
func restoreDirs(copies []partitionCopy) []restoreDir {
	out := make([]restoreDir, 0, len(copies))
	for _, c := range copies {
		out = append(out, restoreDir{StorageID: c.storage.StorageID, Dir: c.dir, Table: c.meta.TableName,
			Incarnation: c.meta.Incarnation, ManifestID: c.restored.ManifestID})
	}
	return out
}

// newRestoreID names a pending restore.
func newRestoreID() string { return catalog.NewIncarnation() }
