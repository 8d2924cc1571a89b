package backup_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
)

// dirsUnder lists the directories under dir (itself excluded), relative
// to it.
func dirsUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if info.IsDir() && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// backupOfManyUsers backs up namespace app whose USER table msgs (WITH
// with, after setup ran) has one flushed partition for each of users
// users, and returns the backup root.
func backupOfManyUsers(t *testing.T, users int, setup func(*server), with string) string {
	t.Helper()
	root := t.TempDir()
	src := newServer(t, root)
	if setup != nil {
		setup(src)
	}
	var b strings.Builder
	for i := range users {
		fmt.Fprintf(&b, "CREATE USER 'u%03d' WITH PASSWORD 'pw-%03d' ROLE user;\n", i, i)
	}
	src.must(b.String())
	src.must(`CREATE NAMESPACE app;
		CREATE TABLE app.msgs (id BIGINT PRIMARY KEY, body TEXT) WITH (` + with + `)`)
	for i := range users {
		src.must(fmt.Sprintf("EXECUTE AS USER 'u%03d' (INSERT INTO app.msgs (id, body) VALUES (%d, 'x'))", i, i))
	}
	src.mustJob("STORAGE FLUSH TABLE app.msgs")
	src.mustJob("BACKUP DATABASE app TO 'app-1'")
	return root
}

// diesThenRecoveryRefused makes a restore of app-1 on dst die after
// copying every file, then restarts dst with a store that refuses
// removals, so that the recovery fails; refuse is then cleared. It
// returns the dead restore's copies.
func diesThenRecoveryRefused(t *testing.T, dst *server, root string) (dead []string) {
	t.Helper()
	n := backupFiles(t, root, "app-1")
	restoreDiesAt(t, dst, "app-1", backup.FailRestoreAfterFile, n)
	dead = parquetFiles(t, dst.dir+"/storage")
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
	return dead
}

// TestAttack15RecoveryResumedLeavesEmptiedDirectories: the recovery of a
// dead restore marks its cleaned directories done 64 at a time, and a
// run that fails (or is killed) after that goes on at the next start
// with the directories left. The docs say the directories it emptied go
// too while the namespace does not exist. But removeEmptied only knows
// the directories of the run that completes: those the first run
// emptied (and recorded done) stay, empty, for good.
func TestAttack15RecoveryResumedLeavesEmptiedDirectories(t *testing.T) {
	const users = 70 // more than one batch of 64 done directories
	root := backupOfManyUsers(t, users, nil, "TYPE = 'USER'")

	dst := newServer(t, root)
	n := backupFiles(t, root, "app-1")
	restoreDiesAt(t, dst, "app-1", backup.FailRestoreAfterFile, n)
	if left := parquetFiles(t, dst.dir+"/storage"); len(left) != int(n) {
		t.Fatalf("the dead restore left %d files, want its %d copies", len(left), n)
	}
	// The first recovery cleans 64 directories (recorded done), then the
	// store refuses a removal: it fails and is run again at the next start.
	var removes atomic.Int32
	dst.storageFaults = &cold.Faults{BeforeRemove: func(p string) error {
		if strings.HasSuffix(p, ".parquet") && removes.Add(1) > 64 {
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
	dst.storageFaults = nil
	dst.close()
	dst.open()
	waitAllJobs(t, dst)
	if got := dst.rows("SELECT status FROM system.jobs WHERE job_type = 'backup' ORDER BY created_at"); got != "failed\ncompleted\n" {
		t.Fatalf("the recoveries: %q", got)
	}
	if left := parquetFiles(t, dst.dir+"/storage"); len(left) > 0 {
		t.Fatalf("after the recovery the storage holds %v", left)
	}
	if got := dst.rows("SELECT namespace_id FROM system.namespaces WHERE namespace_id = 'app'"); got != "" {
		t.Fatalf("namespace app exists: %q", got)
	}
	if dirs := dirsUnder(t, dst.dir+"/storage"); len(dirs) > 0 {
		t.Fatalf("the namespace does not exist, yet %d directories the dead restore made stay, empty: %v", len(dirs), dirs[:min(len(dirs), 5)])
	}
}

// TestRestoreAttack15RecoveryAfterRestoredAgainKeepsIt: a restore dies
// while copying; its recovery fails (the store refuses removals); the
// same backup is restored again, successfully, into the same
// directories (new incarnations), and flushed. The recovery at the next
// start removes only the dead restore's copies: the namespace restored
// again reads exactly the backup, and its files are all there.
func TestRestoreAttack15RecoveryAfterRestoredAgainKeepsIt(t *testing.T) {
	root, _ := backupOfFill(t)

	dst := newServer(t, root)
	dead := diesThenRecoveryRefused(t, dst, root)
	dst.mustJob("RESTORE DATABASE app FROM 'app-1'")
	dst.must("EXECUTE AS USER 'alice' (INSERT INTO app.msgs (id, conv, body) VALUES (100, 1, 'after'))")
	dst.mustJob("STORAGE FLUSH TABLE app.msgs")
	afterFlush := dump(dst)
	live := slices.DeleteFunc(parquetFiles(t, dst.dir+"/storage"), func(f string) bool { return slices.Contains(dead, f) })

	dst.close()
	dst.open()
	waitAllJobs(t, dst)
	if got := dump(dst); got != afterFlush {
		t.Fatalf("after the recovery the namespace restored again differs:\n got:\n%s\nwant:\n%s", got, afterFlush)
	}
	got := parquetFiles(t, dst.dir+"/storage")
	for _, f := range live {
		if !slices.Contains(got, f) {
			t.Errorf("the recovery removed %s, a file of the namespace restored again", f)
		}
	}
	for _, f := range dead {
		if slices.Contains(got, f) {
			t.Errorf("the dead restore's copy %s stays", f)
		}
	}
}

// TestRestoreAttack15TwoNamespacesKilledTogether: restores of two
// namespaces die in the same process, each after copying files; the
// next start recovers both, and each can be restored again.
func TestRestoreAttack15TwoNamespacesKilledTogether(t *testing.T) {
	root := t.TempDir()
	src := newServer(t, root)
	for _, ns := range []string{"app", "other"} {
		src.must(fmt.Sprintf(`CREATE NAMESPACE %[1]s;
			CREATE TABLE %[1]s.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC')`, ns))
		for i := range 2 {
			src.must(fmt.Sprintf("INSERT INTO %s.cfg (k, v) VALUES ('k%d', '%s')", ns, i, ns))
			src.mustJob(fmt.Sprintf("STORAGE FLUSH TABLE %s.cfg", ns))
		}
		src.mustJob(fmt.Sprintf("BACKUP DATABASE %[1]s TO '%[1]s-1'", ns))
	}

	dst := newServer(t, root)
	died := make(chan struct{}, 2)
	dst.failpoint = func(p string) {
		if p == backup.FailRestoreAfterFile {
			died <- struct{}{}
			runtime.Goexit()
		}
	}
	dst.close()
	dst.open()
	for _, ns := range []string{"app", "other"} {
		res := dst.must(fmt.Sprintf("RESTORE DATABASE %[1]s FROM '%[1]s-1'", ns))
		ended := dst.jobEnded(res[0].Rows[0][0].(string))
		select {
		case <-died:
		case j := <-ended:
			t.Fatalf("the restore of %s ended: %s %s", ns, j.Status, j.ErrorMessage)
		}
	}
	dst.failpoint = nil
	if left := parquetFiles(t, dst.dir+"/storage"); len(left) != 2 {
		t.Fatalf("the dead restores left %v, want one copy each", left)
	}
	dst.close()
	dst.open()
	waitAllJobs(t, dst)
	if got := dst.rows("SELECT status FROM system.jobs WHERE job_type = 'backup' ORDER BY created_at"); got != "completed\ncompleted\n" {
		t.Fatalf("the recoveries: %q", got)
	}
	if left := parquetFiles(t, dst.dir+"/storage"); len(left) > 0 {
		t.Fatalf("after the recoveries the storage holds %v", left)
	}
	for _, ns := range []string{"app", "other"} {
		dst.mustJob(fmt.Sprintf("RESTORE DATABASE %[1]s FROM '%[1]s-1'", ns))
		if got := dst.rows(fmt.Sprintf("SELECT k, v FROM %s.cfg ORDER BY k", ns)); got != fmt.Sprintf("k0 %[1]s\nk1 %[1]s\n", ns) {
			t.Fatalf("%s restored again: %q", ns, got)
		}
	}
}

// TestRestoreAttack15KilledDuringRollback: a restore fails at its second
// copy and its process dies while the rollback removes the first: the
// pending entry stays, and the next start removes the copy.
func TestRestoreAttack15KilledDuringRollback(t *testing.T) {
	root, want := backupOfFill(t)

	dst := newServer(t, root)
	var writes atomic.Int32
	var last atomic.Value
	died := make(chan struct{})
	dst.storageFaults = &cold.Faults{
		Write: func(p string, _ int) error {
			if prev, _ := last.Load().(string); prev != p {
				last.Store(p)
				if writes.Add(1) == 2 {
					return errors.New("disk full")
				}
			}
			return nil
		},
		BeforeRemove: func(p string) error {
			if strings.HasSuffix(p, ".parquet") {
				close(died)
				runtime.Goexit()
			}
			return nil
		},
	}
	restoreUntilItDies(t, dst, "app-1", died)
	dst.storageFaults = nil
	if left := parquetFiles(t, dst.dir+"/storage"); len(left) != 1 {
		t.Fatalf("the restore that died rolling back left %v, want its one copy", left)
	}
	dst.close()
	dst.open()
	waitAllJobs(t, dst)
	if rec := restoreRecovery(t, dst); rec.Removed != 1 {
		t.Fatalf("the recovery: %+v", rec)
	}
	if left := parquetFiles(t, dst.dir+"/storage"); len(left) > 0 {
		t.Fatalf("after the recovery the storage holds %v", left)
	}
	dst.mustJob("RESTORE DATABASE app FROM 'app-1'")
	if got := dump(dst); got != want {
		t.Fatalf("restored again:\n got:\n%s\nwant:\n%s", got, want)
	}
}

// TestRestoreAttack15OneRecoveryRemovesDirectories: the control of
// TestAttack15RecoveryResumedLeavesEmptiedDirectories: a recovery that
// completes in one run removes every directory the dead restore made.
func TestRestoreAttack15OneRecoveryRemovesDirectories(t *testing.T) {
	const users = 70
	root := backupOfManyUsers(t, users, nil, "TYPE = 'USER'")

	dst := newServer(t, root)
	n := backupFiles(t, root, "app-1")
	restoreDiesAt(t, dst, "app-1", backup.FailRestoreAfterFile, n)
	dst.close()
	dst.open()
	waitAllJobs(t, dst)
	if rec := restoreRecovery(t, dst); rec.Removed != int(n) {
		t.Fatalf("the recovery: %+v", rec)
	}
	if dirs := dirsUnder(t, dst.dir+"/storage"); len(dirs) > 0 {
		t.Fatalf("after the recovery %d directories stay: %v", len(dirs), dirs[:min(len(dirs), 5)])
	}
}

// TestRestoreAttack15RecoveryBesideTableDroppedAndCreatedAgain: a restore
// dies after copying every file; its recovery fails (the store refuses
// removals); then namespace app is created with tables of the backup's
// names, written, flushed, one dropped and created again, written and
// flushed. The next start's recovery removes the dead restore's copies
// and nothing of the live tables.
func TestRestoreAttack15RecoveryBesideTableDroppedAndCreatedAgain(t *testing.T) {
	root, _ := backupOfFill(t)

	dst := newServer(t, root)
	dead := diesThenRecoveryRefused(t, dst, root)
	dst.must(`CREATE USER 'bob' WITH PASSWORD 'other-pw' ROLE user;
		CREATE NAMESPACE app;
		CREATE TABLE app.msgs (id BIGINT PRIMARY KEY, conv INT, body TEXT) WITH (TYPE = 'USER');
		CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC')`)
	dst.must("EXECUTE AS USER 'bob' (INSERT INTO app.msgs (id, conv, body) VALUES (1, 1, 'first'))")
	dst.must("INSERT INTO app.cfg (k, v) VALUES ('live', 'yes')")
	dst.mustJob("STORAGE FLUSH TABLE app.msgs")
	dst.mustJob("STORAGE FLUSH TABLE app.cfg")
	dst.must("DROP TABLE app.msgs")
	dst.must("CREATE TABLE app.msgs (id BIGINT PRIMARY KEY, conv INT, body TEXT) WITH (TYPE = 'USER')")
	dst.must("EXECUTE AS USER 'bob' (INSERT INTO app.msgs (id, conv, body) VALUES (2, 1, 'second'))")
	dst.mustJob("STORAGE FLUSH TABLE app.msgs")
	waitAllJobs(t, dst)

	dst.close()
	dst.open()
	waitAllJobs(t, dst)
	if got := dst.rows("EXECUTE AS USER 'bob' (SELECT id, body FROM app.msgs)"); got != "2 second\n" {
		t.Fatalf("bob's rows: %q", got)
	}
	if got := dst.rows("SELECT k, v FROM app.cfg"); got != "live yes\n" {
		t.Fatalf("cfg: %q", got)
	}
	for _, f := range parquetFiles(t, dst.dir+"/storage") {
		if slices.Contains(dead, f) {
			t.Errorf("the dead restore's copy %s stays", f)
		}
	}
	if stray := strayFiles(t, dst); len(stray) > 0 {
		t.Logf("files no manifest lists (the dropped table's, its cleanup refused): %v", stray)
	}
}
