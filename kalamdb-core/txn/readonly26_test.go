package txn_test

import (
	"context"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestReadOnlyTransactionsAnswerAndEnd: a transaction makes its writes
// map at its first write (70aa276). Until then its reads of its own
// writes answer none and its reads of committed rows answer them; its
// first write is seen by its next statement; rolled back or committed
// with nothing written, it takes no write afterwards.
func TestReadOnlyTransactionsAnswerAndEnd(t *testing.T) {
	e := newEnv(t)
	seed := e.m.Begin()
	e.insert(seed, "alice", 1, "a")
	e.commit(seed)

	tx := e.m.Begin()
	tx.BeginStatement()
	if w, ok := tx.Pending(e.msgs, e.key("alice", 1)); ok || w != nil {
		t.Fatalf("pending of a transaction that wrote nothing: %v", w)
	}
	if ws := tx.PendingRange(e.msgs, nil, nil); len(ws) != 0 {
		t.Fatalf("pending range of a transaction that wrote nothing: %v", ws)
	}
	if !e.exists(tx, "alice", 1) || e.exists(tx, "alice", 2) {
		t.Fatal("committed rows misread by a transaction that wrote nothing")
	}
	ok, err := tx.ExistsMany(context.Background(), e.msgs, "alice", [][]byte{e.key("alice", 1), e.key("alice", 2)})
	if err != nil || len(ok) != 2 || !ok[0] || ok[1] {
		t.Fatalf("exists many: %v %v", ok, err)
	}
	if tx.Size() != 0 {
		t.Fatalf("size %d", tx.Size())
	}
	e.insert(tx, "alice", 2, "b")
	tx.BeginStatement()
	if w, ok := tx.Pending(e.msgs, e.key("alice", 2)); !ok || w == nil {
		t.Fatal("the first write is not seen by the next statement")
	}
	e.commit(tx)
	if body, _ := e.stored("alice", 2); body != "b" {
		t.Fatalf("stored %q", body)
	}

	for _, end := range []string{"rollback", "commit"} {
		ro := e.m.Begin()
		if end == "rollback" {
			ro.Rollback()
			ro.Rollback() // twice is harmless
		} else if n, err := ro.Commit(context.Background()); n != 0 || err != nil {
			t.Fatalf("commit of nothing: %d %v", n, err)
		}
		if _, ok := ro.Pending(e.msgs, e.key("alice", 1)); ok {
			t.Fatalf("%s: pending after the end", end)
		}
		if err := ro.Put(e.write("alice", 3, "c", false)); !apierror.Is(err, apierror.SQLExecutionError) {
			t.Fatalf("%s: put after the end: %v", end, err)
		}
	}
	if body, _ := e.stored("alice", 3); body != "" {
		t.Fatalf("a write after the end was stored: %q", body)
	}
}
