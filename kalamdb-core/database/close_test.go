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
	id, release := runSlowJob(t, db)
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

// TestArmedJobsStopMarksASlowJobBeforeClose: the server's first stop
// hook arms the jobs' stop (StopJobsBefore); hooks that run before
// CloseContext (the HTTP and WebSocket drains) may take the whole
// deadline, after which CloseContext never runs. The armed stop marks
// the slow job's row 2 s before the deadline all the same, and a
// CloseContext that runs after it reports the jobs' wait cut short.
func TestArmedJobsStopMarksASlowJobBeforeClose(t *testing.T) {
	db, store := openStarted(t)
	id, release := runSlowJob(t, db)
	defer func() {
		close(release)
		if _, werr := db.Jobs.Wait(context.Background(), id); werr != nil { // its goroutine ends with the test
			t.Error(werr)
		}
	}()
	// 2 s before this deadline is now: the armed stop fires at once.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	db.StopJobsBefore(ctx)
	tbl, err := systable.Open(store, systable.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	for { // no CloseContext: a drain holds the stop hooks
		row, err := tbl.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if row.Stopped {
			if row.Status != systable.JobRunning {
				t.Fatalf("the slow job's row: %s, want running, marked stopped", row.Status)
			}
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := db.CloseContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("CloseContext after the armed stop: %v, want its wait cut short", err)
	}
}

// TestCloseDisarmsTheJobsStop: a CloseContext that runs well before the
// deadline stops the jobs itself, waiting for them; the armed stop never
// fires (it would leave a timer running past the close).
func TestCloseDisarmsTheJobsStop(t *testing.T) {
	db, _ := openStarted(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	db.StopJobsBefore(ctx)
	if err := db.CloseContext(ctx); err != nil {
		t.Fatalf("CloseContext with no job running: %v", err)
	}
}

// runSlowJob submits a job slow to notice the stop and returns once it
// runs; closing release lets it return.
func runSlowJob(t *testing.T, db *database.Database) (id string, release chan struct{}) {
	t.Helper()
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
	return id, release
}
