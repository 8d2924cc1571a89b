package txn_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// failExplicitCommit makes an explicit insert of key 5 into target fail
// after its commit marked target: the transaction also writes a generated
// key to other (not read while other is clean), and other is dropped
// before the commit, so the batch write fails.
func failExplicitCommit(e *env, other, target *tables.Table) {
	e.t.Helper()
	tx := e.m.Begin()
	e.on(target)
	w := e.write("alice", 5, "explicit, never committed", false)
	w.Insert = true
	if err := tx.Put(w); err != nil {
		e.t.Fatal(err)
	}
	e.on(other)
	g := e.write("alice", e.seq.Next(), "generated", false)
	g.Insert, g.Generated = true, true
	if err := tx.Put(g); err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := e.cat.DropTable("app", "other", "", false, nil); err != nil {
		e.t.Fatal(err)
	}
	if _, err := tx.Commit(context.Background()); err == nil {
		e.t.Fatal("a commit writing to a dropped table succeeded")
	}
}

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

	failExplicitCommit(e, other, target)

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

// TestFailedDropDoesNotStopLaterMarks: DROP TABLE adds the deletion of the
// record to its batch through TableDropped, which also marks the table in
// memory at once. When the drop then fails (here the tiers' part of the
// drop work returns an error, as tier.DropTable does when it cannot read
// the manifests), the table lives on with its record on disk and marked
// in memory; an explicit insert that then commits must still delete the
// record, or the table is clean again after a restart.
func TestFailedDropDoesNotStopLaterMarks(t *testing.T) {
	e := newEnv(t)
	e.on(e.cleanTable("target"))
	_, _, err := e.cat.DropTable("app", "target", "", false, func(b *kv.Batch, ct *catalog.Table) (func(bool), error) {
		e.m.TableDropped(b, ct)
		return nil, errors.New("tiers: manifests unreadable")
	})
	if err == nil {
		t.Fatal("the drop succeeded")
	}
	if _, ok := e.cat.Snapshot().Table("app", "target"); !ok {
		t.Fatal("the failed drop dropped the table")
	}
	if err := e.commitOne(6, "explicit", false); err != nil {
		t.Fatal(err)
	}
	if err := e.reopen(); err != nil {
		t.Fatal(err)
	}
	if e.keysClean() {
		t.Error("after a restart the table is clean although key 6 was written explicitly")
	}
	err = e.commitOne(6, "generated", true)
	if err == nil {
		body, _ := e.stored("alice", 6)
		t.Fatalf("an insert of key 6 succeeded over the committed explicit row 6, which now reads %q", body)
	}
	wantCode(t, err, apierror.InvalidInput, "duplicate primary key id = 6")
}

// TestRecordOutlivesDropAfterFailedCommit: after an explicit commit that
// failed once its table was marked in memory, DROP TABLE adds no deletion
// of the record either, so the record of the dropped table stays on disk
// for good. A later table with the same id and creation time (a RESTORE of
// a backup of this very table) then reads as clean after a restart,
// although its rows hold named keys.
func TestRecordOutlivesDropAfterFailedCommit(t *testing.T) {
	e := newEnv(t)
	other := e.cleanTable("other")
	target := e.cleanTable("target")
	failExplicitCommit(e, other, target)
	if _, _, err := e.cat.DropTable("app", "target", "", false, func(b *kv.Batch, ct *catalog.Table) (func(bool), error) {
		e.m.TableDropped(b, ct)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	cf, err := e.db.ColumnFamily("engine_meta")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cf.Get([]byte("keys_generated/" + target.Meta.TableID)); !errors.Is(err, kv.ErrNotFound) {
		t.Errorf("the record of the dropped table is still there (read: %v)", err)
	}
}

// TestDroppedTablesLeaveNoKeyState: a table's key state is forgotten once
// its drop is written, so creating and dropping tables does not grow the
// manager's memory; a drop that fails keeps it (the table lives on).
func TestDroppedTablesLeaveNoKeyState(t *testing.T) {
	e := newEnv(t)
	drop := func(name string, fail bool) error {
		_, after, err := e.cat.DropTable("app", name, "", false, func(b *kv.Batch, ct *catalog.Table) (func(bool), error) {
			dropped := e.m.TableDropped(b, ct)
			if fail {
				return nil, errors.New("tiers: manifests unreadable")
			}
			return func(bool) { dropped() }, nil
		})
		if after != nil {
			after()
		}
		return err
	}
	for i := range 20 {
		e.on(e.cleanTable("t"))
		if !e.keysClean() {
			t.Fatal("a new table is not clean")
		}
		if err := e.commitOne(int64(i), "explicit", false); err != nil {
			t.Fatal(err)
		}
		if err := drop("t", false); err != nil {
			t.Fatal(err)
		}
	}
	if n := txn.KeyStates(e.m); n != 0 {
		t.Fatalf("%d key states left after every table was dropped", n)
	}
	e.on(e.cleanTable("kept"))
	e.keysClean()
	if err := drop("kept", true); err == nil {
		t.Fatal("the drop succeeded")
	}
	if n := txn.KeyStates(e.m); n != 1 {
		t.Fatalf("%d key states after a failed drop of the only table, want 1", n)
	}
	if e.keysClean() {
		t.Fatal("the table whose drop failed is clean (its record's deletion is not known written, so it stays marked)")
	}
}
