package engine

import (
	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Access levels of SHARED tables (API.md "Tables and system columns").
const (
	AccessPublic     = "PUBLIC"
	AccessPrivate    = "PRIVATE"
	AccessRestricted = "RESTRICTED"
)

// sharedRoles returns the least roles that may read and write a SHARED
// table of the given access level. PRIVATE is the default and the fallback
// for an unknown level, so a bad row never opens a table up.
func sharedRoles(level string) (read, write systable.Role) {
	switch level {
	case AccessPublic:
		return systable.RoleUser, systable.RoleService
	case AccessRestricted:
		return systable.RoleDBA, systable.RoleDBA
	}
	return systable.RoleService, systable.RoleService
}

// CanRead reports whether the session's effective role may read table t.
// USER and STREAM tables are readable by everyone (each sees only their
// own partition).
func CanRead(role systable.Role, t *catalog.Table) error {
	if t.Meta.TableType != dialect.TableTypeShared {
		return nil
	}
	read, _ := sharedRoles(t.Meta.AccessLevel)
	if !role.AtLeast(read) {
		return apierror.New(apierror.PermissionDenied, "%s table %s.%s requires the %s role to read",
			accessName(t.Meta.AccessLevel), t.Meta.NamespaceID, t.Meta.TableName, read)
	}
	return nil
}

// CanWrite reports whether the session's effective role may write table t.
func CanWrite(role systable.Role, t *catalog.Table) error {
	if t.Meta.TableType != dialect.TableTypeShared {
		return nil
	}
	_, write := sharedRoles(t.Meta.AccessLevel)
	if !role.AtLeast(write) {
		return apierror.New(apierror.PermissionDenied, "%s table %s.%s requires the %s role to write",
			accessName(t.Meta.AccessLevel), t.Meta.NamespaceID, t.Meta.TableName, write)
	}
	return nil
}

func accessName(level string) string {
	if level == "" {
		return AccessPrivate
	}
	return level
}

func canRead(sess *Session, t *catalog.Table) error { return CanRead(sess.Role, t) }
