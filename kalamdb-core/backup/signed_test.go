package backup_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A dba may write where backups are (a backup root, a bucket of its own
// s3 storage), so it may change a backup a system user restores later.
// backup.json lists every file with its SHA-256 and carries an HMAC of
// itself under a key derived from the server's storage secret key: a
// backup whose signature is this server's restores as it was written;
// any other (unsigned, signed with another key, changed since) restores
// under the rules of a dba's restore whoever runs it: no system user is
// created and no row goes into a system user's partition
// (docs/backup.md, "Signatures").

// otherKey is the signing key of a server with another storage secret key.
var otherKey = backup.SigningKey("another operator's storage secret key")

// sysBackup fills a server with key, adds system user ops owning rows of
// app.msgs (in a Parquet file and hot), backs app up as root to 'sys'
// and returns the backup's directory.
func sysBackup(t *testing.T, root string, key []byte) (*server, string) {
	t.Helper()
	src := newServerKey(t, root, key)
	fillSys(src, true)
	src.mustJob("BACKUP DATABASE app TO 'sys'")
	return src, filepath.Join(root, "sys")
}

// fillSys is fill, with system user ops owning rows of app.msgs: hot
// ones, and when flushed one in a Parquet file too.
func fillSys(s *server, flushed bool) {
	s.t.Helper()
	fill(s)
	s.must("CREATE USER 'ops' WITH PASSWORD 'ops-pw' ROLE system")
	s.must("EXECUTE AS USER 'ops' (INSERT INTO app.msgs (id, conv, body) VALUES (100, 1, 'ops-cold'))")
	if flushed {
		s.mustJob("STORAGE FLUSH TABLE app.msgs")
	}
	s.must("EXECUTE AS USER 'ops' (INSERT INTO app.msgs (id, conv, body) VALUES (101, 1, 'ops-hot'))")
}

// hotSysBackup is sysBackup to 'sys-hot' without the flush: system user
// ops's rows are only hot, met as the restore reads them.
func hotSysBackup(t *testing.T, root string) {
	t.Helper()
	src := newServer(t, root)
	fillSys(src, false)
	src.mustJob("BACKUP DATABASE app TO 'sys-hot'")
}

// copyBackup copies the backup in dir to a new location of root.
func copyBackup(t *testing.T, root, dir, to string) string {
	t.Helper()
	dst := filepath.Join(root, to)
	if err := os.CopyFS(dst, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// restoreResult is a completed restore job's result.
func restoreResult(t *testing.T, j *systable.Job) backup.Result {
	t.Helper()
	if j.Status != systable.JobCompleted {
		t.Fatalf("restore: %s %s", j.Status, j.ErrorMessage)
	}
	var res backup.Result
	if err := json.Unmarshal(j.Result, &res); err != nil {
		t.Fatalf("restore result %s: %v", j.Result, err)
	}
	return res
}

// wantTrusted checks what a restore's result says of the backup's
// signature.
func wantTrusted(t *testing.T, res backup.Result, trusted bool, reason string) {
	t.Helper()
	if res.Trusted == nil || *res.Trusted != trusted || !strings.Contains(res.UntrustedReason, reason) || trusted && res.UntrustedReason != "" {
		t.Fatalf("restore result: trusted %v, reason %q; want %v, %q", res.Trusted, res.UntrustedReason, trusted, reason)
	}
}

// opsRows is what system user ops reads of app.msgs.
func opsRows(s *server) string {
	return s.rows("EXECUTE AS USER 'ops' (SELECT id, body FROM app.msgs ORDER BY id)")
}

// checkDBARules restores the untrusted backup at loc (reason is why it
// is untrusted) as root and as a dba on fresh servers with key: creating
// system user ops is refused, as are ops's rows when ops is a system user
// here, and when ops is a plain user here (a system user's rows are not
// given to another account), the refusal saying why.
func checkDBARules(t *testing.T, root, loc, reason string, key []byte) {
	t.Helper()
	// Creating system user ops: refused to root as to a dba.
	dst := newServerKey(t, root, key)
	_, err := dst.exec("RESTORE DATABASE app FROM '" + loc + "'")
	wantCode(t, err, apierror.PermissionDenied, "creates user ops with role system")
	wantCode(t, err, apierror.PermissionDenied, reason)
	dst.must("CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba")
	dba := dst.user("dba1")
	_, err = dst.execAs(dba.UserID, dba.Role, "RESTORE DATABASE app FROM '"+loc+"'")
	wantCode(t, err, apierror.PermissionDenied, "creates user ops with role system")

	// ops is a system user here: its rows are refused, to root as to a
	// dba, and nothing is left.
	dst = newServerKey(t, root, key)
	dst.must("CREATE USER 'ops' WITH PASSWORD 'ops2-pw' ROLE system")
	checkRestoreFails(t, dst, loc, "puts rows into the partition of system user 'ops'")
	dst.must("DROP NAMESPACE app") // checkRestoreFails creates it
	dst.must("CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba")
	dba = dst.user("dba1")
	_, err = dst.execAs(dba.UserID, dba.Role, "RESTORE DATABASE app FROM '"+loc+"'")
	wantCode(t, err, apierror.PermissionDenied, "puts rows into the partition of system user 'ops'")

	// ops is a plain user here: the rows of the backup's system user ops
	// are not given to it (a dba reads its partition), and the refusal
	// says why (attacksign19: TestAttacksign19SquattedNameGetsNoSystemRows).
	dst = newServerKey(t, root, key)
	dst.must("CREATE USER 'ops' WITH PASSWORD 'ops2-pw' ROLE user")
	checkRestoreFails(t, dst, loc, "gives the rows of system user 'ops' of the backup to user 'ops' here")
	if u := dst.user("ops"); u.Role != systable.RoleUser {
		t.Fatalf("an existing account changed: %+v", u)
	}
	_, err = dst.exec("DROP NAMESPACE app; RESTORE DATABASE app FROM '" + loc + "'")
	wantCode(t, err, apierror.PermissionDenied, reason)
}

// TestSignedBackupRestoresWithFullTrust (a): a system user's backup,
// unchanged, restores as it was written: system user ops is created with
// its rows, and the result says the backup was trusted. A dba's restore
// of it still creates no system user and writes into no system user's
// partition.
func TestSignedBackupRestoresWithFullTrust(t *testing.T) {
	root := t.TempDir()
	src, dir := sysBackup(t, root, testSigningKey)
	manRaw, err := os.ReadFile(filepath.Join(dir, backup.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var man backup.Manifest
	if err := json.Unmarshal(manRaw, &man); err != nil || man.Signature == nil || man.Signature.Algorithm != "hmac-sha256" {
		t.Fatalf("backup.json of a server with a storage secret key is not signed: %s %v", manRaw, err)
	}
	want := opsRows(src)

	dst := newServer(t, root)
	res := restoreResult(t, dst.job("RESTORE DATABASE app FROM 'sys'"))
	wantTrusted(t, res, true, "")
	if !res.Signed {
		t.Fatalf("restore result says the backup is not signed: %+v", res)
	}
	if ops := dst.user("ops"); ops.Role != systable.RoleSystem {
		t.Fatalf("ops restored as %s", ops.Role)
	}
	if got := opsRows(dst); got != want || got != "100 ops-cold\n101 ops-hot\n" {
		t.Fatalf("ops's rows restored: %q, want %q", got, want)
	}
	if ok, err := dst.db.Catalog.CheckPassword(dst.user("ops").UserID, "ops-pw"); err != nil || !ok {
		t.Fatalf("ops's password after a trusted restore: %v %v", ok, err)
	}

	// ops exists here as a system user: root's restore puts the rows in
	// its partition, a dba's is refused.
	dst = newServer(t, root)
	dst.must("CREATE USER 'ops' WITH PASSWORD 'ops2-pw' ROLE system; CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba")
	dba := dst.user("dba1")
	_, err = dst.execAs(dba.UserID, dba.Role, "RESTORE DATABASE app FROM 'sys'")
	wantCode(t, err, apierror.PermissionDenied, "puts rows into the partition of system user 'ops'")
	wantTrusted(t, restoreResult(t, dst.job("RESTORE DATABASE app FROM 'sys'")), true, "")
	if got := opsRows(dst); got != want {
		t.Fatalf("ops's rows restored: %q, want %q", got, want)
	}
}

// TestEditedBackupRestoresWithDBARules (b): backup.json changed after it
// was written (its catalog.json edited to make alice a system user, and
// backup.json made to agree; or only a count in backup.json changed): the
// signature no longer matches, and a system user's restore follows the
// dba rules.
func TestEditedBackupRestoresWithDBARules(t *testing.T) {
	root := t.TempDir()
	_, dir := sysBackup(t, root, testSigningKey)
	const reason = "its signature does not match"

	// alice made a system user: refused, however ops is.
	edited := copyBackup(t, root, dir, "alice-system")
	found := false
	editCatalog(t, edited, func(cat map[string]any) {
		for _, u := range cat["users"].([]any) {
			if u := u.(map[string]any); u["username"] == "alice" {
				u["role"], found = "system", true
			}
		}
	})
	if !found {
		t.Fatal("no alice in catalog.json")
	}
	dst := newServer(t, root)
	dst.must("CREATE USER 'ops' WITH PASSWORD 'ops2-pw' ROLE user")
	_, err := dst.exec("RESTORE DATABASE app FROM 'alice-system'")
	wantCode(t, err, apierror.PermissionDenied, "creates user alice with role system")
	wantCode(t, err, apierror.PermissionDenied, reason)

	// A count changed in backup.json: the same rules.
	edited = copyBackup(t, root, dir, "count")
	manRaw, err := os.ReadFile(filepath.Join(edited, backup.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(manRaw, []byte(`"views": 1`), []byte(`"views": 2`), 1)
	if bytes.Equal(changed, manRaw) {
		t.Fatalf("no view count in %s", manRaw)
	}
	if err := os.WriteFile(filepath.Join(edited, backup.ManifestName), changed, 0o644); err != nil {
		t.Fatal(err)
	}
	checkDBARules(t, root, "count", reason, testSigningKey)
	// The original is still trusted.
	wantTrusted(t, restoreResult(t, newServer(t, root).job("RESTORE DATABASE app FROM 'sys'")), true, "")
}

// TestDamagedFileOfSignedBackupRestoresNothing (c): a byte flipped in a
// data file (a Parquet file, a hot file) of a signed backup, backup.json
// untouched: the file no longer matches the SHA-256 the signed manifest
// lists, and the restore fails and leaves nothing (the rollback of any
// failed restore), whoever runs it. It is not restored under the dba
// rules instead: a file that does not match its checksum is damaged or
// forged, and its content cannot be restored at all. Made to agree in
// backup.json, the signature fails, and the dba rules apply
// (TestEditedBackupRestoresWithDBARules).
func TestDamagedFileOfSignedBackupRestoresNothing(t *testing.T) {
	root := t.TempDir()
	_, dir := sysBackup(t, root, testSigningKey)
	var parquet, hot string
	for _, f := range files(t, dir) {
		f = filepath.ToSlash(f)
		switch {
		case strings.HasPrefix(f, "files/msgs/users/") && parquet == "":
			parquet = f
		case f == "hot/msgs.kv":
			hot = f
		}
	}
	if parquet == "" || hot == "" {
		t.Fatalf("backup files: %v", files(t, dir))
	}
	for i, victim := range []string{parquet, hot} {
		loc := "flip" + string(rune('a'+i))
		p := filepath.Join(copyBackup(t, root, dir, loc), filepath.FromSlash(victim))
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		at := len(raw) / 2
		if victim == hot {
			// In a value, so that the file still reads as records to
			// its end, where its SHA-256 is checked.
			if at = bytes.Index(raw, []byte("ops-hot")); at < 0 {
				t.Fatal("ops's hot row is not in hot/msgs.kv")
			}
		}
		raw[at] ^= 0x01
		if err := os.WriteFile(p, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		dst := newServer(t, root)
		checkRestoreFails(t, dst, loc, "file "+victim+" does not match its SHA-256")
		if _, ok := dst.db.Catalog.UserByName("ops"); ok {
			t.Fatal("ops created by a failed restore")
		}
	}
}

// TestUnsignedBackupRestoresWithDBARules (d): a server without a storage
// secret key writes unsigned backups (and says so: the backup's result,
// and a warning); a system user's restore of one, there or on a server
// with a key, follows the dba rules. A backup written before signatures
// existed is such a backup.
func TestUnsignedBackupRestoresWithDBARules(t *testing.T) {
	root := t.TempDir()
	var mu sync.Mutex
	var warned []string
	src := &server{t: t, dir: t.TempDir(), backupRoot: root, noKey: true, onUnsigned: func(ns, location string) {
		mu.Lock()
		defer mu.Unlock()
		warned = append(warned, ns+" "+location)
	}}
	src.open()
	t.Cleanup(src.close)
	fillSys(src, true)
	j := src.mustJob("BACKUP DATABASE app TO 'sys'")
	var res backup.Result
	if err := json.Unmarshal(j.Result, &res); err != nil || res.Signed {
		t.Fatalf("backup result of a server without a key: %s %v", j.Result, err)
	}
	mu.Lock()
	if len(warned) != 1 || warned[0] != "app sys" {
		t.Fatalf("warnings of unsigned backups: %q", warned)
	}
	mu.Unlock()
	manRaw, err := os.ReadFile(filepath.Join(root, "sys", backup.ManifestName))
	if err != nil || bytes.Contains(manRaw, []byte("signature")) {
		t.Fatalf("backup.json of a server without a key: %s %v", manRaw, err)
	}
	const reason = "the backup is not signed"
	checkDBARules(t, root, "sys", reason, nil)
	checkDBARules(t, root, "sys", reason, testSigningKey)
}

// TestBackupSignedWithAnotherKeyRestoresWithDBARules (e): a backup
// signed by a server with another storage secret key is not trusted
// here; one whose secret key is the same is.
func TestBackupSignedWithAnotherKeyRestoresWithDBARules(t *testing.T) {
	root := t.TempDir()
	sysBackup(t, root, otherKey)
	checkDBARules(t, root, "sys", "signed with another key", testSigningKey)
	// And on a server without a key, it cannot be checked.
	checkDBARules(t, root, "sys", "no storage secret key", nil)
	dst := newServerKey(t, root, otherKey)
	wantTrusted(t, restoreResult(t, dst.job("RESTORE DATABASE app FROM 'sys'")), true, "")
	if ops := dst.user("ops"); ops.Role != systable.RoleSystem {
		t.Fatalf("ops restored as %s", ops.Role)
	}
}

// TestDBARestoreOfSystemHotRowsRolledBack: a system user's rows only
// hot in a signed backup (no manifest names the owner, so the statement
// cannot tell): a dba's restore where that user is a system user fails
// when it meets the first of them, and leaves nothing; root's restores
// them.
func TestDBARestoreOfSystemHotRowsRolledBack(t *testing.T) {
	root := t.TempDir()
	hotSysBackup(t, root)
	dst := newServer(t, root)
	dst.must("CREATE USER 'ops' WITH PASSWORD 'ops2-pw' ROLE system; CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba")
	checkRestoreFailsAs(t, dst, dst.user("dba1"), "sys-hot", "puts rows into the partition of system user 'ops'")
	dst.must("DROP NAMESPACE app")
	wantTrusted(t, restoreResult(t, dst.job("RESTORE DATABASE app FROM 'sys-hot'")), true, "")
	if got := opsRows(dst); got != "100 ops-cold\n101 ops-hot\n" {
		t.Fatalf("ops's rows restored: %q", got)
	}
}
