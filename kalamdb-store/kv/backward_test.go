package kv

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
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
// skiplist search per entry) and in windows read forwards (Backward).
func BenchmarkNewest50(b *testing.B) {
	db := openTest(b)
	for _, per := range []int{500, 2_000, 10_000} {
		cf := mustCF(b, db, fmt.Sprintf("ix%d", per))
		prefix := func(c int) []byte {
			return binary.BigEndian.AppendUint64(append([]byte("\x00\x00\x00\x01reader\x00"), 0x80), uint64(c))
		}
		var batch Batch
		for i := 0; i < 20*per; i++ {
			id := uint64(1<<62 + i<<22)
			batch.Put(cf, binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(prefix(i%20), id), id), []byte{8, 1, 2, 3, 4, 5, 6, 7})
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
		b.Run(fmt.Sprintf("per=%d/stepping", per), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				p := prefix(i % 20)
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
		b.Run(fmt.Sprintf("per=%d/windows", per), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				bw, err := cf.NewBackward(prefix(i%20), nil, 50)
				if err != nil {
					b.Fatal(err)
				}
				for n := 0; n < 50 && bw.Next(); n++ {
				}
				bw.Close()
			}
		})
	}
}
