package backup_test

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestAttackrestore20FileSeqBeyondItsManifest: an untrusted backup's
// _seq is bounded by what backup.json and the manifests say of the
// Parquet files, and by the hot rows as read; the rows inside a Parquet
// file were not read. A dba whose backup holds a file of rows with a
// _seq decades ahead, its manifest entry and max_seq edited to now,
// restored it: the generator stayed at now, so every later write of
// those keys has a lower _seq than the file's version, which wins every
// read (the highest _seq wins): rows no UPDATE or DELETE reaches, in
// any user's partition of the namespace. The file's rows must lie in
// the range its entry says, checked as the file is copied.
func TestAttackrestore20FileSeqBeyondItsManifest(t *testing.T) {
	root := t.TempDir()
	src := newServer(t, root)
	src.must(`CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba;
		CREATE NAMESPACE app;
		CREATE TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT) WITH (TYPE = 'USER')`)
	// The dba's file, written by a server whose clock is decades ahead.
	var b kv.Batch
	src.db.Txns.CoverSeq(&b, ids.FirstOfMillisecond(time.Now().AddDate(40, 0, 0)), 0)(false)
	src.must("EXECUTE AS USER 'alice' (INSERT INTO app.notes (id, body) VALUES (1, 'forever'))")
	src.mustJob("STORAGE FLUSH TABLE app.notes")
	if j := src.jobAs(src.user("dba1"), "BACKUP DATABASE app TO 'dbak'"); j.Status != systable.JobCompleted {
		t.Fatalf("dba backup: %s %s", j.Status, j.ErrorMessage)
	}
	dir := filepath.Join(root, "dbak")
	now := json.Number(strconv.FormatInt(ids.FirstOfMillisecond(time.Now()), 10))
	files := 0
	editCatalog(t, dir, func(cat map[string]any) {
		for _, mf := range cat["manifests"].([]any) {
			for _, f := range mf.(map[string]any)["files"].([]any) {
				f.(map[string]any)["min_seq"], f.(map[string]any)["max_seq"] = now, now
				files++
			}
		}
	})
	if files == 0 {
		t.Fatal("the backup holds no Parquet file")
	}
	editManifest(t, dir, func(man *backup.Manifest) { man.MaxSeq, _ = now.Int64() })

	dst := newServer(t, root)
	dst.must("CREATE USER 'dba1' WITH PASSWORD 'dba-pw' ROLE dba")
	j := dst.jobAs(dst.user("dba1"), "RESTORE DATABASE app FROM 'dbak'")
	if j.Status == systable.JobCompleted {
		dst.must("EXECUTE AS USER 'alice' (UPDATE app.notes SET body = 'changed' WHERE id = 1)")
		got := strings.TrimSpace(dst.rows("EXECUTE AS USER 'alice' (SELECT body FROM app.notes)"))
		t.Fatalf("restored a file whose rows' _seq is past its manifest entry: alice's UPDATE is lost, she reads %q", got)
	}
	if !strings.Contains(j.ErrorMessage, "outside the _seq range") {
		t.Fatalf("restore: %s %q, want a refusal naming _seq", j.Status, j.ErrorMessage)
	}
	if _, ok := dst.db.Catalog.Snapshot().Namespace("app"); ok {
		t.Fatal("namespace app exists after a failed restore")
	}
	newSeqOK(t, dst)
}
