package backup_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/backup"
)

// TestRestoreRefusesFilesNotNamedAsBatches: a restore copies a Parquet
// file under a fresh batch name of the name the backup's catalog gives it.
// A backup's catalog whose manifest lists a file under any other name
// (hand-edited, or written by something else, its checksums recomputed)
// must be refused before anything is written: kept under that name, the
// file is one no flush, compaction or drop ever removes (they delete only
// batch names), and named manifest.json it is the partition's mirror,
// which the restore itself then writes over the table's data.
func TestRestoreRefusesFilesNotNamedAsBatches(t *testing.T) {
	root := t.TempDir()
	s := newServer(t, root)
	s.must(`CREATE NAMESPACE app;
		CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC');
		INSERT INTO app.cfg (k, v) VALUES ('a', '1'), ('b', '2')`)
	s.mustJob("STORAGE FLUSH TABLE app.cfg")
	s.mustJob("BACKUP DATABASE app TO 'good'")
	good := filepath.Join(root, "good")

	for _, name := range []string{"manifest.json", "data.parquet", "batch-1-0123456789ABCDEF.parquet"} {
		t.Run(name, func(t *testing.T) {
			loc := "renamed-" + strings.ReplaceAll(name, ".", "_")
			dir := filepath.Join(root, loc)
			var from, to string
			for _, f := range files(t, good) {
				raw, err := os.ReadFile(filepath.Join(good, f))
				if err != nil {
					t.Fatal(err)
				}
				dst := f
				if strings.HasSuffix(f, ".parquet") {
					from = filepath.ToSlash(f)
					to = filepath.ToSlash(filepath.Join(filepath.Dir(f), name))
					dst = filepath.FromSlash(to)
				}
				if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(dst)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, dst), raw, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if from == "" {
				t.Fatal("no Parquet file in the backup")
			}
			// The catalog lists the file under its new name, and
			// backup.json agrees (its checksums are not a signature).
			catRaw, err := os.ReadFile(filepath.Join(dir, "catalog.json"))
			if err != nil {
				t.Fatal(err)
			}
			catRaw = []byte(strings.ReplaceAll(string(catRaw), from, to))
			if err := os.WriteFile(filepath.Join(dir, "catalog.json"), catRaw, 0o644); err != nil {
				t.Fatal(err)
			}
			manRaw, err := os.ReadFile(filepath.Join(dir, backup.ManifestName))
			if err != nil {
				t.Fatal(err)
			}
			var man backup.Manifest
			if err := json.Unmarshal(manRaw, &man); err != nil {
				t.Fatal(err)
			}
			for i, f := range man.Files {
				switch f.Path {
				case from:
					man.Files[i].Path = to
				case "catalog.json":
					sum := sha256.Sum256(catRaw)
					man.Files[i].Size, man.Files[i].SHA256 = int64(len(catRaw)), hex.EncodeToString(sum[:])
				}
			}
			manRaw, err = json.Marshal(&man)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, backup.ManifestName), manRaw, 0o644); err != nil {
				t.Fatal(err)
			}

			dst := newServer(t, root)
			res, err := dst.exec("RESTORE DATABASE app FROM '" + loc + "'")
			if err == nil {
				j := waitJob(t, dst, res[0].Rows[0][0].(string))
				if !strings.Contains(j.ErrorMessage, name) {
					rows, qerr := dst.exec("SELECT k, v FROM app.cfg ORDER BY k")
					t.Fatalf("restore of a backup listing a file named %s: job %s %q (want refused naming it); files then: %v; a read: %v %v",
						name, j.Status, j.ErrorMessage, files(t, filepath.Join(dst.dir, "storage")), rows, qerr)
				}
			} else if !strings.Contains(err.Error(), name) {
				t.Fatalf("restore: %v, want refused naming %s", err, name)
			}
			if fs := files(t, filepath.Join(dst.dir, "storage")); len(fs) != 0 {
				t.Fatalf("files left by a refused restore: %v", fs)
			}
			if _, ok := dst.db.Catalog.Snapshot().Namespace("app"); ok {
				t.Fatal("namespace app exists after a refused restore")
			}
		})
	}
	// The original is still good.
	newServer(t, root).mustJob("RESTORE DATABASE app FROM 'good'")
}
