package txn_test

import (
	"slices"
	"testing"
)

// A commit in order whose transaction wrote a key again after other keys
// publishes that key first (its first write's place) with its last _seq,
// above the later keys': its changes came out of _seq order, and a client
// that saw the first resumed past the rest. The commit gives its writes
// new _seq in their order, and publishes them in it. It failed before
// inCommitOrder compared each write with the one before it.
func TestAttackResume22RewrittenKeyPublishedInSeqOrder(t *testing.T) {
	e := newEnv(t)
	tx := e.m.Begin()
	e.insert(tx, "alice", 1, "one")
	e.insert(tx, "alice", 2, "two")
	tx.BeginStatement()
	e.insert(tx, "alice", 1, "one, again")
	e.commit(tx)

	_, s1 := e.stored("alice", 1)
	_, s2 := e.stored("alice", 2)
	if want := []int64{s1, s2}; !slices.Equal(e.sink.seqs, want) {
		t.Fatalf("published _seq %v, stored (rows 1, 2) %v", e.sink.seqs, want)
	}
	if !slices.IsSorted(e.sink.seqs) || s1 == s2 {
		t.Fatalf("published _seq %v: not in _seq order", e.sink.seqs)
	}
}
