package kv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Adversarial tests of slot eviction (backcache.go): writes driven step
// by step across evictions and re-tracking, and a stress whose slots
// change hands on nearly every read.

// stepWrite is a write driven by hand as DB.Write drives it: counted in
// flight (begin), applied to RocksDB (apply), its numbers raised (end).
type stepWrite struct {
	db    *DB
	cf    *ColumnFamily
	marks *prefixMarks
	ops   []batchOp
}

func beginWrite(cf *ColumnFamily) *stepWrite {
	return &stepWrite{db: cf.db, cf: cf, marks: cf.writing()}
}

func (w *stepWrite) put(t *testing.T, key []byte, value string) {
	t.Helper()
	if err := w.db.db.PutCF(w.db.wo, w.cf.h, key, []byte(value)); err != nil {
		t.Fatal(err)
	}
	w.ops = append(w.ops, batchOp{kind: opPut, cf: w.cf, key: key})
}

func (w *stepWrite) end() {
	seq := w.db.db.GetLatestSequenceNumber()
	w.cf.written(w.ops, w.marks, seq)
	raise(&w.db.writtenSeq, seq)
}

// evictFor makes length n take the slot of length victim: every other
// slot scores high, the victim's nothing. It returns n's new slot, which
// then scores high too, so that the test alone decides the next change.
func evictFor(t *testing.T, cf *ColumnFamily, victim, n int) *markSlot {
	t.Helper()
	m := cf.marked.Load()
	if len(m.slots) != backwardMarkedLens || m.slot(victim) == nil || m.slot(n) != nil {
		t.Fatalf("slots %v: want all taken, %d among them, %d not", slotLens(m), victim, n)
	}
	for _, s := range m.slots {
		s.score.Store(backwardScoreCap)
	}
	m.slot(victim).score.Store(0)
	s := cf.markPrefixes(n)
	if s == nil || s.n != n || cf.marked.Load().slot(victim) != nil || m.slot(victim).state.Load() != slotEvicted {
		t.Fatalf("length %d did not take the slot of %d: slots %v", n, victim, slotLens(cf.marked.Load()))
	}
	s.score.Store(backwardScoreCap)
	return s
}

// fillPrefixes puts 60 entries under each prefix.
func fillPrefixes(t *testing.T, cf *ColumnFamily, prefixes ...string) {
	t.Helper()
	var b Batch
	for _, p := range prefixes {
		for i := range 60 {
			b.Put(cf, keptKey(p, i), []byte("v"))
		}
	}
	if err := cf.db.Write(&b); err != nil {
		t.Fatal(err)
	}
}

// wantNewest fails unless the newest entry of prefix at a fresh snapshot
// is key (and, if fromFamily, the read did not come from a window).
func wantNewest(t *testing.T, cf *ColumnFamily, step string, prefix string, key []byte) {
	t.Helper()
	snap := snapshotOf(t, cf.db)
	got, kept := keptRead(t, cf, []byte(prefix), snap, 50, 50)
	want := newestOf(backwardByStepping(t, cf, []byte(prefix), snap), 50)
	if !slices.Equal(got, want) || len(got) == 0 || got[0][0] != string(key) {
		t.Fatalf("%s: kept %v, newest %q, want %q (the family's)", step, kept, got[:min(1, len(got))], key)
	}
}

// TestBackwardEvictRetrackSameLengthDuringWrite: a write that loaded the
// marks with length 2's slot, while length 2 is evicted and tracked again
// with a new slot, and is applied after the new slot is ready, to a
// prefix of length 2: a read at a snapshot taken before the write was
// applied (so without its entry), opened once the write is done, must not
// leave a window of the new slot that a later reader, who sees the write,
// is given.
func TestBackwardEvictRetrackSameLengthDuringWrite(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	fillPrefixes(t, cf, "a/", "bbb/", "ccccc/", "ddddddd/")
	for _, n := range []int{2, 4, 6, 8} {
		cf.markPrefixes(n)
	}
	old := cf.marked.Load().slot(2)
	w := beginWrite(cf) // its marks hold old
	evictFor(t, cf, 2, 10)
	renewed := evictFor(t, cf, 10, 2)
	if renewed == old || renewed.state.Load() != slotReady {
		t.Fatal("length 2 tracked again without a new ready slot")
	}
	before := snapshotOf(t, db)
	key := keptKey("a/", 1000)
	w.put(t, key, "new")
	w.end()
	// At before: the family's entries without the new one; then twice
	// more, so that a window, if kept, is served.
	for range 3 {
		got, _ := keptRead(t, cf, []byte("a/"), before, 50, 50)
		if slices.ContainsFunc(got, func(e [2]string) bool { return e[0] == string(key) }) {
			t.Fatal("the old snapshot sees the write")
		}
	}
	wantNewest(t, cf, "after the write", "a/", key)
}

// TestBackwardWriteAcrossEvictionOfItsLength: a write whose marks hold
// length 2's slot and that is applied after that slot was evicted (by a
// length whose buckets its key does not reach): the evicted slot's window
// read before the write must not serve a reader who sees it, nor may a
// window of the slot length 2 gets again later that was read at a
// snapshot before the write.
func TestBackwardWriteAcrossEvictionOfItsLength(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	fillPrefixes(t, cf, "a/", "bbb/", "ccccc/", "ddddddd/")
	for _, n := range []int{2, 4, 6, 8} {
		cf.markPrefixes(n)
	}
	for range 3 {
		keptRead(t, cf, []byte("a/"), snapshotOf(t, db), 50, 50)
	}
	if _, kept := keptRead(t, cf, []byte("a/"), snapshotOf(t, db), 50, 50); !kept {
		t.Fatal("no window of a/ kept")
	}
	w := beginWrite(cf)
	before := snapshotOf(t, db)
	// Length 30: longer than the key, so the key raises no bucket for it.
	evictFor(t, cf, 2, 30)
	key := keptKey("a/", 1000)
	w.put(t, key, "new")
	w.end()
	wantNewest(t, cf, "evicted slot's window", "a/", key)
	// Length 2 again, with a window read at before opened now.
	evictFor(t, cf, 30, 2)
	for range 3 {
		keptRead(t, cf, []byte("a/"), before, 50, 50)
	}
	wantNewest(t, cf, "new slot, window read at a snapshot before the write", "a/", key)
}

// TestBackwardOldSnapshotNotServedNewerWindowAcrossEviction: a reader
// holding a snapshot from before a write to its prefix is not given a
// window read after the write, whether the prefix's length kept its slot
// meanwhile, lost it, or lost it and got a new one.
func TestBackwardOldSnapshotNotServedNewerWindowAcrossEviction(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	fillPrefixes(t, cf, "a/", "bbb/", "ccccc/", "ddddddd/")
	for _, n := range []int{2, 4, 6, 8} {
		cf.markPrefixes(n)
	}
	for step, change := range []func(){
		func() {},
		func() { evictFor(t, cf, 2, 12) },
		func() { evictFor(t, cf, 12, 2) },
	} {
		old := snapshotOf(t, db)
		want := newestOf(backwardByStepping(t, cf, []byte("a/"), old), 50)
		key := keptKey("a/", 1000+step)
		if err := cf.Put(key, []byte("new")); err != nil {
			t.Fatal(err)
		}
		change()
		for range 3 {
			wantNewest(t, cf, fmt.Sprintf("step %d, fresh reader", step), "a/", key)
		}
		for range 2 {
			got, kept := keptRead(t, cf, []byte("a/"), old, 50, 50)
			if !slices.Equal(got, want) {
				t.Fatalf("step %d: the old snapshot got %q... (kept %v), want %q...", step,
					got[:min(1, len(got))], kept, want[:min(1, len(want))])
			}
		}
	}
}

// TestBackwardEvictionDuringWriteKeepsOtherWindows: a slot changing hands
// while a write to an unrelated prefix is in flight makes no window of
// the lengths that kept their slots stale: that write marked their
// buckets (its marks hold their slots), so nothing about them is
// unknown. (Were it to, every eviction under a steady write load would
// empty every tracked length's windows, and one-off lengths, which take
// the least useful slot about every backwardDecayEvery of their reads,
// would keep the family's hot windows from ever serving.)
func TestBackwardEvictionDuringWriteKeepsOtherWindows(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	hot := distinctBuckets(t, 3, func(i int) string { return fmt.Sprintf("%0*d/", 3+i, i) }, "zz/")
	fillPrefixes(t, cf, hot...)
	for _, p := range hot {
		cf.markPrefixes(len(p))
	}
	cf.markPrefixes(len("zz/"))
	for _, p := range hot {
		for range 3 {
			keptRead(t, cf, []byte(p), snapshotOf(t, db), 50, 50)
		}
	}
	w := beginWrite(cf)
	evictFor(t, cf, len("zz/"), 20)
	w.put(t, keptKey("zz/", 1), "unrelated")
	w.end()
	for _, p := range hot {
		if _, kept := keptRead(t, cf, []byte(p), snapshotOf(t, db), 50, 50); !kept {
			t.Errorf("%q: its window went stale, though nothing wrote it and its length kept its slot", p)
		}
	}
}

// TestBackwardKeptUnderForcedEvictions: writers write under prefixes of
// six lengths (single puts and deletes, batches, range deletions) while
// a goroutine makes a slot change hands on every step (a length tracked
// anew, an evicted one, the same one again) and readers read the
// prefixes at fresh and at held snapshots; every read yields what
// stepping back at its snapshot yields. Run with -race.
func TestBackwardKeptUnderForcedEvictions(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	prefixes := []string{"a/", "a/b/", "ccc/", "dddd/", "a/b/e/", "fffffff/"}
	keyOf := func(rng *rand.Rand, i int) []byte {
		p := prefixes[rng.IntN(len(prefixes))]
		return binary.BigEndian.AppendUint64([]byte(p), uint64(1<<62+i<<20))
	}
	var seed Batch
	rng0 := rand.New(rand.NewPCG(5, 5))
	for i := range 600 {
		seed.Put(cf, keyOf(rng0, i), fmt.Appendf(nil, "s%d", i))
	}
	if err := db.Write(&seed); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var next atomic.Int64
	next.Store(600)
	var bg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 2 {
		bg.Add(1)
		go func() {
			defer bg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			for round := 0; !stop.Load(); round++ {
				var b Batch
				switch r := rng.IntN(12); {
				case r == 0:
					p := []byte(prefixes[rng.IntN(len(prefixes))])
					x := uint64(1<<62 + rng.IntN(int(next.Load()))<<20)
					lo := binary.BigEndian.AppendUint64(slices.Clone(p), x)
					hi := binary.BigEndian.AppendUint64(slices.Clone(p), x+uint64(1+rng.IntN(4))<<20)
					b.DeleteRange(cf, lo, hi)
				case r < 4:
					b.Delete(cf, keyOf(rng, rng.IntN(int(next.Load()))))
				default:
					for range 1 + rng.IntN(3) {
						i := int(next.Add(1))
						b.Put(cf, keyOf(rng, i), fmt.Appendf(nil, "w%d", i))
					}
				}
				if err := db.Write(&b); err != nil {
					errs <- err
					return
				}
				if round%4 == 3 {
					// Quiet spells, so that windows are kept and served.
					for range 20 {
						if stop.Load() {
							return
						}
						snap, err := db.NewSnapshot()
						if err != nil {
							errs <- err
							return
						}
						keptRead(t, cf, []byte(prefixes[rng.IntN(len(prefixes))]), snap, 50, 50)
						snap.Close()
					}
				}
			}
		}()
	}
	// The churner: every slot scores nothing, and a length with or
	// without a slot asks for one, so that slots change hands all along.
	var changes atomic.Int64
	bg.Add(1)
	go func() {
		defer bg.Done()
		rng := rand.New(rand.NewPCG(9, 9))
		for !stop.Load() {
			if m := cf.marked.Load(); m != nil {
				for _, s := range m.slots {
					s.score.Store(0)
				}
			}
			before := cf.marked.Load()
			cf.markPrefixes(len(prefixes[rng.IntN(len(prefixes))]) + rng.IntN(2)*7)
			if cf.marked.Load() != before {
				changes.Add(1)
			}
		}
	}()
	var hits atomic.Int64
	var rg sync.WaitGroup
	for r := range 3 {
		rg.Add(1)
		go func() {
			defer rg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 13))
			var held *Snapshot
			defer func() {
				if held != nil {
					held.Close()
				}
			}()
			// check reads p at snap and compares with stepping back.
			check := func(i int, p []byte, snap *Snapshot) error {
				take := []int{1, 50, 300}[rng.IntN(3)]
				got, kept := keptRead(t, cf, p, snap, 50, take)
				if kept {
					hits.Add(1)
				}
				want := newestOf(backwardByStepping(t, cf, p, snap), take)
				if !slices.Equal(got, want) {
					return fmt.Errorf("reader %d read %d of %q take %d kept %v: %d entries, want %d, first difference at %d",
						r, i, p, take, kept, len(got), len(want), firstDiff(got, want))
				}
				return nil
			}
			for i := range 300 {
				snap, err := db.NewSnapshot()
				if err != nil {
					errs <- err
					return
				}
				p := []byte(prefixes[rng.IntN(len(prefixes))])
				// Half the time the prefix is first read at a held
				// snapshot, a recent one: it may leave a window older
				// than writes that straddled a change of slots, which
				// the read at the fresh snapshot must not be given.
				if held != nil && rng.IntN(2) == 0 {
					err = check(i, p, held)
				}
				if err == nil {
					err = check(i, p, snap)
				}
				if err != nil {
					errs <- err
					snap.Close()
					return
				}
				keepOrClose(&held, snap, rng.IntN(3) == 0)
			}
		}()
	}
	rg.Wait()
	stop.Store(true)
	bg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d of about 1,350 reads came from kept windows; slots changed hands %d times", hits.Load(), changes.Load())
	if changes.Load() < 100 {
		t.Errorf("slots changed hands %d times, want many", changes.Load())
	}
}

// TestBackwardHotWindowsServeWhileOneOffLengthsChurn: a family's hot
// conversations (30, prefixes of three lengths) are read again and again
// while an unrelated prefix is written between reads; now and then an
// admin's query reads a prefix of a length read nowhere else three times
// (a page at a time), with a write in flight, as under a steady write
// load. The one-off lengths take the fourth slot from each other, and
// that must not cost the hot conversations their windows: almost every
// read of them is served from memory.
func TestBackwardHotWindowsServeWhileOneOffLengthsChurn(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	var hot []string
	for _, n := range []int{4, 6, 8} {
		hot = append(hot, distinctBuckets(t, 10, func(i int) string { return fmt.Sprintf("%0*d/", n-1, 100+i) },
			append([]string{"zz/"}, hot...)...)...)
	}
	fillPrefixes(t, cf, hot...)
	hits, reads, evicted := 0, 0, 0
	for i := range 1200 {
		if err := cf.Put(keptKey("zz/", i), []byte("w")); err != nil {
			t.Fatal(err)
		}
		if i%40 == 39 {
			// A one-off length (20 to 59 bytes), read three times.
			p := fmt.Sprintf("%0*d/", 19+i/40%40, 7)
			before := cf.marked.Load()
			for range 3 {
				w := beginWrite(cf)
				keptRead(t, cf, []byte(p), snapshotOf(t, db), 50, 50)
				w.put(t, keptKey("zz/", 100000+i), "w")
				w.end()
			}
			if cf.marked.Load() != before {
				evicted++
			}
			continue
		}
		_, kept := keptRead(t, cf, []byte(hot[i%len(hot)]), snapshotOf(t, db), 50, 50)
		if i >= 100 {
			reads++
			if kept {
				hits++
			}
		}
	}
	t.Logf("%d of %d hot reads served from windows; slots changed hands %d times", hits, reads, evicted)
	if evicted < 5 {
		t.Errorf("slots changed hands %d times, want one-off lengths to take the fourth slot often", evicted)
	}
	if hits < reads*9/10 {
		t.Errorf("%d of %d hot reads served from windows, want at least 90%%", hits, reads)
	}
}

// TestBackwardDropRecreateWhileReadingKeepsBudget: readers and a writer
// use a family by name while it is dropped and made again over and over,
// with its slots changing hands; every read that succeeds yields what
// stepping back at its snapshot yields, and once the family is dropped
// for good no window holds any of the DB's budget (a window kept into a
// dropped family would hold it for good).
func TestBackwardDropRecreateWhileReadingKeepsBudget(t *testing.T) {
	db := openTest(t)
	prefixes := []string{"a/", "bbb/", "ccccc/", "ddddddd/", "eeeeeeeee/", "f/g/"}
	var cur atomic.Pointer[ColumnFamily]
	cur.Store(mustCF(t, db, "ix"))
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 17))
			for i := 0; !stop.Load(); i++ {
				cf := cur.Load()
				if r == 0 {
					var b Batch
					for range 3 {
						b.Put(cf, keptKey(prefixes[rng.IntN(len(prefixes))], rng.IntN(1000)), fmt.Appendf(nil, "v%d", i))
					}
					if err := db.Write(&b); err != nil && !errors.Is(err, ErrDropped) {
						errs <- err
						return
					}
					continue
				}
				snap, err := db.NewSnapshot()
				if err != nil {
					errs <- err
					return
				}
				p := []byte(prefixes[rng.IntN(len(prefixes))])
				got, err := readNewest(cf, p, snap, 50)
				if err == nil {
					var want [][2]string
					if want, err = steppedNewest(cf, p, snap, 50); err == nil && !slices.Equal(got, want) {
						err = fmt.Errorf("read %d of %q: %d entries, want %d, first difference at %d", i, p, len(got), len(want),
							firstDiff(got, want))
					}
				}
				snap.Close()
				if err != nil && !errors.Is(err, ErrDropped) {
					errs <- err
					return
				}
			}
		}()
	}
	for range 40 {
		for range 20 {
			// Reads of the family meanwhile; a pause between changes.
			keptRead(t, cur.Load(), []byte(prefixes[0]), snapshotOf(t, db), 50, 50)
		}
		if err := db.DropColumnFamily("ix"); err != nil {
			t.Fatal(err)
		}
		cur.Store(mustCF(t, db, "ix"))
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := db.DropColumnFamily("ix"); err != nil {
		t.Fatal(err)
	}
	if n := db.windowBytes.Load(); n != 0 {
		t.Errorf("no family left, windows hold %d bytes of the budget", n)
	}
}

// readNewest is keptRead returning errors (for goroutines of a family
// that may be dropped under them).
func readNewest(cf *ColumnFamily, prefix []byte, snap *Snapshot, take int) ([][2]string, error) {
	b, err := cf.NewBackward(prefix, snap, take)
	if err != nil {
		return nil, err
	}
	var out [][2]string
	for len(out) < take && b.Next() {
		out = append(out, [2]string{string(b.Key()), string(b.Value())})
	}
	return out, errors.Join(b.Error(), b.Close())
}

// steppedNewest is backwardByStepping's newest take entries, returning
// errors.
func steppedNewest(cf *ColumnFamily, prefix []byte, snap *Snapshot, take int) ([][2]string, error) {
	it, err := cf.NewIter(IterOptions{LowerBound: prefix, UpperBound: PrefixEnd(prefix), Snapshot: snap})
	if err != nil {
		return nil, err
	}
	var out [][2]string
	for ok := it.Last(); ok && len(out) < take; ok = it.Prev() {
		out = append(out, [2]string{string(it.Key()), string(it.Value())})
	}
	return out, errors.Join(it.Error(), it.Close())
}

// TestBackwardStraddlingWritesUnderSlotChanges: a goroutine makes slots
// change hands every little while; a writer begins a write, waits until
// the slots changed, takes a snapshot, applies the write to a prefix of
// the length that just got a slot (its marks lack that slot) and ends it,
// then reads the prefix at that snapshot (which does not see the write)
// and at a fresh one (which does). Both reads must yield what stepping
// back at their snapshots yields: the first must not leave a window the
// second is given. Run with -race.
func TestBackwardStraddlingWritesUnderSlotChanges(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	prefixes := []string{"a/", "bbb/", "ccccc/", "ddddddd/", "eeeeeeeee/", "fffffffffff/"}
	fillPrefixes(t, cf, prefixes...)
	var stop atomic.Bool
	var changes atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		rng := rand.New(rand.NewPCG(3, 3))
		for !stop.Load() {
			if m := cf.marked.Load(); m != nil {
				for _, s := range m.slots {
					s.score.Store(0)
				}
			}
			before := cf.marked.Load()
			cf.markPrefixes(len(prefixes[rng.IntN(len(prefixes))]))
			if cf.marked.Load() != before {
				changes.Add(1)
			}
			time.Sleep(200 * time.Microsecond)
		}
	}()
	defer func() {
		stop.Store(true)
		<-done
	}()
	check := func(step string, p []byte, snap *Snapshot) {
		t.Helper()
		got, kept := keptRead(t, cf, p, snap, 50, 50)
		if want := newestOf(backwardByStepping(t, cf, p, snap), 50); !slices.Equal(got, want) {
			t.Fatalf("%s of %q (kept %v): %d entries, want %d, first difference at %d", step, p, kept, len(got), len(want),
				firstDiff(got, want))
		}
	}
	straddled := 0
	for i := range 300 {
		w := beginWrite(cf)
		var fresh *markSlot
		for spins := 0; fresh == nil && spins < 1000; spins++ {
			time.Sleep(20 * time.Microsecond)
			if cur := cf.marked.Load(); cur != w.marks {
				for _, s := range cur.slots {
					if w.marks == nil || !slices.Contains(w.marks.slots, s) {
						fresh = s
					}
				}
			}
		}
		p := prefixes[0]
		if fresh != nil {
			for _, q := range prefixes {
				if len(q) == fresh.n {
					p = q
				}
			}
			straddled++
		}
		before := snapshotOf(t, db)
		w.put(t, keptKey(p, 1000+i), "new")
		w.end()
		for range 2 {
			check("at the snapshot before the write", []byte(p), before)
		}
		check("at a fresh snapshot", []byte(p), snapshotOf(t, db))
	}
	t.Logf("%d of 300 writes straddled a change of slots; slots changed hands %d times", straddled, changes.Load())
	if straddled < 100 {
		t.Errorf("%d writes straddled a change of slots, want most", straddled)
	}
}

// TestBackwardWindowsBudgetNotPinnedByUnreadWindows: as
// TestBackwardWindowsBudgetNotPinnedByStale, but the conversations read
// once (a user scrolling through 600 of them) are not written since:
// their windows never go stale, and are never read again. A prefix read
// again and again afterwards, while other families are written, must
// still get a window: windows that serve nothing must not hold the
// budget for good. (Each read that would record one then sweeps every
// family's windows in vain too; with 620 windows that cost is within the
// noise of a read and a write, ~9 µs.)
func TestBackwardWindowsBudgetNotPinnedByUnreadWindows(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	fillWindowBudget(t, db, cf, 600)
	hot := mustCF(t, db, "hot")
	rows := mustCF(t, db, "rows")
	for i := range 50 {
		if err := hot.Put(keptKey("h/", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	// Two idle sweeps (each after backwardIdleSweepEvery refusals) give
	// the unread windows' bytes back; every read after is served.
	const reads = 40
	kept := 0
	for i := range reads {
		if err := rows.Put(keptKey("r/", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
		if _, k := keptRead(t, hot, []byte("h/"), snapshotOf(t, db), 50, 50); k {
			kept++
		}
	}
	if want := reads - 2*backwardIdleSweepEvery - 1; kept < want {
		t.Errorf("%d of %d repeat reads of an unchanged prefix came from a window, want %d (budget held by %d bytes of windows never read again)",
			kept, reads, want, db.windowBytes.Load())
	}
}

// fillWindowBudget writes convs conversations of 50 entries of 300 bytes
// ("c0000/"...) and 20 small ones ("s0000/"...) into cf and reads them
// once, so that their windows fill the DB's budget to the last window.
// It returns the conversations' value.
func fillWindowBudget(t *testing.T, db *DB, cf *ColumnFamily, convs int) []byte {
	t.Helper()
	value := make([]byte, 300)
	for p := range convs {
		var b Batch
		for i := range 50 {
			b.Put(cf, keptKey(fmt.Sprintf("c%04d/", p), i), value)
		}
		if err := db.Write(&b); err != nil {
			t.Fatal(err)
		}
	}
	// And small ones, so that the budget is full to the last window.
	for p := range 20 {
		for i := range 50 {
			if err := cf.Put(keptKey(fmt.Sprintf("s%04d/", p), i), []byte("v")); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Each group is read until the budget refuses a window (so that it
	// refuses few: enough refusals sweep windows that served nothing).
	snap := snapshotOf(t, db)
	for _, g := range []struct {
		name string
		n    int
	}{{"c%04d/", convs}, {"s%04d/", 20}} {
		for p := range g.n {
			before := db.windowBytes.Load()
			keptRead(t, cf, []byte(fmt.Sprintf(g.name, p)), snap, 50, 50)
			if db.windowBytes.Load() == before {
				break
			}
		}
	}
	t.Logf("windows hold %d bytes of %d", db.windowBytes.Load(), backwardWindowBudget)
	if db.windowBytes.Load() < backwardWindowBudget-backwardWindowMaxBytes {
		t.Fatalf("windows hold %d bytes, want the budget (%d) full", db.windowBytes.Load(), backwardWindowBudget)
	}
	return value
}

// keepOrClose makes snap the held snapshot (closing the one held) when
// keep, and closes it otherwise.
func keepOrClose(held **Snapshot, snap *Snapshot, keep bool) {
	if !keep {
		snap.Close()
		return
	}
	if *held != nil {
		(*held).Close()
	}
	*held = snap
}
