package backup_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttacksign19RestoreGivesNoDroppedUsersID: a restore created the
// backup's users with the backup's ids when free here. The rows of a
// dropped user stay in storage, where no statement reaches them, so a
// dba's backup leaves them out; but a dba's forged backup (of a namespace
// of its own) holding a plain user with the id of a dropped system user
// made that account the owner of the dropped user's rows, which the dba
// then read with EXECUTE AS. Under a dba's rules the users a restore
// creates get new ids.
func TestAttacksign19RestoreGivesNoDroppedUsersID(t *testing.T) {
	root := t.TempDir()
	s := newServer(t, root)
	s.must(`CREATE USER 'sa' WITH PASSWORD 'sa-pw' ROLE system;
		CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba;
		CREATE NAMESPACE app;
		CREATE TABLE app.msgs (id BIGINT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER');
		CREATE NAMESPACE other;
		CREATE TABLE other.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED')`)
	s.must("EXECUTE AS USER 'sa' (INSERT INTO app.msgs (id, body) VALUES (1, 'secret of sa'))")
	sa := s.user("sa").UserID
	s.must("DROP USER 'sa'")
	dba := s.user("dba1")
	if j := s.jobAs(dba, "BACKUP DATABASE other TO 'forged'"); j.Status != systable.JobCompleted {
		t.Fatalf("dba backup: %s %s", j.Status, j.ErrorMessage)
	}
	dir := filepath.Join(root, "forged")
	catRaw, err := os.ReadFile(filepath.Join(dir, "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cat map[string]any
	dec := json.NewDecoder(bytes.NewReader(catRaw))
	dec.UseNumber()
	if err := dec.Decode(&cat); err != nil {
		t.Fatal(err)
	}
	cat["users"] = []any{map[string]any{"user_id": sa, "username": "heir", "role": "user", "auth_type": "password",
		"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}}
	cat["owners"] = []any{sa}
	if catRaw, err = json.Marshal(cat); err != nil {
		t.Fatal(err)
	}
	writeCatalogAgreeing(t, dir, catRaw, nil)
	s.must("DROP NAMESPACE other CASCADE")
	if j := s.jobAs(dba, "RESTORE DATABASE other FROM 'forged'"); j.Status != systable.JobCompleted {
		t.Fatalf("dba restore: %s %s", j.Status, j.ErrorMessage)
	}
	if heir := s.user("heir"); heir.UserID == sa {
		t.Fatalf("the restore gave dropped system user sa's id to %+v", heir)
	}
	if got := s.rows("EXECUTE AS USER 'heir' (SELECT body FROM app.msgs)"); got != "" {
		t.Fatalf("the dba reads dropped system user sa's rows: %q", got)
	}
}
