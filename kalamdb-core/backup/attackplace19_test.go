package backup_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// beforeCreateOpener runs before once, just before the first Create: a
// statement that lands between the backup job's check of its location
// and the opening of it.
type beforeCreateOpener struct {
	backup.Opener
	before func()
}

func (o *beforeCreateOpener) Create(ctx context.Context, location string) (cold.Storage, func(), error) {
	if f := o.before; f != nil {
		o.before = nil
		f()
	}
	return o.Opener.Create(ctx, location)
}

// The job checked that the backup's bucket is reached through a storage a
// system user placed, then opened the location by resolving the storage
// again: a dba's ALTER STORAGE in between (a new endpoint, their own
// server, with credentials of their own) sent the system user's backup,
// password hashes included, to the dba.
func TestAttackplace19SystemBackupRechecksThePlaceItOpens(t *testing.T) {
	store, evil := newObjectStore(t), newObjectStore(t)
	s := newServer(t, t.TempDir())
	fill(s)
	s.must("CREATE USER 'ops' WITH PASSWORD 'pw' ROLE dba")
	ops, _ := s.db.Catalog.UserByName("ops")
	s.must(store.createStorage("s3data", "tables"))
	var alterErr error
	svc, err := backup.New(backup.Options{DB: s.kv, Catalog: s.db.Catalog, Tier: s.db.Tier, Jobs: s.db.Jobs, Txns: s.db.Txns,
		Opener: &beforeCreateOpener{Opener: &backup.S3Opener{Catalog: s.db.Catalog, Tier: s.db.Tier}, before: func() {
			_, alterErr = s.execAs(ops.UserID, systable.RoleDBA, evil.alterEndpoint("s3data"))
		}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Backup(t.Context(), "app", "s3://kalam-backups/backups/x", rootCaller, &jobs.Progress{})
	if alterErr != nil {
		t.Fatalf("the dba's ALTER: %v", alterErr)
	}
	if ents, lerr := evil.storage(t, "backups/x").List(t.Context(), "."); lerr == nil && len(ents) != 0 {
		t.Fatalf("the system user's backup went to the dba's endpoint: %d objects (backup error %v)", len(ents), err)
	}
	wantCode(t, err, apierror.PermissionDenied, "placed by a non-system account")
}

// A system user's backup keeps dropped users' partitions (a dba's leaves
// them out: their owner's role is gone, and may have been system). A
// restore of such a partition's Parquet files into an s3 storage a dba
// placed would hand the dba those rows in their bucket; it is refused,
// as for a system user's partition.
func TestAttackplace19RestoreKeepsDroppedOwnersOffDBAPlacedStorages(t *testing.T) {
	store := newObjectStore(t)
	src := newServer(t, t.TempDir())
	src.must("CREATE USER 'sysop' WITH PASSWORD 'pw' ROLE system")
	sysop, _ := src.db.Catalog.UserByName("sysop")
	src.must(store.createStorage("s3data", "tables"))
	src.must("CREATE NAMESPACE app; CREATE TABLE app.cold (id INT PRIMARY KEY, v TEXT) WITH (TYPE = 'USER', STORAGE_ID = 's3data')")
	if _, err := src.execAs(sysop.UserID, systable.RoleSystem, "INSERT INTO app.cold VALUES (1, 'cold root row')"); err != nil {
		t.Fatal(err)
	}
	src.mustJob("STORAGE FLUSH TABLE app.cold")
	src.must("DROP USER sysop")
	const loc = "s3://kalam-backups/backups/app-dropped"
	src.mustJob("BACKUP DATABASE app TO '" + loc + "'")

	dst := serverWithDBAStorage(t, store)
	j := dst.job("RESTORE DATABASE app FROM '" + loc + "'")
	if ents, err := store.storage(t, "tables2").List(t.Context(), "."); err == nil && len(ents) != 0 {
		t.Fatalf("the restore copied a dropped owner's files into the dba's storage: %v (job %s %s)", ents, j.Status, j.ErrorMessage)
	}
	if j.Status != systable.JobFailed || !strings.Contains(j.ErrorMessage, "Parquet files of") {
		t.Fatalf("restore into a dba's storage: %s %s", j.Status, j.ErrorMessage)
	}
}

// A restore maps a backup user to the existing account of that name and
// leaves the account as it is. A dba who creates a user (role user) named
// like a system user of a system backup, then restores that backup, got
// the system user's rows in the partition of an account the dba controls
// (EXECUTE AS, or its password): a dba read a system user's rows. Giving
// a backup user's rows to an account of a lower role needs the right to
// create the backup user's role, as creating the account would.
func TestAttackplace19RestoreDoesNotHandSystemRowsToALowerNamesake(t *testing.T) {
	root := t.TempDir()
	src := newServer(t, root)
	src.must("CREATE USER 'sysop' WITH PASSWORD 'pw' ROLE system")
	sysop, _ := src.db.Catalog.UserByName("sysop")
	src.must("CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY, v TEXT) WITH (TYPE = 'USER')")
	if _, err := src.execAs(sysop.UserID, systable.RoleSystem, "INSERT INTO app.t VALUES (1, 'root only')"); err != nil {
		t.Fatal(err)
	}
	src.mustJob("BACKUP DATABASE app TO 'sys-namesake'")

	dst := newServer(t, root)
	dst.must("CREATE USER 'ops' WITH PASSWORD 'pw' ROLE dba")
	ops, _ := dst.db.Catalog.UserByName("ops")
	if _, err := dst.execAs(ops.UserID, systable.RoleDBA, "CREATE USER 'sysop' WITH PASSWORD 'mine' ROLE user"); err != nil {
		t.Fatal(err)
	}
	res, err := dst.execAs(ops.UserID, systable.RoleDBA, "RESTORE DATABASE app FROM 'sys-namesake'")
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		j, werr := dst.db.Jobs.Wait(ctx, res[0].Rows[0][0].(string))
		if werr != nil {
			t.Fatal(werr)
		}
		if j.Status != systable.JobFailed {
			fake, _ := dst.db.Catalog.UserByName("sysop")
			got, _ := dst.execAs(fake.UserID, systable.RoleUser, "SELECT v FROM app.t")
			t.Fatalf("a dba's restore gave system user sysop's rows to the dba's namesake account: job %s, it reads %v", j.Status, got[0].Rows)
		}
		if !strings.Contains(j.ErrorMessage, "role system") {
			t.Fatalf("restore failed for another reason: %s", j.ErrorMessage)
		}
	} else {
		wantCode(t, err, apierror.PermissionDenied, "role system")
	}
	if _, ok := dst.db.Catalog.Snapshot().Namespace("app"); ok {
		t.Fatal("a refused restore left the namespace")
	}
}
