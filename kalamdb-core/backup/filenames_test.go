package backup_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
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

	// craft copies the backup to loc, its Parquet file renamed to name
	// (when set) and its catalog.json passed through edit, with
	// backup.json agreeing (its checksums are not a signature).
	craft := func(t *testing.T, loc, name string, edit func(string) string) {
		t.Helper()
		dir := filepath.Join(root, loc)
		var from, to string
		for _, f := range files(t, good) {
			raw, err := os.ReadFile(filepath.Join(good, f))
			if err != nil {
				t.Fatal(err)
			}
			dst := f
			if strings.HasSuffix(f, ".parquet") && name != "" {
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
		if name != "" && from == "" {
			t.Fatal("no Parquet file in the backup")
		}
		catRaw, err := os.ReadFile(filepath.Join(dir, "catalog.json"))
		if err != nil {
			t.Fatal(err)
		}
		cat := string(catRaw)
		if name != "" {
			cat = strings.ReplaceAll(cat, from, to)
		}
		renamed := map[string]string{}
		if name != "" {
			renamed[from] = to
		}
		writeCatalogAgreeing(t, dir, []byte(edit(cat)), renamed)
	}
	refused := func(t *testing.T, loc, want string) {
		t.Helper()
		dst := newServer(t, root)
		res, err := dst.exec("RESTORE DATABASE app FROM '" + loc + "'")
		if err == nil {
			j := waitJob(t, dst, res[0].Rows[0][0].(string))
			if !strings.Contains(j.ErrorMessage, want) {
				rows, qerr := dst.exec("SELECT k, v FROM app.cfg ORDER BY k")
				t.Fatalf("restore of %s: job %s %q (want refused saying %q); files then: %v; a read: %v %v",
					loc, j.Status, j.ErrorMessage, want, files(t, filepath.Join(dst.dir, "storage")), rows, qerr)
			}
		} else if !strings.Contains(err.Error(), want) {
			t.Fatalf("restore: %v, want refused saying %q", err, want)
		}
		if fs := files(t, filepath.Join(dst.dir, "storage")); len(fs) != 0 {
			t.Fatalf("files left by a refused restore: %v", fs)
		}
		if _, ok := dst.db.Catalog.Snapshot().Namespace("app"); ok {
			t.Fatal("namespace app exists after a refused restore")
		}
	}
	same := func(s string) string { return s }
	for _, name := range []string{"manifest.json", "data.parquet", "batch-1-0123456789ABCDEF.parquet"} {
		t.Run(name, func(t *testing.T) {
			loc := "renamed-" + strings.ReplaceAll(name, ".", "_")
			craft(t, loc, name, same)
			refused(t, loc, name)
		})
	}
	// A manifest's next batch numbers the partition's next file: below 1,
	// that file's name (batch-0-T.parquet) is no batch file's, never
	// removed by anything.
	for _, next := range []string{"0", "-3"} {
		t.Run("next batch "+next, func(t *testing.T) {
			loc := "next" + next
			craft(t, loc, "", func(cat string) string {
				out := regexp.MustCompile(`"next_batch":\s*\d+`).ReplaceAllString(cat, `"next_batch": `+next)
				if out == cat {
					t.Fatal("no next_batch in catalog.json")
				}
				return out
			})
			refused(t, loc, "next batch")
		})
	}
	// A backup taken before names were tagged lists batch-N.parquet: it
	// restores under a tagged name of the same batch, and the restored
	// table flushes and compacts on from its next batch.
	t.Run("untagged", func(t *testing.T) {
		craft(t, "untagged", "batch-1.parquet", same)
		dst := newServer(t, root)
		dst.mustJob("RESTORE DATABASE app FROM 'untagged'")
		const query = "SELECT k, v FROM app.cfg ORDER BY k"
		want := s.rows(query)
		if got := dst.rows(query); got != want {
			t.Fatalf("restored rows:\n%s\nwant:\n%s", got, want)
		}
		dst.must("INSERT INTO app.cfg (k, v) VALUES ('c', '3')")
		dst.mustJob("STORAGE FLUSH TABLE app.cfg")
		dst.mustJob("STORAGE COMPACT TABLE app.cfg")
		waitAllJobs(t, dst)
		s.must("INSERT INTO app.cfg (k, v) VALUES ('c', '3')") // the backup is taken: what dst should read now
		if got, want := dst.rows(query), s.rows(query); got != want {
			t.Fatalf("rows after flush and compaction:\n%s\nwant:\n%s", got, want)
		}
		tagged := regexp.MustCompile(`^app/cfg/batch-\d+-[0-9a-f]{16}\.parquet$`)
		for _, f := range files(t, filepath.Join(dst.dir, "storage")) {
			if f = filepath.ToSlash(f); f != "app/cfg/manifest.json" && !tagged.MatchString(f) {
				t.Errorf("restored table's directory holds %s", f)
			}
		}
	})
	// The original is still good.
	newServer(t, root).mustJob("RESTORE DATABASE app FROM 'good'")
}

// writeCatalogAgreeing writes catRaw as the catalog.json of the backup in
// dir and makes its backup.json agree (its checksums are not a
// signature), with the files renamed (old path to new) renamed there too.
func writeCatalogAgreeing(t *testing.T, dir string, catRaw []byte, renamed map[string]string) {
	t.Helper()
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
		if to, ok := renamed[f.Path]; ok {
			man.Files[i].Path = to
		}
		if f.Path == "catalog.json" {
			sum := sha256.Sum256(catRaw)
			man.Files[i].Size, man.Files[i].SHA256 = int64(len(catRaw)), hex.EncodeToString(sum[:])
		}
	}
	if manRaw, err = json.Marshal(&man); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, backup.ManifestName), manRaw, 0o644); err != nil {
		t.Fatal(err)
	}
}
