package executor_test

import (
	"errors"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// answersFromCache reads tbl's partition of user a twice at fresh
// snapshots and reports whether the second read was answered by the
// settled entry (no read of the manifest row): it is not while a write of
// the table's manifests is counted in progress.
func answersFromCache(t *testing.T, e *env, tbl *catalog.Table) bool {
	t.Helper()
	if got := partitionFiles(t, e, tbl, newSnapshot(t, e)); len(got) != 1 {
		t.Fatalf("files: %v", got)
	}
	reads, hits := e.db.Tier.ManifestStats()
	if got := partitionFiles(t, e, tbl, newSnapshot(t, e)); len(got) != 1 {
		t.Fatalf("files: %v", got)
	}
	r, h := e.db.Tier.ManifestStats()
	return r == reads && h == hits+1
}

// doomedFamily returns a dropped column family: a batch writing to it
// fails before anything of it is applied.
func doomedFamily(t *testing.T, e *env) *kv.ColumnFamily {
	t.Helper()
	cf, err := e.kv.ColumnFamily("test_doomed")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.kv.DropColumnFamily("test_doomed"); err != nil {
		t.Fatal(err)
	}
	return cf
}

// TestFailedDropTableEndsItsManifestWrite: a DROP TABLE whose catalog
// batch fails ends the count of its table write, so the table's reads are
// answered from the cache again, and launches no cleanup job.
func TestFailedDropTableEndsItsManifestWrite(t *testing.T) {
	e := newEnv(t)
	withColdKey(t, e, "x")
	tbl, _ := e.db.Catalog.Snapshot().Table("n", "t")
	if !answersFromCache(t, e, tbl) {
		t.Fatal("before the drop: the settled entry did not answer")
	}
	doomed := doomedFamily(t, e)
	told := 0
	_, after, err := e.db.Catalog.DropTable("n", "t", "", false, func(b *kv.Batch, t *catalog.Table) (func(bool), error) {
		after, err := e.db.Tier.DropTable(b, t)
		b.Put(doomed, []byte("k"), []byte("v"))
		return func(committed bool) {
			told++
			if committed {
				e.t.Error("a failed batch reported as committed")
			}
			after(committed)
		}, err
	})
	if !errors.Is(err, kv.ErrDropped) || after != nil || told != 1 {
		t.Fatalf("the drop: %v, after %v, told %d times", err, after != nil, told)
	}
	if !answersFromCache(t, e, tbl) {
		t.Fatal("after the failed drop: the table's reads still miss the cache")
	}
	if got := e.root().rows("SELECT count(*) FROM system.jobs WHERE job_type = 'cleanup'"); got != `[[0]]` {
		t.Fatalf("cleanup jobs after a failed drop: %s", got)
	}
}

// TestFailedDropNamespaceEndsItsTablesManifestWrites: a DROP NAMESPACE
// whose work for a later table fails ends the count of the table writes
// the work of the earlier tables began; so does one whose batch fails.
func TestFailedDropNamespaceEndsItsTablesManifestWrites(t *testing.T) {
	e := newEnv(t)
	withColdKey(t, e, "x")
	e.root().must("CREATE TABLE n.u (id INT PRIMARY KEY, v TEXT)")
	tbl, _ := e.db.Catalog.Snapshot().Table("n", "t")
	if !answersFromCache(t, e, tbl) {
		t.Fatal("before the drop: the settled entry did not answer")
	}
	refused := errors.New("refused")
	tableWork := func(fail func(b *kv.Batch, t *catalog.Table) error) catalog.DropWork {
		return func(b *kv.Batch, t *catalog.Table) (func(bool), error) {
			if err := fail(b, t); err != nil {
				return nil, err
			}
			return e.db.Tier.DropTable(b, t)
		}
	}
	// The tables are dropped in name order: t's work runs, u's fails.
	laterFails := tableWork(func(_ *kv.Batch, t *catalog.Table) error {
		if t.Meta.TableName == "u" {
			return refused
		}
		return nil
	})
	if _, _, after, err := e.db.Catalog.DropNamespace("n", false, true, laterFails, e.db.Tier.DropNamespace); !errors.Is(err, refused) || after != nil {
		t.Fatalf("the drop: %v, after %v", err, after != nil)
	}
	if !answersFromCache(t, e, tbl) {
		t.Fatal("after a drop whose later table failed: the table's reads still miss the cache")
	}
	doomed := doomedFamily(t, e)
	batchFails := tableWork(func(b *kv.Batch, _ *catalog.Table) error {
		b.Put(doomed, []byte("k"), []byte("v"))
		return nil
	})
	if _, _, after, err := e.db.Catalog.DropNamespace("n", false, true, batchFails, e.db.Tier.DropNamespace); !errors.Is(err, kv.ErrDropped) || after != nil {
		t.Fatalf("the drop: %v, after %v", err, after != nil)
	}
	if !answersFromCache(t, e, tbl) {
		t.Fatal("after a failed batch: the table's reads still miss the cache")
	}
	if got := e.root().rows("SELECT count(*) FROM system.jobs WHERE job_type = 'cleanup'"); got != `[[0]]` {
		t.Fatalf("cleanup jobs after failed drops: %s", got)
	}
	if got := e.root().rows("SELECT count(*) FROM system.tables WHERE namespace_id = 'n'"); got != `[[2]]` {
		t.Fatalf("tables after failed drops: %s", got)
	}
}
