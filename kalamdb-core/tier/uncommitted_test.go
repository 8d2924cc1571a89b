package tier

import (
	"context"
	"errors"
	"io/fs"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/cold"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// TestRemoveUncommitted: a file whose commit failed is removed when its
// partition's manifest row does not list it (no row, or a row without
// it), and kept when the row lists it (a batch that failed after being
// applied committed it after all).
func TestRemoveUncommitted(t *testing.T) {
	r := newManifestRig(t)
	r.m.files = newFileCache(16, nil)
	fsys, err := cold.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	put := func(p string) {
		if err := writeAll(ctx, fsys, p, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(p string) bool {
		_, err := fsys.Stat(ctx, p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return err == nil
	}
	id := r.id("a")
	put("a/batch-1.parquet")
	r.m.removeUncommitted(ctx, "local", fsys, id, "a/batch-1.parquet")
	if exists("a/batch-1.parquet") {
		t.Fatal("no manifest row: the file stayed")
	}
	var b kv.Batch
	mf := &systable.Manifest{ManifestID: id, NamespaceID: "n", TableName: "t", UserID: "a", NextBatch: 3,
		Files: []systable.ManifestFile{{Path: "a/batch-1.parquet"}}}
	if err := r.m.manifests.PutInBatch(&b, mf); err != nil {
		t.Fatal(err)
	}
	if err := r.m.db.Write(&b); err != nil {
		t.Fatal(err)
	}
	put("a/batch-1.parquet")
	put("a/batch-2.parquet")
	r.m.removeUncommitted(ctx, "local", fsys, id, "a/batch-1.parquet")
	if !exists("a/batch-1.parquet") {
		t.Fatal("a file the manifest row lists was removed")
	}
	r.m.removeUncommitted(ctx, "local", fsys, id, "a/batch-2.parquet")
	if exists("a/batch-2.parquet") {
		t.Fatal("a file the manifest row does not list stayed")
	}
}
