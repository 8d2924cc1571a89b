package dialect

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// parseAs parses one statement and asserts its Go type.
func parseAs[T Statement](t *testing.T, sql string) T {
	t.Helper()
	st, err := ParseOne(sql)
	if err != nil {
		t.Fatalf("ParseOne(%q): unexpected error %v", sql, err)
	}
	got, ok := st.(T)
	if !ok {
		var zero T
		t.Fatalf("ParseOne(%q) = %T, want %T", sql, st, zero)
	}
	return got
}

// errCase is an input that must fail. pos is the expected 1-based position
// in Details (0: do not check); msg a substring of the message.
type errCase struct {
	name string
	sql  string
	code apierror.Code
	msg  string
	pos  int
}

// checkErr asserts that err is an *apierror.Error with the expected code,
// message substring and position.
func checkErr(t *testing.T, sql string, err error, code apierror.Code, msg string, pos int) {
	t.Helper()
	if err == nil {
		t.Fatalf("%q: expected %s error containing %q, got success", sql, code, msg)
	}
	var ae *apierror.Error
	if !errors.As(err, &ae) {
		t.Fatalf("%q: error %v (%T) is not an *apierror.Error", sql, err, err)
	}
	if ae.Code != code {
		t.Fatalf("%q: code = %s (%s), want %s", sql, ae.Code, ae.Message, code)
	}
	if !strings.Contains(ae.Message, msg) {
		t.Fatalf("%q: message %q does not contain %q", sql, ae.Message, msg)
	}
	if pos != 0 {
		d, ok := ae.Details.(map[string]any)
		if !ok {
			t.Fatalf("%q: details = %#v, want a position", sql, ae.Details)
		}
		if d["position"] != pos {
			t.Fatalf("%q: position = %v, want %d (message %q)", sql, d["position"], pos, ae.Message)
		}
	}
}

func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		name := tc.name
		if name == "" {
			name = tc.sql
		}
		t.Run(name, func(t *testing.T) {
			_, err := ParseOne(tc.sql)
			checkErr(t, tc.sql, err, tc.code, tc.msg, tc.pos)
		})
	}
}

func TestStandardSQLClassification(t *testing.T) {
	cases := []struct {
		sql  string
		kind Kind
		text string
	}{
		{"SELECT * FROM chat.messages WHERE conversation_id = $1", KindSelect, ""},
		{"select 1", KindSelect, ""},
		{"SeLeCt 1", KindSelect, ""},
		{"  SELECT 1  ", KindSelect, "SELECT 1"},
		{"SELECT 1;", KindSelect, "SELECT 1"},
		{"SELECT 1 ;; ; -- done", KindSelect, "SELECT 1"},
		{"/* leading */ SELECT 1 /* trailing */", KindSelect, "SELECT 1"},
		{"SELECT /* inner; comment */ 1", KindSelect, ""},
		{"SELECT 1 -- trailing; comment", KindSelect, "SELECT 1"},
		{"SELECT 'a||b', \"x||y\" FROM t", KindSelect, ""},
		{"SELECT a /* || */ FROM t", KindSelect, ""},
		{"SELECT /* +1 */ a FROM t /**/", KindSelect, "SELECT /* +1 */ a FROM t"},
		{"SELECT a FROM t -- || \n WHERE b = 'it''s'", KindSelect, ""},
		{"SELECT * FROM t WHERE a = ? AND b = $2", KindSelect, ""},
		{"(SELECT 1) UNION (SELECT 2)", KindSelect, ""},
		{"((SELECT 1))", KindSelect, ""},
		{"VALUES (1), (2)", KindSelect, ""},
		{"WITH x AS (SELECT 1) SELECT * FROM x", KindSelect, ""},
		{"WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM x WHERE n < 5) SELECT * FROM x", KindSelect, ""},
		{"WITH x AS (SELECT 1), y AS (SELECT 2) SELECT * FROM x, y", KindSelect, ""},
		{"WITH x AS (SELECT 1) (SELECT * FROM x)", KindSelect, ""},
		{"WITH x AS (SELECT id FROM t) DELETE FROM t WHERE id IN (SELECT id FROM x)", KindDelete, ""},
		{"WITH x AS (SELECT 1) UPDATE t SET a = 1", KindUpdate, ""},
		{"WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", KindInsert, ""},
		{"INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')", KindInsert, ""},
		{"INSERT INTO t SELECT * FROM u", KindInsert, ""},
		{"insert into t values (1)", KindInsert, ""},
		{"UPDATE t SET a = (SELECT max(b) FROM u) WHERE id = 1", KindUpdate, ""},
		{"DELETE FROM t WHERE id = 1", KindDelete, ""},
		{"EXPLAIN SELECT * FROM t", KindSelect, ""},
		{"explain (SELECT 1)", KindSelect, ""},
		{"EXPLAIN WITH x AS (SELECT 1) SELECT * FROM x", KindSelect, ""},
		{"SELECT CONCAT(a, b) FROM t", KindSelect, ""},
		{"SELECT a FROM t WHERE b = 'C:\\\\'", KindSelect, ""}, // two backslashes: same cut in both tokenizers
		{"SELECT a || b, 'C:\\temp' FROM t", KindSelect, ""},   // PostgreSQL's concatenation and an ordinary backslash
		{"SELECT E'it\\'s; fine', $$a;b$$ FROM t", KindSelect, ""},
		{"SELECT 1 /* a /* nested; */ still */ FROM t", KindSelect, ""},
		{"SELECT a #>> '{x}', @ -5 FROM t", KindSelect, ""}, // operators PostgreSQL's parser judges
		{"SELECT a -- comment\n FROM t", KindSelect, ""},
		{"SELECT a --\n FROM t", KindSelect, ""},
		{"SELECT a --- trailing", KindSelect, "SELECT a"},
		{"SELECT SNOWFLAKE_ID(), UUID_V7(), ULID(), CURRENT_USER(), NOW()", KindSelect, ""},
		{"SELECT * FROM t WHERE a <> 1 AND b >= 2", KindSelect, ""},
	}
	for _, tc := range cases {
		t.Run(tc.sql, func(t *testing.T) {
			st := parseAs[*StandardSQL](t, tc.sql)
			if st.Kind() != tc.kind {
				t.Fatalf("kind = %s, want %s", st.Kind(), tc.kind)
			}
			want := tc.text
			if want == "" {
				want = strings.TrimSpace(tc.sql)
			}
			if st.Text() != want {
				t.Fatalf("text = %q, want %q", st.Text(), want)
			}
			if !st.Kind().IsDML() {
				t.Fatalf("kind %s is not DML", st.Kind())
			}
		})
	}
}

func TestStandardSQLRejections(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "mysql executable comment", sql: "SELECT 1 /*! INTO OUTFILE '/tmp/x' */ FROM t", code: apierror.InvalidSQL, msg: "executable comments", pos: 10},
		{name: "trailing executable comment", sql: "SELECT 1 /*! 50000 x */", code: apierror.InvalidSQL, msg: "executable comments", pos: 10},
		{name: "optimizer hint", sql: "SELECT /*+ NO_INDEX(t) */ a FROM t", code: apierror.InvalidSQL, msg: "optimizer hints", pos: 8},
		{name: "hint in a KalamDB statement", sql: "SHOW TABLES /*+ x */", code: apierror.InvalidSQL, msg: "optimizer hints", pos: 13},
		{name: "backtick identifier", sql: "SELECT `weird``name` FROM t", code: apierror.InvalidSQL, msg: "double quotes", pos: 8},
		{name: "second statement", sql: "SELECT 1; DELETE FROM t", code: apierror.InvalidSQL, msg: "only one statement", pos: 9},
		{name: "explain analyze", sql: "EXPLAIN ANALYZE SELECT 1", code: apierror.Unsupported, msg: "EXPLAIN ANALYZE is not supported", pos: 9},
		{name: "explain analyse", sql: "explain analyse select 1", code: apierror.Unsupported, msg: "EXPLAIN ANALYZE is not supported", pos: 9},
		{name: "explain verbose", sql: "EXPLAIN VERBOSE SELECT 1", code: apierror.Unsupported, msg: "EXPLAIN VERBOSE is not supported", pos: 9},
		{name: "explain options", sql: "EXPLAIN (ANALYZE, BUFFERS) SELECT 1", code: apierror.Unsupported, msg: "EXPLAIN options are not supported", pos: 10},
		{name: "explain options after comment", sql: "EXPLAIN /* x */ (FORMAT JSON) SELECT 1", code: apierror.Unsupported, msg: "EXPLAIN options are not supported", pos: 18},
		{name: "explain delete", sql: "EXPLAIN DELETE FROM t", code: apierror.Unsupported, msg: "EXPLAIN is supported for queries only (EXPLAIN SELECT ...): EXPLAIN DELETE is not", pos: 9},
		{name: "explain insert", sql: "EXPLAIN INSERT INTO t VALUES (1)", code: apierror.Unsupported, msg: "EXPLAIN INSERT is not", pos: 9},
		{name: "explain with delete", sql: "EXPLAIN WITH x AS (SELECT 1) DELETE FROM t", code: apierror.Unsupported, msg: "EXPLAIN is supported for queries only", pos: 1},
		{name: "explain word", sql: "EXPLAIN PLAN FOR SELECT 1", code: apierror.InvalidSQL, msg: "near 'PLAN': expected SELECT", pos: 9},
		{name: "explain alone", sql: "EXPLAIN", code: apierror.InvalidSQL, msg: "syntax error at end of input: expected SELECT", pos: 8},
		{name: "with alone", sql: "WITH x AS (SELECT 1)", code: apierror.InvalidSQL, msg: "expected SELECT, INSERT, UPDATE or DELETE", pos: 21},
		{name: "paren insert", sql: "(INSERT INTO t VALUES (1))", code: apierror.InvalidSQL, msg: "near 'INSERT': expected SELECT", pos: 2},
		{name: "paren string", sql: "('x')", code: apierror.InvalidSQL, msg: "expected SELECT", pos: 2},
		{name: "unterminated string", sql: "SELECT 'abc", code: apierror.InvalidSQL, msg: "unterminated string literal starting at position 8", pos: 8},
		{name: "unterminated comment", sql: "SELECT 1 /* abc", code: apierror.InvalidSQL, msg: "unterminated block comment", pos: 10},
		{name: "unterminated identifier", sql: "SELECT \"abc", code: apierror.InvalidSQL, msg: "unterminated quoted identifier", pos: 8},
	})
}

func TestUnsupportedStatements(t *testing.T) {
	runErrCases(t, []errCase{
		{sql: "LOAD DATA INFILE '/etc/passwd' INTO TABLE t", code: apierror.InvalidSQL, msg: "unsupported statement: LOAD DATA", pos: 1},
		{sql: "GRANT SELECT ON t TO bob", code: apierror.InvalidSQL, msg: "unsupported statement: GRANT", pos: 1},
		{sql: "REVOKE ALL ON t FROM bob", code: apierror.InvalidSQL, msg: "unsupported statement: REVOKE"},
		{sql: "CREATE DATABASE d", code: apierror.InvalidSQL, msg: "unsupported statement: CREATE DATABASE (use CREATE NAMESPACE)", pos: 1},
		{sql: "DROP DATABASE d", code: apierror.InvalidSQL, msg: "DROP DATABASE (use DROP NAMESPACE)"},
		{sql: "SET GLOBAL max_connections = 1", code: apierror.InvalidSQL, msg: "unsupported statement: SET GLOBAL", pos: 1},
		{sql: "SET @x = 1", code: apierror.InvalidSQL, msg: "unsupported statement: SET"},
		{sql: "LOCK TABLES t WRITE", code: apierror.InvalidSQL, msg: "unsupported statement: LOCK"},
		{sql: "CREATE MATERIALIZED VIEW v AS SELECT 1", code: apierror.InvalidSQL, msg: "unsupported statement: CREATE MATERIALIZED"},
		{sql: "CREATE OR REPLACE FUNCTION f() RETURNS int AS 'select 1'", code: apierror.InvalidSQL, msg: "unsupported statement: CREATE OR REPLACE FUNCTION (OR REPLACE applies to views only)"},
		{sql: "CREATE UNIQUE INDEX i ON t (a)", code: apierror.InvalidSQL, msg: "UNIQUE indexes are not supported", pos: 8},
		{sql: "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET x = 1", code: apierror.InvalidSQL, msg: "unsupported statement: CREATE TRIGGER"},
		{sql: "CREATE PROCEDURE p() SELECT 1", code: apierror.InvalidSQL, msg: "unsupported statement: CREATE PROCEDURE"},
		{sql: "ALTER DATABASE d READ ONLY", code: apierror.InvalidSQL, msg: "unsupported statement: ALTER DATABASE"},
		{sql: "TRUNCATE TABLE t", code: apierror.InvalidSQL, msg: "unsupported statement: TRUNCATE"},
		{sql: "REPLACE INTO t VALUES (1)", code: apierror.InvalidSQL, msg: "unsupported statement: REPLACE"},
		{sql: "CALL p()", code: apierror.InvalidSQL, msg: "unsupported statement: CALL"},
		{sql: "PREPARE s FROM 'SELECT 1'", code: apierror.InvalidSQL, msg: "unsupported statement: PREPARE"},
		{sql: "EXECUTE s", code: apierror.InvalidSQL, msg: "unsupported statement: EXECUTE (only EXECUTE AS USER is supported)"},
		{sql: "SHOW DATABASES", code: apierror.InvalidSQL, msg: "SHOW DATABASES (use SHOW NAMESPACES)"},
		{sql: "SHOW CREATE TABLE t", code: apierror.InvalidSQL, msg: "unsupported statement: SHOW CREATE"},
		{sql: "TABLE t", code: apierror.InvalidSQL, msg: "unsupported statement: TABLE"},
		{sql: "SAVEPOINT a", code: apierror.InvalidSQL, msg: "unsupported statement: SAVEPOINT"},
		{sql: "FROBNICATE everything", code: apierror.InvalidSQL, msg: "syntax error at position 1 near 'FROBNICATE'", pos: 1},
		{sql: "42", code: apierror.InvalidSQL, msg: "syntax error at position 1 near '42': expected a statement", pos: 1},
		{sql: "  ) SELECT", code: apierror.InvalidSQL, msg: "near ')'", pos: 3},
	})
}

func TestEmptyInput(t *testing.T) {
	for _, sql := range []string{"", "   ", "\n\t", "-- only a comment", "/* block */", ";", " ; ;; ", "-- a\n/* b */ ;"} {
		_, err := ParseOne(sql)
		checkErr(t, sql, err, apierror.EmptySQL, "no statement", 0)
		_, err = Parse(sql)
		checkErr(t, sql, err, apierror.EmptySQL, "no statement", 0)
	}
}

func TestTransactions(t *testing.T) {
	cases := []struct {
		sql  string
		kind Kind
	}{
		{"BEGIN", KindBegin},
		{"begin transaction", KindBegin},
		{"BEGIN WORK", KindBegin},
		{"START TRANSACTION", KindBegin},
		{"COMMIT", KindCommit},
		{"commit work;", KindCommit},
		{"COMMIT TRANSACTION", KindCommit},
		{"ROLLBACK", KindRollback},
		{"ROLLBACK WORK", KindRollback},
	}
	for _, tc := range cases {
		st, err := ParseOne(tc.sql)
		if err != nil {
			t.Fatalf("%q: %v", tc.sql, err)
		}
		if st.Kind() != tc.kind {
			t.Fatalf("%q: kind %s, want %s", tc.sql, st.Kind(), tc.kind)
		}
		if st.Text() != strings.TrimSuffix(tc.sql, ";") {
			t.Fatalf("%q: text %q", tc.sql, st.Text())
		}
	}
	runErrCases(t, []errCase{
		{sql: "START", code: apierror.InvalidSQL, msg: "syntax error at end of input: expected TRANSACTION", pos: 6},
		{sql: "BEGIN TRANSACTION READ ONLY", code: apierror.InvalidSQL, msg: "near 'READ': expected end of statement", pos: 19},
		{sql: "ROLLBACK TO SAVEPOINT a", code: apierror.InvalidSQL, msg: "near 'TO'", pos: 10},
	})
}

func TestParseBatch(t *testing.T) {
	sql := "BEGIN;\n" +
		"INSERT INTO chat.messages (id, content) VALUES (1, 'hi; there');\n" +
		"-- a comment; with a semicolon\n" +
		"UPDATE chat.messages SET content = 'it''s' WHERE id = 1;\n" +
		"/* block; */ SELECT * FROM chat.messages;\n" +
		"COMMIT;"
	stmts, err := Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	wantKinds := []Kind{KindBegin, KindInsert, KindUpdate, KindSelect, KindCommit}
	wantTexts := []string{
		"BEGIN",
		"INSERT INTO chat.messages (id, content) VALUES (1, 'hi; there')",
		"UPDATE chat.messages SET content = 'it''s' WHERE id = 1",
		"SELECT * FROM chat.messages",
		"COMMIT",
	}
	if len(stmts) != len(wantKinds) {
		t.Fatalf("got %d statements, want %d", len(stmts), len(wantKinds))
	}
	for i, st := range stmts {
		if st.Kind() != wantKinds[i] || st.Text() != wantTexts[i] {
			t.Errorf("statement %d = %s %q, want %s %q", i, st.Kind(), st.Text(), wantKinds[i], wantTexts[i])
		}
	}
}

// Positions reported by Parse are relative to the whole batch, by ParseOne
// to its own text; line and column follow the batch's lines.
func TestErrorPositionsInBatch(t *testing.T) {
	sql := "SELECT 1;\nCREATE TABLE t (a INTT);"
	_, err := Parse(sql)
	checkErr(t, sql, err, apierror.InvalidSQL, "type \"intt\" does not exist", 29)
	d := err.(*apierror.Error).Details.(map[string]any)
	if d["line"] != 2 || d["column"] != 19 {
		t.Fatalf("line/column = %v/%v, want 2/19", d["line"], d["column"])
	}

	_, err = ParseOne("CREATE TABLE t (a INTT)")
	checkErr(t, "", err, apierror.InvalidSQL, "type \"intt\" does not exist", 19)

	// Syntax errors name the batch position in the message as well.
	sql = "SHOW TABLES;\nSHOW TABLES IN;\n"
	_, err = Parse(sql)
	checkErr(t, sql, err, apierror.InvalidSQL, "syntax error at end of input: expected namespace name", 28)

	sql = "SELECT 1; CREATE NAMESPACE FORM x"
	_, err = Parse(sql)
	checkErr(t, sql, err, apierror.InvalidSQL, "syntax error at position 33 near 'x': expected end of statement", 33)

	// Columns count characters, not bytes.
	sql = "-- é\nSELECT 'é' /*! x */"
	_, err = Parse(sql)
	checkErr(t, sql, err, apierror.InvalidSQL, "executable comments", 19)
	d = err.(*apierror.Error).Details.(map[string]any)
	if d["line"] != 2 || d["column"] != 12 {
		t.Fatalf("line/column = %v/%v, want 2/12", d["line"], d["column"])
	}

	// The first failing statement stops the batch.
	sql = "SELECT 1; SELECT a /*!*/; DROP TABLE nope.x extra"
	_, err = Parse(sql)
	checkErr(t, sql, err, apierror.InvalidSQL, "executable comments", 20)
}

func TestSyntaxErrorSnippetIsBounded(t *testing.T) {
	long := strings.Repeat("x", 500)
	_, err := ParseOne("CREATE NAMESPACE a '" + long + "'")
	checkErr(t, "", err, apierror.InvalidSQL, "syntax error at position 20 near ''xxx", 20)
	if msg := err.(*apierror.Error).Message; len(msg) > 120 || !strings.Contains(msg, "x…") {
		t.Fatalf("message not truncated: %q", msg)
	}
	_, err = ParseOne("CREATE NAMESPACE a 'line1\nline2'")
	if msg := err.(*apierror.Error).Message; strings.Contains(msg, "\n") {
		t.Fatalf("message contains a newline: %q", msg)
	}
}

// An error found later in a standard statement's text (by the PostgreSQL
// front end) is located in the whole request.
func TestStandardSQLLocateError(t *testing.T) {
	sql := "SELECT 1;\n  -- é\n  SELECT 'é', x FORM t"
	stmts, err := Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	st := stmts[1].(*StandardSQL)
	// "FORM" is at byte 16 (1-based) of the statement's text.
	located := st.LocateError(apierror.New(apierror.InvalidSQL, "syntax error").WithDetails(map[string]any{"position": 16}))
	d := located.(*apierror.Error).Details.(map[string]any)
	want := strings.Index(sql, "FORM") + 1
	if d["position"] != want || d["line"] != 3 || d["column"] != 17 {
		t.Fatalf("details = %v, want position %d line 3 column 17", d, want)
	}
	other := apierror.New(apierror.InvalidSQL, "no position")
	if st.LocateError(other) != error(other) {
		t.Fatal("an error without a position changed")
	}
}

func TestNewStandardSQL(t *testing.T) {
	st := NewStandardSQL(KindSelect, "  SELECT 1 \n")
	if st.Kind() != KindSelect || st.Text() != "SELECT 1" {
		t.Fatalf("got %s %q", st.Kind(), st.Text())
	}
	var _ Statement = st
}

// Every statement kind the parser can return has a name, and the DDL/DML
// predicates agree with the statements that produce them.
func TestKindsOfParsedStatements(t *testing.T) {
	samples := map[string]Kind{
		"CREATE NAMESPACE a":                         KindCreateNamespace,
		"DROP NAMESPACE a":                           KindDropNamespace,
		"ALTER NAMESPACE a SET DESCRIPTION 'x'":      KindAlterNamespace,
		"USE a":                                      KindUseNamespace,
		"SHOW NAMESPACES":                            KindShowNamespaces,
		"CREATE TABLE t (a INT)":                     KindCreateTable,
		"ALTER TABLE t DROP COLUMN a":                KindAlterTable,
		"DROP TABLE t":                               KindDropTable,
		"SHOW TABLES":                                KindShowTables,
		"DESCRIBE TABLE t":                           KindDescribeTable,
		"SHOW STATS FOR TABLE t":                     KindShowStats,
		"CREATE USER 'a' WITH PASSWORD 'p' ROLE dba": KindCreateUser,
		"ALTER USER 'a' SET ROLE user":               KindAlterUser,
		"DROP USER 'a'":                              KindDropUser,
		"CREATE STORAGE s TYPE 'filesystem'":         KindCreateStorage,
		"ALTER STORAGE s SET PATH '/x'":              KindAlterStorage,
		"DROP STORAGE s":                             KindDropStorage,
		"SHOW STORAGES":                              KindShowStorages,
		"STORAGE CHECK s":                            KindStorageCheck,
		"STORAGE FLUSH ALL":                          KindStorageFlush,
		"STORAGE COMPACT ALL":                        KindStorageCompact,
		"SHOW MANIFEST":                              KindShowManifest,
		"KILL JOB 'j'":                               KindKillJob,
		"KILL LIVE QUERY 'l'":                        KindKillLiveQuery,
		"BACKUP DATABASE a TO '/b'":                  KindBackupDatabase,
		"RESTORE DATABASE a FROM '/b'":               KindRestoreDatabase,
		"SHOW BACKUP FOR DATABASE a":                 KindShowBackup,
		"EXECUTE AS USER 'a' (SELECT 1)":             KindExecuteAs,
		"CREATE INDEX i ON t (a)":                    KindCreateIndex,
		"DROP INDEX i":                               KindDropIndex,
		"SHOW INDEXES":                               KindShowIndexes,
	}
	ddl := map[Kind]bool{KindCreateNamespace: true, KindDropNamespace: true, KindAlterNamespace: true,
		KindCreateTable: true, KindAlterTable: true, KindDropTable: true, KindCreateIndex: true, KindDropIndex: true,
		KindCreateStorage: true, KindAlterStorage: true, KindDropStorage: true}
	for sql, want := range samples {
		st, err := ParseOne(sql)
		if err != nil {
			t.Fatalf("%q: %v", sql, err)
		}
		if st.Kind() != want {
			t.Fatalf("%q: kind %s, want %s", sql, st.Kind(), want)
		}
		if st.Kind().String() == "UNKNOWN" || st.Kind().String() == "INVALID" {
			t.Fatalf("%q: kind has no name", sql)
		}
		if st.Kind().IsDDL() != ddl[want] || st.Kind().IsDML() {
			t.Fatalf("%q: IsDDL=%v IsDML=%v", sql, st.Kind().IsDDL(), st.Kind().IsDML())
		}
		if st.Text() != sql {
			t.Fatalf("%q: text %q", sql, st.Text())
		}
		if reflect.ValueOf(st).IsNil() {
			t.Fatalf("%q: nil statement", sql)
		}
	}
}

// TestExecutableCommentsRefusedEverywhere: the engine's tokenizer runs the
// text of a MySQL executable comment ('/*! ... */') and reads optimizer
// hints ('/*+ ... */') as instructions; KalamDB's lexer sees comments. So
// wherever such a comment sits (before, inside or after a statement,
// between statements, inside EXECUTE AS USER, in a KalamDB statement) the
// text is refused, with the comment's position, and never silently
// ignored in one place and refused in another.
func TestExecutableCommentsRefusedEverywhere(t *testing.T) {
	cases := []struct {
		sql string
		pos int // 1-based position of the comment
	}{
		{"/*! DROP TABLE t */ SELECT 1", 1},
		{"SELECT 1 /*! INTO OUTFILE '/tmp/x' */", 10},
		{"SELECT 1 /*!50000 , 2 */ FROM t", 10},
		{"SELECT 1 FROM t /*! WHERE 0 */", 17},
		{"SELECT 1 FROM t; /*! x */", 18},
		{"SELECT 1; /*! x */ ; SELECT 2", 11},
		{"SELECT /*+ JOIN_ORDER(b, a) */ * FROM a JOIN b ON a.id = b.id", 8},
		{"INSERT /*+ x */ INTO t VALUES (1)", 8},
		{"SELECT 1 /*+ hint */", 10},
		{"CREATE NAMESPACE /*! x */ app", 18},
		{"CREATE NAMESPACE app /*! x */", 22},
		{"/*! x */ CREATE NAMESPACE app", 1},
		{"SHOW TABLES /*+ x */", 13},
		{"EXECUTE AS USER 'alice' (SELECT 1 /*! x */)", 35},
		{"EXECUTE AS USER 'alice' (SELECT 1) /*! x */", 36},
		{"BEGIN; /*! x */ COMMIT", 8},
	}
	for _, tc := range cases {
		t.Run(tc.sql, func(t *testing.T) {
			_, err := Parse(tc.sql)
			checkErr(t, tc.sql, err, apierror.InvalidSQL, "are not supported", tc.pos)
			if !strings.Contains(tc.sql, ";") {
				_, err = ParseOne(tc.sql)
				checkErr(t, tc.sql, err, apierror.InvalidSQL, "are not supported", tc.pos)
			}
		})
	}
	// Ordinary block comments stay comments in every position, as do
	// comments that merely contain '!' or '+' later on.
	for _, ok := range []string{"/* x */ SELECT 1 /* y */", "SELECT /* ! */ 1", "SELECT 1 /* +1 */", "CREATE NAMESPACE /* x */ app /* y */"} {
		if _, err := Parse(ok); err != nil {
			t.Fatalf("%q: %v", ok, err)
		}
	}
	// An unterminated one is still a batch that cannot be cut.
	_, err := Parse("SELECT 1 /*! x")
	checkErr(t, "SELECT 1 /*! x", err, apierror.BatchParseError, "unterminated block comment", 10)
}
