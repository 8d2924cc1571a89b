package dialect

import (
	"errors"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

var fuzzSeeds = []string{
	// Standard SQL.
	"SELECT * FROM chat.messages WHERE conversation_id = $1",
	"select a, b from t where c = ? and d = 'x;y' -- c\n order by a limit 10",
	"WITH x AS (SELECT 1) DELETE FROM t WHERE id IN (SELECT * FROM x)",
	"WITH x AS (SELECT 1) (SELECT * FROM x)",
	"(SELECT 1) UNION (SELECT 2);",
	"EXPLAIN SELECT 1",
	"INSERT INTO t (a, b) VALUES (1, 'a''b'), (2, NULL)",
	"UPDATE t SET a = a + 1 WHERE id = 1",
	"DELETE FROM t",
	"VALUES (1)",
	"SELECT a || b FROM t",
	"SELECT 'a||b'",
	"SELECT * FROM t INTO OUTFILE '/tmp/x'",
	"SELECT LOAD_FILE('/etc/passwd')",
	"SELECT 1 /*! ; DROP TABLE t */",
	"SELECT 1 # x",
	"SELECT 1 --x\n",
	`SELECT 'a\' FROM t`,
	"SELECT 1; SELECT 2",
	// Batches.
	"BEGIN; INSERT INTO t VALUES (1); COMMIT;",
	"SELECT 1;; ;SELECT 2 -- end",
	"-- only a comment",
	"/* unterminated",
	"'unterminated",
	"\"unterminated",
	"`unterminated",
	"",
	";",
	// Namespaces.
	"CREATE NAMESPACE IF NOT EXISTS chat",
	"CREATE NAMESPACE system",
	"DROP NAMESPACE IF EXISTS chat CASCADE",
	"ALTER NAMESPACE chat SET DESCRIPTION 'x'",
	"USE chat", "USE NAMESPACE chat", "SET NAMESPACE chat", "SHOW NAMESPACES",
	// Tables.
	"CREATE TABLE chat.messages (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), content TEXT NOT NULL, created_at TIMESTAMP DEFAULT NOW())",
	"CREATE SHARED TABLE IF NOT EXISTS cfg (k TEXT, v JSON, PRIMARY KEY (k)) WITH (ACCESS_LEVEL = 'PUBLIC', FLUSH_POLICY = 'rows:100,interval:60')",
	"CREATE STREAM TABLE ev (id UUID DEFAULT UUID_V7(), payload JSONB) WITH (TTL_SECONDS = 10, MAX_BUFFER = 100, EPHEMERAL = true)",
	"CREATE TABLE t (a DECIMAL(10,2) DEFAULT -1.5, b VARCHAR(20) DEFAULT 'x', c DOUBLE PRECISION, d BOOLEAN DEFAULT TRUE)",
	"CREATE TABLE t (a INT) WITH (TYPE = 'STREAM', TTL_SECONDS = 1)",
	"CREATE TABLE t (a INT, a INT)",
	"CREATE TABLE t (a INT PRIMARY KEY, b INT PRIMARY KEY)",
	"CREATE TABLE t (_seq BIGINT)",
	"CREATE TABLE t (a INTT)",
	"CREATE TABLE t (a DECIMAL(40,2))",
	"CREATE TABLE t (a INT DEFAULT RANDOM())",
	"CREATE TABLE t (a INT) WITH (FLUSH_POLICY = 'rows:0')",
	"CREATE TABLE t (a INT) WITH (TTL_SECONDS = 5)",
	"CREATE TABLE t (",
	"CREATE TABLE t (a INT",
	"ALTER TABLE t ADD COLUMN c TEXT NOT NULL DEFAULT ''",
	"ALTER TABLE t DROP COLUMN c",
	"ALTER TABLE t MODIFY COLUMN c BIGINT NULL",
	"ALTER TABLE t SET TBLPROPERTIES (ACCESS_LEVEL = 'PRIVATE', FLUSH_POLICY = 'interval:5')",
	"DROP STREAM TABLE IF EXISTS ev",
	"SHOW TABLES IN NAMESPACE chat",
	"DESCRIBE TABLE chat.messages HISTORY",
	"DESC t",
	"SHOW STATS FOR TABLE chat.messages",
	// Users.
	"CREATE USER 'alice' WITH PASSWORD 'secret' ROLE service EMAIL 'a@b.c'",
	"CREATE USER IF NOT EXISTS bob WITH PASSWORD 'x' ROLE dba",
	"CREATE USER 'x' WITH PASSWORD 'p' ROLE admin",
	"ALTER USER 'alice' SET PASSWORD 'new'",
	"ALTER USER 'alice' SET ROLE user",
	"ALTER USER 'alice' SET EMAIL 'x@y'",
	"DROP USER IF EXISTS 'alice'",
	// Storages and jobs.
	"CREATE STORAGE s3 TYPE 's3' BUCKET 'b' REGION 'r' CREDENTIALS '{\"a\":1}'",
	"CREATE STORAGE fs TYPE filesystem PATH '/data' SHARED_TABLES_TEMPLATE '{namespace}/{tableName}'",
	"ALTER STORAGE fs SET PATH '/x', DESCRIPTION 'd'",
	"DROP STORAGE IF EXISTS fs", "SHOW STORAGES", "STORAGE CHECK local",
	"STORAGE FLUSH TABLE chat.messages", "STORAGE FLUSH ALL IN NAMESPACE chat", "STORAGE FLUSH ALL",
	"STORAGE COMPACT TABLE chat.messages", "STORAGE COMPACT ALL IN chat",
	"SHOW MANIFEST", "KILL JOB 'FL-1'", "KILL LIVE QUERY 'lq-1'",
	"BACKUP DATABASE chat TO '/backups/chat'", "RESTORE DATABASE chat FROM '/backups/chat'",
	"SHOW BACKUP FOR DATABASE chat",
	// Secondary indexes.
	"CREATE INDEX IF NOT EXISTS i ON chat.messages (conversation_id, id)", "CREATE UNIQUE INDEX i ON t (a)",
	"CREATE INDEX i ON t (a DESC)", "DROP INDEX IF EXISTS chat.i", "SHOW INDEXES FROM chat.messages",
	// Transactions and impersonation.
	"BEGIN", "START TRANSACTION", "COMMIT WORK", "ROLLBACK",
	"EXECUTE AS USER 'alice' (SELECT * FROM t WHERE a = ')')",
	"EXECUTE AS USER 'alice' (EXECUTE AS USER 'bob' (SELECT 1))",
	"EXECUTE AS USER 'alice' (BEGIN)",
	"EXECUTE AS USER 'alice' (SELECT 1",
	"EXECUTE AS USER 'alice' (SELECT 1) junk",
	"EXECUTE AS USER 'a' (SELECT 1;)",
	// Unsupported.
	"GRANT ALL ON t TO u", "LOAD DATA INFILE 'x' INTO TABLE t", "SET GLOBAL x = 1",
	"TRUNCATE t", "CALL p()", "LOCK TABLES t READ",
	// Odd bytes.
	"\x00", "\xff\xfe", "SELECT '\xff'", "CREATE TABLE \u212Aelvin (a INT)", "$1", "?", "(((", ")))",
}

// FuzzParse checks that no input makes the parser panic, that every error
// is a typed API error with a position inside the input, and that every
// parsed statement is well formed and reparses to itself.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		stmts, err := Parse(sql)
		if err != nil {
			checkFuzzError(t, sql, err, apierror.EmptySQL, apierror.BatchParseError, apierror.InvalidSQL)
		}
		for _, st := range stmts {
			checkFuzzStatement(t, sql, st, 0)
		}

		st, err := ParseOne(sql)
		if err != nil {
			checkFuzzError(t, sql, err, apierror.EmptySQL, apierror.InvalidSQL)
		} else {
			checkFuzzStatement(t, sql, st, 0)
		}

		segs, err := Split(sql)
		if err != nil {
			checkFuzzError(t, sql, err, apierror.EmptySQL, apierror.BatchParseError, apierror.InvalidSQL)
		}
		for _, seg := range segs {
			if seg.Text == "" || seg.Offset < 0 || seg.Offset+len(seg.Text) > len(sql) || sql[seg.Offset:seg.Offset+len(seg.Text)] != seg.Text {
				t.Fatalf("Split(%q): bad segment %+v", sql, seg)
			}
		}
	})
}

func checkFuzzError(t *testing.T, sql string, err error, codes ...apierror.Code) {
	t.Helper()
	var ae *apierror.Error
	if !errors.As(err, &ae) {
		t.Fatalf("%q: error %v (%T) is not an *apierror.Error", sql, err, err)
	}
	ok := false
	for _, c := range codes {
		ok = ok || ae.Code == c
	}
	if !ok || ae.Message == "" {
		t.Fatalf("%q: unexpected error code %q (message %q), want one of %v", sql, ae.Code, ae.Message, codes)
	}
	if ae.Details == nil {
		return
	}
	d, isMap := ae.Details.(map[string]any)
	if !isMap {
		t.Fatalf("%q: details %#v", sql, ae.Details)
	}
	pos, _ := d["position"].(int)
	line, _ := d["line"].(int)
	col, _ := d["column"].(int)
	if pos < 1 || pos > len(sql)+1 || line < 1 || col < 1 || line > strings.Count(sql, "\n")+1 {
		t.Fatalf("%q: error %q has position %v line %v column %v out of range", sql, ae.Message, d["position"], d["line"], d["column"])
	}
}

func checkFuzzStatement(t *testing.T, sql string, st Statement, depth int) {
	t.Helper()
	if st == nil {
		t.Fatalf("%q: nil statement without error", sql)
	}
	if st.Kind() == KindInvalid || st.Kind().String() == "UNKNOWN" {
		t.Fatalf("%q: statement %T has kind %v", sql, st, st.Kind())
	}
	text := st.Text()
	if text == "" || !strings.Contains(sql, text) {
		t.Fatalf("%q: statement text %q is empty or not part of the input", sql, text)
	}
	if strings.TrimSpace(text) != text {
		t.Fatalf("%q: statement text %q is not trimmed", sql, text)
	}
	// A statement's own text parses to the same statement kind and text.
	again, err := ParseOne(text)
	if err != nil {
		t.Fatalf("%q: statement text %q does not reparse: %v", sql, text, err)
	}
	if again.Kind() != st.Kind() || again.Text() != text {
		t.Fatalf("%q: reparsing %q gave %s %q, want %s", sql, text, again.Kind(), again.Text(), st.Kind())
	}
	if ea, ok := st.(*ExecuteAs); ok {
		if depth > 0 || ea.Inner == nil {
			t.Fatalf("%q: nested or empty EXECUTE AS", sql)
		}
		switch ea.Inner.Kind() {
		case KindExecuteAs, KindBegin, KindCommit, KindRollback:
			t.Fatalf("%q: EXECUTE AS wraps %s", sql, ea.Inner.Kind())
		}
		checkFuzzStatement(t, sql, ea.Inner, depth+1)
	}
}
