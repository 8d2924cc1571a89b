package executor_test

import (
	"context"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// The cold check of an INSERT's key answers from a cache of the latest
// manifests while the table's epoch has not moved. These tests warm that
// cache with an INSERT, run one writer of manifests, then INSERT a key
// whose answer the writer changed: a cache the writer did not invalidate
// (its epoch not moved, or moved before its write was visible) answers
// the old way.

// TestColdCheckCacheAfterFlush: a flushed key is refused as a duplicate
// by the next INSERT, both when the partition had no manifest before
// and when it had one.
func TestColdCheckCacheAfterFlush(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	a := e.as("a", systable.RoleUser)
	a.must("INSERT INTO n.t VALUES (1, 'x')") // no manifest: cached as none
	a.must("INSERT INTO n.t VALUES (2, 'x')")
	flushTable(t, e, "n.t")
	a.fails(apierror.InvalidInput, "INSERT INTO n.t VALUES (1, 'again')")
	a.must("INSERT INTO n.t VALUES (3, 'x')") // one file: cached
	flushTable(t, e, "n.t")
	a.fails(apierror.InvalidInput, "INSERT INTO n.t VALUES (3, 'again')")
	a.fails(apierror.InvalidInput, "INSERT INTO n.t VALUES (1, 'again')")
	if got := a.rows("SELECT id, v FROM n.t ORDER BY id"); got != `[[1,"x"],[2,"x"],[3,"x"]]` {
		t.Fatalf("rows: %s", got)
	}
}

// TestColdCheckCacheAfterCompaction: once a compaction's inputs are
// deleted, a key they held is found in the merged file (a stale list
// would name deleted files).
func TestColdCheckCacheAfterCompaction(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), changes: &recordingSink{}, obsoleteGrace: time.Millisecond}
	e.open()
	t.Cleanup(e.close)
	e.root().must("CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	a := e.as("a", systable.RoleUser)
	a.must("INSERT INTO n.t VALUES (1, 'x')")
	flushTable(t, e, "n.t")
	a.must("INSERT INTO n.t VALUES (2, 'x')")
	flushTable(t, e, "n.t")
	a.must("INSERT INTO n.t VALUES (10, 'x')") // two files: cached
	before := e.db.Tier.ColdCacheStats()
	runJob(t, e, "STORAGE COMPACT TABLE n.t")
	deadline := time.Now().Add(time.Minute)
	for e.db.Tier.ColdCacheStats().Invalidated <= before.Invalidated {
		if time.Now().After(deadline) {
			t.Fatal("the compaction's inputs were not deleted within a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	a.fails(apierror.InvalidInput, "INSERT INTO n.t VALUES (1, 'again')")
	a.fails(apierror.InvalidInput, "INSERT INTO n.t VALUES (2, 'again')")
}

// TestColdCheckCacheAfterDrop: a drop deletes the manifests in its batch
// and moves the epoch only once that batch is written. An INSERT that
// reads the manifest between the two (here: after DropTable added the
// deletion to the batch, before the batch is written) must not leave an
// answer that outlives the deletion.
func TestColdCheckCacheAfterDrop(t *testing.T) {
	e := newEnv(t)
	a := withColdKey(t, e, "x")
	tbl, ok := e.db.Catalog.Snapshot().Table("n", "t")
	if !ok {
		t.Fatal("no table")
	}
	var b kv.Batch
	after, err := e.db.Tier.DropTable(&b, tbl)
	if err != nil {
		t.Fatal(err)
	}
	a.must("INSERT INTO n.t VALUES (2, 'x')") // reads the manifest, still there
	if err := e.kv.Write(&b); err != nil {
		t.Fatal(err)
	}
	after(true)
	waitIdle(t, e)
	// The manifest is gone (the table's metadata stays: only the tiers'
	// part of the drop ran), so key 1 has no version left anywhere.
	a.must("INSERT INTO n.t VALUES (1, 'new')")
}

// TestColdCheckCacheAfterRestore: a restore writes a partition's manifest
// with the restored table's catalog rows; TablesRestored then moves the
// epoch. Here the manifest lands on a table whose INSERTs cached "no
// manifest" (a real restore creates a new table, which no cached answer
// is for; this isolates the epoch's part): the partition's manifest is
// taken away behind the tiers' back, an INSERT caches its absence, and
// the manifest comes back the way a restore writes it.
func TestColdCheckCacheAfterRestore(t *testing.T) {
	e := newEnv(t)
	a := withColdKey(t, e, "cold")
	id := systable.ManifestID("n", "t", "a")
	mf, err := e.db.Tier.Manifest(nil, id)
	if err != nil || mf == nil {
		t.Fatalf("manifest: %v %v", mf, err)
	}
	manifests, err := systable.Open(e.kv, systable.Manifests)
	if err != nil {
		t.Fatal(err)
	}
	var del kv.Batch
	manifests.DeleteInBatch(&del, id)
	if err := e.kv.Write(&del); err != nil {
		t.Fatal(err)
	}
	a.must("INSERT INTO n.t VALUES (5, 'x')") // no manifest: cached as none
	var b kv.Batch
	end, err := e.db.Tier.PutManifestInBatch(&b, mf)
	if err != nil {
		t.Fatal(err)
	}
	err = e.kv.Write(&b)
	end()
	if err != nil {
		t.Fatal(err)
	}
	tbl, _ := e.db.Catalog.Snapshot().Table("n", "t")
	if err := e.db.Tier.TablesRestored(context.Background(), []*catalog.Table{tbl}); err != nil {
		t.Fatal(err)
	}
	a.fails(apierror.InvalidInput, "INSERT INTO n.t VALUES (1, 'again')")
	if got := a.rows("SELECT id, v FROM n.t ORDER BY id"); got != `[[1,"cold"],[5,"x"]]` {
		t.Fatalf("rows: %s", got)
	}
}

// withColdKey creates table n.t with a row (1, v) of user a, flushed, and
// returns user a.
func withColdKey(t *testing.T, e *env, v string) *caller {
	t.Helper()
	e.root().must("CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	a := e.as("a", systable.RoleUser)
	a.must("INSERT INTO n.t VALUES (1, $1)", v)
	flushTable(t, e, "n.t")
	return a
}
