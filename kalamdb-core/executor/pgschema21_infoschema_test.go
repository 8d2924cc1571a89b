package executor_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// pg15Columns are the columns of PostgreSQL 15's information_schema and
// pg_catalog tables that KalamDB has, in order, as PostgreSQL 15 lists
// them (SELECT table_name, string_agg(column_name, ',' ORDER BY
// ordinal_position) FROM information_schema.columns WHERE table_schema IN
// ('information_schema', 'pg_catalog') GROUP BY table_name).
var pg15Columns = map[string]string{
	"information_schema.columns": "table_catalog,table_schema,table_name,column_name,ordinal_position,column_default,is_nullable,data_type," +
		"character_maximum_length,character_octet_length,numeric_precision,numeric_precision_radix,numeric_scale,datetime_precision," +
		"interval_type,interval_precision,character_set_catalog,character_set_schema,character_set_name,collation_catalog,collation_schema," +
		"collation_name,domain_catalog,domain_schema,domain_name,udt_catalog,udt_schema,udt_name,scope_catalog,scope_schema,scope_name," +
		"maximum_cardinality,dtd_identifier,is_self_referencing,is_identity,identity_generation,identity_start,identity_increment," +
		"identity_maximum,identity_minimum,identity_cycle,is_generated,generation_expression,is_updatable",
	"information_schema.key_column_usage": "constraint_catalog,constraint_schema,constraint_name,table_catalog,table_schema,table_name," +
		"column_name,ordinal_position,position_in_unique_constraint",
	"information_schema.schemata": "catalog_name,schema_name,schema_owner,default_character_set_catalog,default_character_set_schema," +
		"default_character_set_name,sql_path",
	"information_schema.table_constraints": "constraint_catalog,constraint_schema,constraint_name,table_catalog,table_schema,table_name," +
		"constraint_type,is_deferrable,initially_deferred,enforced,nulls_distinct",
	"information_schema.tables": "table_catalog,table_schema,table_name,table_type,self_referencing_column_name,reference_generation," +
		"user_defined_type_catalog,user_defined_type_schema,user_defined_type_name,is_insertable_into,is_typed,commit_action",
	"information_schema.views": "table_catalog,table_schema,table_name,view_definition,check_option,is_updatable,is_insertable_into," +
		"is_trigger_updatable,is_trigger_deletable,is_trigger_insertable_into",
	"pg_catalog.pg_tables": "schemaname,tablename,tableowner,tablespace,hasindexes,hasrules,hastriggers,rowsecurity",
	"pg_catalog.pg_views":  "schemaname,viewname,viewowner,definition",
}

// The information schema's tables have PostgreSQL 15's columns, in its
// order, both as SELECT * labels them and as information_schema.columns
// lists them; it lists its own tables (and pg_catalog's) as views, as
// PostgreSQL does.
func TestPgSchema21TablesHavePostgreSQLsColumns(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	var listed []string
	for name, want := range pg15Columns {
		res := root.must(`SELECT * FROM ` + name)[0]
		var got []string
		for _, c := range res.Schema {
			got = append(got, c.Name)
		}
		if strings.Join(got, ",") != want {
			t.Errorf("SELECT * FROM %s labels\n got %s\nwant %s", name, strings.Join(got, ","), want)
		}
		schemaName, table, _ := strings.Cut(name, ".")
		cols := root.rows(`SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`, schemaName, table)
		if cols != `[["`+want+`"]]` {
			t.Errorf("information_schema.columns of %s: %s", name, cols)
		}
		listed = append(listed, name)
	}
	slices.Sort(listed)
	got := root.rows(`SELECT string_agg(table_schema || '.' || table_name || ':' || table_type, ',' ORDER BY table_schema, table_name) FROM information_schema.tables WHERE table_schema IN ('information_schema', 'pg_catalog')`)
	want := strings.Join(listed, ":VIEW,") + ":VIEW"
	if got != `[["`+want+`"]]` {
		t.Errorf("the virtual schemas' tables: %s, want %s", got, want)
	}
	if got := root.rows(`SELECT count(*) FROM information_schema.views WHERE table_schema IN ('information_schema', 'pg_catalog') AND view_definition IS NULL`); got != fmt.Sprintf("[[%d]]", len(listed)) {
		t.Errorf("the virtual schemas' tables in information_schema.views: %s", got)
	}
}

// Every KalamDB type is described as PostgreSQL 15 describes the same
// column declared there (CREATE TABLE app.t (id BIGINT PRIMARY KEY, s
// SMALLINT NOT NULL, i INTEGER DEFAULT 7, b BOOLEAN, r REAL, d DOUBLE
// PRECISION, n NUMERIC(10,2), tx TEXT, v VARCHAR(20), bt BYTEA, j JSONB,
// ts TIMESTAMP, tz TIMESTAMPTZ, dt DATE, tm TIME, u UUID)): the
// expected rows are PostgreSQL's answer to the same query. KalamDB's
// system columns follow, as DESCRIBE TABLE lists them.
func TestPgSchema21ColumnTypesArePostgreSQLs(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, s SMALLINT NOT NULL, i INT DEFAULT 7, b BOOLEAN,
		r REAL, d DOUBLE, n DECIMAL(10,2), tx TEXT, v VARCHAR(20), bt BYTES, j JSON, ts TIMESTAMP, tz DATETIME, dt DATE, tm TIME, u UUID)`)
	q := `SELECT column_name, ordinal_position, column_default, is_nullable, data_type, character_maximum_length, character_octet_length,
		numeric_precision, numeric_precision_radix, numeric_scale, datetime_precision, udt_catalog, udt_schema, udt_name, dtd_identifier,
		is_identity, is_generated, is_updatable, collation_name, interval_type
		FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 't' ORDER BY ordinal_position`
	var rows [][]any
	if err := json.Unmarshal([]byte(root.rows(q)), &rows); err != nil {
		t.Fatal(err)
	}
	// PostgreSQL 15's rows, with its database's name (udt_catalog)
	// replaced by KalamDB's catalog name.
	want := []string{
		`["id",1,null,"NO","bigint",null,null,64,2,0,null,"kalamdb","pg_catalog","int8","1","NO","NEVER","YES",null,null]`,
		`["s",2,null,"NO","smallint",null,null,16,2,0,null,"kalamdb","pg_catalog","int2","2","NO","NEVER","YES",null,null]`,
		`["i",3,"7","YES","integer",null,null,32,2,0,null,"kalamdb","pg_catalog","int4","3","NO","NEVER","YES",null,null]`,
		`["b",4,null,"YES","boolean",null,null,null,null,null,null,"kalamdb","pg_catalog","bool","4","NO","NEVER","YES",null,null]`,
		`["r",5,null,"YES","real",null,null,24,2,null,null,"kalamdb","pg_catalog","float4","5","NO","NEVER","YES",null,null]`,
		`["d",6,null,"YES","double precision",null,null,53,2,null,null,"kalamdb","pg_catalog","float8","6","NO","NEVER","YES",null,null]`,
		`["n",7,null,"YES","numeric",null,null,10,10,2,null,"kalamdb","pg_catalog","numeric","7","NO","NEVER","YES",null,null]`,
		`["tx",8,null,"YES","text",null,1073741824,null,null,null,null,"kalamdb","pg_catalog","text","8","NO","NEVER","YES",null,null]`,
		`["v",9,null,"YES","character varying",20,80,null,null,null,null,"kalamdb","pg_catalog","varchar","9","NO","NEVER","YES",null,null]`,
		`["bt",10,null,"YES","bytea",null,null,null,null,null,null,"kalamdb","pg_catalog","bytea","10","NO","NEVER","YES",null,null]`,
		`["j",11,null,"YES","jsonb",null,null,null,null,null,null,"kalamdb","pg_catalog","jsonb","11","NO","NEVER","YES",null,null]`,
		`["ts",12,null,"YES","timestamp without time zone",null,null,null,null,null,6,"kalamdb","pg_catalog","timestamp","12","NO","NEVER","YES",null,null]`,
		`["tz",13,null,"YES","timestamp with time zone",null,null,null,null,null,6,"kalamdb","pg_catalog","timestamptz","13","NO","NEVER","YES",null,null]`,
		`["dt",14,null,"YES","date",null,null,null,null,null,0,"kalamdb","pg_catalog","date","14","NO","NEVER","YES",null,null]`,
		`["tm",15,null,"YES","time without time zone",null,null,null,null,null,6,"kalamdb","pg_catalog","time","15","NO","NEVER","YES",null,null]`,
		`["u",16,null,"YES","uuid",null,null,null,null,null,null,"kalamdb","pg_catalog","uuid","16","NO","NEVER","YES",null,null]`,
		// KalamDB's system columns, as DESCRIBE TABLE shows them; UPDATE
		// cannot set them.
		`["_seq",17,null,"NO","bigint",null,null,64,2,0,null,"kalamdb","pg_catalog","int8","17","NO","NEVER","NO",null,null]`,
		`["_deleted",18,null,"NO","boolean",null,null,null,null,null,null,"kalamdb","pg_catalog","bool","18","NO","NEVER","NO",null,null]`,
	}
	if len(rows) != len(want) {
		t.Fatalf("%d columns, want %d: %v", len(rows), len(want), rows)
	}
	for i, r := range rows {
		raw, _ := json.Marshal(r)
		if string(raw) != want[i] {
			t.Errorf("column %d:\n got %s\nwant %s", i+1, raw, want[i])
		}
	}
	// The same columns, order and nullability as DESCRIBE TABLE.
	var desc [][]any
	if err := json.Unmarshal([]byte(root.rows(`DESCRIBE TABLE app.t`)), &desc); err != nil {
		t.Fatal(err)
	}
	for i, d := range desc {
		if d[0] != rows[i][0] || (d[2] == true) != (rows[i][3] == "YES") {
			t.Errorf("DESCRIBE row %v, information_schema %v", d, rows[i])
		}
	}
	// A STREAM table has _seq but no _deleted; DEFAULT functions read as
	// DESCRIBE shows them.
	root.must(`CREATE STREAM TABLE app.ev (id BIGINT DEFAULT SNOWFLAKE_ID(), at TIMESTAMP DEFAULT NOW()) WITH (TTL_SECONDS = 60)`)
	if got := root.rows(`SELECT column_name, column_default FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'ev' ORDER BY ordinal_position`); got != `[["id","SNOWFLAKE_ID()"],["at","NOW()"],["_seq",null]]` {
		t.Errorf("stream columns: %s", got)
	}
	// A VARCHAR's octet length is 4 bytes a character (UTF-8), as in
	// PostgreSQL.
	root.must(`CREATE TABLE app.long (id INT PRIMARY KEY, v VARCHAR(16000))`)
	if got := root.rows(`SELECT character_maximum_length, character_octet_length FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'long' AND column_name = 'v'`); got != `[[16000,64000]]` {
		t.Errorf("a long VARCHAR: %s", got)
	}
	// The primary key is a constraint named table_pkey.
	if got := root.rows(`SELECT tc.constraint_name, tc.constraint_type, k.column_name, k.ordinal_position FROM information_schema.table_constraints tc
		JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
		WHERE tc.table_schema = 'app' ORDER BY tc.constraint_name`); got != `[["long_pkey","PRIMARY KEY","id",1],["t_pkey","PRIMARY KEY","id",1]]` {
		t.Errorf("primary keys: %s", got)
	}
}

// What the information schema (and pg_catalog) lists follows KalamDB's
// rule for each role, the one SHOW TABLES and DESCRIBE TABLE apply: a
// user sees every namespace, the USER and STREAM tables (whose rows are
// only ever their own), the SHARED tables their role may read and the
// views whose every table they may read; not the system namespace, not
// the columns or keys of anything else, and not the text of views.
func TestPgSchema21ListsWhatEachRoleMaySee(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE NAMESPACE other;
		CREATE TABLE app.notes (id BIGINT PRIMARY KEY, body TEXT);
		CREATE STREAM TABLE app.typing (who TEXT) WITH (TTL_SECONDS = 30);
		CREATE SHARED TABLE app.secrets (k TEXT PRIMARY KEY, v TEXT) WITH (ACCESS_LEVEL = 'RESTRICTED');
		CREATE SHARED TABLE app.internal (k TEXT PRIMARY KEY);
		CREATE SHARED TABLE app.public (k TEXT PRIMARY KEY) WITH (ACCESS_LEVEL = 'PUBLIC');
		CREATE VIEW app.mine AS SELECT id FROM app.notes;
		CREATE VIEW app.hidden AS SELECT k FROM app.secrets;
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'bob-pw-12' ROLE user`)
	alice := e.user("alice")
	e.user("bob").must(`INSERT INTO app.notes (id, body) VALUES (1, 'bob''s')`)
	for _, tc := range []struct {
		c      *caller
		tables string
	}{
		{alice, `[["app","mine","VIEW"],["app","notes","BASE TABLE"],["app","public","BASE TABLE"],["app","typing","BASE TABLE"]]`},
		{e.as("svc", systable.RoleService), `[["app","internal","BASE TABLE"],["app","mine","VIEW"],["app","notes","BASE TABLE"],["app","public","BASE TABLE"],["app","typing","BASE TABLE"]]`},
		{e.as("ops", systable.RoleDBA), `[["app","hidden","VIEW"],["app","internal","BASE TABLE"],["app","mine","VIEW"],["app","notes","BASE TABLE"],["app","public","BASE TABLE"],["app","secrets","BASE TABLE"],["app","typing","BASE TABLE"]]`},
		{root, `[["app","hidden","VIEW"],["app","internal","BASE TABLE"],["app","mine","VIEW"],["app","notes","BASE TABLE"],["app","public","BASE TABLE"],["app","secrets","BASE TABLE"],["app","typing","BASE TABLE"]]`},
	} {
		c := tc.c
		if got := c.rows(`SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema NOT IN ('information_schema', 'pg_catalog', 'system') ORDER BY table_name`); got != tc.tables {
			t.Errorf("%s: information_schema.tables\n got %s\nwant %s", c.role, got, tc.tables)
		}
		// The same list as SHOW TABLES.
		var shown []string
		for _, r := range c.must(`SHOW TABLES IN app`)[0].Rows {
			shown = append(shown, r[1].(string))
		}
		slices.Sort(shown)
		if got := c.rows(`SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'app'`); got != `[["`+strings.Join(shown, ",")+`"]]` {
			t.Errorf("%s: information_schema.tables lists %s, SHOW TABLES %v", c.role, got, shown)
		}
		// Columns, keys and pg_catalog list exactly those relations.
		for _, q := range []string{
			`SELECT DISTINCT table_name FROM information_schema.columns WHERE table_schema = 'app'`,
			`SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'app' UNION ALL SELECT viewname FROM pg_catalog.pg_views WHERE schemaname = 'app'`,
		} {
			if got := c.rows(`SELECT string_agg(table_name, ',' ORDER BY table_name) FROM (` + q + `) AS s(table_name)`); got != `[["`+strings.Join(shown, ",")+`"]]` {
				t.Errorf("%s: %s lists %s, SHOW TABLES %v", c.role, q, got, shown)
			}
		}
		// Every namespace is listed (as SHOW NAMESPACES lists them); the
		// system namespace only to the roles that see it.
		wantSchemas := `[["app"],["information_schema"],["other"],["pg_catalog"]]`
		if c.role.AtLeast(systable.RoleDBA) {
			wantSchemas = `[["app"],["information_schema"],["other"],["pg_catalog"],["system"]]`
		}
		if got := c.rows(`SELECT schema_name FROM information_schema.schemata ORDER BY schema_name`); got != wantSchemas {
			t.Errorf("%s: schemata %s", c.role, got)
		}
		systemTables := c.rows(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'system'`)
		if (systemTables == `[[0]]`) == c.role.AtLeast(systable.RoleDBA) {
			t.Errorf("%s: %s system tables listed", c.role, systemTables)
		}
		// A view's text is for those who may read system.views.
		text := c.rows(`SELECT view_definition IS NOT NULL FROM information_schema.views WHERE table_schema = 'app' AND table_name = 'mine'`)
		defs := c.rows(`SELECT definition IS NOT NULL FROM pg_catalog.pg_views WHERE schemaname = 'app' AND viewname = 'mine'`)
		if want := fmt.Sprintf("[[%v]]", c.role.AtLeast(systable.RoleDBA)); text != want || defs != want {
			t.Errorf("%s: view text shown: %s, %s", c.role, text, defs)
		}
	}
	// Nothing of a table alice may not read: not its columns, not its key.
	for _, q := range []string{
		`SELECT count(*) FROM information_schema.columns WHERE table_name IN ('secrets', 'hidden', 'internal')`,
		`SELECT count(*) FROM information_schema.table_constraints WHERE table_name IN ('secrets', 'internal')`,
		`SELECT count(*) FROM information_schema.key_column_usage WHERE table_name IN ('secrets', 'internal')`,
		`SELECT count(*) FROM information_schema.views WHERE table_name = 'hidden'`,
		`SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'system'`,
	} {
		if got := alice.rows(q); got != `[[0]]` {
			t.Errorf("alice: %s: %s", q, got)
		}
	}
	// USER tables: pg_tables says their rows are isolated per user.
	if got := alice.rows(`SELECT tablename, hasindexes, rowsecurity FROM pg_catalog.pg_tables WHERE schemaname = 'app' ORDER BY tablename`); got != `[["notes",true,true],["public",true,false],["typing",false,true]]` {
		t.Errorf("alice's pg_tables: %s", got)
	}
	// EXECUTE AS USER lists what the target may see.
	if got := root.rows(`EXECUTE AS USER 'alice' (SELECT count(*) FROM information_schema.tables WHERE table_name = 'secrets')`); got != `[[0]]` {
		t.Errorf("as alice: %s", got)
	}
}

// pg_catalog is PostgreSQL's schema name: no namespace may take it, and
// only pg_tables and pg_views are there.
func TestPgSchema21PgCatalog(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.fails(apierror.InvalidSQL, `CREATE NAMESPACE pg_catalog`)
	root.fails(apierror.TableNotFound, `SELECT * FROM pg_catalog.pg_class`)
	root.fails(apierror.InvalidSQL, `SELECT tableowner2 FROM pg_catalog.pg_tables`)
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY)`)
	if got := root.rows(`SELECT schemaname, tablename, tableowner, tablespace, hasindexes, hasrules, hastriggers, rowsecurity FROM pg_catalog.pg_tables WHERE schemaname = 'app'`); got != `[["app","t",null,null,true,false,false,true]]` {
		t.Errorf("pg_tables: %s", got)
	}
	if got := root.rows(`SELECT count(*) > 5 FROM pg_catalog.pg_tables WHERE schemaname = 'system'`); got != `[[true]]` {
		t.Errorf("root's system tables: %s", got)
	}
	// The catalog reflects DDL at once.
	root.must(`DROP TABLE app.t`)
	if got := root.rows(`SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'app'`); got != `[[0]]` {
		t.Errorf("after DROP TABLE: %s", got)
	}
}
