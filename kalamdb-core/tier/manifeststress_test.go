package tier

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// collidingOwner is an owner other than owner whose manifest id of table
// ns.table shares owner's partition stripe.
func collidingOwner(t testing.TB, ns, table, owner string) string {
	t.Helper()
	want := stripeHash(systable.ManifestID(ns, table, owner)) % partitionStripes
	for i := range 1 << 22 {
		o := fmt.Sprintf("c%d", i)
		if stripeHash(systable.ManifestID(ns, table, o))%partitionStripes == want {
			return o
		}
	}
	t.Fatal("no colliding owner found")
	return ""
}

// collidingTable is a table name of namespace ns other than table whose
// id shares table's table stripe.
func collidingTable(t testing.TB, ns, table string) string {
	t.Helper()
	want := stripeHash(systable.TableID(ns, table)) % tableStripes
	for i := range 1 << 20 {
		n := fmt.Sprintf("t%d", i)
		if n != table && stripeHash(systable.TableID(ns, n))%tableStripes == want {
			return n
		}
	}
	t.Fatal("no colliding table found")
	return ""
}

// stressTable is one table of the stress model: its id and the
// *catalog.Table versions readers may hold (a re-create adds one).
type stressTable struct {
	name     string
	mu       sync.Mutex
	versions []*catalog.Table
}

func (s *stressTable) pick(rng *rand.Rand) *catalog.Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.versions[rng.IntN(len(s.versions))]
}

func (s *stressTable) recreate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions = append(s.versions, &catalog.Table{Meta: &systable.TableMeta{
		TableID: systable.TableID("n", s.name), NamespaceID: "n", TableName: s.name}})
}

// TestManifestReadsUnderRandomWrites is a model test of the invariant of
// the settled entries: a read at a snapshot lists exactly the manifest row
// at that snapshot. Writers run partition writes (flush, compaction) and
// table writes (drop: every partition deleted; restore: every partition
// put) with no lock between them, some failing after their batch is
// applied, on two tables sharing a table stripe and on owners sharing a
// partition stripe; readers hold *catalog.Table versions from before and
// after re-creates, and read at fresh and held snapshots, with the
// latest read paused between its counters and its row.
func TestManifestReadsUnderRandomWrites(t *testing.T) {
	r := newManifestRig(t)
	other := collidingTable(t, "n", "t")
	tabs := []*stressTable{{name: "t"}, {name: other}}
	for _, s := range tabs {
		s.recreate()
	}
	owners := []string{"a", "b", collidingOwner(t, "n", "t", "a")}
	id := func(table, owner string) string { return systable.ManifestID("n", table, owner) }
	errApplied := errors.New("injected: failed after it was applied")
	var failNext sync.Map // *kv.Batch -> true: the seam fails it after applying it
	r.m.seams.write = func(b *kv.Batch) error {
		if err := r.m.db.Write(b); err != nil {
			return err
		}
		if _, ok := failNext.LoadAndDelete(b); ok {
			return errApplied
		}
		return nil
	}
	r.m.seams.beforeLatestRow = runtime.Gosched

	const writers, readers, steps = 3, 4, 400
	var wg sync.WaitGroup
	errs := make(chan error, writers+readers)
	var gen sync.Mutex
	version := 0
	nextPath := func(p string) string {
		gen.Lock()
		defer gen.Unlock()
		version++
		return fmt.Sprintf("%s-%d", p, version)
	}
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range steps {
				if rng.IntN(3) == 0 { // a pause: readers settle entries
					for range 50 {
						runtime.Gosched()
					}
					continue
				}
				s := tabs[rng.IntN(len(tabs))]
				tbl := s.pick(rng)
				var b kv.Batch
				var end func()
				var ends []func()
				switch k := rng.IntN(10); {
				case k < 6: // a flush or compaction of one partition
					o := owners[rng.IntN(len(owners))]
					mf := &systable.Manifest{ManifestID: id(s.name, o), NamespaceID: "n", TableName: s.name, UserID: o,
						Files: []systable.ManifestFile{{Path: nextPath(o)}}}
					if err := r.m.manifests.PutInBatch(&b, mf); err != nil {
						errs <- err
						return
					}
					if rng.IntN(4) == 0 {
						failNext.Store(&b, true)
					}
					runtime.Gosched()
					if err := r.m.writePartitionManifest(&b, tbl.Meta.TableID, mf.ManifestID); err != nil && !errors.Is(err, errApplied) {
						errs <- err
						return
					}
					continue
				case k < 8: // a drop: every partition deleted
					for _, o := range owners {
						r.m.manifests.DeleteInBatch(&b, id(s.name, o))
					}
					end = r.m.beginTableWrite(tbl.Meta.TableID)
				default: // a restore: every partition put
					for _, o := range owners {
						mf := &systable.Manifest{ManifestID: id(s.name, o), NamespaceID: "n", TableName: s.name, UserID: o,
							Files: []systable.ManifestFile{{Path: nextPath("r" + o)}}}
						e, err := r.m.PutManifestInBatch(&b, mf)
						if err != nil {
							errs <- err
							return
						}
						ends = append(ends, e)
					}
					end = func() {
						for _, e := range ends {
							e()
						}
					}
				}
				runtime.Gosched()
				if rng.IntN(4) == 0 {
					failNext.Store(&b, true)
				}
				if err := r.m.writeBatch(&b); err != nil && !errors.Is(err, errApplied) {
					errs <- err
					return
				}
				runtime.Gosched()
				end()
				if rng.IntN(3) == 0 {
					s.recreate()
				}
			}
		}()
	}
	done := make(chan struct{})
	var rwg sync.WaitGroup
	for rd := range readers {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			rng := rand.New(rand.NewPCG(uint64(rd), 2))
			var held []*kv.Snapshot
			defer func() {
				for _, s := range held {
					_ = s.Close()
				}
			}()
			for {
				select {
				case <-done:
					return
				default:
				}
				snap, err := r.m.db.NewSnapshot()
				if err != nil {
					errs <- err
					return
				}
				if len(held) < 4 {
					held = append(held, snap)
				} else {
					i := rng.IntN(len(held))
					_ = held[i].Close()
					held[i] = snap
				}
				at := held[rng.IntN(len(held))]
				if rng.IntN(2) == 0 {
					at = snap
				}
				s := tabs[rng.IntN(len(tabs))]
				tbl := s.pick(rng)
				o := owners[rng.IntN(len(owners))]
				mid := id(s.name, o)
				for range 2 { // a miss, then maybe a hit
					files, err := r.m.manifestFiles(tbl, mid, at)
					if err != nil {
						errs <- err
						return
					}
					mf, err := r.m.Manifest(at, mid)
					if err != nil {
						errs <- err
						return
					}
					var got, want []string
					for _, f := range files {
						got = append(got, f.Path)
					}
					if mf != nil {
						for _, f := range mf.Files {
							want = append(want, f.Path)
						}
					}
					if !slices.Equal(got, want) {
						errs <- fmt.Errorf("partition %s at seq %d: listed %v, the row %v", mid, at.SeqLowerBound(), got, want)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	rwg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	reads, hits := r.m.ManifestStats()
	t.Logf("latest reads %d, settled hits %d", reads, hits)
	if hits == 0 {
		t.Fatal("no read was answered from the cache: the test proves nothing of it")
	}
}

// TestCollidingWritesOnlyCostMisses: a write of partition c, whose id
// shares partition a's stripe, and a drop of table u, whose id shares
// table t's stripe, each make a's settled entry stop answering while
// they are in progress and once they end (shared counters cannot tell
// them apart), and a's reads list a's row at their snapshot throughout,
// then settle again. Both move t's epoch (txn.Cold): c is t's partition,
// and u's table stripe is t's.
func TestCollidingWritesOnlyCostMisses(t *testing.T) {
	r := newManifestRig(t)
	c := collidingOwner(t, "n", "t", "a")
	u := collidingTable(t, "n", "t")
	before := r.snapshot()
	r.settled("a")
	at := r.snapshot()
	writes := map[string]func() func(){
		"partition " + c: func() func() { return r.write(r.partition(c), c, c+"1") },
		"table " + u: func() func() {
			var b kv.Batch
			r.m.manifests.DeleteInBatch(&b, systable.ManifestID("n", u, "a"))
			end := r.m.beginTableWrite(systable.TableID("n", u))
			if err := r.m.db.Write(&b); err != nil {
				t.Fatal(err)
			}
			return end
		},
	}
	for what, write := range writes {
		epoch := r.m.Epoch(r.tbl.Meta.TableID)
		end := write()
		if r.hit(what+" in progress", "a") {
			t.Errorf("%s in progress: a's entry answered", what)
		}
		r.list(what+" in progress, the snapshot before", "a", before)
		r.list(what+" in progress, the settled snapshot", "a", at)
		end()
		if r.hit(what+" ended", "a") {
			t.Errorf("%s ended: a's entry answered before it was read again", what)
		}
		if got := r.m.Epoch(r.tbl.Meta.TableID); got == epoch {
			t.Errorf("%s: table t's epoch did not move (%d)", what, got)
		}
		r.list(what+" ended, the snapshot before", "a", before)
		r.settle("a")
	}
}
