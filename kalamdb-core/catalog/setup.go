package catalog

import (
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// NeedsSetup reports whether the server is still waiting for its first-run
// set-up: root has no password (none configured, none set since).
func (c *Catalog) NeedsSetup() bool {
	root, ok := c.cur.Load().User(RootUser)
	return ok && root.PasswordHash == ""
}

// Setup is the first-run set-up: it gives root a password and creates a
// dba user, in one batch, and only while root has no password, so two
// concurrent set-ups (or a set-up racing ALTER USER root) cannot both
// win. The new root password revokes the tokens root was issued without
// one. It returns the new user's id; nothing changes on any error.
func (c *Catalog) Setup(rootPassword, name, password, email string) (string, error) {
	if err := ValidateUserName(name); err != nil {
		return "", err
	}
	name = FoldUserName(name)
	if !c.NeedsSetup() {
		return "", errAlreadySetUp()
	}
	// Hash outside the lock: bcrypt is deliberately slow.
	rootHash, err := c.hash(rootPassword)
	if err != nil {
		return "", fieldError("root_password", err)
	}
	userHash, err := c.hash(password)
	if err != nil {
		return "", fieldError("password", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	root, ok := snap.users[RootUser]
	if !ok || root.PasswordHash != "" {
		return "", errAlreadySetUp()
	}
	if _, taken := snap.userByName[name]; taken {
		return "", apierror.New(apierror.AlreadyExists, "user %s already exists", name)
	}
	id, err := c.newUserID(snap)
	if err != nil {
		return "", err
	}
	now := c.opts.Now().UTC()
	newRoot := *root
	newRoot.PasswordHash, newRoot.UpdatedAt = rootHash, now
	newRoot.CredentialVersion++
	u := &systable.User{UserID: id, Username: name, PasswordHash: userHash, Role: systable.RoleDBA, Email: email,
		AuthType: "password", CreatedAt: now, UpdatedAt: now}
	var b kv.Batch
	for _, row := range []*systable.User{&newRoot, u} {
		if err := c.users.PutInBatch(&b, row); err != nil {
			return "", err
		}
	}
	next := snap.clone()
	next.putUser(&newRoot)
	next.putUser(u)
	return id, c.commit(&b, next)
}

func errAlreadySetUp() error {
	return apierror.New(apierror.AlreadyExists, "the server is already set up: root has a password")
}

// fieldError names the request field a password error is about.
func fieldError(field string, err error) error {
	if e, ok := apierror.As(err); ok {
		return apierror.New(e.Code, "%s: %s", field, e.Message).WithDetails(map[string]string{"field": field})
	}
	return err
}
