package jobs

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestOpenCountsOnlyCrashedRunningJobs: a start raises the crash count of
// a job it finds running with no graceful stop recorded (its work may be
// what killed the process), and of no other: a queued job's work never
// began, and a graceful stop (a deploy) says nothing about the work.
func TestOpenCountsOnlyCrashedRunningJobs(t *testing.T) {
	dir := t.TempDir()
	db, err := kv.Open(dir, kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tbl, _ := systable.Open(db, systable.Jobs)
	for _, j := range []*systable.Job{
		{JobID: "crashed", JobType: TypeFlush, Status: systable.JobRunning, Crashes: 1},
		{JobID: "queued", JobType: TypeFlush, Status: systable.JobQueued, Crashes: 1},
		{JobID: "stopped", JobType: TypeFlush, Status: systable.JobRunning, Crashes: 1, Stopped: true},
		{JobID: "stopped-queued", JobType: TypeFlush, Status: systable.JobQueued, Crashes: 1, Stopped: true},
		{JobID: "restore", JobType: TypeRestore, Status: systable.JobRunning},
	} {
		if err := tbl.Put(j); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	m, interrupted := openManager(t, openDB(t, dir), Options{})
	want := map[string]int{"crashed": 2, "queued": 1, "stopped": 1, "stopped-queued": 1, "restore": 1}
	for _, j := range interrupted {
		if j.Crashes != want[j.JobID] || j.Stopped {
			t.Errorf("job %s after Open: crashes %d (want %d), stopped %v", j.JobID, j.Crashes, want[j.JobID], j.Stopped)
		}
		// A restore is not run again: its message speaks of no bound.
		if !strings.HasPrefix(j.ErrorMessage, "interrupted:") || strings.Contains(j.ErrorMessage, "by a crash") != (j.JobType != TypeRestore) {
			t.Errorf("job %s's message: %q", j.JobID, j.ErrorMessage)
		}
		delete(want, j.JobID)
	}
	if len(want) != 0 {
		t.Fatalf("not reported interrupted: %v", want)
	}
	if err := m.EndInterrupted(interrupted); err != nil {
		t.Fatal(err)
	}
	if j, _ := m.table.Get("crashed"); j.Crashes != 2 || j.Status != systable.JobFailed {
		t.Fatalf("the crashed job's row: %+v", j)
	}
}

// TestGracefulStopsDoNotCount: a job that a graceful stop ends, at every
// one of more starts than the bound, keeps a crash count of 0, so its
// owner runs it again each time (a deploy loop must not end a dropped
// table's cleanup for good); its retry carries the count.
func TestGracefulStopsDoNotCount(t *testing.T) {
	dir := t.TempDir()
	block := func(ctx context.Context, _ *Progress) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	crashes := 0
	for start := range DefaultMaxStartRetries + 2 {
		db, err := kv.Open(dir, kv.Options{})
		if err != nil {
			t.Fatal(err)
		}
		m, interrupted, err := Open(db, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		m.Start()
		if start > 0 {
			if len(interrupted) != 2 {
				t.Fatalf("start %d: interrupted %+v, want the running job and the queued one", start, interrupted)
			}
			for _, j := range interrupted {
				if j.Crashes != 0 || m.GiveUp(j, "nothing") {
					t.Fatalf("start %d: job %s counted %d crashes after graceful stops only", start, j.JobID, j.Crashes)
				}
				crashes = j.Crashes
			}
		}
		running := make(chan struct{})
		if _, err := m.Submit(Spec{Type: TypeCleanup, Key: "k", Crashes: crashes}, func(ctx context.Context, p *Progress) (any, error) {
			close(running)
			return block(ctx, p)
		}); err != nil {
			t.Fatal(err)
		}
		<-running
		if _, err := m.Submit(Spec{Type: TypeCleanup, Key: "k", Crashes: crashes}, block); err != nil {
			t.Fatal(err)
		}
		if err := m.EndInterrupted(interrupted); err != nil {
			t.Fatal(err)
		}
		if err := m.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
}

// TestGiveUpAtTheBound: GiveUp says no below the bound and leaves the
// message; at it, it says yes and the message says how many crashes, that
// the job is not run again, and the owner's remedy. A retry's row carries
// the count its Spec gives.
func TestGiveUpAtTheBound(t *testing.T) {
	m, _ := openManager(t, openDB(t, t.TempDir()), Options{MaxStartRetries: 2})
	j := &systable.Job{JobID: "j", Crashes: 1, ErrorMessage: "interrupted: x"}
	if m.GiveUp(j, "STORAGE FLUSH TABLE a.b") || j.ErrorMessage != "interrupted: x" {
		t.Fatalf("below the bound: gave up, or changed the message to %q", j.ErrorMessage)
	}
	j.Crashes = 2
	if !m.GiveUp(j, "STORAGE FLUSH TABLE a.b flushes it again") {
		t.Fatal("at the bound: not given up")
	}
	if want := "interrupted 2 times in a row by a crash (each start ran it again): not run again; STORAGE FLUSH TABLE a.b flushes it again"; j.ErrorMessage != want {
		t.Fatalf("message %q, want %q", j.ErrorMessage, want)
	}
	id, err := m.Submit(Spec{Type: TypeFlush, Crashes: 2}, func(context.Context, *Progress) (any, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	if row := wait(t, m, id); row.Crashes != 2 {
		t.Fatalf("the retry's row carries %d crashes, want 2", row.Crashes)
	}
}

// TestGivenUpIsTheLatestJobOfEachTable: a table's latest job of the type
// counts, and only when failed at the bound; a newer job (a flush by
// hand) ends it, whatever becomes of that job.
func TestGivenUpIsTheLatestJobOfEachTable(t *testing.T) {
	m, _ := openManager(t, openDB(t, t.TempDir()), Options{})
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, j := range []*systable.Job{
		{JobID: "a1", JobType: TypeFlush, NamespaceID: "n", TableName: "a", Status: systable.JobFailed, Crashes: 3, CreatedAt: at},
		{JobID: "b1", JobType: TypeFlush, NamespaceID: "n", TableName: "b", Status: systable.JobFailed, Crashes: 3, CreatedAt: at},
		{JobID: "b2", JobType: TypeFlush, NamespaceID: "n", TableName: "b", Status: systable.JobFailed, Crashes: 0, CreatedAt: at.Add(time.Second)},
		{JobID: "c1", JobType: TypeFlush, NamespaceID: "n", TableName: "c", Status: systable.JobFailed, Crashes: 2, CreatedAt: at},
		{JobID: "d1", JobType: TypeCompact, NamespaceID: "n", TableName: "d", Status: systable.JobFailed, Crashes: 3, CreatedAt: at},
	} {
		if err := m.table.Put(j); err != nil {
			t.Fatal(err)
		}
	}
	m.wrote() // written behind the manager's back: Open's view is stale
	given, err := m.GivenUp(TypeFlush)
	if err != nil {
		t.Fatal(err)
	}
	if len(given) != 1 || given[0].JobID != "a1" {
		t.Fatalf("given up: %+v, want a1 only", given)
	}
}

// TestPruneHistoryKeepsAGivenUpHold: a table's latest flush (or
// compaction) that a start gave up holds the table's flush policy (or
// its compactions) until one is run by hand; the hold is rebuilt at each
// start from that row (GivenUp). Pruned with the history after its
// retention, the hold would end by itself at the next start and the
// crashes come back: it stays while it is the table's latest. Older
// given-up jobs, and the latest when not given up, go as before.
func TestPruneHistoryKeepsAGivenUpHold(t *testing.T) {
	now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	m, _ := openManager(t, openDB(t, t.TempDir()), Options{HistoryRetention: 24 * time.Hour, Now: func() time.Time { return now }})
	old := now.Add(-48 * time.Hour)
	for _, j := range []*systable.Job{
		{JobID: "held-flush", JobType: TypeFlush, NamespaceID: "n", TableName: "a", Status: systable.JobFailed, Crashes: 3, CreatedAt: old, FinishedAt: old},
		{JobID: "held-compact", JobType: TypeCompact, NamespaceID: "n", TableName: "a", Status: systable.JobFailed, Crashes: 3, CreatedAt: old, FinishedAt: old},
		{JobID: "ended-by-hand", JobType: TypeFlush, NamespaceID: "n", TableName: "b", Status: systable.JobFailed, Crashes: 3, CreatedAt: old, FinishedAt: old},
		{JobID: "by-hand", JobType: TypeFlush, NamespaceID: "n", TableName: "b", Status: systable.JobCompleted, CreatedAt: old.Add(time.Second), FinishedAt: old.Add(time.Second)},
		{JobID: "done", JobType: TypeFlush, NamespaceID: "n", TableName: "c", Status: systable.JobCompleted, CreatedAt: old, FinishedAt: old},
	} {
		if err := m.table.Put(j); err != nil {
			t.Fatal(err)
		}
	}
	m.wrote() // written behind the manager's back: Open's view is stale
	before := map[string][]string{}
	for _, typ := range []string{TypeFlush, TypeCompact} {
		given, err := m.GivenUp(typ)
		if err != nil {
			t.Fatal(err)
		}
		before[typ] = ids(given)
	}
	n, err := m.PruneHistory()
	if err != nil || n != 3 {
		t.Fatalf("pruned %d, %v; want 3 (ended-by-hand, by-hand, done)", n, err)
	}
	for _, typ := range []string{TypeFlush, TypeCompact} {
		given, err := m.GivenUp(typ)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(given); !slices.Equal(got, before[typ]) {
			t.Errorf("given-up %ss after the prune: %q, before %q", typ, got, before[typ])
		}
	}
}
