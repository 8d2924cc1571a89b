package tier

import (
	"context"
	"runtime"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestCleanupHandOnRefusedByAStopLeavesTheRunInterrupted: a run of a
// dropped table's bounded cleanup that reaches its bound hands the rest
// of the walk on to a new job. A graceful stop landing between the walk's
// last check of its context and the hand-on makes the hand-on refused
// ("shutting down"); the run must then stay interrupted, for the next
// start to run it again, not end failed, which ends the chain for good
// and leaves the table's files. (Failed before: the window is narrow,
// the walk does no I/O there, but it is there.)
func TestCleanupHandOnRefusedByAStopLeavesTheRunInterrupted(t *testing.T) {
	dir := t.TempDir()
	db, err := kv.Open(dir, kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	jm, _, err := jobs.Open(db, jobs.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	jm.Start()
	m := &Manager{jobs: jm, db: db}
	started, bound := make(chan struct{}), make(chan struct{})
	p := cleanupParams{StorageID: "local", Incarnation: "0123456789ab"}
	id, err := jm.Submit(jobs.Spec{Type: jobs.TypeCleanup, NamespaceID: "app", TableName: "t", Key: "app:t", Parameters: p},
		func(ctx context.Context, _ *jobs.Progress) (any, error) {
			close(started)
			<-bound // the walk checked its context and reached its bound
			return m.continueCleanup(ctx, "app", "t", p, "u_2/", &cleanupResult{Partitions: 1})
		})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- jm.Stop(context.Background()) }()
	for { // the stop has cancelled the jobs once it refuses new ones
		if _, err := jm.Submit(jobs.Spec{Type: "probe"}, func(context.Context, *jobs.Progress) (any, error) { return nil, nil }); err != nil {
			break
		}
		runtime.Gosched()
	}
	close(bound)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = kv.Open(dir, kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, interrupted, err := jobs.Open(db, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range interrupted {
		// The run itself, or the job it recorded to go on with (the
		// hand-on is written before it is launched, so a stop that
		// refuses the launch leaves it queued): either way the next
		// start walks on.
		if j.JobID == id || j.JobType == jobs.TypeCleanup {
			return
		}
	}
	tbl, err := systable.Open(db, systable.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	jt, err := tbl.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	t.Fatalf("a cleanup run whose hand-on a stop refused is not interrupted but %s: %s", jt.Status, jt.ErrorMessage)
}
