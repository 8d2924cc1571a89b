package jobs

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// interruptedByID returns the job id among what a start (Open) reports
// interrupted, or nil.
func interruptedByID(interrupted []*systable.Job, id string) *systable.Job {
	for _, j := range interrupted {
		if j.JobID == id {
			return j
		}
	}
	return nil
}

// TestAttack15KilledSlowJobIsNotRunAgainAfterAStop: KILL JOB asks a job
// to end for good. A job slow to notice it (a flush inside a large
// partition, a cleanup deleting from a slow object store) is still
// running when a deploy's graceful stop reaches its deadline; markStopped
// leaves the killed job's row alone ("it was asked to end for good"), so
// the row stays running with no mark and the next start takes it for a
// crash: it counts one and hands it to its owner to run again. The job
// the user killed comes back, one crash nearer to being given up.
func TestAttack15KilledSlowJobIsNotRunAgainAfterAStop(t *testing.T) {
	db := openDB(t, t.TempDir())
	m, _ := openManager(t, db, Options{Workers: 1})
	running, ret := make(chan struct{}), make(chan error)
	id, err := m.Submit(Spec{Type: TypeFlush, NamespaceID: "app", TableName: "t", Key: "k"},
		func(ctx context.Context, _ *Progress) (any, error) {
			close(running)
			return nil, <-ret // slow to notice the kill, then the stop
		})
	if err != nil {
		t.Fatal(err)
	}
	<-running
	if err := m.Kill(id); err != nil {
		t.Fatal(err)
	}
	expired, cancel := context.WithCancel(context.Background())
	cancel() // the deploy's shutdown deadline passes while the job runs
	if err := m.Stop(expired); err == nil {
		t.Fatal("Stop waited for a job that ignores its cancellation")
	}
	// The process exits here: the next start sees the rows as they are.
	_, interrupted, err := Open(db, Options{Workers: 1})
	ret <- context.Canceled // the job's goroutine ends with the test
	m.wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if j := interruptedByID(interrupted, id); j != nil {
		t.Fatalf("a job killed by KILL JOB is run again by the next start, counted a crash: crashes %d, message %q", j.Crashes, j.ErrorMessage)
	}
}

// TestAttack15JobEndingDuringTheMarkKeepsItsStatus: a job that completes
// at the moment the stop's deadline passes races markStopped; whichever
// goes first, the row must end completed (its real status wins) and the
// next start must not run it again. Many rounds, to interleave both ways.
func TestAttack15JobEndingDuringTheMarkKeepsItsStatus(t *testing.T) {
	db := openDB(t, t.TempDir())
	for round := range 100 {
		m, _, err := Open(db, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		m.Start()
		running, ret := make(chan struct{}), make(chan error)
		id, err := m.Submit(Spec{Type: TypeCleanup, Key: "k"}, func(ctx context.Context, _ *Progress) (any, error) {
			close(running)
			return "done", <-ret
		})
		if err != nil {
			t.Fatal(err)
		}
		<-running
		expired, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); ret <- nil }() // completes now
		cancel()
		_ = m.Stop(expired)
		wg.Wait()
		m.wg.Wait()
		row, err := m.table.Get(id)
		if err != nil || row.Status != systable.JobCompleted {
			t.Fatalf("round %d: the row of a job that completed during the stop's mark: %+v, %v", round, row, err)
		}
	}
	_, interrupted, err := Open(db, Options{})
	if err != nil || len(interrupted) != 0 {
		t.Fatalf("jobs that completed are reported interrupted: %+v, %v", interrupted, err)
	}
}

// TestAttack15CrashDuringTheGracefulWaitCounts: a process killed while a
// graceful stop waits for a slow job (its work crashing the process, or
// an orchestrator's kill) never gets to mark it: the next start counts
// the crash.
func TestAttack15CrashDuringTheGracefulWaitCounts(t *testing.T) {
	db := openDB(t, t.TempDir())
	m, _ := openManager(t, db, Options{Workers: 1})
	running, ret := make(chan struct{}), make(chan error)
	id, err := m.Submit(Spec{Type: TypeCleanup, Key: "k", Crashes: 1}, func(ctx context.Context, _ *Progress) (any, error) {
		close(running)
		return nil, <-ret
	})
	if err != nil {
		t.Fatal(err)
	}
	<-running
	waiting, stopWait := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- m.Stop(waiting) }()
	// The process dies during the wait: the next start reads the rows now.
	_, interrupted, err := Open(db, Options{Workers: 1})
	stopWait()
	if serr := <-stopped; !errors.Is(serr, context.Canceled) {
		t.Errorf("Stop: %v", serr)
	}
	ret <- context.Canceled
	m.wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	j := interruptedByID(interrupted, id)
	if j == nil || j.Crashes != 2 {
		t.Fatalf("a crash during the graceful wait: %+v, want interrupted with 2 crashes", j)
	}
}

// TestAttack15LateMarkIsWrittenBeforeStopReturns: a job dispatched just
// before the stop whose running row was not yet written when the
// deadline passed used to be left to its own goroutine to mark. Stop
// returned and the process exited without waiting for that goroutine:
// between its write of the running row and its write of the marked one,
// the row was running with no mark, and the next start counted a crash.
// The running row is now written by startLocked under m.mu, so the row
// Stop leaves is marked whatever the goroutine does; here the goroutine
// is held after Stop returns (m.mu, which finish takes), as a
// descheduled goroutine is while main returns.
func TestAttack15LateMarkIsWrittenBeforeStopReturns(t *testing.T) {
	db := openDB(t, t.TempDir())
	for attempt := range 50 {
		m, _, err := Open(db, Options{Workers: 1}) // no dispatcher: the test starts the job
		if err != nil {
			t.Fatal(err)
		}
		ret := make(chan error, 1)
		id, err := m.Submit(Spec{Type: TypeCleanup, Key: "k"}, func(ctx context.Context, _ *Progress) (any, error) {
			return nil, <-ret
		})
		if err != nil {
			t.Fatal(err)
		}
		m.mu.Lock()
		e := m.queue[0]
		m.queue = nil
		m.startLocked(e) // as dispatch does, just before the stop
		m.mu.Unlock()
		expired, cancel := context.WithCancel(context.Background())
		cancel() // the deadline had passed when the stop began
		_ = m.Stop(expired)
		m.mu.Lock() // the job's goroutine can no longer end it
		row, err := m.table.Get(id)
		if err != nil {
			m.mu.Unlock()
			t.Fatal(err)
		}
		// Stop has returned: the process exits here.
		_, interrupted, err := Open(db, Options{Workers: 1})
		m.mu.Unlock()
		ret <- context.Canceled
		m.wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if row.Status != systable.JobRunning || !row.Stopped {
			t.Fatalf("attempt %d: the row a stop past its deadline leaves of a job it started just before: %s, stopped %v; want running, marked", attempt, row.Status, row.Stopped)
		}
		if j := interruptedByID(interrupted, id); j == nil || j.Crashes != 0 {
			t.Fatalf("attempt %d: a job a graceful stop ended, started just before it: %+v; want interrupted with no crash", attempt, j)
		}
	}
}

// TestAttack15RestartLoopOfSlowStopsAndACrash: a deploy loop, each stop
// reaching its deadline with the job still running (marked by the stop),
// with one real crash among them: the job is handed back at every start,
// its count raised by the crash alone; the starts' answers from Open's
// rows (Unfinished, GivenUp) are those of the rows.
func TestAttack15RestartLoopOfSlowStopsAndACrash(t *testing.T) {
	db := openDB(t, t.TempDir())
	spec := Spec{Type: TypeFlush, NamespaceID: "app", TableName: "t", Key: "app:t"}
	var release []chan error
	var managers []*Manager
	defer func() {
		for _, r := range release {
			r <- context.Canceled
		}
		for _, m := range managers {
			_ = m.Stop(context.Background()) // the crashed one's dispatcher
			m.wg.Wait()
		}
	}()
	wantCrashes := 0
	for start := range 8 {
		m, interrupted, err := Open(db, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		managers = append(managers, m)
		m.Start()
		if start > 0 {
			if len(interrupted) != 1 || interrupted[0].Crashes != wantCrashes {
				t.Fatalf("start %d: interrupted %+v, want the flush with %d crashes", start, interrupted, wantCrashes)
			}
			unfinished, err := m.Unfinished()
			if err != nil || len(unfinished) != 1 || unfinished[0].JobID != interrupted[0].JobID {
				t.Fatalf("start %d: unfinished %+v, %v", start, unfinished, err)
			}
			if given, err := m.GivenUp(TypeFlush); err != nil || len(given) != 0 {
				t.Fatalf("start %d: given up %+v, %v", start, given, err)
			}
			spec.Crashes = interrupted[0].Crashes
		}
		ret, running := make(chan error, 1), make(chan struct{})
		release = append(release, ret)
		if _, err := m.Submit(spec, func(ctx context.Context, _ *Progress) (any, error) {
			close(running)
			return nil, <-ret
		}); err != nil {
			t.Fatal(err)
		}
		if err := m.EndInterrupted(interrupted); err != nil {
			t.Fatal(err)
		}
		<-running
		if start == 4 {
			wantCrashes++ // the process dies: no stop
			continue
		}
		expired, cancel := context.WithCancel(context.Background())
		cancel()
		_ = m.Stop(expired)
	}
}
