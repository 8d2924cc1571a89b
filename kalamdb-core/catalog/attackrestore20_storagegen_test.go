package catalog

import (
	"path/filepath"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackrestore20StorageGenerationSeesUndoneChanges: a backup tells
// that no storage changed while it opened its location by the storage
// generation (a storage created and dropped again leaves the storages as
// they were, and the generation moved); every storage change moves it,
// and nothing else does.
func TestAttackrestore20StorageGenerationSeesUndoneChanges(t *testing.T) {
	db, c := open(t, filepath.Join(t.TempDir(), "rocksdb"), Options{})
	defer db.Close()
	gen := c.Snapshot().StorageGeneration()
	moved := func(what string, want bool) {
		t.Helper()
		now := c.Snapshot().StorageGeneration()
		if (now != gen) != want {
			t.Fatalf("%s: storage generation %d, was %d (want moved: %v)", what, now, gen, want)
		}
		gen = now
	}
	if _, err := c.CreateNamespace("app", false); err != nil {
		t.Fatal(err)
	}
	moved("CREATE NAMESPACE", false)
	if _, err := c.CreateStorage("s", s3Props(func(p *dialect.StorageProps) {}), false, nil, systable.RoleDBA); err != nil {
		t.Fatal(err)
	}
	moved("CREATE STORAGE", true)
	if err := c.AlterStorage("s", dialect.StorageProps{Description: ptr("d")}, nil, systable.RoleDBA); err != nil {
		t.Fatal(err)
	}
	moved("ALTER STORAGE", true)
	if _, err := c.DropStorage("s", false); err != nil {
		t.Fatal(err)
	}
	moved("DROP STORAGE", true)
}
