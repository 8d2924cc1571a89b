package authz

import (
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Principal is who a statement runs as: the caller, or the target of
// EXECUTE AS USER.
type Principal struct {
	UserID string
	Role   systable.Role
}

// Access levels of SHARED tables.
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

// ReadTable decides whether role may read table t. USER and STREAM tables
// are readable by everyone (each sees only their own partition: isolation
// is the table provider's, not a permission).
func ReadTable(role systable.Role, t *systable.TableMeta) error {
	if t.TableType != dialect.TableTypeShared {
		return nil
	}
	read, _ := sharedRoles(t.AccessLevel)
	if !role.AtLeast(read) {
		return apierror.New(apierror.PermissionDenied, "%s table %s.%s requires the %s role to read",
			accessName(t.AccessLevel), t.NamespaceID, t.TableName, read)
	}
	return nil
}

// ViewResolver finds what a view reads, as the catalog has it now. A
// system table is reported with TableType SYSTEM.
type ViewResolver struct {
	Table func(namespace, name string) (*systable.TableMeta, bool)
	View  func(namespace, name string) (*systable.View, bool)
}

// ReadView decides whether role may read view v. A view grants nothing:
// it is read with the reader's permissions on every table it reads,
// directly or through other views (those checks run again, table by
// table, whenever the view is read), so role may read it when it may read
// each of them. A table or view that no longer exists refuses nothing:
// reading the view fails anyway, naming it.
func ReadView(role systable.Role, v *systable.View, r ViewResolver) error {
	return readView(role, v, r, map[string]bool{})
}

func readView(role systable.Role, v *systable.View, r ViewResolver, seen map[string]bool) error {
	if seen[v.ViewID] {
		return nil
	}
	seen[v.ViewID] = true
	for _, d := range v.Dependencies {
		switch d.Kind {
		case systable.DependsOnView:
			if inner, ok := r.View(d.NamespaceID, d.Name); ok {
				if err := readView(role, inner, r, seen); err != nil {
					return err
				}
			}
		default:
			t, ok := r.Table(d.NamespaceID, d.Name)
			switch {
			case !ok:
			case t.TableType == dialect.TableTypeSystem:
				if _, err := SystemTable(role, t.TableName); err != nil {
					return err
				}
			default:
				if err := ReadTable(role, t); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// WriteTable decides whether role may write table t.
func WriteTable(role systable.Role, t *systable.TableMeta) error {
	if t.TableType != dialect.TableTypeShared {
		return nil
	}
	_, write := sharedRoles(t.AccessLevel)
	if !role.AtLeast(write) {
		return apierror.New(apierror.PermissionDenied, "%s table %s.%s requires the %s role to write",
			accessName(t.AccessLevel), t.NamespaceID, t.TableName, write)
	}
	return nil
}

func accessName(level string) string {
	if level == "" {
		return AccessPrivate
	}
	return level
}

// DDL decides a statement that defines namespaces, tables or storages:
// they need the dba role.
func DDL(role systable.Role, k dialect.Kind) error {
	if k.IsDDL() && !role.AtLeast(systable.RoleDBA) {
		return apierror.New(apierror.PermissionDenied, "%s requires the dba role", k)
	}
	return nil
}

// Administration decides the statements that administer the server as a
// whole (storages, flush, compaction, manifests, jobs): they need the dba
// role.
func Administration(role systable.Role, k dialect.Kind) error {
	if !role.AtLeast(systable.RoleDBA) {
		return apierror.New(apierror.PermissionDenied, "%s requires the dba role", k)
	}
	return nil
}

// SeesSystem reports whether role sees the system namespace: its tables
// are listed (information_schema, SHOW) and readable, and it may
// subscribe to them.
func SeesSystem(role systable.Role) bool { return role.AtLeast(systable.RoleDBA) }

// SystemTable decides a read of system table name. A dba or system user
// reads every row; anyone else may read system.users, restricted to their
// own row (ownRowOnly), and nothing else.
func SystemTable(role systable.Role, name string) (ownRowOnly bool, err error) {
	if SeesSystem(role) {
		return false, nil
	}
	if name != systable.Users.Name {
		return false, apierror.New(apierror.PermissionDenied, "system.%s requires the dba role", name)
	}
	return true, nil
}

// ListsSystemTable reports whether role is shown system table name when
// tables are listed: the ones it may read.
func ListsSystemTable(role systable.Role, name string) bool {
	_, err := SystemTable(role, name)
	return err == nil
}

// SubscribeSystem decides a live query on a system table: dba and system
// only. It is checked before the table is looked up, so a user learns only
// that system tables are not theirs to watch.
func SubscribeSystem(role systable.Role) error {
	if !SeesSystem(role) {
		return apierror.New(apierror.PermissionDenied, "system tables need the dba role")
	}
	return nil
}

// mayRunAs reports whether EXECUTE AS USER may wrap a statement of kind k:
// statements that read or write the target's own data. Everything else
// acts on accounts or on the database as a whole, and runs as the caller
// or not at all. In particular user management: run as the target, ALTER
// USER would be "changing one's own password", which is how a service
// could take over any user's account.
func mayRunAs(k dialect.Kind) bool {
	switch k {
	case dialect.KindShowTables, dialect.KindDescribeTable, dialect.KindShowStats:
		return true
	}
	return k.IsDML()
}

// ExecuteAsStatement decides whether EXECUTE AS USER may wrap a statement
// of kind inner, whoever the target.
func ExecuteAsStatement(inner dialect.Kind) error {
	if !mayRunAs(inner) {
		return apierror.New(apierror.PermissionDenied,
			"EXECUTE AS USER may wrap SELECT, INSERT, UPDATE, DELETE, SHOW TABLES, DESCRIBE TABLE and SHOW STATS only, not %s", inner)
	}
	return nil
}

// ExecuteAs applies the EXECUTE AS role matrix: system may act as anyone,
// dba as dba/service/user, service as service/user, user as self.
func ExecuteAs(caller Principal, target *systable.User) error {
	if target.UserID == caller.UserID {
		return nil
	}
	switch caller.Role {
	case systable.RoleSystem:
		return nil
	case systable.RoleDBA:
		if caller.Role.AtLeast(target.Role) {
			return nil
		}
		return apierror.New(apierror.PermissionDenied, "a %s may not execute as %s, whose role %s is higher", caller.Role, target.Username, target.Role)
	case systable.RoleService:
		if caller.Role.AtLeast(target.Role) {
			return nil
		}
		return errServiceMayNotExecuteAs(target.Username)
	}
	return errUserMayNotExecuteAs()
}

// ExecuteAsUnknown is the answer to EXECUTE AS USER of a name no account
// has. A user or a service may not read system.users, so each gets the
// refusal it gets for an account it may not act as: a NOT_FOUND, beside
// a refusal naming the account's role, let them list the server's
// accounts (and the dbas among them) by trying names. A dba or system
// user, who reads system.users anyway, is told the name is unknown.
func ExecuteAsUnknown(caller Principal, name string) error {
	switch caller.Role {
	case systable.RoleSystem, systable.RoleDBA:
		return apierror.New(apierror.NotFound, "user %s does not exist", name)
	case systable.RoleService:
		return errServiceMayNotExecuteAs(name)
	}
	return errUserMayNotExecuteAs()
}

func errServiceMayNotExecuteAs(name string) error {
	return apierror.New(apierror.PermissionDenied,
		"a service may execute as existing users and services only, and %s is not one", name)
}

func errUserMayNotExecuteAs() error {
	return apierror.New(apierror.PermissionDenied, "the user role may only execute as itself; EXECUTE AS USER needs the service, dba or system role")
}

// guardSystem: nobody below system may grant, create or touch the system
// role.
func guardSystem(caller Principal, role systable.Role, what string) error {
	if role == systable.RoleSystem && caller.Role != systable.RoleSystem {
		return apierror.New(apierror.PermissionDenied, "only a system user may %s", what)
	}
	return nil
}

// CreateUser decides CREATE USER: it needs the dba role.
func CreateUser(caller Principal) error {
	if !caller.Role.AtLeast(systable.RoleDBA) {
		return apierror.New(apierror.PermissionDenied, "CREATE USER requires the dba role")
	}
	return nil
}

// NewUserRole decides the role CREATE USER gives: only a system user
// creates a system user.
func NewUserRole(caller Principal, role systable.Role) error {
	return guardSystem(caller, role, "create a system user")
}

// UserChange is what an ALTER USER changes, as far as permissions go.
type UserChange struct {
	Password        bool
	CurrentPassword bool
	// Role is the new role, nil when unchanged.
	Role *systable.Role
}

// AlterUser decides ALTER USER of target (nil when no such user: the
// catalog then reports it missing, to those allowed to ask). It needs dba,
// except that anyone may change their own password; nobody changes their
// own role, nobody below system touches a system user or grants the system
// role, and CURRENT PASSWORD belongs to changing one's own password. self
// reports a change of one's own account, whose password change must then
// prove the current one.
func AlterUser(caller Principal, target *systable.User, ch UserChange) (self bool, err error) {
	self = target != nil && target.UserID == caller.UserID
	if !caller.Role.AtLeast(systable.RoleDBA) && !(self && ch.Password) {
		return self, apierror.New(apierror.PermissionDenied, "ALTER USER requires the dba role (a user may only change their own password)")
	}
	if target != nil && !self {
		if err := guardSystem(caller, target.Role, "alter a system user"); err != nil {
			return self, err
		}
	}
	if self && ch.Role != nil {
		return self, apierror.New(apierror.PermissionDenied, "you cannot change your own role; another dba or system user must")
	}
	if ch.CurrentPassword && !self {
		return self, apierror.New(apierror.InvalidInput, "CURRENT PASSWORD applies only to changing your own password")
	}
	return self, nil
}

// GrantRole decides the role an ALTER USER grants (after AlterUser).
func GrantRole(caller Principal, role systable.Role) error {
	return guardSystem(caller, role, "grant the system role")
}

// DropUser decides DROP USER of target (nil when no such user): dba,
// never oneself, and only a system user drops a system user.
func DropUser(caller Principal, target *systable.User) error {
	if !caller.Role.AtLeast(systable.RoleDBA) {
		return apierror.New(apierror.PermissionDenied, "DROP USER requires the dba role")
	}
	if target == nil {
		return nil
	}
	if target.UserID == caller.UserID {
		return apierror.New(apierror.PermissionDenied, "you cannot drop yourself")
	}
	return guardSystem(caller, target.Role, "drop a system user")
}

// Stats decides SHOW STATS of a table the caller may read: a dba sees the
// whole table (scope ""), anyone else only their own partition of a USER
// or STREAM table (scope: their user id).
func Stats(caller Principal, t *systable.TableMeta) (scope string, err error) {
	if caller.Role.AtLeast(systable.RoleDBA) {
		return "", nil
	}
	if t.TableType != dialect.TableTypeUser && t.TableType != dialect.TableTypeStream {
		return "", apierror.New(apierror.PermissionDenied, "SHOW STATS of a %s table requires the dba role", t.TableType)
	}
	return caller.UserID, nil
}

// KillLiveQuery decides KILL LIVE QUERY of a subscription owned by owner:
// dba and system may end any, others only their own. A refusal reads as
// NOT_FOUND, so the ids of other users' subscriptions are not confirmed.
func KillLiveQuery(caller Principal, owner, liveID string) error {
	if caller.Role.AtLeast(systable.RoleDBA) || owner == caller.UserID {
		return nil
	}
	return apierror.New(apierror.NotFound, "live query %s does not exist", liveID)
}
