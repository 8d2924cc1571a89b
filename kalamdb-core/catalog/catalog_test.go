package catalog

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

func open(t *testing.T, dir string, o Options) (*kv.DB, *Catalog) {
	t.Helper()
	db, err := kv.Open(dir, kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o.BcryptCost = bcrypt.MinCost
	if o.MachineNames == nil {
		// The overlap check's answers must not depend on the machine the
		// tests run on (its host name, its interfaces' addresses).
		o.MachineNames = func() MachineNames { return MachineNames{} }
	}
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
	if _, err := c.CreateTable(st, nil); err != nil {
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

// Users stored before ids were generated have user_id == username and keep
// it: their partitions and storage paths are under that id. A name freed
// by DROP USER gets a new id when used again.
func TestLegacyUsersKeepTheirIDs(t *testing.T) {
	dir := t.TempDir()
	storeUsers(t, dir, &systable.User{UserID: "dave", Username: "dave", Role: systable.RoleUser, AuthType: "password"})
	db, c := open(t, dir, Options{})
	defer db.Close()
	u, ok := c.UserByName("dave")
	if !ok || u.UserID != "dave" {
		t.Fatalf("legacy user: %+v", u)
	}
	if byID, ok := c.UserByID("dave"); !ok || byID != u {
		t.Fatal("legacy user not found by id")
	}
	if err := c.AlterUser("dave", UserChange{Password: strPtr("pw")}); err != nil {
		t.Fatal(err)
	}
	if u, _ := c.UserByName("dave"); u.UserID != "dave" || u.CredentialVersion != 1 {
		t.Fatalf("altered legacy user: %+v", u)
	}
	if _, err := c.DropUser("dave", false); err != nil {
		t.Fatal(err)
	}
	id, err := c.CreateUser("dave", "pw", systable.RoleUser, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if id == "dave" || !strings.HasPrefix(id, UserIDPrefix) || keyenc.ValidateUserID(id) != nil {
		t.Fatalf("re-created dave got id %q", id)
	}
	if _, ok := c.UserByID("dave"); ok {
		t.Fatal("the legacy id still resolves")
	}
}

func TestCreateUserIfNotExistsAndNameIndex(t *testing.T) {
	db, c := open(t, t.TempDir(), Options{})
	defer db.Close()
	id, err := c.CreateUser("erin", "pw", systable.RoleUser, "", false)
	if err != nil || id == "" {
		t.Fatalf("create: %q %v", id, err)
	}
	if again, err := c.CreateUser("erin", "pw", systable.RoleUser, "", true); err != nil || again != "" {
		t.Fatalf("IF NOT EXISTS on a taken name: %q %v", again, err)
	}
	if _, err := c.CreateUser("erin", "pw", systable.RoleUser, "", false); apierror.CodeOf(err) != apierror.AlreadyExists {
		t.Fatalf("duplicate name: %v", err)
	}
	if u, ok := c.UserByName("erin"); !ok || u.UserID != id {
		t.Fatalf("by name: %+v", u)
	}
	if _, ok := c.UserByName(id); ok {
		t.Fatal("an id resolves as a name")
	}
	if _, ok := c.UserByID("erin"); ok {
		t.Fatal("a name resolves as an id")
	}
	if err := c.AlterUser("nobody", UserChange{}); apierror.CodeOf(err) != apierror.NotFound {
		t.Fatalf("alter unknown: %v", err)
	}
	if _, err := c.DropUser(RootUser, false); apierror.CodeOf(err) != apierror.PermissionDenied {
		t.Fatalf("drop root: %v", err)
	}
}

func TestRootPasswordChangeAtStartBumpsCredentialVersion(t *testing.T) {
	dir := t.TempDir()
	db, c := open(t, dir, Options{RootPassword: "pw1"})
	root, _ := c.UserByID(RootUser)
	before := root.CredentialVersion
	db.Close()
	db, c = open(t, dir, Options{RootPassword: "pw2"})
	defer db.Close()
	root, _ = c.UserByID(RootUser)
	if root.Username != RootUser || root.CredentialVersion != before+1 {
		t.Fatalf("root after a new configured password: %+v", root)
	}
}

func strPtr(s string) *string { return &s }

// User names are case-insensitive, like every identifier: 'Alice' and
// 'alice' are one account, which CREATE USER stores in lower case. Any
// spelling finds it; none creates a second one.
func TestUserNamesAreCaseInsensitive(t *testing.T) {
	db, c := open(t, t.TempDir(), Options{})
	defer db.Close()
	id, err := c.CreateUser("Alice", "pw", systable.RoleUser, "", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "Alice", "ALICE", "aLiCe"} {
		if u, ok := c.UserByName(name); !ok || u.UserID != id || u.Username != "alice" {
			t.Fatalf("UserByName(%q): %+v", name, u)
		}
	}
	if _, err := c.CreateUser("ALICE", "pw", systable.RoleUser, "", false); apierror.CodeOf(err) != apierror.AlreadyExists {
		t.Fatalf("a second Alice: %v", err)
	}
	if again, err := c.CreateUser("alice", "pw", systable.RoleUser, "", true); err != nil || again != "" {
		t.Fatalf("IF NOT EXISTS: %q %v", again, err)
	}
	if err := c.AlterUser("ALICE", UserChange{Email: strPtr("a@example.com")}); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.DropUser("aLICE", false); !ok || err != nil {
		t.Fatalf("drop: %v %v", ok, err)
	}
	if _, ok := c.UserByName("alice"); ok {
		t.Fatal("dropped user still found")
	}
}

// Two users whose names differ only in case (created by a version that
// compared names exactly) both stay: each is found by its exact spelling,
// no other spelling picks one of them, and no third one can be created.
func TestLegacyNamesDifferingInCase(t *testing.T) {
	dir := t.TempDir()
	storeUsers(t, dir,
		&systable.User{UserID: "u_1", Username: "Bob", Role: systable.RoleUser, AuthType: "password"},
		&systable.User{UserID: "u_2", Username: "bob", Role: systable.RoleUser, AuthType: "password"},
		&systable.User{UserID: "u_3", Username: "Carol", Role: systable.RoleUser, AuthType: "password"})
	db, c := open(t, dir, Options{})
	defer db.Close()
	for name, want := range map[string]string{"Bob": "u_1", "bob": "u_2", "BOB": "", "Carol": "u_3", "carol": "u_3"} {
		u, ok := c.UserByName(name)
		if got := ""; ok {
			got = u.UserID
			if got != want {
				t.Errorf("UserByName(%q) = %s, want %q", name, got, want)
			}
		} else if want != "" {
			t.Errorf("UserByName(%q) not found, want %s", name, want)
		}
	}
	if _, err := c.CreateUser("BoB", "pw", systable.RoleUser, "", false); apierror.CodeOf(err) != apierror.AlreadyExists {
		t.Fatalf("a third bob: %v", err)
	}
	if _, err := c.DropUser("Bob", false); err != nil {
		t.Fatal(err)
	}
	if u, ok := c.UserByName("BOB"); !ok || u.UserID != "u_2" {
		t.Fatalf("after the other was dropped: %+v", u)
	}
}

// storeUsers writes user rows into the store in dir as an earlier version
// left them, without the catalog's checks.
func storeUsers(t *testing.T, dir string, rows ...*systable.User) {
	t.Helper()
	storeRows(t, dir, systable.Users, rows...)
}

// storeRows writes rows of a system table into the store in dir, without
// the catalog's checks.
func storeRows[T any](t *testing.T, dir string, def *systable.Def[T], rows ...*T) {
	t.Helper()
	db, err := kv.Open(dir, kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tbl, err := systable.Open(db, def)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := tbl.Put(r); err != nil {
			t.Fatal(err)
		}
	}
}

// The attack's look-alikes: names are ASCII, but lookups folded with
// Unicode rules, so the Kelvin sign K (U+212A) in "\u212aim" found kim.
// Only ASCII letters fold; any other spelling is another (unknown) name.
// A name is refused with a message about names, and the prefix of
// generated user ids is reserved so that no name reads as another's id.
func TestUserNamesFoldASCIIOnly(t *testing.T) {
	db, c := open(t, t.TempDir(), Options{})
	defer db.Close()
	id, err := c.CreateUser("kim", "pw", systable.RoleUser, "", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"\u212aim", "k\u0131m", "ki\u0307m", "\uff4bim", "KIM "} {
		if u, ok := c.UserByName(name); ok {
			t.Errorf("UserByName(%q) found %s", name, u.UserID)
		}
		if err := c.AlterUser(name, UserChange{Email: strPtr("x@example.com")}); apierror.CodeOf(err) != apierror.NotFound {
			t.Errorf("AlterUser(%q): %v", name, err)
		}
		if ok, err := c.DropUser(name, true); ok || err != nil {
			t.Errorf("DropUser(%q): %v %v", name, ok, err)
		}
	}
	if u, ok := c.UserByName("KIM"); !ok || u.UserID != id {
		t.Fatal("KIM is kim")
	}
	for name, want := range map[string]string{
		"al\u0130ce":                   "user name \"al\u0130ce\" is not valid: character 'İ' (U+0130)",
		"":                             "is not valid: it must be 1 to 128 characters",
		"u_01m9261jwx13171h93x92x3s7q": `names starting with "u_" are reserved for user ids`,
		"U_x":                          `names starting with "u_" are reserved for user ids`,
	} {
		_, err := c.CreateUser(name, "pw", systable.RoleUser, "", false)
		if ae, ok := apierror.As(err); !ok || ae.Code != apierror.InvalidInput || !strings.Contains(ae.Message, want) ||
			strings.Contains(ae.Message, "user id\"") || strings.Contains(ae.Message, "invalid user id") {
			t.Errorf("CreateUser(%q): %v, want %s", name, err, want)
		}
	}
}
