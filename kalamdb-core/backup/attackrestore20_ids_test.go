package backup_test

import (
	"path/filepath"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackrestore20DroppedOwnerKeepsNoIDUnderDBARules: under a dba's
// rules the users a restore creates get new ids (attacksign19), but a
// partition owner without a user row in the backup (a dropped user) kept
// its id. A dba who strikes a user row out of their own backup thus
// writes rows under an id of their choice that no account holds now: a
// dropped user's, which a system user's trusted restore gives back to a
// system account. Here sa, a plain user when the dba wrote rows as sa,
// was made a system user, backed up by root and dropped; the dba
// restores their backup with sa's user row struck out, root restores
// its own backup (sa comes back, a system user, under its id), and sa's
// partition of the dba's namespace holds the rows the dba wrote.
func TestAttackrestore20DroppedOwnerKeepsNoIDUnderDBARules(t *testing.T) {
	root := t.TempDir()
	s := newServer(t, root)
	s.must(`CREATE USER 'sa' WITH PASSWORD 'sa-pw' ROLE user;
		CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba;
		CREATE NAMESPACE app;
		CREATE TABLE app.msgs (id BIGINT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER');
		CREATE NAMESPACE other;
		CREATE TABLE other.notes (id BIGINT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER')`)
	dba := s.user("dba1")
	if _, err := s.execAs(dba.UserID, dba.Role, "EXECUTE AS USER 'sa' (INSERT INTO other.notes (id, body) VALUES (1, 'planted by dba1'))"); err != nil {
		t.Fatal(err)
	}
	if j := s.jobAs(dba, "BACKUP DATABASE other TO 'forged'"); j.Status != systable.JobCompleted {
		t.Fatalf("dba backup: %s %s", j.Status, j.ErrorMessage)
	}
	sa := s.user("sa").UserID
	s.must("ALTER USER 'sa' SET ROLE system")
	s.must("EXECUTE AS USER 'sa' (INSERT INTO app.msgs (id, body) VALUES (1, 'of sa'))")
	s.mustJob("BACKUP DATABASE app TO 'rootbak'")
	s.must("DROP USER 'sa'; DROP NAMESPACE app CASCADE; DROP NAMESPACE other CASCADE")

	// The dba strikes sa's user row out: sa is a dropped owner.
	editCatalog(t, filepath.Join(root, "forged"), func(cat map[string]any) {
		cat["users"] = []any{}
	})
	j := s.jobAs(dba, "RESTORE DATABASE other FROM 'forged'")
	if j.Status == systable.JobCompleted {
		// Root's trusted restore brings sa back under its id.
		s.mustJob("RESTORE DATABASE app FROM 'rootbak'")
		if u := s.user("sa"); u.UserID != sa || u.Role != systable.RoleSystem {
			t.Fatalf("sa restored as %+v", u)
		}
		if got := s.rows("EXECUTE AS USER 'sa' (SELECT body FROM other.notes)"); got != "" {
			t.Fatalf("system user sa owns rows a dba's restore wrote: %q", got)
		}
	}
}
