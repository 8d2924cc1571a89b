package jobs

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

func openManager(t *testing.T, db *kv.DB, o Options) (*Manager, []*systable.Job) {
	t.Helper()
	m, interrupted, err := Open(db, o)
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	t.Cleanup(func() { _ = m.Stop(context.Background()) })
	return m, interrupted
}

func openDB(t *testing.T, dir string) *kv.DB {
	t.Helper()
	db, err := kv.Open(dir, kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func wait(t *testing.T, m *Manager, id string) *systable.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	j, err := m.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestLifecycleAndResult(t *testing.T) {
	m, _ := openManager(t, openDB(t, t.TempDir()), Options{NodeID: "n1"})
	id, err := m.Submit(Spec{Type: TypeFlush, NamespaceID: "chat", TableName: "m", Key: "chat:m", Parameters: map[string]int{"x": 1}},
		func(ctx context.Context, p *Progress) (any, error) {
			p.AddRows(10)
			p.AddBytes(1234)
			return map[string]int{"files": 2}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	j := wait(t, m, id)
	if j.Status != systable.JobCompleted || j.RowsProcessed != 10 || j.BytesWritten != 1234 || string(j.Result) != `{"files":2}` ||
		string(j.Parameters) != `{"x":1}` || j.NodeID != "n1" || j.StartedAt.IsZero() || j.FinishedAt.IsZero() {
		t.Fatalf("job row: %+v", j)
	}
	id, _ = m.Submit(Spec{Type: TypeFlush}, func(context.Context, *Progress) (any, error) { return nil, errors.New("disk full") })
	if j := wait(t, m, id); j.Status != systable.JobFailed || j.ErrorMessage != "disk full" {
		t.Fatalf("failed job: %+v", j)
	}
	id, _ = m.Submit(Spec{Type: TypeFlush}, func(context.Context, *Progress) (any, error) { panic("bug") })
	if j := wait(t, m, id); j.Status != systable.JobFailed {
		t.Fatalf("panicking job: %+v", j)
	}
}

func TestSameKeyNeverRunsConcurrently(t *testing.T) {
	m, _ := openManager(t, openDB(t, t.TempDir()), Options{Workers: 4})
	var mu sync.Mutex
	running, maxRunning := 0, 0
	var ids []string
	for i := 0; i < 8; i++ {
		id, err := m.Submit(Spec{Type: TypeFlush, Key: "t1"}, func(ctx context.Context, _ *Progress) (any, error) {
			mu.Lock()
			running++
			maxRunning = max(maxRunning, running)
			mu.Unlock()
			time.Sleep(2 * time.Millisecond) // give an overlapping job a chance to start
			mu.Lock()
			running--
			mu.Unlock()
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if j := wait(t, m, id); j.Status != systable.JobCompleted {
			t.Fatalf("%+v", j)
		}
	}
	if maxRunning != 1 {
		t.Fatalf("%d jobs on one key ran at once", maxRunning)
	}
}

func TestKill(t *testing.T) {
	m, _ := openManager(t, openDB(t, t.TempDir()), Options{Workers: 1})
	started := make(chan struct{})
	running, _ := m.Submit(Spec{Type: TypeCompact, Key: "k"}, func(ctx context.Context, _ *Progress) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	queued, _ := m.Submit(Spec{Type: TypeCompact, Key: "k"}, func(context.Context, *Progress) (any, error) { return nil, nil })
	<-started
	if err := m.Kill(queued); err != nil {
		t.Fatal(err)
	}
	if err := m.Kill(running); err != nil {
		t.Fatal(err)
	}
	if j := wait(t, m, running); j.Status != systable.JobCancelled {
		t.Fatalf("running job after kill: %+v", j)
	}
	if j := wait(t, m, queued); j.Status != systable.JobCancelled || !j.StartedAt.IsZero() {
		t.Fatalf("queued job after kill: %+v", j)
	}
	if err := m.Kill(running); !apierror.Is(err, apierror.SQLExecutionError) {
		t.Fatalf("kill of an ended job: %v", err)
	}
	if err := m.Kill("nope"); !apierror.Is(err, apierror.NotFound) {
		t.Fatalf("kill of an unknown job: %v", err)
	}
}

func TestRecoveryMarksInterruptedJobsFailed(t *testing.T) {
	dir := t.TempDir()
	db, err := kv.Open(dir, kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tbl, _ := systable.Open(db, systable.Jobs)
	for _, j := range []*systable.Job{{JobID: "a", Status: systable.JobRunning, JobType: TypeFlush, TableName: "t"},
		{JobID: "b", Status: systable.JobQueued}, {JobID: "c", Status: systable.JobCompleted}} {
		if err := tbl.Put(j); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	m, interrupted := openManager(t, openDB(t, dir), Options{})
	if len(interrupted) != 2 || interrupted[0].JobID != "a" || interrupted[0].TableName != "t" {
		t.Fatalf("interrupted: %+v", interrupted)
	}
	// Rewritten only once their owners submitted them again.
	if j, _ := m.table.Get("a"); j.Status != systable.JobRunning {
		t.Fatalf("job a before EndInterrupted: %+v", j)
	}
	if err := m.EndInterrupted(interrupted); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if j, _ := m.table.Get(id); j.Status != systable.JobFailed || j.ErrorMessage == "" {
			t.Fatalf("job %s after recovery: %+v", id, j)
		}
	}
	if j, _ := m.table.Get("c"); j.Status != systable.JobCompleted {
		t.Fatalf("ended job changed by recovery: %+v", j)
	}
}

func TestPruneHistory(t *testing.T) {
	now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	m, _ := openManager(t, openDB(t, t.TempDir()), Options{HistoryRetention: 24 * time.Hour, Now: func() time.Time { return now }})
	for _, j := range []*systable.Job{{JobID: "old", Status: systable.JobCompleted, FinishedAt: now.Add(-48 * time.Hour)},
		{JobID: "new", Status: systable.JobFailed, FinishedAt: now.Add(-time.Hour)},
		{JobID: "run", Status: systable.JobRunning, StartedAt: now.Add(-72 * time.Hour)}} {
		if err := m.table.Put(j); err != nil {
			t.Fatal(err)
		}
	}
	n, err := m.PruneHistory()
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if _, err := m.table.Get("old"); err == nil {
		t.Fatal("old job kept")
	}
	if _, err := m.table.Get("run"); err != nil {
		t.Fatal("running job pruned")
	}
}

// TestStopLeavesJobsForTheNextStart: a graceful stop (a deploy) ends the
// running and queued jobs as a crash would, so the next start reports them
// interrupted and their owners submit them again (a dropped table's
// cleanup, an index build); only KILL JOB makes a job cancelled.
func TestStopLeavesJobsForTheNextStart(t *testing.T) {
	dir := t.TempDir()
	db, err := kv.Open(dir, kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := Open(db, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	started := make(chan struct{}, 2)
	block := func(ctx context.Context, _ *Progress) (any, error) {
		started <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	running, _ := m.Submit(Spec{Type: TypeCleanup, TableName: "t1", Key: "k1"}, block)
	<-started
	queued, _ := m.Submit(Spec{Type: TypeCleanup, TableName: "t2", Key: "k2"}, block)
	killed, _ := m.Submit(Spec{Type: TypeCleanup, TableName: "t3", Key: "k3"}, block)
	if err := m.Kill(killed); err != nil {
		t.Fatal(err)
	}
	if err := m.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	m2, interrupted := openManager(t, openDB(t, dir), Options{})
	got := map[string]bool{}
	for _, j := range interrupted {
		got[j.JobID] = true
	}
	if !got[running] || !got[queued] || got[killed] || len(got) != 2 {
		t.Fatalf("interrupted after a graceful stop: %v; want %s and %s, not the killed %s", got, running, queued, killed)
	}
	if j, _ := m2.table.Get(killed); j.Status != systable.JobCancelled {
		t.Fatalf("killed job after the restart: %+v", j)
	}
}
