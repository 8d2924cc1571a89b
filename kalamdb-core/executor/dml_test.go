package executor_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// chatEnv has a chat schema and users alice and bob (role user), svc
// (service) and ops (dba).
func chatEnv(t *testing.T) (*env, *caller, *caller) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE chat;
		CREATE TABLE chat.conversations (id BIGINT PRIMARY KEY, title TEXT NOT NULL);
		CREATE TABLE chat.messages (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), conversation_id BIGINT NOT NULL,
			sender TEXT, content TEXT, created_at TIMESTAMP DEFAULT NOW(), is_read BOOLEAN DEFAULT FALSE);
		CREATE SHARED TABLE chat.rooms (id INT PRIMARY KEY, name TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
		CREATE SHARED TABLE chat.audit (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), note TEXT);
		CREATE SHARED TABLE chat.vault (id INT PRIMARY KEY, secret TEXT) WITH (ACCESS_LEVEL = 'RESTRICTED');
		CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'pw' ROLE user;
		CREATE USER 'svc' WITH PASSWORD 'pw' ROLE service;
		CREATE USER 'ops' WITH PASSWORD 'pw' ROLE dba`)
	return e, e.user("alice"), e.user("bob")
}

func TestInsertForms(t *testing.T) {
	_, alice, _ := chatEnv(t)
	alice.must("INSERT INTO chat.conversations VALUES (1, 'one')")
	alice.must("INSERT INTO chat.conversations (title, id) VALUES ('two', 2), ('three', 3)")
	alice.must("INSERT INTO chat.conversations (id, title) VALUES ($1, $2)", 4, "four")
	alice.must("INSERT INTO chat.conversations (id, title) VALUES (?, ?)", 5, "five")
	if got := alice.rows("SELECT id, title FROM chat.conversations ORDER BY id"); got != `[[1,"one"],[2,"two"],[3,"three"],[4,"four"],[5,"five"]]` {
		t.Fatalf("conversations: %s", got)
	}
	res := alice.must("INSERT INTO chat.messages (conversation_id, content) VALUES (1, 'a'), (1, 'b')")
	if res[0].RowCount != 2 {
		t.Fatalf("row_count: %+v", res[0])
	}
	got := alice.rows("SELECT id > 0, sender IS NULL, created_at IS NOT NULL, is_read, _deleted FROM chat.messages")
	if got != `[[true,true,true,false,false],[true,true,true,false,false]]` {
		t.Fatalf("defaults: %s", got)
	}
	// Every write gets a new, increasing _seq.
	got = alice.rows("SELECT count(DISTINCT _seq), min(_seq) > 0 FROM chat.messages")
	if got != `[[2,true]]` {
		t.Fatalf("_seq: %s", got)
	}
}

func TestTypesAndCoercion(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE t; CREATE TABLE t.all_types (id INT PRIMARY KEY, b BOOLEAN, s SMALLINT, i INT, bi BIGINT,
		f FLOAT, d DOUBLE, dec DECIMAL(10,2), tx TEXT, vc VARCHAR(5), by BYTES, j JSON, ts TIMESTAMP, dt DATE, dtt DATETIME, tm TIME, u UUID)`)
	root := e.root()
	root.must(`INSERT INTO t.all_types VALUES (1, true, -5, 70000, 9007199254740993, 1.5, 2.25, 12.345, 'héllo', 'abc',
		'raw', '{"a":[1,2]}', '2024-05-06 07:08:09.123456', '2024-05-06', '2024-05-06 07:08:09', '01:02:03.5',
		'0190C1A2-1111-7000-8000-0000000000AB')`)
	res := root.must("SELECT * FROM t.all_types")
	var types []string
	for _, c := range res[0].Schema {
		types = append(types, c.DataType)
	}
	if got := strings.Join(types, ","); got != "Int,Boolean,SmallInt,Int,BigInt,Float,Double,Decimal,Text,Text,Bytes,Json,Timestamp,Date,DateTime,Time,Uuid,BigInt,Boolean" {
		t.Fatalf("data types: %s", got)
	}
	raw, _ := json.Marshal(res[0].Rows[0][:17])
	got := string(raw)
	want := `[1,true,-5,70000,9007199254740993,1.5,2.25,"12.35","héllo","abc","cmF3",{"a":[1,2]},1714979289123,"2024-05-06",1714979289000,"01:02:03.500000","0190c1a2-1111-7000-8000-0000000000ab"]`
	if got != want {
		t.Fatalf("values:\n got %s\nwant %s", got, want)
	}
	// Wrong types and out-of-range values are refused, with the code and
	// message of each, and change nothing.
	for _, bad := range []struct {
		sql  string
		code apierror.Code
		msg  string
	}{
		{"INSERT INTO t.all_types (id, s) VALUES (2, 40000)", apierror.InvalidInput, "smallint out of range"},
		{"INSERT INTO t.all_types (id, i) VALUES (2, 'abc')", apierror.InvalidInput, `invalid input syntax for type integer: "abc"`},
		{"INSERT INTO t.all_types (id, vc) VALUES (2, 'abcdef')", apierror.InvalidInput, "value too long for type character varying("},
		{"INSERT INTO t.all_types (id, j) VALUES (2, '{oops')", apierror.InvalidInput, "invalid input syntax for type json"},
		{"INSERT INTO t.all_types (id, u) VALUES (2, 'not-a-uuid')", apierror.InvalidInput, `invalid input syntax for type uuid: "not-a-uuid"`},
		{"INSERT INTO t.all_types (id, dec) VALUES (2, 123456789.5)", apierror.InvalidInput, "numeric field overflow"},
		{"INSERT INTO t.all_types (id, dt) VALUES (2, 'not a date')", apierror.InvalidInput, `invalid input syntax for type date: "not a date"`},
		{"INSERT INTO t.all_types (id, nope) VALUES (2, 1)", apierror.InvalidSQL, `column "nope" of relation "all_types" does not exist`},
		{"INSERT INTO t.all_types (id) VALUES (2, 3)", apierror.InvalidSQL, "INSERT has more expressions than target columns"},
	} {
		if ae := root.fails(bad.code, bad.sql); !strings.Contains(ae.Message, bad.msg) {
			t.Errorf("%s: message %q, want it to contain %q", bad.sql, ae.Message, bad.msg)
		}
	}
	if got := root.rows("SELECT count(*) FROM t.all_types"); got != `[[1]]` {
		t.Fatalf("rows after refused inserts: %s", got)
	}
}

func TestPostgresSemantics(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.fails(apierror.SQLExecutionError, "SELECT 1/0")
	root.fails(apierror.SQLExecutionError, "SELECT 5 % 0")
	root.fails(apierror.SQLExecutionError, "SELECT CAST('abc' AS BIGINT)")
	// PostgreSQL's CAST types; MySQL's SIGNED is not one.
	root.fails(apierror.InvalidSQL, "SELECT CAST('1' AS SIGNED)")
	if got := root.rows("SELECT LENGTH('héllo'), 'abc' = 'ABC', CONCAT('a', 'b'), 1 = 1, 'a' || 'b', 7 / 2, 1"); got != `[[5,false,"ab",true,"ab",3,1]]` {
		t.Fatalf("semantics: %s", got)
	}
}

func TestUpdateDeleteSoftDelete(t *testing.T) {
	_, alice, _ := chatEnv(t)
	alice.must("INSERT INTO chat.conversations VALUES (1, 'one'), (2, 'two'), (3, 'three')")
	before := alice.rows("SELECT _seq FROM chat.conversations WHERE id = 2")
	res := alice.must("UPDATE chat.conversations SET title = UPPER(title) WHERE id >= 2")
	if res[0].RowCount != 2 {
		t.Fatalf("update row_count: %+v", res[0])
	}
	if after := alice.rows("SELECT _seq FROM chat.conversations WHERE id = 2"); after == before {
		t.Fatal("UPDATE did not write a new version (_seq unchanged)")
	}
	alice.must("DELETE FROM chat.conversations WHERE id = 3")
	if got := alice.rows("SELECT id, title FROM chat.conversations ORDER BY id"); got != `[[1,"one"],[2,"TWO"]]` {
		t.Fatalf("after update/delete: %s", got)
	}
	if got := alice.rows("SELECT id, title, _deleted FROM chat.conversations WHERE _deleted = true"); got != `[[3,"THREE",true]]` {
		t.Fatalf("deleted rows on request: %s", got)
	}
	if got := alice.rows("SELECT count(*) FROM chat.conversations"); got != `[[2]]` {
		t.Fatalf("count hides deleted rows: %s", got)
	}
	// A deleted key can be inserted again; a live one cannot.
	alice.must("INSERT INTO chat.conversations VALUES (3, 'again')")
	alice.fails(apierror.InvalidInput, "INSERT INTO chat.conversations VALUES (1, 'dup')")
	alice.fails(apierror.InvalidInput, "INSERT INTO chat.conversations VALUES (9, 'x'), (9, 'y')")
	alice.fails(apierror.InvalidInput, "UPDATE chat.conversations SET _seq = 1")
	alice.fails(apierror.InvalidInput, "UPDATE chat.conversations SET _deleted = false WHERE _deleted = true")
	alice.fails(apierror.InvalidInput, "INSERT INTO chat.conversations (id, title, _seq) VALUES (10, 'x', 1)")
	alice.fails(apierror.InvalidInput, "UPDATE chat.conversations SET id = 100 WHERE id = 1")
	alice.fails(apierror.InvalidInput, "UPDATE chat.conversations SET title = NULL WHERE id = 1")
	if got := alice.rows("SELECT id, title FROM chat.conversations ORDER BY id"); got != `[[1,"one"],[2,"TWO"],[3,"again"]]` {
		t.Fatalf("after refused writes: %s", got)
	}
}

func TestTablesWithoutPrimaryKey(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must("CREATE NAMESPACE n; CREATE TABLE n.log (msg TEXT, level INT)")
	root.must("INSERT INTO n.log VALUES ('a', 1), ('a', 1), ('b', 2)")
	root.must("UPDATE n.log SET level = 5 WHERE msg = 'a'")
	root.must("DELETE FROM n.log WHERE msg = 'b'")
	if got := root.rows("SELECT msg, level FROM n.log ORDER BY msg"); got != `[["a",5],["a",5]]` {
		t.Fatalf("no-PK table: %s", got)
	}
}

func TestQueries(t *testing.T) {
	_, alice, _ := chatEnv(t)
	alice.must("INSERT INTO chat.conversations VALUES (1, 'one'), (2, 'two')")
	for i := 1; i <= 30; i++ {
		alice.must("INSERT INTO chat.messages (id, conversation_id, sender, content) VALUES ($1, $2, $3, $4)",
			i, 1+i%2, []string{"alice", "carol", "dave"}[i%3], fmt.Sprintf("m%02d", i))
	}
	cases := map[string]string{
		"SELECT id FROM chat.messages WHERE conversation_id = 1 ORDER BY id DESC LIMIT 3":                                                          `[[30],[28],[26]]`,
		"SELECT id FROM chat.messages ORDER BY id LIMIT 2 OFFSET 5":                                                                                `[[6],[7]]`,
		"SELECT conversation_id, count(*) FROM chat.messages GROUP BY conversation_id ORDER BY 1":                                                  `[[1,15],[2,15]]`,
		"SELECT DISTINCT sender FROM chat.messages ORDER BY sender":                                                                                `[["alice"],["carol"],["dave"]]`,
		"SELECT max(id), min(id), sum(id), avg(id) FROM chat.messages":                                                                             `[[30,1,465,15.5]]`,
		"SELECT c.title, count(m.id) FROM chat.conversations c JOIN chat.messages m ON m.conversation_id = c.id GROUP BY c.title ORDER BY c.title": `[["one",15],["two",15]]`,
		"SELECT id FROM chat.messages WHERE conversation_id IN (SELECT id FROM chat.conversations WHERE title = 'two') ORDER BY id LIMIT 2":        `[[1],[3]]`,
		"SELECT id FROM chat.messages WHERE id BETWEEN 10 AND 12":                                                                                  `[[10],[11],[12]]`,
		"SELECT id FROM chat.messages WHERE id > 28 OR id < 2 ORDER BY id":                                                                         `[[1],[29],[30]]`,
		"SELECT count(*) FROM (SELECT DISTINCT sender FROM chat.messages) s":                                                                       `[[3]]`,
		"SELECT id FROM chat.messages WHERE id = 31":                                                                                               `[]`,
		"SELECT sender, count(*) AS n FROM chat.messages GROUP BY sender HAVING count(*) > 9 ORDER BY sender":                                      `[["alice",10],["carol",10],["dave",10]]`,
	}
	for q, want := range cases {
		if got := alice.rows(q); got != want {
			t.Errorf("%s\n got %s\nwant %s", q, got, want)
		}
	}
}

func TestSharedTableAccessLevels(t *testing.T) {
	e, alice, _ := chatEnv(t)
	svc := e.user("svc")
	ops := e.user("ops")
	svc.must("INSERT INTO chat.rooms VALUES (1, 'lobby')")
	if got := alice.rows("SELECT name FROM chat.rooms"); got != `[["lobby"]]` {
		t.Fatalf("public read: %s", got)
	}
	alice.fails(apierror.PermissionDenied, "INSERT INTO chat.rooms VALUES (2, 'mine')")
	alice.fails(apierror.PermissionDenied, "UPDATE chat.rooms SET name = 'x'")
	alice.fails(apierror.PermissionDenied, "SELECT * FROM chat.audit")
	alice.fails(apierror.PermissionDenied, "INSERT INTO chat.audit (note) VALUES ('x')")
	svc.must("INSERT INTO chat.audit (note) VALUES ('ok')")
	svc.fails(apierror.PermissionDenied, "SELECT * FROM chat.vault")
	ops.must("INSERT INTO chat.vault VALUES (1, 's')")
	if got := svc.rows("SELECT name FROM chat.rooms"); got != `[["lobby"]]` {
		t.Fatalf("shared rows are one partition for everyone: %s", got)
	}
}

func TestExecuteAsMatrix(t *testing.T) {
	e, alice, bob := chatEnv(t)
	svc := e.user("svc")
	ops := e.user("ops")
	root := e.root()
	res := svc.must("EXECUTE AS USER 'alice' (INSERT INTO chat.conversations VALUES (1, 'by svc'))")
	if res[0].AsUser != "alice" {
		t.Fatalf("as_user: %+v", res[0])
	}
	if got := alice.rows("SELECT title FROM chat.conversations"); got != `[["by svc"]]` {
		t.Fatalf("alice's partition: %s", got)
	}
	if got := svc.rows("SELECT title FROM chat.conversations"); got != `[]` {
		t.Fatalf("svc's own partition must stay empty: %s", got)
	}
	if got := root.rows("EXECUTE AS USER 'alice' (SELECT CURRENT_USER(), title FROM chat.conversations)"); got != `[["alice","by svc"]]` {
		t.Fatalf("root as alice: %s", got)
	}
	ops.must("EXECUTE AS USER 'svc' (SELECT 1)")
	svc.fails(apierror.PermissionDenied, "EXECUTE AS USER 'ops' (SELECT 1)")
	ops.fails(apierror.PermissionDenied, "EXECUTE AS USER 'root' (SELECT 1)")
	alice.fails(apierror.PermissionDenied, "EXECUTE AS USER 'bob' (SELECT * FROM chat.conversations)")
	alice.must("EXECUTE AS USER 'alice' (SELECT 1)")
	root.fails(apierror.NotFound, "EXECUTE AS USER 'nobody' (SELECT 1)")
	// The target's role applies inside: svc acting as alice cannot write
	// a table only services may write.
	svc.fails(apierror.PermissionDenied, "EXECUTE AS USER 'alice' (INSERT INTO chat.audit (note) VALUES ('x'))")
	_ = bob
}

func TestTransactions(t *testing.T) {
	e, alice, bob := chatEnv(t)
	alice.must("BEGIN; INSERT INTO chat.conversations VALUES (1, 'a'); INSERT INTO chat.conversations VALUES (2, 'b'); COMMIT")
	if got := alice.rows("SELECT count(*) FROM chat.conversations"); got != `[[2]]` {
		t.Fatalf("committed: %s", got)
	}
	// All or nothing: the failing statement discards the whole transaction.
	alice.fails(apierror.InvalidInput, "BEGIN; INSERT INTO chat.conversations VALUES (3, 'c'); INSERT INTO chat.conversations VALUES (1, 'dup'); COMMIT")
	if got := alice.rows("SELECT id FROM chat.conversations ORDER BY id"); got != `[[1],[2]]` {
		t.Fatalf("after failed transaction: %s", got)
	}
	alice.must("BEGIN; DELETE FROM chat.conversations WHERE id = 1; ROLLBACK")
	if got := alice.rows("SELECT count(*) FROM chat.conversations"); got != `[[2]]` {
		t.Fatalf("after rollback: %s", got)
	}
	// Reads inside the transaction see its own writes.
	res := alice.must("BEGIN; INSERT INTO chat.conversations VALUES (5, 'e'); UPDATE chat.conversations SET title = 'E' WHERE id = 5; SELECT id, title FROM chat.conversations ORDER BY id; COMMIT")
	if fmt.Sprint(res[3].Rows) != "[[1 a] [2 b] [5 E]]" {
		t.Fatalf("read your writes: %v", res[3].Rows)
	}
	alice.fails(apierror.SQLExecutionError, "BEGIN; INSERT INTO chat.conversations VALUES (6, 'f')")
	if got := alice.rows("SELECT count(*) FROM chat.conversations WHERE id = 6"); got != `[[0]]` {
		t.Fatalf("uncommitted batch leaked: %s", got)
	}
	alice.fails(apierror.SQLExecutionError, "COMMIT")
	e.root().fails(apierror.SQLExecutionError, "BEGIN; CREATE NAMESPACE x; COMMIT")
	if got := e.root().rows("SELECT count(*) FROM system.namespaces WHERE namespace_id = 'x'"); got != `[[0]]` {
		t.Fatalf("DDL ran inside a transaction: %s", got)
	}
	_ = bob
}

func TestPartitionIsolationBasics(t *testing.T) {
	_, alice, bob := chatEnv(t)
	alice.must("INSERT INTO chat.conversations VALUES (1, 'alice-1')")
	bob.must("INSERT INTO chat.conversations VALUES (1, 'bob-1')")
	if got := alice.rows("SELECT title FROM chat.conversations WHERE id = 1"); got != `[["alice-1"]]` {
		t.Fatalf("alice: %s", got)
	}
	bob.must("UPDATE chat.conversations SET title = 'hacked'")
	bob.must("DELETE FROM chat.conversations")
	if got := alice.rows("SELECT title FROM chat.conversations"); got != `[["alice-1"]]` {
		t.Fatalf("bob's writes reached alice: %s", got)
	}
	if got := bob.rows("SELECT count(*) FROM chat.conversations WHERE _deleted = true"); got != `[[1]]` {
		t.Fatalf("bob's delete: %s", got)
	}
}

func TestParamsWithoutColumnList(t *testing.T) {
	_, alice, _ := chatEnv(t)
	alice.must("INSERT INTO chat.conversations VALUES ($1, $2)", 1, "one")
	alice.must("INSERT INTO chat.conversations VALUES (?, ?)", 2, "two")
	if got := alice.rows("SELECT id, title FROM chat.conversations WHERE id > $1 ORDER BY id", 0); got != `[[1,"one"],[2,"two"]]` {
		t.Fatalf("params without a column list: %s", got)
	}
}

func TestUnsafeFunctionsRefused(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{"SELECT GET_LOCK('x', 1)", "SELECT SLEEP(10)", "SELECT RELEASE_ALL_LOCKS()"} {
		e.root().fails(apierror.InvalidSQL, q)
	}
}
