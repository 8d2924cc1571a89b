package tier

import (
	"bytes"
	"sort"
	"sync"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// manifestCache keeps the decoded file lists of the manifests statements
// read. Every cold read and every INSERT's duplicate check reads its
// partition's manifest, and decoding its JSON cost more (~10 µs for a
// newest-50 read) than the rest of finding the files.
//
// Invariants:
//   - an entry is keyed by manifest id and holds the exact stored bytes
//     it was decoded from; a lookup compares them with the bytes the
//     caller read at its own snapshot, so an entry is never stale for any
//     snapshot, and no invalidation hook is needed;
//   - entries are never changed after they are stored: callers share
//     their file lists read-only;
//   - the bytes held are bounded by maxBytes; past it, entries are dropped
//     in map order (random) until the new one fits.
//
// An entry may also be stamped as the latest manifest of its partition
// (latest, putLatest): the epoch of its table read before the manifest
// was, and the table it was read for. Only the cold checks of keys a
// commit writes (Manager.NewestVersions) use stamps, to skip reading the
// manifest row at all; they rely on two rules:
//   - every write of a manifest moves its table's epoch after the write
//     is visible (flush, compaction, drop, restore): an entry read before
//     the write has an older epoch than any lookup after the move (the
//     epoch is its table stripe's, tableStripe: shared tables only move
//     it more often);
//   - the writers that may overlap a commit of the same table hold the
//     partition's lock across the write and the move (flush,
//     compaction), as commit validation does; the others write the
//     manifests of a table that no statement can be writing (a drop, in
//     the batch that removes the table; a restore, in the batch that
//     creates it), and an entry answers only for the table (*catalog.Table,
//     one per version of its definition) it was read for.
//
// A stamped entry may also be settled (atSnapshot): no write of its
// manifest was in progress or finished between the read of its counters
// and the end of its row's read, as counted by the two stripes of its
// manifest
// (manifestWrites): its partition's, which a flush or compaction of the
// partition counts, and its table's, which a drop or restore of the
// table counts. Reads at a snapshot (every statement's cold files) use
// settled entries without reading the manifest row: a settled entry
// answers a snapshot whose sequence number is at least the one it was
// read at, and only while neither stripe has a write in progress or has
// moved since the entry was read, checked after the snapshot was taken.
// A flush of one user's partition thus leaves every other partition's
// entry answering (unless its id shares the stripe), while a drop or a
// restore stops every entry of its table.
type manifestCache struct {
	maxBytes int64

	mu    sync.RWMutex
	m     map[string]*decodedManifest
	bytes int64
}

// decodedManifest is a manifest's file list, newest first (MaxSeq
// descending), as decoded from raw.
type decodedManifest struct {
	raw   []byte
	files []systable.ManifestFile
	// absent: the partition had no manifest (raw and files are nil).
	absent bool
	// stamped: the entry was the latest manifest when table's epoch was
	// epoch (see manifestCache).
	stamped bool
	table   *catalog.Table
	epoch   uint64
	// settled: no write of the manifest was in progress or finished
	// while the entry was read, as counted by at's stripes, so the entry
	// is the manifest at every snapshot whose sequence number is at least
	// seq while at is current (see atSnapshot).
	settled bool
	at      settledAt
	seq     uint64
}

// settledAt is where the counters of a manifest's writes stood when a
// settled entry was read: its table's stripe and its partition's, and
// how far each had moved.
type settledAt struct {
	table, partition           *manifestStripe
	tableMoved, partitionMoved uint64
}

// current says that no write counted by the stripes is in progress and
// none has finished since the entry was read. The loads are in this
// order (in progress, then moved) for atSnapshot's reason.
func (s *settledAt) current() bool {
	return s.table.writing.Load() == 0 && s.partition.writing.Load() == 0 &&
		s.table.moved.Load() == s.tableMoved && s.partition.moved.Load() == s.partitionMoved
}

// defaultManifestCacheBytes bounds the manifests kept (charged about
// twice their stored bytes each).
const defaultManifestCacheBytes = 8 << 20

func newManifestCache(maxBytes int64) *manifestCache {
	return &manifestCache{maxBytes: maxBytes, m: map[string]*decodedManifest{}}
}

// entryOverhead is charged to every entry besides its bytes, so that the
// entries of partitions without a manifest are bounded too.
const entryOverhead = 128

// cost is what an entry is charged: its bytes, about as much again for
// the decoded list, and the entry itself.
func (d *decodedManifest) cost() int64 { return 2*int64(len(d.raw)) + entryOverhead }

// get returns the file list decoded from raw for manifest id, if kept.
func (c *manifestCache) get(id string, raw []byte) ([]systable.ManifestFile, bool) {
	c.mu.RLock()
	d, ok := c.m[id]
	c.mu.RUnlock()
	if !ok || d.absent || !bytes.Equal(d.raw, raw) {
		return nil, false
	}
	return d.files, true
}

// latest returns the file list of manifest id (nil: no manifest) if it
// was kept as the latest one for table t at epoch, the table's current
// epoch, which the caller read first.
func (c *manifestCache) latest(id string, t *catalog.Table, epoch uint64) ([]systable.ManifestFile, bool) {
	c.mu.RLock()
	d, ok := c.m[id]
	c.mu.RUnlock()
	if !ok || !d.stamped || d.table != t || d.epoch != epoch {
		return nil, false
	}
	return d.files, true
}

// atSnapshot returns the file list of manifest id (nil: no manifest) at
// a snapshot of table t whose sequence number is at least lo, if a settled
// entry holds it. The caller took the snapshot before calling.
//
// Why that is exact: every write of the manifest is counted by one of the
// entry's two stripes (a flush or compaction of its partition by the
// partition's, a drop or restore of its table by the table's). A write
// the snapshot sees began (counted in writing) before the snapshot, so it
// had finished by this call's read of writing, and moved its stripe
// before: the stripe is where the entry saw it only if the write finished
// before the entry was read, when it was visible, so the entry holds it.
// A write the entry holds had raised its stripe's written sequence number
// past its own before it moved the stripe, and the entry loaded that
// number (seq, the higher of its two stripes') after the stripes, so a
// snapshot with lo >= seq sees it. The entry's table must be the caller's
// too (an entry answers only for the *catalog.Table it was read for); a
// restore counts its writes all the same, since a statement planned
// before a drop can still read by the dropped *catalog.Table once the
// restore has written the same manifest ids.
//
// current says, when ok is false, that the entry is settled for t and
// still current, and only the snapshot is older than it: reading the
// latest manifest again would settle the same list, so the caller reads
// the row at its snapshot only.
func (c *manifestCache) atSnapshot(id string, t *catalog.Table, lo uint64) (files []systable.ManifestFile, ok, current bool) {
	c.mu.RLock()
	d, found := c.m[id]
	c.mu.RUnlock()
	if !found || !d.settled || d.table != t || !d.at.current() {
		return nil, false, false
	}
	if lo < d.seq {
		return nil, false, true
	}
	return d.files, true, true
}

// put keeps files (newest first, decoded from raw) for manifest id,
// unless a stamped entry is kept for it: a snapshot older than the latest
// manifest (a transaction begun before a flush) would otherwise replace
// the entry every fresh statement uses with its own old list, on every
// read.
func (c *manifestCache) put(id string, raw []byte, files []systable.ManifestFile) {
	c.mu.RLock()
	d, ok := c.m[id]
	c.mu.RUnlock()
	if ok && d.stamped {
		return
	}
	c.store(id, &decodedManifest{raw: bytes.Clone(raw), files: files})
}

// putLatest keeps files (decoded from raw; raw nil: no manifest) as the
// latest manifest id of table t, read after the table's epoch was epoch;
// settled at at (with seq, the higher written sequence number of at's
// stripes, read after them and before the manifest) when no write of the
// manifest was in progress before, nor in progress or finished after, the
// read.
func (c *manifestCache) putLatest(id string, t *catalog.Table, epoch uint64, raw []byte, files []systable.ManifestFile,
	settled bool, at settledAt, seq uint64) {
	d := &decodedManifest{raw: bytes.Clone(raw), files: files, absent: raw == nil,
		stamped: true, table: t, epoch: epoch, settled: settled, at: at, seq: seq}
	// Two settled reads of one manifest at the same stripe counters hold
	// the same manifest (a write between them would have moved a stripe,
	// or been in progress at the later one's end), so the entry keeps the
	// lower sequence number: it answers every snapshot from there on.
	// Raising it would make every snapshot taken before this read miss,
	// and each miss raise it again. The table's epoch may have moved in
	// between (a write of another partition): the new entry takes it.
	c.mu.RLock()
	old, ok := c.m[id]
	c.mu.RUnlock()
	if settled && ok && old.settled && old.table == t && old.at == at && old.seq <= seq {
		if old.epoch == epoch {
			return
		}
		d.seq = old.seq
	}
	c.store(id, d)
}

func (c *manifestCache) store(id string, d *decodedManifest) {
	if d.cost() > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[id]; ok {
		c.bytes -= old.cost()
		delete(c.m, id)
	}
	for k, e := range c.m {
		if c.bytes+d.cost() <= c.maxBytes {
			break
		}
		c.bytes -= e.cost()
		delete(c.m, k)
	}
	c.m[id] = d
	c.bytes += d.cost()
}

// newestFirst is a copy of files sorted by MaxSeq, descending: a key's
// newest cold version is in the first file that holds it.
func newestFirst(files []systable.ManifestFile) []systable.ManifestFile {
	out := make([]systable.ManifestFile, len(files))
	copy(out, files)
	sort.SliceStable(out, func(i, j int) bool { return out[i].MaxSeq > out[j].MaxSeq })
	return out
}
