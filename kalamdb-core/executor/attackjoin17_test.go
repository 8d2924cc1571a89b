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
	for i := 1; i <= 400; i += 10 {
		var rows []string
		for j := i; j < i+10; j++ {
			rows = append(rows, fmt.Sprintf("(%d, %d, '%s')", j, j%2, strings.Repeat("t", 400)))
		}
		a.must("INSERT INTO ns.c VALUES " + strings.Join(rows, ", "))
	}
	// Messages 1 and 2 of flag 1 in conversations 1 and 3 (owner 1), 3 in
	// conversation 5 with flag 0, 4 in conversation 2 (owner 0).
	a.must("INSERT INTO ns.m (id, conv, flag) VALUES (1, 1, 1), (2, 3, 1), (3, 5, 0), (4, 2, 1)")
	for _, tc := range []struct {
		q    string
		want string
	}{
		{"SELECT m.id, length(c.title) FROM ns.c c JOIN ns.m m ON m.conv = c.id WHERE c.owner = 1 AND m.flag = 1", "[1,400]\n[2,400]"},
		{"SELECT m.id, c.id, length(c.title) FROM ns.c c JOIN ns.m m ON m.conv = c.id AND c.id < m.id + 2 WHERE c.owner = 1 AND m.flag = 1", "[1,1,400]\n[2,3,400]"},
		{"SELECT count(*) FROM ns.c c JOIN ns.m m ON m.conv = c.id WHERE c.owner = 0 AND m.flag = 1", "[1]"},
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
	// for each of the 3 messages of flag 1, and those messages.
	f, h := readCost(a.e, a, "SELECT m.id, length(c.title) FROM ns.c c JOIN ns.m m ON m.conv = c.id WHERE c.owner = 1 AND m.flag = 1")
	if f+h > 3*200+3 {
		t.Errorf("%d fetched through indexes and %d hot rows read, want at most %d (the nested loop)", f, h, 3*200+3)
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
