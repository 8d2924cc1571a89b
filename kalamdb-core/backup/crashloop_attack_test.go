package backup_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
)

// dieAt is a failpoint hook under which the job reaching point p while
// armed dies with the process: died is told, and nothing after the point
// runs (its row stays running, as a crash leaves it).
func dieAt(p string, armed *atomic.Bool, died chan<- struct{}) func(string) {
	return func(at string) {
		if at == p && armed.Load() {
			died <- struct{}{}
			runtime.Goexit()
		}
	}
}

// serverDyingAt opens a server (JobMaxStartRetries maxRetries, 0: the
// default) whose job reaching failpoint p while armed dies (dieAt).
func serverDyingAt(t *testing.T, p string, maxRetries int) (s *server, armed *atomic.Bool, died chan struct{}) {
	t.Helper()
	died, armed = make(chan struct{}, 1), new(atomic.Bool)
	s = &server{t: t, dir: t.TempDir(), backupRoot: t.TempDir(), maxStartRetries: maxRetries}
	s.failpoint = dieAt(p, armed, died)
	s.open()
	t.Cleanup(s.close)
	return s, armed, died
}

// flushThatDies gives s a table app.cfg with a file and a hot row, and
// starts its flush armed, which dies before it writes; query reads the
// table, which reads want whatever becomes of the flush.
func flushThatDies(s *server, armed *atomic.Bool, died <-chan struct{}) (query, want string) {
	s.t.Helper()
	query, want = sharedTableWithAFile(s) // its flush ran before the job went bad
	s.must("INSERT INTO app.cfg (k, v) VALUES ('c', '3')")
	armed.Store(true)
	s.must("STORAGE FLUSH TABLE app.cfg")
	<-died
	return query, want + "c 3\n"
}

// TestAJobThatKillsTheServerIsNotRetriedForever: a job whose work kills
// the process (here a flush dying before it writes its file; in life a
// crash in the store's C code, an out-of-memory kill on a huge partition)
// is left running, so each start runs it again, and dies again. A retry
// that is not bounded is a crash loop no statement can end: KILL JOB
// needs the server up, and the job starts with it. A bounded retry ends
// the loop: the job's work has killed the process jobs.DefaultMaxStartRetries
// times, and the start after does not run it; system.jobs says so, and
// what to do (the flush, run by hand, works once the cause is gone).
func TestAJobThatKillsTheServerIsNotRetriedForever(t *testing.T) {
	s, armed, died := serverDyingAt(t, tier.FailFlushBeforeWrite, 0)
	query, want := flushThatDies(s, armed, died)
	deaths := restartUntilNotRun(s, "flush", died)
	if deaths != jobs.DefaultMaxStartRetries {
		t.Fatalf("the flush killed the server %d times, want %d; jobs:\n%s", deaths, jobs.DefaultMaxStartRetries,
			s.rows("SELECT job_id, status, error_message FROM system.jobs WHERE job_type = 'flush' ORDER BY created_at"))
	}
	if got := s.rows(query); got != want {
		t.Fatalf("after the loop the table reads:\n%s\nwant:\n%s", got, want)
	}
	// What users see: the last attempt failed, saying why it is not run
	// again and what to do.
	msg := s.rows("SELECT error_message FROM system.jobs WHERE job_type = 'flush' AND status = 'failed' AND error_message LIKE '%not run again%'")
	wantMsg := "interrupted 3 times in a row by a crash (each start ran it again): not run again; STORAGE FLUSH TABLE app.cfg flushes the table again"
	if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, wantMsg) {
		t.Fatalf("system.jobs says %q, want one row saying %q", msg, wantMsg)
	}
	// The two before it were interrupted once and twice, and ran again.
	earlier := s.rows("SELECT error_message FROM system.jobs WHERE job_type = 'flush' AND status = 'failed' AND error_message NOT LIKE '%not run again%' ORDER BY created_at")
	for _, n := range []string{"interrupted once in a row by a crash (at 3 it is no longer run again)", "interrupted 2 times in a row by a crash"} {
		if !strings.Contains(earlier, n) {
			t.Errorf("the earlier attempts' messages do not say %q:\n%s", n, earlier)
		}
	}
	armed.Store(false)
	s.mustJob("STORAGE FLUSH TABLE app.cfg")
	if got := s.rows(query); got != want {
		t.Fatalf("after the flush run by hand the table reads:\n%s\nwant:\n%s", got, want)
	}
}

// restartUntilNotRun restarts s, after a job of type typ killed it
// (died told), until a start does not run the job again, or five did;
// it returns how many times the job killed the server.
func restartUntilNotRun(s *server, typ string, died <-chan struct{}) int {
	s.t.Helper()
	deaths := 1
	for range 5 {
		s.close()
		s.open()
		if s.rows(fmt.Sprintf("SELECT count(*) FROM system.jobs WHERE job_type = '%s' AND status IN ('queued', 'running')", typ)) == "0\n" {
			break // not run again: the loop ended
		}
		<-died
		deaths++
	}
	return deaths
}

// TestAGivenUpFlushIsNotStartedAgainByItsPolicy: the table's flush
// policy would start the flush that kills the server again (and with it
// the crashes) within its interval; it holds off, across restarts, until
// a flush is asked for by hand.
func TestAGivenUpFlushIsNotStartedAgainByItsPolicy(t *testing.T) {
	s, armed, died := serverDyingAt(t, tier.FailFlushBeforeWrite, 0)
	query, want := flushThatDies(s, armed, died)
	s.must("ALTER TABLE app.cfg SET TBLPROPERTIES (FLUSH_POLICY = 'rows:1')")
	if deaths := restartUntilNotRun(s, "flush", died); deaths != jobs.DefaultMaxStartRetries {
		t.Fatalf("the flush killed the server %d times", deaths)
	}
	flushes := func() string {
		return s.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'flush'")
	}
	before := flushes()
	for range 2 { // this start, and the next
		if err := s.db.Tier.RunFlushPolicies(time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := flushes(); got != before {
			t.Fatalf("the policy started the flush given up again: %s flush jobs, were %s", strings.TrimSpace(got), strings.TrimSpace(before))
		}
		s.close()
		s.open()
	}
	armed.Store(false)
	s.mustJob("STORAGE FLUSH TABLE app.cfg") // by hand: the policy applies again
	s.must("INSERT INTO app.cfg (k, v) VALUES ('d', '4')")
	want += "d 4\n"
	before = flushes()
	if err := s.db.Tier.RunFlushPolicies(time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := flushes(); got == before {
		t.Fatal("after a flush by hand, the policy still holds off")
	}
	waitAllJobs(t, s)
	if got := s.rows(query); got != want {
		t.Fatalf("the table reads:\n%s\nwant:\n%s", got, want)
	}
}

// TestAJobInterruptedFewerTimesIsStillRetried: a flush that killed the
// server fewer times than the bound is run again at the next start, and
// completes once the cause is gone.
func TestAJobInterruptedFewerTimesIsStillRetried(t *testing.T) {
	s, armed, died := serverDyingAt(t, tier.FailFlushBeforeWrite, 0)
	query, want := flushThatDies(s, armed, died)
	for range jobs.DefaultMaxStartRetries - 2 {
		s.close()
		s.open() // runs it again: it dies again
		<-died
	}
	armed.Store(false)
	s.close()
	s.open() // interrupted DefaultMaxStartRetries-1 times: runs it again
	waitAllJobs(t, s)
	if got := s.rows("SELECT status, rows_processed FROM system.jobs WHERE job_type = 'flush' ORDER BY created_at"); !strings.HasSuffix(got, "completed 1\n") {
		t.Fatalf("the flushes: %q, want the last one completed, having flushed the row", got)
	}
	if got := s.rows("SELECT count(*) FROM system.jobs WHERE error_message LIKE '%not run again%'"); got != "0\n" {
		t.Fatalf("%s jobs given up", got)
	}
	if got := s.rows(query); got != want {
		t.Fatalf("the table reads:\n%s\nwant:\n%s", got, want)
	}
}

// TestAnIndexBuildThatKillsTheServerIsRemovedAtTheBound: an index build
// is resumed from the catalog (every index still building), not from its
// job; one that killed the server at the bound is not resumed, and its
// index is removed, as a failed build's is (left building with no job,
// the next start would resume it again). CREATE INDEX builds it again.
func TestAnIndexBuildThatKillsTheServerIsRemovedAtTheBound(t *testing.T) {
	s, armed, died := serverDyingAt(t, tier.FailIndexBuildBeforeWrite, 0)
	query, want := sharedTableWithAFile(s)
	armed.Store(true)
	s.must("CREATE INDEX cfg_v ON app.cfg (v)")
	<-died
	deaths := 1
	for range 5 {
		s.close()
		s.open()
		if _, _, ok := s.db.Catalog.Snapshot().Index("app", "cfg_v"); !ok {
			break
		}
		if got := s.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'index_build' AND status IN ('queued', 'running')"); got != "1\n" {
			t.Fatalf("the index is still building, and %s builds are queued or running", strings.TrimSpace(got))
		}
		<-died
		deaths++
	}
	if deaths != jobs.DefaultMaxStartRetries {
		t.Fatalf("the build killed the server %d times, want %d", deaths, jobs.DefaultMaxStartRetries)
	}
	if _, _, ok := s.db.Catalog.Snapshot().Index("app", "cfg_v"); ok {
		t.Fatal("the index whose build is not run again is still there")
	}
	msg := s.rows("SELECT error_message FROM system.jobs WHERE job_type = 'index_build' AND error_message LIKE '%not run again%'")
	if !strings.Contains(msg, "interrupted 3 times in a row by a crash") || !strings.Contains(msg, "the index cfg_v was removed: CREATE INDEX builds it again") {
		t.Fatalf("system.jobs says %q", msg)
	}
	if got := s.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'index_build' AND status IN ('queued', 'running')"); got != "0\n" {
		t.Fatalf("%s index builds still queued or running", got)
	}
	if got := s.rows(query); got != want {
		t.Fatalf("the table reads:\n%s\nwant:\n%s", got, want)
	}
	armed.Store(false)
	s.must("CREATE INDEX cfg_v ON app.cfg (v)")
	waitAllJobs(t, s)
	if got := s.rows("SELECT k FROM app.cfg WHERE v = '2'"); got != "b\n" {
		t.Fatalf("the index built again answers %q", got)
	}
	s.close()
	s.open() // nothing left to resume or remove
	if _, def, ok := s.db.Catalog.Snapshot().Index("app", "cfg_v"); !ok || !def.Ready() {
		t.Fatal("the index built again is gone or not ready after a restart")
	}
}

// dropWhoseCleanupRemoves opens a server, gives it a table app.cfg with
// a file and drops it: each removal of a Parquet file by the storage
// (the drop's cleanup) calls remove first, whose error fails it. It
// returns the table's directory.
func dropWhoseCleanupRemoves(t *testing.T, remove func() error) (*server, string) {
	t.Helper()
	var armed atomic.Bool
	s := &server{t: t, dir: t.TempDir(), backupRoot: t.TempDir()}
	s.storageFaults = &cold.Faults{BeforeRemove: func(p string) error {
		if armed.Load() && strings.HasSuffix(p, ".parquet") {
			return remove()
		}
		return nil
	}}
	s.open()
	t.Cleanup(s.close)
	sharedTableWithAFile(s)
	armed.Store(true)
	s.must("DROP TABLE app.cfg")
	return s, filepath.Join(s.dir, "storage", "app", "cfg")
}

// TestACleanupThatKillsTheServerIsNotRetriedForever: a dropped table's
// cleanup that kills the server at each start ends at the bound, saying
// which files stay where.
func TestACleanupThatKillsTheServerIsNotRetriedForever(t *testing.T) {
	died := make(chan struct{}, 1)
	s, dir := dropWhoseCleanupRemoves(t, func() error {
		died <- struct{}{}
		runtime.Goexit()
		return nil
	})
	<-died
	deaths := restartUntilNotRun(s, "cleanup", died)
	if deaths != jobs.DefaultMaxStartRetries {
		t.Fatalf("the cleanup killed the server %d times, want %d", deaths, jobs.DefaultMaxStartRetries)
	}
	msg := s.rows("SELECT error_message FROM system.jobs WHERE job_type = 'cleanup' AND error_message LIKE '%not run again%'")
	if !strings.Contains(msg, "interrupted 3 times in a row by a crash") ||
		!strings.Contains(msg, "the files of the dropped table app.cfg stay in storage local ("+filepath.Join(s.dir, "storage")) {
		t.Fatalf("system.jobs says %q", msg)
	}
	if !slices.ContainsFunc(files(t, dir), func(f string) bool { return strings.HasSuffix(f, ".parquet") }) {
		t.Fatal("the file the message says stays is gone")
	}
}

// TestGracefulStopsDoNotEndACleanup: a deploy loop (graceful stops, more
// of them than the bound, each during the dropped table's cleanup) does
// not count as crashes: the cleanup is run again at each start, and
// completes at the first that lets it.
func TestGracefulStopsDoNotEndACleanup(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	var deploys atomic.Bool
	deploys.Store(true)
	s, dir := dropWhoseCleanupRemoves(t, func() error {
		if !deploys.Load() {
			return nil
		}
		arrived <- struct{}{}
		<-release
		return context.Canceled // the stop's cancel, as a slow removal sees it
	})
	stops := jobs.DefaultMaxStartRetries + 1
	for i := range stops {
		<-arrived
		jm := s.db.Jobs
		closed := make(chan struct{})
		go func() { s.close(); close(closed) }()
		untilStopped(jm)
		release <- struct{}{}
		<-closed
		if i == stops-1 {
			deploys.Store(false)
		}
		s.open()
		if i == stops-1 {
			break // it runs through now (checked below)
		}
		// The start submitted it again (or did not: then it never arrives).
		if got := s.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'cleanup' AND status IN ('queued', 'running')"); got != "1\n" {
			t.Fatalf("after graceful stop %d, %s cleanups queued or running:\n%s", i+1, strings.TrimSpace(got),
				s.rows("SELECT job_id, status, error_message FROM system.jobs ORDER BY created_at"))
		}
	}
	for range 3 { // the cleanup may hand on
		waitAllJobs(t, s)
	}
	if got := s.rows("SELECT count(*) FROM system.jobs WHERE error_message LIKE '%not run again%' OR error_message LIKE '%by a crash%'"); got != "0\n" {
		t.Fatalf("%s jobs counted a graceful stop as a crash:\n%s", strings.TrimSpace(got), s.rows("SELECT job_id, status, error_message FROM system.jobs ORDER BY created_at"))
	}
	if got := s.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'cleanup' AND status = 'failed' AND error_message LIKE 'interrupted:%'"); got != fmt.Sprintf("%d\n", stops) {
		t.Fatalf("%s cleanups interrupted, want %d", strings.TrimSpace(got), stops)
	}
	if got := s.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'cleanup' AND status = 'completed'"); got == "0\n" {
		t.Fatal("the cleanup did not complete after the deploys")
	}
	if left := files(t, dir); slices.ContainsFunc(left, func(f string) bool { return strings.HasSuffix(f, ".parquet") }) {
		t.Fatalf("the dropped table's files stay: %v", left)
	}
}

// TestTheBoundIsTheConfigured: a database configured to run a crashed
// job again at most once does not run it at the second start after.
func TestTheBoundIsTheConfigured(t *testing.T) {
	s, armed, died := serverDyingAt(t, tier.FailFlushBeforeWrite, 1)
	flushThatDies(s, armed, died)
	s.close()
	s.open()
	if got := s.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'flush' AND status IN ('queued', 'running')"); got != "0\n" {
		t.Fatalf("%s flushes run again after one crash with a bound of 1", strings.TrimSpace(got))
	}
	msg := s.rows("SELECT error_message FROM system.jobs WHERE job_type = 'flush' AND error_message LIKE '%not run again%'")
	if !strings.HasPrefix(msg, "interrupted once in a row by a crash (each start ran it again): not run again; STORAGE FLUSH TABLE app.cfg") {
		t.Fatalf("system.jobs says %q", msg)
	}
}

// TestAGivenUpCompactionIsNotStartedAgainByAFlush: a flush that leaves a
// partition with many files starts a compaction; after a compaction that
// kills the server is given up, flushes no longer start one (which would
// start the crashes again), across restarts, until STORAGE COMPACT is run
// by hand.
func TestAGivenUpCompactionIsNotStartedAgainByAFlush(t *testing.T) {
	s, armed, died := serverDyingAt(t, tier.FailCompactBeforeWrite, 0)
	query, want := sharedTableWithAFile(s)
	compactions := func() string {
		return s.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'compact'")
	}
	// flushes adds files by flushes until the partition has enough for a
	// compaction after the last (it has one file, or several when held).
	k := 0
	flushes := func(n int) {
		for range n {
			k++
			s.must(fmt.Sprintf("INSERT INTO app.cfg (k, v) VALUES ('x%02d', 'x')", k))
			want += fmt.Sprintf("x%02d x\n", k)
			s.mustJob("STORAGE FLUSH TABLE app.cfg")
		}
	}
	armed.Store(true)
	s.must("STORAGE COMPACT TABLE app.cfg")
	<-died
	if deaths := restartUntilNotRun(s, "compact", died); deaths != jobs.DefaultMaxStartRetries {
		t.Fatalf("the compaction killed the server %d times", deaths)
	}
	if msg := s.rows("SELECT error_message FROM system.jobs WHERE job_type = 'compact' AND error_message LIKE '%not run again%'"); !strings.Contains(msg, "STORAGE COMPACT TABLE app.cfg compacts the table again") {
		t.Fatalf("system.jobs says %q", msg)
	}
	before := compactions()
	flushes(tier.DefaultCompactAfterFiles - 2)
	s.close()
	s.open()
	flushes(1) // the partition's files reach the count here
	if got := compactions(); got != before {
		t.Fatalf("a flush started the compaction given up again: %s compaction jobs, were %s", strings.TrimSpace(got), strings.TrimSpace(before))
	}
	armed.Store(false)
	s.mustJob("STORAGE COMPACT TABLE app.cfg") // by hand: flushes compact again
	before = compactions()
	flushes(tier.DefaultCompactAfterFiles - 1)
	waitAllJobs(t, s)
	if got := compactions(); got == before {
		t.Fatal("after a compaction by hand, flushes still do not start one")
	}
	if got := s.rows(query); got != want {
		t.Fatalf("the table reads:\n%s\nwant:\n%s", got, want)
	}
}
