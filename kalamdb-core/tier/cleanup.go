package tier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// cleanupParams are the parameters of a cleanup job: the cold files and
// directories of a dropped table.
type cleanupParams struct {
	StorageID string `json:"storage_id"`
	// Files are the files the table's manifests listed, in the drop's
	// job; a job continuing it has FilesRef instead.
	Files     []string  `json:"files,omitempty"`
	DroppedAt time.Time `json:"dropped_at"`
	// FilesRef, in a job continuing an earlier one, names the list of
	// Files kept in rows of their own (cleanupfiles.go), FilesCount long:
	// the parameters of a chain's jobs stay bounded whatever the table's
	// files.
	FilesRef   string `json:"files_ref,omitempty"`
	FilesCount int    `json:"files_count,omitempty"`
	// BaseDirectory is the storage's location at the drop: its path, or
	// s3://bucket[/prefix] for an s3 storage. Once no table uses the
	// storage its location may change; the files stay where they were.
	// "" in jobs of s3 storages recorded before their cleanup walked
	// them (those remove the listed files wherever the storage is).
	BaseDirectory string `json:"base_directory,omitempty"`
	// Endpoint is an s3 storage's object store at the drop ("" for AWS).
	// It may change while tables use the storage (the same bucket behind
	// a new address), so a change does not fail the job; but only the
	// store the table wrote into may be walked (cleanupRun).
	Endpoint string `json:"endpoint,omitempty"`
	// Layout is where the table's partitions were. Nil in jobs recorded
	// before it existed (for s3 storages, before their cleanup walked
	// them), or for a storage whose templates break the rules: then only
	// the listed files are removed.
	Layout *catalog.TableLayout `json:"layout,omitempty"`
	// MaxBatch bounds the batch files the table's writers can have
	// produced: the highest next batch number of its partitions (a
	// partition without a manifest has only ever been writing batch 1).
	MaxBatch int64 `json:"max_batch,omitempty"`
	// Incarnation is the dropped table's (catalog.Table.Incarnation),
	// which the names of its batch files and its manifest.json mirrors
	// carry: the job removes those whatever their times, and never a
	// file of another incarnation (judgeBatch). "" in jobs recorded
	// before it existed: every file is judged by its time, as those jobs
	// always did.
	Incarnation string `json:"incarnation,omitempty"`
	// ResumeAfter, in a job continuing an earlier one that reached its
	// bound (CleanupPartitionsPerRun), is the cold.ListKey of the last
	// directory of the layout's first user segment that one finished: the
	// walk starts after it there.
	ResumeAfter string `json:"resume_after,omitempty"`
}

// unclaimed reports whether no table of id namespace.table owns files in
// its directories now, nor is writing any there: the catalog has no such
// table, and no restore of the namespace is under way. The restore is
// asked first: one that ends in between has made its table visible (or
// written nothing that stays) before it released the namespace. The
// table's own writers, flushes and compactions, share the cleanup job's
// key, so a table created after the answer writes nothing before the
// job ends; a restore begun after it writes no file the job listed
// before.
func (m *Manager) unclaimed(namespace, table string) bool {
	if m.cat.Restoring(namespace) {
		return false
	}
	_, ok := m.cat.Snapshot().Table(namespace, table)
	return !ok
}

// liveIncarnations are the incarnations of the tables the catalog has.
func (m *Manager) liveIncarnations() map[string]bool {
	tables := m.cat.Snapshot().Tables("")
	live := make(map[string]bool, len(tables))
	for _, t := range tables {
		live[t.Incarnation()] = true
	}
	return live
}

// verdict is what a cleanup job does with a file in a dropped table's
// directories.
type verdict int

const (
	// skipFile: not a file of the table's writers (a foreign name, or a
	// number above any they reached); not counted.
	skipFile verdict = iota
	// keepFile: a file of another incarnation of the table (one created
	// again under its name, or restored, in the same directories).
	keepFile
	// removeFile: the dropped table's, whatever its time.
	removeFile
	// removeIfOlder: a file whose name does not tell which table wrote it
	// (untagged names, or any name for a job recorded before
	// incarnations), removed only if last modified before the drop. A
	// table created again since writes no such name; the times stay the
	// rule for these for the names written before tags or incarnations.
	removeIfOlder
)

// judgeBatch judges a batch file's base name; listed says whether the
// dropped table's manifests listed the file (params.Files).
//
//   - A tag naming the dropped table's incarnation: its writers' file
//     (a committed one, or an orphan an interrupted flush or compaction
//     left, written before or after the drop): removed.
//   - Any other tag, listed: the dropped table's too (a tag written
//     before tags carried the incarnation is random, and a tagged name is
//     its writer's own): removed.
//   - Any other tag, not listed: another incarnation's file (kept,
//     whatever its time), or an orphan written before tags carried the
//     incarnation, which stays (the legacy leak).
//   - No tag (or a job without the incarnation): by its time.
func (p *cleanupParams) judgeBatch(name string, listed bool) verdict {
	n, tag, ok := parseBatchName(name)
	switch {
	case !ok:
		return skipFile
	case p.Incarnation == "" || tag == "":
		if !listed && n > p.MaxBatch {
			return skipFile
		}
		return removeIfOlder
	case tagIncarnation(tag) == p.Incarnation || listed:
		return removeFile
	default:
		return keepFile
	}
}

// listedVerdict judges a file of the list where the cleanup does not
// walk (the list-only path: a job without a layout, or an s3 storage
// whose endpoint changed since the drop). The list is the dropped
// table's manifests' paths, but it is stored apart from the job (a row
// can be damaged or written by hand), so, in depth: a path outside the
// partition directories of the dropped table's layout (another table's,
// or above the table's directory), or a tagged name of a table the
// catalog has (live incarnations), is kept and counted as kept. A job
// recorded without a layout has no directories to check the paths by:
// those go by their names, as always.
func (p *cleanupParams) listedVerdict(f string, live map[string]bool) verdict {
	v := p.judgeBatch(path.Base(f), true)
	if v == skipFile {
		return v
	}
	if p.Layout != nil && !inPartitionDir(p.Layout, f) {
		return keepFile
	}
	if _, tag, ok := parseBatchName(path.Base(f)); ok && tag != "" && tagIncarnation(tag) != p.Incarnation && live[tagIncarnation(tag)] {
		return keepFile
	}
	return v
}

// inPartitionDir reports whether f is a file directly in a partition
// directory of layout l: its directories are l's segments, the user's
// segment any valid user id.
func inPartitionDir(l *catalog.TableLayout, f string) bool {
	els := strings.Split(path.Clean(f), "/")
	if len(els) != len(l.Segments)+1 {
		return false
	}
	for i, seg := range l.Segments {
		if seg == catalog.PlaceholderUser {
			if keyenc.ValidateUserID(els[i]) != nil {
				return false
			}
		} else if els[i] != seg {
			return false
		}
	}
	return true
}

// judgeMirror judges the manifest.json mirror f by the incarnation
// written in it (mirrorFile): the dropped table's is removed, another
// incarnation's kept, one without (written before mirrors carried it, or
// unreadable) judged by its time. A mirror replaced by a table created
// again between the read and the removal is removed: a mirror is a
// convenience (system.manifest is the truth), rewritten with the
// partition's next flush or compaction, and by a restart's retried jobs.
//
// It also returns the incarnation the mirror names ("" when none).
func (p *cleanupParams) judgeMirror(ctx context.Context, fsys cold.Storage, f string) (verdict, string, error) {
	if p.Incarnation == "" {
		return removeIfOlder, "", nil
	}
	head, err := readRange(ctx, fsys, f, 0, mirrorHeadBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return skipFile, "", nil
	}
	if err != nil {
		return skipFile, "", fmt.Errorf("read %s: %w", f, err)
	}
	switch inc := mirrorIncarnation(head); {
	case inc == "":
		return removeIfOlder, "", nil
	case inc == p.Incarnation:
		return removeFile, inc, nil
	default:
		return keepFile, inc, nil
	}
}

// mirrorHeadBytes bounds what the cleanup reads of a manifest.json
// mirror: its writer puts the incarnation first (mirrorFile), and a
// mirror lists every file of its partition, so the whole of it can be
// large, and a file of that name placed in the directory larger still.
const mirrorHeadBytes = 4 << 10

// mirrorIncarnation is the incarnation a mirror's head names as its
// object's first field, as mirrorFile writes it; "" when the head does
// not start so (a mirror written before incarnations, or not a mirror).
func mirrorIncarnation(head []byte) string {
	dec := json.NewDecoder(bytes.NewReader(head))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	if key, err := dec.Token(); err != nil || key != "incarnation" {
		return ""
	}
	if val, err := dec.Token(); err == nil {
		if inc, ok := val.(string); ok && catalog.ValidIncarnation(inc) {
			return inc
		}
	}
	return ""
}

// cleanupResult is a cleanup job's result JSON.
type cleanupResult struct {
	FilesRemoved int `json:"files_removed"`
	FilesKept    int `json:"files_kept"`
	DirsRemoved  int `json:"dirs_removed"`
	// Partitions the walk visited.
	Partitions int `json:"partitions,omitempty"`
	// Complete is false when the job stopped at its bound of partitions
	// (CleanupPartitionsPerRun) and handed the rest of the walk to job
	// ContinuedBy, which starts after directory ResumeAfter; Note says so
	// in words. Nil for jobs that never stop early (a namespace's).
	Complete    *bool  `json:"complete,omitempty"`
	ResumeAfter string `json:"resume_after,omitempty"`
	ContinuedBy string `json:"continued_by,omitempty"`
	Note        string `json:"note,omitempty"`
}

// DefaultCleanupPartitionsPerRun bounds the partitions one run of a
// dropped table's cleanup visits: a USER table has one a user, and on an
// object store each costs a few requests, so a table of many users is
// cleaned by a chain of jobs, each releasing the table's job key (the
// flushes of a table created again under the name wait for it) and
// recorded in system.jobs, instead of by one that holds the key for
// hours and starts over after a restart.
const DefaultCleanupPartitionsPerRun = 10000

// errWorkBound stops a cleanup's walk at its bound of partitions.
var errWorkBound = errors.New("tier: the cleanup's bound of partitions is reached")

func (m *Manager) cleanupPartitionsPerRun() int {
	if m.opts.CleanupPartitionsPerRun > 0 {
		return m.opts.CleanupPartitionsPerRun
	}
	return DefaultCleanupPartitionsPerRun
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
		if committed {
			// A table created again under the name is another table: a
			// hold of the dropped one's given-up flush or compaction
			// (Manager.holds, keyed by name) must not stop its own.
			m.hold(jobs.TypeFlush, t.Meta.TableID, false)
			m.hold(jobs.TypeCompact, t.Meta.TableID, false)
		}
	}, nil
}

// dropTable is DropTable's work once the table is marked as being dropped.
func (m *Manager) dropTable(b *kv.Batch, t *catalog.Table) (func(committed bool), error) {
	ms, err := m.tableManifests(t)
	if err != nil {
		return nil, fmt.Errorf("drop %s: manifests: %w", t.Meta.TableID, err)
	}
	// The partitions' buffered-row counters go in the same batch: keyed
	// by the table's name, left behind they would be the counts of a
	// table created again under it (its rows:N policy flushing rows it
	// never buffered).
	counters, err := m.db.ColumnFamily(txn.CountersFamily)
	if err != nil {
		return nil, fmt.Errorf("drop %s: counters: %w", t.Meta.TableID, err)
	}
	prefix := keyenc.CounterPrefix(t.Meta.NamespaceID, t.Meta.TableName)
	b.DeleteRange(counters, prefix, kv.PrefixEnd(prefix))
	// So are a restored table's restore horizons (txn.RestoreHorizon
	// would not take them for a later restore's anyway).
	if t.Meta.RestoredSeq != 0 {
		horizons, err := m.db.ColumnFamily(txn.RestoreHorizonsFamily)
		if err != nil {
			return nil, fmt.Errorf("drop %s: restore horizons: %w", t.Meta.TableID, err)
		}
		b.DeleteRange(horizons, prefix, kv.PrefixEnd(prefix))
	}
	params := cleanupParams{StorageID: t.Meta.StorageID, DroppedAt: time.Now().UTC(), MaxBatch: 1, Incarnation: t.Incarnation()}
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
	if st, ok := m.cat.Snapshot().Storage(t.Meta.StorageID); ok && (st.StorageType == catalog.StorageFilesystem || st.StorageType == catalog.StorageS3) {
		params.BaseDirectory = st.BaseDirectory
		if st.StorageType == catalog.StorageS3 {
			params.Endpoint = st.Endpoint
		}
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
		_ = m.jobs.Launch(j, t.Meta.TableID, m.cleanupRun(t.Meta.NamespaceID, t.Meta.TableName, params))
	}, nil
}

// cleanupRun deletes a dropped table's files, then its directories that
// are left empty. Only what the server wrote is deleted: batch files,
// manifest mirrors and temporary files of the partitions' directories,
// those of the dropped table (judgeBatch, judgeMirror): a table created
// since under the same name, or restored, writes into the same
// directories. A directory is removed only once empty, from the
// partitions up to the table's own directory (the namespace's, once the
// namespace is dropped too), never above: foreign files keep their
// directories, and the storage's base is never removed. An s3 storage is
// walked the same way (dirCleaner.objectStore says what differs).
func (m *Manager) cleanupRun(namespace, table string, p cleanupParams) jobs.RunFunc {
	run := m.cleanupWalk(namespace, table, p)
	if p.FilesRef == "" {
		return run // no list of its own: the drop's job (cleanupfiles.go)
	}
	return func(ctx context.Context, prog *jobs.Progress) (any, error) {
		res, err := run(ctx, prog)
		if !cleanupChainEnded(res, err) {
			return res, err
		}
		// The chain's last job: no other needs the list. A failed run
		// ends the chain too (a failed job is not retried); a cancelled
		// one may be a graceful stop, which a restart retries: its list
		// stays (a KILL JOB leaves it behind).
		if derr := m.deleteCleanupFiles(p.FilesRef); derr != nil && err == nil {
			return res, derr
		}
		return res, err
	}
}

// cleanupFilesRef names the file list of the cleanup chain of the drop
// p records: the same for every job of the chain, and for a run retried
// after a restart, which writes the same list again if it hands on.
func cleanupFilesRef(namespace, table string, p cleanupParams) string {
	return fmt.Sprintf("%s@%d@%s", systable.TableID(namespace, table), p.DroppedAt.UnixNano(), p.Incarnation)
}

// cleanupChainEnded reports whether a run of a table's cleanup, with
// result res and error err, ends its chain: it completed without handing
// on, or failed other than by being cancelled.
func cleanupChainEnded(res any, err error) bool {
	if err != nil {
		// As the jobs manager tells a cancelled job from a failed one: a
		// deadline (a page's request timeout) fails the job for good.
		return !errors.Is(err, context.Canceled)
	}
	r, ok := res.(*cleanupResult)
	return !ok || r.ContinuedBy == ""
}

// cleanupWalk is cleanupRun's work.
func (m *Manager) cleanupWalk(namespace, table string, p cleanupParams) jobs.RunFunc {
	return func(ctx context.Context, prog *jobs.Progress) (any, error) {
		p := p // Files are loaded into this run's copy
		res := &cleanupResult{}
		if p.FilesRef != "" {
			files, bad, err := m.loadCleanupFiles(p.FilesRef)
			if err != nil {
				return nil, fmt.Errorf("cleanup of %s.%s: %w", namespace, table, err)
			}
			if bad > 0 {
				// As for a list that is gone, below: only untagged files
				// the unreadable rows named stay.
				res.Note = fmt.Sprintf("%d rows of the list of the files the dropped table's manifests listed do not decode: the walk goes on without them (%d of %d files read); untagged files they named are kept",
					bad, len(files), p.FilesCount)
			} else if len(files) != p.FilesCount {
				// The list is gone (this job ran to the end before and
				// is run again): the walk goes on without it. The list
				// only adds files to remove (untagged names, by their
				// time), so nothing not the table's is removed; what it
				// would have added stays, as the note says.
				res.Note = fmt.Sprintf("the list of the %d files the dropped table's manifests listed is gone (%d found): untagged files are kept", p.FilesCount, len(files))
			}
			p.Files = files
		}
		snap := m.cat.Snapshot()
		st, ok := snap.Storage(p.StorageID)
		if !ok {
			return nil, fmt.Errorf("storage %s no longer exists; %d files of the dropped table remain in it", p.StorageID, len(p.Files))
		}
		if p.BaseDirectory != "" && st.BaseDirectory != p.BaseDirectory {
			return nil, fmt.Errorf("storage %s has moved since the drop; the dropped table's files remain at its old location %s", p.StorageID, p.BaseDirectory)
		}
		fsys, err := m.writableStorage(st)
		if err != nil {
			return nil, err
		}
		listed := make(map[string]bool, len(p.Files))
		for _, f := range p.Files {
			listed[path.Clean(f)] = true // as the walk joins them
		}
		objectStore := st.StorageType == catalog.StorageS3
		// On an object store the walk is sound only in the store the table
		// wrote into: the same bucket and prefix elsewhere are another
		// store's, whose files the incarnation rules do not know. A job
		// without the incarnation would judge every file there by the
		// store's clock, not the server's. Either way the listed files go,
		// as before the walk.
		walk := p.Layout != nil && (!objectStore || p.Endpoint == st.Endpoint && p.Incarnation != "")
		if walk {
			// Every listed file is in a partition directory of the layout,
			// which the walk visits.
			minDepth := p.Layout.TableDepth
			if _, ok := snap.Namespace(namespace); !ok {
				minDepth = p.Layout.NamespaceDepth
			}
			c := &dirCleaner{m: m, fsys: fsys, storageID: p.StorageID, segments: p.Layout.Segments, table: &p,
				listed: listed, unclaimed: func() bool { return m.unclaimed(namespace, table) }, live: m.liveIncarnations,
				minDepth: minDepth, objectStore: objectStore, res: res, prog: prog,
				userDepth: slices.Index(p.Layout.Segments, catalog.PlaceholderUser), resume: p.ResumeAfter,
				budget: m.cleanupPartitionsPerRun()}
			err := c.walk(ctx, 0, ".")
			if errors.Is(err, errWorkBound) {
				return m.continueCleanup(ctx, namespace, table, p, c.last, res)
			}
			if err != nil {
				return nil, err
			}
			res.Complete = ptrTo(true)
			return res, nil
		}
		// Only the listed files, where the storage is now: each must be a
		// file of a partition directory of the dropped table's layout, and
		// not name a table the catalog has (listedVerdict).
		live := m.liveIncarnations()
		for _, f := range p.Files {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			v := p.listedVerdict(f, live)
			if err := m.removeJudged(ctx, fsys, p.StorageID, f, v, p.DroppedAt, res, prog); err != nil {
				return nil, err
			}
		}
		return res, nil
	}
}

// continueCleanup ends a run of a dropped table's cleanup that reached
// its bound of partitions after directory last (a cold.ListKey of the
// layout's first user segment): a new job, queued under the same key,
// walks on from there. It is recorded before this one ends, so a restart
// in between retries it (and this one, if still running: the walk is
// idempotent). The only other thing that changes between runs is what
// others write, which each partition's judgement reads afresh.
func (m *Manager) continueCleanup(ctx context.Context, namespace, table string, p cleanupParams, last string, res *cleanupResult) (any, error) {
	if last == "" || last == p.ResumeAfter {
		// Not one partition visited: a bound of at least one always visits
		// one, so this is a bug, not a reason to queue jobs for ever.
		return nil, fmt.Errorf("cleanup of %s.%s: no partition visited after %q", namespace, table, p.ResumeAfter)
	}
	next := p
	next.ResumeAfter = last
	// The files go on by reference (cleanupfiles.go): the first hand-on
	// writes them in the batch recording the job it hands on to, the
	// later ones pass the reference on.
	next.Files = nil
	if next.FilesRef == "" {
		next.FilesCount = len(p.Files)
	} // else as recorded: a list found short stays so for the runs after
	failed := func(err error) (any, error) {
		if ctxErr := ctx.Err(); ctxErr != nil {
			// A stop (which cancels the jobs as it starts refusing new
			// ones) refused the hand-on: this run ends cancelled, so its
			// row stays for the next start to run it again from where it
			// began; failed, it would end the chain for good.
			return nil, fmt.Errorf("cleanup of %s.%s: the rest after user directory %s not queued: %w",
				namespace, table, strings.TrimSuffix(last, "/"), errors.Join(ctxErr, err))
		}
		return nil, fmt.Errorf("cleanup of %s.%s stopped after %d partitions, at user directory %s, and could not queue the rest: %w",
			namespace, table, res.Partitions, strings.TrimSuffix(last, "/"), err)
	}
	var b kv.Batch
	if next.FilesRef == "" && len(p.Files) > 0 {
		next.FilesRef = cleanupFilesRef(namespace, table, p)
		if err := m.putCleanupFiles(&b, next.FilesRef, p.Files); err != nil {
			return failed(err)
		}
	}
	j, err := m.jobs.Prepare(&b, jobs.Spec{Type: jobs.TypeCleanup, NamespaceID: namespace, TableName: table, Parameters: next})
	if err != nil {
		return failed(err)
	}
	if err := m.db.Write(&b); err != nil {
		return failed(err)
	}
	id := j.JobID
	// Refused only when the server is stopping: the job is recorded
	// queued, and the next start retries it as interrupted.
	_ = m.jobs.Launch(j, systable.TableID(namespace, table), m.cleanupRun(namespace, table, next))
	res.Complete, res.ResumeAfter, res.ContinuedBy = ptrTo(false), last, id
	res.Note = strings.TrimSpace(res.Note + " " + fmt.Sprintf("stopped after %d partitions (the bound of one run); job %s goes on after user directory %s",
		res.Partitions, id, strings.TrimSuffix(last, "/")))
	return res, nil
}

func ptrTo[T any](v T) *T { return &v }

// removeJudged deletes file f of a dropped table's directories as v says.
func (m *Manager) removeJudged(ctx context.Context, fsys cold.Storage, storageID, f string, v verdict, droppedAt time.Time,
	res *cleanupResult, prog *jobs.Progress) error {
	switch v {
	case skipFile:
		return nil
	case keepFile:
		res.FilesKept++
		return nil
	}
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
	if v == removeIfOlder && !info.ModTime.Before(droppedAt) {
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
	// table, when set, is the dropped table's cleanup: the deepest
	// directories are its partitions, whose files it judges and removes;
	// listed are the files its manifests listed.
	table  *cleanupParams
	listed map[string]bool
	// unclaimed, with table, reports whether no table of the dropped
	// table's id owns, or is writing, files in its directories now
	// (Manager.unclaimed).
	unclaimed func() bool
	// live gives the incarnations of the tables the catalog has
	// (Manager.liveIncarnations).
	live     func() map[string]bool
	minDepth int
	// userDepth is the index of the layout's first user segment (-1:
	// none). resume is where the walk starts there (cleanupParams.
	// ResumeAfter); last is the cold.ListKey of the last entry there it
	// finished. budget, when positive, is how many more partitions the
	// walk may visit before it stops with errWorkBound.
	userDepth int
	resume    string
	last      string
	budget    int
	// objectStore: the storage is an object store (s3), whose
	// directories are key prefixes, there while some object is under
	// them (nothing to remove), and whose times come from its own clock
	// (cleanPartition).
	objectStore bool
	res         *cleanupResult
	prog        *jobs.Progress
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
		if c.table != nil {
			if c.budget > 0 && c.res.Partitions >= c.budget {
				return errWorkBound
			}
			c.res.Partitions++
			if err := c.cleanPartition(ctx, dir); err != nil {
				return err
			}
		}
	case segs[i] == catalog.PlaceholderUser:
		// Listed a page at a time: a USER table's users may be too many
		// for one listing, or for memory.
		after := ""
		if i == c.userDepth {
			after = c.resume
		}
		err := cold.ListEach(ctx, c.fsys, dir, after, func(en cold.Entry) error {
			if en.IsDir && keyenc.ValidateUserID(en.Name) == nil {
				if err := c.walk(ctx, i+1, path.Join(dir, en.Name)); err != nil {
					return err
				}
			}
			if i == c.userDepth {
				c.last = cold.ListKey(en)
			}
			return nil
		})
		if err != nil {
			return err
		}
	default:
		if err := c.walk(ctx, i+1, path.Join(dir, segs[i])); err != nil {
			return err
		}
	}
	if i == 0 || i-1 < c.minDepth || c.objectStore {
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

// cleanPartition removes the dropped table's files from one of its
// partition directories: its batch files (listed or orphaned: nothing of
// a dropped table is referenced any more), its manifest mirror and its
// temporary files, as judgeBatch and judgeMirror tell them from the
// files of other incarnations of the table.
func (c *dirCleaner) cleanPartition(ctx context.Context, dir string) error {
	p := c.table
	entries, err := listIfExists(ctx, c.fsys, dir)
	if err != nil {
		return err
	}
	// Asked after the listing: every file listed is then either a table's
	// that the catalog has or a restore is writing, or no one's.
	//
	// On an object store the times removeIfOlder compares are the
	// store's clock's, not the drop's: the names and mirrors they decide
	// are ones no table writes any more (untagged names; mirrors without
	// an incarnation: a table created again or restored tags its names
	// and mirrors with its own), so a skewed clock misjudges only such
	// leftovers, never a file of a live table.
	unclaimed := c.unclaimed != nil && c.unclaimed()
	// The catalog's incarnations, asked after the listing too (a table
	// created since writes no file it listed), once a file needs them.
	var live map[string]bool
	for _, en := range entries {
		if en.IsDir {
			continue
		}
		f := path.Join(dir, en.Name)
		v := p.judgeBatch(en.Name, c.listed[f])
		var inc string // the incarnation of a file judged keepFile
		if _, tag, ok := parseBatchName(en.Name); ok && tag != "" {
			inc = tagIncarnation(tag)
		}
		if en.Name == manifestMirror {
			if v, inc, err = p.judgeMirror(ctx, c.fsys, f); err != nil {
				return err
			}
		}
		if c.objectStore {
			// Only what is provably the dropped table's (objectStoreVerdict).
			if err := c.m.removeJudged(ctx, c.fsys, c.storageID, f, objectStoreVerdict(v, c.listed[f]), p.DroppedAt, c.res, c.prog); err != nil {
				return err
			}
			continue
		}
		if v == keepFile && unclaimed {
			// Another incarnation's, of a table no longer there (a later
			// one dropped too) or never recorded (a restore killed while
			// copying, or whose rollback failed): kept, it stayed for ever.
			// Unless a table the catalog has is of that incarnation: a
			// table of another id whose partition this directory is. The
			// storages' overlap checks keep two ids out of one directory,
			// but they compare locations as configured (an s3 endpoint by
			// its spelling, a path with its symbolic links resolved, not
			// bind mounts): a file naming a live table is never removed here.
			if live == nil {
				live = c.live()
			}
			if !live[inc] {
				v = removeFile
			}
		}
		if err := c.m.removeJudged(ctx, c.fsys, c.storageID, f, v, p.DroppedAt, c.res, c.prog); err != nil {
			return err
		}
	}
	// A temporary file (on an object store, an unfinished multipart
	// upload) is judged by the name it is written for. The dropped
	// table's own are removed whatever their times: none of its writers
	// is still writing (its flushes and compactions share this job's
	// key, and nothing else writes its names). Untagged names go by their
	// time: no table written since the drop uses them, so a clock that
	// is not the server's misjudges only old leftovers. A mirror's tells
	// no incarnation: it goes by its time, so a table created again may
	// lose a mirror it began to write within the clock's lag after the
	// drop (the write fails; the mirror is stale until the next one). On
	// an object store that lag is the store's clock's, unbounded: its
	// mirror uploads stay (a dropped table's leaks; an
	// AbortIncompleteMultipartUpload lifecycle rule of the bucket ends
	// it).
	if _, err := c.fsys.CleanupTemp(ctx, dir, time.Time{}, func(final string) bool {
		return final != manifestMirror && p.judgeBatch(final, false) == removeFile
	}); err != nil {
		return err
	}
	if c.objectStore {
		return nil // no upload is aborted by time there (objectStoreVerdict)
	}
	_, err = c.fsys.CleanupTemp(ctx, dir, p.DroppedAt, func(final string) bool {
		return final == manifestMirror || p.judgeBatch(final, false) == removeIfOlder
	})
	return err
}

// objectStoreVerdict narrows verdict v of a file found in a dropped
// table's partition on an object store to what is provably the dropped
// table's: a batch file or mirror naming its incarnation, or a file its
// manifests listed (a listed untagged one by its time, as always). A
// partition there may be another table's too: two s3 storages can name
// one bucket and prefix through two addresses of one store (a DNS alias,
// a proxy) that the storages' overlap check cannot tell apart, and their
// templates can map two table ids to one directory. So the walk keeps
// what it cannot prove its own: untagged names it did not list and
// mirrors without an incarnation (which would go by the store's clock),
// and files of another incarnation even when the catalog has no table of
// it (a restore under way in another namespace writes such files before
// its table exists). What is kept is counted in files_kept.
func objectStoreVerdict(v verdict, listed bool) verdict {
	if v == removeIfOlder && !listed {
		return keepFile
	}
	return v
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

// supersededCleanups are the interrupted cleanup jobs whose part of a
// dropped table's walk another interrupted job of the same drop covers:
// one that resumes earlier (ResumeAfter "" or a lower key), as a run and
// the one it handed on to are when a restart comes between the hand-on
// and the end of the run. Retried too, each would start a chain of its
// own over the same partitions.
func supersededCleanups(interrupted []*systable.Job) map[string]bool {
	type drop struct {
		ns, table, incarnation string
		droppedAt              int64 // UnixNano: a time.Time compares its location too
	}
	earliest := map[drop]*systable.Job{}
	resume := map[string]string{}
	superseded := map[string]bool{}
	for _, j := range interrupted {
		var p cleanupParams
		if j.JobType != jobs.TypeCleanup || j.TableName == "" || json.Unmarshal(j.Parameters, &p) != nil || p.Incarnation == "" || p.Layout == nil {
			continue
		}
		resume[j.JobID] = p.ResumeAfter
		d := drop{j.NamespaceID, j.TableName, p.Incarnation, p.DroppedAt.UnixNano()}
		switch e, ok := earliest[d]; {
		case !ok:
			earliest[d] = j
		case p.ResumeAfter < resume[e.JobID]:
			superseded[e.JobID] = true
			earliest[d] = j
		default:
			superseded[j.JobID] = true
		}
	}
	return superseded
}

// errUnreadableParameters: an interrupted job's parameters are not ones
// this version can read (a row of another version, or damaged), so it
// cannot be run again.
var errUnreadableParameters = errors.New("unreadable parameters")

// retryCleanup restarts a cleanup job a crash interrupted: a table's, or
// a namespace's (no table name). crashes is the interrupted job's count,
// carried so that the retries are bounded; a run that hands on to the
// next one (continueCleanup) made progress, so the next starts from none.
func (m *Manager) retryCleanup(raw json.RawMessage, ns, table string, crashes int) error {
	if table == "" {
		var p namespaceCleanupParams
		if err := json.Unmarshal(raw, &p); err != nil {
			return fmt.Errorf("cleanup parameters: %w: %w", errUnreadableParameters, err)
		}
		_, err := m.jobs.Submit(jobs.Spec{Type: jobs.TypeCleanup, NamespaceID: ns, Parameters: p, Crashes: crashes},
			m.namespaceCleanupRun(ns, p))
		return err
	}
	var p cleanupParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("cleanup parameters: %w: %w", errUnreadableParameters, err)
	}
	_, err := m.jobs.Submit(jobs.Spec{Type: jobs.TypeCleanup, NamespaceID: ns, TableName: table, Parameters: p,
		Key: systable.TableID(ns, table), Crashes: crashes}, m.cleanupRun(ns, table, p))
	return err
}

// cleanupRemedy says, for an interrupted cleanup that is not run again,
// what stays behind and what to do about it.
func cleanupRemedy(j *systable.Job) string {
	if j.TableName == "" {
		return fmt.Sprintf("the dropped namespace %s may leave empty directories in its storages: remove them by hand", j.NamespaceID)
	}
	var p cleanupParams
	where := "its storage"
	if json.Unmarshal(j.Parameters, &p) == nil && p.StorageID != "" {
		where = "storage " + p.StorageID
		if p.BaseDirectory != "" {
			where += " (" + p.BaseDirectory + ")"
		}
	}
	if p.Incarnation != "" {
		// A table created again under the name writes in the same
		// directories: the tag in the names tells the two apart.
		where += fmt.Sprintf(", the batch files whose name tags begin with its incarnation %s", p.Incarnation)
	}
	if len(p.Files) > 0 {
		// Untagged names tell no table: only the list says they were
		// the dropped table's (inlineCleanupFiles puts a continuation's
		// list here).
		where += fmt.Sprintf(", and the %d files its manifests listed (this job's parameters, files)", len(p.Files))
	}
	return fmt.Sprintf("the files of the dropped table %s.%s stay in %s: remove them by hand once the cause of the crashes is known",
		j.NamespaceID, j.TableName, where)
}
