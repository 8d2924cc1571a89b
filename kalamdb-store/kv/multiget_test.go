package kv

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestMultiGet checks MultiGet against Get at a snapshot: values written
// after the snapshot are not seen, missing keys are nil, an empty value is
// not missing, keys come in any order and repeat, and large values are
// read whole.
func TestMultiGet(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	rng := rand.New(rand.NewPCG(3, 4))
	var b Batch
	for i := range 500 {
		size := rng.IntN(300)
		if i%100 == 5 {
			size = 64<<10 + 1000
		}
		v := bytes.Repeat([]byte{byte(i)}, size)
		b.Put(cf, []byte(fmt.Sprintf("k%04d", i)), v)
	}
	b.Put(cf, []byte("empty"), []byte{})
	if err := db.Write(&b); err != nil {
		t.Fatal(err)
	}
	snap, err := db.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	if err := cf.Put([]byte("k0001"), []byte("after the snapshot")); err != nil {
		t.Fatal(err)
	}
	if err := cf.Put([]byte("late"), []byte("after the snapshot")); err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		var keys [][]byte
		for range 1 + rng.IntN(80) {
			switch rng.IntN(10) {
			case 0:
				keys = append(keys, []byte("missing"))
			case 1:
				keys = append(keys, []byte("late"))
			case 2:
				keys = append(keys, []byte("empty"))
			default:
				keys = append(keys, []byte(fmt.Sprintf("k%04d", rng.IntN(500))))
			}
		}
		got, err := snap.MultiGet(cf, keys)
		if err != nil {
			t.Fatal(err)
		}
		for i, k := range keys {
			want, err := snap.Get(cf, k)
			if err == ErrNotFound {
				if got[i] != nil {
					t.Fatalf("round %d: %s: got %d bytes, want none", round, k, len(got[i]))
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if got[i] == nil || !bytes.Equal(got[i], want) {
				t.Fatalf("round %d: %s: got %d bytes, want %d", round, k, len(got[i]), len(want))
			}
		}
	}
	if got, err := snap.MultiGet(cf, [][]byte{[]byte("empty"), []byte("missing")}); err != nil || got[0] == nil || len(got[0]) != 0 || got[1] != nil {
		t.Fatalf("an empty value alone: %q %v", got, err)
	}
	if got, err := snap.MultiGet(cf, nil); err != nil || got != nil {
		t.Fatalf("no keys: %v %v", got, err)
	}
	snap.Close()
	if _, err := snap.MultiGet(cf, [][]byte{[]byte("k0001")}); err == nil {
		t.Fatal("a closed snapshot read")
	}
}

// TestFamilyMultiGet: a column family's MultiGet reads what Get reads,
// the latest committed values, writes made after an earlier call included.
func TestFamilyMultiGet(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	if err := cf.Put([]byte("a"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := cf.Put([]byte("empty"), []byte{}); err != nil {
		t.Fatal(err)
	}
	keys := [][]byte{[]byte("a"), []byte("missing"), []byte("empty"), []byte("b")}
	got, err := cf.MultiGet(keys)
	if err != nil || string(got[0]) != "1" || got[1] != nil || got[2] == nil || len(got[2]) != 0 || got[3] != nil {
		t.Fatalf("got %q %v", got, err)
	}
	if err := cf.Put([]byte("b"), []byte("2")); err != nil {
		t.Fatal(err)
	}
	if got, err = cf.MultiGet(keys); err != nil || string(got[3]) != "2" {
		t.Fatalf("after a write: %q %v", got, err)
	}
	if got, err := cf.MultiGet(nil); err != nil || got != nil {
		t.Fatalf("no keys: %v %v", got, err)
	}
	if err := db.DropColumnFamily("t"); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.MultiGet(keys); !errors.Is(err, ErrDropped) {
		t.Fatalf("a dropped family: %v", err)
	}
}
