package kv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// keptRead reads the newest take entries of prefix at snap and reports
// whether the read came from a kept window.
func keptRead(t testing.TB, cf *ColumnFamily, prefix []byte, snap *Snapshot, want, take int) ([][2]string, bool) {
	t.Helper()
	b, err := cf.NewBackward(prefix, snap, want)
	if err != nil {
		t.Fatal(err)
	}
	kept := b.kept != nil
	var out [][2]string
	for len(out) < take && b.Next() {
		out = append(out, [2]string{string(b.Key()), string(b.Value())})
	}
	if err := errors.Join(b.Error(), b.Close()); err != nil {
		t.Fatal(err)
	}
	return out, kept
}

func newestOf(all [][2]string, take int) [][2]string { return all[:min(take, len(all))] }

// readConcurrently runs readers goroutines of reads backward reads each,
// read i of reader r of prefixOf(r, i) taking take(i) entries at a fresh
// snapshot, and returns the first read that did not yield what stepping
// back at its snapshot yields.
func readConcurrently(t *testing.T, db *DB, cf *ColumnFamily, readers, reads int, prefixOf func(r, i int) []byte,
	take func(i int) int) error {
	errs := make(chan error, readers)
	var wg sync.WaitGroup
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range reads {
				snap, err := db.NewSnapshot()
				if err != nil {
					errs <- err
					return
				}
				p, n := prefixOf(r, i), take(i)
				got, _ := keptRead(t, cf, p, snap, 50, n)
				want := newestOf(backwardByStepping(t, cf, p, snap), n)
				snap.Close()
				if !slices.Equal(got, want) {
					errs <- fmt.Errorf("reader %d, read %d of %q: first difference at %d", r, i, p, firstDiff(got, want))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func keptKey(prefix string, i int) []byte {
	return binary.BigEndian.AppendUint64([]byte(prefix), uint64(1<<62+i<<22))
}

func snapshotOf(t testing.TB, db *DB) *Snapshot {
	t.Helper()
	s, err := db.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestBackwardKeptWindow: a repeat read of a prefix whose entries did
// not change comes from the window the last read left, and yields what a
// read of the family yields; a write to the prefix, or a range deletion
// anywhere in the family, makes the next read go to the family, a write
// to another prefix or another family does not; a reader whose snapshot
// predates a write never gets a window read after it, nor one read before
// it once the write is done; reading past the window reads the entries
// below it; a window read in the memtable holds after the memtable is
// flushed to a file.
func TestBackwardKeptWindow(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	other := mustCF(t, db, "other")
	var batch Batch
	for i := range 300 {
		batch.Put(cf, keptKey("a/", i), fmt.Appendf(nil, "a%d", i))
		batch.Put(cf, keptKey("b/", i), fmt.Appendf(nil, "b%d", i))
	}
	if err := db.Write(&batch); err != nil {
		t.Fatal(err)
	}
	check := func(step string, snap *Snapshot, take int, wantKept bool) {
		t.Helper()
		got, kept := keptRead(t, cf, []byte("a/"), snap, 50, take)
		if want := newestOf(backwardByStepping(t, cf, []byte("a/"), snap), take); !slices.Equal(got, want) {
			t.Fatalf("%s: %d entries, want %d; first difference at %d", step, len(got), len(want), firstDiff(got, want))
		}
		if kept != wantKept {
			t.Fatalf("%s: read from a kept window %v, want %v", step, kept, wantKept)
		}
	}
	check("first read", snapshotOf(t, db), 50, false)
	check("repeat", snapshotOf(t, db), 50, true)
	check("fewer", snapshotOf(t, db), 10, true)
	// Past the window: its 50, then the rest below it from the family.
	check("past the window", snapshotOf(t, db), 120, true)
	check("all of it", snapshotOf(t, db), 1000, true)

	if err := other.Put([]byte("x"), []byte("y")); err != nil {
		t.Fatal(err)
	}
	check("after a write to another family", snapshotOf(t, db), 50, true)

	before := snapshotOf(t, db)
	if err := cf.Put(keptKey("b/", 1000), []byte("b new")); err != nil {
		t.Fatal(err)
	}
	if prefixBucket([]byte("a/")) == prefixBucket([]byte("b/")) {
		t.Fatal("a/ and b/ share a bucket: pick other prefixes")
	}
	check("after a write to another prefix", snapshotOf(t, db), 50, true)
	check("older snapshot, other prefix written", before, 50, true)
	batch.DeleteRange(cf, []byte("x/"), []byte("y/"))
	if err := db.Write(&batch); err != nil {
		t.Fatal(err)
	}
	batch.Reset()
	check("after a range deletion elsewhere", snapshotOf(t, db), 50, false)
	check("refilled", snapshotOf(t, db), 50, true)

	older := snapshotOf(t, db)
	check("a window newer than the snapshot", older, 50, true)
	if err := cf.Put(keptKey("a/", 1000), []byte("a new")); err != nil {
		t.Fatal(err)
	}
	if err := cf.Delete(keptKey("a/", 299)); err != nil {
		t.Fatal(err)
	}
	check("after writes to the prefix", snapshotOf(t, db), 50, false)
	check("older snapshot after the writes", older, 50, false)
	check("refilled again", snapshotOf(t, db), 50, true)

	if err := db.FlushMemtables(); err != nil {
		t.Fatal(err)
	}
	check("after a flush", snapshotOf(t, db), 50, true)
	if _, kept := keptRead(t, cf, []byte("a/"), nil, 50, 50); kept {
		t.Fatal("a read of the latest state (no snapshot) came from a kept window")
	}

	// A prefix whose entries all fit: the window is complete, and a read
	// of more than it has gets no more.
	batch.Reset()
	for i := range 5 {
		batch.Put(cf, keptKey("c/", i), []byte("c"))
	}
	if err := db.Write(&batch); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, _ := keptRead(t, cf, []byte("c/"), snapshotOf(t, db), 50, 50)
		if len(got) != 5 {
			t.Fatalf("%d entries of c/, want 5", len(got))
		}
	}
	w, _ := cf.windows.get(cf, []byte("c/"), ^uint64(0), &db.windowBytes)
	if w == nil || !w.complete || len(w.ents) != 5 {
		t.Fatalf("window of c/: %+v, want complete with 5 entries", w)
	}

	// Past the lengths a family tracks, windows are checked against
	// every write to the family. Three more lengths whose windows serve
	// a read each fill the four slots.
	readLengths(t, db, cf, 2, "ddd/", "eeee/", "fffff/")
	long := []byte("gggggg/")
	if err := cf.Put(keptKey(string(long), 1), []byte("v")); err != nil {
		t.Fatal(err)
	}
	for _, wantKept := range []bool{false, true} {
		if _, kept := keptRead(t, cf, long, snapshotOf(t, db), 50, 50); kept != wantKept {
			t.Fatalf("prefix of a fifth length: kept %v, want %v", kept, wantKept)
		}
	}
	if err := cf.Put(keptKey("b/", 2000), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, kept := keptRead(t, cf, long, snapshotOf(t, db), 50, 50); kept {
		t.Fatal("a window of an untracked length survived a write to another prefix")
	}
	if _, kept := keptRead(t, cf, []byte("a/"), snapshotOf(t, db), 50, 50); !kept {
		t.Fatal("a window of a tracked length did not survive a write to another prefix")
	}
	// Read (3 reads no window served) more than twice as often as the
	// least useful tracked length was served (4 bytes, the first of three
	// that served a read each), the fifth length takes its slot; windows
	// of the other lengths stay.
	if err := cf.Put(keptKey("b/", 2001), []byte("v")); err != nil {
		t.Fatal(err)
	}
	keptRead(t, cf, long, snapshotOf(t, db), 50, 50)
	if m := cf.marked.Load(); m.slot(len(long)) == nil || m.slot(4) != nil {
		t.Fatalf("tracked lengths after the fifth was read 4 times: %v, want 4 given to %d", slotLens(m), len(long))
	}
	if err := cf.Put(keptKey("b/", 2002), []byte("v")); err != nil {
		t.Fatal(err)
	}
	for _, p := range [][]byte{long, []byte("a/"), []byte("eeee/")} {
		if _, kept := keptRead(t, cf, p, snapshotOf(t, db), 50, 50); !kept {
			t.Fatalf("%s: window did not survive a write to another prefix after an eviction", p)
		}
	}
	// The evicted length's window was read while it was tracked; its
	// prefix is written once it is not (the write marks no bucket of
	// it): the window must not serve.
	newKey := keptKey("ddd/", 5000)
	if err := cf.Put(newKey, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if got, kept := keptRead(t, cf, []byte("ddd/"), snapshotOf(t, db), 50, 1); kept || len(got) != 1 || got[0][0] != string(newKey) {
		t.Fatalf("evicted length written after the eviction: kept %v, newest %q, want the new key from the family", kept, got)
	}
}

// slotLens are the lengths m tracks.
func slotLens(m *prefixMarks) []int {
	var lens []int
	if m != nil {
		for _, s := range m.slots {
			lens = append(lens, s.n)
		}
	}
	return lens
}

// TestBackwardKeptMatchesFamily: random writes, deletes, flushes to
// files and snapshots of different ages, with reads of random lengths
// at them; every read yields exactly what stepping back through the
// family at the same snapshot yields, and repeat reads do come from
// kept windows.
func TestBackwardKeptMatchesFamily(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	rng := rand.New(rand.NewPCG(8, 13))
	prefixes := []string{"p0/", "p1/", "p2/"}
	var snaps []*Snapshot
	hits := 0
	for round := range 300 {
		var batch Batch
		switch r := rng.IntN(10); {
		case r < 3:
			for range 1 + rng.IntN(20) {
				batch.Put(cf, keptKey(prefixes[rng.IntN(3)], rng.IntN(400)), fmt.Appendf(nil, "v%d", round))
			}
		case r < 4:
			for range 1 + rng.IntN(10) {
				batch.Delete(cf, keptKey(prefixes[rng.IntN(3)], rng.IntN(400)))
			}
		case r < 5 && round%20 == 0:
			if err := db.FlushMemtables(); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Write(&batch); err != nil {
			t.Fatal(err)
		}
		if rng.IntN(3) == 0 || len(snaps) == 0 {
			snaps = append(snaps, snapshotOf(t, db))
		}
		for range 3 {
			snap := snaps[len(snaps)-1]
			if rng.IntN(4) == 0 {
				snap = snaps[rng.IntN(len(snaps))]
			}
			p := []byte(prefixes[rng.IntN(3)])
			take := []int{1, 10, 50, 51, 120, 1000}[rng.IntN(6)]
			got, kept := keptRead(t, cf, p, snap, 50, take)
			if want := newestOf(backwardByStepping(t, cf, p, snap), take); !slices.Equal(got, want) {
				t.Fatalf("round %d, %s, take %d, kept %v: %d entries, want %d; first difference at %d",
					round, p, take, kept, len(got), len(want), firstDiff(got, want))
			}
			if kept {
				hits++
			}
		}
	}
	if hits == 0 {
		t.Fatal("no read came from a kept window")
	}
}

// TestBackwardWindowsBounded: the DB's windows stay within their
// budget, and a dropped family gives its windows' bytes back.
func TestBackwardWindowsBounded(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	var batch Batch
	for p := range 40 {
		for i := range 100 {
			batch.Put(cf, keptKey(fmt.Sprintf("p%03d/", p), i), make([]byte, 200))
		}
	}
	if err := db.Write(&batch); err != nil {
		t.Fatal(err)
	}
	snap := snapshotOf(t, db)
	for p := range 40 {
		keptRead(t, cf, []byte(fmt.Sprintf("p%03d/", p)), snap, 100, 100)
	}
	used := db.windowBytes.Load()
	if used <= 0 || used > backwardWindowBudget {
		t.Fatalf("windows hold %d bytes, want some and at most %d", used, backwardWindowBudget)
	}
	if err := db.DropColumnFamily("ix"); err != nil {
		t.Fatal(err)
	}
	if n := db.windowBytes.Load(); n != 0 {
		t.Fatalf("windows hold %d bytes after their family was dropped, want 0", n)
	}
}

// TestBackwardWindowsBackOff: a prefix whose windows go stale before a
// read uses them (the family is written between every two reads) records
// a window on fewer and fewer reads; once a window of it serves a read,
// the next read that finds it stale records again.
func TestBackwardWindowsBackOff(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	for i := range 100 {
		if err := cf.Put(keptKey("a/", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	window := func() *backwardWindow {
		cf.windows.mu.Lock()
		defer cf.windows.mu.Unlock()
		if k := cf.windows.m["a/"]; k != nil {
			return k.w
		}
		return nil
	}
	var recorded []int
	for read := 1; read <= 20; read++ {
		if err := cf.Put(keptKey("a/", 1000+read), []byte("v")); err != nil {
			t.Fatal(err)
		}
		before := window()
		if _, kept := keptRead(t, cf, []byte("a/"), snapshotOf(t, db), 50, 50); kept {
			t.Fatalf("read %d came from a window although the family was written", read)
		}
		// A stale window is dropped when a read finds it (nil): only a
		// new one is a recording.
		if w := window(); w != nil && w != before {
			recorded = append(recorded, read)
		}
	}
	// The first read finds no window; then the 1st, 2nd, 4th, 8th and
	// 16th read to find one stale and unused record.
	if want := []int{1, 2, 3, 5, 9, 17}; !slices.Equal(recorded, want) {
		t.Fatalf("windows recorded on reads %v, want %v", recorded, want)
	}
	// Once the writes stop, a window is recorded within 16 reads (here
	// on the 32nd to find one stale) and serves the next read; the next
	// read that finds it stale records a new one.
	hit := 0
	for read := 21; read <= 40 && hit == 0; read++ {
		if _, kept := keptRead(t, cf, []byte("a/"), snapshotOf(t, db), 50, 50); kept {
			hit = read
		}
	}
	if hit != 34 {
		t.Fatalf("with no more writes, read %d came from a window first, want 34", hit)
	}
	if err := cf.Put(keptKey("a/", 2000), []byte("v")); err != nil {
		t.Fatal(err)
	}
	before := window()
	keptRead(t, cf, []byte("a/"), snapshotOf(t, db), 50, 50)
	if window() == before {
		t.Fatal("a used window gone stale was not recorded again")
	}
}

// TestBackwardMarksConcurrent: readers of nested prefixes of four
// lengths, each length marked by the first read of it while writers
// write under them; every read yields what stepping back at the same
// snapshot yields (run with -race), in fresh families, so that the
// lengths are marked while writes run.
func TestBackwardMarksConcurrent(t *testing.T) {
	db := openTest(t)
	prefixes := [][]byte{[]byte("p/"), []byte("p/a"), []byte("p/a/"), []byte("p/b/x")}
	keyOf := func(rng *rand.Rand, i int) []byte {
		return binary.BigEndian.AppendUint64([]byte([]string{"p/a/", "p/b/x", "p/b/y"}[rng.IntN(3)]), uint64(1<<62+i<<22))
	}
	for round := range 6 {
		cf := mustCF(t, db, fmt.Sprintf("ix%d", round))
		rng := rand.New(rand.NewPCG(uint64(round), 2))
		var batch Batch
		for i := range 300 {
			batch.Put(cf, keyOf(rng, i), []byte("v"))
		}
		if err := db.Write(&batch); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			rng := rand.New(rand.NewPCG(uint64(round), 3))
			for i := 300; i < 1500; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var b Batch
				b.Put(cf, keyOf(rng, i), fmt.Appendf(nil, "w%d", i))
				b.Delete(cf, keyOf(rng, rng.IntN(i)))
				if err := db.Write(&b); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		err := readConcurrently(t, db, cf, 4, 40, func(r, i int) []byte { return prefixes[(r+i)%len(prefixes)] },
			func(int) int { return 50 })
		close(stop)
		<-done
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// TestBackwardMarkDuringWrite: a write that began before a prefix length
// was tracked (the first, or one that took a slot from another length)
// and is applied after it did not mark its keys' prefixes; it makes the
// new slot's windows stale all the same (it raises the slot's floor when
// it ends), so a window read at a snapshot from
// before the write is not kept (and later readers, whose snapshots see the
// write, read it). The write is driven step by step.
func TestBackwardMarkDuringWrite(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	for _, p := range []string{"a/", "ppppp/"} {
		for i := range 100 {
			if err := cf.Put(keptKey(p, i), []byte("v")); err != nil {
				t.Fatal(err)
			}
		}
	}
	during := func(step string, prefix []byte, key []byte, track func()) {
		t.Helper()
		marks := cf.writing() // the write begins: the length has no slot
		before := snapshotOf(t, db)
		track()
		if cf.marked.Load().slot(len(prefix)) == nil {
			t.Fatalf("%s: length %d not tracked", step, len(prefix))
		}
		if err := db.db.PutCF(db.wo, cf.h, key, []byte("new")); err != nil {
			t.Fatal(err)
		}
		cf.written([]batchOp{{kind: opPut, cf: cf, key: key}}, marks, db.db.GetLatestSequenceNumber())
		raise(&db.writtenSeq, db.db.GetLatestSequenceNumber())
		keptRead(t, cf, prefix, before, 50, 50)
		got, kept := keptRead(t, cf, prefix, snapshotOf(t, db), 50, 50)
		if kept || len(got) == 0 || got[0][0] != string(key) {
			t.Fatalf("%s: after the write: kept %v, newest %q, want the new key from the family", step, kept, got[:min(1, len(got))])
		}
	}
	during("first length", []byte("a/"), keptKey("a/", 1000), func() {
		if cf.markPrefixes(2) == nil {
			t.Fatal("the first length was not tracked")
		}
	})
	// Three more lengths fill the slots; length 6 takes one of theirs.
	for _, n := range []int{3, 4, 5} {
		if cf.markPrefixes(n) == nil {
			t.Fatalf("length %d not tracked with slots free", n)
		}
	}
	during("by eviction", []byte("ppppp/"), keptKey("ppppp/", 1000), func() {
		for i := 0; i < 100 && cf.markPrefixes(6) == nil; i++ {
		}
	})
}

// TestBackwardKeptAfterReopen: in a database reopened over written data
// and only read since, a repeat read comes from a kept window (snapshots
// start from the recovered writes' sequence numbers, not from zero).
func TestBackwardKeptAfterReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cf := mustCF(t, db, "ix")
	for i := range 100 {
		if err := cf.Put(keptKey("a/", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cf, ok := db.LookupColumnFamily("ix")
	if !ok {
		t.Fatal("family not found after reopen")
	}
	// The first read marks the length and keeps a window; the next
	// ones use it.
	for i, wantKept := range []bool{false, true, true} {
		snap, err := db.NewSnapshot()
		if err != nil {
			t.Fatal(err)
		}
		got, kept := keptRead(t, cf, []byte("a/"), snap, 50, 50)
		snap.Close()
		if len(got) != 50 || kept != wantKept {
			t.Fatalf("read %d: %d entries, kept %v; want 50, %v", i+1, len(got), kept, wantKept)
		}
	}
}
