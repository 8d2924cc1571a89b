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

// attackPrefixes are prefixes of seven lengths, some nested in others
// ("a/" holds "a/x/"), so that a family marks the four lengths it may and
// reads of the other lengths are checked against all of its writes.
var attackPrefixes = []string{"a/", "a/x/", "bb/", "ccc/", "dddd/", "eeeee/", "ffffff/", "ggggggg/"}

func prefixedKey(prefixes []string, rng *rand.Rand, i int) []byte {
	p := prefixes[rng.IntN(len(prefixes))]
	return binary.BigEndian.AppendUint64([]byte(p), uint64(1<<62+i<<20+rng.IntN(1<<10)))
}

// TestBackwardKeptUnderMixedWrites: while writers write batches of puts,
// deletes, counter merges and range deletions, over two families at once,
// under prefixes of more lengths than a family tracks (nested ones too),
// and the memtables are flushed and the family compacted, readers at
// fresh and at older snapshots (held across many reads) read the newest
// entries of every prefix; every read yields exactly what stepping back
// at its snapshot yields. Run with -race.
func TestBackwardKeptUnderMixedWrites(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	hits := mixedReadsAndWrites(t, db, cf, attackPrefixes, 150, func(rng *rand.Rand, _, _ int) string {
		return attackPrefixes[rng.IntN(len(attackPrefixes))]
	})
	t.Logf("%d of 600 reads came from kept windows", hits)
}

// TestBackwardKeptUnderLengthChurn: as above, with prefixes of 12
// lengths (nested ones too) and readers whose reads move from lengths to
// lengths in phases, two or three prefixes read again and again at a
// time, so that the family's four slots change hands often while writes
// run (evicted lengths, lengths tracked again with new slots, writes
// that began before a change and end after it); every read, kept or
// not, yields what stepping back at its snapshot yields. Run with -race.
func TestBackwardKeptUnderLengthChurn(t *testing.T) {
	var prefixes []string
	for n := 2; n < 14; n++ {
		// "l/", "l//", "l/2/", "l/23/", ... (all under "l/", as index
		// prefixes of one equality prefix and more columns are) and
		// "2/", "03/", "004/", ...
		p := []byte("l/")
		for len(p) < n-1 {
			p = append(p, '0'+byte(len(p)%10))
		}
		if n > 2 {
			p = append(p, '/')
		}
		prefixes = append(prefixes, string(p), fmt.Sprintf("%0*d/", n-1, n))
	}
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	hits := mixedReadsAndWrites(t, db, cf, prefixes, 200, func(rng *rand.Rand, r, i int) string {
		// Phases of 20 reads; in each, a reader reads mostly three
		// lengths (two prefixes each), the phase's, and now and then any.
		if rng.IntN(8) == 0 {
			return prefixes[rng.IntN(len(prefixes))]
		}
		base := (i/20*5 + r*3) % (len(prefixes) / 2)
		n := (base + rng.IntN(3)) % (len(prefixes) / 2)
		return prefixes[2*n+rng.IntN(2)]
	})
	cf.markMu.Lock()
	evicted := cf.demand.evicted
	cf.markMu.Unlock()
	t.Logf("%d of 800 reads came from kept windows; %d slots changed hands", hits, evicted)
	if evicted < 10 {
		t.Errorf("%d slots changed hands, want many", evicted)
	}
}

// mixedReadsAndWrites runs two writers and four readers over cf (and a
// second family the writers also write) for reads reads per reader, the
// keys under prefixes, the prefix of read i of reader r being pick's,
// and checks every read against stepping back at its snapshot. It
// returns how many reads came from kept windows (some must).
func mixedReadsAndWrites(t *testing.T, db *DB, cf *ColumnFamily, prefixes []string, reads int,
	pick func(rng *rand.Rand, r, i int) string) int64 {
	other := mustCF(t, db, "rows")
	var seed Batch
	rng0 := rand.New(rand.NewPCG(1, 1))
	for i := range 2000 {
		seed.Put(cf, prefixedKey(prefixes, rng0, i), fmt.Appendf(nil, "s%d", i))
	}
	if err := db.Write(&seed); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	var next atomic.Int64
	next.Store(2000)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for round := 0; !stop.Load(); round++ {
				if round%8 == 7 {
					// Quiet spells, so that windows are kept and used.
					time.Sleep(time.Millisecond)
				}
				var b Batch
				switch r := rng.IntN(20); {
				case r == 0:
					p := []byte(prefixes[rng.IntN(len(prefixes))])
					x := uint64(1<<62 + rng.IntN(3000)<<20)
					lo := binary.BigEndian.AppendUint64(slices.Clone(p), x)
					hi := binary.BigEndian.AppendUint64(slices.Clone(p), x+uint64(1+rng.IntN(8))<<20)
					b.DeleteRange(cf, lo, hi)
				case r == 1:
					// Counters under their own keys (a merge onto a put
					// value would not be a counter).
					p := prefixes[rng.IntN(len(prefixes))]
					b.AddCounter(cf, append([]byte(p), 0xff, 0xff, byte(rng.IntN(4))), 1)
				case r == 2 && w == 0 && round%50 == 0:
					if err := db.FlushMemtables(); err != nil {
						errs <- err
						return
					}
				case r == 3 && w == 1 && round%80 == 0:
					if err := cf.CompactRange(nil, nil); err != nil {
						errs <- err
						return
					}
				default:
					for range 1 + rng.IntN(4) {
						i := int(next.Add(1))
						b.Put(cf, prefixedKey(prefixes, rng, i), fmt.Appendf(nil, "w%d", i))
						b.Put(other, fmt.Appendf(nil, "r%d", i), []byte("row"))
					}
					if rng.IntN(3) == 0 {
						b.Delete(cf, prefixedKey(prefixes, rng, rng.IntN(int(next.Load()))))
					}
				}
				if b.Len() > 0 {
					if err := db.Write(&b); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	var hits atomic.Int64
	var rg sync.WaitGroup
	for r := range 4 {
		rg.Add(1)
		go func() {
			defer rg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), 9))
			var held *Snapshot
			defer func() {
				if held != nil {
					held.Close()
				}
			}()
			for i := range reads {
				snap, err := db.NewSnapshot()
				if err != nil {
					errs <- err
					return
				}
				use := snap
				if held != nil && rng.IntN(3) == 0 {
					use = held
				}
				p := []byte(pick(rng, r, i))
				take := []int{1, 20, 50, 52, 300, 5000}[rng.IntN(6)]
				got, kept := keptRead(t, cf, p, use, 50, take)
				if kept {
					hits.Add(1)
				}
				want := newestOf(backwardByStepping(t, cf, p, use), take)
				if !slices.Equal(got, want) {
					errs <- fmt.Errorf("reader %d read %d of %q take %d kept %v: %d entries, want %d, first difference at %d",
						r, i, p, take, kept, len(got), len(want), firstDiff(got, want))
					snap.Close()
					return
				}
				keepOrClose(&held, snap, rng.IntN(10) == 0)
			}
		}()
	}
	rg.Wait()
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if hits.Load() == 0 {
		t.Error("no read came from a kept window")
	}
	return hits.Load()
}

// TestBackwardKeptDropRecreate: a family dropped and made again under
// the same name starts without the old family's windows: reads through
// the new handle yield the new entries, and reads through the old
// handle fail rather than yield the old family's windows.
func TestBackwardKeptDropRecreate(t *testing.T) {
	db := openTest(t)
	old := mustCF(t, db, "ix")
	for i := range 60 {
		if err := old.Put(keptKey("a/", i), []byte("old")); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		keptRead(t, old, []byte("a/"), snapshotOf(t, db), 50, 50)
	}
	if _, kept := keptRead(t, old, []byte("a/"), snapshotOf(t, db), 50, 50); !kept {
		t.Fatal("no window kept before the drop")
	}
	if err := db.DropColumnFamily("ix"); err != nil {
		t.Fatal(err)
	}
	snap := snapshotOf(t, db)
	if b, err := old.NewBackward([]byte("a/"), snap, 50); err == nil {
		b.Close()
		t.Fatal("a backward read through the dropped family's handle did not fail")
	} else if !errors.Is(err, ErrDropped) {
		t.Fatalf("read through the dropped handle: %v, want ErrDropped", err)
	}
	cf := mustCF(t, db, "ix")
	for i := range 10 {
		if err := cf.Put(keptKey("a/", i), []byte("new")); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		got, _ := keptRead(t, cf, []byte("a/"), snapshotOf(t, db), 50, 50)
		if len(got) != 10 || got[0][1] != "new" {
			t.Fatalf("the new family yields %d entries (%q...), want its 10 new ones", len(got), got[:min(1, len(got))])
		}
	}
}

// TestBackwardKeptLongPrefixAndBounds: a prefix longer than the longest
// kept one is read from the family every time and right; a prefix whose
// entries fill a window exactly (256 entries, or 16 KiB) and one entry
// more are kept complete or incomplete, and a read past either yields
// every entry.
func TestBackwardKeptLongPrefixAndBounds(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	long := make([]byte, backwardHintMaxPrefix+1)
	for i := range long {
		long[i] = 'L'
	}
	for i := range 30 {
		if err := cf.Put(binary.BigEndian.AppendUint64(slices.Clone(long), uint64(i)), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		got, kept := keptRead(t, cf, long, snapshotOf(t, db), 50, 50)
		if kept || len(got) != 30 {
			t.Fatalf("long prefix: %d entries, kept %v; want 30 from the family", len(got), kept)
		}
	}
	// 16 KiB exactly: 128 entries of a 4-byte prefix + 8-byte suffix
	// and a 116-byte value, and 256 entries with small values.
	cases := []struct {
		prefix string
		n      int
		value  int
	}{
		{"e16/", 128, backwardWindowMaxBytes/128 - 12},
		{"e17/", 129, backwardWindowMaxBytes/128 - 12},
		{"n256", 256, 1},
		{"n257", 257, 1},
	}
	for _, c := range cases {
		var b Batch
		for i := range c.n {
			b.Put(cf, binary.BigEndian.AppendUint64([]byte(c.prefix), uint64(i)), make([]byte, c.value))
		}
		if err := db.Write(&b); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cases {
		p := []byte(c.prefix)
		for _, take := range []int{c.n, c.n + 10, c.n - 1, 5, c.n + 10} {
			snap := snapshotOf(t, db)
			got, kept := keptRead(t, cf, p, snap, take, take)
			want := newestOf(backwardByStepping(t, cf, p, snap), take)
			if !slices.Equal(got, want) {
				t.Fatalf("%s take %d kept %v: %d entries, want %d", c.prefix, take, kept, len(got), len(want))
			}
		}
	}
}

// TestBackwardWindowsBudgetNotPinnedByStale: windows that went stale (their
// prefix was written since) can never serve a read again, so they must not
// keep the DB's window budget from the prefixes read now. Here a table's
// 600 conversations are each read once (their windows fill the 8 MiB
// budget) and then each written, so every one of those windows is stale;
// a conversation read again and again afterwards, in another family or
// in the same one, must get a window.
func TestBackwardWindowsBudgetNotPinnedByStale(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	const convs = 600
	value := fillWindowBudget(t, db, cf, convs)
	for p := range convs {
		if err := cf.Put(keptKey(fmt.Sprintf("c%04d/", p), 1000), value); err != nil {
			t.Fatal(err)
		}
	}
	hot := mustCF(t, db, "hot")
	for i := range 50 {
		if err := hot.Put(keptKey("h/", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
		if err := cf.Put(keptKey("hot/", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		cf     *ColumnFamily
		prefix string
	}{{hot, "h/"}, {cf, "hot/"}} {
		kept := 0
		for range 5 {
			if _, k := keptRead(t, c.cf, []byte(c.prefix), snapshotOf(t, db), 50, 50); k {
				kept++
			}
		}
		if kept == 0 {
			t.Errorf("%s %q: none of 5 repeat reads of an unchanged prefix came from a window (budget held by %d bytes of stale windows)",
				c.cf.Name(), c.prefix, db.windowBytes.Load())
		}
	}
}

// TestBackwardKeptNotLeftByReadOverlappingWrite: a read whose snapshot
// predates a write to its prefix that lands while the read is open (after
// its first entries, before Close) leaves no window that a later read,
// whose snapshot sees the write, would use; nor does a read open while a
// write to its prefix is still in flight (begun, not yet applied).
func TestBackwardKeptNotLeftByReadOverlappingWrite(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	for i := range 60 {
		if err := cf.Put(keptKey("a/", i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	snap := snapshotOf(t, db)
	b, err := cf.NewBackward([]byte("a/"), snap, 50)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if !b.Next() {
			t.Fatal("short read")
		}
	}
	if err := cf.Put(keptKey("a/", 1000), []byte("new")); err != nil {
		t.Fatal(err)
	}
	for b.Next() {
	}
	if err := errors.Join(b.Error(), b.Close()); err != nil {
		t.Fatal(err)
	}
	got, kept := keptRead(t, cf, []byte("a/"), snapshotOf(t, db), 50, 1)
	if len(got) != 1 || got[0][1] != "new" {
		t.Fatalf("after a write during a read: newest %q (kept %v), want the new entry", got, kept)
	}

	// A write in flight (counted, applied to RocksDB only after the read
	// closes) during a whole read.
	key := keptKey("a/", 2000)
	marks := cf.writing()
	keptRead(t, cf, []byte("a/"), snapshotOf(t, db), 50, 50)
	keptRead(t, cf, []byte("a/"), snapshotOf(t, db), 50, 50)
	if err := db.db.PutCF(db.wo, cf.h, key, []byte("inflight")); err != nil {
		t.Fatal(err)
	}
	cf.written([]batchOp{{kind: opPut, cf: cf, key: key}}, marks, db.db.GetLatestSequenceNumber())
	raise(&db.writtenSeq, db.db.GetLatestSequenceNumber())
	got, kept = keptRead(t, cf, []byte("a/"), snapshotOf(t, db), 50, 1)
	if len(got) != 1 || got[0][1] != "inflight" {
		t.Fatalf("after a write in flight during reads: newest %q (kept %v), want the new entry", got, kept)
	}

	// A write applied to RocksDB but not yet done in Go (its numbers not
	// raised) when a reader takes its snapshot, which sees it: the window
	// kept before it must not serve that reader.
	for range 3 {
		keptRead(t, cf, []byte("a/"), snapshotOf(t, db), 50, 50)
	}
	key = keptKey("a/", 3000)
	marks = cf.writing()
	if err := db.db.PutCF(db.wo, cf.h, key, []byte("applied")); err != nil {
		t.Fatal(err)
	}
	got, kept = keptRead(t, cf, []byte("a/"), snapshotOf(t, db), 50, 1)
	cf.written([]batchOp{{kind: opPut, cf: cf, key: key}}, marks, db.db.GetLatestSequenceNumber())
	if len(got) != 1 || got[0][1] != "applied" {
		t.Fatalf("a snapshot that sees a write still in flight: newest %q (kept %v), want the new entry", got, kept)
	}
}

// TestBackwardKeptUnmarkedLengthInFlight: as above for a window of a
// prefix length the family does not track (four others, whose windows
// served more reads, are tracked): it is checked against all of the
// family's writes, and one still in flight whose entry a reader's
// snapshot sees keeps the window from serving.
func TestBackwardKeptUnmarkedLengthInFlight(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "ix")
	readLengths(t, db, cf, 10, "x/", "xy/", "xyz/", "wxyz/")
	p := []byte("fifth-length/")
	for i := range 60 {
		if err := cf.Put(keptKey(string(p), i), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		keptRead(t, cf, p, snapshotOf(t, db), 50, 50)
	}
	if _, kept := keptRead(t, cf, p, snapshotOf(t, db), 50, 50); !kept {
		t.Fatal("no window kept")
	}
	if m := cf.marked.Load(); m.slot(len(p)) != nil {
		t.Fatalf("tracked lengths %v: the fifth took a slot from lengths whose windows served more reads", slotLens(m))
	}
	key := keptKey(string(p), 3000)
	marks := cf.writing()
	if err := db.db.PutCF(db.wo, cf.h, key, []byte("applied")); err != nil {
		t.Fatal(err)
	}
	got, kept := keptRead(t, cf, p, snapshotOf(t, db), 50, 1)
	cf.written([]batchOp{{kind: opPut, cf: cf, key: key}}, marks, db.db.GetLatestSequenceNumber())
	if len(got) != 1 || got[0][1] != "applied" {
		t.Fatalf("a snapshot that sees a write still in flight: newest %q (kept %v), want the new entry", got, kept)
	}
}
