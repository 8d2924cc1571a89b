package jobs

import (
	"context"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// slowJobStopped submits a job that is slow to notice its cancellation
// (an index build or flush inside one large partition, a cleanup
// deleting many files from a slow object store), and stops m with a
// deadline that has passed while it runs: Stop returns an error and the
// job is still running. release lets the job return, with err.
func slowJobStopped(t *testing.T, m *Manager) (id string, release func(err error)) {
	t.Helper()
	running, ret := make(chan struct{}), make(chan error)
	id, err := m.Submit(Spec{Type: TypeCleanup, Key: "k"}, func(ctx context.Context, _ *Progress) (any, error) {
		close(running)
		return nil, <-ret // slow to notice the cancellation
	})
	if err != nil {
		t.Fatal(err)
	}
	<-running
	expired, cancel := context.WithCancel(context.Background())
	cancel() // the shutdown's deadline has passed
	if err := m.Stop(expired); err == nil {
		t.Fatal("Stop waited for a job that ignores its cancellation")
	}
	return id, func(err error) { ret <- err; m.wg.Wait() }
}

// TestAttackSlowGracefulStopDoesNotCountAsCrash: a graceful stop
// (SIGTERM, a deploy) cancels the running jobs and waits for them up to
// its deadline. A job still running then used to leave its row running
// with no Stopped mark when the process exited, and the next start
// counted a crash: three such deploys in a row gave the job up (a
// dropped table's cleanup no longer ran, an index being built was
// removed, a table's flushes were held), contrary to "a deploy loop of
// graceful stops never counts" (docs/architecture.md, Jobs). The stop,
// alive at its deadline, marks the row.
func TestAttackSlowGracefulStopDoesNotCountAsCrash(t *testing.T) {
	db := openDB(t, t.TempDir())
	m, _ := openManager(t, db, Options{Workers: 1})
	id, release := slowJobStopped(t, m)
	// The process exits here (main returns "shutdown: ..."): what the next
	// start finds is the row as it is now.
	_, interrupted, err := Open(db, Options{Workers: 1})
	release(context.Canceled) // the job's goroutine ends before the DB closes
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, j := range interrupted {
		if j.JobID == id {
			found = true
			if j.Crashes != 0 {
				t.Fatalf("a graceful stop counted as a crash: %d crashes, status %s, message %q", j.Crashes, j.Status, j.ErrorMessage)
			}
		}
	}
	if !found {
		t.Fatalf("the stopped job %s is not reported interrupted: %+v", id, interrupted)
	}
}

// TestSlowStopMarkDoesNotHideTheJobsEnd: a job that returns after the
// stop marked its row (the process lived on a little) records how it
// ended, over the mark: completed, it is not run again.
func TestSlowStopMarkDoesNotHideTheJobsEnd(t *testing.T) {
	db := openDB(t, t.TempDir())
	m, _ := openManager(t, db, Options{Workers: 1})
	id, release := slowJobStopped(t, m)
	release(nil)
	if j, err := m.table.Get(id); err != nil || j.Status != systable.JobCompleted {
		t.Fatalf("the job's row after it completed: %+v, %v", j, err)
	}
	_, interrupted, err := Open(db, Options{Workers: 1})
	if err != nil || len(interrupted) != 0 {
		t.Fatalf("interrupted after a job completed past the stop's deadline: %+v, %v", interrupted, err)
	}
}
