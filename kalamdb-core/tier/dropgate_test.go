package tier

import (
	"fmt"
	"runtime"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// gateRig is a Manager with a catalog holding table n.t, and what a
// manifest commit of its partition of user a needs.
type gateRig struct {
	t   *testing.T
	m   *Manager
	tbl *catalog.Table
}

func newGateRig(t *testing.T) *gateRig {
	r := newManifestRig(t)
	cat, err := catalog.Open(r.m.db, catalog.Options{BcryptCost: bcrypt.MinCost, LocalStoragePath: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.CreateNamespace("n", false); err != nil {
		t.Fatal(err)
	}
	st := &dialect.CreateTable{Table: dialect.TableName{Namespace: "n", Name: "t"},
		Columns: []dialect.ColumnDef{{Name: "id", Type: dialect.DataType{Name: dialect.TypeInt}}}}
	if _, err := cat.CreateTable(st, nil); err != nil {
		t.Fatal(err)
	}
	r.m.cat = cat
	tbl, _ := cat.Snapshot().Table("n", "t")
	return &gateRig{t: t, m: r.m, tbl: tbl}
}

// commit commits a manifest of user a's partition listing file, as a job
// that noted seen, and reports whether the row is there after.
func (r *gateRig) commit(seen dropsSeen, file string) (listed bool, err error) {
	r.t.Helper()
	id := systable.ManifestID("n", "t", "a")
	var b kv.Batch
	mf := &systable.Manifest{ManifestID: id, NamespaceID: "n", TableName: "t", UserID: "a", NextBatch: 2,
		Files: []systable.ManifestFile{{Path: file, MaxSeq: 1}}}
	if err := r.m.manifests.PutInBatch(&b, mf); err != nil {
		r.t.Fatal(err)
	}
	err = r.m.commitPartitionManifest(&b, r.tbl, id, seen)
	got, getErr := r.m.manifests.Get(id)
	return getErr == nil && len(got.Files) == 1 && got.Files[0].Path == file, err
}

// TestDropGateStopsCommits: a manifest commit fails, writing nothing,
// while its table is being dropped, and once a drop of its table stripe
// (its own or another table's) has ended since its job noted the count;
// a job that began after commits.
func TestDropGateStopsCommits(t *testing.T) {
	r := newGateRig(t)
	id := r.tbl.Meta.TableID
	seen := r.m.drops.seen(id)
	end := r.m.drops.beginDrop(id)
	if listed, err := r.commit(seen, "during"); listed || !apierror.Is(err, apierror.TableNotFound) {
		t.Fatalf("during the drop: listed %v, %v", listed, err)
	}
	end()
	end() // idempotent: the drop's end runs once
	if listed, err := r.commit(seen, "after"); listed || !apierror.Is(err, apierror.SQLExecutionError) {
		t.Fatalf("after the drop (the table still there: the drop failed): listed %v, %v", listed, err)
	}
	if listed, err := r.commit(r.m.drops.seen(id), "fresh"); !listed || err != nil {
		t.Fatalf("a job begun after the drop: listed %v, %v", listed, err)
	}
	other := ""
	for i := 0; other == ""; i++ {
		if o := fmt.Sprintf("n:x%d", i); stripeHash(o)%tableStripes == stripeHash(id)%tableStripes {
			other = o
		}
	}
	seen = r.m.drops.seen(id)
	r.m.drops.beginDrop(other)()
	if listed, err := r.commit(seen, "other"); listed || !apierror.Is(err, apierror.SQLExecutionError) {
		t.Fatalf("after a drop of %s, same stripe: listed %v, %v", other, listed, err)
	}
	if len(r.m.drops.dropping)+len(r.m.drops.committing) != 0 {
		t.Fatalf("entries left: %v %v", r.m.drops.dropping, r.m.drops.committing)
	}
}

// TestDropGateWaitsForCommitsUnderWay: a drop that begins while a commit
// past its check is writing its batch returns only once the batch is
// written, so the drop reads the row the commit wrote.
func TestDropGateWaitsForCommitsUnderWay(t *testing.T) {
	r := newGateRig(t)
	id := r.tbl.Meta.TableID
	writing, release := make(chan struct{}), make(chan struct{})
	r.m.seams.write = func(b *kv.Batch) error {
		close(writing)
		<-release
		return r.m.db.Write(b)
	}
	committed := make(chan error, 1)
	go func() {
		_, err := r.commit(r.m.drops.seen(id), "under way")
		committed <- err
	}()
	<-writing
	dropped := make(chan bool, 1)
	go func() {
		defer r.m.drops.beginDrop(id)()
		_, err := r.m.manifests.Get(systable.ManifestID("n", "t", "a"))
		dropped <- err == nil
	}()
	// Wait (for a state, not a time) until the drop has marked the table;
	// it must then be waiting for the commit, not done.
	for marked := false; !marked; runtime.Gosched() {
		select {
		case <-dropped:
			close(release)
			t.Fatal("the drop went on while a commit was writing its batch")
		default:
		}
		r.m.drops.mu.Lock()
		marked = r.m.drops.dropping[id] > 0
		r.m.drops.mu.Unlock()
	}
	select {
	case <-dropped:
		close(release)
		t.Fatal("the drop went on while a commit was writing its batch")
	default:
	}
	close(release)
	if err := <-committed; err != nil {
		t.Fatal(err)
	}
	if !<-dropped {
		t.Fatal("the drop did not see the row the commit under way wrote")
	}
}
