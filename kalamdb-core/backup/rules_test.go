package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

func TestBackupLocationRules(t *testing.T) {
	root := t.TempDir()
	s := newServer(t, root)
	fill(s)
	outside := t.TempDir()
	for _, c := range []struct {
		loc  string
		code apierror.Code
		say  string
	}{
		{outside + "/b", apierror.PermissionDenied, "allowed_roots"},
		{"../escape", apierror.PermissionDenied, "allowed_roots"},
		{root, apierror.PermissionDenied, "allowed_roots"}, // a root itself: a backup is a directory inside one
		{"gs://bucket/prefix", apierror.Unsupported, "gs:// locations are not supported"},
		{"s3://bucket/prefix", apierror.NotFound, "create an s3 storage for bucket bucket first"},
		{s.dir, apierror.PermissionDenied, "allowed_roots"},
	} {
		_, err := s.exec("BACKUP DATABASE app TO '" + c.loc + "'")
		wantCode(t, err, c.code, c.say)
		_, err = s.exec("RESTORE DATABASE other FROM '" + c.loc + "'")
		wantCode(t, err, c.code, c.say)
	}
	if _, err := os.Stat(filepath.Join(outside, "b")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused backup wrote outside the roots: %v", err)
	}
	// A backup goes to a new or empty directory.
	if err := os.MkdirAll(filepath.Join(root, "full"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "full", "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	j := s.job("BACKUP DATABASE app TO 'full'")
	if j.Status != systable.JobFailed || !strings.Contains(j.ErrorMessage, "not empty") {
		t.Fatalf("backup into a non-empty directory: %s %s", j.Status, j.ErrorMessage)
	}
	if got := files(t, filepath.Join(root, "full")); len(got) != 1 {
		t.Fatalf("the directory's own files were touched: %v", got)
	}
	_, err := s.exec("BACKUP DATABASE nope TO 'x'")
	wantCode(t, err, apierror.NamespaceNotFound, "nope")
	if res := s.must("BACKUP DATABASE IF EXISTS nope TO 'x'"); res[0].RowCount != 0 {
		t.Fatalf("IF EXISTS: %+v", res[0])
	}
	// A storage's directory is never a backup's, even inside the roots.
	dir := t.TempDir()
	s2 := &server{t: t, dir: dir, backupRoot: dir + "/storages"}
	s2.open()
	t.Cleanup(s2.close)
	s2.must("CREATE STORAGE arch TYPE 'filesystem' PATH '" + dir + "/storages/arch'; CREATE NAMESPACE app")
	for _, loc := range []string{"arch/b", "arch"} {
		_, err = s2.exec("BACKUP DATABASE app TO '" + loc + "'")
		wantCode(t, err, apierror.InvalidInput, "overlaps storage arch")
	}
}

func TestBackupRoles(t *testing.T) {
	root := t.TempDir()
	s := newServer(t, root)
	fill(s)
	alice, _ := s.db.Catalog.UserByName("alice")
	bob, _ := s.db.Catalog.UserByName("bob")
	for _, sql := range []string{"BACKUP DATABASE app TO 'b'", "RESTORE DATABASE app2 FROM 'b'", "SHOW BACKUPS FOR DATABASE app"} {
		_, err := s.execAs(alice.UserID, alice.Role, sql)
		wantCode(t, err, apierror.PermissionDenied, "requires the dba role")
		_, err = s.execAs(bob.UserID, bob.Role, sql)
		wantCode(t, err, apierror.PermissionDenied, "requires the dba role")
	}
	// A dba may back up, list and restore, but neither back up the rows
	// of a system user (dbabackup_test.go) nor create the system users a
	// backup holds.
	s.must("CREATE USER 'ops' WITH PASSWORD 'ops-pw' ROLE system; CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba")
	dba, _ := s.db.Catalog.UserByName("dba1")
	if j := s.jobAs(dba, "BACKUP DATABASE app TO 'by-dba'"); j.Status != systable.JobCompleted {
		t.Fatalf("dba backup: %s %s", j.Status, j.ErrorMessage)
	}
	s.must("EXECUTE AS USER 'ops' (INSERT INTO app.msgs (id, conv, body) VALUES (1, 1, 'x'))")
	_, err := s.execAs(dba.UserID, dba.Role, "BACKUP DATABASE app TO 'b'")
	wantCode(t, err, apierror.PermissionDenied, "holds rows of system user 'ops'")
	s.mustJob("BACKUP DATABASE app TO 'b'")
	if res, err := s.execAs(dba.UserID, dba.Role, "SHOW BACKUPS FOR DATABASE app"); err != nil || len(res[0].Rows) != 2 {
		t.Fatalf("SHOW BACKUPS by a dba: %v %v", res, err)
	}
	dst := newServer(t, root)
	dst.must("CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba")
	dba2, _ := dst.db.Catalog.UserByName("dba1")
	_, err = dst.execAs(dba2.UserID, dba2.Role, "RESTORE DATABASE app FROM 'b'")
	wantCode(t, err, apierror.PermissionDenied, "creates user ops with role system")
	dst.mustJob("RESTORE DATABASE app FROM 'b'") // root may
}

func TestShowBackups(t *testing.T) {
	root := t.TempDir()
	s := newServer(t, root)
	fill(s)
	s.mustJob("BACKUP DATABASE app TO 'one'")
	s.mustJob("BACKUP DATABASE app TO 'two'")
	got := s.rows("SHOW BACKUPS FOR DATABASE app")
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "app one ") || !strings.HasSuffix(lines[0], " available") ||
		!strings.HasPrefix(lines[1], "app two ") {
		t.Fatalf("SHOW BACKUPS:\n%s", got)
	}
	res := s.must("SHOW BACKUP FOR DATABASE app")
	cols := []string{}
	for _, c := range res[0].Schema {
		cols = append(cols, c.Name)
	}
	if strings.Join(cols, ",") != "namespace_id,path,created_at,size_bytes,rows,tables,files,max_seq,format_version,status" {
		t.Fatalf("columns %v", cols)
	}
	if row := res[0].Rows[0]; row[3].(int64) <= 0 || row[4].(int64) != 20 || row[5].(int64) != 3 {
		t.Fatalf("size/rows/tables: %v", row)
	}
	// A backup that lost a file, or whose file was cut short, is not
	// usable: RESTORE would refuse it, and SHOW BACKUPS says so.
	two := filepath.Join(root, "two")
	hot := filepath.Join(two, "hot", "msgs.kv")
	raw, err := os.ReadFile(hot)
	if err != nil {
		t.Fatal(err)
	}
	for _, damage := range []func() error{
		func() error { return os.Truncate(hot, int64(len(raw)/2)) },
		func() error { return os.Remove(hot) },
	} {
		if err := damage(); err != nil {
			t.Fatal(err)
		}
		if got := strings.Split(strings.TrimSpace(s.rows("SHOW BACKUPS FOR DATABASE app")), "\n"); !strings.HasSuffix(got[1], " incomplete") ||
			!strings.HasSuffix(got[0], " available") {
			t.Fatalf("a backup missing part of a file is not shown incomplete:\n%s", strings.Join(got, "\n"))
		}
	}
	if err := os.WriteFile(hot, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := s.rows("SHOW BACKUPS FOR DATABASE app"); strings.Count(got, " available") != 2 {
		t.Fatalf("a repaired backup:\n%s", got)
	}
	if err := os.RemoveAll(filepath.Join(root, "one")); err != nil {
		t.Fatal(err)
	}
	if got := s.rows("SHOW BACKUPS FOR DATABASE app"); !strings.Contains(strings.Split(got, "\n")[0], " missing") {
		t.Fatalf("a deleted backup is not shown missing:\n%s", got)
	}
	if got := s.rows("SHOW BACKUPS FOR DATABASE other"); got != "" {
		t.Fatalf("backups of another namespace: %s", got)
	}
}

// A disk that fills up during a backup fails the job and leaves nothing
// of it; the server goes on serving.
func TestBackupFullDiskRemovesPartialOutput(t *testing.T) {
	root := t.TempDir()
	var written atomic.Int64
	s := &server{t: t, dir: t.TempDir(), backupRoot: root, faults: &cold.Faults{Write: func(p string, n int) error {
		if written.Add(int64(n)) > 6000 {
			return errors.New("no space left on device")
		}
		return nil
	}}}
	s.open()
	t.Cleanup(s.close)
	fill(s)
	j := s.job("BACKUP DATABASE app TO 'full-disk'")
	if j.Status != systable.JobFailed || !strings.Contains(j.ErrorMessage, "no space left on device") {
		t.Fatalf("backup on a full disk: %s %q", j.Status, j.ErrorMessage)
	}
	if got := files(t, root); len(got) != 0 {
		t.Fatalf("partial backup left: %v", got)
	}
	if _, err := os.Stat(filepath.Join(root, "full-disk")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("backup directory left: %v", err)
	}
	if got := s.rows("SHOW BACKUPS FOR DATABASE app"); got != "" {
		t.Fatalf("a failed backup is listed: %s", got)
	}
	s.must("EXECUTE AS USER 'alice' (INSERT INTO app.msgs (id, conv, body) VALUES (50, 1, 'still serving'))")
	if got := s.rows("EXECUTE AS USER 'alice' (SELECT body FROM app.msgs WHERE id = 50)"); got != "still serving\n" {
		t.Fatalf("after a failed backup: %s", got)
	}
}

// Compaction replacing files after the snapshot, and writes and flushes
// going on, do not break a backup: it holds the namespace as of its
// snapshot.
func TestBackupIsConsistentWhileCompactionAndWritesRun(t *testing.T) {
	root := t.TempDir()
	s := newServer(t, root)
	fill(s)
	s.mustJob("STORAGE FLUSH TABLE app.msgs") // two files per partition now
	want := dump(s)
	var hookErr error
	svc := s.service(func() {
		// After the snapshot: the files it lists are replaced and (with
		// no grace) would be deleted at once but for the backup's pin.
		for _, sql := range []string{
			"EXECUTE AS USER 'alice' (INSERT INTO app.msgs (id, conv, body) VALUES (60, 1, 'after'))",
			"EXECUTE AS USER 'bob' (DELETE FROM app.msgs WHERE id = 2)",
		} {
			if _, err := s.exec(sql); err != nil {
				hookErr = err
			}
		}
		for _, sql := range []string{"STORAGE FLUSH TABLE app.msgs", "STORAGE COMPACT TABLE app.msgs", "STORAGE COMPACT TABLE app.cfg"} {
			res, err := s.exec(sql)
			if err != nil {
				hookErr = err
				return
			}
			j, err := s.db.Jobs.Wait(context.Background(), res[0].Rows[0][0].(string))
			if err != nil || j.Status != systable.JobCompleted {
				hookErr = errors.Join(err, errors.New(j.ErrorMessage))
			}
		}
	})
	// The hook waits for jobs, so this backup runs outside the job pool.
	if _, err := svc.Backup(context.Background(), "app", "during-compaction", rootCaller, &jobs.Progress{}); err != nil {
		t.Fatal(err)
	}
	if hookErr != nil {
		t.Fatal(hookErr)
	}
	dst := newServer(t, root)
	dst.mustJob("RESTORE DATABASE app FROM 'during-compaction'")
	if got := dump(dst); got != want {
		t.Fatalf("restored:\n%s\nwant (as of the snapshot):\n%s", got, want)
	}
}

// A disk that fills up while a restore copies the Parquet files fails it
// and leaves nothing of it (restoreFails checks).
func TestRestoreFullDiskRestoresNothing(t *testing.T) {
	root := t.TempDir()
	s := newServer(t, root)
	fill(s)
	s.mustJob("BACKUP DATABASE app TO 'b'")
	var copied atomic.Int64
	dst := &server{t: t, dir: t.TempDir(), backupRoot: root}
	store := func(p string, n int) error {
		if strings.HasSuffix(p, ".parquet") && copied.Add(1) > 2 {
			return errors.New("no space left on device")
		}
		return nil
	}
	dst.storageFaults = &cold.Faults{Write: store}
	dst.open()
	t.Cleanup(dst.close)
	checkRestoreFails(t, dst, "b", "no space left on device")
}
