package backup_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
)

// restoreDiesAt runs RESTORE of app from location on s (reopened first,
// with its failpoint set) and makes the job's goroutine exit (the process
// dies: nothing after runs, no rollback) the nth time it reaches crash
// point point. The caller restarts s.
func restoreDiesAt(t *testing.T, s *server, location, point string, n int32) {
	t.Helper()
	var hits atomic.Int32
	died := make(chan struct{})
	s.failpoint = func(p string) {
		if p == point && hits.Add(1) == n {
			close(died)
			runtime.Goexit()
		}
	}
	restoreUntilItDies(t, s, location, died)
	s.failpoint = nil
}

// backupOfFill fills a server's namespace app (fill), backs it up to
// app-1 under a new backup root, and returns the root and the dump of
// what was backed up.
func backupOfFill(t *testing.T) (root, want string) {
	t.Helper()
	root = t.TempDir()
	src := newServer(t, root)
	fill(src)
	want = dump(src)
	src.mustJob("BACKUP DATABASE app TO 'app-1'")
	return root, want
}

// backupFiles is how many Parquet files the backup at location under
// root holds.
func backupFiles(t *testing.T, root, location string) int32 {
	t.Helper()
	n := int32(0)
	for _, f := range files(t, root+"/"+location) {
		if strings.HasSuffix(f, ".parquet") {
			n++
		}
	}
	if n < 2 {
		t.Fatalf("the backup holds %d Parquet files", n)
	}
	return n
}

// TestRestoreKilledOnS3IsRecovered: a restore into tables of an s3
// storage whose process dies after it copied a file leaves objects no
// manifest lists; the next start's recovery deletes them, and RESTORE run
// again leaves exactly the objects its manifests list.
func TestRestoreKilledOnS3IsRecovered(t *testing.T) {
	store := newObjectStore(t)
	root := t.TempDir()
	src := newServer(t, root)
	src.must(store.createStorage("s3data", "src"))
	src.must(`CREATE USER 'bob' WITH PASSWORD 'bob-pw' ROLE user;
		CREATE NAMESPACE app;
		CREATE TABLE app.msgs (id BIGINT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER', STORAGE_ID = 's3data');
		CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', STORAGE_ID = 's3data', ACCESS_LEVEL = 'PUBLIC')`)
	src.must("EXECUTE AS USER 'bob' (INSERT INTO app.msgs (id, body) VALUES (1, 'a'), (2, 'b'))")
	src.must("INSERT INTO app.cfg (k, v) VALUES ('x', '1')")
	src.mustJob("STORAGE FLUSH TABLE app.msgs")
	src.mustJob("STORAGE FLUSH TABLE app.cfg")
	src.mustJob("BACKUP DATABASE app TO 'app-1'")

	dst := newServer(t, root)
	dst.must(store.createStorage("s3data", "dst"))
	dst.must("CREATE USER 'bob' WITH PASSWORD 'other-pw' ROLE user")
	tables := store.storage(t, "dst")
	restoreDiesAt(t, dst, "app-1", backup.FailRestoreAfterFile, 1)
	if got := s3Files(t, tables, "."); len(got) != 1 {
		t.Fatalf("the dead restore left %v, want its one copy", got)
	}
	dst.close()
	dst.open()
	waitAllJobs(t, dst)
	if rec := restoreRecovery(t, dst); rec.Removed != 1 || rec.Partitions == 0 {
		t.Fatalf("the recovery of the dead restore: %+v", rec)
	}
	if got := s3Files(t, tables, "."); len(got) != 0 {
		t.Fatalf("after the recovery the storage holds %v", got)
	}

	dst.mustJob("RESTORE DATABASE app FROM 'app-1'")
	if got := dst.rows("EXECUTE AS USER 'bob' (SELECT id, body FROM app.msgs ORDER BY id)"); got != "1 a\n2 b\n" {
		t.Fatalf("bob's rows after the restore: %q", got)
	}
	var listed strings.Builder
	for _, r := range dst.must("SELECT files FROM system.manifest WHERE namespace_id = 'app'")[0].Rows {
		listed.Write(r[0].(json.RawMessage))
	}
	for f := range s3Files(t, tables, ".") {
		if path.Base(f) != "manifest.json" && !strings.Contains(listed.String(), path.Base(f)) {
			t.Errorf("object %s is listed by no manifest", f)
		}
	}
}

// TestRestoreRecoveryKilledIsRunAgain: the recovery of a dead restore is
// itself killed midway (after removing a file); the next start runs it
// again, and it removes the rest.
func TestRestoreRecoveryKilledIsRunAgain(t *testing.T) {
	root, _ := backupOfFill(t)

	dst := newServer(t, root)
	n := backupFiles(t, root, "app-1")
	restoreDiesAt(t, dst, "app-1", backup.FailRestoreAfterFile, n)
	if left := parquetFiles(t, dst.dir+"/storage"); len(left) != int(n) {
		t.Fatalf("the dead restore left %v, want its %d copies", left, n)
	}
	var removes atomic.Int32
	died := make(chan struct{})
	dst.storageFaults = &cold.Faults{BeforeRemove: func(p string) error {
		if strings.HasSuffix(p, ".parquet") && removes.Add(1) == 2 {
			close(died)
			runtime.Goexit()
		}
		return nil
	}}
	dst.close()
	dst.open()
	<-died
	dst.storageFaults = nil
	if left := parquetFiles(t, dst.dir+"/storage"); len(left) != int(n)-1 {
		t.Fatalf("the killed recovery left %v, want all but one of the %d copies", left, n)
	}
	dst.close()
	dst.open()
	waitAllJobs(t, dst)
	if rec := restoreRecovery(t, dst); rec.Removed != int(n)-1 {
		t.Fatalf("the second recovery: %+v, want %d removed", rec, n-1)
	}
	if got := dst.rows("SELECT status FROM system.jobs WHERE job_type = 'backup' ORDER BY created_at"); got != "failed\ncompleted\n" {
		t.Fatalf("the recoveries: %q", got)
	}
	if left := parquetFiles(t, dst.dir+"/storage"); len(left) > 0 {
		t.Fatalf("after the recovery the storage holds %v", left)
	}
	dst.mustJob("RESTORE DATABASE app FROM 'app-1'")
	if stray := strayFiles(t, dst); len(stray) > 0 {
		t.Fatalf("after the restore run again: %v", stray)
	}
}

// TestRestoreRecoveryThatKillsTheServerIsNotRetriedForever: a recovery
// that kills the server at each start is given up at the bound, saying
// which files stay, and is not run again.
func TestRestoreRecoveryThatKillsTheServerIsNotRetriedForever(t *testing.T) {
	root, _ := backupOfFill(t)

	dst := newServer(t, root)
	restoreDiesAt(t, dst, "app-1", backup.FailRestoreAfterFile, 1)
	died := make(chan struct{}, 1)
	dst.storageFaults = &cold.Faults{BeforeRemove: func(p string) error {
		if strings.HasSuffix(p, ".parquet") {
			died <- struct{}{}
			runtime.Goexit()
		}
		return nil
	}}
	deaths := 0
	for range jobs.DefaultMaxStartRetries + 2 {
		dst.close()
		dst.open()
		id := dst.rows("SELECT job_id FROM system.jobs WHERE job_type = 'backup' AND status IN ('queued', 'running')")
		if id == "" {
			break
		}
		ended := dst.jobEnded(strings.TrimSpace(id))
		select {
		case <-died:
			deaths++
			continue
		case j := <-ended:
			if !strings.Contains(j.ErrorMessage, "not run again") {
				t.Fatalf("the recovery ended: %s %s", j.Status, j.ErrorMessage)
			}
		}
		break
	}
	if deaths != jobs.DefaultMaxStartRetries {
		t.Fatalf("the recovery killed the server %d times, want %d", deaths, jobs.DefaultMaxStartRetries)
	}
	msg := dst.rows("SELECT error_message FROM system.jobs WHERE job_type = 'backup' AND error_message LIKE '%not run again%'")
	if !strings.Contains(msg, "interrupted 3 times in a row by a crash") || !strings.Contains(msg, "the restore of app from app-1") {
		t.Fatalf("system.jobs says %q", msg)
	}
	// Forgotten: the next start runs nothing.
	dst.storageFaults = nil
	dst.close()
	dst.open()
	if got := dst.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'backup' AND status IN ('queued', 'running')"); got != "0\n" {
		t.Fatalf("recoveries after the give-up: %s", got)
	}
	if left := parquetFiles(t, dst.dir+"/storage"); len(left) != 1 {
		t.Fatalf("the file the message says stays: %v", left)
	}
}

// TestRestoreRecoveryKeepsATableCreatedMeanwhile: the recovery of a dead
// restore fails (its store refuses removals), and tables of the same
// names, written and flushed into the same partition directories, are
// created before it runs again. The recovery removes the dead restore's
// copies there and keeps every file of the live tables. (The backup's
// files are of batches 1 to 3: the live tables' first flushes remove
// what a restore left up to their next batch, 2, so copies of batch 3
// are still beside their files when the recovery runs.)
func TestRestoreRecoveryKeepsATableCreatedMeanwhile(t *testing.T) {
	root := t.TempDir()
	src := newServer(t, root)
	src.must(`CREATE USER 'bob' WITH PASSWORD 'bob-pw' ROLE user;
		CREATE NAMESPACE app;
		CREATE TABLE app.msgs (id BIGINT PRIMARY KEY, conv INT, body TEXT) WITH (TYPE = 'USER');
		CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC')`)
	for i := range 3 {
		src.must(fmt.Sprintf("EXECUTE AS USER 'bob' (INSERT INTO app.msgs (id, conv, body) VALUES (%d, 1, 'old'))", i))
		src.must(fmt.Sprintf("INSERT INTO app.cfg (k, v) VALUES ('old%d', 'x')", i))
		src.mustJob("STORAGE FLUSH TABLE app.msgs")
		src.mustJob("STORAGE FLUSH TABLE app.cfg")
	}
	src.mustJob("BACKUP DATABASE app TO 'app-1'")

	dst := newServer(t, root)
	dst.must("CREATE USER 'bob' WITH PASSWORD 'other-pw' ROLE user")
	n := backupFiles(t, root, "app-1")
	restoreDiesAt(t, dst, "app-1", backup.FailRestoreAfterFile, n)
	dead := parquetFiles(t, dst.dir+"/storage")
	var refuse atomic.Bool
	refuse.Store(true)
	dst.storageFaults = &cold.Faults{BeforeRemove: func(p string) error {
		if refuse.Load() && strings.HasSuffix(p, ".parquet") {
			return errors.New("refused")
		}
		return nil
	}}
	dst.close()
	dst.open()
	waitAllJobs(t, dst)
	if got := dst.rows("SELECT status FROM system.jobs WHERE job_type = 'backup'"); got != "failed\n" {
		t.Fatalf("the refused recovery: %q", got)
	}
	refuse.Store(false)
	dst.must(`CREATE NAMESPACE app;
		CREATE TABLE app.msgs (id BIGINT PRIMARY KEY, conv INT, body TEXT) WITH (TYPE = 'USER');
		CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC')`)
	dst.must("EXECUTE AS USER 'bob' (INSERT INTO app.msgs (id, conv, body) VALUES (100, 1, 'live'))")
	dst.must("INSERT INTO app.cfg (k, v) VALUES ('live', 'yes')")
	dst.mustJob("STORAGE FLUSH TABLE app.msgs")
	dst.mustJob("STORAGE FLUSH TABLE app.cfg")
	live := slices.DeleteFunc(parquetFiles(t, dst.dir+"/storage"), func(f string) bool { return slices.Contains(dead, f) })
	if len(live) != 2 {
		t.Fatalf("the live table's files: %v (the dead restore's: %v)", live, dead)
	}
	shared := false // a dead copy still beside a file of the live tables
	for _, f := range parquetFiles(t, dst.dir+"/storage") {
		for _, l := range live {
			shared = shared || f != l && path.Dir(f) == path.Dir(l)
		}
	}
	if !shared {
		t.Fatalf("no dead copy %v is beside a live file %v", dead, live)
	}

	dst.close()
	dst.open()
	waitAllJobs(t, dst)
	if got := parquetFiles(t, dst.dir+"/storage"); !slices.Equal(got, live) {
		t.Fatalf("after the recovery the storage holds %v, want the live table's %v", got, live)
	}
	if got := dst.rows("EXECUTE AS USER 'bob' (SELECT id, body FROM app.msgs)"); got != "100 live\n" {
		t.Fatalf("bob's rows: %q", got)
	}
	if got := dst.rows("SELECT k, v FROM app.cfg"); got != "live yes\n" {
		t.Fatalf("cfg: %q", got)
	}
}

// TestRestoreKilledAfterItsCommitKeepsItsFiles: a restore whose process
// dies after its commit, before it clears its pending entry, restored the
// namespace; the next start's recovery finds its tables live and removes
// nothing.
func TestRestoreKilledAfterItsCommitKeepsItsFiles(t *testing.T) {
	root, want := backupOfFill(t)

	dst := newServer(t, root)
	restoreDiesAt(t, dst, "app-1", backup.FailRestoreAfterCommit, 1)
	restored := parquetFiles(t, dst.dir+"/storage")
	dst.close()
	dst.open()
	waitAllJobs(t, dst)
	if rec := restoreRecovery(t, dst); !rec.Committed || rec.Removed != 0 {
		t.Fatalf("the recovery of a committed restore: %+v", rec)
	}
	if got := parquetFiles(t, dst.dir+"/storage"); !slices.Equal(got, restored) {
		t.Fatalf("the restored files after the recovery: %v, want %v", got, restored)
	}
	if got := dump(dst); got != want {
		t.Fatalf("the restored namespace differs:\n got:\n%s\nwant:\n%s", got, want)
	}
}

// TestRestoreThatEndsLeavesNoRecovery: a restore that completes, and one
// that fails and rolls back every file, clear their pending entries: the
// next start has nothing to recover.
func TestRestoreThatEndsLeavesNoRecovery(t *testing.T) {
	root, _ := backupOfFill(t)
	recoveries := func(s *server) string {
		s.close()
		s.open()
		return s.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'backup'")
	}

	// Fails at its second copy, after the first was published.
	var writes atomic.Int32
	var last atomic.Value
	failing := &server{t: t, dir: t.TempDir(), backupRoot: root}
	failing.storageFaults = &cold.Faults{Write: func(p string, _ int) error {
		if prev, _ := last.Load().(string); prev != p {
			last.Store(p)
			if writes.Add(1) == 2 {
				return errors.New("disk full")
			}
		}
		return nil
	}}
	failing.open()
	t.Cleanup(failing.close)
	if j := failing.job("RESTORE DATABASE app FROM 'app-1'"); j.Status != "failed" || !strings.Contains(j.ErrorMessage, "disk full") {
		t.Fatalf("the failing restore: %s %s", j.Status, j.ErrorMessage)
	}
	if left := parquetFiles(t, failing.dir+"/storage"); len(left) > 0 {
		t.Fatalf("the failed restore left %v", left)
	}
	if got := recoveries(failing); got != "0\n" {
		t.Fatalf("recoveries after a failed restore: %s", got)
	}

	dst := newServer(t, root)
	dst.mustJob("RESTORE DATABASE app FROM 'app-1'")
	if got := recoveries(dst); got != "0\n" {
		t.Fatalf("recoveries after a restore that completed: %s", got)
	}
}
