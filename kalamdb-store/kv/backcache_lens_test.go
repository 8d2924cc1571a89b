package kv

import (
	"fmt"
	"testing"
)

// distinctBuckets returns n prefixes made by name(i) whose buckets differ
// from each other and from avoid's, so that a write to one never makes
// another's window stale by a bucket collision.
func distinctBuckets(t *testing.T, n int, name func(i int) string, avoid ...string) []string {
	t.Helper()
	used := map[int]bool{}
	for _, p := range avoid {
		used[prefixBucket([]byte(p))] = true
	}
	var out []string
	for i := 0; len(out) < n && i < 10*n+100; i++ {
		p := name(i)
		if b := prefixBucket([]byte(p)); !used[b] {
			used[b] = true
			out = append(out, p)
		}
	}
	if len(out) < n {
		t.Fatalf("found %d prefixes in distinct buckets, want %d", len(out), n)
	}
	return out
}

// readLengths puts an entry under each of prefixes and reads each prefix
// reads times at fresh snapshots: the first read gives its length a slot
// if one is free, the later ones are served by its window and score.
func readLengths(t *testing.T, db *DB, cf *ColumnFamily, reads int, prefixes ...string) {
	t.Helper()
	for _, p := range prefixes {
		if err := cf.Put(keptKey(p, 1), []byte("v")); err != nil {
			t.Fatal(err)
		}
		for range reads {
			keptRead(t, cf, []byte(p), snapshotOf(t, db), 50, 50)
		}
	}
}

// TestBackwardFifthLengthAfterOneOffLengths: a family whose first
// backward reads were of four one-off prefix lengths (an admin's
// queries over other indexes), then read again and again by prefixes of
// a fifth length (the app's index) while other prefixes are written
// between the reads, serves those reads from kept windows: the one-off
// lengths, whose windows never served a read, give up their slots.
func TestBackwardFifthLengthAfterOneOffLengths(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	readLengths(t, db, cf, 1, "x/", "xy/", "xyz/", "wxyz/")
	convs := distinctBuckets(t, 6, func(i int) string { return fmt.Sprintf("conv%03d/", i) })
	for _, p := range convs {
		for i := range 60 {
			if err := cf.Put(keptKey(p, i), []byte("v")); err != nil {
				t.Fatal(err)
			}
		}
	}
	read, written := convs[:3], convs[3:]
	var kept []int
	const rounds = 40
	for r := range rounds {
		// Another conversation gets a message, and an admin's index
		// gets a row: neither is a prefix read here.
		if err := cf.Put(keptKey(written[r%len(written)], 1000+r), []byte("w")); err != nil {
			t.Fatal(err)
		}
		if err := cf.Put(keptKey("xy/", 1000+r), []byte("w")); err != nil {
			t.Fatal(err)
		}
		if _, k := keptRead(t, cf, []byte(read[r%len(read)]), snapshotOf(t, db), 50, 50); k {
			kept = append(kept, r)
		}
	}
	// The first read of each conversation finds no window; every later
	// one is served.
	if want := rounds - len(read); len(kept) != want {
		t.Fatalf("%d of %d reads came from kept windows (rounds %v), want %d", len(kept), rounds, kept, want)
	}
}

// TestBackwardUsedLengthsKeepSlots: four prefix lengths whose windows
// serve reads keep their slots when a fifth length is read once: their
// windows still survive writes to other prefixes.
func TestBackwardUsedLengthsKeepSlots(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	lens := []string{"a/", "bb/", "ccc/", "dddd/"}
	other := distinctBuckets(t, 1, func(i int) string { return fmt.Sprintf("o%d/", i) }, lens...)[0]
	if len(distinctBuckets(t, 4, func(i int) string { return lens[i%4] })) != 4 {
		t.Fatal("the four prefixes share buckets: pick others")
	}
	for _, p := range lens {
		for i := range 60 {
			if err := cf.Put(keptKey(p, i), []byte("v")); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 3 {
		for _, p := range lens {
			keptRead(t, cf, []byte(p), snapshotOf(t, db), 50, 50)
		}
	}
	if err := cf.Put(keptKey("one-off/", 1), []byte("v")); err != nil {
		t.Fatal(err)
	}
	keptRead(t, cf, []byte("one-off/"), snapshotOf(t, db), 50, 50)
	if err := cf.Put(keptKey(other, 1), []byte("v")); err != nil {
		t.Fatal(err)
	}
	for _, p := range lens {
		if _, k := keptRead(t, cf, []byte(p), snapshotOf(t, db), 50, 50); !k {
			t.Errorf("%q: its window did not survive a write to another prefix after a one-off fifth length", p)
		}
	}
}

// TestBackwardNewSlotTrustsNoEarlierWrite: a length tracked for the
// first time, or again after its slot was evicted, was not marked by the
// writes before: a read at a snapshot older than such a write to its
// prefix must not leave a window that a reader who sees the write gets.
func TestBackwardNewSlotTrustsNoEarlierWrite(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	for i := range 60 {
		for _, p := range []string{"a/", "ppp/"} {
			if err := cf.Put(keptKey(p, i), []byte("v")); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 5 {
		keptRead(t, cf, []byte("a/"), snapshotOf(t, db), 50, 50)
	}
	// check writes key under ppp/ after taking a snapshot, reads ppp/ at
	// that snapshot (asking length 4 for a slot) and then at a new one,
	// which must yield the key; it reports whether 4 is tracked.
	check := func(step string, key []byte) bool {
		t.Helper()
		old := snapshotOf(t, db)
		if err := cf.Put(key, []byte("new")); err != nil {
			t.Fatal(err)
		}
		keptRead(t, cf, []byte("ppp/"), old, 50, 50)
		tracked := cf.marked.Load().slot(4) != nil
		got, kept := keptRead(t, cf, []byte("ppp/"), snapshotOf(t, db), 50, 1)
		if kept || len(got) != 1 || got[0][0] != string(key) {
			t.Fatalf("%s: kept %v, newest %q, want the new key from the family", step, kept, got)
		}
		return tracked
	}
	if !check("first tracked", keptKey("ppp/", 1000)) {
		t.Fatal("length 4 not tracked with slots free")
	}
	// Evict length 4, whose windows served nothing: two lengths whose
	// windows serve fill the other slots, and a fifth is read until it
	// takes the least useful slot.
	readLengths(t, db, cf, 5, "bb/", "ccccc/")
	if err := cf.Put(keptKey("eeeeeee/", 1), []byte("v")); err != nil {
		t.Fatal(err)
	}
	for i := 0; cf.marked.Load().slot(4) != nil; i++ {
		if i == 100 {
			t.Fatalf("length 4 still tracked after 100 reads of a fifth: %v", slotLens(cf.marked.Load()))
		}
		keptRead(t, cf, []byte("eeeeeee/"), snapshotOf(t, db), 50, 50)
	}
	// Length 4 is read again until it gets a slot again, its prefix
	// written before each read.
	for i := 0; !check(fmt.Sprintf("tracked again, read %d", i), keptKey("ppp/", 2000+i)); i++ {
		if i == 100 {
			t.Fatalf("length 4 not tracked again after 100 reads: %v", slotLens(cf.marked.Load()))
		}
	}
}

// TestBackwardLengthUsedLongAgoGivesWay: four lengths whose windows
// served many reads (past the score's cap) and are then no longer read
// give way to a fifth length read now, with writes to other prefixes
// between its reads, within about backwardDecayEvery*log2(cap) reads:
// scores decay.
func TestBackwardLengthUsedLongAgoGivesWay(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	for _, p := range []string{"a/", "bb/", "ccc/", "dddd/", "fifth-len/"} {
		if err := cf.Put(keptKey(p, 1), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	snap := snapshotOf(t, db)
	for range backwardScoreCap + 10 {
		for _, p := range []string{"a/", "bb/", "ccc/", "dddd/"} {
			keptRead(t, cf, []byte(p), snap, 50, 50)
		}
	}
	reads := 0
	for ; cf.marked.Load().slot(len("fifth-len/")) == nil; reads++ {
		if reads == 400 {
			t.Fatalf("the fifth length got no slot in %d reads: %v", reads, slotLens(cf.marked.Load()))
		}
		if err := cf.Put(keptKey("x/", reads), []byte("v")); err != nil {
			t.Fatal(err)
		}
		keptRead(t, cf, []byte("fifth-len/"), snapshotOf(t, db), 50, 50)
	}
	t.Logf("the fifth length got a slot on read %d", reads)
	if limit := 2 * backwardDecayEvery * 10; reads > limit {
		t.Errorf("the fifth length got a slot on read %d, want at most %d", reads, limit)
	}
}

// TestBackwardEvenLengthsDoNotTakeTurns: five lengths read in turn, each
// prefix's window serving while only other prefixes are written: the
// fifth length, read as often as the four tracked ones are served, does
// not take their slots in turn (each change of hands would cost the
// evicted length its windows).
func TestBackwardEvenLengthsDoNotTakeTurns(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	lens := []string{"a/", "bb/", "ccc/", "dddd/", "eeeee/"}
	readLengths(t, db, cf, 1, lens...)
	warm := 0
	for r := range 300 {
		if r == 10 {
			// While scores are 0, the first reads of each length take
			// slots from one another.
			cf.markMu.Lock()
			warm = cf.demand.evicted
			cf.markMu.Unlock()
		}
		if err := cf.Put(keptKey("x/", r), []byte("v")); err != nil {
			t.Fatal(err)
		}
		for _, p := range lens {
			keptRead(t, cf, []byte(p), snapshotOf(t, db), 50, 50)
		}
	}
	cf.markMu.Lock()
	evicted := cf.demand.evicted - warm
	cf.markMu.Unlock()
	if evicted > 0 {
		t.Fatalf("%d slots changed hands over 290 rounds of five lengths read in turn (%d in the first 10), want none",
			evicted, warm)
	}
}

// BenchmarkKeptWindowCheck: what a read served from a kept window costs
// in the family's windows (the lookup by prefix and the check that the
// window holds), without the read's snapshot or entries.
func BenchmarkKeptWindowCheck(b *testing.B) {
	db := openTest(b)
	cf := mustCF(b, db, "ix")
	for i := range 60 {
		if err := cf.Put(keptKey("conv-000001/", i), []byte("v")); err != nil {
			b.Fatal(err)
		}
	}
	snap, err := db.NewSnapshot()
	if err != nil {
		b.Fatal(err)
	}
	defer snap.Close()
	for range 2 {
		bw, err := cf.NewBackward([]byte("conv-000001/"), snap, 50)
		if err != nil {
			b.Fatal(err)
		}
		for bw.Next() {
		}
		bw.Close()
	}
	prefix := []byte("conv-000001/")
	for b.Loop() {
		if w, _ := cf.windows.get(cf, prefix, snap.lo, &db.windowBytes); w == nil {
			b.Fatal("no kept window")
		}
	}
}
