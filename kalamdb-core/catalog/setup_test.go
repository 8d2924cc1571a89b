package catalog

import (
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

func TestSetupSetsRootPasswordAndCreatesADBAOnce(t *testing.T) {
	dir := t.TempDir()
	db, c := open(t, dir, Options{})
	if !c.NeedsSetup() {
		t.Fatal("a fresh catalog without a configured root password needs set-up")
	}
	before, _ := c.UserByName(RootUser)

	// Bad input changes nothing.
	for _, bad := range []struct{ rootPw, name, pw, code string }{
		{"", "admin", "pw", string(apierror.InvalidInput)},
		{"rootpw", "admin", "", string(apierror.InvalidInput)},
		{"rootpw", "", "pw", string(apierror.InvalidInput)},
		{"rootpw", "root", "pw", string(apierror.AlreadyExists)},
		// User names are case-insensitive: ROOT is root.
		{"rootpw", "ROOT", "pw", string(apierror.AlreadyExists)},
		{string(make([]byte, 73)), "admin", "pw", string(apierror.InvalidInput)},
	} {
		if _, err := c.Setup(bad.rootPw, bad.name, bad.pw, ""); string(apierror.CodeOf(err)) != bad.code {
			t.Fatalf("Setup(%q, %q, %q): %v, want %s", bad.rootPw, bad.name, bad.pw, err, bad.code)
		}
		if !c.NeedsSetup() {
			t.Fatalf("a refused set-up (%q) gave root a password", bad.name)
		}
	}

	// Two at once: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, name := range []string{"admin", "other"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Setup("rootpw", name, "adminpw", "a@example.com")
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !apierror.Is(err, apierror.AlreadyExists):
			t.Fatalf("the losing set-up: %v, want ALREADY_EXISTS", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d set-ups won: %v", wins, errs)
	}
	if c.NeedsSetup() {
		t.Fatal("still needs set-up after one succeeded")
	}
	root, _ := c.UserByName(RootUser)
	if bcrypt.CompareHashAndPassword([]byte(root.PasswordHash), []byte("rootpw")) != nil {
		t.Fatal("root's password is not the one set up")
	}
	if root.CredentialVersion != before.CredentialVersion+1 {
		t.Fatalf("root's tokens from before the set-up were not revoked: version %d -> %d", before.CredentialVersion, root.CredentialVersion)
	}
	_, adminOK := c.UserByName("admin")
	_, otherOK := c.UserByName("other")
	if adminOK == otherOK {
		t.Fatalf("want exactly the winner's user: admin %v, other %v", adminOK, otherOK)
	}
	db.Close()

	// It survives a restart, and a third set-up is refused.
	db, c = open(t, dir, Options{})
	defer db.Close()
	name := "admin"
	if !adminOK {
		name = "other"
	}
	u, ok := c.UserByName(name)
	if !ok || u.Role != systable.RoleDBA || u.Email != "a@example.com" || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte("adminpw")) != nil {
		t.Fatalf("set-up user after restart: %+v", u)
	}
	if _, err := c.Setup("again", "third", "pw", ""); !apierror.Is(err, apierror.AlreadyExists) {
		t.Fatalf("set-up after set-up: %v", err)
	}
	if _, ok := c.UserByName("third"); ok {
		t.Fatal("a refused set-up created its user")
	}
}

func TestSetupRefusedWhenRootPasswordConfigured(t *testing.T) {
	db, c := open(t, t.TempDir(), Options{RootPassword: "configured"})
	defer db.Close()
	if c.NeedsSetup() {
		t.Fatal("root has a configured password; no set-up needed")
	}
	if _, err := c.Setup("x", "admin", "pw", ""); !apierror.Is(err, apierror.AlreadyExists) {
		t.Fatalf("got %v", err)
	}
}
