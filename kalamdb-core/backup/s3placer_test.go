package backup_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A system user's backup holds password hashes and system users' rows,
// and a system user's partition is never written to an s3 storage a
// non-system account placed (a dba may hold its bucket's credentials, or
// have pointed it at a server of their own): a system user's backup does
// not go into the bucket of such a storage, and a restore does not copy a
// system user's Parquet files into one.
func TestS3PlacerSystemBackupsStayOffDBAPlacedStorages(t *testing.T) {
	store := newObjectStore(t)
	src := newServer(t, t.TempDir())
	src.must("CREATE USER 'ops' WITH PASSWORD 'pw' ROLE dba; CREATE USER 'sysop' WITH PASSWORD 'pw' ROLE system")
	ops, _ := src.db.Catalog.UserByName("ops")
	sysop, _ := src.db.Catalog.UserByName("sysop")
	if _, err := src.execAs(ops.UserID, systable.RoleDBA, store.createStorage("s3data", "tables")); err != nil {
		t.Fatal(err)
	}
	src.must("CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY, v TEXT) WITH (TYPE = 'USER')")
	if _, err := src.execAs(sysop.UserID, systable.RoleSystem, "INSERT INTO app.t VALUES (1, 'root only')"); err != nil {
		t.Fatal(err)
	}
	const loc = "s3://kalam-backups/backups/app-1"
	_, err := src.exec("BACKUP DATABASE app TO '" + loc + "'")
	wantCode(t, err, apierror.PermissionDenied, "placed by a non-system account")
	if ents, err := store.storage(t, "backups").List(t.Context(), "."); err == nil && len(ents) != 0 {
		t.Fatalf("a refused backup wrote %v", ents)
	}
	// Placed again by a system user: the backup goes there.
	src.must(fmt.Sprintf("ALTER STORAGE s3data SET BUCKET = 's3://%s/tables'", store.bucket))
	src.mustJob("BACKUP DATABASE app TO '" + loc + "'")

	// A table on an s3 storage, with a system user's Parquet files.
	src.must("CREATE TABLE app.cold (id INT PRIMARY KEY, v TEXT) WITH (TYPE = 'USER', STORAGE_ID = 's3data')")
	if _, err := src.execAs(sysop.UserID, systable.RoleSystem, "INSERT INTO app.cold VALUES (1, 'cold root row')"); err != nil {
		t.Fatal(err)
	}
	src.mustJob("STORAGE FLUSH TABLE app.cold")
	const loc2 = "s3://kalam-backups/backups/app-2"
	src.mustJob("BACKUP DATABASE app TO '" + loc2 + "'")

	// A server where a dba placed the table's storage: the restore, which
	// would copy sysop's files there, is refused and restores nothing.
	dst := serverWithDBAStorage(t, store)
	j := dst.job("RESTORE DATABASE app FROM '" + loc2 + "'")
	if j.Status != systable.JobFailed || !strings.Contains(j.ErrorMessage, "Parquet files of system user") {
		t.Fatalf("restore into a dba's storage: %s %s", j.Status, j.ErrorMessage)
	}
	if _, ok := dst.db.Catalog.Snapshot().Namespace("app"); ok {
		t.Fatal("a refused restore left the namespace")
	}
	if ents, err := store.storage(t, "tables2").List(t.Context(), "."); err == nil && len(ents) != 0 {
		t.Fatalf("a refused restore wrote %v", ents)
	}
	dst.must(fmt.Sprintf("ALTER STORAGE s3data SET BUCKET = 's3://%s/tables2'", store.bucket))
	dst.mustJob("RESTORE DATABASE app FROM '" + loc2 + "'")
	restored, ok := dst.db.Catalog.UserByName("sysop")
	if !ok {
		t.Fatal("the restore did not create sysop")
	}
	res, err := dst.execAs(restored.UserID, systable.RoleSystem, "SELECT v FROM app.cold")
	if err != nil || fmt.Sprint(res[0].Rows) != "[[cold root row]]" {
		t.Fatalf("restored rows: %v, %v", res, err)
	}
}

// serverWithDBAStorage is a server where the dba ops placed the s3
// storage s3data (prefix tables2 of store's bucket): a storage no system
// user's files may be written to.
func serverWithDBAStorage(t *testing.T, store *objectStore) *server {
	t.Helper()
	dst := newServer(t, t.TempDir())
	dst.must("CREATE USER 'ops' WITH PASSWORD 'pw' ROLE dba")
	dops, _ := dst.db.Catalog.UserByName("ops")
	if _, err := dst.execAs(dops.UserID, systable.RoleDBA, store.createStorage("s3data", "tables2")); err != nil {
		t.Fatal(err)
	}
	return dst
}
