package backup_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// craftCatalog copies the backup at root/from to root/to with its
// catalog.json's rows passed through edit, and backup.json agreeing.
func craftCatalog(t *testing.T, root, from, to string, edit func(cat map[string]any)) {
	t.Helper()
	src, dst := filepath.Join(root, from), filepath.Join(root, to)
	for _, f := range files(t, src) {
		raw, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dst, "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cat map[string]any
	if err := json.Unmarshal(raw, &cat); err != nil {
		t.Fatal(err)
	}
	edit(cat)
	if raw, err = json.Marshal(cat); err != nil {
		t.Fatal(err)
	}
	writeCatalogAgreeing(t, dst, raw, nil)
}

// TestRestoreRefusesAHostileCatalogsRows: a catalog.json with a null row,
// or with one table twice (each given its own incarnation by the restore:
// the files were tagged with the first's, the table committed with the
// other's, and the second's family replaced the first's), is damaged: the
// restore must refuse it with a clear error, write nothing, and keep the
// server up.
func TestRestoreRefusesAHostileCatalogsRows(t *testing.T) {
	root := t.TempDir()
	s := newServer(t, root)
	sharedTableWithAFile(s)
	s.mustJob("BACKUP DATABASE app TO 'good'")
	cases := map[string]func(cat map[string]any){
		"null table":    func(cat map[string]any) { cat["tables"] = append(cat["tables"].([]any), nil) },
		"null manifest": func(cat map[string]any) { cat["manifests"] = append(cat["manifests"].([]any), nil) },
		"null schema":   func(cat map[string]any) { cat["schemas"] = append(cat["schemas"].([]any), nil) },
		"null view":     func(cat map[string]any) { cat["views"] = []any{nil} },
		"null user":     func(cat map[string]any) { cat["users"] = []any{nil} },
		"table twice": func(cat map[string]any) {
			tables := cat["tables"].([]any)
			cat["tables"] = append(tables, tables[0])
		},
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			loc := strings.ReplaceAll(name, " ", "-")
			craftCatalog(t, root, "good", loc, edit)
			dst := newServer(t, root)
			res, err := dst.exec("RESTORE DATABASE app FROM '" + loc + "'")
			if err == nil {
				j := waitJob(t, dst, res[0].Rows[0][0].(string))
				if !strings.Contains(j.ErrorMessage, "damaged") {
					t.Fatalf("restore: job %s %q, want refused as damaged", j.Status, j.ErrorMessage)
				}
			} else if !strings.Contains(err.Error(), "damaged") {
				t.Fatalf("restore: %v, want refused as damaged", err)
			}
			if fs := files(t, filepath.Join(dst.dir, "storage")); len(fs) != 0 {
				t.Fatalf("files left by a refused restore: %v", fs)
			}
			if _, ok := dst.db.Catalog.Snapshot().Namespace("app"); ok {
				t.Fatal("namespace app exists after a refused restore")
			}
		})
	}
}
