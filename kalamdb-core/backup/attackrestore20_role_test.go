package backup_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackrestore20CallerDemotedBeforeTheCommit: a restore takes its
// caller's role as of the job's start (attacksign19), and checks the
// namesakes and owners again at the commit, but not the caller. A
// system user demoted to dba while its restore of a trusted backup
// copied files still had it commit with a system user's trust: system
// user ops created with the backup's password hash (which the demoted
// account may know), ops's rows restored. The caller's role is checked
// again at the commit: lower than at the start, nothing is restored.
func TestAttackrestore20CallerDemotedBeforeTheCommit(t *testing.T) {
	root := t.TempDir()
	sysBackup(t, root, testSigningKey)
	dst := newServer(t, root)
	dst.must("CREATE USER 'sa' WITH PASSWORD 'sa-pw' ROLE system")
	sa := dst.user("sa")
	demoted := false
	svc, err := backup.New(backup.Options{DB: dst.kv, Catalog: dst.db.Catalog, Tier: dst.db.Tier, Jobs: dst.db.Jobs, Txns: dst.db.Txns,
		Opener: &backup.LocalOpener{Catalog: dst.db.Catalog, Roots: []string{dst.backupRoot}}, SigningKey: dst.key,
		Failpoint: func(point string) {
			if point == backup.FailRestoreAfterFile && !demoted {
				demoted = true
				dst.must("ALTER USER 'sa' SET ROLE dba")
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Restore(t.Context(), "app", "sys", backup.Caller{UserID: sa.UserID, Role: systable.RoleSystem},
		func(systable.Role) error { return nil }, &jobs.Progress{})
	if !demoted {
		t.Fatal("the restore copied no file")
	}
	wantCode(t, err, apierror.PermissionDenied, "no longer")
	if _, ok := dst.db.Catalog.Snapshot().Namespace("app"); ok {
		t.Fatal("namespace restored with a system user's trust by a caller demoted to dba")
	}
	if _, ok := dst.db.Catalog.UserByName("ops"); ok {
		t.Fatal("system user ops created by a caller demoted to dba")
	}
}
