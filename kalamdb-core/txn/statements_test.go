package txn_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
)

// pendingSeqs is the _seq of each of alice's rows 1..3 as the current
// statement of tx reads the transaction's own versions.
func (e *env) pendingSeqs(tx *txn.Tx) map[int64]int64 {
	out := map[int64]int64{}
	for _, w := range tx.PendingRange(e.msgs, e.key("alice", 0), nil) {
		for id := int64(1); id <= 3; id++ {
			if string(w.Key) == string(e.key("alice", id)) {
				out[id] = w.Seq
			}
		}
	}
	return out
}

// A statement reads the transaction's writes as they were when it began:
// the earlier statements' latest versions, none of its own; the
// duplicate check sees them all.
func TestStatementsReadTheWritesBeforeThem(t *testing.T) {
	e := newEnv(t)
	tx := e.m.Begin()
	defer tx.Rollback()

	tx.BeginStatement()
	e.insert(tx, "alice", 1, "one")
	if got := e.pendingSeqs(tx); len(got) != 0 {
		t.Fatalf("statement 1 reads its own insert: %v", got)
	}
	if _, ok := tx.Pending(e.msgs, e.key("alice", 1)); ok {
		t.Fatal("statement 1 reads its own insert by key")
	}
	if !e.exists(tx, "alice", 1) {
		t.Fatal("the duplicate check of statement 1 misses its own insert")
	}

	tx.BeginStatement()
	seqs := e.pendingSeqs(tx)
	seq1, ok := seqs[1]
	if !ok || len(seqs) != 1 {
		t.Fatalf("statement 2 reads %v, want statement 1's row", seqs)
	}
	// Statement 2 rewrites row 1 and inserts row 2: it keeps reading
	// statement 1's version of row 1 and no row 2.
	e.update(tx, "alice", 1, "one again", 0, nil)
	e.insert(tx, "alice", 2, "two")
	if got := e.pendingSeqs(tx); len(got) != 1 || got[1] != seq1 {
		t.Fatalf("statement 2 after its writes reads %v, want row 1 at _seq %d", got, seq1)
	}
	w, ok := tx.Pending(e.msgs, e.key("alice", 1))
	if !ok || w.Seq != seq1 {
		t.Fatalf("statement 2 reads row 1 by key at %v (%v), want _seq %d", w, ok, seq1)
	}
	// A second rewrite in the same statement keeps the version before it.
	e.update(tx, "alice", 1, "one, third", 0, nil)
	if w, _ := tx.Pending(e.msgs, e.key("alice", 1)); w == nil || w.Seq != seq1 {
		t.Fatalf("statement 2 after two rewrites reads row 1 at %v, want _seq %d", w, seq1)
	}

	tx.BeginStatement()
	got := e.pendingSeqs(tx)
	if len(got) != 2 || got[1] == seq1 {
		t.Fatalf("statement 3 reads %v, want rows 1 and 2 as statement 2 left them", got)
	}
	e.commit(tx)
	if body, _ := e.stored("alice", 1); body != "one, third" {
		t.Fatalf("committed row 1 is %q, want the latest version", body)
	}
}
