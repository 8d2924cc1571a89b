package e2e_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Crash points the other process tests do not reach: ALTER TABLE's
// schema versions under a flush or compaction killed at each of its
// steps, a multi-table transaction killed before and after its commit,
// user and token changes, drops, and the _seq order after a restart.
// Every test kills the real binary (SIGKILL, or a failpoint's exit) and
// asserts what the next start must show, whatever the kill hit.

// noFlushEnv keeps the flush policy out of the tests: only the
// statements they send move rows to Parquet.
var noFlushEnv = []string{"KALAMDB_STORAGE_FLUSH_ROWS=0", "KALAMDB_STORAGE_FLUSH_INTERVAL=0s"}

// kill9 kills the process with SIGKILL and waits for it.
func (p *serverProcess) kill9() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// restartProcess starts the binary over dir again and returns a client.
func restartProcess(t *testing.T, bin, dir string, env ...string) (*serverProcess, *server) {
	t.Helper()
	p := startProcess(t, bin, dir, env...)
	return p, &server{t: t, base: p.base}
}

// postAcked posts a batch to a server that may die under it and reports
// whether it answered success: only then is the batch acknowledged.
func (p *serverProcess) postAcked(c creds, sqlText string) bool {
	body, _ := json.Marshal(map[string]any{"sql": sqlText})
	req, err := http.NewRequest(http.MethodPost, p.base+"/v1/api/sql", bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(c.user, c.password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return err == nil && resp.StatusCode == http.StatusOK && strings.Contains(string(raw), `"status":"success"`)
}

// copyDataDir copies a stopped server's data directory, so several
// crash runs start from the same state without building it again.
func copyDataDir(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(from)); err != nil {
		t.Fatalf("copy %s: %v", from, err)
	}
	return dir
}

// maxSeq is the highest _seq alice's rows of table carry (0 for none).
func maxSeq(t *testing.T, s *server, c creds, table string) int64 {
	t.Helper()
	r := s.ok(c, "SELECT COALESCE(MAX(_seq), 0) FROM "+table)
	n, err := r.Results[0].Rows[0][0].(json.Number).Int64()
	if err != nil {
		t.Fatalf("max _seq of %s: %s", table, r.raw)
	}
	return n
}

// schemaQuery reads every version alice's rows of crash.s carry now,
// _seq included: a version brought back by a crash shows as another
// _seq or value.
const schemaQuery = "SELECT id, a, c, b, _seq FROM crash.s ORDER BY id"

// setupSchemaVersions builds crash.s through five schema versions, with
// a Parquet file of version 1, one of version 2 (in which row 5 of
// version 1 is updated) and hot rows of version 5, among them a delete
// and an update of a flushed row: b is dropped and added again (a new
// column: its old values never come back), a is widened.
func setupSchemaVersions(t *testing.T, s *server) creds {
	t.Helper()
	s.ok(root, `CREATE NAMESPACE crash; CREATE TABLE crash.s (id BIGINT PRIMARY KEY, a INT, b TEXT);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user`)
	alice := basic("alice", "alice-pw")
	values := func(from, to int, row func(i int) string) string {
		var parts []string
		for i := from; i <= to; i++ {
			parts = append(parts, row(i))
		}
		return strings.Join(parts, ", ")
	}
	s.ok(alice, "INSERT INTO crash.s (id, a, b) VALUES "+values(1, 20, func(i int) string { return fmt.Sprintf("(%d, %d, 'old b %d')", i, i, i) }))
	jobOf(t, s, "STORAGE FLUSH TABLE crash.s")
	waitJobs(t, s)
	s.ok(root, "ALTER TABLE crash.s ADD COLUMN c TEXT NOT NULL DEFAULT 'dflt'")
	s.ok(alice, "INSERT INTO crash.s (id, a, b, c) VALUES "+values(21, 30, func(i int) string { return fmt.Sprintf("(%d, %d, 'old b %d', 'c %d')", i, i, i, i) }))
	s.ok(alice, "UPDATE crash.s SET a = 500 WHERE id = 5")
	jobOf(t, s, "STORAGE FLUSH TABLE crash.s")
	waitJobs(t, s)
	s.ok(root, "ALTER TABLE crash.s DROP COLUMN b")
	s.ok(root, "ALTER TABLE crash.s ADD COLUMN b TEXT DEFAULT 'new b'")
	s.ok(root, "ALTER TABLE crash.s MODIFY COLUMN a BIGINT")
	s.ok(alice, "INSERT INTO crash.s (id, a, b, c) VALUES "+values(31, 40, func(i int) string { return fmt.Sprintf("(%d, %d, 'b %d', 'c %d')", i, int64(i)<<33, i, i) }))
	s.ok(alice, "DELETE FROM crash.s WHERE id IN (3, 22)")
	s.ok(alice, "UPDATE crash.s SET b = 'updated' WHERE id IN (7, 25)")
	return alice
}

// schemaVersionsAcrossJobCrashes: a table whose rows and
// files were written under five schema versions reads the same, _seq
// included, after the server dies at each step of a flush and of a
// compaction (which merges files of two versions), after the retried
// job, and after clean runs of both; a write after all that is newer
// than every row before.
func schemaVersionsAcrossJobCrashes(t *testing.T, bin string) {
	seed := t.TempDir()
	p, s := restartProcess(t, bin, seed, noFlushEnv...)
	alice := setupSchemaVersions(t, s)
	want := s.ok(alice, schemaQuery).rows(t)
	// The answer itself: defaults for the past, the dropped b never back.
	for _, frag := range []string{`[1,1,"dflt","new b",`, `[5,500,"dflt","new b",`, `[7,7,"dflt","updated",`,
		`[21,21,"c 21","new b",`, `[25,25,"c 25","updated",`, `[40,343597383680,"c 40","b 40",`} {
		if !strings.Contains(want, frag) {
			t.Fatalf("before any crash, %s lacks %s", want, frag)
		}
	}
	if strings.Contains(want, "old b") || strings.Contains(want, "[3,") || strings.Contains(want, "[22,") {
		t.Fatalf("a dropped value or deleted row reads back: %s", want)
	}
	p.terminate(t, time.Minute)

	points := []struct{ point, stmt string }{
		{"flush.after_write", "STORAGE FLUSH TABLE crash.s"},
		{"compact.after_write", "STORAGE COMPACT TABLE crash.s"},
		{"compact.after_swap", "STORAGE COMPACT TABLE crash.s"},
	}
	if soakDuration(t) > 0 {
		// make test runs the points a crash there leaves the most
		// behind (a file no manifest lists, a merged file listed and the
		// old ones not yet removed); make soak all of them.
		points = append(points, []struct{ point, stmt string }{
			{"flush.before_write", "STORAGE FLUSH TABLE crash.s"},
			{"flush.after_commit", "STORAGE FLUSH TABLE crash.s"},
			{"compact.before_write", "STORAGE COMPACT TABLE crash.s"},
		}...)
	}
	for _, pt := range points {
		t.Run(pt.point, func(t *testing.T) {
			dir := copyDataDir(t, seed)
			p, s := restartProcess(t, bin, dir, append(noFlushEnv, "KALAMDB_FAILPOINT="+pt.point)...)
			check := func(s *server, when string) {
				t.Helper()
				if got := s.ok(alice, schemaQuery).rows(t); got != want {
					t.Fatalf("%s:\n got %s\nwant %s", when, got, want)
				}
			}
			check(s, "at the start")
			before := maxSeq(t, s, alice, "crash.s")
			p.postDying(root, pt.stmt)
			p.waitFailpointExit(t)
			_, s = restartProcess(t, bin, dir, noFlushEnv...)
			check(s, "after the crash")
			waitJobs(t, s)
			check(s, "after the retried job")
			for _, stmt := range []string{"STORAGE FLUSH TABLE crash.s", "STORAGE COMPACT TABLE crash.s"} {
				jobOf(t, s, stmt)
				waitJobs(t, s)
				check(s, "after "+stmt)
			}
			if got := s.ok(root, "SELECT count(*) FROM system.jobs WHERE status IN ('queued', 'running')").rows(t); got != "[[0]]" {
				t.Fatalf("jobs left: %s", got)
			}
			s.ok(alice, "INSERT INTO crash.s (id, a) VALUES (41, 41)")
			if after := maxSeq(t, s, alice, "crash.s"); after <= before {
				t.Fatalf("a write after the restart has _seq %d, not above %d", after, before)
			}
		})
	}
}

// bankState reads the invariants of the bank tables: the sum of the
// balances (constant), how many transfers each of the three tables
// records (equal when every transfer is whole), and each account.
func bankState(t *testing.T, s *server) (sum, accts, logs, mine string) {
	t.Helper()
	sum = s.ok(root, "SELECT SUM(balance), COUNT(*) FROM bank.acct").rows(t)
	accts = s.ok(root, "SELECT id, balance FROM bank.acct ORDER BY id").rows(t)
	logs = s.ok(root, "SELECT COUNT(*) FROM bank.log").rows(t)
	mine = s.ok(root, "SELECT COUNT(*) FROM bank.mine").rows(t)
	return sum, accts, logs, mine
}

// transfer is transaction k: it moves 1 from account 3 (flushed) to
// account 15 (hot), deletes account 100+k, and records k in a SHARED
// and a USER table.
func transfer(k int) string {
	return fmt.Sprintf(`BEGIN;
		UPDATE bank.acct SET balance = balance - 1 WHERE id = 3;
		UPDATE bank.acct SET balance = balance + 1 WHERE id = 15;
		UPDATE bank.acct SET balance = balance + (SELECT balance FROM bank.acct WHERE id = %d) WHERE id = 1;
		DELETE FROM bank.acct WHERE id = %d;
		INSERT INTO bank.log (id, note) VALUES (%d, 'transfer %d');
		INSERT INTO bank.mine (id, note) VALUES (%d, 'transfer %d');
		COMMIT`, 100+k, 100+k, k, k, k, k)
}

// checkBank asserts that exactly the transfers in done are applied,
// whole: every one of their writes, in every table, and none of any
// other.
func checkBank(t *testing.T, s *server, done []int, when string) {
	t.Helper()
	sum, accts, logs, mine := bankState(t, s)
	n := len(done)
	if want := fmt.Sprintf("[[%d,%d]]", 20*100+10*5, 20+10-n); sum != want {
		t.Fatalf("%s: sum and count of accounts %s, want %s (accounts %s)", when, sum, want, accts)
	}
	if want := fmt.Sprintf("[[%d]]", n); logs != want || mine != want {
		t.Fatalf("%s: log %s, mine %s, want %s each", when, logs, mine, want)
	}
	want := map[int]int{1: 100, 3: 100, 15: 100}
	want[1] += 5 * n
	want[3] -= n
	want[15] += n
	for id, bal := range want {
		if got := s.ok(root, "SELECT balance FROM bank.acct WHERE id = $1", id).rows(t); got != fmt.Sprintf("[[%d]]", bal) {
			t.Fatalf("%s: account %d holds %s, want %d", when, id, got, bal)
		}
	}
	for _, k := range done {
		if got := s.ok(root, "SELECT note FROM bank.log WHERE id = $1", k).rows(t); got != fmt.Sprintf(`[["transfer %d"]]`, k) {
			t.Fatalf("%s: transfer %d is not logged: %s", when, k, got)
		}
	}
}

// transactionAcrossTables: a BEGIN ... COMMIT batch writing
// three tables (a USER one, two SHARED ones, flushed and hot rows,
// updates, a delete, inserts) is all or nothing after the server dies
// inside its commit (the failpoint just before the batch is written),
// after it is killed right after COMMIT answered, and when a kill lands
// anywhere during the request (a range of delays: whatever it hit, the
// transfer is whole or absent, and whole when it was answered).
func transactionAcrossTables(t *testing.T, bin string) {
	dir := t.TempDir()
	p, s := restartProcess(t, bin, dir, noFlushEnv...)
	s.ok(root, `CREATE NAMESPACE bank;
		CREATE SHARED TABLE bank.acct (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL);
		CREATE SHARED TABLE bank.log (id BIGINT PRIMARY KEY, note TEXT);
		CREATE TABLE bank.mine (id BIGINT PRIMARY KEY, note TEXT)`)
	var b strings.Builder
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "INSERT INTO bank.acct VALUES (%d, 100), (%d, 5);", i, 100+i)
	}
	s.ok(root, b.String())
	jobOf(t, s, "STORAGE FLUSH TABLE bank.acct")
	waitJobs(t, s)
	s.ok(root, "INSERT INTO bank.acct VALUES (11, 100), (12, 100), (13, 100), (14, 100), (15, 100), (16, 100), (17, 100), (18, 100), (19, 100), (20, 100)")
	var done []int
	checkBank(t, s, done, "before")
	p.terminate(t, time.Minute)

	// Dies after validating, before the batch is written.
	p = startProcess(t, bin, dir, append(noFlushEnv, "KALAMDB_FAILPOINT=txn.commit.before-write")...)
	p.postDying(root, transfer(1))
	p.waitFailpointExit(t)
	p, s = restartProcess(t, bin, dir, noFlushEnv...)
	checkBank(t, s, done, "after a crash inside the commit")

	// Answered, then killed.
	start := time.Now()
	s.ok(root, transfer(1))
	took := time.Since(start)
	done = append(done, 1)
	p.kill9()
	p, s = restartProcess(t, bin, dir, noFlushEnv...)
	checkBank(t, s, done, "after a kill right after COMMIT")

	// A kill anywhere in the request.
	rounds := 2
	if soakDuration(t) > 0 {
		rounds = 40
	}
	for k := 2; k < 2+rounds; k++ {
		acked := make(chan bool, 1)
		go func() { acked <- p.postAcked(root, transfer(k)) }()
		time.Sleep(killDelay(k, rounds, took))
		p.kill9()
		ok := <-acked
		p, s = restartProcess(t, bin, dir, noFlushEnv...)
		applied := s.ok(root, "SELECT COUNT(*) FROM bank.log WHERE id = $1", k).rows(t) == "[[1]]"
		if ok && !applied {
			t.Fatalf("transfer %d was answered success and is lost", k)
		}
		if applied {
			done = append(done, k)
		}
		t.Logf("transfer %d: answered %v, applied %v", k, ok, applied)
		checkBank(t, s, done, fmt.Sprintf("after a kill during transfer %d (answered: %v, applied: %v)", k, ok, applied))
	}
}

// killDelay is the delay of round k of n: the rounds spread over a
// four times took, how long the statement took when nothing
// killed the server, so the kills land before, in and after its
// commit. Only where the kill lands depends on it, never what is
// asserted.
func killDelay(k, n int, took time.Duration) time.Duration {
	return took * time.Duration(k%n) * 4 / time.Duration(n)
}

// soakDuration is KALAMDB_SOAK (make soak), 0 in make test: the crash
// loops run a few rounds in make test and many under make soak.
func soakDuration(t *testing.T) time.Duration {
	t.Helper()
	v := os.Getenv("KALAMDB_SOAK")
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("KALAMDB_SOAK=%q: %v", v, err)
	}
	return d
}

// TestKill9CrashPoints builds the binary once for every crash test of this file.
func TestKill9CrashPoints(t *testing.T) {
	bin := buildServer(t)
	t.Run("schema versions across job crashes", func(t *testing.T) { schemaVersionsAcrossJobCrashes(t, bin) })
	t.Run("transaction across tables", func(t *testing.T) { transactionAcrossTables(t, bin) })
	t.Run("users and tokens", func(t *testing.T) { usersAcrossKills(t, bin) })
	t.Run("drops", func(t *testing.T) { dropsAcrossKills(t, bin) })
	t.Run("seq after the clock went back", func(t *testing.T) { seqAfterClockWentBack(t, bin) })
	t.Run("torn files", func(t *testing.T) { tornFiles(t, bin) })
	t.Run("DDL killed anywhere", func(t *testing.T) { ddlKilledAnywhere(t, bin) })
	t.Run("live resume mid-load after a kill", func(t *testing.T) { liveResumeMidLoadAfterKill(t, bin) })
}

// usersAcrossKills: user changes answered just before a SIGKILL hold
// after the restart: a changed password (by an admin and by the user)
// refuses the old one and its tokens, a dropped user and its tokens
// are refused, a created one signs in, and a name dropped and created
// again is a new, empty identity.
func usersAcrossKills(t *testing.T, bin string) {
	dir := t.TempDir()
	p, s := restartProcess(t, bin, dir, noFlushEnv...)
	s.ok(root, `CREATE NAMESPACE acc; CREATE TABLE acc.notes (id BIGINT PRIMARY KEY, body TEXT);
		CREATE USER 'bob' WITH PASSWORD 'bob-old' ROLE user; CREATE USER 'eve' WITH PASSWORD 'eve-pw' ROLE user`)
	s.ok(basic("bob", "bob-old"), "INSERT INTO acc.notes VALUES (1, 'bob before')")
	s.ok(basic("eve", "eve-pw"), "INSERT INTO acc.notes VALUES (1, 'eve before')")
	jobOf(t, s, "STORAGE FLUSH TABLE acc.notes")
	waitJobs(t, s)
	bobTok := s.login(t, "bob", "bob-old")
	eveTok := s.login(t, "eve", "eve-pw")
	s.ok(bearer(bobTok.AccessToken), "SELECT 1")

	s.ok(root, "ALTER USER 'bob' SET PASSWORD 'bob-new'")
	s.ok(root, "DROP USER 'eve'")
	s.ok(root, "CREATE USER 'carol' WITH PASSWORD 'carol-pw' ROLE user")
	p.kill9()
	p, s = restartProcess(t, bin, dir, noFlushEnv...)
	refused := func(c creds, who string) {
		t.Helper()
		if r := s.sql(c, "SELECT 1"); r.httpStatus != http.StatusUnauthorized {
			t.Fatalf("%s after the kill: %s", who, r)
		}
	}
	refused(basic("bob", "bob-old"), "bob's old password")
	refused(bearer(bobTok.AccessToken), "bob's token issued before the change")
	if r := s.refresh(bobTok.RefreshToken); r.httpStatus == http.StatusOK {
		t.Fatalf("bob's refresh token issued before the change: %s", r)
	}
	if got := s.ok(basic("bob", "bob-new"), "SELECT body FROM acc.notes").rows(t); got != `[["bob before"]]` {
		t.Fatalf("bob's rows: %s", got)
	}
	refused(basic("eve", "eve-pw"), "dropped eve")
	refused(bearer(eveTok.AccessToken), "dropped eve's token")
	s.ok(basic("carol", "carol-pw"), "SELECT 1")

	s.ok(root, "CREATE USER 'eve' WITH PASSWORD 'eve-pw2' ROLE user")
	s.ok(basic("bob", "bob-new"), "ALTER USER 'bob' SET PASSWORD 'bob-3' CURRENT PASSWORD 'bob-new'")
	p.kill9()
	_, s = restartProcess(t, bin, dir, noFlushEnv...)
	if got := s.ok(basic("eve", "eve-pw2"), "SELECT COUNT(*) FROM acc.notes").rows(t); got != "[[0]]" {
		t.Fatalf("the new eve reads the dropped eve's rows: %s", got)
	}
	refused(bearer(eveTok.AccessToken), "the dropped eve's token, with a new eve")
	refused(basic("bob", "bob-new"), "bob's second password")
	s.ok(basic("bob", "bob-3"), "SELECT 1")
}

// dropTargets creates namespace gone: a USER table with an index, a
// SHARED table and a STREAM table, with flushed and hot rows of alice
// and root.
func dropTargets(t *testing.T, s *server, alice creds) {
	t.Helper()
	s.ok(root, `CREATE NAMESPACE gone; CREATE TABLE gone.u (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT);
		CREATE SHARED TABLE gone.sh (id BIGINT PRIMARY KEY, body TEXT);
		CREATE STREAM TABLE gone.ev (n INT) WITH (TTL_SECONDS = 3600);
		CREATE INDEX u_conv ON gone.u (conv)`)
	var u, sh []string
	for i := 1; i <= 40; i++ {
		u = append(u, fmt.Sprintf("(%d, %d, 'u %d')", i, i%4, i))
		sh = append(sh, fmt.Sprintf("(%d, 'sh %d')", i, i))
	}
	s.ok(alice, "INSERT INTO gone.u VALUES "+strings.Join(u[:30], ", "))
	s.ok(root, "INSERT INTO gone.sh VALUES "+strings.Join(sh[:30], ", "))
	jobOf(t, s, "STORAGE FLUSH TABLE gone.u")
	jobOf(t, s, "STORAGE FLUSH TABLE gone.sh")
	waitJobs(t, s)
	s.ok(alice, "INSERT INTO gone.u VALUES "+strings.Join(u[30:], ", "))
	s.ok(root, "INSERT INTO gone.sh VALUES "+strings.Join(sh[30:], ", "))
	s.ok(alice, "INSERT INTO gone.ev VALUES (1), (2), (3)")
}

// goneCounts is what alice sees of gone's tables, or "" for each one
// that does not exist.
func goneCounts(t *testing.T, s *server, alice creds) []string {
	t.Helper()
	var out []string
	for _, q := range []struct {
		c   creds
		sql string
	}{{alice, "SELECT COUNT(*) FROM gone.u"}, {root, "SELECT COUNT(*) FROM gone.sh"}, {alice, "SELECT COUNT(*) FROM gone.ev"},
		{alice, "SELECT COUNT(*) FROM gone.u WHERE conv = 1"}} {
		r := s.sql(q.c, q.sql)
		switch {
		case r.httpStatus == http.StatusOK:
			out = append(out, r.rows(t))
		case r.Error != nil && strings.HasSuffix(r.Error.Code, "NOT_FOUND"):
			out = append(out, "")
		default:
			t.Fatalf("%s: %s", q.sql, r)
		}
	}
	return out
}

// dropsAcrossKills: DROP INDEX, DROP TABLE and DROP NAMESPACE CASCADE
// answered just before a SIGKILL stay dropped after the restart (no
// table, no rows, no index entries come back, hot or cold), the names
// are free and what is created under them again is empty; and a kill
// anywhere during DROP NAMESPACE CASCADE leaves the namespace whole or
// gone, never half there.
func dropsAcrossKills(t *testing.T, bin string) {
	dir := t.TempDir()
	p, s := restartProcess(t, bin, dir, noFlushEnv...)
	s.ok(root, "CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user")
	alice := basic("alice", "alice-pw")
	dropTargets(t, s, alice)
	whole := `[[[40]] [[40]] [[3]] [[10]]]`
	if got := fmt.Sprint(goneCounts(t, s, alice)); got != whole {
		t.Fatalf("before: %s", got)
	}

	s.ok(root, "DROP INDEX gone.u_conv")
	s.ok(alice, "UPDATE gone.u SET conv = 1 WHERE id IN (2, 35)")
	p.kill9()
	p, s = restartProcess(t, bin, dir, noFlushEnv...)
	if got := s.ok(root, "SHOW INDEXES FROM gone.u").rows(t); got != "null" {
		t.Fatalf("a dropped index after the kill: %s", got)
	}
	s.ok(root, "CREATE INDEX u_conv ON gone.u (conv)")
	waitJobs(t, s)
	for c := 0; c < 4; c++ {
		via := s.ok(alice, "SELECT id FROM gone.u WHERE conv = $1 ORDER BY id", c).rows(t)
		scan := s.ok(alice, "SELECT id FROM gone.u WHERE conv + 0 = $1 ORDER BY id", c).rows(t)
		if via != scan {
			t.Fatalf("conv %d: through the index created again %s, scanned %s", c, via, scan)
		}
	}

	s.ok(root, "DROP TABLE gone.u")
	p.kill9()
	p, s = restartProcess(t, bin, dir, noFlushEnv...)
	if got := fmt.Sprint(goneCounts(t, s, alice)); got != `[ [[40]] [[3]] ]` {
		t.Fatalf("after DROP TABLE and a kill: %s", got)
	}
	s.ok(root, "CREATE TABLE gone.u (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT)")
	waitJobs(t, s)
	jobOf(t, s, "STORAGE FLUSH TABLE gone.u")
	waitJobs(t, s)
	if got := s.ok(alice, "SELECT COUNT(*) FROM gone.u").rows(t); got != "[[0]]" {
		t.Fatalf("the table created again after a kill reads %s", got)
	}

	start := time.Now()
	s.ok(root, "DROP NAMESPACE gone CASCADE")
	took := time.Since(start)
	p.kill9()
	p, s = restartProcess(t, bin, dir, noFlushEnv...)
	if got := fmt.Sprint(goneCounts(t, s, alice)); got != `[   ]` {
		t.Fatalf("after DROP NAMESPACE and a kill: %s", got)
	}
	if got := s.ok(root, "SELECT COUNT(*) FROM system.tables WHERE namespace_id = 'gone'").rows(t); got != "[[0]]" {
		t.Fatalf("tables of the dropped namespace: %s", got)
	}

	// A kill anywhere during DROP NAMESPACE CASCADE.
	rounds := 2
	if soakDuration(t) > 0 {
		rounds = 30
	}
	for k := 0; k < rounds; k++ {
		waitJobs(t, s)
		dropTargets(t, s, alice)
		acked := make(chan bool, 1)
		go func() { acked <- p.postAcked(root, "DROP NAMESPACE gone CASCADE") }()
		time.Sleep(killDelay(k, rounds, took))
		p.kill9()
		ok := <-acked
		p, s = restartProcess(t, bin, dir, noFlushEnv...)
		got := fmt.Sprint(goneCounts(t, s, alice))
		t.Logf("round %d: answered %v, gone reads %s", k, ok, got)
		if got != `[   ]` && (ok || got != whole) {
			t.Fatalf("round %d (answered %v): after a kill during DROP NAMESPACE the namespace reads %s", k, ok, got)
		}
		if got == whole {
			s.ok(root, "DROP NAMESPACE gone CASCADE")
		}
	}
	waitJobs(t, s)
	s.ok(root, `CREATE NAMESPACE gone; CREATE TABLE gone.u (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT);
		CREATE SHARED TABLE gone.sh (id BIGINT PRIMARY KEY, body TEXT);
		CREATE STREAM TABLE gone.ev (n INT) WITH (TTL_SECONDS = 3600)`)
	if got := fmt.Sprint(goneCounts(t, s, alice)); got != `[[[0]] [[0]] [[0]] [[0]]]` {
		t.Fatalf("tables created again after the kills: %s", got)
	}
}

// seqAfterClockWentBack: the server is killed after writes made while
// its clock was an hour ahead (the _seq lease it left is an hour ahead,
// plantSeqLease), and restarts with the clock right, as after an NTP
// step back. Every write after the restart must still be newer than
// every write before: an update of a row written before the kill wins,
// hot and after a flush and a compaction, and a live subscription that
// resumes from the last _seq its client saw before the kill receives
// the writes made after the restart.
func seqAfterClockWentBack(t *testing.T, bin string) {
	dir := t.TempDir()
	p, s := restartProcess(t, bin, dir, noFlushEnv...)
	s.ok(root, `CREATE NAMESPACE clock; CREATE TABLE clock.t (id BIGINT PRIMARY KEY, body TEXT);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user`)
	alice := basic("alice", "alice-pw")
	s.ok(alice, "INSERT INTO clock.t VALUES (1, 'one'), (2, 'two'), (3, 'three')")
	jobOf(t, s, "STORAGE FLUSH TABLE clock.t")
	waitJobs(t, s)
	s.ok(alice, "INSERT INTO clock.t VALUES (4, 'four')")
	s.ok(alice, "UPDATE clock.t SET body = 'two before' WHERE id = 2")
	c := s.loginWS(t, "alice", "alice-pw")
	_, rows := c.subscribeAll("m", "SELECT id, body FROM clock.t", nil)
	if len(rows) != 4 {
		t.Fatalf("initial data: %v", rows)
	}
	_ = c.c.CloseNow()
	before := maxSeq(t, s, alice, "clock.t")
	p.kill9()
	plantSeqLease(t, dir, time.Now().Add(time.Hour).Truncate(time.Millisecond))

	p, s = restartProcess(t, bin, dir, noFlushEnv...)
	s.ok(alice, "UPDATE clock.t SET body = 'one after' WHERE id = 1") // cold
	s.ok(alice, "UPDATE clock.t SET body = 'two after' WHERE id = 2") // hot
	s.ok(alice, "DELETE FROM clock.t WHERE id = 4")                   // hot
	s.ok(alice, "INSERT INTO clock.t VALUES (5, 'five')")             // new
	if after := s.ok(alice, "SELECT MIN(_seq) FROM clock.t WHERE id IN (1, 2, 5)").rows(t); after <= fmt.Sprintf("[[%d]]", before) {
		t.Fatalf("writes after the restart have _seq from %s, not above %d", after, before)
	}
	const want = `[[1,"one after"],[2,"two after"],[3,"three"],[5,"five"]]`
	check := func(s *server, when string) {
		t.Helper()
		if got := s.ok(alice, "SELECT id, body FROM clock.t ORDER BY id").rows(t); got != want {
			t.Fatalf("%s: %s, want %s", when, got, want)
		}
	}
	check(s, "after the restart")
	c = s.loginWS(t, "alice", "alice-pw")
	_, rows = c.subscribeAll("m", "SELECT id, body FROM clock.t", map[string]any{"from_seq_id": fmt.Sprint(before)})
	if fmt.Sprint(rows) != "[map[body:one after id:1] map[body:two after id:2] map[body:five id:5]]" {
		t.Fatalf("resumed from the _seq seen before the kill: %v", rows)
	}
	if d := c.expect("change", "m"); d.ChangeType != "delete" || !strings.Contains(d.raw, `"id":4`) {
		t.Fatalf("the resumed subscription does not name the deleted row: %s", d.raw)
	}
	_ = c.c.CloseNow()
	for _, stmt := range []string{"STORAGE FLUSH TABLE clock.t", "STORAGE COMPACT TABLE clock.t"} {
		jobOf(t, s, stmt)
		waitJobs(t, s)
		check(s, "after "+stmt)
	}
	p.kill9()
	_, s = restartProcess(t, bin, dir, noFlushEnv...)
	check(s, "after a second kill")
}

// tornFiles: after a kill, the newest Parquet file of a partition is
// cut short, emptied or overwritten, or its manifest.json mirror is;
// the next start must answer every read rightly or refuse it with an
// error, never answer without the damaged file's rows. Damage to the
// file's metadata (footer, bloom filters, page indexes) is caught by the
// checksum its manifest entry records. A refusal is SQL_EXECUTION_ERROR
// saying the table's cold data is unreadable, and names no storage
// path, file or Go error of the storage layer: those go to the log.
func tornFiles(t *testing.T, bin string) {
	seed := t.TempDir()
	p, s := restartProcess(t, bin, seed, noFlushEnv...)
	s.ok(root, `CREATE NAMESPACE torn; CREATE TABLE torn.t (id BIGINT PRIMARY KEY, body TEXT);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user`)
	alice := basic("alice", "alice-pw")
	for _, r := range [][2]int{{1, 100}, {101, 200}} {
		var vals []string
		for i := r[0]; i <= r[1]; i++ {
			vals = append(vals, fmt.Sprintf("(%d, 'row %d %s')", i, i, strings.Repeat("x", i%50)))
		}
		s.ok(alice, "INSERT INTO torn.t VALUES "+strings.Join(vals, ", "))
		jobOf(t, s, "STORAGE FLUSH TABLE torn.t")
		waitJobs(t, s)
	}
	reads := []string{"SELECT id, body FROM torn.t ORDER BY id", "SELECT COUNT(*) FROM torn.t",
		"SELECT body FROM torn.t WHERE id = 150", "SELECT id FROM torn.t WHERE id BETWEEN 120 AND 130 ORDER BY id"}
	var want []string
	for _, q := range reads {
		want = append(want, s.ok(alice, q).rows(t))
	}
	p.kill9()
	files := parquetFiles(t, seed)
	if len(files) != 2 {
		t.Fatalf("want two Parquet files, found %v", files)
	}
	newest := files[len(files)-1]
	type damage struct {
		name string
		file string
		do   func([]byte) []byte
	}
	var more []damage
	if soakDuration(t) > 0 {
		more = []damage{
			{"parquet cut before its footer", newest, func(b []byte) []byte { return b[:len(b)-9] }},
			{"parquet emptied", newest, func([]byte) []byte { return nil }},
		}
	}
	for _, damage := range append([]damage{
		{"parquet cut in half", newest, func(b []byte) []byte { return b[:len(b)/2] }},
		{"parquet page bytes flipped", newest, func(b []byte) []byte {
			b = bytes.Clone(b)
			for i := 4; i < len(b)/2; i += 7 {
				b[i] ^= 0x5a
			}
			return b
		}},
		{"parquet footer byte flipped", newest, func(b []byte) []byte {
			b = bytes.Clone(b)
			b[len(b)-8-int(binary.LittleEndian.Uint32(b[len(b)-8:]))/2] ^= 0x04
			return b
		}},
		{"parquet page index byte flipped", newest, func(b []byte) []byte {
			b = bytes.Clone(b)
			b[len(b)-8-int(binary.LittleEndian.Uint32(b[len(b)-8:]))-10] ^= 0x01
			return b
		}},
		{"manifest mirror garbage", filepath.Join(filepath.Dir(newest), "manifest.json"), func([]byte) []byte { return []byte("{not json") }},
	}, more...) {
		t.Run(damage.name, func(t *testing.T) {
			dir := copyDataDir(t, seed)
			path := dir + strings.TrimPrefix(damage.file, seed)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, damage.do(raw), 0o644); err != nil {
				t.Fatal(err)
			}
			_, s := restartProcess(t, bin, dir, noFlushEnv...)
			for i, q := range reads {
				r := s.sql(alice, q)
				t.Logf("%s: %s", q, r)
				if r.httpStatus == http.StatusOK {
					if got := r.rows(t); got != want[i] {
						t.Fatalf("%s answered wrongly after the damage:\n got %s\nwant %s", q, got, want[i])
					}
					continue
				}
				if r.Error == nil || r.Error.Code != "SQL_EXECUTION_ERROR" || !strings.Contains(r.Error.Message, "cold data of torn.t is unreadable") {
					t.Errorf("%s: %d %s, want SQL_EXECUTION_ERROR: cold data of torn.t is unreadable", q, r.httpStatus, r.raw)
				}
				for _, leak := range []string{".parquet", "batch-", "u_", "cold:", "torn/t", dir, seed, "corrupt file", "checksum"} {
					if strings.Contains(r.raw, leak) {
						t.Errorf("%s: the answer shows %q: %s", q, leak, r.raw)
					}
				}
			}
		})
	}
}

// parquetFiles lists the Parquet files under a data directory, oldest
// batch first (their names carry the batch number).
func parquetFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".parquet") {
			out = append(out, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// ddlKilledAnywhere kills the server at a range of delays into a batch
// of DDL (CREATE TABLE, which creates the table's column family before
// its catalog rows, then ALTER TABLE ADD and DROP COLUMN, CREATE INDEX)
// and checks after each restart that the table is in one of the states
// the statements lead through, answered ones included, and usable in
// it: its acknowledged rows are there, it takes writes and a flush, and
// a name it does not hold can be created.
func ddlKilledAnywhere(t *testing.T, bin string) {
	dir := t.TempDir()
	p, s := restartProcess(t, bin, dir, noFlushEnv...)
	s.ok(root, `CREATE NAMESPACE ddl; CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user`)
	alice := basic("alice", "alice-pw")
	rounds := 3
	if soakDuration(t) > 0 {
		rounds = 60
	}
	steps := []string{
		"CREATE TABLE ddl.t%[1]s (id BIGINT PRIMARY KEY, a TEXT)",
		"ALTER TABLE ddl.t%[1]s ADD COLUMN b BIGINT DEFAULT 7",
		"ALTER TABLE ddl.t%[1]s DROP COLUMN a",
		"CREATE INDEX t%[1]s_b ON ddl.t%[1]s (b)",
	}
	start := time.Now()
	s.ok(root, fmt.Sprintf(strings.Join(steps, "; "), "cal"))
	took := time.Since(start)
	for k := 0; k < rounds; k++ {
		var stmts []string
		for _, st := range steps {
			stmts = append(stmts, fmt.Sprintf(st, fmt.Sprint(k)))
		}
		acked := make(chan bool, 1)
		go func() { acked <- p.postAcked(root, strings.Join(stmts, "; ")) }()
		time.Sleep(killDelay(k, rounds, took))
		p.kill9()
		ok := <-acked
		p, s = restartProcess(t, bin, dir, noFlushEnv...)
		waitJobs(t, s)
		desc := s.sql(root, fmt.Sprintf("SELECT column_name FROM information_schema.columns WHERE table_schema = 'ddl' AND table_name = 't%d' ORDER BY ordinal_position", k))
		if desc.httpStatus != http.StatusOK {
			t.Fatalf("round %d: columns: %s", k, desc)
		}
		cols := desc.rows(t)
		idx := s.sql(root, fmt.Sprintf("SHOW INDEXES FROM ddl.t%d", k))
		hasIndex := strings.Contains(idx.raw, fmt.Sprintf(`"t%d_b"`, k))
		const sys, last = `,["_seq"],["_deleted"]]`, `[["id"],["b"],["_seq"],["_deleted"]]`
		states := map[string]bool{`null`: true, `[["id"],["a"]` + sys: true, `[["id"],["a"],["b"]` + sys: true, last: true}
		t.Logf("round %d: answered %v, columns %s, index %v", k, ok, cols, hasIndex)
		if !states[cols] || (hasIndex && cols != last) || (ok && (cols != last || !hasIndex)) {
			t.Fatalf("round %d (answered %v): after a kill during the DDL the table has columns %s, index %v", k, ok, cols, hasIndex)
		}
		if cols == "null" {
			s.ok(root, stmts[0])
		}
		tbl := fmt.Sprintf("ddl.t%d", k)
		s.ok(alice, "INSERT INTO "+tbl+" (id) VALUES (1), (2)")
		jobOf(t, s, "STORAGE FLUSH TABLE "+tbl)
		waitJobs(t, s)
		s.ok(alice, "INSERT INTO "+tbl+" (id) VALUES (3)")
		if got := s.ok(alice, "SELECT id FROM "+tbl+" ORDER BY id").rows(t); got != "[[1],[2],[3]]" {
			t.Fatalf("round %d: %s reads %s", k, tbl, got)
		}
	}
}

// liveResumeMidLoadAfterKill: a subscriber has read the first batch of
// its initial data when the server is killed; it subscribes again from
// that batch's last_seq_id after the restart and gets every other row
// exactly once, then the changes written since, with nothing missing
// and nothing twice.
func liveResumeMidLoadAfterKill(t *testing.T, bin string) {
	dir := t.TempDir()
	p, s := restartProcess(t, bin, dir, noFlushEnv...)
	s.ok(root, `CREATE NAMESPACE lv; CREATE TABLE lv.t (id BIGINT PRIMARY KEY, body TEXT);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user`)
	alice := basic("alice", "alice-pw")
	for i := 1; i <= 30; i++ {
		s.ok(alice, "INSERT INTO lv.t VALUES ($1, $2)", i, fmt.Sprint("row ", i))
		if i == 15 {
			jobOf(t, s, "STORAGE FLUSH TABLE lv.t")
			waitJobs(t, s)
		}
	}
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribe("m", "SELECT id FROM lv.t", map[string]any{"batch_size": 10})
	c.expect("subscription_ack", "m")
	first := c.expect("initial_data_batch", "m")
	if !first.BatchControl.HasMore || len(first.Rows) != 10 {
		t.Fatalf("first batch: %s", first.raw)
	}
	seen := map[int64]int{}
	for _, id := range rowIDs(first.Rows) {
		seen[id]++
	}
	p.kill9()
	_ = c.c.CloseNow()

	_, s = restartProcess(t, bin, dir, noFlushEnv...)
	s.ok(alice, "INSERT INTO lv.t VALUES (31, 'row 31')")
	r := s.loginWS(t, "alice", "alice-pw")
	_, rows := r.subscribeAll("m", "SELECT id FROM lv.t", map[string]any{"from_seq_id": fmt.Sprint(first.BatchControl.LastSeqID), "batch_size": 7})
	for _, id := range rowIDs(rows) {
		seen[id]++
	}
	s.ok(alice, "INSERT INTO lv.t VALUES (32, 'row 32')")
	if got := r.change("m"); got != "insert [map[id:32]]" {
		t.Fatalf("the change after the resumed load: %s", got)
	}
	seen[32]++
	for id := int64(1); id <= 32; id++ {
		if seen[id] != 1 {
			t.Fatalf("row %d received %d times across the kill (all: %v)", id, seen[id], seen)
		}
	}
}
