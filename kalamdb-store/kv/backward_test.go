package kv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// backwardByStepping is the reference: the prefix's entries read with
// Prev from the last one.
func backwardByStepping(t *testing.T, cf *ColumnFamily, prefix []byte, snap *Snapshot) [][2]string {
	t.Helper()
	it, err := cf.NewIter(IterOptions{LowerBound: prefix, UpperBound: PrefixEnd(prefix), Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out [][2]string
	for ok := it.Last(); ok; ok = it.Prev() {
		out = append(out, [2]string{string(it.Key()), string(it.Value())})
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}

func backwardByWindows(t *testing.T, cf *ColumnFamily, prefix []byte, snap *Snapshot, want, take int) [][2]string {
	t.Helper()
	b, err := cf.NewBackward(prefix, snap, want)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var out [][2]string
	for len(out) < take && b.Next() {
		out = append(out, [2]string{string(b.Key()), string(b.Value())})
	}
	if err := b.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBackwardMatchesStepping: whatever the keys' spread (even, clustered,
// sparse, sharing their first 8 bytes after the prefix, shorter than 8
// bytes, deleted, written after the snapshot), reading in windows yields
// exactly the entries stepping backwards yields, in the same order, for
// every count a caller wants and takes.
func TestBackwardMatchesStepping(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "b")
	rng := rand.New(rand.NewPCG(3, 5))
	prefixes := map[string]func(i int) []byte{
		"even": func(i int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(1<<62+i*7919)) },
		"snowflake": func(i int) []byte {
			return binary.BigEndian.AppendUint64(nil, 1<<63|uint64(int64(i)*37+rng.Int64N(30))<<22)
		},
		"clustered": func(i int) []byte {
			return binary.BigEndian.AppendUint64(nil, uint64(i%3)<<60|uint64(i))
		},
		"sametop":  func(i int) []byte { return fmt.Appendf([]byte("conversation-"), "%06d", i) },
		"short":    func(i int) []byte { return []byte{byte(i % 7), byte(i / 7)}[:1+i%2] },
		"random":   func(int) []byte { return binary.BigEndian.AppendUint64(nil, rng.Uint64()) },
		"tiny":     func(i int) []byte { return []byte{byte(i)} },
		"withtail": func(i int) []byte { return append(binary.BigEndian.AppendUint64(nil, uint64(i/4)), byte(i%4)) },
	}
	counts := map[string]int{"even": 700, "snowflake": 500, "clustered": 600, "sametop": 300, "short": 14,
		"random": 400, "tiny": 1, "withtail": 200}
	var batch Batch
	// A neighbour on each side of every prefix, so windows must stop at
	// the range's ends.
	for name, key := range prefixes {
		p := []byte("p/" + name + "/")
		batch.Put(cf, []byte("p/"+name+"."), []byte("before"))
		batch.Put(cf, PrefixEnd(p), []byte("after"))
		for i := 0; i < counts[name]; i++ {
			batch.Put(cf, append(slices.Clone(p), key(i)...), fmt.Appendf(nil, "v%d", i))
		}
	}
	if err := db.Write(&batch); err != nil {
		t.Fatal(err)
	}
	// Delete a tenth of them, then take a snapshot and change more, so
	// tombstones and versions the snapshot must not see are in the way.
	batch.Reset()
	it, err := cf.NewIter(IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var all [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		all = append(all, slices.Clone(it.Key()))
	}
	it.Close()
	for _, k := range all {
		if rng.IntN(10) == 0 {
			batch.Delete(cf, k)
		}
	}
	if err := db.Write(&batch); err != nil {
		t.Fatal(err)
	}
	snap, err := db.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	batch.Reset()
	for _, k := range all {
		switch rng.IntN(10) {
		case 0:
			batch.Delete(cf, k)
		case 1:
			batch.Put(cf, k, []byte("later"))
		}
	}
	if err := db.Write(&batch); err != nil {
		t.Fatal(err)
	}
	for name := range prefixes {
		p := []byte("p/" + name + "/")
		for _, s := range []*Snapshot{nil, snap} {
			want := backwardByStepping(t, cf, p, s)
			for _, w := range []int{0, 1, 7, 50, 300} {
				for _, take := range []int{1, 50, len(want) + 1} {
					got := backwardByWindows(t, cf, p, s, w, take)
					exp := want[:min(take, len(want))]
					if !slices.Equal(got, exp) {
						t.Fatalf("%s snapshot=%v want=%d take=%d: %d entries, want %d (first diff at %d)",
							name, s != nil, w, take, len(got), len(exp), firstDiff(got, exp))
					}
				}
			}
		}
	}
	// An empty prefix range yields nothing.
	if got := backwardByWindows(t, cf, []byte("q/"), nil, 50, 100); len(got) != 0 {
		t.Fatalf("empty range: %d entries", len(got))
	}
}

func firstDiff(a, b [][2]string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestBackwardStopsAtPrefix: keys that share the prefix's bytes but sort
// outside its range (the prefix's end) are never yielded.
func TestBackwardStopsAtPrefix(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "b")
	for _, k := range []string{"a", "a\x00", "a\x01zz", "a\xff\xff", "b", "`\xff"} {
		if err := cf.Put([]byte(k), []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	got := backwardByWindows(t, cf, []byte("a"), nil, 2, 10)
	var keys []string
	for _, e := range got {
		keys = append(keys, e[0])
	}
	if exp := []string{"a\xff\xff", "a\x01zz", "a\x00", "a"}; !slices.Equal(keys, exp) {
		t.Fatalf("keys %q, want %q", keys, exp)
	}
	if !bytes.HasPrefix([]byte(keys[0]), []byte("a")) {
		t.Fatal("unreachable")
	}
}

// BenchmarkNewest50: the last 50 of one of 20 prefixes of index-like
// entries in the memtable (the recent-messages read of an index), with
// 500, 2,000 and 10,000 entries per prefix, stepping backwards (one
// skiplist search per entry) and in windows read forwards (Backward),
// and from kept windows (see below). The -sst variants read the same
// entries flushed to an L0 file.
func BenchmarkNewest50(b *testing.B) {
	for _, tier := range []string{"", "-sst"} {
		benchNewest50(b, tier)
	}
}

func benchNewest50(b *testing.B, tier string) {
	db := openTest(b)
	for _, per := range []int{500, 2_000, 10_000} {
		cf := loadNewest50(b, db, fmt.Sprintf("ix%d", per), per)
		if tier == "-sst" {
			if err := db.FlushMemtables(); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("per=%d/stepping%s", per, tier), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				p := newest50Prefix(i % 20)
				it, err := cf.NewIter(IterOptions{LowerBound: p, UpperBound: PrefixEnd(p), ReadAhead: 50})
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for ok := it.Last(); ok && n < 50; ok = it.Prev() {
					n++
				}
				it.Close()
			}
		})
		newest := func(b *testing.B, i int, snap *Snapshot) { readNewest50(b, cf, i, snap) }
		b.Run(fmt.Sprintf("per=%d/windows%s", per, tier), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				newest(b, i, nil)
			}
		})
		// kept: each read at a new snapshot, so that a repeat read of a
		// prefix comes from the window the last one kept. other: a write
		// to another prefix of the family before each read (windows
		// stay). missed: a write to the prefix read, below its newest
		// entries, so its window is stale; written: the same without
		// snapshots, so without windows.
		other := binary.BigEndian.AppendUint64(append([]byte("\x00\x00\x00\x01writer\x00"), 0x80), 1)
		for _, v := range []string{"kept", "other", "missed", "written"} {
			b.Run(fmt.Sprintf("per=%d/%s%s", per, v, tier), func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					switch v {
					case "other":
						if err := cf.Put(binary.BigEndian.AppendUint64(slices.Clone(other), uint64(i)), []byte{8}); err != nil {
							b.Fatal(err)
						}
					case "missed", "written":
						if err := cf.Put(binary.BigEndian.AppendUint64(newest50Prefix(i%20), uint64(i)), []byte{8}); err != nil {
							b.Fatal(err)
						}
					}
					var snap *Snapshot
					if v != "written" {
						var err error
						if snap, err = db.NewSnapshot(); err != nil {
							b.Fatal(err)
						}
					}
					newest(b, i, snap)
					if snap != nil {
						snap.Close()
					}
				}
			})
		}
	}
}

// newest50Prefix is the prefix of conversation c in loadNewest50's
// index entries: 21 bytes.
func newest50Prefix(c int) []byte {
	return binary.BigEndian.AppendUint64(append([]byte("\x00\x00\x00\x01reader\x00"), 0x80), uint64(c))
}

// loadNewest50 makes family name with per index-like entries under each
// of 20 prefixes (newest50Prefix), in the memtable.
func loadNewest50(b *testing.B, db *DB, name string, per int) *ColumnFamily {
	cf := mustCF(b, db, name)
	var batch Batch
	for i := 0; i < 20*per; i++ {
		id := uint64(1<<62 + i<<22)
		batch.Put(cf, binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(newest50Prefix(i%20), id), id), []byte{8, 1, 2, 3, 4, 5, 6, 7})
		if batch.Len() == 500 {
			if err := db.Write(&batch); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	if err := db.Write(&batch); err != nil {
		b.Fatal(err)
	}
	return cf
}

// readNewest50 reads the 50 newest entries of loadNewest50's prefix i%20.
func readNewest50(b *testing.B, cf *ColumnFamily, i int, snap *Snapshot) {
	bw, err := cf.NewBackward(newest50Prefix(i%20), snap, 50)
	if err != nil {
		b.Fatal(err)
	}
	for n := 0; n < 50 && bw.Next(); n++ {
	}
	bw.Close()
}

// BenchmarkNewest50FifthLength: BenchmarkNewest50's per=2000/other (a
// write to another prefix before each read, at a new snapshot) in a
// family whose first backward reads were of four other prefix lengths,
// read once each (an admin's queries over other indexes).
func BenchmarkNewest50FifthLength(b *testing.B) {
	db := openTest(b)
	cf := loadNewest50(b, db, "ix", 2_000)
	for n := 3; n < 7; n++ {
		snap, err := db.NewSnapshot()
		if err != nil {
			b.Fatal(err)
		}
		bw, err := cf.NewBackward(newest50Prefix(0)[:n], snap, 50)
		if err != nil {
			b.Fatal(err)
		}
		bw.Next()
		bw.Close()
		snap.Close()
	}
	other := binary.BigEndian.AppendUint64(append([]byte("\x00\x00\x00\x01writer\x00"), 0x80), 1)
	for i := 0; b.Loop(); i++ {
		if err := cf.Put(binary.BigEndian.AppendUint64(slices.Clone(other), uint64(i)), []byte{8}); err != nil {
			b.Fatal(err)
		}
		snap, err := db.NewSnapshot()
		if err != nil {
			b.Fatal(err)
		}
		readNewest50(b, cf, i, snap)
		snap.Close()
	}
}

// backwardSeeks reads the newest take entries of prefix in windows and
// returns how many seeks that cost.
func backwardSeeks(t *testing.T, cf *ColumnFamily, prefix []byte, want, take int) int {
	t.Helper()
	b, err := cf.NewBackward(prefix, nil, want)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < take && b.Next(); n++ {
	}
	seeks := b.it.seeks
	if err := errors.Join(b.Error(), b.Close()); err != nil {
		t.Fatal(err)
	}
	return seeks
}

// TestBackwardHintedRepeatRead: a repeat read of a prefix's newest
// entries is one seek (no first and last entry lookups), and a prefix
// that fits in a window is read in one seek even when the caller wants
// more than it has.
func TestBackwardHintedRepeatRead(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "b")
	var batch Batch
	for c := range 2 {
		for i := range []int{1000, 20}[c] {
			key := binary.BigEndian.AppendUint64([]byte{'p', byte(c), '/'}, uint64(1<<62+i<<22))
			batch.Put(cf, key, []byte("v"))
		}
	}
	if err := db.Write(&batch); err != nil {
		t.Fatal(err)
	}
	big, small := []byte("p\x00/"), []byte("p\x01/")
	if n := backwardSeeks(t, cf, big, 50, 50); n < 3 {
		t.Fatalf("first read of a prefix: %d seeks, want at least 3 (last, first, a window)", n)
	}
	for range 3 {
		if n := backwardSeeks(t, cf, big, 50, 50); n != 1 {
			t.Fatalf("repeat read: %d seeks, want 1", n)
		}
	}
	backwardSeeks(t, cf, small, 50, 50)
	for range 3 {
		if n := backwardSeeks(t, cf, small, 50, 50); n != 1 {
			t.Fatalf("repeat read of a prefix of 20: %d seeks, want 1", n)
		}
	}
	// Entries written since the hint are in its window.
	batch.Reset()
	for i := range 30 {
		batch.Put(cf, binary.BigEndian.AppendUint64(slices.Clone(big), uint64(1<<62+(1000+i)<<22)), []byte("new"))
	}
	if err := db.Write(&batch); err != nil {
		t.Fatal(err)
	}
	got := backwardByWindows(t, cf, big, nil, 50, 50)
	if exp := backwardByStepping(t, cf, big, nil)[:50]; !slices.Equal(got, exp) || got[0][1] != "new" {
		t.Fatalf("after writes above the hint: %d entries, first diff at %d", len(got), firstDiff(got, exp))
	}
}

// TestBackwardStaleHints: whatever the family's hint for a prefix says
// (left by a read before entries were written or deleted above, inside
// and below the range it names, the prefix emptied or down to one entry,
// or simply wrong), a read yields exactly what stepping backwards does.
func TestBackwardStaleHints(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "b")
	rng := rand.New(rand.NewPCG(11, 13))
	layouts := map[string]func(i int) []byte{
		"even":      func(i int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(1<<62+i*7919)) },
		"snowflake": func(i int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(1<<62+(i/25)<<30+i%25)) },
		"sametop":   func(i int) []byte { return fmt.Appendf([]byte("conversation-"), "%06d", i) },
		"short":     func(i int) []byte { return []byte{byte(i / 3), byte(i)}[:1+i%2] },
		"withtail":  func(i int) []byte { return append(binary.BigEndian.AppendUint64(nil, uint64(i/4)), byte(i%4)) },
	}
	write := func(p []byte, key func(int) []byte, from, to int, del bool) {
		t.Helper()
		var batch Batch
		for i := from; i < to; i++ {
			k := append(slices.Clone(p), key(i)...)
			if del {
				batch.Delete(cf, k)
			} else {
				batch.Put(cf, k, fmt.Appendf(nil, "v%d", i))
			}
		}
		if err := db.Write(&batch); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name, step string, p []byte) {
		t.Helper()
		exp := backwardByStepping(t, cf, p, nil)
		for _, w := range []int{0, 1, 50, 300} {
			for _, take := range []int{1, 50, len(exp) + 1} {
				// Twice: the first read's hint is the second's.
				for range 2 {
					got := backwardByWindows(t, cf, p, nil, w, take)
					if want := exp[:min(take, len(exp))]; !slices.Equal(got, want) {
						t.Fatalf("%s after %s, want=%d take=%d: %d entries, want %d (first diff at %d)",
							name, step, w, take, len(got), len(want), firstDiff(got, want))
					}
				}
			}
		}
	}
	for name, key := range layouts {
		p := []byte("p/" + name + "/")
		// Neighbours on each side of the range.
		if err := cf.Put([]byte("p/"+name+"."), []byte("before")); err != nil {
			t.Fatal(err)
		}
		if err := cf.Put(PrefixEnd(p), []byte("after")); err != nil {
			t.Fatal(err)
		}
		write(p, key, 1000, 1500, false)
		check(name, "the first write", p)
		steps := []struct {
			name     string
			from, to int
			del      bool
		}{
			{"a few above", 1500, 1510, false},
			{"many above", 1510, 1800, false},
			{"many below", 200, 1000, false},
			{"deleting the newest", 1700, 1800, true},
			{"deleting inside the newest", 1550, 1690, true},
			{"deleting nearly all", 201, 1800, true},
			{"a single entry left", 200, 201, true},
			{"one above", 1900, 1901, false},
			{"emptying the prefix", 0, 2000, true},
			{"writing again far below", 0, 100, false},
		}
		for _, s := range steps {
			write(p, key, s.from, s.to, s.del)
			check(name, s.name, p)
		}
		// Hints that are plainly wrong.
		write(p, key, 0, 2000, false)
		for i := range 80 {
			h := backwardHint{top: rng.Uint64(), perEntry: 1 + rng.Uint64N(1<<uint(rng.IntN(64))), mark: rng.Uint64(),
				marked: []int{0, 64, 10, 500}[rng.IntN(4)], whole: rng.IntN(4) == 0}
			switch i % 4 {
			case 0:
				h.top = 0
			case 1:
				h.top = ^uint64(0)
			}
			cf.hints.put(p, h)
			exp := backwardByStepping(t, cf, p, nil)
			take := []int{1, 50, len(exp) + 1}[i%3]
			if got := backwardByWindows(t, cf, p, nil, 50, take); !slices.Equal(got, exp[:min(take, len(exp))]) {
				t.Fatalf("%s with hint %+v, take=%d: first diff at %d", name, h, take, firstDiff(got, exp[:min(take, len(exp))]))
			}
		}
	}
}

// TestBackwardHintsConcurrent: readers of the same prefixes share their
// hints and kept windows (backcache.go) while writers add and delete
// entries; every read, of 50 entries or of 120 (past a kept window),
// yields exactly what stepping backwards yields at the same snapshot (run
// with -race; it fails when a window is kept across a write in flight).
func TestBackwardHintsConcurrent(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "b")
	prefix := func(c int) []byte { return []byte{'c', byte(c), '/'} }
	key := func(c, i int) []byte { return binary.BigEndian.AppendUint64(prefix(c), uint64(1<<62+i<<20)) }
	var batch Batch
	for i := range 800 {
		batch.Put(cf, key(i%4, i), []byte("v"))
	}
	if err := db.Write(&batch); err != nil {
		t.Fatal(err)
	}
	var writer sync.WaitGroup
	stop := make(chan struct{})
	writer.Add(1)
	go func() {
		defer writer.Done()
		var batch Batch
		for i := 800; i < 5000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			batch.Reset()
			batch.Put(cf, key(i%4, i), []byte("w"))
			batch.Delete(cf, key(i%4, i-400))
			if err := db.Write(&batch); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	err := readConcurrently(t, db, cf, 4, 100, func(r, n int) []byte { return prefix((r + n) % 4) },
		func(n int) int { return []int{50, 120}[n%2] })
	close(stop)
	writer.Wait()
	if err != nil {
		t.Fatal(err)
	}
}

// TestBackwardHintsBoundedInBytes: the hints a family keeps are
// bounded in memory, not only in count. A prefix is as long as the
// indexed value it starts with (a TEXT value of up to MaxValueBytes),
// and every hint keeps a copy of its prefix until it is evicted, so 1,024
// reads of long prefixes pin 1,024 long keys for the life of the
// process. 32 KiB prefixes here; the bound asked for is 1 MiB.
func TestBackwardHintsBoundedInBytes(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "h")
	const prefixBytes = 32 << 10
	base := make([]byte, prefixBytes)
	for i := range base {
		base[i] = 'x'
	}
	for p := range backwardHintEntries {
		prefix := binary.BigEndian.AppendUint32(slices.Clone(base), uint32(p))
		var b Batch
		for i := range 2 {
			b.Put(cf, binary.BigEndian.AppendUint64(slices.Clone(prefix), uint64(i+1)), []byte("v"))
		}
		if err := db.Write(&b); err != nil {
			t.Fatal(err)
		}
		bw, err := cf.NewBackward(prefix, nil, 1)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for bw.Next() {
			n++
		}
		if n != 2 {
			t.Fatalf("prefix %d: %d entries, want 2", p, n)
		}
		if err := bw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	cf.hints.mu.Lock()
	n, total := len(cf.hints.m), 0
	for k := range cf.hints.m {
		total += len(k)
	}
	cf.hints.mu.Unlock()
	if total > 1<<20 {
		t.Fatalf("%d hints keep %d KiB of prefixes", n, total>>10)
	}
}

// TestBackwardWindowViews: a window whose entries came in one batch of
// the iterator is yielded from the iterator's buffer, a window longer
// than a batch (large values: the batch stops on bytes) from a copy made
// before the iterator refills; both yield exactly what stepping yields,
// also with readers of other prefixes recycling the same buffers at the
// same time (-race).
func TestBackwardWindowViews(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "b")
	prefix := func(c int) []byte { return []byte{'v', byte(c), '/'} }
	// Prefixes 0 and 1 have small values, 2 and 3 values of up to 700
	// bytes, so that a 4 KiB batch holds a few entries only.
	var batch Batch
	for i := range 2000 {
		c := i % 4
		v := fmt.Appendf(nil, "v%d", i)
		if c >= 2 {
			v = append(v, bytes.Repeat([]byte{byte('a' + i%26)}, 100+i%600)...)
		}
		batch.Put(cf, binary.BigEndian.AppendUint64(prefix(c), uint64(1<<62+i*7919)), v)
	}
	if err := db.Write(&batch); err != nil {
		t.Fatal(err)
	}
	// Each prefix read once alone (the second read is hinted) to see
	// which way its first window went.
	for c := range 4 {
		for range 2 {
			b, err := cf.NewBackward(prefix(c), nil, 50)
			if err != nil {
				t.Fatal(err)
			}
			if !b.Next() {
				t.Fatalf("prefix %d: no entry: %v", c, b.Error())
			}
			viewed := b.scratch.view != nil
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if small := c < 2; viewed != small {
				t.Fatalf("prefix %d: window viewed in the iterator's buffer %v, want %v", c, viewed, small)
			}
		}
	}
	exp := make([][][2]string, 4)
	for c := range exp {
		exp[c] = backwardByStepping(t, cf, prefix(c), nil)
	}
	var readers sync.WaitGroup
	errs := make(chan error, 4)
	for r := range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for n := range 200 {
				c := (r + n) % 4
				for _, take := range []int{50, 120} {
					got := backwardByWindows(t, cf, prefix(c), nil, 50, take)
					if want := exp[c][:take]; !slices.Equal(got, want) {
						errs <- fmt.Errorf("reader %d read %d prefix %d take %d: first diff at %d", r, n, c, take, firstDiff(got, want))
						return
					}
				}
			}
		}()
	}
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
