package backup_test

import (
	"context"
	"encoding/json"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// dropWhoseCleanupNeverRan drops app.cfg (a SHARED table with one flushed
// file) as if the process died right after the drop committed: the jobs
// service is stopped first, so the cleanup job the drop recorded stays
// queued and never runs. It returns the table's directory, which still
// holds the table's files.
func dropWhoseCleanupNeverRan(t *testing.T, s *server) string {
	t.Helper()
	sharedTableWithAFile(s)
	if err := s.db.Jobs.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.must("DROP TABLE app.cfg")
	dir := filepath.Join(s.dir, "storage", "app", "cfg")
	if len(files(t, dir)) == 0 {
		t.Fatal("the dropped table's files are gone before any cleanup ran")
	}
	return dir
}

// TestInterruptedCleanupSurvivesAStartThatFailed: the jobs a crash or a
// stop left are marked failed when the store opens (jobs.Open) and run
// again only when the database starts (Tier.Retry). A start that failed in
// between (a later module's bad configuration, a crash during the start)
// consumed them: the next start found them failed and ran nothing, and
// the dropped table's files stayed for good, with no job left to remove
// them and no statement to ask for one. Now their rows are rewritten only
// after the retry was submitted (jobs.EndInterrupted).
func TestInterruptedCleanupSurvivesAStartThatFailed(t *testing.T) {
	s := newServer(t, t.TempDir())
	dir := dropWhoseCleanupNeverRan(t, s)
	s.close()

	// A start that gets as far as opening the database, then fails.
	store, db := s.openUnstarted()
	_ = db.Close()
	_ = store.Close()

	s.open()
	waitAllJobs(t, s)
	if left := files(t, dir); len(left) != 0 {
		t.Fatalf("after a start that failed, then one that did not, the dropped table's directory keeps %s; jobs:\n%s",
			strings.Join(left, ", "), s.rows("SELECT job_id, status, error_message FROM system.jobs WHERE job_type = 'cleanup'"))
	}
}

// TestInterruptedCleanupRunsAfterARestart: the same drop, then a plain
// restart, removes the table's files (the control for the test above).
func TestInterruptedCleanupRunsAfterARestart(t *testing.T) {
	s := newServer(t, t.TempDir())
	dir := dropWhoseCleanupNeverRan(t, s)
	s.close()
	s.open()
	waitAllJobs(t, s)
	if left := files(t, dir); len(left) != 0 {
		t.Fatalf("after a restart the dropped table's directory keeps %v", left)
	}
}

// TestInterruptedJobWithUnreadableParametersDoesNotStopTheStart: a
// cleanup job left running whose parameters this version cannot read (a
// row from another version, a damaged one) cannot be run again. The start
// must not fail on it, at this start or any later one: it is recorded
// failed, saying why, and the database starts.
func TestInterruptedJobWithUnreadableParametersDoesNotStopTheStart(t *testing.T) {
	s := newServer(t, t.TempDir())
	s.close()
	store, err := kv.Open(s.dir+"/rocksdb", kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	jobsTable, err := systable.Open(store, systable.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	bad := &systable.Job{JobID: "cleanup-unreadable", JobType: "cleanup", Status: systable.JobRunning, NamespaceID: "app",
		TableName: "gone", Parameters: json.RawMessage(`{"files": 5}`), CreatedAt: time.Now().UTC()}
	if err := jobsTable.Put(bad); err != nil {
		t.Fatal(err)
	}
	_ = store.Close()

	for range 2 { // this start, and the next
		store, db := s.openUnstarted()
		startErr := db.Start()
		_ = db.Close()
		_ = store.Close()
		if startErr != nil {
			t.Fatalf("start with an interrupted job of unreadable parameters: %v", startErr)
		}
	}
	s.open()
	got := s.rows("SELECT status, error_message FROM system.jobs WHERE job_id = 'cleanup-unreadable'")
	if !strings.HasPrefix(got, "failed ") || !strings.Contains(got, "not run again") {
		t.Fatalf("the unreadable job after the start: %q", got)
	}
}

// TestStoppedCleanupKeepsTheFilesOfTheTableCreatedAgain: a graceful stop
// while a dropped table's cleanup is removing its files, after a table
// was created again under the name, written and its flush queued (behind
// the cleanup: they share the table's key). The next start runs both
// again, in whatever order: the cleanup removes the dropped table's file,
// and nothing of the new table's, which reads its rows exactly.
func TestStoppedCleanupKeepsTheFilesOfTheTableCreatedAgain(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s := &server{t: t, dir: t.TempDir(), backupRoot: t.TempDir()}
	var armed atomic.Bool
	s.storageFaults = &cold.Faults{BeforeRemove: func(p string) error {
		if armed.Load() && strings.HasSuffix(p, ".parquet") {
			once.Do(func() { close(arrived); <-release })
		}
		return nil
	}}
	s.open()
	t.Cleanup(s.close)
	sharedTableWithAFile(s)
	dir := filepath.Join(s.dir, "storage", "app", "cfg")
	old := files(t, dir)
	armed.Store(true)
	s.must("DROP TABLE app.cfg")
	<-arrived
	s.must(`CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC');
		INSERT INTO app.cfg (k, v) VALUES ('c', 'new'), ('d', 'new')`)
	s.must("STORAGE FLUSH TABLE app.cfg") // queued behind the cleanup

	jm := s.db.Jobs
	closed := make(chan struct{})
	go func() { s.close(); close(closed) }()
	untilStopped(jm)
	close(release)
	<-closed

	s.open()
	for range 3 { // the cleanup may hand on
		waitAllJobs(t, s)
	}
	if got := s.rows("SELECT k, v FROM app.cfg ORDER BY k"); got != "c new\nd new\n" {
		t.Fatalf("the table created again reads %q", got)
	}
	left := files(t, dir)
	for _, f := range old {
		if slices.Contains(left, f) && strings.HasSuffix(f, ".parquet") {
			t.Errorf("the dropped table's file %s stays", f)
		}
	}
	if len(left) != 2 { // the new table's batch file and manifest.json
		t.Errorf("the directory holds %v, want the new table's batch file and manifest.json", left)
	}
	if got := s.rows("SELECT count(*) FROM app.cfg WHERE k IN ('c', 'd')"); got != "2\n" {
		t.Errorf("the new table's rows: %s", got)
	}
	if got := s.rows("SELECT job_type, status FROM system.jobs WHERE error_message LIKE 'interrupted%' AND job_type <> 'probe' ORDER BY job_type"); got != "cleanup failed\nflush failed\n" {
		t.Errorf("the jobs the stop interrupted: %q, want the cleanup and the queued flush", got)
	}
	if t.Failed() {
		t.Logf("jobs:\n%s", s.rows("SELECT job_id, job_type, status, error_message FROM system.jobs WHERE job_type <> 'probe' ORDER BY created_at"))
	}
}

// untilStopped returns once a Stop of jm has cancelled its jobs: it
// refuses new ones from the same moment. Its probes are jobs of type
// "probe".
func untilStopped(jm *jobs.Manager) {
	for {
		if _, err := jm.Submit(jobs.Spec{Type: "probe"}, func(context.Context, *jobs.Progress) (any, error) { return nil, nil }); err != nil {
			return
		}
		runtime.Gosched()
	}
}

// TestCrashBetweenRetryAndEndInterruptedRunsTheCleanupOnce: a start
// submits the interrupted jobs again, then records the old rows failed; a
// crash in between leaves the old row and its retry both queued. The next
// start must run one chain of the drop's cleanup, not two.
func TestCrashBetweenRetryAndEndInterruptedRunsTheCleanupOnce(t *testing.T) {
	s := newServer(t, t.TempDir())
	dir := dropWhoseCleanupNeverRan(t, s)
	s.close()

	// A start that got as far as Tier.Retry: the jobs service is not
	// started, so the retry stays queued, as does the old row.
	store, db := s.openUnstarted()
	jobsTable, err := systable.Open(store, systable.Jobs)
	if err != nil {
		t.Fatal(err)
	}
	all, err := jobsTable.ScanAll()
	if err != nil {
		t.Fatal(err)
	}
	var left []*systable.Job
	for _, j := range all {
		if j.Status == systable.JobQueued || j.Status == systable.JobRunning {
			left = append(left, j)
		}
	}
	if len(left) != 1 {
		t.Fatalf("jobs left by the stop: %d, want the drop's cleanup", len(left))
	}
	if err := db.Tier.Retry(left); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	_ = store.Close()

	s.open()
	for range 3 {
		waitAllJobs(t, s)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("the dropped table's directory keeps %v", got)
	}
	if got := s.rows("SELECT status, count(*) FROM system.jobs WHERE job_type = 'cleanup' GROUP BY status ORDER BY status"); got != "completed 1\nfailed 2\n" {
		t.Fatalf("cleanup jobs: %q, want one run (completed) and the two interrupted rows failed:\n%s", got,
			s.rows("SELECT job_id, status, error_message FROM system.jobs WHERE job_type = 'cleanup' ORDER BY created_at"))
	}
}
