package tier

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Options configure a Manager.
type Options struct {
	// Jobs runs flush, compaction and cleanup jobs. Required.
	Jobs *jobs.Manager
	// Locks are the database's partition locks, which commits take too:
	// a flush or compaction changes a partition's manifest under its lock.
	// Required.
	Locks *txn.Locks
	// DefaultFlush applies to tables without a FLUSH_POLICY.
	DefaultFlush FlushPolicy
	// StorageFaults, when set, injects failures into every storage opened
	// (tests of full or failing disks).
	StorageFaults *cold.Faults
	// ObsoleteFileGrace is how long files replaced by a compaction stay
	// readable (0: DefaultObsoleteFileGrace).
	ObsoleteFileGrace time.Duration
	// CompactAfterFiles starts a compaction when a flush leaves a
	// partition with this many files (0: DefaultCompactAfterFiles).
	CompactAfterFiles int
	// Failpoint, when set, is called at each named crash point of flush
	// and compaction (FailFlush*, FailCompact*); crash tests make it exit
	// the process.
	Failpoint func(point string)
	// ColdCacheBytes bounds the cache of what reads decode from cold
	// files, shared by all of them (0: cold.DefaultCacheBytes; negative:
	// no page cache, open files keep their footers and indexes only).
	ColdCacheBytes int64
	// S3CacheBytes bounds the in-memory cache of byte ranges (footers,
	// column chunks) read from s3 storages (0: DefaultS3CacheBytes; < 0:
	// no cache).
	S3CacheBytes int64
	// S3MaxRetries is how often a failed request to an object store is
	// tried again (0: the client's default).
	S3MaxRetries int
	// CleanupPartitionsPerRun bounds the partitions one run of a dropped
	// table's cleanup visits; a job that reaches it hands the rest to a
	// new job (0: DefaultCleanupPartitionsPerRun).
	CleanupPartitionsPerRun int
	// OnSystemPartitionsKept, when set, is told of each flush or
	// compaction that left partitions of system users alone because
	// their table's storage may not hold them (keepsSystemPartition):
	// the server logs it as a warning.
	OnSystemPartitionsKept func(job, table, storage string, partitions int)
}

// Manager runs the tier lifecycle of every table (see the package doc).
type Manager struct {
	db     *kv.DB
	cat    *catalog.Catalog
	tables *tables.Registry
	jobs   *jobs.Manager
	locks  *txn.Locks
	opts   Options

	// manifests is system.manifest: every partition's files, read at the
	// statement's snapshot.
	manifests *systable.Table[systable.Manifest]
	// decoded keeps decoded manifests, checked against their stored bytes.
	decoded *manifestCache
	// writes count the manifest writes in progress and done, by stripe:
	// for the reads at a snapshot, and the tables' epochs (txn.Cold)
	// (manifestWrites).
	writes *manifestWrites
	// seams are set by this package's tests only (nil: none).
	seams testSeams
	files *fileCache
	// manifestReads counts the reads of a latest manifest row, and
	// manifestHits the snapshot reads a settled entry answered (for tests).
	manifestReads, manifestHits atomic.Int64

	// ranges caches what reads fetch from s3 storages; nil: none.
	ranges *cold.RangeCache

	mu       sync.Mutex
	storages map[string]cold.Storage // by storage id
	// fingerprints of the definitions the storages were opened from.
	fingerprints map[string]string

	policyMu  sync.Mutex
	lastFlush map[string]time.Time
	// holds are the tables whose flush or compaction (by job type and
	// table id) a start gave up, as it crashed the server at every start
	// up to the bound: the table's flush policy does not flush it, nor
	// does a flush compact it, which would start the crashes again, until
	// that work is asked for by hand (SubmitFlush, SubmitCompaction).
	// Built at start from system.jobs, so it outlives restarts until then.
	holds map[[2]string]bool

	// closing is closed by Close; obsoleteWG tracks deferred file removals.
	closing    chan struct{}
	closeOnce  sync.Once
	obsoleteWG sync.WaitGroup
	obsolete   *obsoleteFiles

	// builds are the index build jobs queued or running.
	builds *indexBuilds

	// drops keeps flushes and compactions from committing a manifest of a
	// table being dropped, or dropped (dropgate.go).
	drops dropGate
}

// Open returns the tier manager over the store and catalog.
func Open(db *kv.DB, cat *catalog.Catalog, tabs *tables.Registry, o Options) (*Manager, error) {
	if o.Jobs == nil || o.Locks == nil {
		return nil, errors.New("tier: Options.Jobs and Options.Locks are required")
	}
	manifests, err := systable.Open(db, systable.Manifests)
	if err != nil {
		return nil, fmt.Errorf("tier: %w", err)
	}
	var pages *cold.Cache
	if o.ColdCacheBytes >= 0 {
		if pages, err = cold.NewCache(cold.CacheOptions{Bytes: o.ColdCacheBytes}); err != nil {
			return nil, fmt.Errorf("tier: %w", err)
		}
	}
	cacheBytes := o.S3CacheBytes
	if cacheBytes == 0 {
		cacheBytes = DefaultS3CacheBytes
	}
	return &Manager{db: db, cat: cat, tables: tabs, jobs: o.Jobs, locks: o.Locks, opts: o, manifests: manifests,
		decoded: newManifestCache(defaultManifestCacheBytes), writes: new(manifestWrites), files: newFileCache(1024, pages), ranges: cold.NewRangeCache(cacheBytes),
		storages: map[string]cold.Storage{}, fingerprints: map[string]string{},
		closing: make(chan struct{}), obsolete: newObsoleteFiles(), builds: &indexBuilds{jobs: map[string]indexBuild{}}}, nil
}

// Close waits for deferred file removals (ending their grace at once) and
// closes the open files and storages. No statement may be reading then.
func (m *Manager) Close() {
	m.closeOnce.Do(func() { close(m.closing) })
	m.obsoleteWG.Wait()
	m.files.closeAll()
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, fsys := range m.storages {
		_ = fsys.Close()
		delete(m.storages, id)
	}
}

// ManifestTable is system.manifest as the query engine shows it.
func (m *Manager) ManifestTable() systable.SQLTable { return m.manifests }

// Manifests returns every partition's manifest.
func (m *Manager) Manifests() ([]*systable.Manifest, error) {
	return m.manifests.ScanAll()
}

// manifestStripe counts the writes of the manifests that hash to it: the
// manifests of the partitions whose ids hash to it (flush, compaction), or
// every manifest of the tables whose ids hash to it (drop, restore).
//
// Invariants: every write of a manifest is counted in writing of its
// stripe before its batch is written (beginPartitionWrite,
// beginTableWrite), raises written to at least the DB's written sequence
// number and moves moved once the batch is written or has failed (a
// failed write may still have been applied), and only then leaves
// writing. So a reader that finds writing at 0 after taking its snapshot
// knows that every write of the stripe's manifests its snapshot sees has
// moved moved already; and a snapshot whose lower bound is at least
// written, read after moved, sees every write counted in moved.
//
// written is raised to the DB's written sequence number, not the write's
// own: a settled entry holds for snapshots from there on, not from the
// DB's number at its read (under a steady write load that number has
// passed every running statement's snapshot, and every miss would read
// the row twice).
type manifestStripe struct {
	moved   atomic.Uint64
	writing atomic.Int64
	written atomic.Uint64
}

// The stripes a Manager keeps (manifestWrites). Partitions come and go by
// the million and tables are dropped: the counters of one partition, or
// table, would have to be kept as long as any cached entry or running
// statement could still compare against them, so they are striped instead
// (fixed arrays, about 230 KB, never growing, nothing to forget).
// Manifests hashing to one stripe share its counters: a write of one only
// makes the others' settled entries miss once (one row read each), never
// answer wrongly.
const (
	partitionStripes = 1 << 13
	tableStripes     = 1 << 10
)

// manifestWrites are the counters of the writes of every manifest, by
// stripe: a manifest's own partition stripe (flush and compaction write
// one partition's manifest) and its table's stripe (a drop or a restore
// writes every manifest of a table in one batch). A settled cache entry
// answers a snapshot only while neither of its two stripes has a write
// in progress or has moved since it was read (manifestCache.atSnapshot),
// so a flush of one user's partition leaves the other partitions' entries
// answering, while a drop or restore invalidates every one of its table.
type manifestWrites struct {
	partitions [partitionStripes]manifestStripe
	tables     [tableStripes]tableStripe
}

// tableStripe is the stripe of the tables whose ids hash to it: their
// table-wide writes (manifestStripe), and epoch, which moves with every
// write of any of their manifests, partitions' too, once it is visible
// (a flush's or compaction's before it releases the partition's lock):
// the tables' epoch (Manager.Epoch) for txn.Cold and the cache's latest
// stamps (manifestCache.latest). Tables sharing it only see each other's
// writes as moves of their own epoch: a commit's cold lookup, or a latest
// entry, is read again.
type tableStripe struct {
	manifestStripe
	epoch atomic.Uint64
}

// table returns the stripe of table tableID.
func (w *manifestWrites) table(tableID string) *tableStripe {
	return &w.tables[stripeHash(tableID)%tableStripes]
}

// stripes returns the stripes of manifest id of table tableID.
func (w *manifestWrites) stripes(tableID, id string) (table, partition *manifestStripe) {
	return &w.table(tableID).manifestStripe, &w.partitions[stripeHash(id)%partitionStripes]
}

// stripeHash is FNV-1a: deterministic (tests can tell which ids share a
// stripe), allocation free, and good enough to spread ids; ids chosen to
// collide cost only misses.
func stripeHash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// beginPartitionWrite counts a write of manifest id of table tableID (a
// flush's or a compaction's: one partition) as in progress; the write
// calls what it returns once its batch is written or has failed, in every
// case (a deferred call).
func (m *Manager) beginPartitionWrite(tableID, id string) (end func()) {
	_, s := m.writes.stripes(tableID, id)
	return m.beginWrite(tableID, s)
}

// beginTableWrite counts a write of any manifests of table tableID (a
// drop's or a restore's: every partition) as in progress; the write calls
// what it returns once its batch is written or has failed.
func (m *Manager) beginTableWrite(tableID string) (end func()) {
	s, _ := m.writes.stripes(tableID, "")
	return m.beginWrite(tableID, s)
}

// writePartitionManifest writes b, which changes manifest id of table
// tableID (one partition's, and nothing else's), counted as a write of
// that partition in progress until b is written or has failed. The count
// ends before it returns, on every path: a flush and a compaction call it
// under the partition's lock, and the table's epoch must move before they
// release it (txn.Cold).
func (m *Manager) writePartitionManifest(b *kv.Batch, tableID, id string) error {
	defer m.beginPartitionWrite(tableID, id)()
	return m.writeBatch(b)
}

// testSeams let this package's tests step into a Manager's work.
type testSeams struct {
	// write replaces the DB's Write for the manifest batches tier writes
	// (a failing disk; a write applied, then failed).
	write func(b *kv.Batch) error
	// beforeLatestRow runs in readLatest after the counters are read and
	// before the latest manifest row is.
	beforeLatestRow func()
}

// writeBatch writes a batch of manifest changes tier makes itself.
func (m *Manager) writeBatch(b *kv.Batch) error {
	if m.seams.write != nil {
		return m.seams.write(b)
	}
	return m.db.Write(b)
}

func (m *Manager) beginWrite(tableID string, s *manifestStripe) (end func()) {
	ts := m.writes.table(tableID)
	s.writing.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			// The write has returned: the DB's written sequence number is
			// at least its own.
			seq := m.db.WrittenSeq()
			for {
				old := s.written.Load()
				if old >= seq || s.written.CompareAndSwap(old, seq) {
					break
				}
			}
			s.moved.Add(1)
			ts.epoch.Add(1)
			s.writing.Add(-1)
		})
	}
}

// storage returns the file storage of a storage definition, opening it on
// first use and again when the definition changed.
func (m *Manager) storage(st *systable.Storage) (cold.Storage, error) {
	if st.StorageType != catalog.StorageFilesystem && st.StorageType != catalog.StorageS3 {
		return nil, apierror.New(apierror.SQLExecutionError, "storage %s: type %s is not supported", st.StorageID, st.StorageType)
	}
	fp := storageFingerprint(st)
	m.mu.Lock()
	defer m.mu.Unlock()
	if fsys, ok := m.storages[st.StorageID]; ok && m.fingerprints[st.StorageID] == fp {
		return fsys, nil
	}
	var fsys cold.Storage
	if st.StorageType == catalog.StorageS3 {
		s3, err := m.openS3(st)
		if err != nil {
			return nil, err
		}
		fsys = s3
	} else {
		fs, err := cold.NewFS(st.BaseDirectory)
		if err != nil {
			return nil, apierror.Wrap(apierror.SQLExecutionError, err, fmt.Sprintf("storage %s is not usable", st.StorageID))
		}
		fs.Faults = m.opts.StorageFaults
		fsys = fs
	}
	if old, ok := m.storages[st.StorageID]; ok {
		_ = old.Close()
		m.files.forgetStorage(st.StorageID)
	}
	m.storages[st.StorageID] = fsys
	m.fingerprints[st.StorageID] = fp
	return fsys, nil
}

// tableStorage returns the storage of a USER or SHARED table, for reading.
func (m *Manager) tableStorage(t *catalog.Table) (*systable.Storage, cold.Storage, error) {
	return m.tableStorageWith(t, m.storage)
}

// tableStorageForWrite returns the storage of a table for writing and
// deleting files (writableStorage).
func (m *Manager) tableStorageForWrite(t *catalog.Table) (*systable.Storage, cold.Storage, error) {
	return m.tableStorageWith(t, m.writableStorage)
}

func (m *Manager) tableStorageWith(t *catalog.Table, open func(*systable.Storage) (cold.Storage, error)) (*systable.Storage, cold.Storage, error) {
	st, ok := m.cat.Snapshot().Storage(t.Meta.StorageID)
	if !ok {
		return nil, nil, apierror.New(apierror.NotFound, "storage %s of table %s does not exist", t.Meta.StorageID, t.Meta.TableID)
	}
	fsys, err := open(st)
	return st, fsys, err
}

// writableStorage returns a storage for writing or deleting files: only a
// storage that keeps the path and template rules (catalog.StorageSafety).
// One that breaks them (defined before the rules, or a symbolic link moved
// it) stays readable, but flush, compaction and cleanup refuse it rather
// than write into, or delete from, a directory the server may not own.
func (m *Manager) writableStorage(st *systable.Storage) (cold.Storage, error) {
	if err := m.cat.StorageSafety(st); err != nil {
		msg := err.Error()
		if ae, ok := apierror.As(err); ok {
			msg = ae.Message
		}
		return nil, apierror.New(apierror.InvalidInput, "storage %s is not written to: %s", st.StorageID, msg)
	}
	return m.storage(st)
}

// The names of the files the server writes in a partition's directory;
// nothing else there is deleted (besides Create's temporary files).
const manifestMirror = "manifest.json"

// batchTagDigits is how many lowercase hex digits tag a batch file's
// name: the writer's table incarnation (catalog.IncarnationDigits), then
// random ones. The length is the one tags had before they carried the
// incarnation, so names of both kinds have one shape.
const batchTagDigits = 16

// newBatchName names a new file of a partition's batch n, written by a
// table of incarnation incarnation (catalog.Table.Incarnation):
// "batch-N-T.parquet", T being the incarnation then 4 random hex digits.
// The number is the partition's (manifest.NextBatch when the writer read
// it); the tag makes the name one no other writer chooses, and tells
// whose the file is.
//
// Several writers can pick the same number for one directory: a flush or
// compaction of a table that is dropped while it writes, and a restore
// (which runs under the namespace's job key, not the table's) of another
// history of that table into the same directory, or a table created again
// under the name. With the number alone, the later write replaced the
// other's file under the name a manifest lists, and a stale job's rows
// were served as the restored table's. Storages have no atomic
// create-if-absent or rename (s3), so names are made distinct instead of
// checked: those writers are of different incarnations. Writers of one
// incarnation and partition never write at once (a table's flushes and
// compactions share its job key), so the random digits only keep a
// retried job from reusing a crashed one's orphan name.
//
// The incarnation is what the cleanup of a dropped table goes by
// (cleanupParams.judgeBatch): file times cannot tell a file the dropped
// table wrote just before its drop from one a table created again under
// its name wrote just after (they come from a coarse clock that lags).
func newBatchName(n int64, incarnation string) string {
	var r [(batchTagDigits - catalog.IncarnationDigits) / 2]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails (it aborts the process instead)
	return fmt.Sprintf("batch-%d-%s%s.parquet", n, incarnation, hex.EncodeToString(r[:]))
}

// FreshBatchName returns a new name of the batch file named name (a base
// name, as a manifest lists it) for the table of incarnation incarnation:
// the same batch number, a new tag, so the name is no other file's
// (newBatchName) and the file is that table's. A restore copies each file
// of a backup under such a name, for the incarnation it gives the
// restored table. ok is false when name is not a batch file's name or
// incarnation is not one (catalog.ValidIncarnation).
func FreshBatchName(name, incarnation string) (fresh string, ok bool) {
	n, ok := batchNumber(name)
	if !ok || !catalog.ValidIncarnation(incarnation) {
		return "", false
	}
	return newBatchName(n, incarnation), true
}

// IsBatchName reports whether name (a base name) is one a partition's
// writers give a batch file (batchNumber): a restore refuses a backup
// whose manifests list any other, which no flush, compaction or drop
// would ever remove, or which is the partition's manifest.json mirror.
func IsBatchName(name string) bool {
	_, ok := batchNumber(name)
	return ok
}

// batchNumber parses the name of a batch file the server writes
// (parseBatchName) and returns its number.
func batchNumber(name string) (n int64, ok bool) {
	n, _, ok = parseBatchName(name)
	return n, ok
}

// parseBatchName parses the name of a batch file the server writes:
// "batch-N-T.parquet" (newBatchName) or "batch-N.parquet" (the names
// written before tags, still listed by older manifests and backups; tag
// is "" then), N ≥ 1 in canonical decimal, T exactly 16 lowercase hex
// digits. Tags written before they carried the incarnation have the same
// shape, random throughout. ok is false for any other name: nothing else
// in a partition's directory is the server's to delete.
func parseBatchName(name string) (n int64, tag string, ok bool) {
	rest, found := strings.CutPrefix(name, "batch-")
	if !found {
		return 0, "", false
	}
	rest, found = strings.CutSuffix(rest, ".parquet")
	if !found {
		return 0, "", false
	}
	digits, tag, tagged := strings.Cut(rest, "-")
	if tagged && !isBatchTag(tag) {
		return 0, "", false
	}
	if digits == "" || digits[0] == '0' || len(digits) > 18 {
		return 0, "", false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, "", false
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, tag, err == nil
}

// isBatchTag reports whether tag is one newBatchName writes.
func isBatchTag(tag string) bool {
	return len(tag) == batchTagDigits && strings.Trim(tag, "0123456789abcdef") == ""
}

// tagIncarnation is the incarnation a batch file's tag names (a tag
// written before tags carried one names a random one, no table's).
func tagIncarnation(tag string) string { return tag[:catalog.IncarnationDigits] }

// mirrorFile is what a manifest.json mirror holds: the incarnation of
// the table that wrote it (catalog.Table.Incarnation), then the manifest's
// own fields. Mirrors written before it have no incarnation.
type mirrorFile struct {
	Incarnation string `json:"incarnation"`
	*systable.Manifest
}

// writeManifestMirror writes manifest.json beside a partition's files. It
// is a convenience for tools and humans; system.manifest is the truth, so
// a failure here fails nothing.
//
// The mirror also names the incarnation of the table that wrote it
// (mirrorFile), for the cleanup of a dropped table: a table created again
// under its name writes its mirror to the same path.
func writeManifestMirror(ctx context.Context, fsys cold.Storage, dir string, mf *systable.Manifest, incarnation string) error {
	raw, err := json.MarshalIndent(mirrorFile{Incarnation: incarnation, Manifest: mf}, "", "  ")
	if err != nil {
		return err
	}
	return writeAll(ctx, fsys, path.Join(dir, manifestMirror), raw)
}

// removeOrphans deletes files in a partition directory that its manifest
// does not list: a file written by a flush that died before committing, or
// one a compaction replaced before the server stopped. Readers at current
// snapshots never see such files (they read the manifest), so removing
// them is only housekeeping; files a compaction replaced that readers at
// older snapshots may still open (obsoleteFiles) are left alone.
//
// Only names this partition's writer has produced are candidates: batch
// files numbered up to the manifest's next batch (the one a crashed write
// was producing), and Create's temporary files for such names, unless
// their tag names the incarnation of another table the catalog has (live,
// asked only when such a tag is found): a table of another id whose
// partition this directory is, through storages whose overlap their
// checks could not see, keeps its files. incarnation is the table's own.
// A tag of no live table is a dropped table's leftover or, written before
// tags carried incarnations, this table's own: removed as before.
// Anything else in the directory was not written by the server and stays.
//
// On an object store (objectStore) only files naming incarnation are
// candidates, and no manifest.json upload is aborted: two s3 storages can
// reach one bucket and prefix through two addresses of one store, which
// no overlap check can tell apart, so the directory may be another
// table's partition too, holding its untagged names (written before tags)
// or files of an incarnation the catalog does not have yet (a restore
// under way). Those, and this table's own orphans from before tags
// carried incarnations, stay (docs/storage.md).
func (m *Manager) removeOrphans(ctx context.Context, storageID string, fsys cold.Storage, dir string, mf *systable.Manifest,
	incarnation string, live func() map[string]bool, objectStore bool) error {
	entries, err := listIfExists(ctx, fsys, dir)
	if err != nil {
		return err
	}
	listed := make(map[string]bool, len(mf.Files))
	for _, f := range mf.Files {
		listed[f.Path] = true
	}
	var others map[string]bool // live incarnations, once a tag needs them
	own := func(name string) (int64, bool) {
		n, tag, ok := parseBatchName(name)
		if objectStore {
			return n, ok && tag != "" && tagIncarnation(tag) == incarnation
		}
		if !ok || tag == "" || tagIncarnation(tag) == incarnation {
			return n, ok
		}
		if others == nil {
			others = live()
		}
		return n, !others[tagIncarnation(tag)]
	}
	for _, en := range entries {
		n, ok := own(en.Name)
		p := path.Join(dir, en.Name)
		if en.IsDir || !ok || n > mf.NextBatch || listed[p] || m.obsolete.isPending(storageID, p) {
			continue
		}
		m.files.forget(storageID, p)
		if err := fsys.Remove(ctx, p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	_, err = fsys.CleanupTemp(ctx, dir, time.Time{}, func(final string) bool {
		_, ok := own(final)
		return ok || final == manifestMirror && !objectStore
	})
	return err
}

// removeUncommitted removes file, which a flush or a compaction of the
// partition of manifest manifestID wrote and then failed to commit (a drop
// of its table, the drop gate, a failed batch), unless the partition's
// manifest row lists it (a batch that failed after being applied). No one
// else lists it, then or later: its name is its writer's own
// (newBatchName), so a row listing that path lists this file, never a
// restored or re-created table's file of the same batch. Left, it stays
// until the partition's next flush removes it as an orphan or, when the
// table was dropped meanwhile, until the drop's cleanup job does (it
// runs after this job, under the same job key, and removes every file
// tagged with its table's incarnation, whatever its time). Best effort: a
// file that cannot be removed is an orphan, as before.
func (m *Manager) removeUncommitted(ctx context.Context, storageID string, fsys cold.Storage, manifestID, file string) {
	mf, err := m.manifests.Get(manifestID)
	switch {
	case errors.Is(err, systable.ErrNotFound):
	case err != nil:
		return
	default:
		for _, f := range mf.Files {
			if f.Path == file {
				return
			}
		}
	}
	m.files.forget(storageID, file)
	_ = fsys.Remove(context.WithoutCancel(ctx), file)
}

// listIfExists lists a directory of a storage; a missing one is empty.
func listIfExists(ctx context.Context, fsys cold.Storage, dir string) ([]cold.Entry, error) {
	entries, err := fsys.List(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return entries, err
}

// Why a flush (KeptHotReason) or a compaction (KeptUncompactedReason)
// left system users' partitions alone (keepsSystemPartition), as their
// results say.
const (
	systemPartitionsRule  = "no file of a system user's partition is written to an s3 storage placed by a non-system account"
	KeptHotReason         = systemPartitionsRule + "; their rows stay in the hot tier, readable as before"
	KeptUncompactedReason = systemPartitionsRule + "; their files are left as they are"
)

// keepsSystemPartition reports whether no file of the partition of user
// in table t may be written to storage st: t is a USER table, user has
// the system role now, and st is an s3 storage a non-system account
// placed (catalog.MayHoldSystemPartitions). Flush then leaves the rows in
// the hot tier, where they stay readable, and compaction leaves the
// partition's files as they are. SHARED tables are not partitioned by
// user and are written as they are.
//
// A partition whose owner has no account (dropped: DROP USER leaves its
// rows where they are) counts as a system user's: its role is gone and
// may have been system, which is why a dba's backup leaves dropped
// owners out too; written to such a storage, a dropped root-level
// account's rows would be the dba's to read there.
func (m *Manager) keepsSystemPartition(t *catalog.Table, st *systable.Storage, user string) bool {
	if t.Meta.TableType != dialect.TableTypeUser || catalog.MayHoldSystemPartitions(st) {
		return false
	}
	u, ok := m.cat.Snapshot().User(user)
	return !ok || u.Role == systable.RoleSystem
}

// reportKept tells Options.OnSystemPartitionsKept of partitions a job
// left alone.
func (m *Manager) reportKept(job string, t *catalog.Table, st *systable.Storage, partitions int) {
	if partitions > 0 && m.opts.OnSystemPartitionsKept != nil {
		m.opts.OnSystemPartitionsKept(job, t.Meta.TableID, st.StorageID, partitions)
	}
}

// partitionOwner is the manifest user of a partition: the user for a USER
// table, "" for a SHARED one.
func partitionOwner(t *catalog.Table, userID string) string {
	if t.Meta.TableType == dialect.TableTypeUser {
		return userID
	}
	return ""
}

// Retry resubmits the work of jobs a crash interrupted (a job it cannot
// run again gets an error message saying why). A flush is simply
// run again for its table: whatever the crashed one committed is already
// gone from the hot tier, and what it wrote without committing is an
// orphan file the new flush removes. Each retry carries the crash count
// of the job it retries; one that reached the bound (jobs.Manager.GiveUp)
// is not run again, its message saying what to do instead.
func (m *Manager) Retry(interrupted []*systable.Job) error {
	if err := m.holdGivenUp(); err != nil {
		return err
	}
	superseded := supersededCleanups(interrupted)
	if err := m.sweepFileLists(interrupted, superseded); err != nil {
		return err
	}
	for _, j := range interrupted {
		if superseded[j.JobID] {
			continue
		}
		if j.JobType == jobs.TypeCleanup {
			if m.jobs.GiveUp(j, cleanupRemedy(j)) {
				if err := m.inlineCleanupFiles(j); err != nil {
					return fmt.Errorf("give up job %s: %w", j.JobID, err)
				}
				continue
			}
			err := m.retryCleanup(j.Parameters, j.NamespaceID, j.TableName, j.Crashes)
			if errors.Is(err, errUnreadableParameters) {
				// Failing the start would fail every later one too (its
				// row stays running until a start gets past Retry): it is
				// recorded failed, saying it does not run again.
				j.ErrorMessage = "interrupted: the server stopped before the job ended; not run again: " + err.Error()
				continue
			}
			if err != nil {
				return fmt.Errorf("retry job %s: %w", j.JobID, err)
			}
			continue
		}
		if j.JobType != jobs.TypeFlush && j.JobType != jobs.TypeCompact {
			continue
		}
		t, ok := m.cat.Snapshot().Table(j.NamespaceID, j.TableName)
		if !ok {
			continue // dropped since: nothing to redo
		}
		ns, name := t.Meta.NamespaceID, t.Meta.TableName
		remedy := fmt.Sprintf("STORAGE FLUSH TABLE %s.%s flushes the table again (its rows stay in the hot tier meanwhile, "+
			"and its flush policy does not flush it until then)", ns, name)
		if j.JobType == jobs.TypeCompact {
			remedy = fmt.Sprintf("STORAGE COMPACT TABLE %s.%s compacts the table again (flushes do not start a compaction of it until then)", ns, name)
		}
		if m.jobs.GiveUp(j, remedy) {
			m.hold(j.JobType, t.Meta.TableID, true)
			continue
		}
		// A crash after a commit may have left manifest.json mirrors
		// behind system.manifest: rewrite them before redoing the work.
		_, err := m.jobs.Submit(jobs.Spec{Type: j.JobType, NamespaceID: ns, TableName: name, Key: t.Meta.TableID,
			Parameters: map[string]string{"retry_of": j.JobID}, Crashes: j.Crashes},
			func(ctx context.Context, p *jobs.Progress) (any, error) {
				if err := m.syncMirrors(ctx, ns, name); err != nil {
					return nil, err
				}
				if j.JobType == jobs.TypeFlush {
					return m.flush(ctx, ns, name, nil, p)
				}
				return m.compact(ctx, ns, name, p)
			})
		if err != nil {
			return fmt.Errorf("retry job %s: %w", j.JobID, err)
		}
	}
	return nil
}

// TableStats describes where a table's rows are.
type TableStats struct {
	HotRows    int64 // row versions in RocksDB (deleted ones included)
	ColdRows   int64 // row versions in Parquet files
	Files      int64
	Bytes      int64 // bytes of the Parquet files
	Partitions int64 // partitions with cold files
}

// TableStats counts a table's rows in each tier: of one user's partition
// of a USER or STREAM table, or of all partitions when userID is "".
func (m *Manager) TableStats(t *catalog.Table, userID string) (TableStats, error) {
	var st TableStats
	cf, ok := m.db.LookupColumnFamily(t.Family)
	if !ok {
		return st, apierror.New(apierror.TableNotFound, "table %s was dropped", t.Meta.TableID)
	}
	opts := kv.IterOptions{}
	if userID != "" && t.PerUser() {
		opts = kv.PrefixOptions(keyenc.AppendUserPrefix(nil, userID))
	}
	it, err := cf.NewIter(opts)
	if err != nil {
		return st, err
	}
	for ok := it.First(); ok; ok = it.Next() {
		st.HotRows++
	}
	if err := it.Close(); err != nil {
		return st, err
	}
	if t.Meta.TableType == dialect.TableTypeStream {
		return st, nil
	}
	ms, err := m.tableManifests(t)
	if err != nil {
		return st, err
	}
	for _, mf := range ms {
		if userID != "" && t.Meta.TableType == dialect.TableTypeUser && mf.UserID != userID {
			continue
		}
		if len(mf.Files) > 0 {
			st.Partitions++
		}
		for _, f := range mf.Files {
			st.Files++
			st.ColdRows += f.Rows
			st.Bytes += f.Bytes
		}
	}
	return st, nil
}

// syncMirrors rewrites the manifest.json of every partition of a table
// from system.manifest.
func (m *Manager) syncMirrors(ctx context.Context, ns, name string) error {
	t, ok := m.cat.Snapshot().Table(ns, name)
	if !ok {
		return nil
	}
	storage, fsys, err := m.tableStorageForWrite(t)
	if err != nil {
		return err
	}
	ms, err := m.tableManifests(t)
	if err != nil {
		return err
	}
	for _, mf := range ms {
		if m.keepsSystemPartition(t, storage, mf.UserID) {
			continue // its file list is not written there either
		}
		if err := writeManifestMirror(ctx, fsys, catalog.PartitionPath(storage, t, mf.UserID), mf, t.Incarnation()); err != nil {
			return fmt.Errorf("rewrite manifest.json of %s: %w", mf.ManifestID, err)
		}
	}
	return nil
}
