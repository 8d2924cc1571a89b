package backup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A dba may put a backup where it reads it (a bucket of its own s3
// storage), so what a dba's backup holds is what a dba may read
// (docs/backup.md, "Roles"): no password hash, which no SELECT returns to
// anyone, and no partition of a system user, which a dba cannot reach
// even with EXECUTE AS.

// bcryptHash matches a bcrypt hash as the catalog stores it.
var bcryptHash = regexp.MustCompile(`\$2[abxy]?\$\d\d\$`)

// storageFiles reads every file under dir of st, by path.
func storageFiles(t *testing.T, st cold.Storage, dir string) map[string][]byte {
	t.Helper()
	ents, err := st.List(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		p := path.Join(dir, e.Name)
		if e.IsDir {
			for k, v := range storageFiles(t, st, p) {
				out[k] = v
			}
			continue
		}
		out[p] = readObject(t, st, p)
	}
	return out
}

// jobAs runs a statement that starts a job as user and waits for it.
func (s *server) jobAs(user *systable.User, sql string) *systable.Job {
	s.t.Helper()
	res, err := s.execAs(user.UserID, user.Role, sql)
	if err != nil {
		s.t.Fatalf("%s: %v", sql, err)
	}
	j, err := s.db.Jobs.Wait(s.t.Context(), res[0].Rows[0][0].(string))
	if err != nil {
		s.t.Fatal(err)
	}
	return j
}

// user is the row of the user called name.
func (s *server) user(name string) *systable.User {
	s.t.Helper()
	u, ok := s.db.Catalog.UserByName(name)
	if !ok {
		s.t.Fatalf("no user %s", name)
	}
	return u
}

// TestDBABackupHoldsNoPasswordHash: a dba's backup, on a filesystem root
// and in an object store, holds no password hash in any of its files and
// says so; restored, the users it creates have no password (they cannot
// sign in) until one is set, and existing accounts are untouched. A
// system user's backup of the same namespace keeps the hashes.
func TestDBABackupHoldsNoPasswordHash(t *testing.T) {
	store := newObjectStore(t)
	for _, tc := range []struct {
		name, loc string
		files     func(t *testing.T, backupRoot string) map[string][]byte
	}{
		{"filesystem", "dba-1", func(t *testing.T, root string) map[string][]byte {
			st, err := cold.NewFS(filepath.Join(root, "dba-1"))
			if err != nil {
				t.Fatal(err)
			}
			return storageFiles(t, st, ".")
		}},
		{"s3", "s3://kalam-backups/dba/app-1", func(t *testing.T, _ string) map[string][]byte {
			return storageFiles(t, store.storage(t, "dba/app-1"), ".")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			src := newServer(t, root)
			fill(src) // app.recent is created by root: a view creator's row holds no rows
			src.must(store.createStorage("s3data", "tables-"+tc.name))
			src.must("CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba")
			dba := src.user("dba1")
			j := src.jobAs(dba, "BACKUP DATABASE app TO '"+tc.loc+"'")
			if j.Status != systable.JobCompleted {
				t.Fatalf("dba backup: %s %s", j.Status, j.ErrorMessage)
			}
			var res backup.Result
			if err := json.Unmarshal(j.Result, &res); err != nil || !res.PasswordsOmitted || res.Users != 3 {
				t.Fatalf("backup result %s: %v", j.Result, err)
			}
			all := tc.files(t, root)
			if len(all) < 5 {
				t.Fatalf("backup files: %d", len(all))
			}
			var hashes [][]byte
			for _, name := range []string{"alice", "bob", "root", "dba1"} {
				if h := src.user(name).PasswordHash; h != "" {
					hashes = append(hashes, []byte(h))
				}
			}
			if len(hashes) < 3 {
				t.Fatalf("only %d users have a hash: the test proves nothing", len(hashes))
			}
			for p, raw := range all {
				for _, h := range hashes {
					if bytes.Contains(raw, h) || bytes.Contains(raw, h[len(h)-31:]) {
						t.Fatalf("%s holds a password hash", p)
					}
				}
				if bcryptHash.Match(raw) || bytes.Contains(raw, []byte("password_hash")) {
					t.Fatalf("%s holds something like a password hash:\n%s", p, raw)
				}
			}
			for _, p := range []string{backup.ManifestName, "catalog.json"} {
				if !bytes.Contains(all[p], []byte(`"passwords_omitted": true`)) {
					t.Fatalf("%s does not say the passwords were left out:\n%s", p, all[p])
				}
			}

			// Restored where bob has an account and alice none: alice is
			// created without a password, bob keeps his.
			dst := newServer(t, root)
			dst.must(store.createStorage("s3data", "tables-"+tc.name))
			dst.must("CREATE USER 'bob' WITH PASSWORD 'bob-here' ROLE service")
			bobBefore := *dst.user("bob")
			j = dst.mustJob("RESTORE DATABASE app FROM '" + tc.loc + "'")
			var rres backup.Result
			if err := json.Unmarshal(j.Result, &rres); err != nil || !slices.Equal(rres.UsersWithoutPassword, []string{"alice"}) ||
				rres.UsersCreated != 1 || !strings.Contains(rres.Note, "ALTER USER") {
				t.Fatalf("restore result %s: %v", j.Result, err)
			}
			alice := dst.user("alice")
			if alice.PasswordHash != "" {
				t.Fatalf("alice restored with a password hash %q", alice.PasswordHash)
			}
			for _, pw := range []string{"alice-pw", ""} {
				if ok, err := dst.db.Catalog.CheckPassword(alice.UserID, pw); err != nil || ok && pw != "" {
					t.Fatalf("alice's restored password %q: %v %v", pw, ok, err)
				}
			}
			if bob := dst.user("bob"); *bob != bobBefore {
				t.Fatalf("existing bob changed: %+v, was %+v", bob, bobBefore)
			}
			dst.must("ALTER USER 'alice' SET PASSWORD 'alice-new'")
			if ok, err := dst.db.Catalog.CheckPassword(alice.UserID, "alice-new"); err != nil || !ok {
				t.Fatalf("alice's new password: %v %v", ok, err)
			}
			if got := dst.rows("EXECUTE AS USER 'alice' (SELECT count(*) FROM app.msgs)"); got != "5\n" {
				t.Fatalf("alice's restored rows: %s", got)
			}
		})
	}
}

// TestSystemBackupKeepsPasswordHashes: a system user's backup holds the
// hashes, says nothing of leaving them out, and the users it creates sign
// in with their old passwords; so does a backup written before the flag
// existed (no passwords_omitted: hashes included).
func TestSystemBackupKeepsPasswordHashes(t *testing.T) {
	root := t.TempDir()
	src := newServer(t, root)
	fill(src)
	j := src.mustJob("BACKUP DATABASE app TO 'sys-1'")
	var res backup.Result
	if err := json.Unmarshal(j.Result, &res); err != nil || res.PasswordsOmitted {
		t.Fatalf("backup result %s: %v", j.Result, err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "sys-1", "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(src.user("alice").PasswordHash)) || bytes.Contains(raw, []byte("passwords_omitted")) {
		t.Fatal("a system user's backup lost the password hashes")
	}
	man, err := os.ReadFile(filepath.Join(root, "sys-1", backup.ManifestName))
	if err != nil || bytes.Contains(man, []byte("passwords_omitted")) {
		t.Fatalf("backup.json of a system user's backup: %s %v", man, err)
	}
	dst := newServer(t, root)
	j = dst.mustJob("RESTORE DATABASE app FROM 'sys-1'")
	if strings.Contains(string(j.Result), "users_without_password") {
		t.Fatalf("restore result: %s", j.Result)
	}
	alice := dst.user("alice")
	if ok, err := dst.db.Catalog.CheckPassword(alice.UserID, "alice-pw"); err != nil || !ok {
		t.Fatalf("alice's old password after the restore: %v %v", ok, err)
	}
}

// TestDBABackupOfSystemPartitionRefused: a namespace where a system user
// owns a partition (rows in a USER or STREAM table, hot or flushed) is
// backed up by system users only. A dba's BACKUP is refused at the
// statement, names the account, starts no job and writes nothing; a
// system user's goes on. EXECUTE AS cannot lend a dba another role for
// BACKUP either.
func TestDBABackupOfSystemPartitionRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows []string
	}{
		{"user table, hot", []string{"EXECUTE AS USER 'ops' (INSERT INTO app.msgs (id, conv, body) VALUES (1, 1, 'x'))"}},
		{"user table, flushed", []string{"EXECUTE AS USER 'ops' (INSERT INTO app.msgs (id, conv, body) VALUES (1, 1, 'x'))",
			"STORAGE FLUSH TABLE app.msgs"}},
		{"user table, deleted", []string{"EXECUTE AS USER 'ops' (INSERT INTO app.msgs (id, conv, body) VALUES (1, 1, 'x'))",
			"EXECUTE AS USER 'ops' (DELETE FROM app.msgs WHERE id = 1)"}},
		{"stream table", []string{"EXECUTE AS USER 'ops' (INSERT INTO app.events (id, what) VALUES (1, 'x'))"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			s := newServer(t, root)
			fill(s)
			s.must("CREATE USER 'ops' WITH PASSWORD 'ops-pw' ROLE system; CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba")
			for _, sql := range tc.rows {
				if strings.HasPrefix(sql, "STORAGE") {
					s.mustJob(sql)
					continue
				}
				s.must(sql)
			}
			if strings.Contains(tc.name, "flushed") {
				// The rows are in a Parquet file only: the manifest
				// names the owner.
				got := s.rows("SELECT count(*) FROM system.manifest WHERE user_id = '" + s.user("ops").UserID + "'")
				if got != "1\n" {
					t.Fatalf("ops's manifests: %s", got)
				}
			}
			dba := s.user("dba1")
			_, err := s.execAs(dba.UserID, dba.Role, "BACKUP DATABASE app TO 'b'")
			wantCode(t, err, apierror.PermissionDenied, "namespace app holds rows of system user 'ops'; only a system user may back it up")
			if _, err := os.Stat(filepath.Join(root, "b")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a refused backup made its directory: %v", err)
			}
			if got := s.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'backup'"); got != "0\n" {
				t.Fatalf("a refused backup started a job: %s", got)
			}
			for _, sql := range []string{"EXECUTE AS USER 'dba1' (BACKUP DATABASE app TO 'b')", "EXECUTE AS USER 'ops' (BACKUP DATABASE app TO 'b')"} {
				_, err = s.execAs(dba.UserID, dba.Role, sql)
				wantCode(t, err, apierror.PermissionDenied, "")
				_, err = s.exec(sql)
				wantCode(t, err, apierror.PermissionDenied, "EXECUTE AS USER may wrap")
			}
			s.mustJob("BACKUP DATABASE app TO 'b'") // root may
		})
	}
}

// TestDBABackupRefusedWhenSystemRowsAppearBeforeTheSnapshot: the
// statement's check passed, and before the job takes its snapshot a
// system user writes into the namespace, or an owner becomes a system
// user, or the caller stops being a dba. The job fails with the
// statement's error and leaves nothing behind.
func TestDBABackupRefusedWhenSystemRowsAppearBeforeTheSnapshot(t *testing.T) {
	for _, tc := range []struct {
		name, change, want string
	}{
		{"system rows written", "EXECUTE AS USER 'ops' (INSERT INTO app.events (id, what) VALUES (9, 'x'))",
			"namespace app holds rows of system user 'ops'; only a system user may back it up"},
		{"owner made system", "ALTER USER 'alice' SET ROLE system",
			"namespace app holds rows of system user 'alice'; only a system user may back it up"},
		{"caller made user", "ALTER USER 'dba1' SET ROLE user", "requires the dba role"},
		{"caller dropped", "DROP USER 'dba1'", "requires the dba role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			s := &server{t: t, dir: t.TempDir(), backupRoot: root}
			changed := make(chan error, 1)
			s.failpoint = func(p string) {
				if p == backup.FailBackupBeforeSnapshot {
					_, err := s.exec(tc.change)
					changed <- err
				}
			}
			s.open()
			t.Cleanup(s.close)
			fill(s)
			s.must("CREATE USER 'ops' WITH PASSWORD 'ops-pw' ROLE system; CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba")
			j := s.jobAs(s.user("dba1"), "BACKUP DATABASE app TO 'raced'")
			if err := <-changed; err != nil {
				t.Fatal(err)
			}
			if j.Status != systable.JobFailed || !strings.Contains(j.ErrorMessage, tc.want) {
				t.Fatalf("backup raced by %q: %s %q", tc.change, j.Status, j.ErrorMessage)
			}
			if got := files(t, root); len(got) != 0 {
				t.Fatalf("the refused backup left %v", got)
			}
			if _, err := os.Stat(filepath.Join(root, "raced")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the refused backup left its directory: %v", err)
			}
			if got := s.rows("SHOW BACKUPS FOR DATABASE app"); got != "" {
				t.Fatalf("a refused backup is listed: %s", got)
			}
			// Nothing is left for the next start to clean up either.
			s.close()
			s.failpoint = nil
			s.open()
			if got := s.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'backup'"); got != "1\n" {
				t.Fatalf("backup jobs after a restart: %s", got)
			}
		})
	}
}

// TestDBABackupLeavesOutDroppedOwners: the rows of a user dropped before
// the backup stay in storage, which no statement reaches (no statement
// names a partition by id), so a dba cannot read them, whatever role
// their owner had: a dropped system user's rows are the case that
// matters. A dba's backup leaves them out of every file (hot rows,
// index entries, Parquet files, manifests, counters, owners) and says
// how many owners it left out; a system user's backup keeps them.
func TestDBABackupLeavesOutDroppedOwners(t *testing.T) {
	root := t.TempDir()
	s := newServer(t, root)
	fill(s)
	s.must("CREATE USER 'ops' WITH PASSWORD 'ops-pw' ROLE system; CREATE USER 'carol' WITH PASSWORD 'carol-pw' ROLE user; CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba")
	gone := map[string]string{}
	for _, u := range []string{"ops", "carol"} {
		gone[u] = s.user(u).UserID
		s.must(fmt.Sprintf("EXECUTE AS USER '%s' (INSERT INTO app.msgs (id, conv, body) VALUES (1, 1, 'cold-%s'))", u, u))
	}
	s.mustJob("STORAGE FLUSH TABLE app.msgs")
	for _, u := range []string{"ops", "carol"} {
		s.must(fmt.Sprintf("EXECUTE AS USER '%s' (INSERT INTO app.msgs (id, conv, body) VALUES (2, 1, 'hot-%s'))", u, u))
		s.must(fmt.Sprintf("EXECUTE AS USER '%s' (INSERT INTO app.events (id, what) VALUES (1, 'event-%s'))", u, u))
	}
	if got := s.rows("SELECT count(*) FROM system.manifest WHERE user_id IN ('" + gone["ops"] + "', '" + gone["carol"] + "')"); got != "2\n" {
		t.Fatalf("manifests of ops and carol: %s", got)
	}
	s.must("DROP USER 'ops'; DROP USER 'carol'")

	j := s.jobAs(s.user("dba1"), "BACKUP DATABASE app TO 'dba-b'")
	if j.Status != systable.JobCompleted {
		t.Fatalf("dba backup: %s %s", j.Status, j.ErrorMessage)
	}
	var res backup.Result
	if err := json.Unmarshal(j.Result, &res); err != nil || res.DroppedOwnersOmitted != 2 {
		t.Fatalf("dba backup result %s: %v", j.Result, err)
	}
	st, err := cold.NewFS(filepath.Join(root, "dba-b"))
	if err != nil {
		t.Fatal(err)
	}
	all := storageFiles(t, st, ".")
	for p, data := range all {
		for name, id := range gone {
			if strings.Contains(p, id) || bytes.Contains(data, []byte(id)) {
				t.Errorf("the dba's backup file %s holds dropped user %s (%s)", p, name, id)
			}
		}
		for _, text := range []string{"hot-ops", "hot-carol", "event-ops", "event-carol"} {
			if bytes.Contains(data, []byte(text)) {
				t.Errorf("the dba's backup file %s holds the row %q of a dropped user", p, text)
			}
		}
	}
	var man backup.Manifest
	if err := json.Unmarshal(all[backup.ManifestName], &man); err != nil || man.DroppedOwnersOmitted != 2 {
		t.Errorf("backup.json does not say it left owners out (%v): %s", err, all[backup.ManifestName])
	}

	// The backup restores whole, without them.
	want := dump(s)
	dst := newServer(t, root)
	dst.mustJob("RESTORE DATABASE app FROM 'dba-b'")
	if got := dump(dst); got != want {
		t.Fatalf("restored from the dba's backup:\n%s\nwant:\n%s", got, want)
	}

	// A system user's backup keeps them.
	s.mustJob("BACKUP DATABASE app TO 'sys-b'")
	raw, err := os.ReadFile(filepath.Join(root, "sys-b", "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, id := range gone {
		if !bytes.Contains(raw, []byte(id)) {
			t.Errorf("the system user's backup lost dropped user %s's partition (%s)", name, id)
		}
	}
	if man, err := os.ReadFile(filepath.Join(root, "sys-b", backup.ManifestName)); err != nil || bytes.Contains(man, []byte("dropped_owners_omitted")) {
		t.Errorf("backup.json of a system user's backup: %s %v", man, err)
	}
}
