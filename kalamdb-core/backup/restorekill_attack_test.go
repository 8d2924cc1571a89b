package backup_test

import (
	"encoding/json"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// restoreDiesCopying runs RESTORE of app from location on s, whose
// storage faults make the job's goroutine exit (the process dies: nothing
// after runs, no rollback) as it starts writing its second copy of a
// backup file, and waits for that; then restarts s.
func restoreDiesCopying(t *testing.T, s *server, location string) {
	t.Helper()
	var files atomic.Int32
	var last atomic.Value
	died := make(chan struct{})
	// The tables' storage: the restore's copies of the backup's files.
	s.storageFaults = &cold.Faults{Write: func(p string, _ int) error {
		if prev, _ := last.Load().(string); prev != p {
			last.Store(p)
			if files.Add(1) == 2 {
				close(died)
				runtime.Goexit()
			}
		}
		return nil
	}}
	restoreUntilItDies(t, s, location, died)
	s.storageFaults = nil
	s.close()
	s.open()
}

// restoreUntilItDies reopens s (with the faults or failpoint the caller
// set), runs RESTORE of app from location and waits until died is
// closed: the restore's goroutine exited, as its process would.
func restoreUntilItDies(t *testing.T, s *server, location string, died <-chan struct{}) {
	t.Helper()
	s.close()
	s.open()
	res := s.must("RESTORE DATABASE app FROM '" + location + "'")
	ended := s.jobEnded(res[0].Rows[0][0].(string))
	select {
	case <-died:
	case j := <-ended:
		t.Fatalf("the restore ended before it died: %s %s", j.Status, j.ErrorMessage)
	}
}

// TestRestoreKilledWhileCopyingCanBeRunAgain: a restore whose process
// dies while it copies the backup's files leaves nothing visible: after
// the restart the namespace does not exist, its name is free, the job is
// failed ("interrupted", not run again), and RESTORE run again restores
// exactly the backup. What the dead restore copied is no table's: it
// must not be read, and must not stay in the tables' directories for
// good.
func TestRestoreKilledWhileCopyingCanBeRunAgain(t *testing.T) {
	root, want := backupOfFill(t)

	dst := newServer(t, root)
	dst.must("CREATE USER 'bob' WITH PASSWORD 'other-pw' ROLE user")
	restoreDiesCopying(t, dst, "app-1")
	if got := dst.rows("SELECT namespace_id FROM system.namespaces WHERE namespace_id = 'app'"); got != "" {
		t.Fatalf("the namespace of a restore that died is visible: %q", got)
	}
	if got := dst.rows("SELECT table_id FROM system.tables WHERE namespace_id = 'app'"); got != "" {
		t.Fatalf("tables of a restore that died are visible: %q", got)
	}
	if _, ok := dst.db.Catalog.UserByName("alice"); ok {
		t.Fatal("a user of a restore that died was created")
	}
	js := dst.must("SELECT status, error_message FROM system.jobs WHERE job_type = 'restore'")[0].Rows
	if len(js) != 1 || js[0][0] != string(systable.JobFailed) || !strings.Contains(js[0][1].(string), "interrupted") {
		t.Fatalf("the dead restore's job after the restart: %v", js)
	}
	// Nothing runs it again.
	waitAllJobs(t, dst)
	if got := dst.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'restore'"); got != "1\n" {
		t.Fatalf("restore jobs after the restart: %s", got)
	}
	// The start's recovery removed what it copied, before anything else
	// is written there.
	if rec := restoreRecovery(t, dst); rec.Removed == 0 || rec.Committed {
		t.Fatalf("the recovery of the dead restore: %+v", rec)
	}
	if left := parquetFiles(t, dst.dir+"/storage"); len(left) > 0 {
		t.Fatalf("after the recovery the storage holds %v", left)
	}

	dst.mustJob("RESTORE DATABASE app FROM 'app-1'")
	if got := dump(dst); got != want {
		t.Fatalf("the namespace restored again differs:\n got:\n%s\nwant:\n%s", got, want)
	}
	dst.mustJob("STORAGE FLUSH TABLE app.msgs")
	dst.mustJob("STORAGE COMPACT TABLE app.msgs")
	dst.mustJob("STORAGE COMPACT TABLE app.cfg")
	if got := dst.rows("EXECUTE AS USER 'alice' (SELECT count(*), count(DISTINCT id) FROM app.msgs)"); got != "5 5\n" {
		t.Fatalf("alice's rows after flush and compaction: %s", got)
	}
	dst.obsoleteRemoved() // the files the compactions replaced are not strays
	if stray := strayFiles(t, dst); len(stray) > 0 {
		t.Fatalf("the dead restore's copies %v stay in the tables' directories, listed by no manifest", stray)
	}
}

// restoreRecovery is the result of s's one completed recovery of a
// restore.
func restoreRecovery(t *testing.T, s *server) backup.RestoreRecovery {
	t.Helper()
	rows := s.must("SELECT result FROM system.jobs WHERE job_type = 'backup' AND status = 'completed'")[0].Rows
	if len(rows) != 1 {
		t.Fatalf("completed recoveries: %v; jobs:\n%s", rows, s.rows("SELECT job_type, status, error_message FROM system.jobs"))
	}
	var rec backup.RestoreRecovery
	if err := json.Unmarshal(rows[0][0].(json.RawMessage), &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// parquetFiles lists the Parquet files under dir (temporary ones
// included), relative to it.
func parquetFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, f := range files(t, dir) {
		if strings.HasSuffix(f, ".parquet") {
			out = append(out, f)
		}
	}
	return out
}

// TestRestoreStoppedGracefullyIsAllOrNothing: a graceful stop (a deploy)
// while a restore copies the backup's files. After the restart the
// namespace is either whole (the restore finished before it saw the
// stop) or absent, with nothing of it left in the tables' directories
// (the rollback ran), its job failed ("interrupted") and its name free:
// RESTORE run again restores exactly the backup.
func TestRestoreStoppedGracefullyIsAllOrNothing(t *testing.T) {
	root, want := backupOfFill(t)

	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var armed atomic.Bool
	dst := &server{t: t, dir: t.TempDir(), backupRoot: root}
	dst.storageFaults = &cold.Faults{Write: func(string, int) error {
		if armed.Load() {
			once.Do(func() { close(arrived); <-release })
		}
		return nil
	}}
	dst.open()
	t.Cleanup(dst.close)
	armed.Store(true)
	dst.must("RESTORE DATABASE app FROM 'app-1'")
	<-arrived
	jm := dst.db.Jobs
	closed := make(chan struct{})
	go func() { dst.close(); close(closed) }()
	untilStopped(jm)
	close(release)
	<-closed
	armed.Store(false)
	dst.open()

	status := dst.rows("SELECT status FROM system.jobs WHERE job_type = 'restore'")
	switch status {
	case "completed\n":
	case "failed\n":
		if got := dst.rows("SELECT namespace_id FROM system.namespaces WHERE namespace_id = 'app'"); got != "" {
			t.Fatalf("the namespace of a restore the stop interrupted is visible: %q", got)
		}
		if stray := strayFiles(t, dst); len(stray) > 0 {
			t.Fatalf("the interrupted restore left %v", stray)
		}
		dst.mustJob("RESTORE DATABASE app FROM 'app-1'")
	default:
		t.Fatalf("the restore job after the restart: %q", status)
	}
	if got := dump(dst); got != want {
		t.Fatalf("the restored namespace differs:\n got:\n%s\nwant:\n%s", got, want)
	}
	t.Logf("the stopped restore's job: %s", status)
}
