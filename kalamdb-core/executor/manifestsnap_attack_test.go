package executor_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// Attacks on the settled manifest entries (tier, manifestFiles). Each test
// says the interleaving it drives.

// filesAndRow lists owner's partition of tbl at snap twice: by
// PartitionFiles (got; err from it) and by the manifest row at snap
// (want; rowErr). Both sorted.
func filesAndRow(e *env, tbl *catalog.Table, owner string, snap *kv.Snapshot) (got, want []string, err, rowErr error) {
	files, err := e.db.Tier.PartitionFiles(context.Background(), tbl, owner, snap)
	for _, f := range files {
		got = append(got, f.Info().Path)
		f.Release()
	}
	slices.Sort(got)
	mf, rowErr := e.db.Tier.Manifest(snap, systable.ManifestID(tbl.Meta.NamespaceID, tbl.Meta.TableName, owner))
	if mf != nil {
		for _, f := range mf.Files {
			want = append(want, f.Path)
		}
	}
	slices.Sort(want)
	return got, want, err, rowErr
}

// snapshotReaders starts n readers that, until stop, each take a snapshot
// and call read at it and at one of the up to hold snapshots it took
// before; stop returns the first error of each reader.
func snapshotReaders(e *env, n, hold int, read func(r int, at *kv.Snapshot) error) (stop func() []error) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for r := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var held []*kv.Snapshot
			defer func() {
				for _, s := range held {
					_ = s.Close()
				}
			}()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				s, err := e.kv.NewSnapshot()
				if err != nil {
					errs <- err
					return
				}
				held = append(held, s)
				// This snapshot, and one taken a while ago.
				for _, at := range []*kv.Snapshot{s, held[max(0, len(held)-1-(i+r)%hold)]} {
					if err := read(r, at); err != nil {
						errs <- err
						return
					}
				}
				if len(held) > hold {
					_ = held[0].Close()
					held = held[1:]
				}
			}
		}()
	}
	return func() []error {
		close(done)
		wg.Wait()
		close(errs)
		var out []error
		for err := range errs {
			out = append(out, err)
		}
		return out
	}
}

// TestSnapshotManifestCacheOldSnapshotDoesNotEvictSettledEntry: a snapshot
// older than the settled entry (a transaction, a subscription's initial
// load, a backup: begun before the last flush) reads its row; that must
// neither cost it a second read of the latest row each time nor make the
// entry stop answering the fresh snapshots taken before it read. Both
// happen when its miss re-reads the latest row (raising the entry's
// sequence number past the fresh snapshots') and its row read replaces the
// settled entry with an unstamped one.
func TestSnapshotManifestCacheOldSnapshotDoesNotEvictSettledEntry(t *testing.T) {
	e := newEnv(t)
	a := withColdKey(t, e, "x")
	tbl, _ := e.db.Catalog.Snapshot().Table("n", "t")
	old := newSnapshot(t, e)
	a.must("INSERT INTO n.t VALUES (2, 'y')")
	flushTable(t, e, "n.t")
	// Settle the entry after the flush, and see it answer.
	two := partitionFiles(t, e, tbl, newSnapshot(t, e))
	if len(two) != 2 {
		t.Fatalf("after two flushes: %v", two)
	}
	_, hits := e.db.Tier.ManifestStats()
	partitionFiles(t, e, tbl, newSnapshot(t, e))
	if _, h := e.db.Tier.ManifestStats(); h != hits+1 {
		t.Fatal("the settled entry did not answer")
	}
	fresh := newSnapshot(t, e)
	// Any write raises the DB's written sequence number (a hot insert
	// does not move the table's epoch).
	a.must("INSERT INTO n.t VALUES (3, 'z')")
	reads, _ := e.db.Tier.ManifestStats()
	for range 3 {
		if got, want := partitionFiles(t, e, tbl, old), manifestPaths(t, e, old); len(got) != 1 || !slices.Equal(got, want) {
			t.Fatalf("old snapshot: %v, manifest %v", got, want)
		}
	}
	if r, _ := e.db.Tier.ManifestStats(); r != reads {
		t.Errorf("an old snapshot's reads also read the latest row %d times", r-reads)
	}
	reads, hits = e.db.Tier.ManifestStats()
	if got := partitionFiles(t, e, tbl, fresh); !slices.Equal(got, two) {
		t.Fatalf("fresh snapshot: %v, want %v", got, two)
	}
	if r, h := e.db.Tier.ManifestStats(); r != reads || h != hits+1 {
		t.Errorf("after an old snapshot's read, a snapshot the entry held for missed: reads %d -> %d, hits %d -> %d", reads, r, hits, h)
	}
}

// TestSnapshotManifestCacheRestoreWriteWithStalePointer: a restore writes
// its tables' manifests in the catalog batch without counting a write in
// progress, and moves the epochs only afterwards (TablesRestored). A
// statement that resolved the table before a DROP (its *catalog.Table, in
// a plan or a statement planned before the drop whose snapshot is taken
// lazily on first read) settles "no manifest" after the drop; the
// restore's batch then writes the partition's manifest under the same id
// and table id. A snapshot of that stale table taken after the restore's
// batch, before TablesRestored, is answered "no manifest" by the entry
// while the row at the snapshot lists files: lost rows.
func TestSnapshotManifestCacheRestoreWriteWithStalePointer(t *testing.T) {
	e := newEnv(t)
	withColdKey(t, e, "x")
	stale, _ := e.db.Catalog.Snapshot().Table("n", "t")
	id := systable.ManifestID("n", "t", "a")
	mf, err := e.db.Tier.Manifest(nil, id)
	if err != nil || mf == nil {
		t.Fatalf("manifest before the drop: %v %v", mf, err)
	}
	e.root().must("DROP TABLE n.t")
	waitIdle(t, e)
	// The stale table's reads after the drop settle "no manifest".
	for range 2 {
		if got := partitionFiles(t, e, stale, newSnapshot(t, e)); len(got) != 0 {
			t.Fatalf("after the drop: %v", got)
		}
	}
	// The restore's commit batch (catalog rows elided: only the manifest
	// matters here), before TablesRestored runs.
	var b kv.Batch
	end, err := e.db.Tier.PutManifestInBatch(&b, mf)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.kv.Write(&b); err != nil {
		t.Fatal(err)
	}
	// The restore's catalog commit calls end after its batch: read before.
	defer end()
	got, want, err, rowErr := filesAndRow(e, stale, "a", newSnapshot(t, e))
	if rowErr != nil {
		t.Fatal(rowErr)
	}
	// Opening the files may fail (the drop's cleanup removed them); a
	// silently different list may not.
	if err == nil && !slices.Equal(got, want) {
		t.Fatalf("the row at the snapshot lists %v; the read listed %v", want, got)
	}
}

// TestSnapshotManifestCacheMissUnderWritesSettlesForRunningSnapshots: a
// statement takes its snapshot, another statement writes (any table), and
// the first then misses (the epoch moved since the entry). The entry it
// settles must answer its snapshot: stamped with the DB's written sequence
// number at the miss, it is newer than every running statement's snapshot
// under a steady write load, so each miss read the row twice (the latest
// row, then the row at the snapshot) and only later statements hit.
func TestSnapshotManifestCacheMissUnderWritesSettlesForRunningSnapshots(t *testing.T) {
	e := newEnv(t)
	a := withColdKey(t, e, "x")
	e.root().must("CREATE TABLE n.u (id INT PRIMARY KEY)")
	tbl, _ := e.db.Catalog.Snapshot().Table("n", "t")
	a.must("INSERT INTO n.t VALUES (2, 'y')")
	flushTable(t, e, "n.t") // the epoch moves: no entry answers
	running := newSnapshot(t, e)
	// Another table's write (one of n.t would settle the entry in its
	// cold check first).
	a.must("INSERT INTO n.u VALUES (1)")
	if got, want := partitionFiles(t, e, tbl, running), manifestPaths(t, e, running); len(got) != 2 || !slices.Equal(got, want) {
		t.Fatalf("files %v, manifest %v", got, want)
	}
	_, hits := e.db.Tier.ManifestStats()
	partitionFiles(t, e, tbl, running)
	if _, h := e.db.Tier.ManifestStats(); h != hits+1 {
		t.Fatal("the entry settled by a running statement's miss does not answer its snapshot")
	}
}

// TestSnapshotManifestCacheUnderFlushesCompactionsAndWrites: two
// partitions of one table flush and compact (each commit moves the
// table's epoch, one partition's invalidating the other's entry) while
// another table takes a steady stream of writes (the DB's sequence number
// runs ahead of the table's) and readers list both partitions at fresh
// and held snapshots. Every list is the manifest row at its snapshot.
func TestSnapshotManifestCacheUnderFlushesCompactionsAndWrites(t *testing.T) {
	e := newEnv(t)
	a := withColdKey(t, e, "x")
	b := e.as("b", systable.RoleUser)
	e.root().must("CREATE TABLE n.u (id INT PRIMARY KEY)")
	b.must("INSERT INTO n.t VALUES (1, 'b')")
	flushTable(t, e, "n.t")
	tbl, _ := e.db.Catalog.Snapshot().Table("n", "t")
	done := make(chan struct{})
	writes := make(chan error, 1)
	go func() { // the other table's writes
		defer close(writes)
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			if _, err := a.exec(fmt.Sprintf("INSERT INTO n.u VALUES (%d)", i)); err != nil {
				writes <- err
				return
			}
		}
	}()
	stop := snapshotReaders(e, 2, 4, func(r int, at *kv.Snapshot) error {
		for _, owner := range []string{"a", "b"} {
			got, want, err, rowErr := filesAndRow(e, tbl, owner, at)
			if rowErr != nil {
				return rowErr
			}
			// A held snapshot may list a file a compaction has removed:
			// the row would list it too.
			if err == nil && !slices.Equal(got, want) {
				return fmt.Errorf("reader %d, partition %s: files %v, manifest %v", r, owner, got, want)
			}
		}
		return nil
	})
	for i := range 10 {
		a.must(fmt.Sprintf("INSERT INTO n.t VALUES (%d, 'v')", 100+i))
		if i%2 == 0 {
			b.must(fmt.Sprintf("INSERT INTO n.t VALUES (%d, 'w')", 100+i))
		}
		flushTable(t, e, "n.t")
		if i%3 == 2 {
			runJob(t, e, "STORAGE COMPACT TABLE n.t")
		}
	}
	errs := stop()
	close(done)
	if err := <-writes; err != nil {
		errs = append(errs, err)
	}
	readersDone(t, e, errs)
}

// readersDone fails the test with the readers' errors, and if no read
// was answered from the cache (the test would prove nothing of it).
func readersDone(t *testing.T, e *env, errs []error) {
	t.Helper()
	for _, err := range errs {
		t.Error(err)
	}
	if _, hits := e.db.Tier.ManifestStats(); hits == 0 {
		t.Fatal("no read was answered from the cache")
	}
}

// TestSnapshotManifestCacheDropRecreateSameID: a table dropped and created
// again has the same table id and manifest ids; readers by the old and
// the new *catalog.Table, alternating (the old one still in a statement
// planned before the drop), at snapshots before the drop, between, and
// after the new table's flush, each list the manifest row at their
// snapshot.
func TestSnapshotManifestCacheDropRecreateSameID(t *testing.T) {
	e := newEnv(t)
	a := withColdKey(t, e, "x")
	old, _ := e.db.Catalog.Snapshot().Table("n", "t")
	before := newSnapshot(t, e)
	check := func(what string, tbl *catalog.Table, s *kv.Snapshot) {
		t.Helper()
		for range 2 { // a miss, then (maybe) the entry
			got, want, err, rowErr := filesAndRow(e, tbl, "a", s)
			if err = errors.Join(err, rowErr); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s: files %v, manifest %v", what, got, want)
			}
		}
	}
	check("old table, before the drop", old, before)
	e.root().must("DROP TABLE n.t")
	waitIdle(t, e)
	between := newSnapshot(t, e)
	check("old table, after the drop", old, between)
	e.root().must("CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	cur, _ := e.db.Catalog.Snapshot().Table("n", "t")
	check("new table, no flush yet", cur, newSnapshot(t, e))
	a.must("INSERT INTO n.t VALUES (7, 'new')")
	flushTable(t, e, "n.t")
	after := newSnapshot(t, e)
	check("new table, flushed", cur, after)
	check("old table, at the new table's flush", old, after)
	check("new table again", cur, after)
	check("new table, at a snapshot between", cur, between)
	// The drop's cleanup has removed the old table's file, and the new
	// table's file of the same batch has another name (its tag): the
	// listing must resolve the old row, so it fails opening that row's
	// file, never answering with the new table's.
	for range 2 {
		got, want, err, rowErr := filesAndRow(e, old, "a", before)
		if rowErr != nil || len(want) != 1 || got != nil || err == nil || !strings.Contains(err.Error(), want[0]) {
			t.Fatalf("old table, before the drop, again: files %v (%v), manifest %v (%v)", got, err, want, rowErr)
		}
	}
	if got := a.rows("SELECT id, v FROM n.t ORDER BY id"); got != `[[7,"new"]]` {
		t.Fatalf("rows: %s", got)
	}
}

// rowReaders starts two snapshotReaders that list owners' partitions of
// every table tables returns, at each snapshot, and fail unless each
// list is the manifest row at it (opening the files may fail: a held
// snapshot may list a file a compaction or a drop's cleanup removed, and
// the row lists it too). progress waits for the readers to read some
// more, unless one failed, so each phase is read during and after.
func rowReaders(e *env, owners []string, tables func() []*catalog.Table) (progress func(), stop func() []error) {
	var reads atomic.Int64
	var failed atomic.Bool
	stop = snapshotReaders(e, 2, 4, func(r int, at *kv.Snapshot) error {
		for _, tbl := range tables() {
			for _, owner := range owners {
				got, want, err, rowErr := filesAndRow(e, tbl, owner, at)
				if rowErr != nil {
					failed.Store(true)
					return rowErr
				}
				if err == nil && !slices.Equal(got, want) {
					failed.Store(true)
					return fmt.Errorf("reader %d, %s partition %s: files %v, manifest %v", r, tbl.Meta.TableID, owner, got, want)
				}
			}
		}
		reads.Add(1)
		return nil
	})
	progress = func() {
		for n := reads.Load() + 8; reads.Load() < n && !failed.Load(); {
			runtime.Gosched()
		}
	}
	return progress, stop
}

// TestSnapshotManifestCachePartitionWritesAndDrop: three partitions of one
// table flush one at a time (each flush writes one partition's manifest,
// leaving the others' settled entries answering) and compact, then a
// flush is queued and the table dropped while it may run, and the table
// is created again and flushed; readers list every partition at fresh
// and held snapshots throughout, by the *catalog.Table resolved at the
// start (a statement planned before the drop keeps it) and by the
// current one. Every list is the manifest row at its snapshot.
func TestSnapshotManifestCachePartitionWritesAndDrop(t *testing.T) {
	e := newEnv(t)
	a := withColdKey(t, e, "x")
	users := map[string]*caller{"a": a, "b": e.as("b", systable.RoleUser), "c": e.as("c", systable.RoleUser)}
	for _, u := range []string{"b", "c"} {
		users[u].must("INSERT INTO n.t VALUES (1, $1)", u)
	}
	flushTable(t, e, "n.t")
	old, _ := e.db.Catalog.Snapshot().Table("n", "t")
	progress, stop := rowReaders(e, []string{"a", "b", "c"}, func() []*catalog.Table {
		tbls := []*catalog.Table{old}
		if cur, ok := e.db.Catalog.Snapshot().Table("n", "t"); ok && cur != old {
			tbls = append(tbls, cur)
		}
		return tbls
	})
	for i := range 9 {
		u := []string{"a", "b", "c"}[i%3]
		users[u].must(fmt.Sprintf("INSERT INTO n.t VALUES (%d, 'v')", 100+i))
		flushTable(t, e, "n.t")
		if i%4 == 3 {
			runJob(t, e, "STORAGE COMPACT TABLE n.t")
		}
		progress()
	}
	a.must("INSERT INTO n.t VALUES (200, 'last')")
	e.root().must("STORAGE FLUSH TABLE n.t") // not waited for: it races the drop
	e.root().must("DROP TABLE n.t")
	progress()
	waitIdle(t, e)
	progress()
	e.root().must("CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	a.must("INSERT INTO n.t VALUES (7, 'new')")
	flushTable(t, e, "n.t")
	progress()
	readersDone(t, e, stop())
}

// TestSnapshotManifestCacheFailedDropBatch: a DROP TABLE whose catalog
// batch fails (here: it also holds a write to a dropped column family,
// which fails it before anything is applied) leaves the table as it was,
// and its reads at every snapshot, before and after a later flush, list
// the manifest row at that snapshot. (Its count of a table write in
// progress ends with the failure: TestFailedDropTableEndsItsManifestWrite.)
func TestSnapshotManifestCacheFailedDropBatch(t *testing.T) {
	e := newEnv(t)
	a := withColdKey(t, e, "x")
	tbl, _ := e.db.Catalog.Snapshot().Table("n", "t")
	check := func(what string, s *kv.Snapshot) {
		t.Helper()
		for range 2 { // a miss, then (maybe) the entry
			got, want, err, rowErr := filesAndRow(e, tbl, "a", s)
			if err = errors.Join(err, rowErr); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("%s: files %v, manifest %v", what, got, want)
			}
		}
	}
	before := newSnapshot(t, e)
	check("before the drop", before)
	doomed, err := e.kv.ColumnFamily("test_doomed")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.kv.DropColumnFamily("test_doomed"); err != nil {
		t.Fatal(err)
	}
	dropped, after, err := e.db.Catalog.DropTable("n", "t", "", false, func(b *kv.Batch, t *catalog.Table) (func(bool), error) {
		after, err := e.db.Tier.DropTable(b, t)
		b.Put(doomed, []byte("k"), []byte("v"))
		return after, err
	})
	if !errors.Is(err, kv.ErrDropped) || dropped != nil || after != nil {
		t.Fatalf("the drop: %v %v %v", dropped, after != nil, err)
	}
	if cur, ok := e.db.Catalog.Snapshot().Table("n", "t"); !ok || cur != tbl {
		t.Fatal("the failed drop changed the table")
	}
	check("after the failed drop", newSnapshot(t, e))
	check("before the drop, again", before)
	a.must("INSERT INTO n.t VALUES (2, 'y')")
	flushTable(t, e, "n.t")
	now := newSnapshot(t, e)
	check("after a flush", now)
	if got, want := partitionFiles(t, e, tbl, now), manifestPaths(t, e, now); len(got) != 2 || !slices.Equal(got, want) {
		t.Fatalf("after a flush: %v, manifest %v", got, want)
	}
	if got := a.rows("SELECT id, v FROM n.t ORDER BY id"); got != `[[1,"x"],[2,"y"]]` {
		t.Fatalf("rows: %s", got)
	}
}
