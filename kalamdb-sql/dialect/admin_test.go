package dialect

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

func strp(s string) *string { return &s }

func TestNamespaces(t *testing.T) {
	cn := parseAs[*CreateNamespace](t, "CREATE NAMESPACE Chat")
	if cn.Name != "chat" || cn.IfNotExists || cn.Text() != "CREATE NAMESPACE Chat" {
		t.Fatalf("got %+v", cn)
	}
	cn = parseAs[*CreateNamespace](t, "create namespace if not exists \"App_1\";")
	if cn.Name != "app_1" || !cn.IfNotExists || cn.Text() != "create namespace if not exists \"App_1\"" {
		t.Fatalf("got %+v %q", cn, cn.Text())
	}

	dn := parseAs[*DropNamespace](t, "DROP NAMESPACE chat")
	if dn.Name != "chat" || dn.IfExists || dn.Cascade {
		t.Fatalf("got %+v", dn)
	}
	dn = parseAs[*DropNamespace](t, "DROP NAMESPACE IF EXISTS chat CASCADE")
	if dn.Name != "chat" || !dn.IfExists || !dn.Cascade {
		t.Fatalf("got %+v", dn)
	}

	an := parseAs[*AlterNamespace](t, "ALTER NAMESPACE chat SET DESCRIPTION 'Chat app; v2 ''beta'''")
	if an.Name != "chat" || an.Description != "Chat app; v2 'beta'" {
		t.Fatalf("got %+v", an)
	}
	an = parseAs[*AlterNamespace](t, "alter namespace chat set description = ''")
	if an.Description != "" {
		t.Fatalf("got %+v", an)
	}

	for _, sql := range []string{"USE chat", "use NAMESPACE Chat", "SET NAMESPACE chat", "set namespace \"chat\";"} {
		if u := parseAs[*UseNamespace](t, sql); u.Name != "chat" {
			t.Fatalf("%q: got %+v", sql, u)
		}
	}
	parseAs[*ShowNamespaces](t, "SHOW NAMESPACES")
	parseAs[*ShowNamespaces](t, "show namespaces;")

	runErrCases(t, []errCase{
		{sql: "CREATE NAMESPACE system", code: apierror.InvalidSQL, msg: "namespace name 'system' is reserved", pos: 18},
		{sql: "CREATE NAMESPACE IF NOT EXISTS Information_Schema", code: apierror.InvalidSQL, msg: "'information_schema' is reserved", pos: 32},
		{sql: "CREATE NAMESPACE \"mysql\"", code: apierror.InvalidSQL, msg: "'mysql' is reserved", pos: 18},
		{sql: "CREATE NAMESPACE pg_catalog", code: apierror.InvalidSQL, msg: "'pg_catalog' is reserved", pos: 18},
		{sql: "CREATE NAMESPACE `chat`", code: apierror.InvalidSQL, msg: "MySQL quoting", pos: 18},
		{sql: "CREATE NAMESPACE", code: apierror.InvalidSQL, msg: "at end of input: expected namespace name", pos: 17},
		{sql: "CREATE NAMESPACE 'chat'", code: apierror.InvalidSQL, msg: "near ''chat'': expected namespace name", pos: 18},
		{sql: "CREATE NAMESPACE my-app", code: apierror.InvalidSQL, msg: "near '-': expected end of statement", pos: 20},
		{sql: "CREATE NAMESPACE 9lives", code: apierror.InvalidSQL, msg: "near '9'", pos: 18},
		{sql: "CREATE NAMESPACE \"a b\"", code: apierror.InvalidSQL, msg: "invalid namespace name '\"a b\"'", pos: 18},
		{sql: "CREATE NAMESPACE a.b", code: apierror.InvalidSQL, msg: "near '.': expected end of statement", pos: 19},
		{sql: "DROP NAMESPACE chat RESTRICT", code: apierror.InvalidSQL, msg: "near 'RESTRICT'", pos: 21},
		{sql: "DROP NAMESPACE IF chat", code: apierror.InvalidSQL, msg: "near 'chat': expected EXISTS", pos: 19},
		{sql: "ALTER NAMESPACE chat SET DESCRIPTION", code: apierror.InvalidSQL, msg: "expected description as a quoted string", pos: 37},
		{sql: "ALTER NAMESPACE chat SET OWNER 'bob'", code: apierror.InvalidSQL, msg: "near 'OWNER': expected DESCRIPTION", pos: 26},
		{sql: "USE", code: apierror.InvalidSQL, msg: "expected namespace name", pos: 4},
		{sql: "USE NAMESPACE", code: apierror.InvalidSQL, msg: "expected namespace name", pos: 14},
		{sql: "USE a b", code: apierror.InvalidSQL, msg: "near 'b': expected end of statement", pos: 7},
		{sql: "SET NAMESPACE", code: apierror.InvalidSQL, msg: "expected namespace name", pos: 14},
		{sql: "SHOW NAMESPACES LIKE 'a'", code: apierror.InvalidSQL, msg: "near 'LIKE'", pos: 17},
		{sql: "SHOW", code: apierror.InvalidSQL, msg: "expected NAMESPACES, TABLES, INDEXES, STATS, STORAGES, MANIFEST or BACKUP", pos: 5},
	})
}

func TestUsers(t *testing.T) {
	cu := parseAs[*CreateUser](t, "CREATE USER 'Alice' WITH PASSWORD 's3cret; x' ROLE service EMAIL 'alice@example.com'")
	want := CreateUser{base: base{cu.Text()}, Name: "Alice", Password: "s3cret; x", Role: "service", Email: "alice@example.com"}
	if !reflect.DeepEqual(*cu, want) {
		t.Fatalf("got %+v", cu)
	}
	cu = parseAs[*CreateUser](t, "create user if not exists Bob with password 'pw' email 'b@x' role DBA")
	if cu.Name != "bob" || !cu.IfNotExists || cu.Role != "dba" || cu.Email != "b@x" || cu.Password != "pw" {
		t.Fatalf("got %+v", cu)
	}
	cu = parseAs[*CreateUser](t, "CREATE USER carol WITH PASSWORD 'pw' ROLE 'System'")
	if cu.Name != "carol" || cu.Role != "system" || cu.Email != "" {
		t.Fatalf("got %+v", cu)
	}
	// No ROLE: the least privileged role.
	cu = parseAs[*CreateUser](t, "CREATE USER 'dave' WITH PASSWORD 'pw'")
	if cu.Role != "user" {
		t.Fatalf("got %+v", cu)
	}

	au := parseAs[*AlterUser](t, "ALTER USER 'alice' SET PASSWORD 'new'")
	if au.Name != "alice" || !reflect.DeepEqual(au.Password, strp("new")) || au.Role != nil || au.Email != nil {
		t.Fatalf("got %+v", au)
	}
	if au.CurrentPassword != nil {
		t.Fatalf("current password: %+v", au)
	}
	au = parseAs[*AlterUser](t, "ALTER USER 'alice' SET PASSWORD 'new' CURRENT PASSWORD 'old'")
	if !reflect.DeepEqual(au.Password, strp("new")) || !reflect.DeepEqual(au.CurrentPassword, strp("old")) {
		t.Fatalf("got %+v", au)
	}
	au = parseAs[*AlterUser](t, "alter user alice set role Service")
	if au.Role == nil || *au.Role != "service" || au.Password != nil || au.Email != nil {
		t.Fatalf("got %+v", au)
	}
	au = parseAs[*AlterUser](t, "ALTER USER 'alice' SET EMAIL 'a@b.c'")
	if au.Email == nil || *au.Email != "a@b.c" || au.Password != nil || au.Role != nil {
		t.Fatalf("got %+v", au)
	}

	du := parseAs[*DropUser](t, "DROP USER 'alice'")
	if du.Name != "alice" || du.IfExists {
		t.Fatalf("got %+v", du)
	}
	du = parseAs[*DropUser](t, "DROP USER IF EXISTS Bob")
	if du.Name != "bob" || !du.IfExists {
		t.Fatalf("got %+v", du)
	}

	runErrCases(t, []errCase{
		{sql: "CREATE USER 'a' WITH PASSWORD 'p' ROLE admin", code: apierror.InvalidSQL, msg: "invalid role 'admin': expected user, service, dba or system", pos: 40},
		{sql: "CREATE USER 'a' WITH PASSWORD 'p' ROLE", code: apierror.InvalidSQL, msg: "expected a role", pos: 39},
		{sql: "CREATE USER 'a' WITH PASSWORD 'p' ROLE dba ROLE user", code: apierror.InvalidSQL, msg: "ROLE is given more than once", pos: 44},
		{sql: "CREATE USER 'a' WITH PASSWORD 'p' EMAIL 'x' EMAIL 'y'", code: apierror.InvalidSQL, msg: "EMAIL is given more than once", pos: 45},
		{sql: "CREATE USER 'a' WITH PASSWORD 'p' EMAIL x", code: apierror.InvalidSQL, msg: "expected email as a quoted string", pos: 41},
		{sql: "CREATE USER 'a' WITH PASSWORD ''", code: apierror.InvalidSQL, msg: "password must not be empty", pos: 31},
		{sql: "CREATE USER 'a' WITH PASSWORD secret", code: apierror.InvalidSQL, msg: "syntax error at position 31: expected password as a quoted string", pos: 31},
		{sql: "CREATE USER 'a' WITH PASSWORD", code: apierror.InvalidSQL, msg: "at end of input: expected password as a quoted string", pos: 30},
		{sql: "ALTER USER 'a' SET PASSWORD hunter2", code: apierror.InvalidSQL, msg: "syntax error at position 29: expected password", pos: 29},
		{sql: "CREATE USER 'a' PASSWORD 'p'", code: apierror.InvalidSQL, msg: "near 'PASSWORD': expected WITH", pos: 17},
		{sql: "CREATE USER 'a'", code: apierror.InvalidSQL, msg: "at end of input: expected WITH", pos: 16},
		{sql: "CREATE USER '' WITH PASSWORD 'p'", code: apierror.InvalidSQL, msg: "user name must not be empty", pos: 13},
		{sql: "CREATE USER 'a' WITH PASSWORD 'p' ROLE user HOST 'x'", code: apierror.InvalidSQL, msg: "near 'HOST': expected ROLE, EMAIL or end of statement", pos: 45},
		{sql: "CREATE USER WITH PASSWORD 'p'", code: apierror.InvalidSQL, msg: "near 'PASSWORD': expected WITH", pos: 18},
		{sql: "ALTER USER 'a' SET NAME 'b'", code: apierror.InvalidSQL, msg: "near 'NAME': expected PASSWORD, ROLE or EMAIL", pos: 20},
		{sql: "ALTER USER 'a' PASSWORD 'b'", code: apierror.InvalidSQL, msg: "expected SET", pos: 16},
		{sql: "ALTER USER 'a' SET ROLE root", code: apierror.InvalidSQL, msg: "invalid role 'root'", pos: 25},
		{sql: "ALTER USER 'a' SET PASSWORD ' '", code: apierror.InvalidSQL, msg: "password must not be empty", pos: 29},
		{sql: "ALTER USER 'a' SET PASSWORD 'x' ROLE dba", code: apierror.InvalidSQL, msg: "near 'ROLE': expected end of statement", pos: 33},
		{sql: "ALTER USER 'a' SET PASSWORD 'x' CURRENT 'y'", code: apierror.InvalidSQL, msg: "expected PASSWORD", pos: 41},
		{sql: "ALTER USER 'a' SET PASSWORD 'x' CURRENT PASSWORD ''", code: apierror.InvalidSQL, msg: "current password must not be empty", pos: 50},
		{sql: "ALTER USER 'a' SET PASSWORD 'x' CURRENT PASSWORD 'y' CURRENT PASSWORD 'z'", code: apierror.InvalidSQL, msg: "expected end of statement", pos: 54},
		{sql: "ALTER USER 'a' SET ROLE dba CURRENT PASSWORD 'y'", code: apierror.InvalidSQL, msg: "expected end of statement", pos: 29},
		{sql: "DROP USER", code: apierror.InvalidSQL, msg: "expected a user name", pos: 10},
		{sql: "DROP USER 'a', 'b'", code: apierror.InvalidSQL, msg: "near ','", pos: 14},
	})
}

// A password written without quotes is never echoed in the error.
func TestPasswordNotEchoed(t *testing.T) {
	for _, sql := range []string{
		"CREATE USER 'a' WITH PASSWORD hunter2 ROLE user",
		"ALTER USER 'a' SET PASSWORD hunter2",
		"ALTER USER 'a' SET PASSWORD 'x' CURRENT PASSWORD hunter2",
		"CREATE USER 'a' WITH PASSWORD \"hunter2\"",
	} {
		_, err := ParseOne(sql)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("%q: error %v", sql, err)
		}
	}
}

func TestStorages(t *testing.T) {
	cs := parseAs[*CreateStorage](t, "CREATE STORAGE S3_Main TYPE 'S3' NAME 'Main bucket' DESCRIPTION 'primary' "+
		"BUCKET 'kalam' REGION 'eu-west-1' ENDPOINT 'https://s3.example.com' PATH 'data/' "+
		"SHARED_TABLES_TEMPLATE '{namespace}/{tableName}' USER_TABLES_TEMPLATE '{namespace}/{tableName}/{userId}' "+
		"CREDENTIALS '{\"access_key\": \"a\", \"secret_key\": \"b\"}'")
	want := StorageProps{
		Type: strp("s3"), Name: strp("Main bucket"), Description: strp("primary"), Path: strp("data/"),
		Bucket: strp("kalam"), Region: strp("eu-west-1"), Endpoint: strp("https://s3.example.com"),
		SharedTablesTemplate: strp("{namespace}/{tableName}"),
		UserTablesTemplate:   strp("{namespace}/{tableName}/{userId}"),
		Credentials:          strp(`{"access_key": "a", "secret_key": "b"}`),
	}
	if cs.ID != "s3_main" || cs.IfNotExists || !reflect.DeepEqual(cs.Props, want) {
		t.Fatalf("got %+v", cs)
	}
	// Any order, bare type, optional '=' and commas.
	cs = parseAs[*CreateStorage](t, "create storage if not exists archive PATH = '/mnt/archive', TYPE filesystem")
	if cs.ID != "archive" || !cs.IfNotExists || *cs.Props.Type != "filesystem" || *cs.Props.Path != "/mnt/archive" || cs.Props.Bucket != nil {
		t.Fatalf("got %+v", cs)
	}

	as := parseAs[*AlterStorage](t, "ALTER STORAGE archive SET PATH '/mnt/new', DESCRIPTION 'moved'")
	if as.ID != "archive" || *as.Props.Path != "/mnt/new" || *as.Props.Description != "moved" || as.Props.Type != nil {
		t.Fatalf("got %+v", as)
	}
	as = parseAs[*AlterStorage](t, "ALTER STORAGE archive SET NAME 'n' ENDPOINT 'e' REGION = 'r'")
	if *as.Props.Name != "n" || *as.Props.Endpoint != "e" || *as.Props.Region != "r" {
		t.Fatalf("got %+v", as.Props)
	}

	ds := parseAs[*DropStorage](t, "DROP STORAGE IF EXISTS Archive")
	if ds.ID != "archive" || !ds.IfExists {
		t.Fatalf("got %+v", ds)
	}
	if ds = parseAs[*DropStorage](t, "drop storage archive"); ds.IfExists {
		t.Fatalf("got %+v", ds)
	}
	parseAs[*ShowStorages](t, "SHOW STORAGES")
	if sc := parseAs[*StorageCheck](t, "STORAGE CHECK Local"); sc.ID != "local" {
		t.Fatalf("got %+v", sc)
	}

	runErrCases(t, []errCase{
		{sql: "CREATE STORAGE s PATH '/x'", code: apierror.InvalidSQL, msg: "CREATE STORAGE needs a TYPE", pos: 1},
		{sql: "CREATE STORAGE s", code: apierror.InvalidSQL, msg: "at end of input: expected a storage property", pos: 17},
		{sql: "CREATE STORAGE s TYPE 'azure'", code: apierror.InvalidSQL, msg: "invalid storage type 'azure': expected 'filesystem' or 's3'", pos: 23},
		{sql: "CREATE STORAGE s TYPE 's3' COLOR 'red'", code: apierror.InvalidSQL, msg: "unknown storage property 'COLOR'", pos: 28},
		{sql: "CREATE STORAGE s TYPE 's3' BUCKET 'a' BUCKET 'b'", code: apierror.InvalidSQL, msg: "BUCKET is given more than once", pos: 39},
		{sql: "CREATE STORAGE s TYPE 's3' BUCKET b", code: apierror.InvalidSQL, msg: "expected bucket as a quoted string", pos: 35},
		{sql: "CREATE STORAGE s TYPE 's3' CREDENTIALS 'not json'", code: apierror.InvalidSQL, msg: "CREDENTIALS must be a JSON object", pos: 40},
		{sql: "CREATE STORAGE s TYPE 's3' CREDENTIALS '[1]'", code: apierror.InvalidSQL, msg: "CREDENTIALS must be a JSON object", pos: 40},
		{sql: "CREATE STORAGE s TYPE 's3',", code: apierror.InvalidSQL, msg: "at end of input: expected a storage property", pos: 28},
		{sql: "CREATE STORAGE s TYPE 's3' (", code: apierror.InvalidSQL, msg: "near '(': expected a storage property", pos: 28},
		{sql: "CREATE STORAGE \"bad id\" TYPE 's3'", code: apierror.InvalidSQL, msg: "invalid storage name", pos: 16},
		{sql: "ALTER STORAGE s SET TYPE 's3'", code: apierror.InvalidSQL, msg: "type of a storage cannot be changed", pos: 21},
		{sql: "ALTER STORAGE s SET", code: apierror.InvalidSQL, msg: "expected a storage property", pos: 20},
		{sql: "ALTER STORAGE s PATH '/x'", code: apierror.InvalidSQL, msg: "near 'PATH': expected SET", pos: 17},
		{sql: "DROP STORAGE", code: apierror.InvalidSQL, msg: "expected storage name", pos: 13},
		{sql: "STORAGE CHECK", code: apierror.InvalidSQL, msg: "expected storage name", pos: 14},
		{sql: "STORAGE REPAIR s", code: apierror.InvalidSQL, msg: "near 'REPAIR': expected CHECK, FLUSH or COMPACT", pos: 9},
	})
}

func TestStorageFlushAndCompact(t *testing.T) {
	cases := []struct {
		sql    string
		flush  bool
		target StorageTarget
	}{
		{"STORAGE FLUSH TABLE chat.messages", true, StorageTarget{Table: &TableName{"chat", "messages"}}},
		{"storage flush table messages", true, StorageTarget{Table: &TableName{Name: "messages"}}},
		{"STORAGE FLUSH ALL", true, StorageTarget{All: true}},
		{"STORAGE FLUSH ALL IN chat", true, StorageTarget{All: true, Namespace: "chat"}},
		{"STORAGE FLUSH ALL IN NAMESPACE Chat", true, StorageTarget{All: true, Namespace: "chat"}},
		{"STORAGE COMPACT TABLE chat.messages", false, StorageTarget{Table: &TableName{"chat", "messages"}}},
		{"STORAGE COMPACT ALL", false, StorageTarget{All: true}},
		{"STORAGE COMPACT ALL IN NAMESPACE chat;", false, StorageTarget{All: true, Namespace: "chat"}},
	}
	for _, tc := range cases {
		st, err := ParseOne(tc.sql)
		if err != nil {
			t.Fatalf("%q: %v", tc.sql, err)
		}
		var got StorageTarget
		switch s := st.(type) {
		case *StorageFlush:
			if !tc.flush {
				t.Fatalf("%q: got flush", tc.sql)
			}
			got = s.Target
		case *StorageCompact:
			if tc.flush {
				t.Fatalf("%q: got compact", tc.sql)
			}
			got = s.Target
		default:
			t.Fatalf("%q: got %T", tc.sql, st)
		}
		if !reflect.DeepEqual(got, tc.target) {
			t.Fatalf("%q: target %+v, want %+v", tc.sql, got, tc.target)
		}
	}
	runErrCases(t, []errCase{
		{sql: "STORAGE FLUSH", code: apierror.InvalidSQL, msg: "at end of input: expected TABLE or ALL", pos: 14},
		{sql: "STORAGE FLUSH chat.messages", code: apierror.InvalidSQL, msg: "near 'chat': expected TABLE or ALL", pos: 15},
		{sql: "STORAGE FLUSH TABLE", code: apierror.InvalidSQL, msg: "expected table name", pos: 20},
		{sql: "STORAGE FLUSH ALL IN", code: apierror.InvalidSQL, msg: "expected namespace name", pos: 21},
		{sql: "STORAGE FLUSH ALL chat", code: apierror.InvalidSQL, msg: "near 'chat': expected end of statement", pos: 19},
		{sql: "STORAGE COMPACT TABLE a.b.c", code: apierror.InvalidSQL, msg: "near '.'", pos: 26},
	})
}

func TestJobsAndBackups(t *testing.T) {
	if k := parseAs[*KillJob](t, "KILL JOB 'FL-0001'"); k.JobID != "FL-0001" {
		t.Fatalf("got %+v", k)
	}
	if k := parseAs[*KillLiveQuery](t, "kill live query 'u1-conn9-msgs'"); k.LiveID != "u1-conn9-msgs" {
		t.Fatalf("got %+v", k)
	}
	parseAs[*ShowManifest](t, "SHOW MANIFEST")

	b := parseAs[*BackupDatabase](t, "BACKUP DATABASE Chat TO '/backups/chat'")
	if b.Namespace != "chat" || b.Path != "/backups/chat" {
		t.Fatalf("got %+v", b)
	}
	r := parseAs[*RestoreDatabase](t, "restore database chat from '/backups/chat'")
	if r.Namespace != "chat" || r.Path != "/backups/chat" {
		t.Fatalf("got %+v", r)
	}
	if s := parseAs[*ShowBackup](t, "SHOW BACKUP FOR DATABASE chat"); s.Namespace != "chat" {
		t.Fatalf("got %+v", s)
	}

	runErrCases(t, []errCase{
		{sql: "KILL 42", code: apierror.InvalidSQL, msg: "near '42': expected JOB or LIVE QUERY", pos: 6},
		{sql: "KILL JOB 42", code: apierror.InvalidSQL, msg: "expected job id as a quoted string", pos: 10},
		{sql: "KILL JOB ''", code: apierror.InvalidSQL, msg: "job id must not be empty", pos: 10},
		{sql: "KILL LIVE 'x'", code: apierror.InvalidSQL, msg: "near ''x'': expected QUERY", pos: 11},
		{sql: "KILL LIVE QUERY", code: apierror.InvalidSQL, msg: "expected live query id", pos: 16},
		{sql: "KILL JOB 'a' 'b'", code: apierror.InvalidSQL, msg: "near ''b'': expected end of statement", pos: 14},
		{sql: "SHOW MANIFEST FOR t", code: apierror.InvalidSQL, msg: "near 'FOR'", pos: 15},
		{sql: "BACKUP chat TO '/x'", code: apierror.InvalidSQL, msg: "near 'chat': expected DATABASE", pos: 8},
		{sql: "BACKUP DATABASE chat '/x'", code: apierror.InvalidSQL, msg: "near ''/x'': expected TO", pos: 22},
		{sql: "BACKUP DATABASE chat TO ''", code: apierror.InvalidSQL, msg: "backup path must not be empty", pos: 25},
		{sql: "RESTORE DATABASE chat TO '/x'", code: apierror.InvalidSQL, msg: "near 'TO': expected FROM", pos: 23},
		{sql: "SHOW BACKUP chat", code: apierror.InvalidSQL, msg: "near 'chat': expected FOR", pos: 13},
		{sql: "SHOW BACKUP FOR DATABASE", code: apierror.InvalidSQL, msg: "expected namespace name", pos: 25},
	})
}

func TestExecuteAs(t *testing.T) {
	ea := parseAs[*ExecuteAs](t, "EXECUTE AS USER 'alice' (SELECT * FROM chat.messages WHERE content = ')' /* ) */)")
	if ea.User != "alice" || ea.Text() != "EXECUTE AS USER 'alice' (SELECT * FROM chat.messages WHERE content = ')' /* ) */)" {
		t.Fatalf("got %+v", ea)
	}
	inner, ok := ea.Inner.(*StandardSQL)
	if !ok || inner.Kind() != KindSelect || inner.Text() != "SELECT * FROM chat.messages WHERE content = ')'" {
		t.Fatalf("inner = %#v", ea.Inner)
	}

	ea = parseAs[*ExecuteAs](t, "execute as user Bob ( INSERT INTO t (a) VALUES ((1)), (2) ) ;")
	if ea.User != "bob" || ea.Inner.Kind() != KindInsert || ea.Inner.Text() != "INSERT INTO t (a) VALUES ((1)), (2)" {
		t.Fatalf("got %+v / %q", ea, ea.Inner.Text())
	}

	ea = parseAs[*ExecuteAs](t, "EXECUTE AS USER 'svc' (CREATE TABLE t (a INT))")
	ct, ok := ea.Inner.(*CreateTable)
	if !ok || ct.Table.Name != "t" || ct.Text() != "CREATE TABLE t (a INT)" {
		t.Fatalf("inner = %#v", ea.Inner)
	}
	ea = parseAs[*ExecuteAs](t, "EXECUTE AS USER 'a' ((SELECT 1))")
	if ea.Inner.Kind() != KindSelect || ea.Inner.Text() != "(SELECT 1)" {
		t.Fatalf("inner = %q", ea.Inner.Text())
	}
	ea = parseAs[*ExecuteAs](t, "EXECUTE AS USER 'a' (DELETE FROM t WHERE id IN (SELECT id FROM u))")
	if ea.Inner.Kind() != KindDelete {
		t.Fatalf("inner kind = %s", ea.Inner.Kind())
	}

	runErrCases(t, []errCase{
		{name: "nested", sql: "EXECUTE AS USER 'a' (EXECUTE AS USER 'b' (SELECT 1))", code: apierror.InvalidSQL, msg: "EXECUTE AS USER cannot be nested", pos: 22},
		{name: "begin", sql: "EXECUTE AS USER 'a' (BEGIN)", code: apierror.InvalidSQL, msg: "cannot wrap BEGIN", pos: 22},
		{name: "commit", sql: "EXECUTE AS USER 'a' (COMMIT)", code: apierror.InvalidSQL, msg: "cannot wrap COMMIT", pos: 22},
		{name: "rollback", sql: "EXECUTE AS USER 'a' (ROLLBACK)", code: apierror.InvalidSQL, msg: "cannot wrap ROLLBACK", pos: 22},
		{name: "unclosed", sql: "EXECUTE AS USER 'a' (SELECT 1", code: apierror.InvalidSQL, msg: "the '(' at position 21 is never closed", pos: 21},
		{name: "unclosed by string", sql: "EXECUTE AS USER 'a' (SELECT ')'", code: apierror.InvalidSQL, msg: "never closed", pos: 21},
		{name: "unclosed by comment", sql: "EXECUTE AS USER 'a' (SELECT 1 -- )", code: apierror.InvalidSQL, msg: "never closed", pos: 21},
		{name: "trailing garbage", sql: "EXECUTE AS USER 'a' (SELECT 1) x", code: apierror.InvalidSQL, msg: "near 'x': expected end of statement", pos: 32},
		{name: "two statements", sql: "EXECUTE AS USER 'a' (SELECT 1) (SELECT 2)", code: apierror.InvalidSQL, msg: "near '(': expected end of statement", pos: 32},
		{name: "empty", sql: "EXECUTE AS USER 'a' ()", code: apierror.InvalidSQL, msg: "needs a statement inside the parentheses", pos: 22},
		{name: "no parens", sql: "EXECUTE AS USER 'a' SELECT 1", code: apierror.InvalidSQL, msg: "near 'SELECT': expected '('", pos: 21},
		{name: "no user", sql: "EXECUTE AS 'a' (SELECT 1)", code: apierror.InvalidSQL, msg: "expected USER", pos: 12},
		{name: "empty user", sql: "EXECUTE AS USER '' (SELECT 1)", code: apierror.InvalidSQL, msg: "user name must not be empty", pos: 17},
		{name: "semicolon inside", sql: "EXECUTE AS USER 'a' (SELECT 1;)", code: apierror.InvalidSQL, msg: "only one statement is allowed", pos: 30},
		{name: "inner syntax error", sql: "EXECUTE AS USER 'a' (CREATE TABLE t (a INTT))", code: apierror.InvalidSQL, msg: "type \"intt\" does not exist", pos: 40},
		{name: "inner executable comment", sql: "EXECUTE AS USER 'a' (SELECT a /*! b */ FROM t)", code: apierror.InvalidSQL, msg: "executable comments", pos: 31},
		{name: "inner unsupported", sql: "EXECUTE AS USER 'a' (GRANT ALL ON t TO b)", code: apierror.InvalidSQL, msg: "unsupported statement: GRANT", pos: 22},
	})

	// Inside a batch, positions of inner errors are batch positions.
	sql := "SELECT 1;\nEXECUTE AS USER 'a' (SELECT a /*!*/ FROM t)"
	stmts, err := Parse(sql)
	checkErr(t, sql, err, apierror.InvalidSQL, "executable comments", 41)
	_ = stmts
	// ... and so are positions located later in an inner standard statement.
	sql = "SELECT 1;\nEXECUTE AS USER 'a' (SELECT a FORM t)"
	stmts, err = Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	innerStd := stmts[1].(*ExecuteAs).Inner.(*StandardSQL)
	locatedErr := innerStd.LocateError(apierror.New(apierror.InvalidSQL, "x").WithDetails(map[string]any{"position": 10}))
	if d := locatedErr.(*apierror.Error).Details.(map[string]any); d["position"] != strings.Index(sql, "FORM")+1 || d["line"] != 2 {
		t.Fatalf("details = %v", d)
	}
}

// The forms of KalamDB's reference that this server accepts as written,
// and those it refuses as UNSUPPORTED, naming them.
func TestReferenceForms(t *testing.T) {
	st := parseAs[*AlterStorage](t, "ALTER STORAGE local SET NAME 'n' SET DESCRIPTION 'd', USER_TABLES_TEMPLATE '{namespace}/{tableName}/{userId}'")
	if *st.Props.Name != "n" || *st.Props.Description != "d" || st.Props.UserTablesTemplate == nil {
		t.Fatalf("ALTER STORAGE with SET per property: %+v", st.Props)
	}
	s3 := parseAs[*CreateStorage](t, `CREATE STORAGE s3p TYPE s3 BUCKET 's3://b/pre' REGION 'eu-west-1' CONFIG '{"endpoint":"http://h:9000"}', CREDENTIALS = '{"access_key_id":"k"}'`)
	if *s3.Props.Bucket != "s3://b/pre" || *s3.Props.Config != `{"endpoint":"http://h:9000"}` || s3.Props.Credentials == nil {
		t.Fatalf("CREATE STORAGE s3: %+v", s3.Props)
	}
	if c := parseAs[*StorageCheck](t, "STORAGE CHECK local"); c.Extended {
		t.Fatalf("STORAGE CHECK: %+v", c)
	}
	as := parseAs[*AlterStorage](t, `ALTER STORAGE s3p SET CONFIG = '{"force_path_style":true}', SET CREDENTIALS = '{}'`)
	if as.Props.Config == nil || as.Props.Credentials == nil {
		t.Fatalf("ALTER STORAGE SET CONFIG: %+v", as.Props)
	}
	cs := parseAs[*CreateStorage](t, "CREATE STORAGE arch TYPE 'filesystem' BASE_DIRECTORY '/srv/arch'")
	if *cs.Props.Path != "/srv/arch" {
		t.Fatalf("BASE_DIRECTORY: %+v", cs.Props)
	}
	if c := parseAs[*StorageCheck](t, "STORAGE CHECK local EXTENDED"); c.ID != "local" || !c.Extended {
		t.Fatalf("STORAGE CHECK EXTENDED: %+v", c)
	}
	if b := parseAs[*BackupDatabase](t, "BACKUP DATABASE IF EXISTS app TO '/b'"); b.Namespace != "app" || b.Path != "/b" || !b.IfExists {
		t.Fatalf("BACKUP IF EXISTS: %+v", b)
	}
	if r := parseAs[*RestoreDatabase](t, "RESTORE DATABASE IF NOT EXISTS app FROM '/b'"); r.Namespace != "app" || !r.IfNotExists {
		t.Fatalf("RESTORE IF NOT EXISTS: %+v", r)
	}
	if s := parseAs[*ShowBackup](t, "SHOW BACKUPS FOR DATABASE app"); s.Namespace != "app" {
		t.Fatalf("SHOW BACKUPS: %+v", s)
	}
	ct := parseAs[*CreateTable](t, "CREATE TABLE app.t (id INT) WITH (USE_USER_STORAGE = false, STORAGE_ID = 'local')")
	if ct.Options.StorageID != "local" {
		t.Fatalf("USE_USER_STORAGE = FALSE: %+v", ct.Options)
	}
	runErrCases(t, []errCase{
		{sql: "CREATE TABLE t (id INT) WITH (USE_USER_STORAGE = TRUE)", code: apierror.Unsupported, msg: "USE_USER_STORAGE = TRUE is not supported", pos: 50},
		{sql: "CREATE TABLE t (id INT) WITH (USE_USER_STORAGE = 'maybe')", code: apierror.InvalidSQL, msg: "must be true or false"},
		{sql: "CREATE USER 'o' WITH OAUTH ROLE user", code: apierror.Unsupported, msg: "WITH OAUTH is not supported", pos: 22},
		{sql: "CREATE USER 'i' WITH INTERNAL ROLE service", code: apierror.Unsupported, msg: "WITH INTERNAL is not supported"},
		{sql: "CREATE USER 'x' WITH ROLE user", code: apierror.InvalidSQL, msg: "expected PASSWORD"},
		{sql: "ALTER STORAGE local SET CONFIG 'x'", code: apierror.InvalidSQL, msg: "CONFIG must be a JSON object", pos: 32},
		{sql: "CREATE STORAGE s TYPE 'filesystem' PATH '/a' BASE_DIRECTORY '/b'", code: apierror.InvalidSQL, msg: "PATH is given more than once"},
		{sql: "CREATE STORAGE s TYPE 'filesystem' SET NAME 'x'", code: apierror.InvalidSQL, msg: "unknown storage property 'SET'"},
		{sql: "SUBSCRIBE TO app.t WHERE id > 1 OPTIONS (last_rows=10)", code: apierror.Unsupported, msg: "subscribe over the WebSocket", pos: 1},
		{sql: "CREATE TOPIC t", code: apierror.Unsupported, msg: "topics are not supported", pos: 8},
		{sql: "ALTER TOPIC t ADD SOURCE app.t ON INSERT", code: apierror.Unsupported, msg: "topics are not supported"},
		{sql: "DROP TOPIC t", code: apierror.Unsupported, msg: "topics are not supported"},
		{sql: "CLEAR TOPIC t", code: apierror.Unsupported, msg: "topics are not supported"},
		{sql: "CONSUME FROM t GROUP 'g' FROM EARLIEST LIMIT 100", code: apierror.Unsupported, msg: "topics are not supported"},
		{sql: "ACK t GROUP 'g' UPTO OFFSET 5", code: apierror.Unsupported, msg: "topics are not supported"},
		{sql: "CLUSTER PURGE --UPTO 5", code: apierror.Unsupported, msg: "single node"},
	})
}
