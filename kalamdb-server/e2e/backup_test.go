package e2e_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// waitJob polls system.jobs until the job ends and returns its status and
// error message.
func waitJob(t *testing.T, s *server, id string) (status, errMsg string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		r := s.ok(root, "SELECT status, error_message FROM system.jobs WHERE job_id = $1", id)
		if rows := r.Results[0].Rows; len(rows) == 1 {
			if st := fmt.Sprint(rows[0][0]); st != "queued" && st != "running" {
				return st, fmt.Sprint(rows[0][1])
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s still running after two minutes", id)
	return "", ""
}

// backupServer starts a server whose backups go under backups.
func backupServer(t *testing.T, backups string) *server {
	return startServer(t, t.TempDir(), func(c *config.Config) {
		c.Backup.AllowedRoots = []string{backups}
		c.Storage.FlushRows = 0
		c.Storage.FlushInterval = 0
	})
}

// fillChat creates namespace chat on s, its tables on storage storageID
// ("" for the default), with users alice and bob (passwords alice-pw and
// bob-pw) and rows of both and of the shared table, flushed.
func fillChat(t *testing.T, s *server, storageID string) {
	t.Helper()
	with := ""
	if storageID != "" {
		with = ", STORAGE_ID = '" + storageID + "'"
	}
	alice, bob := basic("alice", "alice-pw"), basic("bob", "bob-pw")
	s.ok(root, `CREATE NAMESPACE chat;
		CREATE TABLE chat.messages (id BIGINT PRIMARY KEY, conv BIGINT NOT NULL, body TEXT) WITH (TYPE = 'USER'`+with+`);
		CREATE SHARED TABLE chat.rooms (id INT PRIMARY KEY, name TEXT) WITH (ACCESS_LEVEL = 'PUBLIC'`+with+`);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'bob-pw' ROLE user`)
	for i := 1; i <= 20; i++ {
		s.ok(alice, "INSERT INTO chat.messages (id, conv, body) VALUES ($1, $2, $3)", i, i%3, fmt.Sprintf("a%d", i))
	}
	s.ok(bob, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 1, 'b1'), (2, 1, 'b2')")
	s.ok(root, "INSERT INTO chat.rooms (id, name) VALUES (1, 'general'), (2, 'random')")
	waitJob(t, s, jobOf(t, s, "STORAGE FLUSH ALL IN chat"))
}

// partitions renders every partition of namespace chat as its owner reads
// it, deleted rows, _seq and _deleted included, keeping the rows keep
// accepts (by id).
func partitions(t *testing.T, s *server, keep func(id int64) bool) string {
	t.Helper()
	var b strings.Builder
	for _, u := range []creds{basic("alice", "alice-pw"), basic("bob", "bob-pw")} {
		r := s.ok(u, "SELECT id, conv, body, _seq, _deleted FROM chat.messages WHERE _deleted = true OR _deleted = false ORDER BY id")
		fmt.Fprintf(&b, "%s:", u.user)
		for _, row := range r.Results[0].Rows {
			id, err := row[0].(json.Number).Int64()
			if err != nil {
				t.Fatal(err)
			}
			if keep(id) {
				fmt.Fprintf(&b, " %v", row)
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "rooms: %s\n", s.ok(root, "SELECT id, name, _seq, _deleted FROM chat.rooms WHERE _deleted = true OR _deleted = false ORDER BY id").rows(t))
	return b.String()
}

// TestBackupWhileWritingAndRestoreElsewhere: a backup taken while a
// client writes and flushes holds the namespace as of one point in time;
// restored on a fresh server, every partition is the same row by row
// (soft deletes and _seq included), new writes come after it, and a
// subscription resumes from a _seq.
func TestBackupWhileWritingAndRestoreElsewhere(t *testing.T) {
	backups := t.TempDir()
	src := backupServer(t, backups)
	alice, bob := basic("alice", "alice-pw"), basic("bob", "bob-pw")
	fillChat(t, src, "")
	src.ok(alice, "UPDATE chat.messages SET body = 'edited' WHERE id = 2")
	src.ok(alice, "DELETE FROM chat.messages WHERE id = 3")
	src.ok(bob, "DELETE FROM chat.messages WHERE id = 1")
	src.ok(root, "DELETE FROM chat.rooms WHERE id = 2")
	before := partitions(t, src, func(int64) bool { return true })

	// A writer inserts alice's rows 1000, 1001, ... one by one, and
	// flushes run, while the backup runs.
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for id := int64(1000); ; id++ {
			select {
			case <-stop:
				return
			default:
			}
			r := src.sql(alice, "INSERT INTO chat.messages (id, conv, body) VALUES ($1, 9, 'during')", id)
			if r.httpStatus != 200 {
				t.Errorf("insert during backup: %s", r)
				return
			}
			acked.Store(id - 999)
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			r := src.sql(root, "STORAGE FLUSH TABLE chat.messages")
			if r.httpStatus != 200 {
				t.Errorf("flush during backup: %s", r)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	// Let some writes and flushes in first.
	for acked.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	ackedBefore := acked.Load()
	job := jobOf(t, src, "BACKUP DATABASE chat TO 'chat-1'")
	status, msg := waitJob(t, src, job)
	close(stop)
	wg.Wait()
	if status != "completed" {
		t.Fatalf("backup: %s %s", status, msg)
	}
	waitJobs(t, src)
	if got := src.ok(root, "SHOW BACKUPS FOR DATABASE chat").Results[0].Rows; len(got) != 1 || got[0][1] != "chat-1" || got[0][9] != "available" {
		t.Fatalf("SHOW BACKUPS: %v", got)
	}

	// A second server process of its own, with its own data directory.
	dst := backupServer(t, backups)
	dst.ok(root, "CREATE USER 'bob' WITH PASSWORD 'bob-pw' ROLE user") // exists here already
	status, msg = waitJob(t, dst, jobOf(t, dst, "RESTORE DATABASE chat FROM 'chat-1'"))
	if status != "completed" {
		t.Fatalf("restore: %s %s", status, msg)
	}
	// The rows written during the backup that it holds are a prefix of
	// the writer's (one snapshot), at least those acknowledged before it
	// was asked for.
	r := dst.ok(alice, "SELECT count(*) FROM chat.messages WHERE id >= 1000")
	n, _ := r.Results[0].Rows[0][0].(json.Number).Int64()
	if n < ackedBefore {
		t.Fatalf("the backup holds %d rows written during it, fewer than the %d acknowledged before it started", n, ackedBefore)
	}
	if got := dst.ok(alice, "SELECT count(*), min(id), max(id) FROM chat.messages WHERE id >= 1000").rows(t); got != fmt.Sprintf("[[%d,1000,%d]]", n, 999+n) {
		t.Fatalf("rows written during the backup are not a prefix: %s", got)
	}
	inBackup := func(id int64) bool { return id < 1000 || id < 1000+n }
	want := partitions(t, src, inBackup)
	if got := partitions(t, dst, inBackup); got != want {
		t.Fatalf("restored partitions differ:\n got: %s\nwant: %s", got, want)
	}
	if got := partitions(t, dst, func(id int64) bool { return id < 1000 }); got != before {
		t.Fatalf("rows from before the backup differ:\n got: %s\nwant: %s", got, before)
	}
	// bob logs in with his password here and reads his own restored rows.
	if got := dst.ok(bob, "SELECT id, body FROM chat.messages ORDER BY id").rows(t); got != `[[2,"b2"]]` {
		t.Fatalf("bob's rows: %s", got)
	}

	// Live: a subscription resumes from the newest restored _seq and gets
	// exactly what is written after the restore.
	r = dst.ok(alice, "SELECT max(_seq) FROM chat.messages")
	maxSeq := r.Results[0].Rows[0][0].(json.Number).String()
	dst.ok(alice, "INSERT INTO chat.messages (id, conv, body) VALUES (5000, 1, 'after restore')")
	c := dst.loginWS(t, "alice", "alice-pw")
	_, rows := c.subscribeAll("resumed", "SELECT id, body FROM chat.messages", map[string]any{"from_seq_id": maxSeq})
	if fmt.Sprint(rows) != "[map[body:after restore id:5000]]" {
		t.Fatalf("resumed from the restored _seq %s: %v", maxSeq, rows)
	}
	dst.ok(alice, "UPDATE chat.messages SET body = 'live' WHERE id = 4")
	if got := c.change("resumed"); got != "update [map[body:live id:4]] <- [map[body:a4 id:4]]" {
		t.Fatalf("change after restore: %s", got)
	}

	// Restoring over the namespace that now exists changes nothing.
	dst.fail(root, 409, "ALREADY_EXISTS", "RESTORE DATABASE chat FROM 'chat-1'")
	// A plain user may neither back up nor restore.
	dst.fail(alice, 403, "PERMISSION_DENIED", "BACKUP DATABASE chat TO 'mine'")
	dst.fail(alice, 403, "PERMISSION_DENIED", "RESTORE DATABASE chat FROM 'chat-1'")
	dst.fail(root, 403, "PERMISSION_DENIED", "BACKUP DATABASE chat TO '/tmp/elsewhere'")
}

// TestBackupKilledMidwayIsCleanedUpAtStart kills the real server inside a
// BACKUP (the failpoint exits the process after the hot files are
// written): the partial backup is never listed, and the next start
// removes it, after which the same location takes a whole backup.
func TestBackupKilledMidwayIsCleanedUpAtStart(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	env := []string{"KALAMDB_STORAGE_FLUSH_ROWS=0", "KALAMDB_STORAGE_FLUSH_INTERVAL=0s"}
	p := startProcess(t, bin, dir, append(env, "KALAMDB_FAILPOINT=backup.before_files")...)
	s := &server{t: t, base: p.base}
	s.ok(root, `CREATE NAMESPACE crash; CREATE TABLE crash.m (id BIGINT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED')`)
	s.ok(root, "INSERT INTO crash.m VALUES (1, 'a'), (2, 'b')")
	jobOf(t, s, "STORAGE FLUSH TABLE crash.m")
	waitJobs(t, s)
	s.ok(root, "INSERT INTO crash.m VALUES (3, 'hot')")
	p.postDying(root, "BACKUP DATABASE crash TO 'killed'")
	p.waitFailpointExit(t)
	location := filepath.Join(dir, "backups", "killed")
	if got := listFiles(t, location); len(got) == 0 {
		t.Fatal("the killed backup wrote nothing: the test proves nothing")
	}

	p = startProcess(t, bin, dir, env...)
	s = &server{t: t, base: p.base}
	waitJobs(t, s)
	if got := listFiles(t, location); len(got) != 0 {
		t.Fatalf("the killed backup's files are still there after the restart: %v", got)
	}
	if got := s.ok(root, "SHOW BACKUPS FOR DATABASE crash").rows(t); got != "null" && got != "[]" {
		t.Fatalf("SHOW BACKUPS lists the killed backup: %s", got)
	}
	if got := s.ok(root, "SELECT status FROM system.jobs WHERE job_type = 'backup' ORDER BY created_at").rows(t); got != `[["failed"],["completed"]]` {
		t.Fatalf("backup jobs: %s", got)
	}
	jobOf(t, s, "BACKUP DATABASE crash TO 'killed'")
	waitJobs(t, s)
	if got := s.ok(root, "SHOW BACKUPS FOR DATABASE crash").rows(t); !strings.Contains(got, `"available"`) {
		t.Fatalf("SHOW BACKUPS after a backup to the cleaned location: %s", got)
	}
}

// listFiles lists the regular files under dir (none when it is missing).
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRestoredAccountSignsInAgain: a RESTORE that creates an account
// dropped since the backup (under its old id, which is free) must not
// revive the tokens issued to it before the drop: dropping an account is
// how an administrator ends its sessions. Its password still works.
func TestRestoredAccountSignsInAgain(t *testing.T) {
	backups := t.TempDir()
	s := backupServer(t, backups)
	fillChat(t, s, "")
	old := s.login(t, "alice", "alice-pw")
	s.ok(bearer(old.AccessToken), "SELECT count(*) FROM chat.messages")
	if status, msg := waitJob(t, s, jobOf(t, s, "BACKUP DATABASE chat TO 'chat-1'")); status != "completed" {
		t.Fatalf("backup: %s %s", status, msg)
	}
	waitJobs(t, s)
	s.ok(root, "DROP USER 'alice'")
	s.ok(root, "DROP NAMESPACE chat CASCADE")
	waitJobs(t, s)
	if status, msg := waitJob(t, s, jobOf(t, s, "RESTORE DATABASE chat FROM 'chat-1'")); status != "completed" {
		t.Fatalf("restore: %s %s", status, msg)
	}
	if got := s.ok(basic("alice", "alice-pw"), "SELECT count(*) FROM chat.messages").rows(t); got != `[[20]]` {
		t.Fatalf("alice's rows after the restore: %s", got)
	}
	s.fail(bearer(old.AccessToken), http.StatusUnauthorized, "UNAUTHORIZED", "SELECT count(*) FROM chat.messages")
	if r := s.refresh(old.RefreshToken); r.httpStatus != http.StatusUnauthorized {
		t.Fatalf("refresh with a token from before the drop: %s", r)
	}
	fresh := s.login(t, "alice", "alice-pw")
	s.ok(bearer(fresh.AccessToken), "SELECT count(*) FROM chat.messages")
}
