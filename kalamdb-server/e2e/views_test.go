package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Views end to end: a dba's view over a USER table resolves per caller
// (never across partitions, EXECUTE AS included), a view over a SHARED
// table keeps the table's access level for the reader, views survive a
// restart, live queries on a simple view are the reader's partition, and
// EXPLAIN shows the plan as the caller may see it.
func TestViewsPerCaller(t *testing.T) {
	s := liveServer(t)
	s.ok(root, `CREATE NAMESPACE app;
		CREATE SHARED TABLE app.notice (id INT PRIMARY KEY, text TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
		INSERT INTO app.notice VALUES (1, 'maintenance at noon');
		INSERT INTO chat.vault VALUES (1, 'launch codes')`)
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'alice one'), (2, 7, 'alice two'), (3, 8, 'alice elsewhere')")
	s.ok(liveBob, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'bob one'), (9, 7, 'bob nine')")

	// The dba creates the views; users cannot.
	s.fail(liveAlice, http.StatusForbidden, "PERMISSION_DENIED", "CREATE VIEW chat.mine AS SELECT 1")
	s.ok(liveOps, `CREATE VIEW chat.conv7 AS SELECT id, body FROM chat.messages WHERE conv = 7;
		CREATE VIEW chat.board (id, line) AS SELECT n.id, n.text FROM app.notice n;
		CREATE VIEW chat.secrets AS SELECT secret FROM chat.vault;
		CREATE VIEW chat.digest AS SELECT c.body, b.line FROM chat.conv7 c CROSS JOIN chat.board b`)

	check := func(c creds, sqlText, want string) {
		t.Helper()
		if got := s.ok(c, sqlText).rows(t); got != want {
			t.Fatalf("%s as %s: %s, want %s", sqlText, c.user, got, want)
		}
	}
	check(liveAlice, "SELECT id, body FROM chat.conv7 ORDER BY id", `[[1,"alice one"],[2,"alice two"]]`)
	check(liveBob, "SELECT id, body FROM chat.conv7 ORDER BY id", `[[1,"bob one"],[9,"bob nine"]]`)
	check(liveOps, "SELECT count(*) FROM chat.conv7", `[[0]]`)
	check(liveSvc, "EXECUTE AS USER 'alice' (SELECT body FROM chat.conv7 WHERE id = 2)", `[["alice two"]]`)
	check(liveOps, "EXECUTE AS USER 'bob' (SELECT count(*) FROM chat.digest)", `[[2]]`)
	check(liveBob, "SELECT body, line FROM chat.digest ORDER BY body", `[["bob nine","maintenance at noon"],["bob one","maintenance at noon"]]`)
	s.fail(liveAlice, http.StatusForbidden, "PERMISSION_DENIED", "EXECUTE AS USER 'bob' (SELECT * FROM chat.conv7)")
	// The view over a RESTRICTED table is the table's level for the reader.
	s.fail(liveSvc, http.StatusForbidden, "PERMISSION_DENIED", "SELECT * FROM chat.secrets")
	s.fail(liveAlice, http.StatusForbidden, "PERMISSION_DENIED", "EXPLAIN SELECT * FROM chat.secrets")
	check(liveOps, "SELECT secret FROM chat.secrets", `[["launch codes"]]`)
	s.fail(liveAlice, http.StatusBadRequest, "UNSUPPORTED", "DELETE FROM chat.conv7")

	// EXPLAIN: DataFusion's columns, the reader's partition, nothing run.
	r := s.ok(liveBob, "EXPLAIN SELECT body FROM chat.conv7 WHERE id = 9")
	if res := r.Results[0]; len(res.Schema) != 2 || res.Schema[0].Name != "plan_type" || res.Schema[1].Name != "plan" || len(res.Rows) != 2 {
		t.Fatalf("EXPLAIN answer: %s", r.raw)
	}
	plan := r.Results[0].Rows[1][1].(string)
	for _, want := range []string{"IndexScan: chat.messages (USER table, partition of bob)", "access: point lookup of 1 key", "hot: RocksDB user_table:chat:messages"} {
		if !strings.Contains(plan, want) {
			t.Fatalf("plan lacks %q:\n%s", want, plan)
		}
	}

	// A live query on the view: alice's partition, the view's condition.
	c := s.loginWS(t, "alice", "alice-pw")
	_, rows := c.subscribeAll("v", "SELECT * FROM chat.conv7", nil)
	if got := fmt.Sprint(rowIDs(rows)); got != "[1 2]" {
		t.Fatalf("initial rows: %v", rows)
	}
	s.ok(liveBob, "INSERT INTO chat.messages (id, conv, body) VALUES (20, 7, 'bob''s new')")
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (21, 8, 'not in the view'), (22, 7, 'alice new')")
	if got := c.change("v"); got != "insert [map[body:alice new id:22]]" {
		t.Fatalf("change: %s", got)
	}

	// Views survive a restart, with what they depend on.
	s = s.restart()
	check(liveBob, "SELECT id FROM chat.conv7 ORDER BY id", `[[1],[9],[20]]`)
	check(liveAlice, "SELECT line FROM chat.board", `[["maintenance at noon"]]`)
	r = s.ok(liveAlice, "SHOW TABLES IN chat")
	var views []string
	for _, row := range r.Results[0].Rows {
		if row[2] == "VIEW" {
			views = append(views, row[1].(string))
		}
	}
	if got := strings.Join(views, ","); got != "board,conv7,digest" {
		t.Fatalf("alice is shown views %q (not secrets, over a table she may not read)", got)
	}
	// A change of a table's columns is named when the view is read.
	s.ok(root, "ALTER TABLE app.notice ADD COLUMN level INT")
	r = s.fail(liveAlice, http.StatusBadRequest, "SQL_EXECUTION_ERROR", "SELECT * FROM chat.digest")
	if !strings.Contains(r.Error.Message, "view chat.board was created over table app.notice") {
		t.Fatalf("message: %s", r.Error.Message)
	}
}

// A CREATE VIEW that returned success survives kill -9, and so does a
// DROP VIEW.
func TestViewsSurviveKill(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	p := startProcess(t, bin, dir)
	s := &server{t: t, base: p.base}
	s.ok(root, `CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY, v TEXT);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE VIEW app.kept AS SELECT id, v FROM app.t WHERE id > 1;
		CREATE VIEW app.gone AS SELECT 1 AS x;
		DROP VIEW app.gone`)
	s.ok(liveAlice, "INSERT INTO app.t VALUES (1, 'a'), (2, 'b')")
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
	p = startProcess(t, bin, dir)
	s = &server{t: t, base: p.base}
	if got := s.ok(liveAlice, "SELECT id, v FROM app.kept").rows(t); got != `[[2,"b"]]` {
		t.Fatalf("after kill -9: %s", got)
	}
	s.fail(root, http.StatusNotFound, "TABLE_NOT_FOUND", "SELECT * FROM app.gone")
}
