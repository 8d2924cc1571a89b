package backup_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// editCatalog changes catalog.json of the backup in dir with edit, and
// makes backup.json agree (its signature then fails).
func editCatalog(t *testing.T, dir string, edit func(cat map[string]any)) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cat map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // _seq values do not fit a float64
	if err := dec.Decode(&cat); err != nil {
		t.Fatal(err)
	}
	edit(cat)
	if raw, err = json.Marshal(cat); err != nil {
		t.Fatal(err)
	}
	writeCatalogAgreeing(t, dir, raw, nil)
}

// TestRestoreRefusesAUserWithoutARole: a user row of a backup is created
// as stored, and one whose role is no role became an account with no
// rights, without a word. The restore is refused, naming the user and the
// role, and changes nothing, whether the user would be created or mapped
// to an account of that name here.
func TestRestoreRefusesAUserWithoutARole(t *testing.T) {
	root := t.TempDir()
	dbaBackup(t, root)
	editCatalog(t, filepath.Join(root, "dbak"), func(cat map[string]any) {
		for _, u := range cat["users"].([]any) {
			if u := u.(map[string]any); u["username"] == "alice" {
				u["role"] = "admin"
			}
		}
	})
	const want = `user 'alice'`
	for _, existing := range []bool{false, true} {
		dst := newServer(t, root)
		if existing {
			dst.must("CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user")
		}
		_, err := dst.exec("RESTORE DATABASE app FROM 'dbak'")
		wantCode(t, err, apierror.InvalidInput, want)
		wantCode(t, err, apierror.InvalidInput, `role "admin"`)
		if _, ok := dst.db.Catalog.Snapshot().Namespace("app"); ok {
			t.Fatal("a refused restore left the namespace")
		}
		if u, ok := dst.db.Catalog.UserByName("alice"); ok != existing || existing && u.Role != "user" {
			t.Fatalf("after the refused restore alice is %+v (exists %v)", u, ok)
		}
		if _, ok := dst.db.Catalog.UserByName("bob"); ok {
			t.Fatal("a refused restore created bob")
		}
	}
}

// TestRestoreRefusesALowerNamesakeAtTheStatement: the rows of a backup's
// system user go to no account of that name here that is not a system
// user. The check was split: the statement refused it only for a caller
// who may not create system users, or for owners of Parquet files; a
// system user's restore of a backup where the system user owns only hot
// rows started, wrote the tables' families, and failed as it read them.
// One check from the restore's user plan refuses it at the statement.
func TestRestoreRefusesALowerNamesakeAtTheStatement(t *testing.T) {
	root := t.TempDir()
	hotSysBackup(t, root)
	dst := newServer(t, root)
	dst.must("CREATE USER 'ops' WITH PASSWORD 'squat' ROLE user")
	_, err := dst.exec("RESTORE DATABASE app FROM 'sys-hot'")
	wantCode(t, err, apierror.PermissionDenied, "gives the rows of system user 'ops' of the backup to user 'ops' here, who is not a system user")
	checkRestoreFails(t, dst, "sys-hot", "who is not a system user")
	// Made a system user, ops gets its rows.
	dst.must("DROP NAMESPACE app; ALTER USER 'ops' SET ROLE system") // checkRestoreFails created app
	wantTrusted(t, restoreResult(t, dst.job("RESTORE DATABASE app FROM 'sys-hot'")), true, "")
	if got := opsRows(dst); got != "100 ops-cold\n101 ops-hot\n" { // both hot in sys-hot
		t.Fatalf("ops's rows restored: %q", got)
	}
}
