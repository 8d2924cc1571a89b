package catalog

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// UserIDPrefix starts every generated user id.
const UserIDPrefix = "u_"

// ValidateUserName checks a name a new user may be given: what a user id
// may hold (names are shown and logged next to ids, and older ids were
// names), ASCII only, and not starting with UserIDPrefix, so that no name
// reads as another user's id (in as_user, CURRENT_USER(), logs).
func ValidateUserName(name string) error {
	bad := func(format string, args ...any) error {
		return apierror.New(apierror.InvalidInput, "user name %q is not valid: %s", name, fmt.Sprintf(format, args...))
	}
	if name == "" || len(name) > keyenc.MaxUserIDLen {
		return bad("it must be 1 to %d characters", keyenc.MaxUserIDLen)
	}
	for _, r := range name {
		if !(r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.@-", r))) {
			return bad("character %q (U+%04X) is not allowed; use ASCII letters, digits, '_', '.', '@' and '-'", r, r)
		}
	}
	if strings.HasPrefix(FoldUserName(name), UserIDPrefix) {
		return bad("names starting with %q are reserved for user ids", UserIDPrefix)
	}
	if err := keyenc.ValidateUserID(name); err != nil {
		return bad("%s", strings.TrimPrefix(err.Error(), keyenc.ErrBadUserID.Error()+": "))
	}
	return nil
}

// UserByName returns the current row of the user called name, for logins
// and statements that name a user.
func (c *Catalog) UserByName(name string) (*systable.User, bool) {
	return c.cur.Load().UserByName(name)
}

// UserByID returns the current row of the user with the given id, for
// tokens and sessions, which carry the id.
func (c *Catalog) UserByID(id string) (*systable.User, bool) {
	return c.cur.Load().User(id)
}

// newUserID returns a fresh user id: "u_" and a lower-case ULID (80 random
// bits), valid in keys and storage paths. It is checked against the
// current ids, so it cannot take over a live user's partitions; that it
// was never used by a dropped user rests on the 80 random bits.
func (c *Catalog) newUserID(snap *Snapshot) (string, error) {
	for {
		u, err := ids.NewULID(c.opts.Now(), nil)
		if err != nil {
			return "", fmt.Errorf("generate user id: %w", err)
		}
		id := UserIDPrefix + strings.ToLower(u)
		if _, taken := snap.users[id]; !taken {
			return id, nil
		}
	}
}

// CreateUser creates a user with a bcrypt-hashed password and a new user
// id, under the name folded to lower case (FoldUserName); a name taken in
// any case is taken. It returns the id ("" when IF NOT EXISTS found the name taken).
func (c *Catalog) CreateUser(name, password string, role systable.Role, email string, ifNotExists bool) (string, error) {
	if err := ValidateUserName(name); err != nil {
		return "", err
	}
	if !role.Valid() {
		return "", apierror.New(apierror.InvalidInput, "unknown role %q", role)
	}
	name = FoldUserName(name)
	exists := func(snap *Snapshot) (bool, error) {
		if len(snap.userByName[name]) == 0 {
			return false, nil
		}
		if ifNotExists {
			return true, nil
		}
		return true, apierror.New(apierror.AlreadyExists, "user %s already exists", name)
	}
	if found, err := exists(c.cur.Load()); found {
		return "", err
	}
	// Hash outside the lock: bcrypt is deliberately slow.
	h, err := c.hash(password)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	if found, err := exists(snap); found {
		return "", err
	}
	id, err := c.newUserID(snap)
	if err != nil {
		return "", err
	}
	now := c.opts.Now().UTC()
	u := &systable.User{UserID: id, Username: name, PasswordHash: h, Role: role, Email: email,
		AuthType: "password", CreatedAt: now, UpdatedAt: now}
	var b kv.Batch
	if err := c.users.PutInBatch(&b, u); err != nil {
		return "", err
	}
	next := snap.clone()
	next.putUser(u)
	return id, c.commit(&b, next)
}

// UserChange is one ALTER USER change; nil fields are left alone.
type UserChange struct {
	Password *string
	Role     *systable.Role
	Email    *string
	// UserID, when set, is the id of the account the change was
	// authorised for: if the user called name is another account by the
	// time the change is made (dropped and created again meanwhile, the
	// password being hashed), the change is refused, as it was checked
	// against another account's role.
	UserID string
}

// AlterUser applies a change to the user called name. A new password or
// role increments the user's credential version, which revokes every
// token issued before.
func (c *Catalog) AlterUser(name string, ch UserChange) error {
	var hash string
	if ch.Password != nil {
		h, err := c.hash(*ch.Password)
		if err != nil {
			return err
		}
		hash = h
	}
	if ch.Role != nil && !ch.Role.Valid() {
		return apierror.New(apierror.InvalidInput, "unknown role %q", *ch.Role)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	u, ok := snap.UserByName(name)
	if !ok {
		return apierror.New(apierror.NotFound, "user %s does not exist", name)
	}
	if ch.UserID != "" && u.UserID != ch.UserID {
		return errRecreated(name)
	}
	cp := *u
	if ch.Password != nil {
		cp.PasswordHash = hash
		cp.CredentialVersion++
	}
	if ch.Role != nil && *ch.Role != u.Role {
		if u.UserID == RootUser && *ch.Role != systable.RoleSystem {
			return apierror.New(apierror.PermissionDenied, "the root user's role cannot be changed")
		}
		cp.Role = *ch.Role
		if ch.Password == nil {
			cp.CredentialVersion++
		}
	}
	if ch.Email != nil {
		cp.Email = *ch.Email
	}
	cp.UpdatedAt = c.opts.Now().UTC()
	var b kv.Batch
	if err := c.users.PutInBatch(&b, &cp); err != nil {
		return err
	}
	next := snap.clone()
	next.putUser(&cp)
	return c.commit(&b, next)
}

// DropUser deletes the user called name. Their rows in USER and STREAM
// tables (hot and cold) stay in storage, unreachable: partitions are keyed
// by the user id, which no later user is given, so a user created again
// under the same name starts empty.
func (c *Catalog) DropUser(name string, ifExists bool) (bool, error) {
	return c.dropUser(name, "", ifExists)
}

// DropCheckedUser is DropUser of the account with id userID, the one
// the drop was authorised for: if the user called name is another
// account now (dropped and created again meanwhile), nothing is dropped.
func (c *Catalog) DropCheckedUser(name, userID string, ifExists bool) (bool, error) {
	return c.dropUser(name, userID, ifExists)
}

// errRecreated refuses a change checked against an account that the user
// called name no longer is.
func errRecreated(name string) error {
	return apierror.New(apierror.SQLExecutionError, "user %s was dropped and created again meanwhile; run the statement again", name)
}

func (c *Catalog) dropUser(name, userID string, ifExists bool) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	snap := c.cur.Load()
	u, ok := snap.UserByName(name)
	if !ok {
		if ifExists {
			return false, nil
		}
		return false, apierror.New(apierror.NotFound, "user %s does not exist", name)
	}
	if userID != "" && u.UserID != userID {
		return false, errRecreated(name)
	}
	if u.UserID == RootUser {
		return false, apierror.New(apierror.PermissionDenied, "the root user cannot be dropped")
	}
	var b kv.Batch
	c.users.DeleteInBatch(&b, u.UserID)
	next := snap.clone()
	next.deleteUser(u)
	return true, c.commit(&b, next)
}

// CheckPassword reports whether password is the current password of the
// user with the given id (for root without a password, the empty one). It runs a full bcrypt; front ends that face
// anonymous clients throttle before calling anything like it.
func (c *Catalog) CheckPassword(userID, password string) (bool, error) {
	u, ok := c.cur.Load().User(userID)
	if !ok {
		return false, apierror.New(apierror.NotFound, "user %s does not exist", userID)
	}
	if u.PasswordHash == "" {
		// Only root is ever meant to be without a password; a user
		// restored from a dba's backup has none until one is set, and
		// no password is theirs.
		return u.UserID == RootUser && password == "", nil
	}
	err := bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
		return false, nil
	}
	return false, fmt.Errorf("check password of %s: %w", userID, err)
}
