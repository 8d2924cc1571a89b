package backup_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// fill creates namespace app on s with a USER table (an index, two schema
// versions, rows in files and hot, updates and soft deletes), a SHARED
// table, a STREAM table and a view, written by alice and bob.
func fill(s *server) {
	s.t.Helper()
	s.must(`CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'bob-pw' ROLE service;
		CREATE NAMESPACE app;
		CREATE TABLE app.msgs (id BIGINT PRIMARY KEY, conv INT, body TEXT) WITH (TYPE = 'USER');
		CREATE INDEX msgs_conv ON app.msgs (conv);
		CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC');
		CREATE TABLE app.events (id BIGINT PRIMARY KEY, what TEXT) WITH (TYPE = 'STREAM', TTL_SECONDS = 3600)`)
	for _, u := range []string{"alice", "bob"} {
		for i := 1; i <= 6; i++ {
			s.must(fmt.Sprintf("EXECUTE AS USER '%s' (INSERT INTO app.msgs (id, conv, body) VALUES (%d, %d, '%s-%d'))", u, i, i%2, u, i))
		}
	}
	s.must("INSERT INTO app.cfg (k, v) VALUES ('a', '1'), ('b', '2')")
	s.mustJob("STORAGE FLUSH TABLE app.msgs")
	s.mustJob("STORAGE FLUSH TABLE app.cfg")
	// After the flush: updates and deletes of cold rows, new hot rows, a
	// second schema version.
	s.must("EXECUTE AS USER 'alice' (UPDATE app.msgs SET body = 'edited' WHERE id = 2)")
	s.must("EXECUTE AS USER 'alice' (DELETE FROM app.msgs WHERE id = 3)")
	s.must("EXECUTE AS USER 'bob' (DELETE FROM app.msgs WHERE id = 1)")
	s.must("ALTER TABLE app.msgs ADD COLUMN tag TEXT")
	s.must("EXECUTE AS USER 'bob' (INSERT INTO app.msgs (id, conv, body, tag) VALUES (7, 1, 'late', 'x'))")
	s.must("UPDATE app.cfg SET v = '3' WHERE k = 'b'")
	s.must("EXECUTE AS USER 'alice' (INSERT INTO app.events (id, what) VALUES (1, 'typing'))")
	s.must("CREATE VIEW app.recent AS SELECT id, body FROM app.msgs WHERE id > 2")
}

// dump renders everything of namespace app a client can read: every
// partition's rows with deleted ones, _seq and _deleted, the schemas, the
// view and index definitions.
func dump(s *server) string {
	s.t.Helper()
	var b strings.Builder
	for _, u := range []string{"alice", "bob"} {
		fmt.Fprintf(&b, "msgs of %s:\n%s", u, s.rows(fmt.Sprintf(
			"EXECUTE AS USER '%s' (SELECT id, conv, body, tag, _seq, _deleted FROM app.msgs WHERE _deleted = true OR _deleted = false ORDER BY id)", u)))
		fmt.Fprintf(&b, "conv 1 of %s:\n%s", u, s.rows(fmt.Sprintf(
			"EXECUTE AS USER '%s' (SELECT id FROM app.msgs WHERE conv = 1 ORDER BY id)", u)))
		fmt.Fprintf(&b, "view of %s:\n%s", u, s.rows(fmt.Sprintf("EXECUTE AS USER '%s' (SELECT * FROM app.recent ORDER BY id)", u)))
		fmt.Fprintf(&b, "events of %s:\n%s", u, s.rows(fmt.Sprintf("EXECUTE AS USER '%s' (SELECT id, what, _seq FROM app.events ORDER BY id)", u)))
	}
	fmt.Fprintf(&b, "cfg:\n%s", s.rows("SELECT k, v, _seq, _deleted FROM app.cfg WHERE _deleted = true OR _deleted = false ORDER BY k"))
	fmt.Fprintf(&b, "schemas:\n%s", s.rows("SELECT table_id, version, columns FROM system.table_schemas WHERE table_id LIKE 'app:%' ORDER BY table_id, version"))
	fmt.Fprintf(&b, "tables:\n%s", s.rows("SELECT table_id, table_type, access_level, current_schema_version, ttl_seconds FROM system.tables WHERE namespace_id = 'app' ORDER BY table_id"))
	fmt.Fprintf(&b, "views:\n%s", s.rows("SELECT view_id, definition FROM system.views WHERE namespace_id = 'app'"))
	return b.String()
}

func TestBackupRestoreOnAnotherServer(t *testing.T) {
	root := t.TempDir()
	src := newServer(t, root)
	fill(src)
	want := dump(src)
	j := src.mustJob("BACKUP DATABASE app TO 'app-1'")
	var res backup.Result
	if err := json.Unmarshal(j.Result, &res); err != nil || res.Tables != 3 || res.Users != 3 || res.Rows == 0 {
		t.Fatalf("backup result %s: %v", j.Result, err)
	}
	aliceSrc, _ := src.db.Catalog.UserByName("alice")

	// The other server already has a bob, with another id and password.
	dst := newServer(t, root)
	dst.must("CREATE USER 'bob' WITH PASSWORD 'other-pw' ROLE user")
	bobDst, _ := dst.db.Catalog.UserByName("bob")
	j = dst.mustJob("RESTORE DATABASE app FROM 'app-1'")
	if !strings.Contains(string(j.Result), `"users_created":1`) || !strings.Contains(string(j.Result), `"users_mapped":2`) {
		t.Fatalf("restore result: %s", j.Result)
	}
	if got := dump(dst); got != want {
		t.Fatalf("restored namespace differs:\n got:\n%s\nwant:\n%s", got, want)
	}
	// alice is created as she was (same id, same password hash); bob keeps
	// his account here and gets the rows.
	aliceDst, ok := dst.db.Catalog.UserByName("alice")
	if !ok || aliceDst.UserID != aliceSrc.UserID || aliceDst.PasswordHash != aliceSrc.PasswordHash || aliceDst.Role != systable.RoleUser {
		t.Fatalf("alice restored as %+v, was %+v", aliceDst, aliceSrc)
	}
	if bob, _ := dst.db.Catalog.UserByName("bob"); bob.UserID != bobDst.UserID || bob.Role != systable.RoleUser {
		t.Fatalf("existing bob changed: %+v", bob)
	}
	// New writes get a _seq above every restored one.
	maxSeq := res.MaxSeq
	dst.must("EXECUTE AS USER 'alice' (INSERT INTO app.msgs (id, conv, body) VALUES (100, 1, 'new'))")
	got := dst.rows("EXECUTE AS USER 'alice' (SELECT _seq > " + fmt.Sprint(maxSeq) + " FROM app.msgs WHERE id = 100)")
	if got != "true\n" {
		t.Fatalf("new _seq not above the restored ones (%d): %s", maxSeq, got)
	}
	// Restored files are the tables' own: flush and compaction go on.
	dst.mustJob("STORAGE FLUSH TABLE app.msgs")
	dst.mustJob("STORAGE COMPACT TABLE app.msgs")
	if got := dst.rows("EXECUTE AS USER 'bob' (SELECT count(*) FROM app.msgs)"); got != "6\n" {
		t.Fatalf("bob's rows after flush and compaction: %s", got)
	}
	// And after a restart.
	dst.close()
	dst.open()
	if got := dst.rows("EXECUTE AS USER 'alice' (SELECT body FROM app.msgs WHERE id = 2)"); got != "edited\n" {
		t.Fatalf("after restart: %s", got)
	}
}

func TestRestoreIntoExistingNamespaceChangesNothing(t *testing.T) {
	root := t.TempDir()
	s := newServer(t, root)
	fill(s)
	s.mustJob("BACKUP DATABASE app TO 'b'")
	before := dump(s)
	_, err := s.exec("RESTORE DATABASE app FROM 'b'")
	wantCode(t, err, apierror.AlreadyExists, "already exists")
	res := s.must("RESTORE DATABASE IF NOT EXISTS app FROM 'b'")
	if res[0].RowCount != 0 || !strings.Contains(res[0].Message, "nothing restored") {
		t.Fatalf("IF NOT EXISTS: %+v", res[0])
	}
	if got := dump(s); got != before {
		t.Fatalf("namespace changed:\n%s\nwas:\n%s", got, before)
	}
	// A backup of another namespace is not restored under this name:
	// renaming on restore is not supported, and the error says so and
	// how to restore it; nothing is created.
	_, err = s.exec("RESTORE DATABASE other FROM 'b'")
	wantCode(t, err, apierror.Unsupported, "under another namespace name is not supported: the backup at b is of namespace app, not other")
	if got := s.rows("SELECT namespace_id FROM system.namespaces WHERE namespace_id = 'other'"); got != "" {
		t.Fatalf("a refused restore created the namespace: %s", got)
	}
	if got := s.rows("SELECT job_id FROM system.jobs WHERE job_type = 'restore'"); got != "" {
		t.Fatalf("a refused restore started a job: %s", got)
	}
}

// restoreFails restores app from loc on a fresh server and expects the
// job (or the statement) to fail saying want; nothing may be left.
func restoreFails(t *testing.T, root, loc, want string) {
	t.Helper()
	checkRestoreFails(t, newServer(t, root), loc, want)
}

// checkRestoreFails is restoreFails on a given server.
func checkRestoreFails(t *testing.T, dst *server, loc, want string) {
	t.Helper()
	checkRestoreFailsAs(t, dst, &systable.User{UserID: "root", Role: systable.RoleSystem}, loc, want)
}

// checkRestoreFailsAs is checkRestoreFails for a restore by user.
func checkRestoreFailsAs(t *testing.T, dst *server, user *systable.User, loc, want string) {
	t.Helper()
	res, err := dst.execAs(user.UserID, user.Role, "RESTORE DATABASE app FROM '"+loc+"'")
	if err == nil {
		j, werr := dst.db.Jobs.Wait(t.Context(), res[0].Rows[0][0].(string))
		if werr != nil {
			t.Fatal(werr)
		}
		if j.Status != systable.JobFailed || !strings.Contains(j.ErrorMessage, want) {
			t.Fatalf("restore job %s: %q, want failed with %q", j.Status, j.ErrorMessage, want)
		}
	} else if !strings.Contains(err.Error(), want) {
		t.Fatalf("restore: %v, want %q", err, want)
	}
	if _, ok := dst.db.Catalog.Snapshot().Namespace("app"); ok {
		t.Fatal("namespace app exists after a failed restore")
	}
	for _, f := range []string{"user_table:app:msgs", "shared_table:app:cfg", "stream_table:app:events", "index:app:msgs"} {
		if _, ok := dst.kv.LookupColumnFamily(f); ok {
			t.Fatalf("family %s left by a failed restore", f)
		}
	}
	if fs := files(t, filepath.Join(dst.dir, "storage")); len(fs) != 0 {
		t.Fatalf("files left by a failed restore: %v", fs)
	}
	if _, err := os.Stat(filepath.Join(dst.dir, "storage", "app")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("directories left by a failed restore: %v", err)
	}
	if _, ok := dst.db.Catalog.UserByName("alice"); ok {
		t.Fatal("user alice created by a failed restore")
	}
	// The name is free again.
	dst.must("CREATE NAMESPACE app")
}

func TestDamagedBackupRestoresNothing(t *testing.T) {
	root := t.TempDir()
	s := newServer(t, root)
	fill(s)
	s.mustJob("BACKUP DATABASE app TO 'good'")
	good := filepath.Join(root, "good")
	copyDir := func(name string) string {
		t.Helper()
		dir := filepath.Join(root, name)
		for _, f := range files(t, good) {
			raw, err := os.ReadFile(filepath.Join(good, f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, f), raw, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	parquet := func(dir string) string {
		for _, f := range files(t, dir) {
			if strings.HasSuffix(f, ".parquet") && strings.Contains(f, "msgs") {
				return filepath.Join(dir, f)
			}
		}
		t.Fatal("no Parquet file in the backup")
		return ""
	}
	flip := func(p string) {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		raw[len(raw)/2] ^= 0xFF
		if err := os.WriteFile(p, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("tampered Parquet file", func(t *testing.T) {
		// The hot rows are written before the files are copied: the
		// rollback must drop them.
		dir := copyDir("tampered")
		flip(parquet(dir))
		restoreFails(t, root, "tampered", "does not match its SHA-256")
	})
	t.Run("tampered hot rows", func(t *testing.T) {
		dir := copyDir("tampered-hot")
		flip(filepath.Join(dir, "hot", "msgs.kv"))
		restoreFails(t, root, "tampered-hot", "SHA-256")
	})
	t.Run("truncated", func(t *testing.T) {
		dir := copyDir("truncated")
		p := parquet(dir)
		st, _ := os.Stat(p)
		if err := os.Truncate(p, st.Size()/2); err != nil {
			t.Fatal(err)
		}
		restoreFails(t, root, "truncated", "truncated or changed")
	})
	t.Run("missing file", func(t *testing.T) {
		dir := copyDir("missing")
		if err := os.Remove(filepath.Join(dir, "hot", "cfg.kv")); err != nil {
			t.Fatal(err)
		}
		restoreFails(t, root, "missing", "is missing")
	})
	t.Run("tampered catalog", func(t *testing.T) {
		dir := copyDir("tampered-catalog")
		p := filepath.Join(dir, "catalog.json")
		raw, _ := os.ReadFile(p)
		if err := os.WriteFile(p, []byte(strings.Replace(string(raw), "alice", "mallory", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		restoreFails(t, root, "tampered-catalog", "catalog.json")
	})
	t.Run("newer format", func(t *testing.T) {
		dir := copyDir("newer")
		p := filepath.Join(dir, backup.ManifestName)
		raw, _ := os.ReadFile(p)
		if err := os.WriteFile(p, []byte(strings.Replace(string(raw), `"format": 1`, `"format": 99`, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		dst := newServer(t, root)
		_, err := dst.exec("RESTORE DATABASE app FROM 'newer'")
		wantCode(t, err, apierror.Unsupported, "format version 99, newer than this server reads (1)")
	})
	t.Run("not a backup", func(t *testing.T) {
		if err := os.MkdirAll(filepath.Join(root, "empty"), 0o755); err != nil {
			t.Fatal(err)
		}
		dst := newServer(t, root)
		_, err := dst.exec("RESTORE DATABASE app FROM 'empty'")
		wantCode(t, err, apierror.NotFound, "backup.json is missing")
	})
	// The original is still good.
	dst := newServer(t, root)
	dst.mustJob("RESTORE DATABASE app FROM 'good'")
}
