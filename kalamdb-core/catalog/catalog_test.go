package catalog

import (
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

func open(t *testing.T, dir string, o Options) (*kv.DB, *Catalog) {
	t.Helper()
	db, err := kv.Open(dir, kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o.BcryptCost = bcrypt.MinCost
	c, err := Open(db, o)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return db, c
}

func TestBootstrapRootAndLocalStorage(t *testing.T) {
	dir := t.TempDir()
	db, c := open(t, dir, Options{LocalStoragePath: "/data/storage"})
	root, ok := c.UserByName(RootUser)
	if !ok || root.Role != "system" || root.PasswordHash != "" {
		t.Fatalf("root on first start without a password: %+v", root)
	}
	if st, ok := c.Snapshot().Storage(LocalStorage); !ok || st.BaseDirectory != "/data/storage" {
		t.Fatalf("local storage: %+v", st)
	}
	db.Close()
	// A configured password replaces the stored hash at start.
	db, c = open(t, dir, Options{RootPassword: "pw1"})
	root, _ = c.UserByName(RootUser)
	if bcrypt.CompareHashAndPassword([]byte(root.PasswordHash), []byte("pw1")) != nil {
		t.Fatal("root password from config not applied")
	}
	db.Close()
	// Without a configured password, the stored one stays.
	db, c = open(t, dir, Options{})
	defer db.Close()
	root, _ = c.UserByName(RootUser)
	if bcrypt.CompareHashAndPassword([]byte(root.PasswordHash), []byte("pw1")) != nil {
		t.Fatal("stored root password lost on a start without one")
	}
}

func TestOrphanFamiliesAreDroppedAtStart(t *testing.T) {
	dir := t.TempDir()
	db, c := open(t, dir, Options{})
	if _, err := c.CreateNamespace("app", false); err != nil {
		t.Fatal(err)
	}
	st := &dialect.CreateTable{Table: dialect.TableName{Namespace: "app", Name: "kept"},
		Columns: []dialect.ColumnDef{{Name: "id", Type: dialect.DataType{Name: dialect.TypeInt}}}}
	if _, err := c.CreateTable(st); err != nil {
		t.Fatal(err)
	}
	// A crash between creating a family and committing its table leaves
	// a family no table owns.
	if _, err := db.ColumnFamily("user_table:app:orphan"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, _ = open(t, dir, Options{})
	defer db.Close()
	if _, ok := db.LookupColumnFamily("user_table:app:orphan"); ok {
		t.Fatal("orphan family survived a restart")
	}
	if _, ok := db.LookupColumnFamily("user_table:app:kept"); !ok {
		t.Fatal("a table's family was dropped")
	}
}

func TestSnapshotsAreImmutable(t *testing.T) {
	db, c := open(t, t.TempDir(), Options{})
	defer db.Close()
	before := c.Snapshot()
	if _, err := c.CreateNamespace("app", false); err != nil {
		t.Fatal(err)
	}
	if _, ok := before.Namespace("app"); ok {
		t.Fatal("an old snapshot saw a later change")
	}
	if _, ok := c.Snapshot().Namespace("app"); !ok {
		t.Fatal("the new snapshot lacks the change")
	}
}
