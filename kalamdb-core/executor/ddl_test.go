package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

func TestNamespaceLifecycle(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	res := root.must("CREATE NAMESPACE chat")
	if res[0].RowCount != 1 || res[0].Message == "" || res[0].AsUser != "root" {
		t.Fatalf("create result: %+v", res[0])
	}
	root.fails(apierror.AlreadyExists, "CREATE NAMESPACE chat")
	if res := root.must("CREATE NAMESPACE IF NOT EXISTS chat"); res[0].RowCount != 0 {
		t.Fatalf("IF NOT EXISTS on existing: %+v", res[0])
	}
	root.must("ALTER NAMESPACE chat SET DESCRIPTION 'messages of the chat app'")
	if got := root.rows("SHOW NAMESPACES"); !strings.Contains(got, `"chat","messages of the chat app",0`) {
		t.Fatalf("show namespaces: %s", got)
	}
	root.fails(apierror.InvalidSQL, "CREATE NAMESPACE system")
	root.must("CREATE TABLE chat.messages (id BIGINT PRIMARY KEY, content TEXT)")
	ae := root.fails(apierror.SQLExecutionError, "DROP NAMESPACE chat")
	if !strings.Contains(ae.Message, "CASCADE") {
		t.Fatalf("non-empty drop should point at CASCADE: %s", ae.Message)
	}
	root.must("DROP NAMESPACE chat CASCADE")
	root.fails(apierror.NamespaceNotFound, "DROP NAMESPACE chat")
	if res := root.must("DROP NAMESPACE IF EXISTS chat"); res[0].RowCount != 0 {
		t.Fatalf("drop if exists: %+v", res[0])
	}
	// The dropped table's name is free again.
	root.must("CREATE NAMESPACE chat; CREATE TABLE chat.messages (id BIGINT PRIMARY KEY)")
}

func TestCreateTablesOfEachType(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app;
		CREATE USER TABLE app.notes (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT NOT NULL, created_at TIMESTAMP DEFAULT NOW()) WITH (FLUSH_POLICY = 'rows:100,interval:60');
		CREATE SHARED TABLE app.config (key TEXT PRIMARY KEY, value JSON) WITH (ACCESS_LEVEL = 'PUBLIC');
		CREATE STREAM TABLE app.typing (user_id TEXT, at TIMESTAMP) WITH (TTL_SECONDS = 30, MAX_BUFFER = 1000);
		CREATE TABLE app.plain (a INT, b TEXT)`)
	got := root.rows("SHOW TABLES IN app")
	for _, want := range []string{`"app","config","SHARED","local","PUBLIC"`, `"app","notes","USER","local",null`,
		`"app","typing","STREAM",null,null`, `"app","plain","USER"`} {
		if !strings.Contains(got, want) {
			t.Fatalf("SHOW TABLES lacks %s: %s", want, got)
		}
	}
	got = root.rows("SELECT table_name, table_type, flush_policy, ttl_seconds, access_level, current_schema_version FROM system.tables ORDER BY table_name")
	want := `[["config","SHARED",null,null,"PUBLIC",1],["notes","USER","rows:100,interval:60",null,null,1],["plain","USER",null,null,null,1],["typing","STREAM",null,30,null,1]]`
	if got != want {
		t.Fatalf("system.tables:\n got %s\nwant %s", got, want)
	}
	got = root.rows("SELECT table_id, version FROM system.table_schemas ORDER BY table_id")
	if got != `[["app:config",1],["app:notes",1],["app:plain",1],["app:typing",1]]` {
		t.Fatalf("schema versions: %s", got)
	}
	got = root.rows("DESCRIBE TABLE app.notes")
	// Every row carries the table's current schema version (the version
	// DESCRIBE ... HISTORY lists last); indexes (null: none) names the
	// secondary indexes holding the column.
	want = `[["id","BIGINT",false,true,"SNOWFLAKE_ID()",1,null,1],["body","TEXT",false,false,null,2,null,1],["created_at","TIMESTAMP",true,false,"NOW()",3,null,1],["_seq","BIGINT",false,false,null,4,null,1],["_deleted","BOOLEAN",false,false,null,5,null,1]]`
	if got != want {
		t.Fatalf("describe:\n got %s\nwant %s", got, want)
	}
	// A stream has _seq (SELECT * shows it) but no _deleted.
	if got := root.rows("SELECT column_name FROM information_schema.columns WHERE table_name = 'typing' ORDER BY ordinal_position"); got != `[["user_id"],["at"],["_seq"]]` {
		t.Fatalf("stream columns: %s", got)
	}
	if got := root.rows("DESCRIBE TABLE app.typing"); !strings.HasSuffix(got, `["_seq","BIGINT",false,false,null,3,null,1]]`) {
		t.Fatalf("describe stream: %s", got)
	}
	if got := root.rows("DESCRIBE TABLE app.notes HISTORY"); !strings.Contains(got, `[1,"CREATE TABLE"`) {
		t.Fatalf("describe history: %s", got)
	}
	root.fails(apierror.AlreadyExists, "CREATE TABLE app.notes (id BIGINT PRIMARY KEY)")
	root.fails(apierror.NamespaceNotFound, "CREATE TABLE nope.t (id INT)")
	root.fails(apierror.NotFound, "CREATE TABLE app.t (id INT) WITH (STORAGE_ID = 'missing')")
	root.fails(apierror.InvalidSQL, "CREATE TABLE app.t (id JSON PRIMARY KEY)")
	root.fails(apierror.InvalidSQL, "CREATE TABLE app.t (id INT DEFAULT SNOWFLAKE_ID())")
	root.fails(apierror.InvalidSQL, "CREATE TABLE app.t (id INT DEFAULT 'abc')")
	root.fails(apierror.InvalidSQL, "CREATE TABLE t (id INT)")
	// With a namespace selected, unqualified names resolve.
	c := e.root()
	c.ns = "app"
	c.must("CREATE TABLE t2 (id INT)")
	c.must("DROP TABLE t2")
	root.fails(apierror.TableNotFound, "DROP TABLE app.t2")
	root.fails(apierror.InvalidSQL, "DROP SHARED TABLE app.notes")
	root.must("DROP USER TABLE app.notes")
}

func TestDDLNeedsDBA(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY)")
	for _, role := range []systable.Role{systable.RoleUser, systable.RoleService} {
		c := e.as("alice", role)
		for _, stmt := range []string{"CREATE NAMESPACE x", "DROP NAMESPACE app CASCADE", "ALTER NAMESPACE app SET DESCRIPTION 'x'",
			"CREATE TABLE app.u (id INT)", "DROP TABLE app.t", "CREATE USER 'bob' WITH PASSWORD 'pw' ROLE user",
			"DROP USER 'root'", "ALTER USER 'root' SET ROLE user"} {
			c.fails(apierror.PermissionDenied, stmt)
		}
	}
	// Nothing changed.
	if got := e.root().rows("SELECT count(*) FROM system.tables"); got != `[[1]]` {
		t.Fatalf("tables after refused DDL: %s", got)
	}
	dba := e.as("dba1", systable.RoleDBA)
	dba.must("CREATE TABLE app.u (id INT)")
}

func TestSystemTablesAccess(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE USER 'alice' WITH PASSWORD 'secret1' ROLE user EMAIL 'alice@example.com'")
	root.must("CREATE USER 'bob' WITH PASSWORD 'secret2' ROLE service")
	alice := e.user("alice")
	// A user sees only their own system.users row.
	if got := alice.rows("SELECT user_id = $1, username, role, email FROM system.users", alice.user); got != `[[true,"alice","user","alice@example.com"]]` {
		t.Fatalf("alice's view of system.users: %s", got)
	}
	alice.fails(apierror.PermissionDenied, "SELECT * FROM system.tables")
	alice.fails(apierror.PermissionDenied, "SELECT * FROM system.namespaces")
	if got := root.rows("SELECT username FROM system.users ORDER BY username"); got != `[["alice"],["bob"],["root"]]` {
		t.Fatalf("root's view: %s", got)
	}
	// Password hashes are never a column.
	res := root.must("SELECT * FROM system.users")
	for _, c := range res[0].Schema {
		if strings.Contains(c.Name, "password") {
			t.Fatalf("system.users exposes %s", c.Name)
		}
	}
	root.fails(apierror.InvalidSQL, "SELECT password_hash FROM system.users")
	// System tables are read-only.
	if _, err := root.exec("INSERT INTO system.namespaces (namespace_id) VALUES ('x')"); err == nil {
		t.Fatal("insert into system table succeeded")
	}
	if got := root.rows("SELECT storage_id, storage_type FROM system.storages"); got != `[["local","filesystem"]]` {
		t.Fatalf("storages: %s", got)
	}
}

func TestInformationSchemaListsWhatCallerMaySee(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app;
		CREATE TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT);
		CREATE SHARED TABLE app.secrets (k TEXT PRIMARY KEY) WITH (ACCESS_LEVEL = 'RESTRICTED');
		CREATE SHARED TABLE app.public (k TEXT PRIMARY KEY) WITH (ACCESS_LEVEL = 'PUBLIC')`)
	alice := e.as("alice", systable.RoleUser)
	got := alice.rows("SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('app', 'system') ORDER BY table_name")
	if got != `[["app","notes"],["app","public"]]` {
		t.Fatalf("alice's information_schema.tables: %s", got)
	}
	got = e.root().rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'app' ORDER BY table_name")
	if got != `[["notes"],["public"],["secrets"]]` {
		t.Fatalf("root's information_schema.tables: %s", got)
	}
	got = alice.rows("SELECT column_name FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'notes' ORDER BY ordinal_position")
	if got != `[["id"],["body"],["_seq"],["_deleted"]]` {
		t.Fatalf("information_schema.columns: %s", got)
	}
	alice.fails(apierror.PermissionDenied, "SELECT * FROM app.secrets")
	alice.fails(apierror.PermissionDenied, "DESCRIBE TABLE app.secrets")
}

// TestShowNamespacesCountsWhatCallerMaySee: table_count follows the rule of
// SHOW TABLES and information_schema, so it does not reveal that tables a
// caller may not read exist.
func TestShowNamespacesCountsWhatCallerMaySee(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app;
		CREATE TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT);
		CREATE STREAM TABLE app.typing (who TEXT);
		CREATE SHARED TABLE app.secrets (k TEXT PRIMARY KEY) WITH (ACCESS_LEVEL = 'RESTRICTED');
		CREATE SHARED TABLE app.internal (k TEXT PRIMARY KEY);
		CREATE SHARED TABLE app.public (k TEXT PRIMARY KEY) WITH (ACCESS_LEVEL = 'PUBLIC')`)
	for _, tc := range []struct {
		c    *caller
		want int64
	}{
		{e.as("alice", systable.RoleUser), 3}, // notes, typing, public
		{e.as("svc", systable.RoleService), 4},
		{e.as("ops", systable.RoleDBA), 5},
		{e.root(), 5},
	} {
		rows := tc.c.must("SHOW NAMESPACES")[0].Rows
		if len(rows) != 1 || rows[0][0] != "app" || rows[0][2] != tc.want {
			t.Fatalf("SHOW NAMESPACES as %s: %v, want table_count %d", tc.c.role, rows, tc.want)
		}
		if shown := len(tc.c.must("SHOW TABLES IN app")[0].Rows); int64(shown) != tc.want {
			t.Fatalf("SHOW TABLES as %s lists %d tables, SHOW NAMESPACES counts %d", tc.c.role, shown, tc.want)
		}
	}
}

func TestUserManagement(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE USER 'alice' WITH PASSWORD 'pw-alice' ROLE user")
	root.fails(apierror.AlreadyExists, "CREATE USER 'alice' WITH PASSWORD 'x' ROLE user")
	root.fails(apierror.InvalidInput, "CREATE USER 'bad/name' WITH PASSWORD 'x' ROLE user")
	root.fails(apierror.InvalidInput, "CREATE USER 'long' WITH PASSWORD '"+strings.Repeat("x", 73)+"' ROLE user")
	u, _ := e.db.Catalog.UserByName("alice")
	if u.PasswordHash == "" || u.PasswordHash == "pw-alice" || !strings.HasPrefix(u.PasswordHash, "$2") {
		t.Fatalf("password must be stored as a bcrypt hash: %q", u.PasswordHash)
	}
	dba := e.as("dba1", systable.RoleDBA)
	dba.fails(apierror.PermissionDenied, "CREATE USER 'sys2' WITH PASSWORD 'x' ROLE system")
	dba.fails(apierror.PermissionDenied, "ALTER USER 'alice' SET ROLE system")
	dba.must("ALTER USER 'alice' SET ROLE service")
	if u, _ := e.db.Catalog.UserByName("alice"); u.Role != systable.RoleService {
		t.Fatalf("role not changed: %s", u.Role)
	}
	// A user may change their own password, giving the current one,
	// and nothing else.
	alice := e.as(u.UserID, systable.RoleUser)
	alice.fails(apierror.PermissionDenied, "ALTER USER 'alice' SET PASSWORD 'new-pw'")
	alice.must("ALTER USER 'alice' SET PASSWORD 'new-pw' CURRENT PASSWORD 'pw-alice'")
	alice.fails(apierror.PermissionDenied, "ALTER USER 'alice' SET ROLE dba")
	alice.fails(apierror.PermissionDenied, "ALTER USER 'root' SET PASSWORD 'x'")
	root.fails(apierror.PermissionDenied, "DROP USER 'root'")
	root.fails(apierror.NotFound, "DROP USER 'nobody'")
	root.must("DROP USER IF EXISTS 'nobody'")
	root.must("DROP USER 'alice'")
	if _, ok := e.db.Catalog.UserByName("alice"); ok {
		t.Fatal("alice still exists")
	}
}

func TestCatalogSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app; CREATE TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT);
		CREATE USER 'alice' WITH PASSWORD 'pw' ROLE dba`)
	e.reopen()
	if got := e.root().rows("SELECT namespace_id FROM system.namespaces"); got != `[["app"]]` {
		t.Fatalf("namespaces after restart: %s", got)
	}
	if got := e.root().rows("SHOW TABLES IN app"); !strings.Contains(got, `"notes"`) {
		t.Fatalf("tables after restart: %s", got)
	}
	if u, ok := e.db.Catalog.UserByName("alice"); !ok || u.Role != systable.RoleDBA {
		t.Fatalf("user after restart: %+v", u)
	}
}

func TestBatchRules(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.fails(apierror.EmptySQL, "  -- nothing\n ")
	root.fails(apierror.InvalidSQL, "SELEC 1")
	ae := root.fails(apierror.InvalidSQL, "CREATE NAMESPACE a; CREATE NAMSPACE b")
	if ae.Details == nil {
		t.Fatal("parse error without position")
	}
	// Parse errors stop the batch before anything runs.
	if got := root.rows("SHOW NAMESPACES"); got != `[]` {
		t.Fatalf("a batch with a parse error ran partly: %s", got)
	}
	// A runtime failure stops the batch; earlier statements keep effect.
	root.fails(apierror.AlreadyExists, "CREATE NAMESPACE a; CREATE NAMESPACE a; CREATE NAMESPACE b")
	if got := root.rows("SELECT namespace_id FROM system.namespaces"); got != `[["a"]]` {
		t.Fatalf("after failed batch: %s", got)
	}
	root.fails(apierror.ParamsWithBatch, "SELECT 1; SELECT 2", 1)
	root.fails(apierror.InvalidParameter, "SHOW NAMESPACES", 1)
	c := e.root()
	c.ns = "missing"
	c.fails(apierror.NamespaceNotFound, "SELECT 1")
	root.fails(apierror.NamespaceNotFound, "USE missing")
	res := root.must("USE a; CREATE TABLE t (id INT)")
	if len(res) != 2 {
		t.Fatalf("USE batch: %+v", res)
	}
}
