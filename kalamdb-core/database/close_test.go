package database_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestCloseWithinTheShutdownsDeadlineMarksASlowJob: the server's stop
// hook closes the database within the whole shutdown's deadline, which
// is shorter than Close's minute for the jobs: a job still running when
// the deadline nears has its row marked stopped before CloseContext
// returns (and the process exits), so the next start does not count a
// crash.
func TestCloseWithinTheShutdownsDeadlineMarksASlowJob(t *testing.T) {
	dir := t.TempDir()
	store, err := kv.Open(filepath.Join(dir, "rocksdb"), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	db, err := database.Open(store, database.Config{StorageDir: filepath.Join(dir, "storage"), BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	running, release := make(chan struct{}), make(chan struct{})
	id, err := db.Jobs.Submit(jobs.Spec{Type: jobs.TypeCleanup, Key: "k"}, func(context.Context, *jobs.Progress) (any, error) {
		close(running)
		<-release // slow to notice the stop
		return nil, context.Canceled
	})
	if err != nil {
		t.Fatal(err)
	}
	<-running
	// A shutdown with little time left: the jobs' wait ends at once.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := db.CloseContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CloseContext with a job ignoring the stop: %v, want the jobs' wait cut short", err)
	}
	tbl, err := systable.Open(store, systable.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	row, err := tbl.Get(id)
	close(release)
	if _, werr := db.Jobs.Wait(context.Background(), id); werr != nil { // its goroutine ends with the test
		t.Fatal(werr)
	}
	if err != nil || row.Status != systable.JobRunning || !row.Stopped {
		t.Fatalf("the slow job's row when CloseContext returned: %+v, %v; want running, marked stopped", row, err)
	}
}
