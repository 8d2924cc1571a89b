package txn_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/row"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// These tests drive transactions step by step: two Tx objects are
// interleaved by the test itself, so every outcome is deterministic.

// fakeCold is a cold tier the test controls: which keys it holds, its
// epoch, and how many lookups it answered.
type fakeCold struct {
	mu      sync.Mutex
	epoch   uint64
	keys    map[string]txn.ColdVersion
	lookups int
	// calls counts NewestVersions calls (lookups counts keys).
	calls int
	err   error
	// onLookup, when set, is called at every lookup.
	onLookup func()
}

func (c *fakeCold) Epoch(string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

func (c *fakeCold) NewestVersions(_ context.Context, _ *catalog.Table, owner string, locals [][]byte) ([]txn.ColdVersion, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	out := make([]txn.ColdVersion, len(locals))
	for i, local := range locals {
		c.lookups++
		if c.onLookup != nil {
			c.onLookup()
		}
		out[i] = c.keys[owner+"/"+string(local)]
	}
	return out, c.err
}

// flush makes the cold tier hold a version of key, as a flush would, and
// moves the epoch.
func (c *fakeCold) flush(owner string, local []byte, v txn.ColdVersion) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys[owner+"/"+string(local)] = v
	c.epoch++
}

type recorder struct {
	mu      sync.Mutex
	changes []string
	// seqs are the changes' NewSeq.
	seqs []int64
	// wake, when set, is called by Publish with its Wakes.
	wake func(w *txn.Wakes)
}

func (r *recorder) Publish(cs []txn.Change, w *txn.Wakes) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range cs {
		r.changes = append(r.changes, fmt.Sprintf("%s %s %v->%v", c.UserID, c.Type, c.Old, c.New))
		r.seqs = append(r.seqs, c.NewSeq)
	}
	if r.wake != nil {
		r.wake(w)
	}
}

type env struct {
	t     *testing.T
	db    *kv.DB
	cat   *catalog.Catalog
	m     *txn.Manager
	locks *txn.Locks
	seq   *ids.Snowflake
	cold  *fakeCold
	sink  *recorder
	// msgs is a USER table (id BIGINT PRIMARY KEY, body TEXT).
	msgs *tables.Table
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, err := kv.Open(t.TempDir(), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cat, err := catalog.Open(db, catalog.Options{BcryptCost: bcrypt.MinCost, LocalStoragePath: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.CreateNamespace("app", false); err != nil {
		t.Fatal(err)
	}
	st, err := dialect.ParseOne("CREATE TABLE app.msgs (id BIGINT PRIMARY KEY, body TEXT)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.CreateTable(st.(*dialect.CreateTable), nil); err != nil {
		t.Fatal(err)
	}
	ct, _ := cat.Snapshot().Table("app", "msgs")
	msgs, err := tables.NewRegistry(db, cat).Get(ct)
	if err != nil {
		t.Fatal(err)
	}
	seq, err := ids.NewSnowflake(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, cat: cat, locks: txn.NewLocks(), seq: seq, cold: &fakeCold{keys: map[string]txn.ColdVersion{}}, sink: &recorder{}, msgs: msgs}
	if e.m, err = txn.Open(db, txn.Options{Locks: e.locks, Seq: seq, Cold: e.cold, Sink: e.sink}); err != nil {
		t.Fatal(err)
	}
	return e
}

// key is the hot key of row id of user's partition.
func (e *env) key(user string, id int64) []byte {
	k, err := row.AppendKey(keyenc.AppendUserPrefix(nil, user), e.msgs.PKType, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

func local(id int64) []byte {
	k, _ := row.AppendKey(nil, dialect.DataType{Name: dialect.TypeBigInt}, id)
	return k
}

// write builds a write of row (id, body) in user's partition; deleted
// writes a tombstone.
func (e *env) write(user string, id int64, body string, deleted bool) *txn.Write {
	e.t.Helper()
	seq := e.seq.Next()
	vals := []any{id, body}
	v, err := row.Encode(nil, row.Header{SchemaVersion: 1, Seq: seq, Deleted: deleted}, e.msgs.Schema, vals)
	if err != nil {
		e.t.Fatal(err)
	}
	w := &txn.Write{Table: e.msgs, Owner: user, Key: e.key(user, id), Value: v, Seq: seq, Live: !deleted}
	if !deleted {
		w.After = vals
	}
	return w
}

func (e *env) insert(tx *txn.Tx, user string, id int64, body string) {
	e.t.Helper()
	w := e.write(user, id, body, false)
	w.Insert = true
	if err := tx.Put(w); err != nil {
		e.t.Fatal(err)
	}
}

// update writes a new version of a row the transaction read at readSeq.
func (e *env) update(tx *txn.Tx, user string, id int64, body string, readSeq int64, old []any) {
	e.t.Helper()
	w := e.write(user, id, body, false)
	w.ExpectSeq, w.BeforeSeq, w.Before = readSeq, readSeq, old
	if err := tx.Put(w); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) remove(tx *txn.Tx, user string, id int64, readSeq int64, old []any) {
	e.t.Helper()
	w := e.write(user, id, "", true)
	w.ExpectSeq, w.BeforeSeq, w.Before = readSeq, readSeq, old
	if err := tx.Put(w); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) commit(tx *txn.Tx) {
	e.t.Helper()
	if _, err := tx.Commit(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// stored is the committed hot version of a row: its body and _seq, or ""
// when there is none; deleted rows read "<deleted>".
func (e *env) stored(user string, id int64) (string, int64) {
	e.t.Helper()
	v, err := e.msgs.CF.Get(e.key(user, id))
	if errors.Is(err, kv.ErrNotFound) {
		return "", 0
	}
	if err != nil {
		e.t.Fatal(err)
	}
	h, err := row.DecodeHeader(v)
	if err != nil {
		e.t.Fatal(err)
	}
	if h.Deleted {
		return "<deleted>", h.Seq
	}
	p, err := e.msgs.Projection(h.SchemaVersion, []int{1})
	if err != nil {
		e.t.Fatal(err)
	}
	vals := make([]any, 1)
	if _, err := p.Decode(v, vals); err != nil {
		e.t.Fatal(err)
	}
	return vals[0].(string), h.Seq
}

func (e *env) exists(tx *txn.Tx, user string, id int64) bool {
	e.t.Helper()
	ok, err := tx.Exists(context.Background(), e.msgs, user, e.key(user, id))
	if err != nil {
		e.t.Fatal(err)
	}
	return ok
}

func wantCode(t *testing.T, err error, code apierror.Code, msg string) {
	t.Helper()
	ae, ok := apierror.As(err)
	if !ok || ae.Code != code || !strings.Contains(ae.Message, msg) {
		t.Fatalf("got %v, want %s containing %q", err, code, msg)
	}
}

// TestInterleavedInsertsOfOneKey: both transactions check the key (it is
// free for both), both write it; the first commit wins and the second
// fails as a duplicate without writing anything.
func TestInterleavedInsertsOfOneKey(t *testing.T) {
	e := newEnv(t)
	tx1, tx2 := e.m.Begin(), e.m.Begin()
	if e.exists(tx1, "alice", 1) || e.exists(tx2, "alice", 1) {
		t.Fatal("a new key exists")
	}
	e.insert(tx1, "alice", 1, "first")
	e.insert(tx2, "alice", 1, "second")
	e.insert(tx2, "alice", 2, "other row of the losing transaction")
	e.commit(tx1)
	_, err := tx2.Commit(context.Background())
	wantCode(t, err, apierror.InvalidInput, "duplicate primary key id = 1 in app.msgs")
	if body, _ := e.stored("alice", 1); body != "first" {
		t.Fatalf("row 1: %q", body)
	}
	if body, _ := e.stored("alice", 2); body != "" {
		t.Fatalf("a failed commit wrote row 2: %q", body)
	}
	if got := fmt.Sprint(e.sink.changes); got != "[alice insert []->[1 first]]" {
		t.Fatalf("published: %s", got)
	}
	// The same key in another user's partition is another row.
	tx3 := e.m.Begin()
	e.insert(tx3, "bob", 1, "bob's")
	e.commit(tx3)
}

// TestInterleavedUpdatesConflict: both transactions read version s1 of a
// row and update it; the second commit is a write conflict.
func TestInterleavedUpdatesConflict(t *testing.T) {
	e := newEnv(t)
	tx0 := e.m.Begin()
	e.insert(tx0, "alice", 1, "v1")
	e.commit(tx0)
	_, s1 := e.stored("alice", 1)
	tx1, tx2 := e.m.Begin(), e.m.Begin()
	e.update(tx1, "alice", 1, "by tx1", s1, []any{int64(1), "v1"})
	e.update(tx2, "alice", 1, "by tx2", s1, []any{int64(1), "v1"})
	e.commit(tx2)
	_, err := tx1.Commit(context.Background())
	wantCode(t, err, apierror.SQLExecutionError, "write conflict on app.msgs")
	body, s2 := e.stored("alice", 1)
	if body != "by tx2" || s2 <= s1 {
		t.Fatalf("after the conflict: %q at %d (was %d)", body, s2, s1)
	}
	// A retry reads the new version and succeeds.
	tx3 := e.m.Begin()
	e.update(tx3, "alice", 1, "retried", s2, []any{int64(1), "by tx2"})
	e.commit(tx3)
	if body, _ := e.stored("alice", 1); body != "retried" {
		t.Fatalf("retry: %q", body)
	}
}

// TestDeleteAndUpdateConflict: a delete and an update of the same read
// version; whichever commits second fails, in either order.
func TestDeleteAndUpdateConflict(t *testing.T) {
	for _, deleteFirst := range []bool{true, false} {
		t.Run(fmt.Sprint("deleteFirst=", deleteFirst), func(t *testing.T) {
			e := newEnv(t)
			tx0 := e.m.Begin()
			e.insert(tx0, "alice", 1, "v1")
			e.commit(tx0)
			_, s1 := e.stored("alice", 1)
			del, upd := e.m.Begin(), e.m.Begin()
			e.remove(del, "alice", 1, s1, []any{int64(1), "v1"})
			e.update(upd, "alice", 1, "v2", s1, []any{int64(1), "v1"})
			first, second, want := del, upd, "<deleted>"
			if !deleteFirst {
				first, second, want = upd, del, "v2"
			}
			e.commit(first)
			_, err := second.Commit(context.Background())
			wantCode(t, err, apierror.SQLExecutionError, "write conflict")
			if body, _ := e.stored("alice", 1); body != want {
				t.Fatalf("row: %q, want %q", body, want)
			}
		})
	}
}

// TestInsertAfterDelete: a key whose committed version is deleted is free
// again; a concurrent insert of it racing the delete is a duplicate until
// the delete commits.
func TestInsertAfterDelete(t *testing.T) {
	e := newEnv(t)
	tx0 := e.m.Begin()
	e.insert(tx0, "alice", 1, "v1")
	e.commit(tx0)
	_, s1 := e.stored("alice", 1)
	del, ins := e.m.Begin(), e.m.Begin()
	if !e.exists(ins, "alice", 1) {
		t.Fatal("a live row does not exist")
	}
	e.remove(del, "alice", 1, s1, []any{int64(1), "v1"})
	if !e.exists(ins, "alice", 1) || e.exists(del, "alice", 1) {
		t.Fatal("a transaction sees its own delete only")
	}
	e.insert(ins, "alice", 1, "v2")
	e.commit(del)
	e.commit(ins)
	if body, _ := e.stored("alice", 1); body != "v2" {
		t.Fatalf("row: %q", body)
	}
}

// TestOwnWritesMerge: a transaction's writes of one key merge; the first
// write's expectation stays, and the change a subscriber sees goes from
// the committed version to the last one.
func TestOwnWritesMerge(t *testing.T) {
	e := newEnv(t)
	tx := e.m.Begin()
	e.insert(tx, "alice", 1, "a")
	if !e.exists(tx, "alice", 1) {
		t.Fatal("own insert not seen")
	}
	w := e.write("alice", 1, "b", false)
	if err := tx.Put(w); err != nil {
		t.Fatal(err)
	}
	e.insert(tx, "alice", 2, "gone")
	e.remove(tx, "alice", 2, 0, nil)
	n, err := tx.Commit(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("commit: %d %v", n, err)
	}
	if got := fmt.Sprint(e.sink.changes); got != "[alice insert []->[1 b]]" {
		t.Fatalf("published: %s", got)
	}
	if _, err := tx.Commit(context.Background()); !apierror.Is(err, apierror.SQLExecutionError) {
		t.Fatalf("second commit: %v", err)
	}
}

func TestRollbackWritesNothing(t *testing.T) {
	e := newEnv(t)
	tx := e.m.Begin()
	e.insert(tx, "alice", 1, "a")
	tx.Rollback()
	if err := tx.Put(e.write("alice", 2, "b", false)); !apierror.Is(err, apierror.SQLExecutionError) {
		t.Fatalf("put after rollback: %v", err)
	}
	if _, err := tx.Commit(context.Background()); !apierror.Is(err, apierror.SQLExecutionError) {
		t.Fatalf("commit after rollback: %v", err)
	}
	if body, _ := e.stored("alice", 1); body != "" || len(e.sink.changes) != 0 {
		t.Fatalf("rolled back: %q %v", body, e.sink.changes)
	}
}

// TestCommitYieldsToTheGoroutineItWoke: when publishing made a goroutine
// runnable (a subscriber's sender), Commit yields its processor to it
// after releasing the partition locks, so it runs before Commit returns
// (before the rest of the committer's statement) even with one processor:
// the woken goroutine takes the written partition's lock before Commit
// has returned. Go's scheduler would otherwise run it only once the
// committer blocks.
func TestCommitYieldsToTheGoroutineItWoke(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	e := newEnv(t)
	var returned atomic.Bool
	results := make(chan bool, 1)
	e.sink.wake = func(w *txn.Wakes) {
		go func() {
			unlock := e.locks.Lock(txn.Partition{Family: e.msgs.Family, Owner: "alice"})
			unlock()
			results <- !returned.Load()
		}()
		w.Woke()
	}
	// The scheduler now and then takes the global queue (where the
	// yielding committer waits) before the local one, so this asks for
	// one commit in ten, not each one.
	early := 0
	for i := range int64(10) {
		returned.Store(false)
		tx := e.m.Begin()
		e.insert(tx, "alice", i+1, "hello")
		e.commit(tx)
		returned.Store(true)
		if <-results {
			early++
		}
	}
	if early == 0 {
		t.Fatal("the woken goroutine never ran before Commit returned")
	}
}

// TestCommitRunsTheDeferredSendUnlocked: a send the publication deferred
// to the committer (a subscriber's writer, Wakes.Defer) runs on the
// committer's goroutine before Commit returns, with the partitions
// unlocked (it takes the written partition's lock itself: it would wait
// forever under the commit's), and only one per commit; a publication
// outside a commit (nil Wakes) defers nothing.
func TestCommitRunsTheDeferredSendUnlocked(t *testing.T) {
	e := newEnv(t)
	var ran, second int
	e.sink.wake = func(w *txn.Wakes) {
		if w.Defer("bob", func() { t.Error("a send to another user's connection ran in the commit") }) {
			t.Error("a send to another user's connection was deferred to the committer")
		}
		if !w.Defer("alice", func() {
			unlock := e.locks.Lock(txn.Partition{Family: e.msgs.Family, Owner: "alice"})
			unlock()
			ran++
		}) {
			t.Error("the first send deferred in a commit was refused")
		}
		if w.Defer("alice", func() { second++ }) {
			t.Error("a second send deferred in one commit was accepted")
		}
	}
	for i := range int64(3) {
		tx := e.m.Begin()
		tx.SetCommitter("alice")
		e.insert(tx, "alice", i+1, "hello")
		e.commit(tx)
		if ran != int(i)+1 {
			t.Fatalf("commit %d returned with %d deferred sends run", i+1, ran)
		}
	}
	if second != 0 {
		t.Fatal("a refused send ran")
	}
	var none *txn.Wakes
	if none.Defer("alice", func() {}) || none.Pending() {
		t.Fatal("a nil Wakes took a send")
	}
	none.Woke() // and records nothing, without failing
}

// TestColdDuplicateLookedUpOnce: a key with no hot version is checked in
// the cold tier once per transaction: the statement's check and the
// commit's validation share the answer while the cold files are
// unchanged.
func TestColdDuplicateLookedUpOnce(t *testing.T) {
	e := newEnv(t)
	tx := e.m.Begin()
	if e.exists(tx, "alice", 1) {
		t.Fatal("exists")
	}
	e.insert(tx, "alice", 1, "a")
	e.commit(tx)
	if e.cold.lookups != 1 {
		t.Fatalf("cold lookups: %d, want 1", e.cold.lookups)
	}
	// A key that lives only in a cold file is a duplicate, at the check
	// and at commit.
	e.cold.flush("alice", local(2), txn.ColdVersion{Seq: 5, Found: true})
	tx = e.m.Begin()
	if !e.exists(tx, "alice", 2) {
		t.Fatal("a cold row does not exist")
	}
	e.insert(tx, "alice", 2, "dup")
	_, err := tx.Commit(context.Background())
	wantCode(t, err, apierror.InvalidInput, "duplicate primary key")
	if e.cold.lookups != 2 {
		t.Fatalf("cold lookups: %d, want 2", e.cold.lookups)
	}
}

// TestColdChangedBetweenCheckAndCommit: the files change after the
// statement checked a key (another transaction inserted it and a flush
// moved it to the cold tier), so the commit looks again and sees the
// duplicate the check could not.
func TestColdChangedBetweenCheckAndCommit(t *testing.T) {
	e := newEnv(t)
	tx1, tx2 := e.m.Begin(), e.m.Begin()
	if e.exists(tx1, "alice", 1) || e.exists(tx2, "alice", 1) {
		t.Fatal("exists")
	}
	e.insert(tx1, "alice", 1, "first")
	e.insert(tx2, "alice", 1, "second")
	e.commit(tx1)
	// The flush: the row leaves the hot tier for a file.
	_, s1 := e.stored("alice", 1)
	if err := e.db.Write(func() *kv.Batch {
		var b kv.Batch
		b.Delete(e.msgs.CF, e.key("alice", 1))
		return &b
	}()); err != nil {
		t.Fatal(err)
	}
	e.cold.flush("alice", local(1), txn.ColdVersion{Seq: s1, Found: true})
	before := e.cold.lookups
	_, err := tx2.Commit(context.Background())
	wantCode(t, err, apierror.InvalidInput, "duplicate primary key")
	if e.cold.lookups != before+1 {
		t.Fatalf("cold lookups at commit: %d, want 1", e.cold.lookups-before)
	}
}

// TestColdLookupFailure: a cold tier that cannot answer fails the check
// and the commit, and the commit writes nothing.
func TestColdLookupFailure(t *testing.T) {
	e := newEnv(t)
	e.cold.err = errors.New("disk on fire")
	tx := e.m.Begin()
	if _, err := tx.Exists(context.Background(), e.msgs, "alice", e.key("alice", 1)); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("exists: %v", err)
	}
	e.insert(tx, "alice", 1, "a")
	if _, err := tx.Commit(context.Background()); err == nil || !strings.Contains(err.Error(), "commit: app:msgs: disk on fire") {
		t.Fatalf("commit: %v", err)
	}
	if body, _ := e.stored("alice", 1); body != "" {
		t.Fatalf("written: %q", body)
	}
}

// TestManyKeysCheckedTogether: a commit of many keys over two partitions
// reads the cold tier once per partition, matches every answer to its own
// key (a cold duplicate in the second partition fails the commit, naming
// it, and nothing is written), and ExistsMany answers each key from the
// transaction, the hot tier or the cold one.
func TestManyKeysCheckedTogether(t *testing.T) {
	e := newEnv(t)
	tx := e.m.Begin()
	e.insert(tx, "alice", 1, "hot")
	e.commit(tx)
	e.cold.flush("bob", local(3), txn.ColdVersion{Seq: 7, Found: true})
	e.cold.flush("bob", local(4), txn.ColdVersion{Seq: 8, Found: true, Deleted: true})
	e.cold.flush("bob", local(5), txn.ColdVersion{Seq: 9, Found: true, Deleted: true})

	tx = e.m.Begin()
	for _, id := range []int64{10, 11, 12} {
		e.insert(tx, "alice", id, "a")
	}
	for _, id := range []int64{20, 4} { // 4: deleted in the cold tier, free
		e.insert(tx, "bob", id, "b")
	}
	calls, lookups := e.cold.calls, e.cold.lookups
	e.commit(tx)
	if e.cold.calls-calls != 2 || e.cold.lookups-lookups != 5 {
		t.Fatalf("cold calls %d for %d keys, want 2 for 5", e.cold.calls-calls, e.cold.lookups-lookups)
	}

	tx = e.m.Begin()
	e.insert(tx, "alice", 13, "a")
	e.insert(tx, "bob", 22, "b")
	e.insert(tx, "bob", 3, "cold duplicate")
	_, err := tx.Commit(context.Background())
	wantCode(t, err, apierror.InvalidInput, "duplicate primary key id = 3 in app.msgs")
	for _, k := range []struct {
		user string
		id   int64
	}{{"alice", 13}, {"bob", 22}} {
		if body, _ := e.stored(k.user, k.id); body != "" {
			t.Fatalf("a failed commit wrote %s/%d: %q", k.user, k.id, body)
		}
	}

	tx = e.m.Begin()
	e.insert(tx, "bob", 30, "pending")
	keys := [][]byte{e.key("bob", 30), e.key("bob", 20), e.key("bob", 3), e.key("bob", 5), e.key("bob", 31)}
	calls = e.cold.calls
	live, err := tx.ExistsMany(context.Background(), e.msgs, "bob", keys)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(live) != "[true true true false false]" || e.cold.calls-calls != 1 {
		t.Fatalf("exists %v with %d cold calls, want [true true true false false] with 1", live, e.cold.calls-calls)
	}
	tx.Rollback()
}

// TestDeferredSendRunsWhenPublishingPanics: a send deferred to the
// committer holds its connection's writer slot until it runs (the
// connection writes nothing else, and its session waits for it at the
// end), so a sink that panics after another one deferred a send (a bug,
// recovered by the statement) must not lose it: it runs as the panic
// leaves Commit, with the partitions unlocked.
func TestDeferredSendRunsWhenPublishingPanics(t *testing.T) {
	e := newEnv(t)
	ran := 0
	e.sink.wake = func(w *txn.Wakes) {
		w.Defer("alice", func() {
			unlock := e.locks.Lock(txn.Partition{Family: e.msgs.Family, Owner: "alice"})
			unlock()
			ran++
		})
		panic("a later sink failed")
	}
	tx := e.m.Begin()
	tx.SetCommitter("alice")
	e.insert(tx, "alice", 1, "hello")
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the sink's panic was lost")
			}
		}()
		_, _ = tx.Commit(context.Background())
	}()
	if ran != 1 {
		t.Fatalf("the deferred send ran %d times", ran)
	}
}
