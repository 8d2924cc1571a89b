package jobs

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// putHistory writes n ended jobs (flushes and compactions of 100 tables,
// a few failed at the bound) and a few a crash left queued or running:
// a start after a long history.
func putHistory(tb testing.TB, db *kv.DB, n int) {
	tb.Helper()
	tbl, err := systable.Open(db, systable.Jobs)
	if err != nil {
		tb.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b kv.Batch
	for i := range n {
		j := &systable.Job{JobID: fmt.Sprintf("h-%07d", i), JobType: []string{TypeFlush, TypeCompact}[i%2],
			NamespaceID: "app", TableName: fmt.Sprintf("t%d", i%100), Status: systable.JobCompleted,
			Parameters: []byte(`{"storage_id":"local"}`), Result: []byte(`{"rows":100,"files":["a/b/batch-1.parquet"]}`),
			CreatedAt: base.Add(time.Duration(i) * time.Second), FinishedAt: base.Add(time.Duration(i)*time.Second + time.Millisecond)}
		if i%1000 == 999 {
			j.Status, j.Crashes = systable.JobFailed, DefaultMaxStartRetries
		}
		if i >= n-3 {
			j.Status = []string{systable.JobQueued, systable.JobRunning, systable.JobRunning}[n-1-i]
		}
		if err := tbl.PutInBatch(&b, j); err != nil {
			tb.Fatal(err)
		}
		if i%5000 == 4999 {
			if err := tbl.Write(&b); err != nil {
				tb.Fatal(err)
			}
			b = kv.Batch{}
		}
	}
	if err := tbl.Write(&b); err != nil {
		tb.Fatal(err)
	}
}

// startUp asks what a database start asks of the jobs (database.Open,
// tier.Manager.Retry: the given-up flushes and compactions, the
// unfinished jobs for the cleanup file lists' sweep), then records the
// interrupted jobs failed (database.Start).
func startUp(tb testing.TB, db *kv.DB) (interrupted, flush, compact, unfinished []*systable.Job) {
	tb.Helper()
	m, interrupted, err := Open(db, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if flush, err = m.GivenUp(TypeFlush); err != nil {
		tb.Fatal(err)
	}
	if compact, err = m.GivenUp(TypeCompact); err != nil {
		tb.Fatal(err)
	}
	if unfinished, err = m.Unfinished(); err != nil {
		tb.Fatal(err)
	}
	return interrupted, flush, compact, unfinished
}

// BenchmarkStartUp100k: the jobs' part of a start over 100k rows of
// history (go test ./jobs/ -run '^$' -bench StartUp -benchtime 10x).
func BenchmarkStartUp100k(b *testing.B) {
	db, err := kv.Open(b.TempDir(), kv.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	putHistory(b, db, 100_000)
	b.ResetTimer()
	for range b.N {
		startUp(b, db)
	}
}

func ids(js []*systable.Job) []string {
	var out []string
	for _, j := range js {
		out = append(out, j.JobID)
	}
	slices.Sort(out)
	return out
}

// TestStartUpAnswersAsTheRows: what a start asks (interrupted, given up,
// unfinished) is what the rows say, the interrupted ones' rows still
// queued or running (they are rewritten only by EndInterrupted).
func TestStartUpAnswersAsTheRows(t *testing.T) {
	db := openDB(t, t.TempDir())
	putHistory(t, db, 3000)
	putGivenUp(t, db)
	interrupted, flush, compact, unfinished := startUp(t, db)
	want := []string{"h-0002997", "h-0002998", "h-0002999"}
	if got := ids(interrupted); !slices.Equal(got, want) {
		t.Errorf("interrupted %q, want %q", got, want)
	}
	if got := ids(unfinished); !slices.Equal(got, want) {
		t.Errorf("unfinished %q, want %q (their rows are not rewritten yet)", got, want)
	}
	for _, j := range unfinished {
		if j.Status != systable.JobQueued && j.Status != systable.JobRunning {
			t.Errorf("unfinished %s says %s", j.JobID, j.Status)
		}
	}
	if got := ids(flush); !slices.Equal(got, []string{"g-flush"}) {
		t.Errorf("given-up flushes %q, want [g-flush] (the failed compactions each have a later one)", got)
	}
	if got := ids(compact); len(got) != 0 {
		t.Errorf("given-up compactions %q, want none (each table has a later one)", got)
	}
}

// putGivenUp writes a flush of table app.gone that a start gave up.
func putGivenUp(t *testing.T, db *kv.DB) {
	t.Helper()
	tbl, err := systable.Open(db, systable.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	if err := tbl.Put(&systable.Job{JobID: "g-flush", JobType: TypeFlush, NamespaceID: "app", TableName: "gone",
		Status: systable.JobFailed, Crashes: DefaultMaxStartRetries, CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
}

// TestStartUpAnswersSeeRowsWrittenSinceOpen: GivenUp and Unfinished
// asked after jobs were recorded since Open see them: a newer flush of a
// given-up table ends its hold, and a job recorded with a caller's batch
// (a cleanup continuation with its file list) is unfinished.
func TestStartUpAnswersSeeRowsWrittenSinceOpen(t *testing.T) {
	db := openDB(t, t.TempDir())
	putHistory(t, db, 300)
	putGivenUp(t, db)
	m, _ := openManager(t, db, Options{})
	if given, err := m.GivenUp(TypeFlush); err != nil || !slices.Equal(ids(given), []string{"g-flush"}) {
		t.Fatalf("given up before: %q, %v", ids(given), err)
	}
	var b kv.Batch
	prepared, err := m.Prepare(&b, Spec{Type: TypeCleanup, NamespaceID: "app", TableName: "dropped"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(&b); err != nil {
		t.Fatal(err)
	}
	unfinished, err := m.Unfinished()
	if err != nil || !slices.Contains(ids(unfinished), prepared.JobID) {
		t.Fatalf("unfinished after a Prepare: %q, %v; want %s among them", ids(unfinished), err, prepared.JobID)
	}
	id, err := m.Submit(Spec{Type: TypeFlush, NamespaceID: "app", TableName: "gone"}, func(context.Context, *Progress) (any, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	wait(t, m, id)
	if given, err := m.GivenUp(TypeFlush); err != nil || len(given) != 0 {
		t.Fatalf("given up after a newer flush of the table: %q, %v; want none", ids(given), err)
	}
}
