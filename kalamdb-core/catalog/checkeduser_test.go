package catalog

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestChangesOfACheckedAccount: a change authorised for one account
// (UserChange.UserID, DropCheckedUser) is refused, changing nothing, once
// the user of that name is another account (dropped and created again,
// here as a system user), and applies while it is the same one.
func TestChangesOfACheckedAccount(t *testing.T) {
	_, c := open(t, t.TempDir(), Options{})
	old, err := c.CreateUser("carol", "pw", systable.RoleUser, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DropUser("carol", false); err != nil {
		t.Fatal(err)
	}
	cur, err := c.CreateUser("carol", "pw2", systable.RoleSystem, "", false)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := c.UserByName("carol")
	if err := c.AlterUser("carol", UserChange{Password: strPtr("x"), UserID: old}); apierror.CodeOf(err) != apierror.SQLExecutionError {
		t.Fatalf("ALTER of the dropped account: %v", err)
	}
	if ok, err := c.DropCheckedUser("carol", old, true); ok || apierror.CodeOf(err) != apierror.SQLExecutionError {
		t.Fatalf("DROP of the dropped account: %v %v", ok, err)
	}
	if after, _ := c.UserByName("carol"); after != before {
		t.Fatalf("the new account changed: %+v", after)
	}
	if err := c.AlterUser("carol", UserChange{Email: strPtr("c@x"), UserID: cur}); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.DropCheckedUser("carol", cur, false); !ok || err != nil {
		t.Fatalf("DROP of the checked account: %v %v", ok, err)
	}
}
