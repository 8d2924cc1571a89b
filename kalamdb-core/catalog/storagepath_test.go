package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
)

func TestResolvePath(t *testing.T) {
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(base, "target")
	if err := os.MkdirAll(target, 0o755); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(target, filepath.Join(base, "link")))
	must(os.Symlink(filepath.Join(base, "missing"), filepath.Join(base, "dangling")))
	must(os.WriteFile(filepath.Join(base, "file"), []byte("x"), 0o644))
	for in, want := range map[string]string{
		base + "/target/a/b":        base + "/target/a/b",
		base + "/link":              target,
		base + "/link/new/deeper":   target + "/new/deeper",
		base + "/x/../link/./y":     target + "/y",
		base + "/file/sub":          base + "/file/sub", // unusable, but resolvable
		base + "/not/yet/there/":    base + "/not/yet/there",
		"/":                         "/",
		base + "/link/../link/more": target + "/more", // cleaned lexically before resolving, as stored
	} {
		got, err := resolvePath(in)
		if err != nil || got != want {
			t.Errorf("resolvePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := resolvePath(base + "/dangling/sub"); err == nil || !strings.Contains(err.Error(), "missing target") {
		t.Errorf("a dangling link was resolved: %v", err)
	}
}

func TestWithinAndOverlap(t *testing.T) {
	for _, c := range []struct {
		p, dir string
		want   bool
	}{
		{"/a/b", "/a", true}, {"/a", "/a", true}, {"/ab", "/a", false}, {"/a", "/a/b", false},
		{"/anything", "/", true}, {"/", "/", true},
	} {
		if got := within(c.p, c.dir); got != c.want {
			t.Errorf("within(%q, %q) = %v", c.p, c.dir, got)
		}
	}
	if !overlap("/a", "/a/b") || !overlap("/a/b", "/a") || overlap("/a/b", "/a/c") {
		t.Error("overlap")
	}
}

// TestLocalStorageIsExemptFromRootsOnly: the operator places 'local'; it
// need not be in an allowed root, but other storages may not overlap it.
func TestLocalStorageIsExemptFromRootsOnly(t *testing.T) {
	data := t.TempDir()
	db, c := open(t, filepath.Join(data, "rocksdb"), Options{LocalStoragePath: filepath.Join(data, "storage"),
		Storage: StorageRules{DataDir: data, AllowedRoots: []string{filepath.Join(data, "storages")}}})
	defer db.Close()
	if p := c.StorageProblems(); len(p) != 0 {
		t.Fatalf("problems of a fresh catalog: %+v", p)
	}
	path := filepath.Join(data, "storage", "inner")
	_, err := c.CreateStorage("inner", dialect.StorageProps{Type: ptr(StorageFilesystem), Path: &path}, false, nil, asSystem)
	if ae, ok := apierror.As(err); !ok || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, "overlaps storage local") {
		t.Fatalf("storage inside local: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
