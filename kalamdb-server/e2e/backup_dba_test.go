package e2e_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// bcryptHash matches a bcrypt hash as the server stores passwords.
var bcryptHash = regexp.MustCompile(`\$2[abxy]?\$\d\d\$`)

// objects reads every object of bucket under prefix, by key.
func (f *fakeS3) objects(t *testing.T, bucket, prefix string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, k := range f.keys(t, bucket, prefix) {
		obj, err := f.backend.GetObject(bucket, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(obj.Contents)
		_ = obj.Contents.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[k] = raw
	}
	return out
}

// TestDBABackupToS3HoldsNoPasswords: docs/backup.md, "Roles". A dba may
// back up into a bucket it reads; its backup holds no password hash in
// any object (a system user's backup of the same namespace does), and the
// users a restore creates from it cannot sign in, by Basic auth or login,
// with their old password or none, until a dba sets one. A namespace
// where a system user owns rows is refused to a dba and nothing is
// written.
func TestDBABackupToS3HoldsNoPasswords(t *testing.T) {
	f := sharedS3()
	bucket := f.bucket(t)
	src := startServer(t, t.TempDir(), withStorageKey)
	src.ok(root, f.createStorage("s3a", bucket, "tables", s3AccessKey, ""))
	fillChat(t, src, "s3a")
	src.ok(root, "CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba")
	dba := basic("dba1", "dba-pw")

	sysLoc, dbaLoc := fmt.Sprintf("s3://%s/backups/by-root", bucket), fmt.Sprintf("s3://%s/backups/by-dba", bucket)
	if status, msg := waitJob(t, src, jobOf(t, src, "BACKUP DATABASE chat TO '"+sysLoc+"'")); status != "completed" {
		t.Fatalf("root's backup: %s %s", status, msg)
	}
	if status, msg := waitJob(t, src, fmt.Sprint(src.ok(dba, "BACKUP DATABASE chat TO '"+dbaLoc+"'").Results[0].Rows[0][0])); status != "completed" {
		t.Fatalf("dba's backup: %s %s", status, msg)
	}
	hashed := 0
	for _, raw := range f.objects(t, bucket, "backups/by-root/") {
		hashed += len(bcryptHash.FindAll(raw, -1))
	}
	if hashed != 2 { // alice and bob; root has no password here
		t.Fatalf("root's backup holds %d password hashes, want 2: the check below proves nothing", hashed)
	}
	objs := f.objects(t, bucket, "backups/by-dba/")
	if len(objs) < 4 {
		t.Fatalf("objects of the dba's backup: %d", len(objs))
	}
	for k, raw := range objs {
		if bcryptHash.Match(raw) || strings.Contains(string(raw), "password_hash") {
			t.Fatalf("%s of the dba's backup holds a password hash", k)
		}
	}
	if !strings.Contains(string(objs["backups/by-dba/backup.json"]), `"passwords_omitted": true`) {
		t.Fatalf("backup.json does not say the passwords were left out: %s", objs["backups/by-dba/backup.json"])
	}

	// Restored on a fresh server: alice and bob exist there now, without
	// a password.
	dst := startServer(t, t.TempDir(), withStorageKey)
	dst.ok(root, f.createStorage("s3a", bucket, "tables-dst", s3AccessKey, ""))
	job := jobOf(t, dst, "RESTORE DATABASE chat FROM '"+dbaLoc+"'")
	if status, msg := waitJob(t, dst, job); status != "completed" {
		t.Fatalf("restore: %s %s", status, msg)
	}
	result := strings.ReplaceAll(dst.ok(root, "SELECT result FROM system.jobs WHERE job_id = $1", job).raw, `\"`, `"`)
	if !strings.Contains(result, `"users_without_password":["alice","bob"]`) || !strings.Contains(result, "SET PASSWORD") {
		t.Fatalf("the restore's result does not say who has no password: %s", result)
	}
	// Both servers have the same storage secret key: the backup is signed
	// with a key derived from it and its signature checks here, but a dba
	// took it, so it restores under a dba's rules whoever restores it
	// (docs/backup.md, "Signatures"); nothing of a system user is in it,
	// so it restores whole.
	if !strings.Contains(result, `"signed":true`) || !strings.Contains(result, `"trusted":false`) ||
		!strings.Contains(result, "taken by a dba") {
		t.Fatalf("the restore's result does not say the backup was signed and, taken by a dba, not trusted: %s", result)
	}
	for _, pw := range []string{"alice-pw", ""} {
		dst.fail(basic("alice", pw), http.StatusUnauthorized, "UNAUTHORIZED", "SELECT count(*) FROM chat.messages")
		if r := dst.do(http.MethodPost, "/v1/api/auth/login", nil, map[string]string{"user": "alice", "password": pw}); r.httpStatus != http.StatusUnauthorized {
			t.Fatalf("login of a restored user without a password (%q): %s", pw, r)
		}
	}
	dst.ok(root, "CREATE USER 'dba2' WITH PASSWORD 'dba-pw' ROLE dba")
	dst.ok(basic("dba2", "dba-pw"), "ALTER USER 'alice' SET PASSWORD 'alice-new'")
	if got := dst.ok(basic("alice", "alice-new"), "SELECT count(*) FROM chat.messages").rows(t); got != "[[20]]" {
		t.Fatalf("alice's restored rows: %s", got)
	}
	dst.login(t, "alice", "alice-new")
	dst.fail(basic("bob", "bob-pw"), http.StatusUnauthorized, "UNAUTHORIZED", "SELECT 1")

	// root owns rows now: the dba may not back the namespace up, and
	// nothing reaches the bucket.
	src.ok(root, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 1, 'root''s own')")
	r := src.fail(dba, http.StatusForbidden, "PERMISSION_DENIED", "BACKUP DATABASE chat TO '"+dbaLoc+"-2'")
	if !strings.Contains(r.Error.Message, "holds rows of system user 'root'; only a system user may back it up") {
		t.Fatalf("refusal: %s", r.raw)
	}
	if keys := f.keys(t, bucket, "backups/by-dba-2"); len(keys) != 0 {
		t.Fatalf("a refused backup wrote %v", keys)
	}
}
