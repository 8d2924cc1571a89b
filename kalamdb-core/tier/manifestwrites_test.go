package tier

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// These tests drive the interleavings of manifest writes and reads at a
// snapshot by hand: a write is counted (beginPartitionWrite,
// beginTableWrite) and its batch written as flush, compaction, drop and
// restore do, and the test decides when it ends.

// manifestRig is a Manager with only what reads of manifests need.
type manifestRig struct {
	t   testing.TB
	m   *Manager
	tbl *catalog.Table
}

func newManifestRig(t testing.TB) *manifestRig {
	t.Helper()
	db, err := kv.Open(t.TempDir(), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	manifests, err := systable.Open(db, systable.Manifests)
	if err != nil {
		t.Fatal(err)
	}
	m := &Manager{db: db, manifests: manifests, decoded: newManifestCache(defaultManifestCacheBytes), writes: new(manifestWrites)}
	tbl := &catalog.Table{Meta: &systable.TableMeta{TableID: systable.TableID("n", "t"), NamespaceID: "n", TableName: "t"}}
	return &manifestRig{t: t, m: m, tbl: tbl}
}

func (r *manifestRig) id(owner string) string { return systable.ManifestID("n", "t", owner) }

// write writes owner's manifest listing paths (none: deletes it) in a
// batch counted by begin, and returns begin's end, not yet called.
func (r *manifestRig) write(begin func() func(), owner string, paths ...string) (end func()) {
	r.t.Helper()
	var b kv.Batch
	if len(paths) == 0 {
		r.m.manifests.DeleteInBatch(&b, r.id(owner))
	} else {
		mf := &systable.Manifest{ManifestID: r.id(owner), NamespaceID: "n", TableName: "t", UserID: owner, NextBatch: 1}
		for i, p := range paths {
			mf.Files = append(mf.Files, systable.ManifestFile{Path: p, MaxSeq: int64(i + 1)})
		}
		if err := r.m.manifests.PutInBatch(&b, mf); err != nil {
			r.t.Fatal(err)
		}
	}
	end = begin()
	if err := r.m.db.Write(&b); err != nil {
		r.t.Fatal(err)
	}
	return end
}

// partition and table count a write as a flush (or compaction) of owner's
// partition does, and as a drop (or restore) of the table does.
func (r *manifestRig) partition(owner string) func() func() {
	return func() func() { return r.m.beginPartitionWrite(r.tbl.Meta.TableID, r.id(owner)) }
}

func (r *manifestRig) table() func() func() {
	return func() func() { return r.m.beginTableWrite(r.tbl.Meta.TableID) }
}

func (r *manifestRig) snapshot() *kv.Snapshot {
	r.t.Helper()
	s, err := r.m.db.NewSnapshot()
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { _ = s.Close() })
	return s
}

// list is what a read at snap lists for owner's partition; it fails the
// test unless that is the manifest row at snap.
func (r *manifestRig) list(what, owner string, snap *kv.Snapshot) []string {
	r.t.Helper()
	files, err := r.m.manifestFiles(r.tbl, r.id(owner), snap)
	if err != nil {
		r.t.Fatal(err)
	}
	var got, want []string
	for _, f := range files {
		got = append(got, f.Path)
	}
	mf, err := r.m.Manifest(snap, r.id(owner))
	if err != nil {
		r.t.Fatal(err)
	}
	if mf != nil {
		for _, f := range mf.Files {
			want = append(want, f.Path)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		r.t.Fatalf("%s: partition %s lists %v, the row at the snapshot %v", what, owner, got, want)
	}
	return got
}

// hit reads owner's partition at a new snapshot and says whether a
// settled entry answered it, without a read of the manifest row.
func (r *manifestRig) hit(what, owner string) bool {
	r.t.Helper()
	reads, hits := r.m.ManifestStats()
	r.list(what, owner, r.snapshot())
	rd, h := r.m.ManifestStats()
	return rd == reads && h == hits+1
}

// settle reads owner's partition until a settled entry answers.
func (r *manifestRig) settle(owner string) {
	r.t.Helper()
	r.list("settle", owner, r.snapshot())
	if !r.hit("settled", owner) {
		r.t.Fatalf("partition %s: no settled entry answered", owner)
	}
}

// settled writes one file to each owner's partition, and settles their
// entries.
func (r *manifestRig) settled(owners ...string) {
	r.t.Helper()
	for _, o := range owners {
		r.write(r.partition(o), o, o+"1")()
	}
	for _, o := range owners {
		r.settle(o)
	}
}

// The rig's owners a and b must not share a partition stripe (else a
// write of one rightly makes the other miss).
func TestManifestRigOwnersInOtherStripes(t *testing.T) {
	r := newManifestRig(t)
	_, a := r.m.writes.stripes(r.tbl.Meta.TableID, r.id("a"))
	_, b := r.m.writes.stripes(r.tbl.Meta.TableID, r.id("b"))
	if a == b {
		t.Fatal("the ids of partitions a and b share a stripe: pick other owners")
	}
}

// TestPartitionWriteMissesOnlyItsPartition: while a flush of a's partition
// is in progress (written, not ended) and after it ends, reads of a list
// the row at their snapshot, and b's settled entry keeps answering
// without a row read.
func TestPartitionWriteMissesOnlyItsPartition(t *testing.T) {
	r := newManifestRig(t)
	r.settled("a", "b")
	end := r.write(r.partition("a"), "a", "a1", "a2")
	if got := r.list("a, during its write", "a", r.snapshot()); len(got) != 2 {
		t.Fatalf("a during its write: %v", got)
	}
	if !r.hit("b, during a's write", "b") {
		t.Error("a write of a's partition in progress made b's read miss")
	}
	end()
	if got := r.list("a, after its write", "a", r.snapshot()); len(got) != 2 {
		t.Fatalf("a after its write: %v", got)
	}
	if !r.hit("b, after a's write", "b") {
		t.Error("a finished write of a's partition made b's read miss")
	}
	r.settle("a")
}

// TestPartitionWriteEndedBeforeTheEntryIsRead: a write of a's partition
// that is visible, counted and ended between two reads stops the entry
// the first read settled; one whose end comes after a later read, too
// (the later read does not settle).
func TestPartitionWriteEndedBeforeTheEntryIsRead(t *testing.T) {
	r := newManifestRig(t)
	r.write(r.partition("a"), "a", "a1")()
	r.settle("a")
	r.write(r.partition("a"), "a", "a1", "a2")()
	if got := r.list("after the write", "a", r.snapshot()); len(got) != 2 {
		t.Fatalf("after the write: %v", got)
	}
	end := r.write(r.partition("a"), "a", "a3")
	r.list("during the next write", "a", r.snapshot())
	end()
	if got := r.list("after the next write", "a", r.snapshot()); !slices.Equal(got, []string{"a3"}) {
		t.Fatalf("after the next write: %v", got)
	}
}

// TestTableWriteStopsEveryPartition: a drop's batch (every manifest of
// the table deleted, counted as a write of the table) makes every
// partition's settled entry stop answering, while in progress and after.
func TestTableWriteStopsEveryPartition(t *testing.T) {
	r := newManifestRig(t)
	r.settled("a", "b")
	var b kv.Batch
	r.m.manifests.DeleteInBatch(&b, r.id("a"))
	r.m.manifests.DeleteInBatch(&b, r.id("b"))
	end := r.m.beginTableWrite(r.tbl.Meta.TableID)
	if err := r.m.db.Write(&b); err != nil {
		t.Fatal(err)
	}
	for _, owner := range []string{"a", "b"} {
		if got := r.list("during the drop", owner, r.snapshot()); len(got) != 0 {
			t.Fatalf("%s during the drop: %v", owner, got)
		}
	}
	// Settled entries read during the drop must not answer after it.
	end()
	for _, owner := range []string{"a", "b"} {
		if got := r.list("after the drop", owner, r.snapshot()); len(got) != 0 {
			t.Fatalf("%s after the drop: %v", owner, got)
		}
	}
	// A restore writes them back, counted the same way.
	end = r.write(r.table(), "a", "a9")
	if got := r.list("during the restore", "a", r.snapshot()); len(got) != 1 {
		t.Fatalf("during the restore: %v", got)
	}
	end()
	r.settle("a")
	r.write(r.table(), "a", "a8")()
	if got := r.list("after another table write", "a", r.snapshot()); !slices.Equal(got, []string{"a8"}) {
		t.Fatalf("after another table write: %v", got)
	}
}

// TestTableWriteEndedBeforeTheEntryIsRead: a table write that ended
// between the settling read and a read at a later snapshot stops the
// entry (its stripe moved, no write in progress any more).
func TestTableWriteEndedBeforeTheEntryIsRead(t *testing.T) {
	r := newManifestRig(t)
	r.write(r.partition("a"), "a", "a1")()
	r.settle("a")
	r.write(r.table(), "a")()
	if got := r.list("after the drop", "a", r.snapshot()); len(got) != 0 {
		t.Fatalf("after the drop: %v", got)
	}
}

// TestSettledEntryNotForAnOlderSnapshot: an entry settled after a write
// does not answer a snapshot taken before the write.
func TestSettledEntryNotForAnOlderSnapshot(t *testing.T) {
	r := newManifestRig(t)
	r.write(r.partition("a"), "a", "a1")()
	old := r.snapshot()
	r.write(r.partition("a"), "a", "a1", "a2")()
	r.settle("a")
	if got := r.list("old snapshot", "a", old); len(got) != 1 {
		t.Fatalf("old snapshot: %v", got)
	}
}

// TestManifestWriteEndIsIdempotent: a write's end called twice (deferred,
// and on an early path) counts the write once.
func TestManifestWriteEndIsIdempotent(t *testing.T) {
	r := newManifestRig(t)
	end := r.m.beginPartitionWrite(r.tbl.Meta.TableID, r.id("a"))
	end()
	end()
	_, s := r.m.writes.stripes(r.tbl.Meta.TableID, r.id("a"))
	if w, mv := s.writing.Load(), s.moved.Load(); w != 0 || mv != 1 {
		t.Fatalf("after two calls of one end: writing %d, moved %d", w, mv)
	}
}

// TestSettleNotAcrossAWriteDuringTheRead: a write of a's partition that
// begins after readLatest read the counters and is visible to its row
// read, ended during the read or not, does not settle that row for a
// snapshot taken before the write.
func TestSettleNotAcrossAWriteDuringTheRead(t *testing.T) {
	for _, endsInRead := range []bool{false, true} {
		r := newManifestRig(t)
		r.write(r.partition("a"), "a", "a1")()
		before := r.snapshot()
		var end func()
		r.m.seams.beforeLatestRow = func() {
			r.m.seams.beforeLatestRow = nil
			end = r.write(r.partition("a"), "a", "a1", "a2")
			if endsInRead {
				end()
			}
		}
		if got := r.list("a snapshot before the write", "a", before); len(got) != 1 {
			t.Fatalf("ends in the read %v: %v", endsInRead, got)
		}
		end()
		if got := r.list("after the write", "a", r.snapshot()); len(got) != 2 {
			t.Fatalf("ends in the read %v, after: %v", endsInRead, got)
		}
		r.settle("a")
	}
}

// TestFailedPartitionWriteEndsItsCount: a flush's or compaction's
// manifest batch that fails, applied or not (a failed write may have
// been applied), still ends its count: the partition's reads list the
// row at their snapshot and settle again, and no write is left counted.
func TestFailedPartitionWriteEndsItsCount(t *testing.T) {
	errDisk := errors.New("injected: disk full")
	for _, applied := range []bool{false, true} {
		r := newManifestRig(t)
		r.write(r.partition("a"), "a", "a1")()
		r.settle("a")
		r.m.seams.write = func(b *kv.Batch) error {
			if applied {
				if err := r.m.db.Write(b); err != nil {
					return err
				}
			}
			return errDisk
		}
		mf := &systable.Manifest{ManifestID: r.id("a"), NamespaceID: "n", TableName: "t", UserID: "a", NextBatch: 2,
			Files: []systable.ManifestFile{{Path: "a1", MaxSeq: 1}, {Path: "a2", MaxSeq: 2}}}
		var b kv.Batch
		if err := r.m.manifests.PutInBatch(&b, mf); err != nil {
			t.Fatal(err)
		}
		if err := r.m.writePartitionManifest(&b, r.tbl.Meta.TableID, r.id("a")); !errors.Is(err, errDisk) {
			t.Fatalf("applied %v: the write's error is %v", applied, err)
		}
		r.m.seams.write = nil
		ts, ps := r.m.writes.stripes(r.tbl.Meta.TableID, r.id("a"))
		if w := ts.writing.Load() + ps.writing.Load(); w != 0 {
			t.Fatalf("applied %v: %d writes still counted after the failed batch", applied, w)
		}
		want := 1
		if applied {
			want = 2
		}
		if got := r.list("after the failed write", "a", r.snapshot()); len(got) != want {
			t.Fatalf("applied %v: %v", applied, got)
		}
		r.settle("a")
	}
}

// TestEveryManifestWriteMovesTheTableEpoch: the table's epoch (txn.Cold,
// the latest stamps) moves with a partition's write and a table's, once
// each has ended, not before.
func TestEveryManifestWriteMovesTheTableEpoch(t *testing.T) {
	r := newManifestRig(t)
	id := r.tbl.Meta.TableID
	for what, begin := range map[string]func() func(){"partition": r.partition("a"), "table": r.table()} {
		before := r.m.Epoch(id)
		end := r.write(begin, "a", "x")
		if r.m.Epoch(id) != before {
			t.Fatalf("%s write: the epoch moved before the write ended", what)
		}
		end()
		if r.m.Epoch(id) == before {
			t.Fatalf("%s write: the epoch did not move", what)
		}
	}
}

// TestDropInterleavedWithAPartitionWrite: a drop's batch and a flush of
// a's partition overlap in every order of their begins, batches and ends;
// after each step, reads of a and b at a fresh snapshot, and at the
// snapshot taken before both, list the row at their snapshot (list
// checks), and settle again once both have ended.
func TestDropInterleavedWithAPartitionWrite(t *testing.T) {
	// Steps: the flush's begin (F), batch (f) and end (E); the drop's
	// begin (D), batch (d) and end (X). Each order keeps a write's own
	// steps in order.
	orders := []string{"FfEDdX", "FDfdEX", "FDdfXE", "DFdfXE", "DdFfXE", "DFfdEX", "DdXFfE", "FfDdEX"}
	for _, order := range orders {
		r := newManifestRig(t)
		r.settled("a", "b")
		before := r.snapshot()
		var endFlush, endDrop func()
		var flush, drop kv.Batch
		mf := &systable.Manifest{ManifestID: r.id("a"), NamespaceID: "n", TableName: "t", UserID: "a", NextBatch: 2,
			Files: []systable.ManifestFile{{Path: "a1", MaxSeq: 1}, {Path: "a2", MaxSeq: 2}}}
		if err := r.m.manifests.PutInBatch(&flush, mf); err != nil {
			t.Fatal(err)
		}
		r.m.manifests.DeleteInBatch(&drop, r.id("a"))
		r.m.manifests.DeleteInBatch(&drop, r.id("b"))
		for i, step := range order {
			switch step {
			case 'F':
				endFlush = r.m.beginPartitionWrite(r.tbl.Meta.TableID, r.id("a"))
			case 'D':
				endDrop = r.m.beginTableWrite(r.tbl.Meta.TableID)
			case 'f':
				if err := r.m.db.Write(&flush); err != nil {
					t.Fatal(err)
				}
			case 'd':
				if err := r.m.db.Write(&drop); err != nil {
					t.Fatal(err)
				}
			case 'E':
				endFlush()
			case 'X':
				endDrop()
			}
			what := fmt.Sprintf("%s after %s", order, order[:i+1])
			for _, owner := range []string{"a", "b"} {
				for range 2 { // a miss, then (maybe) the entry
					r.list(what, owner, r.snapshot())
					r.list(what+", the snapshot before", owner, before)
				}
			}
		}
		for _, owner := range []string{"a", "b"} {
			r.list(order+", done", owner, r.snapshot())
			if !r.hit(order+", done", owner) {
				t.Errorf("%s: partition %s did not settle once both writes ended", order, owner)
			}
		}
	}
}
