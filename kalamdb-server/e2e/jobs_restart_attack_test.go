package e2e_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// ownS3 is a fake object store of the test's own: its slow switch stalls
// every reader of the store, so no other test may share it.
func ownS3(t *testing.T) *fakeS3 {
	t.Helper()
	f := &fakeS3{backend: s3mem.New()}
	f.h = gofakes3.New(f.backend).Server()
	f.srv = httptest.NewServer(f.handler(&f.down))
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() { f.setSlow(false) })
	return f
}

// s3Env is the environment of a server process whose tables go to an s3
// storage: no flush by policy, and a storage key.
var s3Env = []string{"KALAMDB_STORAGE_FLUSH_ROWS=0", "KALAMDB_STORAGE_FLUSH_INTERVAL=0s",
	"KALAMDB_STORAGE_SECRET_KEY=e2e-storage-secret-key-0123456789"}

// startOnS3 starts the server binary over a new data directory with
// storage s3a on a bucket of its own fake store; it returns the store,
// the bucket, the data directory, the process and its client.
func startOnS3(t *testing.T, bin string) (*fakeS3, string, string, *serverProcess, *server) {
	t.Helper()
	f := ownS3(t)
	bucket := f.bucket(t)
	dir := t.TempDir()
	p := startProcess(t, bin, dir, s3Env...)
	s := &server{t: t, base: p.base}
	s.ok(root, f.createStorage("s3a", bucket, "kalam", s3AccessKey, ""))
	return f, bucket, dir, p, s
}

// waitJobRunning polls system.jobs until a job of the type is running.
func waitJobRunning(t *testing.T, s *server, jobType string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	q := fmt.Sprintf("SELECT count(*) FROM system.jobs WHERE job_type = '%s' AND status = 'running'", jobType)
	for time.Now().Before(deadline) {
		if s.ok(root, q).rows(t) != `[[0]]` {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s job running after two minutes", jobType)
}

// TestDropCleanupOnS3SurvivesAStop drops a USER table on an s3 storage
// and stops the real server while the drop's cleanup is held inside the
// store (a read of a partition's manifest.json stalls), by SIGKILL and by
// SIGTERM (a deploy). After a restart the cleanup runs again: the bucket
// keeps none of the dropped table's objects, a table created again under
// the name reads only its own rows, and system.jobs shows the stopped
// run failed ("interrupted") and its retry completed, nothing left
// queued or running.
func TestDropCleanupOnS3SurvivesAStop(t *testing.T) {
	bin := buildServer(t)
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			f, bucket, dir, p, s := startOnS3(t, bin)
			s.ok(root, `CREATE NAMESPACE chat; CREATE TABLE chat.m (id BIGINT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER', STORAGE_ID = 's3a')`)
			users := []string{"alice", "bob", "carol"}
			for _, u := range users {
				s.ok(root, fmt.Sprintf("CREATE USER '%s' WITH PASSWORD 'pw' ROLE user", u))
				for i := 1; i <= 5; i++ {
					s.ok(basic(u, "pw"), "INSERT INTO chat.m VALUES ($1, $2)", i, fmt.Sprintf("%s %d", u, i))
				}
			}
			jobOf(t, s, "STORAGE FLUSH TABLE chat.m")
			waitJobs(t, s)
			if n := len(batchFiles(f.keys(t, bucket, "kalam/"))); n != len(users) {
				t.Fatalf("after the flush the bucket holds %d batch files: %v", n, f.keys(t, bucket, ""))
			}

			f.setSlow(true)
			s.ok(root, "DROP TABLE chat.m")
			waitJobRunning(t, s, "cleanup")
			if sig == syscall.SIGKILL {
				_ = p.cmd.Process.Kill()
				<-p.done
			} else {
				p.terminate(t, time.Minute)
			}
			f.setSlow(false)

			p = startProcess(t, bin, dir, s3Env...)
			s = &server{t: t, base: p.base}
			waitJobs(t, s)
			if left := f.keys(t, bucket, "kalam/"); len(left) != 0 {
				t.Fatalf("after a %s during the drop's cleanup and a restart, the bucket keeps %v; jobs: %s", sig, left,
					s.ok(root, "SELECT job_id, status, error_message FROM system.jobs WHERE job_type = 'cleanup'").rows(t))
			}
			got := s.ok(root, "SELECT status, count(*) FROM system.jobs WHERE job_type = 'cleanup' GROUP BY status ORDER BY status").rows(t)
			if got != `[["completed",1],["failed",1]]` {
				t.Fatalf("cleanup jobs after the restart: %s; %s", got,
					s.ok(root, "SELECT job_id, status, error_message FROM system.jobs WHERE job_type = 'cleanup'").rows(t))
			}
			if msg := s.ok(root, "SELECT error_message FROM system.jobs WHERE job_type = 'cleanup' AND status = 'failed'").rows(t); !strings.Contains(msg, "interrupted") {
				t.Fatalf("the stopped cleanup: %s", msg)
			}

			// The name is free and the new table holds only its own rows.
			s.ok(root, `CREATE TABLE chat.m (id BIGINT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER', STORAGE_ID = 's3a')`)
			s.ok(basic("alice", "pw"), "INSERT INTO chat.m VALUES (100, 'new')")
			jobOf(t, s, "STORAGE FLUSH TABLE chat.m")
			waitJobs(t, s)
			if got := s.ok(basic("alice", "pw"), "SELECT id, body FROM chat.m").rows(t); got != `[[100,"new"]]` {
				t.Fatalf("the table created again reads %s", got)
			}
		})
	}
}

// TestSecondServerOnTheSameDataDirIsRefused: a second server started on
// a data directory another one runs on (a deploy that starts the new
// process before the old one exits) must exit before it serves, and
// leave the running one, its rows and its files as they were.
func TestSecondServerOnTheSameDataDirIsRefused(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	env := []string{"KALAMDB_STORAGE_FLUSH_ROWS=0", "KALAMDB_STORAGE_FLUSH_INTERVAL=0s"}
	p := startProcess(t, bin, dir, env...)
	s := &server{t: t, base: p.base}
	s.ok(root, `CREATE NAMESPACE crash; CREATE TABLE crash.m (id BIGINT PRIMARY KEY, conv BIGINT, content TEXT);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user`)
	alice := basic("alice", "alice-pw")
	insertRows(s, alice, 1, 50)
	jobOf(t, s, "STORAGE FLUSH TABLE crash.m")
	waitJobs(t, s)
	insertRows(s, alice, 51, 60)

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), append([]string{"KALAMDB_SERVER_PORT=0", "KALAMDB_DATA_DIR=" + dir,
		"KALAMDB_LOG_FORMAT=json", "KALAMDB_AUTH_BCRYPT_COST=4"}, env...)...)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("a second server on the same data directory exited 0:\n%s", out)
	}
	if strings.Contains(string(out), "kalamdb-server listening") {
		t.Fatalf("a second server on the same data directory served:\n%s", out)
	}

	checkExactlyOnce(t, s, alice, 60)
	jobOf(t, s, "STORAGE FLUSH TABLE crash.m")
	waitJobs(t, s)
	checkExactlyOnce(t, s, alice, 60)
	p.terminate(t, time.Minute)
	p = startProcess(t, bin, dir, env...)
	s = &server{t: t, base: p.base}
	checkExactlyOnce(t, s, alice, 60)
	if got := s.ok(root, "SELECT count(*) FROM system.jobs WHERE status <> 'completed'").rows(t); got != "[[0]]" {
		t.Fatalf("jobs not completed: %s", s.ok(root, "SELECT job_id, status, error_message FROM system.jobs").rows(t))
	}
}

// TestIndexBuildSurvivesAGracefulStop: SIGTERM (a deploy) while an index
// build is held reading the table's files from an s3 storage. The server
// stops cleanly, and at the next start the build runs again: the index
// becomes ready, answers as a scan does (rows written after the restart
// too), and system.jobs shows the stopped build failed ("interrupted")
// and the resumed one completed.
func TestIndexBuildSurvivesAGracefulStop(t *testing.T) {
	bin := buildServer(t)
	f, _, dir, p, s := startOnS3(t, bin)
	s.ok(root, `CREATE NAMESPACE crash; CREATE TABLE crash.m (id BIGINT PRIMARY KEY, conv BIGINT, content TEXT) WITH (TYPE = 'USER', STORAGE_ID = 's3a');
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user`)
	alice := basic("alice", "alice-pw")
	insertRows(s, alice, 1, 100)
	jobOf(t, s, "STORAGE FLUSH TABLE crash.m")
	waitJobs(t, s)
	insertRows(s, alice, 101, 120)
	// A restart empties the server's caches of the files: the build reads
	// them from the store.
	p.terminate(t, time.Minute)
	p = startProcess(t, bin, dir, s3Env...)
	s = &server{t: t, base: p.base}

	f.rangesOnly.Store(true)
	f.setSlow(true)
	go p.postDying(root, "CREATE INDEX m_conv ON crash.m (conv, id)")
	waitJobRunning(t, s, "index_build")
	p.terminate(t, time.Minute)
	f.setSlow(false)

	p = startProcess(t, bin, dir, s3Env...)
	s = &server{t: t, base: p.base}
	insertRows(s, alice, 121, 130)
	waitJobs(t, s)
	checkIndexAnswers(t, s, alice, 4)
	if got := s.ok(root, "SELECT status FROM system.jobs WHERE job_type = 'index_build' ORDER BY created_at").rows(t); got != `[["failed"],["completed"]]` {
		t.Fatalf("index build jobs: %s", s.ok(root, "SELECT status, error_message FROM system.jobs WHERE job_type = 'index_build' ORDER BY created_at").rows(t))
	}
	if got := s.ok(alice, "SELECT count(*), count(DISTINCT id) FROM crash.m").rows(t); got != "[[130,130]]" {
		t.Fatalf("alice's rows: %s", got)
	}
}
