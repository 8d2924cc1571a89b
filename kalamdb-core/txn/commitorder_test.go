package txn_test

import (
	"slices"
	"testing"
)

// A commit that lands behind a newer commit of its partition gives its
// versions new _seq, above the newer one's and in the order it wrote
// them, so that a partition's _seq follow its commit order (a client
// resuming from the newest _seq it saw gets every later commit). The
// stored version, the published change and the transaction's later
// commits agree on it. A commit in order keeps the _seq its statement
// was given. It failed before the commit re-stamped late versions.
func TestLateCommitTakesNewSeqInCommitOrder(t *testing.T) {
	e := newEnv(t)
	late, newer := e.m.Begin(), e.m.Begin()
	e.insert(late, "alice", 1, "written first")
	e.insert(late, "alice", 2, "written second")
	e.insert(newer, "alice", 3, "committed first")
	e.commit(newer)
	_, s3 := e.stored("alice", 3)
	e.commit(late)

	_, s1 := e.stored("alice", 1)
	_, s2 := e.stored("alice", 2)
	if !(s3 < s1 && s1 < s2) {
		t.Fatalf("_seq of rows 1, 2 (committed last, in that order) and 3: %d, %d, %d; want 3 < 1 < 2", s1, s2, s3)
	}
	if want := []int64{s3, s1, s2}; !slices.Equal(e.sink.seqs, want) {
		t.Fatalf("published _seq %v, want %v", e.sink.seqs, want)
	}

	inOrder := e.m.Begin()
	w := e.write("alice", 4, "in order", false)
	w.Insert = true
	if err := inOrder.Put(w); err != nil {
		t.Fatal(err)
	}
	given := w.Seq // the commit would re-stamp w itself
	e.commit(inOrder)
	if _, s4 := e.stored("alice", 4); s4 != given || s4 <= s2 {
		t.Fatalf("a commit in order stored _seq %d; its statement gave it %d (above %d)", s4, given, s2)
	}

	// An update of a re-stamped row expects the _seq stored.
	upd := e.m.Begin()
	e.update(upd, "alice", 1, "updated", s1, []any{int64(1), "written first"})
	e.commit(upd)
	if body, _ := e.stored("alice", 1); body != "updated" {
		t.Fatalf("row 1 after its update: %q", body)
	}
}
