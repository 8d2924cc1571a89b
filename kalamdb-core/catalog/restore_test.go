package catalog

import (
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

func TestReservedNamespaceCannotBeCreated(t *testing.T) {
	_, c := open(t, t.TempDir(), Options{BcryptCost: bcrypt.MinCost})
	release, err := c.ReserveNamespace("app")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateNamespace("app", false); !apierror.Is(err, apierror.AlreadyExists) {
		t.Fatalf("CREATE NAMESPACE of a namespace being restored: %v", err)
	}
	if _, err := c.ReserveNamespace("app"); !apierror.Is(err, apierror.AlreadyExists) {
		t.Fatalf("second reservation: %v", err)
	}
	release()
	if _, err := c.CreateNamespace("app", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReserveNamespace("app"); !apierror.Is(err, apierror.AlreadyExists) {
		t.Fatalf("reservation of an existing namespace: %v", err)
	}
}

// The schemas the engine answers itself (system, information_schema,
// pg_catalog) can be neither created nor restored into: a namespace of
// that name would be shadowed.
func TestSystemSchemaNamesAreReserved(t *testing.T) {
	_, c := open(t, t.TempDir(), Options{BcryptCost: bcrypt.MinCost})
	for _, name := range []string{"system", "information_schema", "pg_catalog"} {
		if _, err := c.CreateNamespace(name, true); !apierror.Is(err, apierror.InvalidSQL) {
			t.Errorf("CREATE NAMESPACE %s: %v", name, err)
		}
		if _, err := c.ReserveNamespace(name); !apierror.Is(err, apierror.InvalidSQL) {
			t.Errorf("RESTORE into %s: %v", name, err)
		}
	}
}

func TestPlanUsersKeepsExistingAccountsAndCreatesMissingOnes(t *testing.T) {
	_, c := open(t, t.TempDir(), Options{BcryptCost: bcrypt.MinCost})
	bobHere, err := c.CreateUser("bob", "pw", systable.RoleUser, "", false)
	if err != nil {
		t.Fatal(err)
	}
	carolHere, err := c.CreateUser("carol", "pw", systable.RoleUser, "", false)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	users := []*systable.User{
		{UserID: "u_alice", Username: "alice", PasswordHash: "h1", Role: systable.RoleService, CreatedAt: now},
		{UserID: "u_bob_there", Username: "Bob", PasswordHash: "h2", Role: systable.RoleDBA, CreatedAt: now},
		// dave's id is carol's here: dave is created under a new one.
		{UserID: carolHere, Username: "dave", PasswordHash: "h3", Role: systable.RoleUser, CreatedAt: now},
	}
	p, err := c.PlanUsers(users, []string{"u_alice", "u_bob_there", carolHere, "u_gone"})
	if err != nil {
		t.Fatal(err)
	}
	if p.IDs["u_alice"] != "u_alice" || p.IDs["u_bob_there"] != bobHere || p.IDs["u_gone"] != "u_gone" {
		t.Fatalf("ids: %v", p.IDs)
	}
	if d := p.IDs[carolHere]; d == carolHere || d == "" {
		t.Fatalf("dave took carol's id: %v", p.IDs)
	}
	if len(p.Create) != 2 || p.Existing[bobHere] != "bob" {
		t.Fatalf("create %v existing %v", p.Create, p.Existing)
	}
	// A dropped owner whose id is someone's here is refused.
	if _, err := c.PlanUsers(nil, []string{carolHere}); !apierror.Is(err, apierror.AlreadyExists) {
		t.Fatalf("owner id taken: %v", err)
	}
	// Two backup users of one name are refused.
	twice := []*systable.User{{UserID: "u_1", Username: "eve"}, {UserID: "u_2", Username: "EVE"}}
	if _, err := c.PlanUsers(twice, nil); !apierror.Is(err, apierror.InvalidInput) {
		t.Fatalf("duplicate names: %v", err)
	}
	// The plan commits only while it holds.
	release, err := c.ReserveNamespace("app")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, err := c.CreateUser("alice", "pw", systable.RoleUser, "", false); err != nil {
		t.Fatal(err)
	}
	_, err = c.RestoreNamespace(&NamespaceRestore{Namespace: &systable.Namespace{NamespaceID: "app"}, Users: p,
		Work: func(*kv.Batch) (func(bool), error) { return func(bool) {}, nil }})
	if !apierror.Is(err, apierror.SQLExecutionError) {
		t.Fatalf("restore after alice was created meanwhile: %v", err)
	}
	if _, ok := c.Snapshot().Namespace("app"); ok {
		t.Fatal("namespace published by a refused restore")
	}
}

// TestRestoredUserWithoutPasswordMatchesNoPassword: a dba's backup holds
// no password hashes, so a restore creates its missing users with none.
// No password, the empty one included, is theirs: only root may be
// without a password (and the server's front end lets it in from
// localhost only).
func TestRestoredUserWithoutPasswordMatchesNoPassword(t *testing.T) {
	_, c := open(t, t.TempDir(), Options{BcryptCost: bcrypt.MinCost})
	p, err := c.PlanUsers([]*systable.User{{UserID: "u_alice", Username: "alice", Role: systable.RoleUser, CreatedAt: time.Now()}}, []string{"u_alice"})
	if err != nil {
		t.Fatal(err)
	}
	release, err := c.ReserveNamespace("app")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if _, err := c.RestoreNamespace(&NamespaceRestore{Namespace: &systable.Namespace{NamespaceID: "app"}, Users: p,
		Work: func(*kv.Batch) (func(bool), error) { return func(bool) {}, nil }}); err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"", "x"} {
		if ok, err := c.CheckPassword("u_alice", pw); err != nil || ok {
			t.Fatalf("password %q of a user restored without one: %v %v", pw, ok, err)
		}
	}
}
