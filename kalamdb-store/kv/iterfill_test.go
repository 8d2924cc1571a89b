package kv

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBatchedIteration checks the read-ahead iterator against a sorted
// model under random seeks, direction changes, bounds and values of every
// size, including values larger than the batch buffer.
func TestBatchedIteration(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	rng := rand.New(rand.NewPCG(1, 2))
	var keys []string
	vals := map[string][]byte{}
	var b Batch
	for i := range 3000 {
		k := fmt.Sprintf("k%05d", i*3) // gaps, so seeks land between keys
		size := rng.IntN(200)
		switch i % 500 {
		case 7:
			size = fillBufBytes + 123 // one entry larger than the first buffer
		case 9:
			size = fillMaxBufBytes * 2 // larger than any buffer
		}
		v := make([]byte, size)
		for j := range v {
			v[j] = byte(rng.IntN(256))
		}
		keys = append(keys, k)
		vals[k] = v
		b.Put(cf, []byte(k), v)
	}
	if err := db.Write(&b); err != nil {
		t.Fatal(err)
	}

	check := func(it *Iterator, pos int, lo, hi int, what string) {
		t.Helper()
		if valid := pos >= lo && pos < hi; it.Valid() != valid {
			t.Fatalf("%s: valid %v, want %v (pos %d)", what, it.Valid(), valid, pos)
		}
		if !it.Valid() {
			return
		}
		if k := string(it.Key()); k != keys[pos] || !bytes.Equal(it.Value(), vals[k]) {
			t.Fatalf("%s: at %q (value %d bytes), want %q", what, k, len(it.Value()), keys[pos])
		}
	}
	for round := range 200 {
		lo, hi := 0, len(keys)
		var o IterOptions
		if round%3 == 1 {
			lo, hi = rng.IntN(len(keys)/2), len(keys)/2+rng.IntN(len(keys)/2)
			o = IterOptions{LowerBound: []byte(keys[lo]), UpperBound: []byte(keys[hi-1] + "\x00")}
		}
		it, err := cf.NewIter(o)
		if err != nil {
			t.Fatal(err)
		}
		pos := -1
		for op := range 300 {
			what := fmt.Sprintf("round %d op %d", round, op)
			switch r := rng.IntN(100); {
			case r < 3:
				it.First()
				pos = lo
			case r < 6:
				it.Last()
				pos = hi - 1
			case r < 10: // between keys: k%05d of a multiple of 3, plus 1
				n := rng.IntN(len(keys))
				it.SeekGE([]byte(fmt.Sprintf("k%05d", n*3+1)))
				pos = max(n+1, lo)
			case r < 14:
				n := rng.IntN(len(keys))
				it.SeekLE([]byte(fmt.Sprintf("k%05d", n*3+1)))
				pos = min(n, hi-1)
			case r < 60:
				if !it.Valid() {
					continue
				}
				it.Next()
				pos++
			default:
				if !it.Valid() {
					continue
				}
				it.Prev()
				pos--
			}
			if pos >= hi || pos < lo {
				pos = -1
			}
			check(it, pos, lo, hi, what)
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// A full scan each way.
	it, err := cf.NewIter(IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var got []string
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, string(it.Key()))
	}
	if !slices.Equal(got, keys) {
		t.Fatalf("forward scan: %d keys", len(got))
	}
	got = got[:0]
	for ok := it.Last(); ok; ok = it.Prev() {
		got = append(got, string(it.Key()))
	}
	slices.Reverse(got)
	if !slices.Equal(got, keys) {
		t.Fatalf("reverse scan: %d keys", len(got))
	}
	if it.Next() || it.Key() != nil {
		t.Fatal("an exhausted iterator moved")
	}
}
