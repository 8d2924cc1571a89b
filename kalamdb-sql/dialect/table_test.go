package dialect

import (
	"reflect"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

func i64(n int64) *int64 { return &n }
func boolp(b bool) *bool { return &b }

func TestCreateTableFull(t *testing.T) {
	sql := `CREATE SHARED TABLE IF NOT EXISTS Chat."Messages" (
		id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(),
		conversation_id BIGINT NOT NULL,
		content TEXT NOT NULL DEFAULT 'it''s empty',
		score DECIMAL(10, 2) DEFAULT -1.5,
		flags SMALLINT NULL,
		created_at TIMESTAMP DEFAULT NOW()
	) WITH (ACCESS_LEVEL = 'public', flush_policy = 'rows:1000,interval:60',
	        DELETED_RETENTION_HOURS = 48, STORAGE_ID = 'Local')`
	st := parseAs[*CreateTable](t, sql)
	if st.Text() != sql {
		t.Fatalf("text = %q", st.Text())
	}
	if st.Table != (TableName{Namespace: "chat", Name: "messages"}) || st.Table.String() != "chat.messages" {
		t.Fatalf("table = %+v", st.Table)
	}
	if st.TableType != TableTypeShared || !st.IfNotExists || st.PrimaryKey != "id" {
		t.Fatalf("type=%s ifNotExists=%v pk=%q", st.TableType, st.IfNotExists, st.PrimaryKey)
	}
	want := []ColumnDef{
		{Name: "id", Type: DataType{Name: TypeBigInt}, NotNull: true, PrimaryKey: true,
			Default: &DefaultExpr{Kind: DefaultFunction, Function: "SNOWFLAKE_ID", Text: "SNOWFLAKE_ID()"}},
		{Name: "conversation_id", Type: DataType{Name: TypeBigInt}, NotNull: true},
		{Name: "content", Type: DataType{Name: TypeText}, NotNull: true,
			Default: &DefaultExpr{Kind: DefaultLiteral, Literal: "it's empty", Text: "'it''s empty'"}},
		{Name: "score", Type: DataType{Name: TypeDecimal, Precision: 10, Scale: 2},
			Default: &DefaultExpr{Kind: DefaultLiteral, Literal: decimal.RequireFromString("-1.5"), Text: "-1.5"}},
		{Name: "flags", Type: DataType{Name: TypeSmallInt}},
		{Name: "created_at", Type: DataType{Name: TypeTimestamp},
			Default: &DefaultExpr{Kind: DefaultFunction, Function: "NOW", Text: "NOW()"}},
	}
	if !reflect.DeepEqual(st.Columns, want) {
		for i := range st.Columns {
			t.Logf("col %d: %+v default %+v", i, st.Columns[i], st.Columns[i].Default)
		}
		t.Fatal("columns differ")
	}
	wantOpts := TableOptions{
		StorageID:             "local",
		FlushPolicy:           &FlushPolicy{Rows: 1000, IntervalSeconds: 60},
		DeletedRetentionHours: i64(48),
		AccessLevel:           "PUBLIC",
	}
	if !reflect.DeepEqual(st.Options, wantOpts) {
		t.Fatalf("options = %+v", st.Options)
	}
}

func TestCreateTableTypes(t *testing.T) {
	cases := []struct {
		typ  string
		want DataType
	}{
		{"BOOLEAN", DataType{Name: TypeBoolean}},
		{"bool", DataType{Name: TypeBoolean}},
		{"SMALLINT", DataType{Name: TypeSmallInt}},
		{"INT2", DataType{Name: TypeSmallInt}},
		{"INT", DataType{Name: TypeInt}},
		{"Integer", DataType{Name: TypeInt}},
		{"INT4", DataType{Name: TypeInt}},
		{"BIGINT", DataType{Name: TypeBigInt}},
		{"int8", DataType{Name: TypeBigInt}},
		{"FLOAT", DataType{Name: TypeFloat}},
		{"REAL", DataType{Name: TypeFloat}},
		{"FLOAT4", DataType{Name: TypeFloat}},
		{"DOUBLE", DataType{Name: TypeDouble}},
		{"DOUBLE PRECISION", DataType{Name: TypeDouble}},
		{"FLOAT8", DataType{Name: TypeDouble}},
		{"DECIMAL", DataType{Name: TypeDecimal, Precision: 38, Scale: 10}},
		{"DECIMAL(12)", DataType{Name: TypeDecimal, Precision: 12, Scale: 0}},
		{"DECIMAL(12,4)", DataType{Name: TypeDecimal, Precision: 12, Scale: 4}},
		{"NUMERIC(38, 30)", DataType{Name: TypeDecimal, Precision: 38, Scale: 30}},
		{"numeric(1,0)", DataType{Name: TypeDecimal, Precision: 1, Scale: 0}},
		{"TEXT", DataType{Name: TypeText}},
		{"STRING", DataType{Name: TypeText}},
		{"VARCHAR", DataType{Name: TypeText}},
		{"VARCHAR(255)", DataType{Name: TypeText, MaxLength: 255}},
		{"CHAR", DataType{Name: TypeText}},
		{"CHAR(3)", DataType{Name: TypeText, MaxLength: 3}},
		{"BYTES", DataType{Name: TypeBytes}},
		{"BYTEA", DataType{Name: TypeBytes}},
		{"BLOB", DataType{Name: TypeBytes}},
		{"BINARY", DataType{Name: TypeBytes}},
		{"JSON", DataType{Name: TypeJSON}},
		{"JSONB", DataType{Name: TypeJSON}},
		{"TIMESTAMP", DataType{Name: TypeTimestamp}},
		{"DATE", DataType{Name: TypeDate}},
		{"DATETIME", DataType{Name: TypeDateTime}},
		{"TIME", DataType{Name: TypeTime}},
		{"uuid", DataType{Name: TypeUUID}},
		// The other aliases of the type table.
		{"MEDIUMINT", DataType{Name: TypeInt}},
		{"FLOAT64", DataType{Name: TypeDouble}},
		{"NVARCHAR", DataType{Name: TypeText}},
		{"NVARCHAR(20)", DataType{Name: TypeText, MaxLength: 20}},
		{"VARBINARY", DataType{Name: TypeBytes}},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			st := parseAs[*CreateTable](t, "CREATE TABLE t (c "+tc.typ+" NOT NULL)")
			if len(st.Columns) != 1 || st.Columns[0].Type != tc.want || !st.Columns[0].NotNull {
				t.Fatalf("columns = %+v, want type %+v", st.Columns, tc.want)
			}
		})
	}
}

func TestCreateTableTypeResolution(t *testing.T) {
	cases := []struct {
		sql  string
		want TableType
		opt  TableType
	}{
		{"CREATE TABLE t (a INT)", TableTypeUser, ""},
		{"CREATE USER TABLE t (a INT)", TableTypeUser, ""},
		{"create shared table t (a INT)", TableTypeShared, ""},
		{"CREATE STREAM TABLE t (a INT)", TableTypeStream, ""},
		{"CREATE TABLE t (a INT) WITH (TYPE = 'SHARED')", TableTypeShared, TableTypeShared},
		{"CREATE TABLE t (a INT) WITH (type = stream)", TableTypeStream, TableTypeStream},
		{"CREATE TABLE t (a INT) WITH (TYPE = 'user')", TableTypeUser, TableTypeUser},
		{"CREATE SHARED TABLE t (a INT) WITH (TYPE = 'shared')", TableTypeShared, TableTypeShared},
	}
	for _, tc := range cases {
		st := parseAs[*CreateTable](t, tc.sql)
		if st.TableType != tc.want || st.Options.Type != tc.opt {
			t.Errorf("%q: type %s option %q, want %s %q", tc.sql, st.TableType, st.Options.Type, tc.want, tc.opt)
		}
	}
}

func TestCreateTableColumnsAndKeys(t *testing.T) {
	st := parseAs[*CreateTable](t, "CREATE TABLE app.t (a INT, B text, PRIMARY KEY (b))")
	if st.PrimaryKey != "b" || st.Columns[0].PrimaryKey || !st.Columns[1].PrimaryKey || !st.Columns[1].NotNull {
		t.Fatalf("pk = %q, columns = %+v", st.PrimaryKey, st.Columns)
	}
	// NULL on a primary key column is accepted, as in PostgreSQL: the key
	// is NOT NULL all the same.
	for _, q := range []string{"CREATE TABLE t (a INT NULL PRIMARY KEY)", "CREATE TABLE t (a INT PRIMARY KEY NULL)", "CREATE TABLE t (a INT NULL, PRIMARY KEY (a))"} {
		if st := parseAs[*CreateTable](t, q); !st.Columns[0].PrimaryKey || !st.Columns[0].NotNull {
			t.Fatalf("%s: columns = %+v", q, st.Columns)
		}
	}
	// NOT NULL or NULL given twice is accepted, as in PostgreSQL.
	st2 := parseAs[*CreateTable](t, "CREATE TABLE t (a INT NOT NULL NOT NULL, b INT NULL NULL)")
	if !st2.Columns[0].NotNull || st2.Columns[1].NotNull {
		t.Fatalf("columns = %+v", st2.Columns)
	}
	if st.Table != (TableName{Namespace: "app", Name: "t"}) {
		t.Fatalf("table = %+v", st.Table)
	}

	// PRIMARY KEY clause first, clauses of a column in any order.
	st = parseAs[*CreateTable](t, "CREATE TABLE t (PRIMARY KEY (id), name TEXT DEFAULT 'x' NOT NULL, id BIGINT NOT NULL)")
	if st.PrimaryKey != "id" || !st.Columns[1].PrimaryKey || st.Columns[0].PrimaryKey {
		t.Fatalf("pk = %q, columns = %+v", st.PrimaryKey, st.Columns)
	}
	if !st.Columns[0].NotNull || st.Columns[0].Default == nil || st.Columns[0].Default.Literal != "x" {
		t.Fatalf("column = %+v", st.Columns[0])
	}

	st = parseAs[*CreateTable](t, "CREATE TABLE t (id UUID PRIMARY KEY NOT NULL DEFAULT UUID_V7(), k TEXT DEFAULT ULID())")
	if st.Columns[0].Default.Function != "UUID_V7" || st.Columns[1].Default.Function != "ULID" {
		t.Fatalf("defaults = %+v %+v", st.Columns[0].Default, st.Columns[1].Default)
	}

	// A named PRIMARY KEY constraint.
	st = parseAs[*CreateTable](t, "CREATE TABLE t (id BIGINT, name TEXT, CONSTRAINT t_pk PRIMARY KEY (id))")
	if st.PrimaryKey != "id" || !st.Columns[0].PrimaryKey || !st.Columns[0].NotNull {
		t.Fatalf("pk = %q, columns = %+v", st.PrimaryKey, st.Columns)
	}

	// No primary key declared.
	st = parseAs[*CreateTable](t, "CREATE TABLE t (a INT)")
	if st.PrimaryKey != "" || st.Columns[0].PrimaryKey || st.Columns[0].NotNull || st.Columns[0].Default != nil {
		t.Fatalf("got %+v", st)
	}
	if st.IfNotExists || st.Table.Namespace != "" || st.Table.String() != "t" {
		t.Fatalf("got %+v", st)
	}

	// Quoted identifiers can hold keywords; they are folded too.
	st = parseAs[*CreateTable](t, "CREATE TABLE \"Select\" (\"From\" INT, \"where\" TEXT)")
	if st.Table.Name != "select" || st.Columns[0].Name != "from" || st.Columns[1].Name != "where" {
		t.Fatalf("got %+v", st)
	}
}

func TestCreateTableDefaults(t *testing.T) {
	cases := []struct {
		expr string
		want DefaultExpr
	}{
		{"0", DefaultExpr{Kind: DefaultLiteral, Literal: int64(0), Text: "0"}},
		{"42", DefaultExpr{Kind: DefaultLiteral, Literal: int64(42), Text: "42"}},
		{"-42", DefaultExpr{Kind: DefaultLiteral, Literal: int64(-42), Text: "-42"}},
		{"- 7", DefaultExpr{Kind: DefaultLiteral, Literal: int64(-7), Text: "- 7"}},
		{"+7", DefaultExpr{Kind: DefaultLiteral, Literal: int64(7), Text: "+7"}},
		{"-9223372036854775808", DefaultExpr{Kind: DefaultLiteral, Literal: int64(-9223372036854775808), Text: "-9223372036854775808"}},
		{"9223372036854775808", DefaultExpr{Kind: DefaultLiteral, Literal: decimal.RequireFromString("9223372036854775808"), Text: "9223372036854775808"}},
		{"3.25", DefaultExpr{Kind: DefaultLiteral, Literal: decimal.RequireFromString("3.25"), Text: "3.25"}},
		{".5", DefaultExpr{Kind: DefaultLiteral, Literal: decimal.RequireFromString(".5"), Text: ".5"}},
		{"1e3", DefaultExpr{Kind: DefaultLiteral, Literal: decimal.RequireFromString("1e3"), Text: "1e3"}},
		{"-2.5E-1", DefaultExpr{Kind: DefaultLiteral, Literal: decimal.RequireFromString("-2.5E-1"), Text: "-2.5E-1"}},
		{"'hello'", DefaultExpr{Kind: DefaultLiteral, Literal: "hello", Text: "'hello'"}},
		{"''", DefaultExpr{Kind: DefaultLiteral, Literal: "", Text: "''"}},
		{"'a;b -- c'", DefaultExpr{Kind: DefaultLiteral, Literal: "a;b -- c", Text: "'a;b -- c'"}},
		{"TRUE", DefaultExpr{Kind: DefaultLiteral, Literal: true, Text: "TRUE"}},
		{"false", DefaultExpr{Kind: DefaultLiteral, Literal: false, Text: "false"}},
		{"NULL", DefaultExpr{Kind: DefaultLiteral, Literal: nil, Text: "NULL"}},
		{"snowflake_id()", DefaultExpr{Kind: DefaultFunction, Function: "SNOWFLAKE_ID", Text: "snowflake_id()"}},
		{"UUID_V7( )", DefaultExpr{Kind: DefaultFunction, Function: "UUID_V7", Text: "UUID_V7( )"}},
		{"ULID()", DefaultExpr{Kind: DefaultFunction, Function: "ULID", Text: "ULID()"}},
		{"now()", DefaultExpr{Kind: DefaultFunction, Function: "NOW", Text: "now()"}},
		{"CURRENT_TIMESTAMP", DefaultExpr{Kind: DefaultFunction, Function: "NOW", Text: "CURRENT_TIMESTAMP"}},
		{"current_timestamp()", DefaultExpr{Kind: DefaultFunction, Function: "NOW", Text: "current_timestamp()"}},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			st := parseAs[*CreateTable](t, "CREATE TABLE t (c TEXT DEFAULT "+tc.expr+", d INT)")
			got := st.Columns[0].Default
			if got == nil || !reflect.DeepEqual(*got, tc.want) {
				t.Fatalf("default = %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestCreateTableOptions(t *testing.T) {
	cases := []struct {
		sql  string
		want TableOptions
	}{
		{"CREATE TABLE t (a INT) WITH (FLUSH_POLICY = 'rows:100')",
			TableOptions{FlushPolicy: &FlushPolicy{Rows: 100}}},
		{"CREATE TABLE t (a INT) WITH (FLUSH_POLICY = 'interval:30')",
			TableOptions{FlushPolicy: &FlushPolicy{IntervalSeconds: 30}}},
		{"CREATE TABLE t (a INT) WITH (FLUSH_POLICY = 'interval:30,rows:5')",
			TableOptions{FlushPolicy: &FlushPolicy{Rows: 5, IntervalSeconds: 30}}},
		{"CREATE TABLE t (a INT) WITH (flush_policy = ' ROWS : 5 , Interval:30 ')",
			TableOptions{FlushPolicy: &FlushPolicy{Rows: 5, IntervalSeconds: 30}}},
		{"CREATE TABLE t (a INT) WITH (DELETED_RETENTION_HOURS = 0)",
			TableOptions{DeletedRetentionHours: i64(0)}},
		{"CREATE TABLE t (a INT) WITH (deleted_retention_hours = '72')",
			TableOptions{DeletedRetentionHours: i64(72)}},
		{"CREATE TABLE t (a INT) WITH (STORAGE_ID = local)",
			TableOptions{StorageID: "local"}},
		{"CREATE STREAM TABLE t (a INT) WITH (TTL_SECONDS = 10, MAX_BUFFER = 5000, EPHEMERAL = true)",
			TableOptions{TTLSeconds: i64(10), MaxBuffer: i64(5000), Ephemeral: boolp(true)}},
		{"CREATE STREAM TABLE t (a INT) WITH (ephemeral = 'FALSE', ttl_seconds = '60')",
			TableOptions{TTLSeconds: i64(60), Ephemeral: boolp(false)}},
		{"CREATE TABLE t (a INT) WITH (TYPE = 'STREAM', TTL_SECONDS = 5)",
			TableOptions{Type: TableTypeStream, TTLSeconds: i64(5)}},
		{"CREATE SHARED TABLE t (a INT) WITH (ACCESS_LEVEL = 'PRIVATE')",
			TableOptions{AccessLevel: "PRIVATE"}},
		{"CREATE SHARED TABLE t (a INT) WITH (ACCESS_LEVEL = restricted)",
			TableOptions{AccessLevel: "RESTRICTED"}},
		{"CREATE SHARED TABLE t (a INT) WITH ('access_level' = 'Public')",
			TableOptions{AccessLevel: "PUBLIC"}},
	}
	for _, tc := range cases {
		t.Run(tc.sql, func(t *testing.T) {
			st := parseAs[*CreateTable](t, tc.sql)
			if !reflect.DeepEqual(st.Options, tc.want) {
				t.Fatalf("options = %+v, want %+v", st.Options, tc.want)
			}
		})
	}
}

func TestCreateTableErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "no parens", sql: "CREATE TABLE t", code: apierror.InvalidSQL, msg: "syntax error at end of input: expected '('", pos: 15},
		{name: "no columns", sql: "CREATE TABLE t ()", code: apierror.InvalidSQL, msg: "at least one column", pos: 17},
		{name: "only a key", sql: "CREATE TABLE t (PRIMARY KEY (a))", code: apierror.InvalidSQL, msg: `column "a" named in key does not exist`, pos: 30},
		{name: "missing type", sql: "CREATE TABLE t (a)", code: apierror.InvalidSQL, msg: "near ')': expected a column type", pos: 18},
		{name: "missing comma", sql: "CREATE TABLE t (a INT b INT)", code: apierror.InvalidSQL, msg: "near 'b': expected ',' or ')'", pos: 23},
		{name: "trailing comma", sql: "CREATE TABLE t (a INT,)", code: apierror.InvalidSQL, msg: "near ')': expected column name", pos: 23},
		{name: "unclosed", sql: "CREATE TABLE t (a INT", code: apierror.InvalidSQL, msg: "at end of input: expected ',' or ')'", pos: 22},
		{name: "unknown type", sql: "CREATE TABLE t (a VARCHAR2)", code: apierror.InvalidSQL, msg: "type \"varchar2\" does not exist", pos: 19},
		{name: "embedding", sql: "CREATE TABLE t (a EMBEDDING(3))", code: apierror.Unsupported, msg: "EMBEDDING is not supported", pos: 19},
		{name: "varbinary length", sql: "CREATE TABLE t (a VARBINARY(16))", code: apierror.InvalidSQL, msg: "type VARBINARY takes no parameters", pos: 28},
		{name: "unique constraint", sql: "CREATE TABLE t (a INT, CONSTRAINT u UNIQUE (a))", code: apierror.InvalidSQL, msg: "only PRIMARY KEY constraints are supported, not UNIQUE", pos: 37},
		{name: "constraint without name", sql: "CREATE TABLE t (a INT, CONSTRAINT PRIMARY KEY (a))", code: apierror.InvalidSQL, msg: "only PRIMARY KEY constraints are supported, not KEY", pos: 43},
		{name: "quoted type", sql: "CREATE TABLE t (a 'INT')", code: apierror.InvalidSQL, msg: "expected a column type", pos: 19},
		{name: "type params", sql: "CREATE TABLE t (a INT(11))", code: apierror.InvalidSQL, msg: "type INT takes no parameters", pos: 22},
		{name: "decimal precision 0", sql: "CREATE TABLE t (a DECIMAL(0))", code: apierror.InvalidSQL, msg: "precision must be between 1 and 38, got 0", pos: 27},
		{name: "decimal precision 39", sql: "CREATE TABLE t (a DECIMAL(39,2))", code: apierror.InvalidSQL, msg: "got 39", pos: 27},
		{name: "decimal scale", sql: "CREATE TABLE t (a NUMERIC(5,6))", code: apierror.Unsupported, msg: "DECIMAL(5,6) is not supported: a DECIMAL's scale is between 0 and its precision here", pos: 29},
		{name: "decimal scale above 30", sql: "CREATE TABLE t (a NUMERIC(38,31))", code: apierror.Unsupported, msg: "DECIMAL scale above 30 is not supported", pos: 30},
		{name: "decimal negative scale", sql: "CREATE TABLE t (a DECIMAL(5,-1))", code: apierror.Unsupported, msg: "DECIMAL(5,-1) is not supported", pos: 29},
		{name: "decimal fraction", sql: "CREATE TABLE t (a DECIMAL(5.5))", code: apierror.InvalidSQL, msg: "DECIMAL precision must be an integer", pos: 27},
		{name: "decimal huge", sql: "CREATE TABLE t (a DECIMAL(99999999999999999999))", code: apierror.InvalidSQL, msg: "must be an integer", pos: 27},
		{name: "varchar zero", sql: "CREATE TABLE t (a VARCHAR(0))", code: apierror.InvalidSQL, msg: "VARCHAR length must be between 1", pos: 27},
		{name: "varchar unclosed", sql: "CREATE TABLE t (a VARCHAR(10 b INT)", code: apierror.InvalidSQL, msg: "near 'b': expected ')'", pos: 30},
		{name: "duplicate column", sql: "CREATE TABLE t (a INT, A TEXT)", code: apierror.InvalidSQL, msg: `column "a" specified more than once`, pos: 24},
		{name: "two column keys", sql: "CREATE TABLE t (a INT PRIMARY KEY, b INT PRIMARY KEY)", code: apierror.InvalidSQL, msg: `multiple primary keys for table "t" are not allowed`, pos: 42},
		{name: "column and clause key", sql: "CREATE TABLE t (a INT PRIMARY KEY, PRIMARY KEY (a))", code: apierror.InvalidSQL, msg: `multiple primary keys for table "t" are not allowed`, pos: 36},
		{name: "clause then column key", sql: "CREATE TABLE t (PRIMARY KEY (a), a INT PRIMARY KEY)", code: apierror.InvalidSQL, msg: `multiple primary keys for table "t" are not allowed`, pos: 40},
		{name: "unknown key column", sql: "CREATE TABLE t (a INT, PRIMARY KEY (b))", code: apierror.InvalidSQL, msg: `column "b" named in key does not exist`, pos: 37},
		{name: "composite key", sql: "CREATE TABLE t (a INT, b INT, PRIMARY KEY (a, b))", code: apierror.InvalidSQL, msg: "composite primary keys are not supported", pos: 45},
		{name: "null and not null", sql: "CREATE TABLE t (a INT NOT NULL NULL)", code: apierror.InvalidSQL, msg: `conflicting NULL/NOT NULL declarations for column "a" of table "t"`, pos: 32},
		{name: "default twice", sql: "CREATE TABLE t (a INT DEFAULT 1 DEFAULT 2)", code: apierror.InvalidSQL, msg: `multiple default values specified for column "a" of table "t"`, pos: 33},
		{name: "key twice", sql: "CREATE TABLE t (a INT PRIMARY KEY PRIMARY KEY)", code: apierror.InvalidSQL, msg: `multiple primary keys for table "t" are not allowed`, pos: 35},
		{name: "not without null", sql: "CREATE TABLE t (a INT NOT 5)", code: apierror.InvalidSQL, msg: "near '5': expected NULL", pos: 27},
		{name: "primary without key", sql: "CREATE TABLE t (a INT PRIMARY)", code: apierror.InvalidSQL, msg: "near ')': expected KEY", pos: 30},
		{name: "unique", sql: "CREATE TABLE t (a INT UNIQUE)", code: apierror.InvalidSQL, msg: "UNIQUE is not supported in a column definition", pos: 23},
		{name: "auto increment", sql: "CREATE TABLE t (a INT AUTO_INCREMENT)", code: apierror.InvalidSQL, msg: "AUTO_INCREMENT is not supported", pos: 23},
		{name: "default unknown function", sql: "CREATE TABLE t (a TEXT DEFAULT RANDOM())", code: apierror.InvalidSQL, msg: "unsupported DEFAULT function RANDOM()", pos: 32},
		{name: "default identifier", sql: "CREATE TABLE t (a TEXT DEFAULT other_col)", code: apierror.InvalidSQL, msg: "cannot use column reference in DEFAULT expression", pos: 32},
		{name: "default function args", sql: "CREATE TABLE t (a TEXT DEFAULT NOW(3))", code: apierror.InvalidSQL, msg: "NOW() takes no arguments", pos: 36},
		{name: "default function no parens", sql: "CREATE TABLE t (a TEXT DEFAULT ULID)", code: apierror.InvalidSQL, msg: "unsupported DEFAULT value 'ULID'", pos: 32},
		{name: "default placeholder", sql: "CREATE TABLE t (a TEXT DEFAULT $1)", code: apierror.InvalidSQL, msg: "unsupported DEFAULT value '$1'", pos: 32},
		{name: "default minus word", sql: "CREATE TABLE t (a INT DEFAULT -x)", code: apierror.InvalidSQL, msg: "cannot use column reference in DEFAULT expression", pos: 32},
		{name: "default missing", sql: "CREATE TABLE t (a INT DEFAULT", code: apierror.InvalidSQL, msg: "at end of input: expected a DEFAULT value", pos: 30},
		{name: "default out of range", sql: "CREATE TABLE t (a DOUBLE DEFAULT 1e99999999)", code: apierror.InvalidSQL, msg: "value overflows numeric format", pos: 34},
		{name: "reserved column", sql: "CREATE TABLE t (_seq BIGINT)", code: apierror.InvalidSQL, msg: "column name '_seq' is reserved", pos: 17},
		{name: "reserved column quoted", sql: `CREATE TABLE t ("_deleted" BOOLEAN)`, code: apierror.InvalidSQL, msg: "'_deleted' is reserved", pos: 17},
		{name: "bad column name", sql: `CREATE TABLE t ("my col" INT)`, code: apierror.InvalidSQL, msg: `invalid column name '"my col"'`, pos: 17},
		{name: "digit column name", sql: "CREATE TABLE t (1a INT)", code: apierror.InvalidSQL, msg: "near '1': expected column name", pos: 17},
		{name: "long table name", sql: "CREATE TABLE " + strings.Repeat("a", 65) + " (a INT)", code: apierror.InvalidSQL, msg: "invalid table name", pos: 14},
		{name: "unicode table name", sql: "CREATE TABLE tablé (a INT)", code: apierror.InvalidSQL, msg: "invalid table name 'tablé'", pos: 14},
		{name: "kelvin sign", sql: "CREATE TABLE \u212Aelvin (a INT)", code: apierror.InvalidSQL, msg: "invalid table name", pos: 14},
		{name: "bad namespace", sql: "CREATE TABLE \"my-ns\".t (a INT)", code: apierror.InvalidSQL, msg: "invalid namespace name", pos: 14},
		{name: "three part name", sql: "CREATE TABLE a.b.c (x INT)", code: apierror.InvalidSQL, msg: "near '.': expected '('", pos: 17},
		{name: "empty quoted name", sql: `CREATE TABLE "" (a INT)`, code: apierror.InvalidSQL, msg: "invalid table name", pos: 14},
		{name: "if without not", sql: "CREATE TABLE IF EXISTS t (a INT)", code: apierror.InvalidSQL, msg: "near 'EXISTS': expected NOT", pos: 17},
		{name: "type conflicts with option", sql: "CREATE SHARED TABLE t (a INT) WITH (TYPE = 'STREAM')", code: apierror.InvalidSQL, msg: "declared as SHARED TABLE but its TYPE option is STREAM", pos: 37},
		{name: "user word vs shared option", sql: "CREATE USER TABLE t (a INT) WITH (TYPE = 'SHARED')", code: apierror.InvalidSQL, msg: "declared as USER TABLE", pos: 35},
		{name: "bad type option", sql: "CREATE TABLE t (a INT) WITH (TYPE = 'SYSTEM')", code: apierror.InvalidSQL, msg: "invalid TYPE 'SYSTEM': expected USER, SHARED or STREAM", pos: 37},
		{name: "unknown option", sql: "CREATE TABLE t (a INT) WITH (COLOR = 'red')", code: apierror.InvalidSQL, msg: "unknown table option 'COLOR'", pos: 30},
		{name: "duplicate option", sql: "CREATE TABLE t (a INT) WITH (flush_policy = 'rows:1', FLUSH_POLICY = 'rows:2')", code: apierror.InvalidSQL, msg: "option FLUSH_POLICY is given more than once", pos: 55},
		{name: "empty options", sql: "CREATE TABLE t (a INT) WITH ()", code: apierror.InvalidSQL, msg: "option list is empty", pos: 30},
		{name: "option without value", sql: "CREATE TABLE t (a INT) WITH (TTL_SECONDS)", code: apierror.InvalidSQL, msg: "near ')': expected '='", pos: 41},
		{name: "option missing value", sql: "CREATE TABLE t (a INT) WITH (TTL_SECONDS = )", code: apierror.InvalidSQL, msg: "expected an option value", pos: 44},
		{name: "options unclosed", sql: "CREATE STREAM TABLE t (a INT) WITH (TTL_SECONDS = 1", code: apierror.InvalidSQL, msg: "at end of input: expected ',' or ')'", pos: 52},
		{name: "with without parens", sql: "CREATE TABLE t (a INT) WITH TTL_SECONDS = 1", code: apierror.InvalidSQL, msg: "near 'TTL_SECONDS': expected '('", pos: 29},
		{name: "garbage after", sql: "CREATE TABLE t (a INT) ENGINE = InnoDB", code: apierror.InvalidSQL, msg: "near 'ENGINE': expected end of statement", pos: 24},
		{name: "flush rows zero", sql: "CREATE TABLE t (a INT) WITH (FLUSH_POLICY = 'rows:0')", code: apierror.InvalidSQL, msg: "invalid FLUSH_POLICY 'rows:0'", pos: 45},
		{name: "flush negative", sql: "CREATE TABLE t (a INT) WITH (FLUSH_POLICY = 'interval:-5')", code: apierror.InvalidSQL, msg: "invalid FLUSH_POLICY", pos: 45},
		// Past a century the interval overflowed a time.Duration: wrapped
		// small, the table flushed at every check; wrapped negative, never.
		{name: "flush interval range", sql: "CREATE TABLE t (a INT) WITH (FLUSH_POLICY = 'rows:5,interval:3153600001')", code: apierror.InvalidSQL, msg: "FLUSH_POLICY interval 3153600001 is out of range (at most 3153600000, a century)", pos: 45},
		{name: "flush unknown key", sql: "CREATE TABLE t (a INT) WITH (FLUSH_POLICY = 'bytes:10')", code: apierror.InvalidSQL, msg: "invalid FLUSH_POLICY", pos: 45},
		{name: "flush repeated key", sql: "CREATE TABLE t (a INT) WITH (FLUSH_POLICY = 'rows:1,rows:2')", code: apierror.InvalidSQL, msg: "invalid FLUSH_POLICY", pos: 45},
		{name: "flush three parts", sql: "CREATE TABLE t (a INT) WITH (FLUSH_POLICY = 'rows:1,interval:2,rows:3')", code: apierror.InvalidSQL, msg: "invalid FLUSH_POLICY", pos: 45},
		{name: "flush empty", sql: "CREATE TABLE t (a INT) WITH (FLUSH_POLICY = '')", code: apierror.InvalidSQL, msg: "invalid FLUSH_POLICY", pos: 45},
		{name: "flush no number", sql: "CREATE TABLE t (a INT) WITH (FLUSH_POLICY = 'rows:')", code: apierror.InvalidSQL, msg: "invalid FLUSH_POLICY", pos: 45},
		{name: "flush bare number", sql: "CREATE TABLE t (a INT) WITH (FLUSH_POLICY = 100)", code: apierror.InvalidSQL, msg: "invalid FLUSH_POLICY '100'", pos: 45},
		{name: "retention negative", sql: "CREATE TABLE t (a INT) WITH (DELETED_RETENTION_HOURS = -1)", code: apierror.InvalidSQL, msg: "DELETED_RETENTION_HOURS must not be negative, got -1", pos: 56},
		{name: "retention fraction", sql: "CREATE TABLE t (a INT) WITH (DELETED_RETENTION_HOURS = 1.5)", code: apierror.InvalidSQL, msg: "must be an integer, got '1.5'", pos: 56},
		{name: "retention word", sql: "CREATE TABLE t (a INT) WITH (DELETED_RETENTION_HOURS = forever)", code: apierror.InvalidSQL, msg: "must be an integer, got 'forever'", pos: 56},
		{name: "ttl zero", sql: "CREATE STREAM TABLE t (a INT) WITH (TTL_SECONDS = 0)", code: apierror.InvalidSQL, msg: "TTL_SECONDS must be positive, got 0", pos: 51},
		{name: "max buffer range", sql: "CREATE STREAM TABLE t (a INT) WITH (MAX_BUFFER = 99999999999999999999)", code: apierror.InvalidSQL, msg: "MAX_BUFFER 99999999999999999999 is out of range", pos: 50},
		{name: "ephemeral bad", sql: "CREATE STREAM TABLE t (a INT) WITH (EPHEMERAL = 1)", code: apierror.InvalidSQL, msg: "EPHEMERAL must be true or false, got '1'", pos: 49},
		{name: "access level bad", sql: "CREATE SHARED TABLE t (a INT) WITH (ACCESS_LEVEL = 'OPEN')", code: apierror.InvalidSQL, msg: "invalid ACCESS_LEVEL 'OPEN'", pos: 52},
		{name: "storage id bad", sql: "CREATE TABLE t (a INT) WITH (STORAGE_ID = 'my storage')", code: apierror.InvalidSQL, msg: "invalid STORAGE_ID 'my storage'", pos: 43},
		{name: "ttl on user table", sql: "CREATE TABLE t (a INT) WITH (TTL_SECONDS = 5)", code: apierror.InvalidSQL, msg: "TTL_SECONDS applies to STREAM tables only, not to USER tables", pos: 30},
		{name: "max buffer on shared", sql: "CREATE SHARED TABLE t (a INT) WITH (MAX_BUFFER = 5)", code: apierror.InvalidSQL, msg: "MAX_BUFFER applies to STREAM tables only", pos: 37},
		{name: "ephemeral on user", sql: "CREATE USER TABLE t (a INT) WITH (EPHEMERAL = true)", code: apierror.InvalidSQL, msg: "EPHEMERAL applies to STREAM tables only", pos: 35},
		{name: "access level on user", sql: "CREATE TABLE t (a INT) WITH (ACCESS_LEVEL = 'PUBLIC')", code: apierror.InvalidSQL, msg: "ACCESS_LEVEL applies to SHARED tables only, not to USER tables", pos: 30},
		{name: "access level on stream via option", sql: "CREATE TABLE t (a INT) WITH (ACCESS_LEVEL = 'PUBLIC', TYPE = 'STREAM')", code: apierror.InvalidSQL, msg: "not to STREAM tables", pos: 30},
		{name: "flush policy on stream", sql: "CREATE STREAM TABLE t (a INT) WITH (FLUSH_POLICY = 'rows:5')", code: apierror.InvalidSQL, msg: "FLUSH_POLICY does not apply to STREAM tables", pos: 37},
		{name: "storage on stream", sql: "CREATE STREAM TABLE t (a INT) WITH (STORAGE_ID = 'local')", code: apierror.InvalidSQL, msg: "STORAGE_ID does not apply to STREAM tables", pos: 37},
		{name: "retention on stream", sql: "CREATE STREAM TABLE t (a INT) WITH (DELETED_RETENTION_HOURS = 1)", code: apierror.InvalidSQL, msg: "DELETED_RETENTION_HOURS does not apply to STREAM tables", pos: 37},
	})
}

func TestAlterTable(t *testing.T) {
	st := parseAs[*AlterTable](t, "ALTER TABLE chat.messages ADD COLUMN edited BOOLEAN NOT NULL DEFAULT false")
	if st.Op != AlterAddColumn || st.Table != (TableName{"chat", "messages"}) || st.Column == nil {
		t.Fatalf("got %+v", st)
	}
	wantCol := ColumnDef{Name: "edited", Type: DataType{Name: TypeBoolean}, NotNull: true,
		Default: &DefaultExpr{Kind: DefaultLiteral, Literal: false, Text: "false"}}
	if !reflect.DeepEqual(*st.Column, wantCol) {
		t.Fatalf("column = %+v", *st.Column)
	}

	st = parseAs[*AlterTable](t, "alter table t add tags JSON")
	if st.Op != AlterAddColumn || st.Column.Name != "tags" || st.Column.Type.Name != TypeJSON || st.Column.NotNull {
		t.Fatalf("got %+v / %+v", st, st.Column)
	}

	st = parseAs[*AlterTable](t, "ALTER TABLE t DROP COLUMN Old_Col")
	if st.Op != AlterDropColumn || st.ColumnName != "old_col" || st.Column != nil {
		t.Fatalf("got %+v", st)
	}
	st = parseAs[*AlterTable](t, "ALTER TABLE t DROP c")
	if st.Op != AlterDropColumn || st.ColumnName != "c" {
		t.Fatalf("got %+v", st)
	}

	st = parseAs[*AlterTable](t, "ALTER TABLE ns.t MODIFY COLUMN n BIGINT NULL")
	if st.Op != AlterModifyColumn || st.Column.Name != "n" || st.Column.Type.Name != TypeBigInt || st.Column.NotNull {
		t.Fatalf("got %+v / %+v", st, st.Column)
	}
	st = parseAs[*AlterTable](t, "ALTER TABLE t MODIFY n VARCHAR(100) NOT NULL")
	if st.Op != AlterModifyColumn || st.Column.Type != (DataType{Name: TypeText, MaxLength: 100}) || !st.Column.NotNull {
		t.Fatalf("got %+v", st.Column)
	}

	st = parseAs[*AlterTable](t, "ALTER TABLE t SET TBLPROPERTIES (ACCESS_LEVEL = 'restricted', 'flush_policy' = 'rows:10')")
	want := TableOptions{AccessLevel: "RESTRICTED", FlushPolicy: &FlushPolicy{Rows: 10}}
	if st.Op != AlterSetProperties || !reflect.DeepEqual(st.Options, want) {
		t.Fatalf("got %+v", st.Options)
	}
	// The table type is not known here, so no fit check: the executor has it.
	st = parseAs[*AlterTable](t, "ALTER TABLE t SET TBLPROPERTIES (TTL_SECONDS = 30, DELETED_RETENTION_HOURS = 1)")
	if *st.Options.TTLSeconds != 30 || *st.Options.DeletedRetentionHours != 1 {
		t.Fatalf("got %+v", st.Options)
	}

	runErrCases(t, []errCase{
		{sql: "ALTER TABLE t", code: apierror.InvalidSQL, msg: "at end of input: expected ADD, DROP, MODIFY or SET TBLPROPERTIES", pos: 14},
		{sql: "ALTER TABLE t RENAME TO u", code: apierror.InvalidSQL, msg: "near 'RENAME': expected ADD, DROP, MODIFY or SET TBLPROPERTIES", pos: 15},
		{sql: "ALTER TABLE t ADD COLUMN _seq BIGINT", code: apierror.InvalidSQL, msg: "'_seq' is reserved", pos: 26},
		{sql: "ALTER TABLE t DROP COLUMN _deleted", code: apierror.InvalidSQL, msg: "'_deleted' is reserved", pos: 27},
		{sql: "ALTER TABLE t ADD COLUMN id BIGINT PRIMARY KEY", code: apierror.InvalidSQL, msg: "PRIMARY KEY can only be declared by CREATE TABLE", pos: 36},
		{sql: "ALTER TABLE t MODIFY COLUMN a INT DEFAULT 1", code: apierror.InvalidSQL, msg: "MODIFY COLUMN cannot set a DEFAULT", pos: 35},
		{sql: "ALTER TABLE ns.t ADD COLUMN a INT DEFAULT 1 DEFAULT 2", code: apierror.InvalidSQL, msg: `multiple default values specified for column "a" of table "t"`, pos: 45},
		{sql: "ALTER TABLE t ADD COLUMN a INT NULL NOT NULL", code: apierror.InvalidSQL, msg: `conflicting NULL/NOT NULL declarations for column "a" of table "t"`, pos: 37},
		{sql: "ALTER TABLE t MODIFY COLUMN a INT PRIMARY KEY", code: apierror.InvalidSQL, msg: "PRIMARY KEY can only be declared", pos: 35},
		{sql: "ALTER TABLE t ADD COLUMN a", code: apierror.InvalidSQL, msg: "at end of input: expected a column type", pos: 27},
		{sql: "ALTER TABLE t ADD COLUMN a INT, b INT", code: apierror.InvalidSQL, msg: "near ',': expected end of statement", pos: 31},
		{sql: "ALTER TABLE t SET ACCESS_LEVEL = 'PUBLIC'", code: apierror.InvalidSQL, msg: "near 'ACCESS_LEVEL': expected TBLPROPERTIES", pos: 19},
		{sql: "ALTER TABLE t SET TBLPROPERTIES (TYPE = 'SHARED')", code: apierror.InvalidSQL, msg: "table type cannot be changed", pos: 34},
		{sql: "ALTER TABLE t SET TBLPROPERTIES ()", code: apierror.InvalidSQL, msg: "option list is empty", pos: 34},
		{sql: "ALTER TABLE t SET TBLPROPERTIES (FLUSH_POLICY = 'rows:x')", code: apierror.InvalidSQL, msg: "invalid FLUSH_POLICY", pos: 49},
	})
}

func TestDropShowDescribeTable(t *testing.T) {
	drop := parseAs[*DropTable](t, "DROP TABLE IF EXISTS Chat.Messages")
	if drop.Table != (TableName{"chat", "messages"}) || !drop.IfExists || drop.TableType != "" {
		t.Fatalf("got %+v", drop)
	}
	for sql, tt := range map[string]TableType{
		"DROP USER TABLE t":   TableTypeUser,
		"drop shared table t": TableTypeShared,
		"DROP STREAM TABLE t": TableTypeStream,
	} {
		drop = parseAs[*DropTable](t, sql)
		if drop.TableType != tt || drop.IfExists || drop.Table.Name != "t" {
			t.Fatalf("%q: got %+v", sql, drop)
		}
	}

	show := parseAs[*ShowTables](t, "SHOW TABLES")
	if show.Namespace != "" {
		t.Fatalf("got %+v", show)
	}
	for _, sql := range []string{"SHOW TABLES IN chat", "show tables in namespace Chat", "SHOW TABLES FROM chat"} {
		if show = parseAs[*ShowTables](t, sql); show.Namespace != "chat" {
			t.Fatalf("%q: got %+v", sql, show)
		}
	}
	// A namespace called "namespace" must be quoted.
	if show = parseAs[*ShowTables](t, `SHOW TABLES IN "namespace"`); show.Namespace != "namespace" {
		t.Fatalf("got %+v", show)
	}

	desc := parseAs[*DescribeTable](t, "DESCRIBE TABLE chat.messages")
	if desc.Table != (TableName{"chat", "messages"}) || desc.History {
		t.Fatalf("got %+v", desc)
	}
	desc = parseAs[*DescribeTable](t, "desc table t history")
	if desc.Table.Name != "t" || !desc.History {
		t.Fatalf("got %+v", desc)
	}
	desc = parseAs[*DescribeTable](t, "DESCRIBE messages")
	if desc.Table.Name != "messages" {
		t.Fatalf("got %+v", desc)
	}
	if desc = parseAs[*DescribeTable](t, "DESCRIBE \"table\" HISTORY"); desc.Table.Name != "table" || !desc.History {
		t.Fatalf("got %+v", desc)
	}

	stats := parseAs[*ShowStats](t, "SHOW STATS FOR TABLE chat.messages")
	if stats.Table != (TableName{"chat", "messages"}) {
		t.Fatalf("got %+v", stats)
	}
	if stats = parseAs[*ShowStats](t, "show stats for table T"); stats.Table.Name != "t" {
		t.Fatalf("got %+v", stats)
	}

	runErrCases(t, []errCase{
		{sql: "DROP TABLE", code: apierror.InvalidSQL, msg: "at end of input: expected table name", pos: 11},
		{sql: "DROP TABLE IF t", code: apierror.InvalidSQL, msg: "near 't': expected EXISTS", pos: 15},
		{sql: "DROP TABLE a, b", code: apierror.InvalidSQL, msg: "near ',': expected end of statement", pos: 13},
		{sql: "DROP TABLE t CASCADE", code: apierror.InvalidSQL, msg: "near 'CASCADE'", pos: 14},
		{sql: "SHOW TABLES IN", code: apierror.InvalidSQL, msg: "expected namespace name", pos: 15},
		{sql: "SHOW TABLES LIKE 'a%'", code: apierror.InvalidSQL, msg: "near 'LIKE': expected end of statement", pos: 13},
		{sql: "DESCRIBE TABLE t FULL", code: apierror.InvalidSQL, msg: "near 'FULL'", pos: 18},
		{sql: "DESCRIBE", code: apierror.InvalidSQL, msg: "expected table name", pos: 9},
		{sql: "SHOW STATS t", code: apierror.InvalidSQL, msg: "near 't': expected FOR", pos: 12},
		{sql: "SHOW STATS FOR TABLE", code: apierror.InvalidSQL, msg: "expected table name", pos: 21},
		{sql: "SHOW STATS FOR t", code: apierror.InvalidSQL, msg: "near 't': expected TABLE", pos: 16},
		{sql: "SHOW TABLES IN namespace", code: apierror.InvalidSQL, msg: "at end of input: expected namespace name", pos: 25},
		{sql: "DESCRIBE TABLE", code: apierror.InvalidSQL, msg: "at end of input: expected table name", pos: 15},
	})
}
