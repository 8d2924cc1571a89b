package authz_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/authz"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

var roles = []systable.Role{systable.RoleUser, systable.RoleService, systable.RoleDBA, systable.RoleSystem}

// verdict renders a decision as "ok" or its code, for compact tables.
func verdict(err error) string {
	if err == nil {
		return "ok"
	}
	return string(apierror.CodeOf(err))
}

func TestSharedAccessLevels(t *testing.T) {
	// Per level: the verdict of reading, then writing, for user, service,
	// dba, system.
	want := map[string]string{
		authz.AccessPublic:     "ok ok ok ok / PERMISSION_DENIED ok ok ok",
		authz.AccessPrivate:    "PERMISSION_DENIED ok ok ok / PERMISSION_DENIED ok ok ok",
		"":                     "PERMISSION_DENIED ok ok ok / PERMISSION_DENIED ok ok ok",
		"BOGUS":                "PERMISSION_DENIED ok ok ok / PERMISSION_DENIED ok ok ok",
		authz.AccessRestricted: "PERMISSION_DENIED PERMISSION_DENIED ok ok / PERMISSION_DENIED PERMISSION_DENIED ok ok",
	}
	for level, w := range want {
		tm := &systable.TableMeta{NamespaceID: "app", TableName: "t", TableType: dialect.TableTypeShared, AccessLevel: level}
		got := ""
		for i, r := range roles {
			if i > 0 {
				got += " "
			}
			got += verdict(authz.ReadTable(r, tm))
		}
		got += " /"
		for _, r := range roles {
			got += " " + verdict(authz.WriteTable(r, tm))
		}
		if got != w {
			t.Errorf("%q: got %s, want %s", level, got, w)
		}
	}
	for _, tt := range []dialect.TableType{dialect.TableTypeUser, dialect.TableTypeStream} {
		tm := &systable.TableMeta{TableType: tt, AccessLevel: authz.AccessRestricted}
		if authz.ReadTable(systable.RoleUser, tm) != nil || authz.WriteTable(systable.RoleUser, tm) != nil {
			t.Errorf("%s tables are everyone's own partition", tt)
		}
	}
}

func TestSystemTables(t *testing.T) {
	for _, r := range roles {
		own, err := authz.SystemTable(r, systable.Users.Name)
		if err != nil || own != !r.AtLeast(systable.RoleDBA) {
			t.Errorf("%s on system.users: own=%v err=%v", r, own, err)
		}
		_, err = authz.SystemTable(r, "jobs")
		if (err == nil) != r.AtLeast(systable.RoleDBA) || (err != nil && !apierror.Is(err, apierror.PermissionDenied)) {
			t.Errorf("%s on system.jobs: %v", r, err)
		}
		if authz.ListsSystemTable(r, "jobs") != r.AtLeast(systable.RoleDBA) || !authz.ListsSystemTable(r, systable.Users.Name) {
			t.Errorf("%s lists the wrong system tables", r)
		}
		if (authz.SubscribeSystem(r) == nil) != r.AtLeast(systable.RoleDBA) {
			t.Errorf("%s subscribing to system tables", r)
		}
	}
}

func TestExecuteAsMatrix(t *testing.T) {
	// Rows: the caller's role; columns: a target of role user, service,
	// dba, system (another user each time).
	want := map[systable.Role]string{
		systable.RoleUser:    "PERMISSION_DENIED PERMISSION_DENIED PERMISSION_DENIED PERMISSION_DENIED",
		systable.RoleService: "ok ok PERMISSION_DENIED PERMISSION_DENIED",
		systable.RoleDBA:     "ok ok ok PERMISSION_DENIED",
		systable.RoleSystem:  "ok ok ok ok",
	}
	for _, caller := range roles {
		got := ""
		for i, target := range roles {
			if i > 0 {
				got += " "
			}
			got += verdict(authz.ExecuteAs(authz.Principal{UserID: "c", Role: caller}, &systable.User{UserID: "t", Role: target}))
		}
		if got != want[caller] {
			t.Errorf("%s: got %s, want %s", caller, got, want[caller])
		}
		if err := authz.ExecuteAs(authz.Principal{UserID: "c", Role: caller}, &systable.User{UserID: "c", Role: caller}); err != nil {
			t.Errorf("%s as itself: %v", caller, err)
		}
	}
	for k, ok := range map[dialect.Kind]bool{dialect.KindSelect: true, dialect.KindDelete: true, dialect.KindShowStats: true,
		dialect.KindDescribeTable: true, dialect.KindAlterUser: false, dialect.KindCreateTable: false, dialect.KindKillLiveQuery: false,
		dialect.KindExecuteAs: false} {
		if (authz.ExecuteAsStatement(k) == nil) != ok {
			t.Errorf("EXECUTE AS wrapping %s: want allowed=%v", k, ok)
		}
	}
}

// TestExecuteAsUnknownTellsNoMoreThanTheRoleMayRead: a user or a service,
// who may not read system.users, gets for a name no account has exactly
// the refusal it gets for an account above it (a user: any other
// account), so EXECUTE AS USER cannot list the accounts; a dba or system
// user is told the name is unknown.
func TestExecuteAsUnknownTellsNoMoreThanTheRoleMayRead(t *testing.T) {
	above := map[systable.Role]systable.Role{systable.RoleUser: systable.RoleUser, systable.RoleService: systable.RoleDBA}
	for caller, target := range above {
		p := authz.Principal{UserID: "c", Role: caller}
		refused := authz.ExecuteAs(p, &systable.User{UserID: "t", Username: "name", Role: target})
		unknown := authz.ExecuteAsUnknown(p, "name")
		if refused == nil || unknown == nil || refused.Error() != unknown.Error() || apierror.CodeOf(unknown) != apierror.PermissionDenied {
			t.Errorf("%s: an account above it: %v; no account: %v", caller, refused, unknown)
		}
	}
	for _, caller := range []systable.Role{systable.RoleDBA, systable.RoleSystem} {
		if got := verdict(authz.ExecuteAsUnknown(authz.Principal{UserID: "c", Role: caller}, "name")); got != "NOT_FOUND" {
			t.Errorf("%s: no account: %s", caller, got)
		}
	}
}

func TestUserManagement(t *testing.T) {
	dba := authz.Principal{UserID: "d", Role: systable.RoleDBA}
	sys := authz.Principal{UserID: "s", Role: systable.RoleSystem}
	user := authz.Principal{UserID: "u", Role: systable.RoleUser}
	root := &systable.User{UserID: "root", Role: systable.RoleSystem}
	other := &systable.User{UserID: "o", Role: systable.RoleUser}
	self := &systable.User{UserID: "u", Role: systable.RoleUser}
	dbaRole := systable.RoleDBA
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"user creates", authz.CreateUser(user), "PERMISSION_DENIED"},
		{"dba creates", authz.CreateUser(dba), "ok"},
		{"dba creates system", authz.NewUserRole(dba, systable.RoleSystem), "PERMISSION_DENIED"},
		{"system creates system", authz.NewUserRole(sys, systable.RoleSystem), "ok"},
		{"dba grants system", authz.GrantRole(dba, systable.RoleSystem), "PERMISSION_DENIED"},
		{"user drops", authz.DropUser(user, other), "PERMISSION_DENIED"},
		{"dba drops self", authz.DropUser(dba, &systable.User{UserID: "d", Role: systable.RoleDBA}), "PERMISSION_DENIED"},
		{"dba drops root", authz.DropUser(dba, root), "PERMISSION_DENIED"},
		{"dba drops user", authz.DropUser(dba, other), "ok"},
		{"dba drops missing", authz.DropUser(dba, nil), "ok"},
		{"system drops root", authz.DropUser(sys, root), "ok"},
	}
	for _, c := range cases {
		if got := verdict(c.err); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
	alter := []struct {
		name     string
		caller   authz.Principal
		target   *systable.User
		ch       authz.UserChange
		want     string
		wantSelf bool
	}{
		{"own password", user, self, authz.UserChange{Password: true, CurrentPassword: true}, "ok", true},
		{"own role", user, self, authz.UserChange{Role: &dbaRole}, "PERMISSION_DENIED", true},
		{"dba own role", dba, &systable.User{UserID: "d", Role: systable.RoleDBA}, authz.UserChange{Role: &dbaRole}, "PERMISSION_DENIED", true},
		{"other's password", user, other, authz.UserChange{Password: true}, "PERMISSION_DENIED", false},
		{"dba other's password", dba, other, authz.UserChange{Password: true}, "ok", false},
		{"dba root", dba, root, authz.UserChange{Password: true}, "PERMISSION_DENIED", false},
		{"current password of another", dba, other, authz.UserChange{Password: true, CurrentPassword: true}, "INVALID_INPUT", false},
		{"missing user", dba, nil, authz.UserChange{Password: true}, "ok", false},
		{"user on missing user", user, nil, authz.UserChange{Password: true}, "PERMISSION_DENIED", false},
	}
	for _, c := range alter {
		self, err := authz.AlterUser(c.caller, c.target, c.ch)
		if got := verdict(err); got != c.want || self != c.wantSelf {
			t.Errorf("%s: got %s self=%v, want %s self=%v", c.name, got, self, c.want, c.wantSelf)
		}
	}
}

func TestStatementsStatsAndKill(t *testing.T) {
	for _, r := range roles {
		dba := r.AtLeast(systable.RoleDBA)
		if (authz.DDL(r, dialect.KindCreateTable) == nil) != dba || authz.DDL(r, dialect.KindSelect) != nil {
			t.Errorf("%s: DDL", r)
		}
		if (authz.Administration(r, dialect.KindStorageFlush) == nil) != dba {
			t.Errorf("%s: administration", r)
		}
	}
	user := authz.Principal{UserID: "u", Role: systable.RoleUser}
	for tt, want := range map[dialect.TableType]string{dialect.TableTypeUser: "u ok", dialect.TableTypeStream: "u ok",
		dialect.TableTypeShared: " PERMISSION_DENIED"} {
		scope, err := authz.Stats(user, &systable.TableMeta{TableType: tt})
		if got := scope + " " + verdict(err); got != want {
			t.Errorf("stats of %s: %s, want %s", tt, got, want)
		}
	}
	if scope, err := authz.Stats(authz.Principal{UserID: "d", Role: systable.RoleDBA}, &systable.TableMeta{TableType: dialect.TableTypeShared}); scope != "" || err != nil {
		t.Errorf("dba stats: %q %v", scope, err)
	}
	if authz.KillLiveQuery(user, "u", "l") != nil || authz.KillLiveQuery(authz.Principal{UserID: "d", Role: systable.RoleDBA}, "u", "l") != nil {
		t.Error("own or dba kill refused")
	}
	if err := authz.KillLiveQuery(user, "other", "l"); !apierror.Is(err, apierror.NotFound) {
		t.Errorf("kill of another's: %v", err)
	}
}

// A view grants nothing: reading it needs what reading every table behind
// it needs, through nested views, and a cycle does not loop.
func TestReadView(t *testing.T) {
	tables := map[string]*systable.TableMeta{
		"app:msgs":    {NamespaceID: "app", TableName: "msgs", TableType: dialect.TableTypeUser},
		"app:config":  {NamespaceID: "app", TableName: "config", TableType: dialect.TableTypeShared, AccessLevel: authz.AccessPublic},
		"app:secrets": {NamespaceID: "app", TableName: "secrets", TableType: dialect.TableTypeShared, AccessLevel: authz.AccessRestricted},
		"system:jobs": {NamespaceID: "system", TableName: "jobs", TableType: dialect.TableTypeSystem},
	}
	dep := func(kind, name string) systable.ViewDependency {
		ns, n, _ := strings.Cut(name, ":")
		return systable.ViewDependency{Kind: kind, NamespaceID: ns, Name: n}
	}
	views := map[string]*systable.View{
		"app:mine":   {ViewID: "app:mine", Dependencies: []systable.ViewDependency{dep(systable.DependsOnTable, "app:msgs"), dep(systable.DependsOnTable, "app:config")}},
		"app:secret": {ViewID: "app:secret", Dependencies: []systable.ViewDependency{dep(systable.DependsOnView, "app:mine"), dep(systable.DependsOnTable, "app:secrets")}},
		"app:jobs":   {ViewID: "app:jobs", Dependencies: []systable.ViewDependency{dep(systable.DependsOnTable, "system:jobs")}},
		"app:loop":   {ViewID: "app:loop", Dependencies: []systable.ViewDependency{dep(systable.DependsOnView, "app:loop2"), dep(systable.DependsOnTable, "app:gone")}},
		"app:loop2":  {ViewID: "app:loop2", Dependencies: []systable.ViewDependency{dep(systable.DependsOnView, "app:loop")}},
	}
	r := authz.ViewResolver{
		Table: func(ns, name string) (*systable.TableMeta, bool) { t, ok := tables[ns+":"+name]; return t, ok },
		View:  func(ns, name string) (*systable.View, bool) { v, ok := views[ns+":"+name]; return v, ok },
	}
	want := map[string]string{
		"app:mine":   "ok ok ok ok",
		"app:secret": "PERMISSION_DENIED PERMISSION_DENIED ok ok",
		"app:jobs":   "PERMISSION_DENIED PERMISSION_DENIED ok ok",
		"app:loop":   "ok ok ok ok",
	}
	for id, w := range want {
		var got []string
		for _, role := range roles {
			got = append(got, verdict(authz.ReadView(role, views[id], r)))
		}
		if g := strings.Join(got, " "); g != w {
			t.Errorf("%s: %s, want %s", id, g, w)
		}
	}
}
