package txn_test

import (
	"context"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestFailedExplicitCommitDoesNotStopLaterMarks: an explicit insert whose
// commit fails after it marked its table in memory (here: another table of
// the same transaction, whose generated key is not read, was dropped
// meanwhile, so the batch write fails) leaves the record on disk. The next
// explicit insert, which commits, must still delete it: otherwise the
// table is clean again after a restart although it holds a key the
// generator did not issue, and a generated insert of that key silently
// replaces the row.
func TestFailedExplicitCommitDoesNotStopLaterMarks(t *testing.T) {
	e := newEnv(t)
	other := e.cleanTable("other")
	target := e.cleanTable("target")

	tx := e.m.Begin()
	e.on(target)
	w := e.write("alice", 5, "explicit, never committed", false)
	w.Insert = true
	if err := tx.Put(w); err != nil {
		t.Fatal(err)
	}
	e.on(other)
	g := e.write("alice", e.seq.Next(), "generated", false)
	g.Insert, g.Generated = true, true
	if err := tx.Put(g); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.cat.DropTable("app", "other", "", false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(context.Background()); err == nil {
		t.Fatal("a commit writing to a dropped table succeeded")
	}

	e.on(target)
	if err := e.commitOne(6, "explicit", false); err != nil {
		t.Fatal(err)
	}
	if e.keysClean() {
		t.Fatal("clean after an explicit insert")
	}
	if err := e.reopen(); err != nil {
		t.Fatal(err)
	}
	if e.keysClean() {
		t.Error("after a restart the table is clean although key 6 was written explicitly (the record survived the committed explicit insert)")
	}
	err := e.commitOne(6, "generated", true)
	if err == nil {
		body, _ := e.stored("alice", 6)
		t.Fatalf("an insert of key 6 succeeded over the committed explicit row 6, which now reads %q", body)
	}
	wantCode(t, err, apierror.InvalidInput, "duplicate primary key id = 6")
}
