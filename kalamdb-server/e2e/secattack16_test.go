package e2e_test

// The sixteenth security attack session: joins through secondary indexes,
// index DDL and listings, live queries and their resume, jobs and admin
// statements, and resource abuse, each played by a plain account against
// another. Every test fails if its attack works.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// sa16Server starts a server with two users' data in USER tables with
// secondary indexes, and SHARED tables of every access level.
func sa16Server(t *testing.T, mutate ...func(*config.Config)) *server {
	t.Helper()
	s := startServer(t, t.TempDir(), mutate...)
	s.ok(root, `CREATE NAMESPACE app;
		CREATE TABLE app.conv (id BIGINT PRIMARY KEY, title TEXT);
		CREATE TABLE app.msg (id BIGINT PRIMARY KEY, conv_id BIGINT, parent_id BIGINT, body TEXT);
		CREATE INDEX msg_conv ON app.msg (conv_id, id);
		CREATE INDEX msg_parent ON app.msg (parent_id);
		CREATE INDEX conv_title ON app.conv (title);
		CREATE SHARED TABLE app.pub (id BIGINT PRIMARY KEY, conv_id BIGINT, note TEXT) WITH (ACCESS_LEVEL = 'PUBLIC');
		CREATE INDEX pub_conv ON app.pub (conv_id);
		CREATE SHARED TABLE app.priv (id BIGINT PRIMARY KEY, conv_id BIGINT, note TEXT) WITH (ACCESS_LEVEL = 'PRIVATE');
		CREATE INDEX priv_conv ON app.priv (conv_id);
		CREATE SHARED TABLE app.restr (id BIGINT PRIMARY KEY, conv_id BIGINT, note TEXT) WITH (ACCESS_LEVEL = 'RESTRICTED');
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'bob-pw' ROLE user;
		CREATE USER 'svc' WITH PASSWORD 'svc-pw' ROLE service;
		CREATE USER 'ops' WITH PASSWORD 'ops-pw' ROLE dba;
		INSERT INTO app.pub VALUES (1, 1, 'pub-1'), (3, 3, 'pub-3');
		INSERT INTO app.priv VALUES (1, 1, 'PRIVSECRET'), (3, 3, 'PRIVSECRET');
		INSERT INTO app.restr VALUES (1, 1, 'RESTRSECRET')`)
	// alice and bob use the same keys, conversation ids and parents, so
	// any lookup that crossed a partition would find the other's rows.
	s.ok(basic("alice", "alice-pw"), `INSERT INTO app.conv VALUES (1, 'a-one'), (2, 'a-two');
		INSERT INTO app.msg VALUES (10, 1, NULL, 'a-10'), (11, 1, 10, 'a-11'), (20, 2, NULL, 'a-20')`)
	s.ok(basic("bob", "bob-pw"), `INSERT INTO app.conv VALUES (1, 'BOBSECRET'), (3, 'BOBSECRET');
		INSERT INTO app.msg VALUES (10, 1, NULL, 'BOBSECRET'), (12, 1, 10, 'BOBSECRET'), (30, 3, NULL, 'BOBSECRET'),
			(31, 2, 20, 'BOBSECRET'), (32, 3, 11, 'BOBSECRET')`)
	return s
}

// sa16Case is a statement and the rows alice must get, as rows() prints
// them (no rows is "null").
type sa16Case struct{ sql, want string }

// sa16Flush moves every table's rows to Parquet and waits for the jobs.
func sa16Flush(t *testing.T, s *server) {
	t.Helper()
	s.ok(root, "STORAGE FLUSH ALL IN app")
	waitJobs(t, s)
}

// noSecret fails when r carries a marker of rows alice may not read.
func noSecret(t *testing.T, what string, r *response) {
	t.Helper()
	for _, m := range []string{"BOBSECRET", "PRIVSECRET", "RESTRSECRET"} {
		if strings.Contains(r.raw, m) {
			t.Errorf("%s: answer carries %s: %s", what, m, r.raw)
		}
	}
}

// TestSecAttack16JoinsStayInThePartition: joins a lookup reads through a
// secondary index (preferJoinLookup) or the primary key, between two USER
// tables, a USER and a SHARED table, self-joins, outer joins, joins with
// CTEs and subqueries, with keys only another user has: alice sees her
// rows only, hot and after a flush (cold), and mixed.
func TestSecAttack16JoinsStayInThePartition(t *testing.T) {
	s := sa16Server(t)
	alice := basic("alice", "alice-pw")
	cases := []sa16Case{
		{`SELECT c.id, m.id, m.body FROM app.conv c JOIN app.msg m ON m.conv_id = c.id WHERE c.id = 1 ORDER BY m.id`, `[[1,10,"a-10"],[1,11,"a-11"]]`},
		{`SELECT c.id, m.id FROM app.conv c JOIN app.msg m ON m.conv_id = c.id WHERE c.id IN (1, 2, 3) ORDER BY m.id`, `[[1,10],[1,11],[2,20]]`},
		{`SELECT c.id, m.id FROM app.conv c LEFT JOIN app.msg m ON m.conv_id = c.id WHERE c.id IN (1, 2, 3) ORDER BY c.id, m.id`, `[[1,10],[1,11],[2,20]]`},
		{`SELECT c.id, m.id FROM app.conv c RIGHT JOIN app.msg m ON m.conv_id = c.id WHERE m.id IN (10, 12, 30) ORDER BY m.id`, `[[1,10]]`},
		{`SELECT c.id, m.id FROM app.conv c FULL JOIN app.msg m ON m.conv_id = c.id ORDER BY c.id, m.id`, `[[1,10],[1,11],[2,20]]`},
		{`SELECT m.id, r.id, r.body FROM app.msg m JOIN app.msg r ON r.parent_id = m.id WHERE m.id = 10`, `[[10,11,"a-11"]]`},
		{`SELECT m.id, r.id FROM app.msg m LEFT JOIN app.msg r ON r.parent_id = m.id WHERE m.id IN (10, 11, 20) ORDER BY m.id`, `[[10,11],[11,null],[20,null]]`},
		{`SELECT p.id, m.id, m.body FROM app.pub p JOIN app.msg m ON m.conv_id = p.conv_id WHERE p.id IN (1, 3) ORDER BY m.id`, `[[1,10,"a-10"],[1,11,"a-11"]]`},
		{`SELECT m.id, p.note FROM app.msg m JOIN app.pub p ON p.conv_id = m.conv_id WHERE m.id IN (10, 12, 30) ORDER BY m.id`, `[[10,"pub-1"]]`},
		{`WITH k AS (SELECT 1 AS id UNION ALL SELECT 3) SELECT m.id, m.body FROM k JOIN app.msg m ON m.conv_id = k.id ORDER BY m.id`, `[[10,"a-10"],[11,"a-11"]]`},
		{`SELECT x.id, m.body FROM (SELECT 3 AS id) x JOIN app.msg m ON m.conv_id = x.id`, `null`},
		{`SELECT id FROM app.conv c WHERE EXISTS (SELECT 1 FROM app.msg m WHERE m.conv_id = c.id) ORDER BY id`, `[[1],[2]]`},
		{`SELECT id FROM app.msg WHERE conv_id IN (SELECT conv_id FROM app.pub) ORDER BY id`, `[[10],[11]]`},
		{`SELECT id, body FROM app.msg WHERE conv_id = 3`, `null`},
		{`SELECT id, body FROM app.msg WHERE parent_id IN (10, 11, 20) ORDER BY id`, `[[11,"a-11"]]`},
		{`SELECT id, title FROM app.conv WHERE title >= 'A' ORDER BY id`, `[[1,"a-one"],[2,"a-two"]]`},
		{`SELECT id, title FROM app.conv WHERE title LIKE 'BOB%'`, `null`},
		{`SELECT count(*) FROM app.msg WHERE conv_id >= 0`, `[[3]]`},
		{`SELECT m.id FROM app.msg m JOIN app.msg r ON r.conv_id = m.conv_id AND r.id = m.id WHERE m.conv_id = 3`, `null`},
		{`SELECT a.id, b.id FROM app.msg a JOIN app.msg b ON b.parent_id = a.id JOIN app.conv c ON c.id = b.conv_id WHERE a.id = 10`, `[[10,11]]`},
		{`SELECT m.id FROM app.msg m WHERE m.conv_id = 1 ORDER BY m.id DESC LIMIT 5`, `[[11],[10]]`},
		{`SELECT (SELECT max(body) FROM app.msg i WHERE i.conv_id = 3) AS b`, `[[null]]`},
	}
	check := func(phase string) {
		t.Helper()
		for _, c := range cases {
			r := s.sql(alice, c.sql)
			if r.httpStatus != http.StatusOK {
				t.Errorf("%s: %s: %s", phase, c.sql, r)
				continue
			}
			noSecret(t, phase+": "+c.sql, r)
			if got := r.rows(t); got != c.want {
				t.Errorf("%s: %s: got %s, want %s", phase, c.sql, got, c.want)
			}
		}
	}
	check("hot")
	sa16Flush(t, s)
	check("cold")
	// Mixed: bob writes new hot versions of the keys alice looks up.
	s.ok(basic("bob", "bob-pw"), `UPDATE app.msg SET body = 'BOBSECRET2' WHERE id IN (10, 12);
		INSERT INTO app.msg VALUES (13, 1, 11, 'BOBSECRET'), (21, 2, 20, 'BOBSECRET')`)
	check("mixed")
	// The row cache holds what lookups fetched: bob's lookups fill it with
	// his versions of the same keys first.
	for _, c := range cases {
		s.sql(basic("bob", "bob-pw"), c.sql)
	}
	check("after bob's lookups")
}

// TestSecAttack16ExecuteAsFollowsTheMatrix: a plain user cannot act as
// another, and a service acting as alice through a join reads alice's
// partition only.
func TestSecAttack16ExecuteAsFollowsTheMatrix(t *testing.T) {
	s := sa16Server(t)
	for _, q := range []string{
		`EXECUTE AS USER 'alice' (SELECT id FROM app.msg)`,
		`EXECUTE AS USER 'svc' (SELECT id FROM app.msg)`,
		`EXECUTE AS USER 'ops' (SELECT id FROM app.msg)`,
		`EXECUTE AS USER 'root' (SELECT id FROM app.msg)`,
	} {
		s.fail(basic("bob", "bob-pw"), http.StatusForbidden, "PERMISSION_DENIED", q)
	}
	svc := basic("svc", "svc-pw")
	for _, q := range []string{
		`EXECUTE AS USER 'ops' (SELECT id FROM app.msg)`,
		`EXECUTE AS USER 'root' (SELECT id FROM app.msg)`,
		`EXECUTE AS USER 'alice' (CREATE INDEX x ON app.msg (body))`,
		`EXECUTE AS USER 'alice' (DROP INDEX app.msg_conv)`,
		`EXECUTE AS USER 'alice' (STORAGE FLUSH TABLE app.msg)`,
		`EXECUTE AS USER 'alice' (KILL JOB 'x')`,
	} {
		s.fail(svc, http.StatusForbidden, "PERMISSION_DENIED", q)
	}
	r := s.ok(svc, `EXECUTE AS USER 'alice' (SELECT c.id, m.id, m.body FROM app.conv c JOIN app.msg m ON m.conv_id = c.id WHERE c.id IN (1, 3) ORDER BY m.id)`)
	noSecret(t, "execute as alice", r)
	if got := r.rows(t); got != `[[1,10,"a-10"],[1,11,"a-11"]]` {
		t.Errorf("execute as alice: %s", got)
	}
	// EXPLAIN as alice describes alice's partition only.
	sa16Flush(t, s)
	r = s.ok(basic("alice", "alice-pw"), `EXPLAIN SELECT c.id, m.body FROM app.conv c JOIN app.msg m ON m.conv_id = c.id WHERE c.id = 1`)
	noSecret(t, "explain", r)
	if bob := s.userID("bob"); strings.Contains(r.raw, bob) {
		t.Errorf("alice's EXPLAIN names bob's id: %s", r.raw)
	}
}

// TestSecAttack16IndexDDLNeedsDba: a user or service can neither create
// nor drop an index on any table, nor index a system table; the
// listings show only tables the caller may read.
func TestSecAttack16IndexDDLNeedsDba(t *testing.T) {
	s := sa16Server(t)
	for _, c := range []creds{basic("alice", "alice-pw"), basic("svc", "svc-pw")} {
		for _, q := range []string{
			`CREATE INDEX evil ON app.msg (body)`,
			`CREATE INDEX evil ON app.pub (note)`,
			`CREATE INDEX IF NOT EXISTS evil ON app.priv (note)`,
			`CREATE INDEX CONCURRENTLY evil ON app.restr (note)`,
			`DROP INDEX app.msg_conv`,
			`DROP INDEX IF EXISTS app.pub_conv`,
			`DROP INDEX IF EXISTS app.nosuch`,
			`DROP INDEX CONCURRENTLY app.priv_conv`,
		} {
			s.fail(c, http.StatusForbidden, "PERMISSION_DENIED", q)
		}
	}
	for _, q := range []string{
		`CREATE INDEX evil ON system.users (password_hash)`,
		`CREATE INDEX evil ON system.users (username)`,
		`CREATE INDEX evil ON system.jobs (status)`,
	} {
		r := s.sql(basic("ops", "ops-pw"), q)
		if r.httpStatus == http.StatusOK {
			t.Errorf("dba: %s: %s", q, r)
		}
	}
	// The indexes are all still there.
	r := s.ok(root, `SHOW INDEXES IN app.msg`)
	if len(r.Results[0].Rows) != 2 {
		t.Errorf("indexes of app.msg after the attacks: %s", r.raw)
	}
	// A user lists only the tables it may read.
	r = s.ok(basic("alice", "alice-pw"), `SHOW INDEXES`)
	if strings.Contains(r.raw, "priv_conv") || strings.Contains(r.raw, "restr") {
		t.Errorf("alice's SHOW INDEXES lists tables she may not read: %s", r.raw)
	}
	for _, q := range []string{`SHOW INDEXES FROM app.priv`, `SHOW INDEXES IN app.restr`, `DESCRIBE TABLE app.priv`, `SHOW STATS FOR TABLE app.priv`} {
		r := s.sql(basic("alice", "alice-pw"), q)
		if r.httpStatus == http.StatusOK {
			t.Errorf("alice: %s: %s", q, r)
		}
		noSecret(t, q, r)
	}
	// SHOW STATS of a USER table counts her partition only.
	r = s.ok(basic("alice", "alice-pw"), `SHOW STATS FOR TABLE app.msg`)
	t.Logf("alice's stats: %s", r.raw)
}

// TestSecAttack16LiveResumeStaysInThePartition: a resume with
// from_seq_id reports deleted rows of the subscriber's partition that its
// WHERE shows, never another user's, before or after a flush; a
// subscription to a table the subscriber may not read is refused however
// it is resumed.
func TestSecAttack16LiveResumeStaysInThePartition(t *testing.T) {
	s := sa16Server(t)
	bob := basic("bob", "bob-pw")
	alice := basic("alice", "alice-pw")
	s.ok(bob, `DELETE FROM app.msg WHERE id IN (10, 12, 30)`)
	s.ok(alice, `DELETE FROM app.msg WHERE id = 20`)
	s.ok(root, `DELETE FROM app.priv WHERE id = 3; DELETE FROM app.restr WHERE id = 1`)
	for _, phase := range []string{"hot", "cold"} {
		if phase == "cold" {
			sa16Flush(t, s)
		}
		c := s.loginWS(t, "alice", "alice-pw")
		marker := len(phase) * 10
		for i, q := range []string{
			"SELECT id, body FROM app.msg",
			"SELECT id, body FROM app.msg WHERE conv_id = 1",
			"SELECT id, body FROM app.msg WHERE body LIKE 'BOB%'",
			"SELECT * FROM app.msg WHERE id IN (10, 12, 30, 20) OR id >= 500",
		} {
			id := fmt.Sprintf("%s%d", phase, i)
			c.subscribe(id, q, map[string]any{"from_seq_id": 1})
			c.expect("subscription_ack", id)
			for {
				m := c.recv()
				if strings.Contains(m.raw, "BOBSECRET") {
					t.Fatalf("%s: %s: alice got bob's row: %s", phase, q, m.raw)
				}
				if m.Type == "initial_data_batch" && m.BatchControl.HasMore {
					c.send(map[string]any{"type": "next_batch", "subscription_id": id})
					continue
				}
				if m.Type == "initial_data_batch" {
					break
				}
				if m.Type == "error" {
					t.Fatalf("%s: %s: %s", phase, q, m.raw)
				}
			}
			// Whatever delete follows the last batch is alice's own; a
			// marker every WHERE matches bounds the wait.
			marker++
			s.ok(alice, fmt.Sprintf("INSERT INTO app.msg VALUES (%d, 1, NULL, 'BOBmarker')", 500+marker))
			for {
				m := c.recv()
				if strings.Contains(m.raw, "BOBSECRET") {
					t.Fatalf("%s: %s: alice got bob's row: %s", phase, q, m.raw)
				}
				// A resume's delete may name the subscriber's own rows the
				// WHERE does not show (rows that may have left it since
				// from_seq_id, docs/live.md); never another user's.
				if m.Type == "change" && m.ChangeType == "insert" && strings.Contains(m.raw, "BOBmarker") {
					break
				}
			}
			c.send(map[string]any{"type": "unsubscribe", "subscription_id": id})
		}
		for _, q := range []string{"SELECT * FROM app.priv", "SELECT * FROM app.restr", "SELECT * FROM system.users"} {
			c.subscribe("x"+phase, q, map[string]any{"from_seq_id": 1})
			m := c.recv()
			if m.Type != "error" || strings.Contains(m.raw, "SECRET") {
				t.Fatalf("%s: alice subscribed to %s: %s", phase, q, m.raw)
			}
		}
	}
}

// TestSecAttack16CachedPlansAreNotBoundToTheirFirstCaller: bob runs each
// statement first (the plan cache keeps it, and the fast path compiles
// it), then alice runs the same text: her reads and writes are her
// partition's, and bob's rows are untouched.
func TestSecAttack16CachedPlansAreNotBoundToTheirFirstCaller(t *testing.T) {
	s := sa16Server(t)
	alice, bob := basic("alice", "alice-pw"), basic("bob", "bob-pw")
	bobRows := s.ok(bob, "SELECT id, conv_id, parent_id, body FROM app.msg ORDER BY id").rows(t)
	reads := []struct {
		sql    string
		params []any
		want   string
	}{
		{"SELECT body FROM app.msg WHERE id = $1", []any{30}, `null`},
		{"SELECT body FROM app.msg WHERE id = $1", []any{10}, `[["a-10"]]`},
		{"SELECT body FROM app.msg WHERE id IN ($1, $2)", []any{10, 30}, `[["a-10"]]`},
		{"SELECT id, body FROM app.msg WHERE conv_id = $1 ORDER BY id DESC LIMIT $2", []any{3, 10}, `null`},
		{"SELECT id, body FROM app.msg WHERE conv_id = $1 ORDER BY id DESC LIMIT $2", []any{1, 10}, `[[11,"a-11"],[10,"a-10"]]`},
		{"SELECT id FROM app.msg WHERE parent_id = $1", []any{11}, `null`},
		{"SELECT count(*) FROM app.msg", nil, `[[3]]`},
		{"SELECT title FROM app.conv WHERE id = $1", []any{3}, `null`},
	}
	for _, phase := range []string{"hot", "cold"} {
		if phase == "cold" {
			sa16Flush(t, s)
		}
		for _, r := range reads {
			s.ok(bob, r.sql, r.params...)
			got := s.ok(alice, r.sql, r.params...)
			noSecret(t, phase+": "+r.sql, got)
			if g := got.rows(t); g != r.want {
				t.Errorf("%s: %s %v: got %s, want %s", phase, r.sql, r.params, g, r.want)
			}
		}
	}
	// Writes: bob first on his key, then alice on the same key.
	writes := []struct {
		sql    string
		params []any
	}{
		{"UPDATE app.msg SET body = $1 WHERE id = $2", []any{"x", 30}},
		{"UPDATE app.msg SET body = $1 WHERE conv_id = $2", []any{"x", 3}},
		{"DELETE FROM app.msg WHERE id = $1", []any{32}},
		{"DELETE FROM app.msg WHERE conv_id = $1", []any{3}},
	}
	for _, w := range writes {
		got := s.ok(alice, w.sql, w.params...)
		if got.Results[0].RowCount != 0 {
			t.Errorf("alice: %s %v changed %d rows; she has none there", w.sql, w.params, got.Results[0].RowCount)
		}
	}
	if got := s.ok(bob, "SELECT id, conv_id, parent_id, body FROM app.msg ORDER BY id").rows(t); got != bobRows {
		t.Errorf("bob's rows after alice's writes:\n got %s\nwant %s", got, bobRows)
	}
	s.ok(bob, "UPDATE app.msg SET body = $1 WHERE id = $2", "BOBSECRET", 31)
	s.ok(alice, "INSERT INTO app.msg VALUES ($1, $2, $3, $4)", 31, 9, nil, "alice-31")
	if got := s.ok(bob, "SELECT body FROM app.msg WHERE id = $1", 31).rows(t); got != `[["BOBSECRET"]]` {
		t.Errorf("bob's row 31 after alice inserted her own 31: %s", got)
	}
}

// TestSecAttack16TransactionAcrossExecuteAs: a service's transaction that
// writes as alice and then reads or writes as bob shows bob none of
// alice's pending rows, and each write lands in its own partition.
func TestSecAttack16TransactionAcrossExecuteAs(t *testing.T) {
	s := sa16Server(t)
	svc := basic("svc", "svc-pw")
	r := s.ok(svc, `BEGIN;
		EXECUTE AS USER 'alice' (INSERT INTO app.msg VALUES (99, 1, 10, 'ALICEPENDING'));
		EXECUTE AS USER 'bob' (SELECT id, body FROM app.msg WHERE id = 99);
		EXECUTE AS USER 'bob' (SELECT id, body FROM app.msg WHERE conv_id = 1 ORDER BY id);
		EXECUTE AS USER 'bob' (SELECT id FROM app.msg WHERE parent_id = 10 ORDER BY id);
		EXECUTE AS USER 'bob' (UPDATE app.msg SET body = 'BOBTOUCHED' WHERE id = 99);
		EXECUTE AS USER 'bob' (DELETE FROM app.msg WHERE id = 99);
		EXECUTE AS USER 'bob' (INSERT INTO app.msg VALUES (99, 1, 10, 'BOB99'));
		COMMIT`)
	if strings.Count(r.raw, "ALICEPENDING") > 0 {
		t.Errorf("bob's statements in the transaction saw alice's pending row: %s", r.raw)
	}
	// BEGIN, alice's insert, bob's three reads, update, delete, insert.
	for i, want := range map[int]int64{1: 1, 2: 0, 5: 0, 6: 0, 7: 1} {
		if r.Results[i].RowCount != want {
			t.Errorf("statement %d: row_count %d, want %d: %s", i, r.Results[i].RowCount, want, r.raw)
		}
	}
	if got := s.ok(basic("alice", "alice-pw"), "SELECT body FROM app.msg WHERE id = 99").rows(t); got != `[["ALICEPENDING"]]` {
		t.Errorf("alice's row 99: %s", got)
	}
	if got := s.ok(basic("bob", "bob-pw"), "SELECT body FROM app.msg WHERE id = 99").rows(t); got != `[["BOB99"]]` {
		t.Errorf("bob's row 99: %s", got)
	}
}

// TestSecAttack16LiveEndsWhenReadingIsNoLongerAllowed: a subscription to
// a PUBLIC table (directly or through a view) gets nothing of the rows
// written after the table became RESTRICTED, nor of a RESTRICTED table
// created under the name of the USER table it followed.
func TestSecAttack16LiveEndsWhenReadingIsNoLongerAllowed(t *testing.T) {
	s := sa16Server(t)
	s.ok(root, `CREATE VIEW app.pubv AS SELECT id, note FROM app.pub WHERE id > 0;
		CREATE TABLE app.gone (id BIGINT PRIMARY KEY, note TEXT)`)
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribeAll("pub", "SELECT id, note FROM app.pub", nil)
	c.subscribeAll("view", "SELECT id, note FROM app.pubv", nil)
	c.subscribeAll("gone", "SELECT id, note FROM app.gone", nil)
	c.subscribeAll("mark", "SELECT id FROM app.conv WHERE id = 77", nil)
	s.ok(root, `ALTER TABLE app.pub SET TBLPROPERTIES (ACCESS_LEVEL = 'RESTRICTED');
		INSERT INTO app.pub VALUES (50, 50, 'RESTRSECRET');
		DROP TABLE app.gone;
		CREATE SHARED TABLE app.gone (id BIGINT PRIMARY KEY, note TEXT) WITH (ACCESS_LEVEL = 'RESTRICTED');
		INSERT INTO app.gone VALUES (1, 'RESTRSECRET')`)
	// A marker on a table alice keeps reading bounds the wait.
	s.ok(basic("alice", "alice-pw"), "INSERT INTO app.conv VALUES (77, 'mark')")
	for {
		m := c.recv()
		if strings.Contains(m.raw, "RESTRSECRET") {
			t.Fatalf("alice's subscription got a row of a RESTRICTED table: %s", m.raw)
		}
		if m.SubscriptionID == "mark" && m.Type == "change" {
			break
		}
		t.Logf("%s", m.raw)
	}
	if r := s.sql(basic("alice", "alice-pw"), "SELECT * FROM app.pubv"); r.httpStatus == http.StatusOK {
		t.Errorf("alice reads the view of a RESTRICTED table: %s", r)
	}
}

// TestSecAttack16ExecuteAsDoesNotTellAUserWhoExists: a user may only
// execute as itself and a service as users and services, and neither may
// read system.users: EXECUTE AS USER of an account it may not act as
// and of a name no account has are refused alike, or the answers would
// list the server's accounts (and which are dbas).
func TestSecAttack16ExecuteAsDoesNotTellAUserWhoExists(t *testing.T) {
	s := sa16Server(t)
	same := func(who creds, existing string) {
		t.Helper()
		exists := s.sql(who, "EXECUTE AS USER '"+existing+"' (SELECT 1)")
		missing := s.sql(who, "EXECUTE AS USER 'nosuchuser' (SELECT 1)")
		checkError(t, exists, http.StatusForbidden, "PERMISSION_DENIED", who.user+" as "+existing)
		if exists.httpStatus != missing.httpStatus || missing.Error == nil || exists.Error.Code != missing.Error.Code ||
			strings.ReplaceAll(exists.Error.Message, existing, "X") != strings.ReplaceAll(missing.Error.Message, "nosuchuser", "X") {
			t.Errorf("%s tells existing from missing accounts:\n %s: %s\n nosuchuser: %s", who.user, existing, exists, missing)
		}
	}
	same(basic("alice", "alice-pw"), "bob")
	same(basic("alice", "alice-pw"), "ops")
	same(basic("svc", "svc-pw"), "ops")
	same(basic("svc", "svc-pw"), "root")
	// Herself, by any spelling, is allowed; a dba is told a name is
	// unknown (it reads system.users anyway).
	if got := s.ok(basic("alice", "alice-pw"), "EXECUTE AS USER 'ALICE' (SELECT count(*) FROM app.msg)").rows(t); got != `[[3]]` {
		t.Errorf("alice as herself: %s", got)
	}
	s.fail(basic("ops", "ops-pw"), http.StatusNotFound, "NOT_FOUND", "EXECUTE AS USER 'nosuchuser' (SELECT 1)")
}

// TestSecAttack16EveryReadOfAForbiddenTableIsRefused: a user reaches a
// PRIVATE or RESTRICTED table, or a system table, through no part of a
// statement: a join's lookup side, subqueries in every clause, CTEs,
// set operations, writes that read, EXPLAIN. Each is refused, changes
// nothing and carries none of the table's values.
func TestSecAttack16EveryReadOfAForbiddenTableIsRefused(t *testing.T) {
	s := sa16Server(t)
	alice := basic("alice", "alice-pw")
	before := s.ok(alice, "SELECT id, conv_id, parent_id, body FROM app.msg ORDER BY id").rows(t)
	for _, tbl := range []string{"app.priv", "app.restr"} {
		for _, q := range []string{
			`SELECT m.id, p.note FROM app.msg m JOIN ` + tbl + ` p ON p.conv_id = m.conv_id WHERE m.id = 10`,
			`SELECT m.id FROM app.msg m LEFT JOIN ` + tbl + ` p ON p.conv_id = m.conv_id WHERE m.id = 10`,
			`SELECT m.id FROM ` + tbl + ` p RIGHT JOIN app.msg m ON p.conv_id = m.conv_id`,
			`SELECT id FROM app.msg m WHERE EXISTS (SELECT 1 FROM ` + tbl + ` p WHERE p.conv_id = m.conv_id AND p.note LIKE 'P%')`,
			`SELECT id FROM app.msg WHERE conv_id IN (SELECT conv_id FROM ` + tbl + `)`,
			`SELECT id, (SELECT note FROM ` + tbl + ` LIMIT 1) FROM app.msg`,
			`SELECT id FROM app.msg ORDER BY (SELECT count(*) FROM ` + tbl + `)`,
			`SELECT id FROM app.msg GROUP BY id HAVING count(*) < (SELECT count(*) FROM ` + tbl + `)`,
			`WITH x AS (SELECT note FROM ` + tbl + `) SELECT 1`,
			`WITH x AS (SELECT note FROM ` + tbl + `) SELECT count(*) FROM x`,
			`SELECT body FROM app.msg UNION SELECT note FROM ` + tbl,
			`SELECT 1 WHERE EXISTS (SELECT 1 FROM ` + tbl + ` WHERE note = 'PRIVSECRET')`,
			`SELECT count(*) FROM (SELECT * FROM ` + tbl + `) x`,
			`SELECT CASE WHEN false THEN (SELECT note FROM ` + tbl + ` LIMIT 1) END`,
			`EXPLAIN SELECT * FROM ` + tbl,
			`EXPLAIN SELECT id FROM app.msg WHERE conv_id IN (SELECT conv_id FROM ` + tbl + `)`,
			`INSERT INTO app.msg (id, body) SELECT id + 100, note FROM ` + tbl,
			`UPDATE app.msg SET body = (SELECT note FROM ` + tbl + ` LIMIT 1) WHERE id = 10`,
			`UPDATE app.msg SET body = 'x' WHERE EXISTS (SELECT 1 FROM ` + tbl + ` WHERE note LIKE 'P%')`,
			`DELETE FROM app.msg WHERE conv_id IN (SELECT conv_id FROM ` + tbl + `)`,
			`BEGIN; INSERT INTO app.msg (id, body) SELECT id + 200, note FROM ` + tbl + `; COMMIT`,
			`SELECT id FROM app.msg m WHERE m.conv_id = ANY (SELECT conv_id FROM ` + tbl + `)`,
			`SELECT * FROM app.msg m, LATERAL (SELECT note FROM ` + tbl + ` p WHERE p.conv_id = m.conv_id) x`,
		} {
			r := s.sql(alice, q)
			noSecret(t, q, r)
			if r.httpStatus == http.StatusOK {
				t.Errorf("%s: %s", q, r)
			} else if r.Error == nil || (r.Error.Code != "PERMISSION_DENIED" && r.Error.Code != "UNSUPPORTED" && r.Error.Code != "INVALID_SQL") {
				t.Errorf("%s: %s", q, r)
			}
		}
	}
	for _, q := range []string{
		`SELECT m.id FROM app.msg m JOIN system.users u ON u.user_id = m.body`,
		`SELECT id FROM app.msg WHERE body IN (SELECT username FROM system.users)`,
		`SELECT (SELECT count(*) FROM system.users)`,
		`SELECT count(*) FROM system.users`,
		`SELECT username FROM system.users WHERE username <> 'alice'`,
	} {
		r := s.sql(alice, q)
		if strings.Contains(r.raw, "bob") || strings.Contains(r.raw, `"ops"`) || strings.Contains(r.raw, `[[5]]`) || strings.Contains(r.raw, `[[6]]`) {
			t.Errorf("%s: alice learns of other accounts: %s", q, r)
		}
	}
	if got := s.ok(alice, "SELECT id, conv_id, parent_id, body FROM app.msg ORDER BY id").rows(t); got != before {
		t.Errorf("alice's rows changed: %s", got)
	}
}

// TestSecAttack16PlansAndStatsCountOnlyTheCallersPartition: EXPLAIN's
// cold-file counts and SHOW STATS of a USER table describe the caller's
// partition: a user without rows learns nothing of how many rows or
// files others have, hot or cold.
func TestSecAttack16PlansAndStatsCountOnlyTheCallersPartition(t *testing.T) {
	s := sa16Server(t)
	s.ok(root, `CREATE USER 'carol' WITH PASSWORD 'carol-pw' ROLE user`)
	carol := basic("carol", "carol-pw")
	for _, phase := range []string{"hot", "cold"} {
		if phase == "cold" {
			sa16Flush(t, s)
		}
		r := s.ok(carol, "SHOW STATS FOR TABLE app.msg")
		if got := r.rows(t); got != `[["app","msg",0,0,0,0,0]]` {
			t.Errorf("%s: carol's stats of app.msg: %s", phase, got)
		}
		for _, q := range []string{
			"EXPLAIN SELECT * FROM app.msg",
			"EXPLAIN SELECT * FROM app.msg WHERE id = 10",
			"EXPLAIN SELECT * FROM app.msg WHERE conv_id = 1 ORDER BY id DESC LIMIT 5",
			"EXPLAIN SELECT c.id, m.body FROM app.conv c JOIN app.msg m ON m.conv_id = c.id WHERE c.id = 1",
		} {
			r := s.ok(carol, q)
			for _, row := range r.Results[0].Rows {
				plan := fmt.Sprint(row[1])
				for _, line := range strings.Split(plan, "\n") {
					if strings.Contains(line, "cold:") && !strings.Contains(line, "cold: 0 ") && !strings.Contains(line, "no Parquet") {
						t.Errorf("%s: %s: carol's plan counts others' files: %q", phase, q, line)
					}
				}
			}
		}
	}
}

// TestSecAttack16CachedPlansCheckEveryCallersPermissions: a service runs
// fast-path statements on PRIVATE and PUBLIC tables first; the same texts
// from a user are refused, read nothing and write nothing.
func TestSecAttack16CachedPlansCheckEveryCallersPermissions(t *testing.T) {
	s := sa16Server(t)
	svc, alice := basic("svc", "svc-pw"), basic("alice", "alice-pw")
	for _, c := range []struct {
		sql    string
		params []any
	}{
		{"SELECT note FROM app.priv WHERE id = $1", []any{1}},
		{"SELECT note FROM app.priv WHERE conv_id = $1 ORDER BY id DESC LIMIT 5", []any{1}},
		{"SELECT note FROM app.priv WHERE id IN ($1, $2)", []any{1, 3}},
		{"INSERT INTO app.pub VALUES ($1, $2, $3)", []any{70, 1, "x"}},
		{"UPDATE app.pub SET note = $1 WHERE id = $2", []any{"x", 1}},
		{"DELETE FROM app.pub WHERE id = $1", []any{3}},
		{"UPDATE app.priv SET note = $1 WHERE id = $2", []any{"x", 1}},
	} {
		s.ok(svc, c.sql, c.params...)
		// Other values than the service's: a write that would change
		// nothing is TestSecAttack16WritesThatChangeNothingAreRefused's.
		if c.sql[0] == 'I' {
			c.params[0] = 71
		} else if c.sql[0] == 'U' {
			c.params[0] = "y"
		} else {
			c.params[0] = 1
		}
		r := s.fail(alice, http.StatusForbidden, "PERMISSION_DENIED", c.sql, c.params...)
		noSecret(t, c.sql, r)
	}
	if got := s.ok(root, "SELECT id, note FROM app.pub ORDER BY id").rows(t); got != `[[1,"x"],[70,"x"]]` {
		t.Errorf("app.pub after alice's refused writes: %s", got)
	}
}

// TestSecAttack16WritesThatChangeNothingAreRefused: a user may not write
// a PUBLIC table. An UPDATE whose new values equal the old ones, or an
// UPDATE or DELETE that matches no row, writes nothing, but must be
// refused like any other write there (PostgreSQL refuses them as it
// plans them), not answered with success and a count of rows.
func TestSecAttack16WritesThatChangeNothingAreRefused(t *testing.T) {
	s := sa16Server(t)
	alice := basic("alice", "alice-pw")
	before := s.ok(root, "SELECT id, note, _seq FROM app.pub ORDER BY id").rows(t)
	for _, q := range []string{
		"UPDATE app.pub SET note = 'pub-1' WHERE id = 1",
		"UPDATE app.pub SET note = note WHERE id = 1",
		"UPDATE app.pub SET note = 'zz' WHERE id = 999",
		"DELETE FROM app.pub WHERE id = 999",
		"DELETE FROM app.pub WHERE false",
		"INSERT INTO app.pub (id, conv_id, note) SELECT id, conv_id, note FROM app.pub WHERE false",
		"BEGIN; UPDATE app.pub SET note = note WHERE id = 1; COMMIT",
	} {
		s.fail(alice, http.StatusForbidden, "PERMISSION_DENIED", q)
	}
	s.fail(alice, http.StatusForbidden, "PERMISSION_DENIED", "UPDATE app.pub SET note = $1 WHERE id = $2", "pub-1", 1)
	if got := s.ok(root, "SELECT id, note, _seq FROM app.pub ORDER BY id").rows(t); got != before {
		t.Errorf("app.pub changed: %s, was %s", got, before)
	}
	// The service, who may write, still updates and deletes nothing
	// without an error.
	svc := basic("svc", "svc-pw")
	s.ok(svc, "UPDATE app.pub SET note = note WHERE id = 1; DELETE FROM app.pub WHERE id = 999")
}

// TestSecAttack16StreamJoinsStayInThePartition: a STREAM table joined
// with a USER table (either side first, outer and semi joins) shows the
// caller's events only.
func TestSecAttack16StreamJoinsStayInThePartition(t *testing.T) {
	s := sa16Server(t)
	s.ok(root, `CREATE STREAM TABLE app.typing (id BIGINT PRIMARY KEY, conv_id BIGINT, who TEXT) WITH (TTL_SECONDS = 600)`)
	s.ok(basic("alice", "alice-pw"), `INSERT INTO app.typing VALUES (1, 1, 'alice-typing')`)
	s.ok(basic("bob", "bob-pw"), `INSERT INTO app.typing VALUES (1, 1, 'BOBSECRET'), (2, 3, 'BOBSECRET')`)
	alice := basic("alice", "alice-pw")
	for _, c := range []sa16Case{
		{`SELECT m.id, ty.who FROM app.msg m JOIN app.typing ty ON ty.conv_id = m.conv_id WHERE m.id = 10`, `[[10,"alice-typing"]]`},
		{`SELECT ty.who, m.id FROM app.typing ty JOIN app.msg m ON m.conv_id = ty.conv_id WHERE ty.id IN (1, 2) ORDER BY m.id`, `[["alice-typing",10],["alice-typing",11]]`},
		{`SELECT ty.who FROM app.typing ty LEFT JOIN app.conv c ON c.id = ty.conv_id WHERE ty.id = 2`, `null`},
		{`SELECT id FROM app.typing ty WHERE EXISTS (SELECT 1 FROM app.msg m WHERE m.conv_id = ty.conv_id)`, `[[1]]`},
		{`SELECT a.who, b.who FROM app.typing a JOIN app.typing b ON b.id = a.id`, `[["alice-typing","alice-typing"]]`},
		{`SELECT count(*) FROM app.typing`, `[[1]]`},
	} {
		r := s.sql(alice, c.sql)
		noSecret(t, c.sql, r)
		if r.httpStatus != http.StatusOK {
			t.Errorf("%s: %s", c.sql, r)
		} else if got := r.rows(t); got != c.want {
			t.Errorf("%s: got %s, want %s", c.sql, got, c.want)
		}
	}
}

// TestSecAttack16LiveChangesOfOneTransactionStayInTheirPartitions: a
// service's transaction writes as alice and as bob; alice's subscription
// gets her change only, bob's his.
func TestSecAttack16LiveChangesOfOneTransactionStayInTheirPartitions(t *testing.T) {
	s := sa16Server(t)
	a := s.loginWS(t, "alice", "alice-pw")
	a.subscribeAll("m", "SELECT id, body FROM app.msg WHERE conv_id = 1", nil)
	b := s.loginWS(t, "bob", "bob-pw")
	b.subscribeAll("m", "SELECT id, body FROM app.msg WHERE conv_id = 1", nil)
	s.ok(basic("svc", "svc-pw"), `BEGIN;
		EXECUTE AS USER 'bob' (INSERT INTO app.msg VALUES (60, 1, NULL, 'BOBSECRET'));
		EXECUTE AS USER 'alice' (INSERT INTO app.msg VALUES (61, 1, NULL, 'alice-61'));
		EXECUTE AS USER 'bob' (UPDATE app.msg SET body = 'BOBSECRET2' WHERE id = 10);
		EXECUTE AS USER 'bob' (DELETE FROM app.msg WHERE id = 12);
		EXECUTE AS USER 'alice' (UPDATE app.msg SET body = 'alice-10' WHERE id = 10);
		COMMIT`)
	var got []string
	for len(got) < 2 {
		m := a.recv()
		if strings.Contains(m.raw, "BOBSECRET") {
			t.Fatalf("alice got bob's change: %s", m.raw)
		}
		if m.Type == "change" {
			got = append(got, m.ChangeType)
		}
	}
	// A marker of alice's own ends the wait for anything else.
	s.ok(basic("alice", "alice-pw"), "INSERT INTO app.msg VALUES (62, 1, NULL, 'marker')")
	for {
		m := a.recv()
		if strings.Contains(m.raw, "BOBSECRET") {
			t.Fatalf("alice got bob's change: %s", m.raw)
		}
		if strings.Contains(m.raw, "marker") {
			break
		}
	}
	if fmt.Sprint(got) != "[insert update]" {
		t.Errorf("alice's changes: %v", got)
	}
	if ch := b.change("m"); !strings.Contains(ch, "BOBSECRET") || strings.Contains(ch, "alice") {
		t.Errorf("bob's first change: %s", ch)
	}
}

// TestSecAttack16SlowLoadingDoesNotPinOtherTablesFiles: loading_idle_timeout
// bounds how long a loading subscription waits for its next next_batch;
// a client that asked for one row (batch_size 1) just before each timeout
// kept its snapshot for rows × the timeout (a 100,000-row partition: 69
// days at the default 60 s), and with it, server-wide, every Parquet file
// a compaction of any table replaced (TestLA15LoadingSubscriptionDoesNotPinOtherTablesFiles).
// loading_max_duration ends such a subscription, and the replaced files
// of another table go.
func TestSecAttack16SlowLoadingDoesNotPinOtherTablesFiles(t *testing.T) {
	// Most of its time waits out the 30 s grace of replaced files: it runs
	// beside the other tests that wait for it, on a server of its own.
	t.Parallel()
	// Short bounds keep the test short; the defaults (60 s, 10 min)
	// behave the same way.
	s := sa16Server(t, func(c *config.Config) {
		c.Storage.FlushRows = 0
		c.Storage.FlushInterval = 0
		c.WebSocket.LoadingIdleTimeout = 3 * time.Second
		c.WebSocket.LoadingMaxDuration = 6 * time.Second
	})
	alice := basic("alice", "alice-pw")
	var vals []string
	for i := 100; i < 400; i++ {
		vals = append(vals, fmt.Sprintf("(%d, 1, NULL, 'x')", i))
	}
	s.ok(alice, "INSERT INTO app.msg VALUES "+strings.Join(vals, ", "))
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribe("slow", "SELECT id FROM app.msg", map[string]any{"batch_size": 1})
	c.expect("subscription_ack", "slow")
	c.expect("initial_data_batch", "slow")
	for i := 1; i <= 2; i++ {
		s.ok(root, fmt.Sprintf("INSERT INTO app.pub VALUES (%d, 1, 'x')", 100+i))
		s.ok(root, "STORAGE FLUSH TABLE app.pub")
		waitJobs(t, s)
	}
	s.ok(root, "STORAGE COMPACT TABLE app.pub")
	waitJobs(t, s)
	// alice asks for a batch every second, within the idle timeout, until
	// her subscription is ended.
	for ended := false; !ended; {
		time.Sleep(time.Second)
		c.send(map[string]any{"type": "next_batch", "subscription_id": "slow"})
		for {
			m := c.recv()
			if m.Type == "error" {
				if m.Code != "SUBSCRIPTION_FAILED" || !strings.Contains(m.Message, "loading_max_duration") {
					t.Fatalf("the slow subscription ended with %s", m.raw)
				}
				ended = true
			}
			if m.Type == "error" || m.Type == "initial_data_batch" {
				break
			}
		}
	}
	// The replaced files of app.pub go once the grace for running
	// statements (30 s) has passed; the bound only keeps a broken server
	// from hanging the run.
	for deadline := time.Now().Add(90 * time.Second); len(s.parquetFiles("pub")) > 1; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("replaced files of app.pub still on disk after alice's slow subscription ended: %v", s.parquetFiles("pub"))
		}
	}
}
