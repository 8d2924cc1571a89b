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
