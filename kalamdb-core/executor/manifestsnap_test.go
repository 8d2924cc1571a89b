package executor_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// A read at a snapshot lists its partition's cold files from a settled
// entry of the manifest cache, without reading the manifest row, while no
// write of the table's manifests is in progress or has finished since the
// entry was read, and only for snapshots recent enough to see every write
// the entry holds (tier, manifestFiles). These tests hold it to that.

// partitionFiles lists the cold files of user a's partition of n.t at snap.
func partitionFiles(t *testing.T, e *env, tbl *catalog.Table, snap *kv.Snapshot) []string {
	t.Helper()
	files, err := e.db.Tier.PartitionFiles(context.Background(), tbl, "a", snap)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		out = append(out, f.Info().Path)
		f.Release()
	}
	slices.Sort(out)
	return out
}

// manifestPaths is the truth: the manifest row read at snap.
func manifestPaths(t *testing.T, e *env, snap *kv.Snapshot) []string {
	t.Helper()
	mf, err := e.db.Tier.Manifest(snap, systable.ManifestID("n", "t", "a"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	if mf != nil {
		for _, f := range mf.Files {
			out = append(out, f.Path)
		}
	}
	slices.Sort(out)
	return out
}

func newSnapshot(t *testing.T, e *env) *kv.Snapshot {
	t.Helper()
	s, err := e.kv.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestSnapshotManifestCacheAnswersRecentSnapshotsOnly: a settled entry
// answers later snapshots without a read; a snapshot taken before a flush
// still lists the files before it, though an entry with the flush's file
// was read since.
func TestSnapshotManifestCacheAnswersRecentSnapshotsOnly(t *testing.T) {
	e := newEnv(t)
	a := withColdKey(t, e, "x")
	tbl, _ := e.db.Catalog.Snapshot().Table("n", "t")
	old := newSnapshot(t, e)
	one := partitionFiles(t, e, tbl, old)
	if len(one) != 1 || !slices.Equal(one, manifestPaths(t, e, old)) {
		t.Fatalf("one flush: %v, manifest %v", one, manifestPaths(t, e, old))
	}
	a.must("INSERT INTO n.t VALUES (2, 'y')")
	flushTable(t, e, "n.t")
	now := newSnapshot(t, e)
	two := partitionFiles(t, e, tbl, now)
	if len(two) != 2 || !slices.Equal(two, manifestPaths(t, e, now)) {
		t.Fatalf("two flushes: %v, manifest %v", two, manifestPaths(t, e, now))
	}
	reads, hits := e.db.Tier.ManifestStats()
	later := newSnapshot(t, e)
	if got := partitionFiles(t, e, tbl, later); !slices.Equal(got, two) {
		t.Fatalf("a later snapshot: %v, want %v", got, two)
	}
	if r, h := e.db.Tier.ManifestStats(); r != reads || h != hits+1 {
		t.Fatalf("a later snapshot read the manifest: reads %d -> %d, hits %d -> %d", reads, r, hits, h)
	}
	if got := partitionFiles(t, e, tbl, old); !slices.Equal(got, one) {
		t.Fatalf("the snapshot before the flush lists %v, want %v", got, one)
	}
	if got := a.rows("SELECT id, v FROM n.t ORDER BY id"); got != `[[1,"x"],[2,"y"]]` {
		t.Fatalf("rows: %s", got)
	}
}

// TestSnapshotManifestCacheNotDuringAWrite: a write of the manifests that
// is visible before its epoch moves (a drop: its batch deletes them, the
// epoch moves after) is not hidden by an entry read before it.
func TestSnapshotManifestCacheNotDuringAWrite(t *testing.T) {
	e := newEnv(t)
	withColdKey(t, e, "x")
	tbl, _ := e.db.Catalog.Snapshot().Table("n", "t")
	if got := partitionFiles(t, e, tbl, newSnapshot(t, e)); len(got) != 1 {
		t.Fatalf("before: %v", got)
	}
	if got := partitionFiles(t, e, tbl, newSnapshot(t, e)); len(got) != 1 {
		t.Fatalf("before, from the cache: %v", got)
	}
	var b kv.Batch
	after, err := e.db.Tier.DropTable(&b, tbl)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.kv.Write(&b); err != nil {
		t.Fatal(err)
	}
	// Written, the epoch not moved yet.
	if got := partitionFiles(t, e, tbl, newSnapshot(t, e)); len(got) != 0 {
		t.Fatalf("the manifest is deleted, yet the read lists %v", got)
	}
	after(true)
	waitIdle(t, e)
	if got := partitionFiles(t, e, tbl, newSnapshot(t, e)); len(got) != 0 {
		t.Fatalf("after the drop: %v", got)
	}
}

// TestSnapshotManifestCacheUnderFlushes: readers list files at fresh and
// at older snapshots while a writer inserts and flushes; every list is the
// manifest row at the same snapshot.
func TestSnapshotManifestCacheUnderFlushes(t *testing.T) {
	e := newEnv(t)
	a := withColdKey(t, e, "x")
	tbl, _ := e.db.Catalog.Snapshot().Table("n", "t")
	const flushes = 12
	stop := snapshotReaders(e, 3, 5, func(r int, at *kv.Snapshot) error {
		got, want, err, rowErr := filesAndRow(e, tbl, "a", at)
		if err = errors.Join(err, rowErr); err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("reader %d: files %v, manifest %v", r, got, want)
		}
		return nil
	})
	for i := range flushes {
		a.must(fmt.Sprintf("INSERT INTO n.t VALUES (%d, 'v')", 100+i))
		flushTable(t, e, "n.t")
	}
	for _, err := range stop() {
		t.Fatal(err)
	}
	if _, hits := e.db.Tier.ManifestStats(); hits == 0 {
		t.Fatal("no read was answered from the cache")
	}
}

// TestSnapshotManifestCacheFlushOfOnePartitionKeepsOthers: a flush of
// user a's partition changes a's manifest only; user b's settled entry
// keeps answering b's reads without a read of b's manifest row, and a's
// next read lists the flush's file.
func TestSnapshotManifestCacheFlushOfOnePartitionKeepsOthers(t *testing.T) {
	e := newEnv(t)
	a := withColdKey(t, e, "x")
	b := e.as("b", systable.RoleUser)
	b.must("INSERT INTO n.t VALUES (1, 'b')")
	flushTable(t, e, "n.t")
	tbl, _ := e.db.Catalog.Snapshot().Table("n", "t")
	for _, owner := range []string{"a", "b"} { // settle both entries
		if got, want, err, rowErr := filesAndRow(e, tbl, owner, newSnapshot(t, e)); errors.Join(err, rowErr) != nil || len(got) != 1 || !slices.Equal(got, want) {
			t.Fatalf("%s before: files %v, manifest %v (%v %v)", owner, got, want, err, rowErr)
		}
	}
	reads, hits := e.db.Tier.ManifestStats()
	partitionFiles(t, e, tbl, newSnapshot(t, e))
	if r, h := e.db.Tier.ManifestStats(); r != reads || h != hits+1 {
		t.Fatalf("a's settled entry did not answer: reads %d -> %d, hits %d -> %d", reads, r, hits, h)
	}
	a.must("INSERT INTO n.t VALUES (2, 'y')")
	if j := flushTable(t, e, "n.t"); !strings.Contains(string(j.Result), `"partitions":1`) {
		t.Fatalf("the flush wrote more than a's partition: %s", j.Result)
	}
	reads, hits = e.db.Tier.ManifestStats()
	got, want, err, rowErr := filesAndRow(e, tbl, "b", newSnapshot(t, e))
	if err = errors.Join(err, rowErr); err != nil || len(got) != 1 || !slices.Equal(got, want) {
		t.Fatalf("b after a's flush: files %v, manifest %v (%v)", got, want, err)
	}
	if r, h := e.db.Tier.ManifestStats(); r != reads || h != hits+1 {
		t.Errorf("a's flush made b's read miss: reads %d -> %d, hits %d -> %d", reads, r, hits, h)
	}
	if got, want, err, rowErr := filesAndRow(e, tbl, "a", newSnapshot(t, e)); errors.Join(err, rowErr) != nil || len(got) != 2 || !slices.Equal(got, want) {
		t.Fatalf("a after its flush: files %v, manifest %v (%v %v)", got, want, err, rowErr)
	}
}
