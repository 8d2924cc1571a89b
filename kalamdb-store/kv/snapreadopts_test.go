package kv

import (
	"fmt"
	"testing"
)

// TestSnapshotsReuseReadOptionsAtTheirOwnPoint: a snapshot's read options
// are kept for later snapshots once it is closed; each snapshot still
// reads at its own point, with more snapshots open at once than the pool
// keeps, and reused options never carry an earlier snapshot.
func TestSnapshotsReuseReadOptionsAtTheirOwnPoint(t *testing.T) {
	db := openTest(t)
	cf := mustCF(t, db, "t")
	key := []byte("k")
	put := func(i int) {
		t.Helper()
		if err := cf.Put(key, fmt.Appendf(nil, "v%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	get := func(s *Snapshot, want int) {
		t.Helper()
		got, err := s.Get(cf, key)
		if err != nil || string(got) != fmt.Sprintf("v%d", want) {
			t.Fatalf("snapshot read %q %v, want v%d", got, err, want)
		}
		vals, err := s.MultiGet(cf, [][]byte{key})
		if err != nil || len(vals) != 1 || string(vals[0]) != fmt.Sprintf("v%d", want) {
			t.Fatalf("snapshot multi-get %q %v, want v%d", vals, err, want)
		}
	}
	const open = maxPooledReadOptions + 8
	snaps := make([]*Snapshot, 0, open)
	for round := range 3 {
		for i := range open {
			put(round*open + i)
			s, err := db.NewSnapshot()
			if err != nil {
				t.Fatal(err)
			}
			snaps = append(snaps, s)
		}
		put(-1) // after every snapshot of the round
		for i, s := range snaps {
			get(s, round*open+i)
		}
		for _, s := range snaps {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
		snaps = snaps[:0]
		if n := len(db.snapReadOptions.free); n != maxPooledReadOptions {
			t.Fatalf("round %d: %d read options kept, want %d", round, n, maxPooledReadOptions)
		}
	}
}
