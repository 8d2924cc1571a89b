package jobs

import (
	"context"
	"testing"
)

// TestAttackSlowGracefulStopCountsAsCrash: a graceful stop (SIGTERM, a
// deploy) cancels the running jobs and waits for them up to its
// deadline (database.Close: one minute; the server's whole shutdown:
// app.DefaultStopTimeout, 60 s). A job that takes longer to notice the
// cancellation (an index build or flush inside one large partition, a
// cleanup deleting many files from a slow object store) is still
// running when the process exits: its row says running with no Stopped
// mark, and the next start counts a crash. Three such deploys in a row
// give the job up (a dropped table's cleanup no longer runs, an index
// being built is removed, a table's flushes are held), contrary to
// "a deploy loop of graceful stops never counts" (docs/architecture.md,
// Jobs). (Stop could mark the rows of the jobs it cancels as stopped
// before it waits; a crash during the wait would then not count: a
// trade-off to decide, and to document either way.)
func TestAttackSlowGracefulStopCountsAsCrash(t *testing.T) {
	t.Skip("known limit (docs/architecture.md, Jobs): a graceful stop whose job outlives Stop's deadline leaves the row running without Stopped; " +
		"the next start counts a crash, and 3 such slow deploys give the job up")
	dir := t.TempDir()
	db := openDB(t, dir)
	m, _ := openManager(t, db, Options{Workers: 1})
	running, release := make(chan struct{}), make(chan struct{})
	id, err := m.Submit(Spec{Type: TypeCleanup, Key: "k"}, func(ctx context.Context, _ *Progress) (any, error) {
		close(running)
		<-release // slow to notice the cancellation
		return nil, ctx.Err()
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
	// The process exits here (main returns "shutdown: ..."): what the next
	// start finds is the row as it is now.
	_, interrupted, err := Open(db, Options{Workers: 1})
	close(release)
	m.wg.Wait() // the job's goroutine ends before the DB closes
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range interrupted {
		if j.JobID == id && j.Crashes != 0 {
			t.Fatalf("a graceful stop counted as a crash: %d crashes, status %s, message %q", j.Crashes, j.Status, j.ErrorMessage)
		}
	}
}
