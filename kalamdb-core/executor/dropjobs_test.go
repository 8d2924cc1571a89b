package executor_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// These tests stop a flush or a compaction of a table at its failpoint
// between its file write and its manifest commit, drop the table (and
// create it again) meanwhile, then let the job commit: the job's manifest
// row must not outlive the drop, or the table created again under the
// same name (same table id, same manifest ids) lists the dropped table's
// files.

// stoppedJob opens an env with table n.t, whose rows fill inserts (and
// flushes), and starts a job with stmt, stopped at failpoint point; the
// caller lets it go on (fp.let).
func stoppedJob(t *testing.T, point, stmt string, fill func(e *env)) (e *env, fp *blockingFailpoint, id string) {
	t.Helper()
	fp = newBlockingFailpoint(point)
	e = openWithFailpoint(t, fp)
	e.root().must("CREATE NAMESPACE n; CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	fill(e)
	id = startJob(t, e, stmt)
	fp.wait(t)
	return e, fp, id
}

// twoFiles gives user a's partition of n.t two files, to compact.
func twoFiles(e *env) {
	a := e.as("a", systable.RoleUser)
	a.must("INSERT INTO n.t VALUES (1, 'old')")
	flushTable(e.t, e, "n.t")
	a.must("INSERT INTO n.t VALUES (2, 'old')")
	flushTable(e.t, e, "n.t")
}

// hotRow gives user b a hot row in n.t, in a partition with no manifest.
func hotRow(e *env) { e.as("b", systable.RoleUser).must("INSERT INTO n.t VALUES (1, 'old')") }

// manifestsOf returns the ids of the manifest rows of table ns.name.
func manifestsOf(t *testing.T, e *env, ns, name string) []string {
	t.Helper()
	all, err := e.db.Tier.Manifests()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, mf := range all {
		if mf.NamespaceID == ns && mf.TableName == name {
			ids = append(ids, mf.ManifestID)
		}
	}
	return ids
}

// recreatedIsEmpty checks that table n.t, created again after its drop,
// has no manifest and that user's reads of it list no row of the old one.
func recreatedIsEmpty(t *testing.T, e *env, user string) {
	t.Helper()
	waitIdle(t, e) // the dropped table's cleanup job too
	if ids := manifestsOf(t, e, "n", "t"); len(ids) != 0 {
		t.Fatalf("manifest rows of the dropped table outlived it: %v", ids)
	}
	res, err := e.as(user, systable.RoleUser).exec("SELECT id, v FROM n.t ORDER BY id")
	if err != nil {
		t.Fatalf("a read of the table created again: %v", err)
	}
	if got := fmt.Sprint(res[0].Rows); got != "[]" {
		t.Fatalf("the table created again lists the dropped table's rows: %s", got)
	}
}

// dropCommitted starts DROP TABLE n.t and returns once its catalog batch
// has committed (a state, not a time): a drop racing a flush that holds
// its iterator then waits for it. The channel gets the drop's result.
func dropCommitted(t *testing.T, e *env) <-chan error {
	t.Helper()
	dropped := make(chan error, 1)
	go func() {
		_, err := e.root().exec("DROP TABLE n.t")
		dropped <- err
	}()
	// Wait (for a state, not a time) until the drop's catalog batch has
	// committed: the drop then waits for the flush's iterator.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		if _, ok := e.db.Catalog.Snapshot().Table("n", "t"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the drop did not commit")
		}
	}
	return dropped
}

// TestCompactionCommitAfterDropAndRecreate: a compaction stopped before
// its manifest commit while the table is dropped and created again does
// not commit its merged file into the new table's manifest.
func TestCompactionCommitAfterDropAndRecreate(t *testing.T) {
	e, fp, id := stoppedJob(t, "compact.after_write", "STORAGE COMPACT TABLE n.t", twoFiles)
	e.root().must("DROP TABLE n.t")
	e.root().must("CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	fp.let()
	waitJobEnds(t, e, id, systable.JobFailed)
	recreatedIsEmpty(t, e, "a")
}

// TestFlushCommitDuringDrop: a flush of a partition that had no manifest
// yet, whose commit lands after the drop read the table's manifests and
// before the drop's batch commits, does not leave its manifest row behind
// (the drop's batch deletes only the rows it read).
func TestFlushCommitDuringDrop(t *testing.T) {
	e, fp, id := stoppedJob(t, "flush.after_write", "STORAGE FLUSH TABLE n.t", hotRow)
	dropped, after, err := e.db.Catalog.DropTable("n", "t", "", false, func(b *kv.Batch, tbl *catalog.Table) (func(bool), error) {
		after, err := e.db.Tier.DropTable(b, tbl)
		if err != nil {
			return nil, err
		}
		// The manifests are read; the flush commits now, before the
		// drop's batch is written.
		fp.let()
		waitJobEnds(t, e, id, systable.JobFailed)
		return after, nil
	})
	if err != nil || dropped == nil {
		t.Fatalf("the drop: %v", err)
	}
	after()
	e.db.Engine.ForgetTable(dropped)
	e.root().must("CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	recreatedIsEmpty(t, e, "b")
}

// TestFlushCommitAfterDropCommit: a flush stopped before its commit
// keeps the drop's removal of its table's family waiting (on the flush's
// iterator) once the drop's catalog batch has committed; the flush's
// commit then fails and leaves no manifest row, and the drop ends. This
// order was safe before the drop gate too: the family is closing, and the
// flush's batch, which deletes the flushed rows from it, fails. (Not a
// flush whose rows all changed since its snapshot: its batch holds no
// write to the family; the gate stops it.)
func TestFlushCommitAfterDropCommit(t *testing.T) {
	e, fp, id := stoppedJob(t, "flush.after_write", "STORAGE FLUSH TABLE n.t", hotRow)
	dropped := dropCommitted(t, e)
	fp.let()
	waitJobEnds(t, e, id, systable.JobFailed)
	if err := <-dropped; err != nil {
		t.Fatalf("the drop: %v", err)
	}
	e.root().must("CREATE TABLE n.t (id INT PRIMARY KEY, v TEXT)")
	recreatedIsEmpty(t, e, "b")
}

// TestCompactionCommitAfterDropAndRestore: a compaction stopped before
// its manifest commit while its namespace is dropped and restored (the
// table back with the same id and creation time, as a backup of it
// restores it) does not commit the dropped table's merged file into the
// restored table's manifest.
func TestCompactionCommitAfterDropAndRestore(t *testing.T) {
	e, fp, id := stoppedJob(t, "compact.after_write", "STORAGE COMPACT TABLE n.t", twoFiles)
	snap := e.db.Catalog.Snapshot()
	ns, _ := snap.Namespace("n")
	tbl, _ := snap.Table("n", "t")
	schemas, err := e.db.Catalog.SchemaHistory(tbl.Meta.TableID)
	if err != nil {
		t.Fatal(err)
	}
	e.root().must("DROP NAMESPACE n CASCADE")
	release, err := e.db.Catalog.ReserveNamespace("n")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// The table comes back empty: only its catalog rows, no manifest.
	restored, err := e.db.Catalog.RestoreNamespace(&catalog.NamespaceRestore{Namespace: ns,
		Tables: []*systable.TableMeta{tbl.Meta}, Schemas: schemas, Users: &catalog.UserPlan{},
		Work: func(*kv.Batch) (func(bool), error) { return func(bool) {}, nil }})
	if err != nil || len(restored) != 1 || !restored[0].Meta.CreatedAt.Equal(tbl.Meta.CreatedAt) {
		t.Fatalf("the restore: %v %v", restored, err)
	}
	fp.let()
	waitJobEnds(t, e, id, systable.JobFailed)
	waitIdle(t, e)
	if ids := manifestsOf(t, e, "n", "t"); len(ids) != 0 {
		t.Fatalf("the dropped table's compaction wrote the restored table's manifest: %v", ids)
	}
}
