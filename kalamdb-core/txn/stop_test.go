package txn_test

import (
	"context"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestCommitOfAStoppedStatementWritesNothing: a statement that timed out
// (or whose client went away) after its last row, or while its commit
// validates, must not commit what it wrote; a long INSERT ... SELECT used
// to finish past its time limit and be kept.
func TestCommitOfAStoppedStatementWritesNothing(t *testing.T) {
	e := newEnv(t)
	timeout := apierror.New(apierror.QueryTimeout, "statement cancelled: it ran longer than the time limit")

	// Stopped before the commit starts.
	tx := e.m.Begin()
	e.insert(tx, "alice", 1, "late")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(timeout)
	_, err := tx.Commit(ctx)
	wantCode(t, err, apierror.QueryTimeout, "time limit")
	if body, _ := e.stored("alice", 1); body != "" {
		t.Fatalf("a stopped commit wrote %q", body)
	}
	if _, err := tx.Commit(context.Background()); err == nil {
		t.Fatal("a transaction whose commit failed committed later")
	}

	// Stopped while the commit validates its writes (each new key is
	// looked up in the cold tier first).
	tx = e.m.Begin()
	for id := int64(2); id < 5; id++ {
		e.insert(tx, "alice", id, "late")
	}
	ctx, cancel = context.WithCancelCause(context.Background())
	defer cancel(nil)
	e.cold.onLookup = func() { cancel(timeout) }
	_, err = tx.Commit(ctx)
	wantCode(t, err, apierror.QueryTimeout, "time limit")
	e.cold.onLookup = nil
	for id := int64(2); id < 5; id++ {
		if body, _ := e.stored("alice", id); body != "" {
			t.Fatalf("row %d written by a stopped commit", id)
		}
	}
	if len(e.sink.changes) != 0 {
		t.Fatalf("a stopped commit published %v", e.sink.changes)
	}
}

// TestTransactionSize: what the pending writes hold, which a statement
// inside the transaction is charged for.
func TestTransactionSize(t *testing.T) {
	e := newEnv(t)
	tx := e.m.Begin()
	if tx.Size() != 0 {
		t.Fatalf("empty: %d", tx.Size())
	}
	w := e.write("alice", 1, "hello", false)
	w.Insert = true
	if err := tx.Put(w); err != nil {
		t.Fatal(err)
	}
	if tx.Size() != w.Size() || w.Size() < int64(len("hello")) {
		t.Fatalf("one write: %d, want %d", tx.Size(), w.Size())
	}
	// A later write of the same key replaces the value.
	longer := e.write("alice", 1, "hello, much longer", false)
	if err := tx.Put(longer); err != nil {
		t.Fatal(err)
	}
	if tx.Size() != longer.Size() {
		t.Fatalf("rewritten key: %d, want %d", tx.Size(), longer.Size())
	}
	tx.Rollback()
	if tx.Size() != 0 {
		t.Fatalf("rolled back: %d", tx.Size())
	}
}
