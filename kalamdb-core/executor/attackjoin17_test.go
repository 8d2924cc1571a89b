package executor_test

import (
	"fmt"
	"strings"
	"testing"
)

// Tests of the seventeenth session's attack on joins (hashReadOnce,
// engine/joinhash.go).

// TestAttackJoin17OverBudgetSideStreams: the side hashReadOnce hashes is
// an index range its WHERE binds, whatever its size; a range over the
// statement's memory budget failed the statement (RESOURCE_LIMIT_EXCEEDED)
// where the nested loop before it streamed the range once per outer row
// and answered. Past its share of the budget the side is no longer kept:
// it is read again for every outer row, as the nested loop did, and the
// statement answers, reading no more than the nested loop.
func TestAttackJoin17OverBudgetSideStreams(t *testing.T) {
	a := budgetJoinTables(t)
	titledConversations(a)
	// Messages 1 and 2 of flag 1 in conversations 1 and 3 (owner 1), 3 in
	// conversation 5 with flag 0, 4 in conversation 2 (owner 0).
	a.must("INSERT INTO ns.m (id, conv, flag) VALUES (1, 1, 1), (2, 3, 1), (3, 5, 0), (4, 2, 1)")
	// Message 5, of flag 1, has the body every conversation has as title.
	a.must("INSERT INTO ns.m (id, conv, flag, body) VALUES (5, NULL, 1, '" + strings.Repeat("t", 400) + "')")
	for _, tc := range []struct {
		q    string
		want string
	}{
		{"SELECT m.id, length(c.title) FROM ns.c c JOIN ns.m m ON m.conv = c.id WHERE c.owner = 1 AND m.flag = 1", "[1,400]\n[2,400]"},
		{"SELECT m.id, c.id, length(c.title) FROM ns.c c JOIN ns.m m ON m.conv = c.id AND c.id < m.id + 2 WHERE c.owner = 1 AND m.flag = 1", "[1,1,400]\n[2,3,400]"},
		{"SELECT count(*) FROM ns.c c JOIN ns.m m ON m.conv = c.id WHERE c.owner = 0 AND m.flag = 1", "[1]"},
		// A LEFT JOIN looked up by the ON's constant: the 200 conversations
		// of owner 1 for message 5, none for the 3 others.
		{"SELECT count(*), count(c.id) FROM ns.m m LEFT JOIN ns.c c ON c.title = m.body AND c.owner = 1 WHERE m.flag = 1", "[203,200]"},
	} {
		plan := explain(a, tc.q)
		if !strings.Contains(plan, "HashLookup") {
			t.Fatalf("%s: not a hash join, the test no longer tests hashReadOnce:\n%.2500s", tc.q, plan)
		}
		res, err := a.exec(tc.q)
		if err != nil {
			t.Errorf("%s: %v, want the answer (main before hashReadOnce answered):\n%.2500s", tc.q, err, plan)
			continue
		}
		if got := rowSet(a, tc.q); got != tc.want {
			t.Errorf("%s: %s, want %s (%v)", tc.q, got, tc.want, res[0].Rows)
		}
	}
	// Read as the nested loop read: the 200 conversations of owner 1 once
	// for each of the 4 messages of flag 1, and those messages.
	f, h := readCost(a.e, a, "SELECT m.id, length(c.title) FROM ns.c c JOIN ns.m m ON m.conv = c.id WHERE c.owner = 1 AND m.flag = 1")
	if f+h > 4*200+4 {
		t.Errorf("%d fetched through indexes and %d hot rows read, want at most %d (the nested loop)", f, h, 4*200+4)
	}
}

// TestAttackJoin17LeftJoinsReadOnce: the two LEFT JOIN shapes that
// TestJoins16HashReadOnceCosts left reading their right side again for
// every row of the left one (main's counts below), the ON's condition on
// the right side a constant the engine looks the side up by, or a range
// it keeps in the join (the side then the whole table), read it once; and
// answer as the same statements with a key the rule leaves alone.
func TestAttackJoin17LeftJoinsReadOnce(t *testing.T) {
	const n = 3000
	e := newEnv(t)
	a := costTables(t, e, n)
	// Messages whose body is a title of owner 2 (t2, t7, t12, t17, ...).
	a.must("INSERT INTO ns.m VALUES (5001, 2, 2990, 1, 't2'), (5002, 7, 2995, 1, 't7'), (5003, 7, 10, 1, 't7'), (5004, 12, 2999, 0, 't12'), (5005, 1, 2998, 1, 't1')")
	for _, tc := range []struct {
		q     string
		param any
		// main is what main read (fetched + hot), most what each side read
		// once comes to.
		main, most int64
	}{
		{"SELECT c.id, m.id FROM ns.c c LEFT JOIN ns.m m ON m.body = c.title AND m.flag = $1 WHERE c.owner = 2", int64(1), 15050, 10 + n/2 + 4},
		{"SELECT c.id, m.id FROM ns.c c LEFT JOIN ns.m m ON m.body = c.title AND m.created_at > $1 WHERE c.owner = 2", int64(n - 1000), 30050, 10 + n + 5},
		{"SELECT c.id, count(m.id) FROM ns.c c LEFT JOIN ns.m m ON m.body = c.title AND m.created_at > $1 AND m.id > c.id WHERE c.owner = 2 GROUP BY c.id", int64(n - 1000), 30050, 10 + n + 5},
	} {
		got := rowSet(a, tc.q, tc.param)
		want := rowSet(a, strings.Replace(tc.q, "m.body = c.title", "m.body || '' = c.title", 1), tc.param)
		if got != want {
			t.Errorf("%s:\ngot  %s\nwant %s", tc.q, got, want)
		}
		if !strings.Contains(want, "5002") && !strings.Contains(tc.q, "count") {
			t.Fatalf("%s: no match, the test no longer tests the join: %s", tc.q, want)
		}
		f, h := readCost(e, a, tc.q, tc.param)
		t.Logf("%s: %d fetched through indexes, %d hot rows read", tc.q, f, h)
		if f+h > tc.most || f+h > tc.main {
			t.Errorf("%s: %d fetched through indexes and %d hot rows read, want at most %d (main %d):\n%.2500s", tc.q, f, h, tc.most, tc.main, explain(a, tc.q, tc.param))
		}
	}
}

// TestAttackJoin17HashedSidesStayInPartition: a hashed side is one run's,
// of the caller's partition: the same texts with the same parameters run
// by alice, then bob, then alice, and by a service as bob, answer each
// with that user's rows only (every text is its owner's name or the
// shared table's), as the same statements with keys the rule leaves
// alone.
func TestAttackJoin17HashedSidesStayInPartition(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	for _, s := range []string{
		"CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user", "CREATE USER 'bob' WITH PASSWORD 'pw' ROLE user",
		"CREATE USER 'svc' WITH PASSWORD 'pw' ROLE service", "CREATE NAMESPACE ns",
		"CREATE TABLE ns.c (id BIGINT PRIMARY KEY, title TEXT, owner BIGINT)",
		"CREATE TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT, flag BIGINT, body TEXT)",
		"CREATE SHARED TABLE ns.s (id BIGINT PRIMARY KEY, k BIGINT, who TEXT) WITH (ACCESS_LEVEL = 'PUBLIC')",
		"INSERT INTO ns.s VALUES (1, 1, 'shared'), (2, 2, 'shared'), (3, 1, 'shared')",
	} {
		root.must(s)
	}
	for _, s := range []string{"CREATE INDEX c_owner ON ns.c (owner)", "CREATE INDEX m_flag ON ns.m (flag)", "CREATE INDEX s_k ON ns.s (k)"} {
		createIndex(t, e, s)
	}
	for i, u := range []string{"alice", "bob"} {
		c := e.user(u)
		var cs, ms []string
		for j := 1; j <= 10*(i+1); j++ {
			cs = append(cs, fmt.Sprintf("(%d, '%s', %d)", j, u, j%2))
			ms = append(ms, fmt.Sprintf("(%d, %d, %d, '%s')", j, j%7, j%3, u))
		}
		c.must("INSERT INTO ns.c VALUES " + strings.Join(cs, ", "))
		c.must("INSERT INTO ns.m VALUES " + strings.Join(ms, ", "))
	}
	qs := []string{
		"SELECT c.title, m.body, m.id FROM ns.c c JOIN ns.m m ON m.conv = c.id WHERE c.owner = $1 AND m.flag = 1",
		"SELECT c.title, m.body, m.id FROM ns.c c LEFT JOIN ns.m m ON m.body = c.title AND m.flag = $1 WHERE c.owner = 1",
		"SELECT c.title, m.body, m.id FROM ns.c c LEFT JOIN ns.m m ON m.body = c.title AND m.id > $1 WHERE c.owner = 1",
		"SELECT c.title, s.who, s.id FROM ns.c c JOIN ns.s s ON s.k = c.owner WHERE c.owner = $1 AND s.k >= 0",
	}
	for _, q := range qs {
		if !hashed(e.user("alice"), q, int64(1)) {
			t.Fatalf("%s: not a hash join, the test no longer tests hashReadOnce", q)
		}
	}
	svc := e.user("svc")
	for _, u := range []string{"alice", "bob", "alice"} {
		c := e.user(u)
		for _, q := range qs {
			want := rowSet(c, strings.Replace(strings.Replace(q, "m.conv = c.id", "m.conv = c.id + 0", 1), "m.body = c.title", "m.body || '' = c.title", 1), int64(1))
			inner := strings.ReplaceAll(q, "$1", "1")
			for who, got := range map[string]string{u: rowSet(c, q, int64(1)), "svc as " + u: rowSet(svc, "EXECUTE AS USER '"+u+"' ("+inner+")")} {
				if got != want {
					t.Errorf("%s as %s:\ngot  %s\nwant %s", q, who, got, want)
				}
				for _, r := range strings.Split(got, "\n") {
					if strings.Contains(r, "alice") && u != "alice" || strings.Contains(r, "bob") && u != "bob" {
						t.Errorf("%s as %s: another user's row %s", q, who, r)
					}
				}
			}
		}
	}
}
