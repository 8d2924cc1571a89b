package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// viewsEnv has a USER table with rows of alice and bob (the same ids in
// both partitions), a PUBLIC and a PRIVATE shared table, a service and a
// dba.
func viewsEnv(t *testing.T) *env {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app;
		CREATE TABLE app.msgs (id BIGINT PRIMARY KEY, body TEXT, owner TEXT);
		CREATE SHARED TABLE app.config (key TEXT PRIMARY KEY, value TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
		CREATE SHARED TABLE app.secrets (key TEXT PRIMARY KEY, value TEXT);
		INSERT INTO app.config VALUES ('theme', 'dark');
		INSERT INTO app.secrets VALUES ('token', 's3cret');
		CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'pw' ROLE user;
		CREATE USER 'svc' WITH PASSWORD 'pw' ROLE service;
		CREATE USER 'ops' WITH PASSWORD 'pw' ROLE dba`)
	e.user("alice").must(`INSERT INTO app.msgs VALUES (1, 'a1', CURRENT_USER()), (2, 'a2', CURRENT_USER()), (30, 'a30', CURRENT_USER())`)
	e.user("bob").must(`INSERT INTO app.msgs VALUES (1, 'b1', CURRENT_USER()), (3, 'b3', CURRENT_USER())`)
	return e
}

// A view over a USER table is the reader's partition only, whoever created
// it and however it is read: directly, joined, aggregated, nested, in a
// subquery, inside EXECUTE AS USER.
func TestViewsResolvePerCaller(t *testing.T) {
	e := viewsEnv(t)
	ops := e.user("ops")
	ops.must(`CREATE VIEW app.recent AS SELECT id, body, owner FROM msgs WHERE id < 10;
		CREATE VIEW app.counts AS SELECT owner, count(*) AS n FROM app.recent GROUP BY owner`)
	alice, bob, svc := e.user("alice"), e.user("bob"), e.user("svc")
	for _, tc := range []struct {
		c         *caller
		sql, want string
	}{
		{alice, `SELECT id, body FROM app.recent ORDER BY id`, `[[1,"a1"],[2,"a2"]]`},
		{bob, `SELECT id, body FROM app.recent ORDER BY id`, `[[1,"b1"],[3,"b3"]]`},
		{ops, `SELECT id FROM app.recent`, `[]`},
		{alice, `SELECT owner, n FROM app.counts`, `[["alice",2]]`},
		{bob, `SELECT r.body, m.body FROM app.recent r JOIN app.msgs m ON m.id = r.id ORDER BY r.id`, `[["b1","b1"],["b3","b3"]]`},
		{bob, `SELECT count(*) FROM app.msgs WHERE id IN (SELECT id FROM app.recent)`, `[[2]]`},
		{alice, `WITH x AS (SELECT * FROM app.recent) SELECT max(body) FROM x`, `[["a2"]]`},
		{alice, `SELECT body FROM app.recent WHERE id = 1 UNION ALL SELECT body FROM app.recent WHERE id = 2`, `[["a1"],["a2"]]`},
		{svc, `EXECUTE AS USER 'bob' (SELECT body FROM app.recent ORDER BY id)`, `[["b1"],["b3"]]`},
		{ops, `EXECUTE AS USER 'alice' (SELECT owner, n FROM app.counts)`, `[["alice",2]]`},
	} {
		if got := tc.c.rows(tc.sql); got != tc.want {
			t.Errorf("%s as %s: %s, want %s", tc.sql, tc.c.user, got, tc.want)
		}
	}
	// A user may only EXECUTE AS themselves, through a view as anywhere.
	alice.fails(apierror.PermissionDenied, `EXECUTE AS USER 'bob' (SELECT * FROM app.recent)`)
	// Writes into a view are refused; writes that read one touch the
	// writer's partition only.
	for _, w := range []string{`INSERT INTO app.recent VALUES (9, 'x', 'y')`, `UPDATE app.recent SET body = 'x'`, `DELETE FROM app.recent WHERE id = 1`} {
		if ae := alice.fails(apierror.Unsupported, w); !strings.Contains(ae.Message, "app.recent") {
			t.Errorf("%s: %s", w, ae.Message)
		}
	}
	alice.must(`DELETE FROM app.msgs WHERE id IN (SELECT id FROM app.recent WHERE id = 1)`)
	if got := bob.rows(`SELECT id FROM app.recent ORDER BY id`); got != `[[1],[3]]` {
		t.Fatalf("alice's delete through a view reached bob: %s", got)
	}
	if got := alice.rows(`SELECT id FROM app.recent ORDER BY id`); got != `[[2]]` {
		t.Fatalf("alice after her delete: %s", got)
	}
}

// A view grants nothing: reading a view over a SHARED table takes the
// table's access level, checked for the reader, and the view is listed
// only to those who may read it.
func TestViewsOverSharedTablesFollowAccessLevels(t *testing.T) {
	e := viewsEnv(t)
	root := e.root()
	root.must(`CREATE VIEW app.settings AS SELECT key, value FROM app.config;
		CREATE VIEW app.hidden AS SELECT key FROM app.secrets;
		CREATE VIEW app.both AS SELECT c.key FROM app.config c JOIN app.secrets s ON s.key <> c.key`)
	alice, svc := e.user("alice"), e.user("svc")
	if got := alice.rows(`SELECT key, value FROM app.settings`); got != `[["theme","dark"]]` {
		t.Fatalf("public view: %s", got)
	}
	for _, q := range []string{`SELECT * FROM app.hidden`, `SELECT * FROM app.both`, `EXPLAIN SELECT * FROM app.hidden`,
		`DESCRIBE TABLE app.hidden`, `SELECT (SELECT count(*) FROM app.hidden)`} {
		alice.fails(apierror.PermissionDenied, q)
	}
	if got := svc.rows(`SELECT key FROM app.hidden`); got != `[["token"]]` {
		t.Fatalf("service reads the private table through the view: %s", got)
	}
	listed := func(c *caller) string {
		var names []string
		for _, r := range c.must(`SHOW TABLES IN app`)[0].Rows {
			if r[2] == "VIEW" {
				names = append(names, r[1].(string))
			}
		}
		return strings.Join(names, ",")
	}
	if got := listed(alice); got != "settings" {
		t.Fatalf("alice is shown views %q", got)
	}
	if got := listed(svc); got != "both,hidden,settings" {
		t.Fatalf("the service is shown views %q", got)
	}
	if got := alice.rows(`SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'app' AND table_type = 'VIEW'`); got != `[["settings","VIEW"]]` {
		t.Fatalf("information_schema for alice: %s", got)
	}
	if got := alice.rows(`SHOW NAMESPACES`); !strings.Contains(got, `"app",null,3`) {
		t.Fatalf("alice counts the msgs and config tables and the settings view: %s", got)
	}
}

func TestViewDDL(t *testing.T) {
	e := viewsEnv(t)
	root := e.root()
	// Creating and dropping views is DDL: the dba role.
	for _, who := range []string{"alice", "svc"} {
		e.user(who).fails(apierror.PermissionDenied, `CREATE VIEW app.v AS SELECT 1`)
		e.user(who).fails(apierror.PermissionDenied, `DROP VIEW IF EXISTS app.v`)
	}
	ops := e.user("ops")
	ops.ns = "app"
	res := ops.must(`CREATE VIEW v (n, b) AS SELECT id, body FROM msgs`)
	if res[0].Message != "View app.v created" || res[0].RowCount != 1 {
		t.Fatalf("create: %+v", res[0])
	}
	if got := e.user("alice").rows(`SELECT n, b FROM app.v WHERE n = 2`); got != `[[2,"a2"]]` {
		t.Fatalf("column list: %s", got)
	}
	ops.fails(apierror.AlreadyExists, `CREATE VIEW v AS SELECT 1`)
	ops.fails(apierror.AlreadyExists, `CREATE VIEW msgs AS SELECT 1`)
	ops.fails(apierror.AlreadyExists, `CREATE TABLE v (id INT)`)
	if res := ops.must(`CREATE VIEW IF NOT EXISTS v AS SELECT nosuch FROM nowhere`); res[0].RowCount != 0 {
		t.Fatalf("IF NOT EXISTS on an existing view: %+v", res[0])
	}
	if res := ops.must(`CREATE OR REPLACE VIEW v AS SELECT id FROM msgs WHERE id > 1`); res[0].Message != "View app.v replaced" {
		t.Fatalf("replace: %+v", res[0])
	}
	if got := e.user("bob").rows(`SELECT * FROM app.v`); got != `[[3]]` {
		t.Fatalf("replaced view: %s", got)
	}
	for _, tc := range []struct {
		code      apierror.Code
		sql, want string
	}{
		{apierror.InvalidSQL, `CREATE VIEW w (a, b) AS SELECT id FROM msgs`, "CREATE VIEW specifies more column names than columns"},
		{apierror.InvalidSQL, `CREATE VIEW w AS SELECT id, id FROM msgs`, `column "id" specified more than once`},
		{apierror.InvalidSQL, `CREATE VIEW w AS SELECT id FROM msgs WHERE id = $1`, "parameters"},
		{apierror.TableNotFound, `CREATE VIEW w AS SELECT * FROM nowhere`, "nowhere"},
		{apierror.InvalidSQL, `CREATE VIEW w AS SELECT nosuch FROM msgs`, "nosuch"},
		{apierror.NamespaceNotFound, `CREATE VIEW nons.w AS SELECT 1`, "nons"},
		{apierror.PermissionDenied, `CREATE VIEW system.w AS SELECT 1`, "system namespace"},
		{apierror.InvalidSQL, `DROP TABLE v`, "use DROP VIEW"},
		{apierror.InvalidSQL, `DROP VIEW msgs`, "use DROP TABLE"},
		{apierror.InvalidSQL, `ALTER TABLE v ADD COLUMN x INT`, "is a view"},
		{apierror.InvalidSQL, `SHOW STATS FOR TABLE v`, "is a view"},
		{apierror.InvalidSQL, `DESCRIBE TABLE v HISTORY`, "no schema history"},
		{apierror.InvalidSQL, `CREATE OR REPLACE VIEW v AS SELECT * FROM v`, "would read itself (app.v -> app.v)"},
		{apierror.SQLExecutionError, `BEGIN; CREATE VIEW w AS SELECT 1; COMMIT`, "cannot run inside a transaction"},
	} {
		if ae := ops.fails(tc.code, tc.sql); !strings.Contains(ae.Message, tc.want) {
			t.Errorf("%s: %q does not say %q", tc.sql, ae.Message, tc.want)
		}
	}
	// Names without a namespace in a view's query are the view's
	// namespace's, whatever the reader has selected.
	root.must(`CREATE NAMESPACE other; CREATE SHARED TABLE other.config (key TEXT PRIMARY KEY, value TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
		INSERT INTO other.config VALUES ('other', 'x');
		CREATE VIEW other.v AS SELECT key FROM config`)
	alice := e.user("alice")
	alice.ns = "app"
	if got := alice.rows(`SELECT key FROM other.v`); got != `[["other"]]` {
		t.Fatalf("a view's names resolve in its namespace: %s", got)
	}
	// A WITH query shadows a view of the same name.
	if got := alice.rows(`WITH v AS (SELECT 7 AS id) SELECT id FROM v`); got != `[[7]]` {
		t.Fatalf("a WITH query named like a view: %s", got)
	}
	if got := alice.rows(`DESCRIBE TABLE v`); got != `[["id","BIGINT",true,false,null,1,null]]` {
		t.Fatalf("describe: %s", got)
	}
	ops.must(`DROP VIEW v`)
	if res := ops.must(`DROP VIEW IF EXISTS v`); res[0].RowCount != 0 {
		t.Fatalf("drop if exists: %+v", res[0])
	}
	ops.fails(apierror.TableNotFound, `DROP VIEW v`)
	alice.fails(apierror.TableNotFound, `SELECT * FROM v`)
	// DROP NAMESPACE counts views and CASCADE drops them.
	if ae := root.fails(apierror.SQLExecutionError, `DROP NAMESPACE other`); !strings.Contains(ae.Message, "1 view)") {
		t.Fatalf("drop namespace: %s", ae.Message)
	}
	root.must(`DROP NAMESPACE other CASCADE`)
	if got := root.rows(`SELECT view_id FROM system.views`); got != `[]` {
		t.Fatalf("views left after DROP NAMESPACE CASCADE: %s", got)
	}
}

// A view records the columns of what it reads. Reading it after one of
// them was dropped or changed its columns fails, naming the view and the
// table, until the view is re-created; reading never silently means
// something else.
func TestViewsOfChangedTables(t *testing.T) {
	e := viewsEnv(t)
	root, alice := e.root(), e.user("alice")
	root.must(`CREATE VIEW app.all_msgs AS SELECT * FROM app.msgs;
		CREATE VIEW app.bodies AS SELECT body FROM app.all_msgs;
		CREATE VIEW app.keys AS SELECT key FROM app.config`)
	if got := alice.rows(`SELECT count(*) FROM app.bodies`); got != `[[3]]` {
		t.Fatalf("before: %s", got)
	}
	// Table properties are not columns: the view keeps working.
	root.must(`ALTER TABLE app.config SET TBLPROPERTIES (ACCESS_LEVEL = 'PUBLIC')`)
	alice.must(`SELECT * FROM app.keys`)

	root.must(`ALTER TABLE app.msgs ADD COLUMN extra INT`)
	ae := alice.fails(apierror.SQLExecutionError, `SELECT * FROM app.all_msgs`)
	for _, want := range []string{"app.all_msgs", "app.msgs", "schema version 1", "now version 2", "CREATE OR REPLACE VIEW"} {
		if !strings.Contains(ae.Message, want) {
			t.Fatalf("%q does not say %q", ae.Message, want)
		}
	}
	// The view built on it fails the same way.
	alice.fails(apierror.SQLExecutionError, `SELECT * FROM app.bodies`)
	root.must(`CREATE OR REPLACE VIEW app.all_msgs AS SELECT * FROM app.msgs`)
	// all_msgs gained a column: bodies, planned over its old columns, must
	// be re-created too.
	if ae := alice.fails(apierror.SQLExecutionError, `SELECT * FROM app.bodies`); !strings.Contains(ae.Message, "view app.all_msgs, whose columns changed") {
		t.Fatalf("nested: %s", ae.Message)
	}
	root.must(`CREATE OR REPLACE VIEW app.bodies AS SELECT body FROM app.all_msgs`)
	if got := alice.rows(`SELECT count(*) FROM app.bodies`); got != `[[3]]` {
		t.Fatalf("after re-creating: %s", got)
	}

	root.must(`DROP TABLE app.config`)
	ae = alice.fails(apierror.TableNotFound, `SELECT * FROM app.keys`)
	if !strings.Contains(ae.Message, "view app.keys reads table app.config, which does not exist any more") {
		t.Fatalf("dropped table: %s", ae.Message)
	}
	// A table created again with the same columns serves the view again.
	root.must(`CREATE SHARED TABLE app.config (key TEXT PRIMARY KEY, value TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
		INSERT INTO app.config VALUES ('lang', 'en')`)
	if got := alice.rows(`SELECT key FROM app.keys`); got != `[["lang"]]` {
		t.Fatalf("re-created table: %s", got)
	}
	// Created again as another type with the same columns: the message
	// names the change of type (the versions, both 1, say nothing).
	root.must(`DROP TABLE app.config; CREATE TABLE app.config (key TEXT PRIMARY KEY, value TEXT) WITH (TYPE = 'USER')`)
	ae = root.fails(apierror.SQLExecutionError, `SELECT key FROM app.keys`)
	for _, want := range []string{"view app.keys was created over SHARED table app.config", "now a USER table", "CREATE OR REPLACE VIEW"} {
		if !strings.Contains(ae.Message, want) || strings.Contains(ae.Message, "now version") {
			t.Fatalf("%q does not say %q", ae.Message, want)
		}
	}
	// Created again with other columns: the message says so, not "since
	// version 1 (now version 1)".
	root.must(`DROP TABLE app.config; CREATE SHARED TABLE app.config (key TEXT PRIMARY KEY, v2 TEXT) WITH (ACCESS_LEVEL = 'PUBLIC')`)
	ae = root.fails(apierror.SQLExecutionError, `SELECT key FROM app.keys`)
	if !strings.Contains(ae.Message, "re-created with other columns") || strings.Contains(ae.Message, "now version") {
		t.Fatalf("re-created with other columns: %s", ae.Message)
	}
	root.must(`DROP TABLE app.config; CREATE SHARED TABLE app.config (key TEXT PRIMARY KEY, value TEXT) WITH (ACCESS_LEVEL = 'PUBLIC')`)
	root.must(`DROP VIEW app.all_msgs`)
	if ae := alice.fails(apierror.TableNotFound, `SELECT * FROM app.bodies`); !strings.Contains(ae.Message, "reads view app.all_msgs") {
		t.Fatalf("dropped view: %s", ae.Message)
	}
	// Views cannot be made to read themselves, however indirectly.
	root.must(`CREATE VIEW app.a AS SELECT 1 AS x; CREATE VIEW app.b AS SELECT x FROM app.a`)
	if ae := root.fails(apierror.InvalidSQL, `CREATE OR REPLACE VIEW app.a AS SELECT x FROM app.b`); !strings.Contains(ae.Message, "app.b -> app.a") {
		t.Fatalf("cycle: %s", ae.Message)
	}
}

func TestViewsSurviveRestart(t *testing.T) {
	e := viewsEnv(t)
	e.user("ops").must(`CREATE VIEW app.recent (i, b) AS SELECT id, body FROM app.msgs WHERE id < 10`)
	e.reopen()
	if got := e.user("bob").rows(`SELECT i, b FROM app.recent ORDER BY i`); got != `[[1,"b1"],[3,"b3"]]` {
		t.Fatalf("after restart: %s", got)
	}
	rows := e.root().must(`SELECT view_name, definition, created_by FROM system.views`)[0].Rows
	if len(rows) != 1 || fmt.Sprint(rows[0]) != fmt.Sprintf("[recent SELECT id, body FROM app.msgs WHERE id < 10 %s]", e.user("ops").user) {
		t.Fatalf("system.views: %v", rows)
	}
	e.user("alice").fails(apierror.PermissionDenied, `SELECT * FROM system.views`)
}

// Expansion is bounded: views nested too deep, or read too many times by
// the views above them, fail the statement instead of growing it.
func TestViewExpansionLimits(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE VIEW app.v0 AS SELECT 1 AS x`)
	for i := 1; i < 16; i++ {
		root.must(fmt.Sprintf(`CREATE VIEW app.v%d AS SELECT x FROM app.v%d`, i, i-1))
	}
	if got := root.rows(`SELECT x FROM app.v15`); got != `[[1]]` {
		t.Fatalf("16 levels: %s", got)
	}
	if ae := root.fails(apierror.ResourceLimitExceeded, `CREATE VIEW app.v16 AS SELECT x FROM app.v15`); !strings.Contains(ae.Message, "max_view_depth") {
		t.Fatalf("depth at creation: %s", ae.Message)
	}
	// Replacing the innermost view with one more level makes the chain
	// too deep to read.
	root.must(`CREATE VIEW app.leaf AS SELECT 1 AS x; CREATE OR REPLACE VIEW app.v0 AS SELECT x FROM app.leaf`)
	if ae := root.fails(apierror.ResourceLimitExceeded, `SELECT x FROM app.v15`); !strings.Contains(ae.Message, "max_view_depth") {
		t.Fatalf("depth: %s", ae.Message)
	}
	root.must(`CREATE OR REPLACE VIEW app.v0 AS SELECT 1 AS x`)
	if ae := root.fails(apierror.ResourceLimitExceeded, `SELECT count(*) FROM app.v15 a, app.v15 b, app.v15 c, app.v15 d, app.v15 e`); !strings.Contains(ae.Message, "max_view_expansions") {
		t.Fatalf("count: %s", ae.Message)
	}
	root.must(`CREATE VIEW app.w0 AS SELECT 1 AS x`)
	for i := 1; i <= 5; i++ {
		root.must(fmt.Sprintf(`CREATE VIEW app.w%d AS SELECT a.x FROM app.w%d a, app.w%d b`, i, i-1, i-1))
	}
	// Reading w5 expands 1+2+4+8+16+32 = 63 views.
	if got := root.rows(`SELECT count(*) FROM app.w5`); got != `[[1]]` {
		t.Fatalf("w5: %s", got)
	}
	if ae := root.fails(apierror.ResourceLimitExceeded, `SELECT count(*) FROM app.w5 a, app.w5 b`); !strings.Contains(ae.Message, "max_view_expansions") {
		t.Fatalf("fan-out: %s", ae.Message)
	}
	if ae := root.fails(apierror.ResourceLimitExceeded, `CREATE VIEW app.w6 AS SELECT a.x FROM app.w5 a, app.w5 b`); !strings.Contains(ae.Message, "max_view_expansions") {
		t.Fatalf("fan-out at creation: %s", ae.Message)
	}
	// Every refused statement leaves the database usable.
	if got := e.as("root", systable.RoleSystem).rows(`SELECT x FROM app.v1`); got != `[[1]]` {
		t.Fatalf("after the limits: %s", got)
	}
}

// The attack's introspection gap: views were in information_schema.tables
// but their columns were not in information_schema.columns, so tools that
// introspect found no columns. A view's columns are listed with the types
// its query gave them, to the readers who may read it.
func TestViewColumnsInInformationSchema(t *testing.T) {
	e := viewsEnv(t)
	root, alice := e.root(), e.user("alice")
	root.must(`CREATE VIEW app.mine (ident, text) AS SELECT id, body FROM app.msgs;
		CREATE VIEW app.hidden AS SELECT key FROM app.secrets`)
	q := `SELECT column_name, data_type, ordinal_position FROM information_schema.columns WHERE table_schema = 'app' AND table_name = '%s' ORDER BY ordinal_position`
	tableCols := alice.rows(fmt.Sprintf(q, "msgs"))
	if got := alice.rows(fmt.Sprintf(q, "mine")); got != `[["ident","bigint",1],["text","text",2]]` || !strings.Contains(tableCols, `["id","bigint",1],["body","text",2]`) {
		t.Fatalf("view columns %s, table columns %s", got, tableCols)
	}
	if got := alice.rows(fmt.Sprintf(q, "hidden")); got != `[]` {
		t.Fatalf("alice sees the columns of a view she may not read: %s", got)
	}
	if got := root.rows(fmt.Sprintf(q, "hidden")); got != `[["key","text",1]]` {
		t.Fatalf("root: %s", got)
	}
	// Every type reads as the table's column of that type does.
	root.must(`CREATE SHARED TABLE app.typed (i INT PRIMARY KEY, s SMALLINT, b BOOLEAN, d DECIMAL(10, 2), f DOUBLE,
			ts TIMESTAMP, dt DATE, j JSON, v VARCHAR(20), u UUID, by BYTES);
		CREATE VIEW app.vtyped AS SELECT * FROM app.typed`)
	q = `SELECT column_name, data_type, udt_name, character_maximum_length, numeric_precision, numeric_scale, datetime_precision
		FROM information_schema.columns WHERE table_schema = 'app' AND table_name = '%s' AND column_name NOT LIKE '\_%%' ORDER BY ordinal_position`
	if view, table := root.rows(fmt.Sprintf(q, "vtyped")), root.rows(fmt.Sprintf(q, "typed")); view != table || !strings.Contains(view, `["d","numeric","numeric",null,10,2,null]`) ||
		!strings.Contains(view, `["v","character varying","varchar",20,null,null,null]`) {
		t.Fatalf("view columns %s, table columns %s", view, table)
	}
}
