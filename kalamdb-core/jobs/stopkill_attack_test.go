package jobs

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestKillOfAQueuedJobWhileStopEndsIt: Stop takes the queue and ends its
// jobs one by one outside the lock; a KILL JOB of a queued job in that
// window must not end the job a second time (closing its done channel
// twice panics and takes the server down mid-shutdown). The kill is made
// from the clock Stop's first finish reads, so the interleaving is exact.
func TestKillOfAQueuedJobWhileStopEndsIt(t *testing.T) {
	db := openDB(t, t.TempDir())
	var (
		mu       sync.Mutex
		m        *Manager
		victim   string
		inStop   bool
		killDone bool
		killErr  error
	)
	now := func() time.Time {
		mu.Lock()
		fire := inStop && !killDone && victim != ""
		if fire {
			killDone = true
		}
		mu.Unlock()
		if fire {
			// Stop is inside finish of the first queued job and holds no
			// lock: a concurrent KILL JOB of the second lands here.
			killErr = m.Kill(victim)
		}
		return time.Now()
	}
	var err error
	m, _, err = Open(db, Options{Workers: 1, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	started := make(chan struct{})
	running, _ := m.Submit(Spec{Type: TypeCleanup, Key: "k"}, func(ctx context.Context, _ *Progress) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	<-started
	block := func(ctx context.Context, _ *Progress) (any, error) { <-ctx.Done(); return nil, ctx.Err() }
	first, _ := m.Submit(Spec{Type: TypeCleanup, Key: "k"}, block)
	second, _ := m.Submit(Spec{Type: TypeCleanup, Key: "k"}, block)
	mu.Lock()
	victim, inStop = second, true
	mu.Unlock()

	stopErr := make(chan any, 1)
	go func() {
		defer func() { stopErr <- recover() }()
		if err := m.Stop(context.Background()); err != nil {
			stopErr <- err
		}
	}()
	if p := <-stopErr; p != nil {
		t.Fatalf("Stop with a KILL JOB of a queued job racing it: %v", p)
	}
	if killErr != nil {
		t.Fatalf("kill during stop: %v", killErr)
	}
	if j, _ := m.table.Get(second); j.Status != systable.JobCancelled {
		t.Fatalf("the job killed during the stop: %+v, want cancelled", j)
	}
	for _, id := range []string{running, first} {
		if j, _ := m.table.Get(id); j.Status == systable.JobCancelled || j.Status == systable.JobFailed {
			t.Fatalf("job %s ended by the stop: %+v, want left for the next start", id, j)
		}
	}
}

// TestStopTwiceAndWithAnEndedContext: a second Stop returns at once, a
// Stop whose context already ended reports it and still leaves the rows
// for the next start, and nothing can be submitted after.
func TestStopTwiceAndWithAnEndedContext(t *testing.T) {
	db := openDB(t, t.TempDir())
	m, _, err := Open(db, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	started, release := make(chan struct{}), make(chan struct{})
	id, _ := m.Submit(Spec{Type: TypeFlush, Key: "k"}, func(ctx context.Context, _ *Progress) (any, error) {
		close(started)
		<-release // ignores its context for a while, as a slow upload does
		return nil, ctx.Err()
	})
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Stop(ctx); err == nil {
		t.Fatal("Stop with an ended context while a job runs: nil error")
	}
	if err := m.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	close(release)
	if _, err := m.Submit(Spec{Type: TypeFlush}, func(context.Context, *Progress) (any, error) { return nil, nil }); err == nil {
		t.Fatal("Submit after Stop accepted")
	}
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	defer wcancel()
	j, err := m.Wait(wctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != systable.JobRunning {
		t.Fatalf("job ended by a stop: %+v, want its row left running", j)
	}
}
