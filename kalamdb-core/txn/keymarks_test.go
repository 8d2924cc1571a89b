package txn_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// cleanTable creates app.<name> (id BIGINT PRIMARY KEY, body TEXT) as
// CREATE TABLE does, with the record that its keys are clean.
func (e *env) cleanTable(name string) *tables.Table {
	e.t.Helper()
	st, err := dialect.ParseOne("CREATE TABLE app." + name + " (id BIGINT PRIMARY KEY, body TEXT)")
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.cat.CreateTable(st.(*dialect.CreateTable), e.m.RecordCreated); err != nil {
		e.t.Fatal(err)
	}
	ct, _ := e.cat.Snapshot().Table("app", name)
	t, err := tables.NewRegistry(e.db, e.cat).Get(ct)
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

// reopen replaces the manager with a new one over the same store, as a
// restart does: what it knew only in memory is gone.
func (e *env) reopen() error {
	m, err := txn.Open(e.db, txn.Options{Locks: e.locks, Seq: e.seq, Cold: e.cold, Sink: e.sink})
	if err != nil {
		return err
	}
	e.m = m
	return nil
}

// on makes e write to t from now on.
func (e *env) on(t *tables.Table) { e.msgs = t }

// commitOne commits one insert of (id, body) in alice's partition,
// generated or not.
func (e *env) commitOne(id int64, body string, generated bool) error {
	e.t.Helper()
	tx := e.m.Begin()
	w := e.write("alice", id, body, false)
	w.Insert, w.Generated = true, generated
	if err := tx.Put(w); err != nil {
		e.t.Fatal(err)
	}
	_, err := tx.Commit(context.Background())
	return err
}

func (e *env) keysClean() bool {
	e.t.Helper()
	clean, err := e.m.KeysClean(e.msgs.Table)
	if err != nil {
		e.t.Fatal(err)
	}
	return clean
}

// plant writes a live row straight into the table's family, as no commit
// could: a key that is there though the table is clean. It shows which
// commits read their key.
func (e *env) plant(id int64, body string) {
	e.t.Helper()
	w := e.write("alice", id, body, false)
	if err := e.msgs.CF.Put(w.Key, w.Value); err != nil {
		e.t.Fatal(err)
	}
}

// TestGeneratedInsertSkipsItsCheckWhileClean: on a clean table a generated
// key is neither read (a planted row under it is overwritten, which no
// real writer can cause) nor looked up in the cold tier; an explicit
// insert reads it, marks the table in its own batch, durably, and from
// then on generated keys are read as well.
func TestGeneratedInsertSkipsItsCheckWhileClean(t *testing.T) {
	e := newEnv(t)
	if e.keysClean() {
		t.Fatal("a table created without the record is clean")
	}
	e.on(e.cleanTable("fresh"))
	if !e.keysClean() {
		t.Fatal("a created table is not clean")
	}
	e.plant(7, "planted")
	if err := e.commitOne(7, "explicit", false); err == nil {
		t.Fatal("an explicit insert over a live key succeeded")
	}
	// It wrote nothing, so it marked nothing.
	if !e.keysClean() {
		t.Fatal("an explicit insert that failed marked the table")
	}
	lookups := e.cold.calls
	if err := e.commitOne(7, "generated", true); err != nil {
		t.Fatalf("generated insert on a clean table: %v", err)
	}
	if body, _ := e.stored("alice", 7); body != "generated" {
		t.Fatalf("the generated insert read its key: row 7 is %q", body)
	}
	if e.cold.calls != lookups {
		t.Fatalf("the generated insert looked its key up in the cold tier (%d lookups)", e.cold.calls-lookups)
	}

	if err := e.commitOne(8, "explicit", false); err != nil {
		t.Fatal(err)
	}
	if e.keysClean() {
		t.Fatal("an explicit insert did not mark the table")
	}
	err := e.commitOne(8, "generated", true)
	wantCode(t, err, apierror.InvalidInput, "duplicate primary key id = 8 in app.fresh")
	if body, _ := e.stored("alice", 8); body != "explicit" {
		t.Fatalf("row 8: %q", body)
	}
	if err := e.commitOne(9, "generated", true); err != nil {
		t.Fatal(err)
	}
	if e.cold.calls == lookups {
		t.Fatal("a generated insert on a marked table was not looked up in the cold tier")
	}
	// The mark is in the store: a restart finds it.
	if err := e.reopen(); err != nil {
		t.Fatal(err)
	}
	if e.keysClean() {
		t.Fatal("the mark did not survive a restart")
	}
	err = e.commitOne(8, "generated", true)
	wantCode(t, err, apierror.InvalidInput, "duplicate primary key id = 8 in app.fresh")
}

// TestRecordOfAnotherIncarnation: a record names the creation time of its
// table; a table of the same name created at another time is marked.
func TestRecordOfAnotherIncarnation(t *testing.T) {
	e := newEnv(t)
	e.on(e.cleanTable("again"))
	cp := *e.msgs.Table
	meta := *cp.Meta
	meta.CreatedAt = meta.CreatedAt.Add(1)
	cp.Meta = &meta
	clean, err := e.m.KeysClean(&cp)
	if err != nil {
		t.Fatal(err)
	}
	if clean {
		t.Fatal("a record of another incarnation made the table clean")
	}
	// And a restore marks whatever the record says.
	var b kv.Batch
	e.m.MarkRestored(&b, []*systable.TableMeta{e.msgs.Meta})
	if err := e.db.Write(&b); err != nil {
		t.Fatal(err)
	}
	if e.keysClean() {
		t.Fatal("a restored table is clean")
	}
	if err := e.reopen(); err != nil {
		t.Fatal(err)
	}
	if e.keysClean() {
		t.Fatal("a restored table is clean after a restart")
	}
}

// TestExplicitAndGeneratedInsertsRace: an explicit and a generated insert
// of one key commit at the same time on a clean table, with a generated
// insert in another partition, many times over: exactly one of the two
// wins each time, and an explicit winner leaves the table marked. Whichever commits first, the other
// reads the key (the explicit one always does; the generated one sees the
// mark, set under the partition lock they share).
func TestExplicitAndGeneratedInsertsRace(t *testing.T) {
	e := newEnv(t)
	const rounds = 60
	for r := range rounds {
		e.on(e.cleanTable(fmt.Sprintf("race%d", r)))
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, 3)
		// Writers 0 and 1 insert key 1 in alice's partition, explicitly
		// and as generated; writer 2 a generated key in bob's, which reads
		// the table's state from the store while the others run.
		for i := range 3 {
			tx := e.m.Begin()
			owner := "alice"
			if i == 2 {
				owner = "bob"
			}
			w := e.write(owner, 1, fmt.Sprint("writer ", i), false)
			w.Insert, w.Generated = true, i > 0
			if err := tx.Put(w); err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = tx.Commit(context.Background())
			}()
		}
		close(start)
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: explicit: %v, generated: %v; want exactly one to win", r, errs[0], errs[1])
		}
		for _, err := range errs[:2] {
			if err != nil {
				wantCode(t, err, apierror.InvalidInput, "duplicate primary key id = 1")
			}
		}
		if errs[2] != nil {
			t.Fatalf("round %d: bob's generated insert: %v", r, errs[2])
		}
		// A state read meanwhile does not hide the explicit writer's mark.
		if errs[0] == nil && e.keysClean() {
			t.Fatalf("round %d: the explicit insert won and the table is clean", r)
		}
	}
}
