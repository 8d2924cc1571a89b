package backup_test

import (
	"context"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// racingOpener runs around its Opener's Create what a concurrent session
// does meanwhile.
type racingOpener struct {
	backup.Opener
	before, after func()
}

func (o *racingOpener) Create(ctx context.Context, location string) (cold.Storage, func(), error) {
	o.before()
	st, discard, err := o.Opener.Create(ctx, location)
	o.after()
	return st, discard, err
}

// TestAttackrestore20SystemBackupOpenedThroughAnotherStorage: a system
// user's backup to s3 checks (mayGoTo) the storage its location resolves
// to before Create and again after it, but Create resolves the location
// itself, in between. A dba who creates, just before Create, an s3
// storage of the same bucket and endpoint whose prefix shares more of the
// location (its own credentials: ones scoped to a backups/ prefix of the
// bucket, say), and drops it just after, has the system user's backup
// (password hashes, system users' rows) written through the dba's
// storage, while both checks see only the system user's storage. A
// change of the storages while Create resolved the location must fail
// the backup.
func TestAttackrestore20SystemBackupOpenedThroughAnotherStorage(t *testing.T) {
	store := newObjectStore(t)
	s := newServer(t, t.TempDir())
	s.must("CREATE USER 'ops' WITH PASSWORD 'pw' ROLE dba; CREATE USER 'sysop' WITH PASSWORD 'pw' ROLE system")
	s.must(store.createStorage("s3sys", "tables"))
	s.must("CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY, v TEXT) WITH (TYPE = 'USER')")
	ops, sysop := s.user("ops"), s.user("sysop")
	if _, err := s.execAs(sysop.UserID, systable.RoleSystem, "INSERT INTO app.t VALUES (1, 'root only')"); err != nil {
		t.Fatal(err)
	}
	const loc = "s3://kalam-backups/backups/app-1"
	throughDBA := false
	opener := &racingOpener{Opener: &backup.S3Opener{Catalog: s.db.Catalog, Tier: s.db.Tier},
		before: func() {
			if _, err := s.execAs(ops.UserID, systable.RoleDBA, store.createStorage("s3dba", "backups/dba")); err != nil {
				t.Error(err)
			}
			st, _, err := s.db.Catalog.BackupS3Location(loc)
			throughDBA = err == nil && st.StorageID == "s3dba"
		},
		after: func() {
			if _, err := s.execAs(ops.UserID, systable.RoleDBA, "DROP STORAGE s3dba"); err != nil {
				t.Error(err)
			}
		}}
	svc, err := backup.New(backup.Options{DB: s.kv, Catalog: s.db.Catalog, Tier: s.db.Tier, Jobs: s.db.Jobs, Txns: s.db.Txns,
		Opener: opener, SigningKey: s.key})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Backup(t.Context(), "app", loc, backup.Caller{UserID: sysop.UserID, Role: systable.RoleSystem}, &jobs.Progress{})
	if !throughDBA {
		t.Fatal("the location did not resolve to the dba's storage during Create")
	}
	if err == nil {
		t.Fatal("a system user's backup was written through s3dba, an s3 storage a dba placed")
	}
	if ents, lerr := store.storage(t, "backups/app-1").List(t.Context(), "."); lerr == nil && len(ents) != 0 {
		t.Fatalf("a refused backup left %v", ents)
	}
}
