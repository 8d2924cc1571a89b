package backup_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// dbaBackup fills a server with key and backs app up as dba dba1 to
// 'dbak': a backup the server signs, of what a dba may read.
func dbaBackup(t *testing.T, root string) *server {
	t.Helper()
	src := newServer(t, root)
	fill(src)
	src.must("CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba")
	if j := src.jobAs(src.user("dba1"), "BACKUP DATABASE app TO 'dbak'"); j.Status != systable.JobCompleted {
		t.Fatalf("dba backup: %s %s", j.Status, j.ErrorMessage)
	}
	return src
}

// TestAttacksign19DBABackupNotTrustedWithSystemPartitions: the server
// signs a dba's own backup too, and a restore matches its users by name.
// So a dba's backup restored by a system user, where a user of its
// (bob, a service when the dba took it) is a system user (a server with
// the same storage secret key, or a name given again), put the rows the
// dba wrote as bob into the system user's partition: a dba reached
// a system user's partition through a system user's restore. A backup a
// dba took holds only what a dba may do, so it restores under a dba's
// rules whoever restores it; where no system user is involved it still
// restores whole.
func TestAttacksign19DBABackupNotTrustedWithSystemPartitions(t *testing.T) {
	root := t.TempDir()
	src := dbaBackup(t, root)

	dst := newServer(t, root)
	dst.must("CREATE USER 'bob' WITH PASSWORD 'bob-here' ROLE system")
	checkRestoreFails(t, dst, "dbak", "puts rows into the partition of system user 'bob'")

	// No system user involved: root's restore of the dba's backup is
	// whole, and says why it followed a dba's rules.
	want := dump(src)
	dst = newServer(t, root)
	res := restoreResult(t, dst.job("RESTORE DATABASE app FROM 'dbak'"))
	wantTrusted(t, res, false, "taken by a dba")
	if !res.Signed {
		t.Fatalf("restore result says the dba's backup is not signed: %+v", res)
	}
	if got := dump(dst); got != want {
		t.Fatalf("restored from the dba's backup:\n%s\nwant:\n%s", got, want)
	}
	// A dba's restore of it, likewise.
	dst = newServer(t, root)
	dst.must("CREATE USER 'dba2' WITH PASSWORD 'dba-pw' ROLE dba")
	if j := dst.jobAs(dst.user("dba2"), "RESTORE DATABASE app FROM 'dbak'"); j.Status != systable.JobCompleted {
		t.Fatalf("dba restore of a dba's backup: %s %s", j.Status, j.ErrorMessage)
	}
	if got := dump(dst); got != want {
		t.Fatalf("restored by a dba from the dba's backup:\n%s\nwant:\n%s", got, want)
	}
}

// TestAttacksign19RestoreRoleAsOfTheRun: a restore job runs after its
// statement (queued behind others); a system user demoted to dba since
// then restored with a system user's trust, where a backup's rules (and
// mayBackUp) take the lower of the role at the statement and now.
func TestAttacksign19RestoreRoleAsOfTheRun(t *testing.T) {
	root := t.TempDir()
	sysBackup(t, root, testSigningKey)
	dst := newServer(t, root)
	dst.must("CREATE USER 'ops' WITH PASSWORD 'ops2-pw' ROLE system; CREATE USER 'sa' WITH PASSWORD 'sa-pw' ROLE system")
	sa := dst.user("sa")
	// sa asked as a system user; demoted before the job runs.
	dst.must("ALTER USER 'sa' SET ROLE dba")
	svc := dst.service(nil)
	_, err := svc.Restore(t.Context(), "app", "sys", backup.Caller{UserID: sa.UserID, Role: systable.RoleSystem},
		func(systable.Role) error { return nil }, &jobs.Progress{})
	wantCode(t, err, apierror.PermissionDenied, "puts rows into the partition of system user 'ops'")
	if _, ok := dst.db.Catalog.Snapshot().Namespace("app"); ok {
		t.Fatal("namespace restored by a demoted caller with a system user's trust")
	}
	// A system user still restores it whole.
	wantTrusted(t, restoreResult(t, dst.job("RESTORE DATABASE app FROM 'sys'")), true, "")
	if got := opsRows(dst); got != "100 ops-cold\n101 ops-hot\n" {
		t.Fatalf("ops's rows restored: %q", got)
	}
}

// TestAttacksign19SquattedNameGetsNoSystemRows: a restore matches the
// backup's users by name. A dba who made a plain user 'ops' here, then
// restored a system user's backup where ops is a system user owning
// rows, had those rows restored into the plain ops's partition, which it
// reads with EXECUTE AS: a dba read a system user's partition, which its
// own backup refuses (mayBackUp). So did a system user's restore of such
// a backup when it is not trusted. Under a dba's rules the rows of a
// system user of the backup go nowhere; a system user's trusted restore
// still restores them (TestSignedBackupRestoresWithFullTrust).
func TestAttacksign19SquattedNameGetsNoSystemRows(t *testing.T) {
	const want = "gives the rows of system user 'ops' of the backup to user 'ops' here"
	root := t.TempDir()
	sysBackup(t, root, testSigningKey)
	src := newServer(t, root)
	fillSys(src, false)
	src.mustJob("BACKUP DATABASE app TO 'sys-hot'") // only hot rows of ops: met as they are read
	for _, loc := range []string{"sys", "sys-hot"} {
		dst := newServer(t, root)
		dst.must("CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba; CREATE USER 'ops' WITH PASSWORD 'squat' ROLE user")
		checkRestoreFailsAs(t, dst, dst.user("dba1"), loc, want)
	}
	// Signed with another key (untrusted), restored by root: the same.
	other := t.TempDir()
	sysBackup(t, other, otherKey)
	dst := newServer(t, other)
	dst.must("CREATE USER 'ops' WITH PASSWORD 'squat' ROLE user")
	checkRestoreFails(t, dst, "sys", want)
}

// TestAttacksign19SquattedNameTrustedRestore: the same squatting, and a
// system user restores the system user's signed backup itself (trusted):
// the rows of system user ops went to the plain ops a dba made, whose
// partition a dba reads. Refused; made a system user, ops gets them.
func TestAttacksign19SquattedNameTrustedRestore(t *testing.T) {
	root := t.TempDir()
	sysBackup(t, root, testSigningKey)
	dst := newServer(t, root)
	dst.must("CREATE USER 'ops' WITH PASSWORD 'squat' ROLE user")
	checkRestoreFails(t, dst, "sys", "gives the rows of system user 'ops' of the backup to user 'ops' here, who is not a system user")
	dst.must("DROP NAMESPACE app; ALTER USER 'ops' SET ROLE system")
	wantTrusted(t, restoreResult(t, dst.job("RESTORE DATABASE app FROM 'sys'")), true, "")
	if got := opsRows(dst); got != "100 ops-cold\n101 ops-hot\n" {
		t.Fatalf("ops's rows restored: %q", got)
	}
}
