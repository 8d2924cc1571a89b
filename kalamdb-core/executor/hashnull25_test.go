package executor_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestFullJoinHashedSideOverBudgetStreams: a FULL JOIN hashed on its
// equality holds its right side, where the nested loop before held none
// of it; past the side's share of the statement's memory budget (64 KiB
// here, 160 KB of titles) the side streams, read again for every left row
// and once more for its rows without a match, and the statement answers
// as the nested loop did: 4 pairs, the message without a conversation,
// the 396 conversations without a message.
func TestFullJoinHashedSideOverBudgetStreams(t *testing.T) {
	a := budgetJoinTables(t)
	titledConversations(a)
	a.must("INSERT INTO ns.m (id, conv, flag) VALUES (1, 1, 1), (2, 3, 1), (3, 5, 0), (4, 2, 1), (5, NULL, 1)")
	q := "SELECT count(*), count(m.id), count(c.id), sum(length(c.title)) FROM ns.m m FULL JOIN ns.c c ON c.id = m.conv"
	if plan := explain(a, q); !strings.Contains(plan, "HashLookup") {
		t.Fatalf("not a hash join, the test no longer tests a hashed FULL JOIN:\n%.2500s", plan)
	}
	if got := rowSet(a, q); got != "[401,5,400,160000]" {
		t.Errorf("%s: %s, want [401,5,400,160000]", q, got)
	}
}

// titledConversations inserts conversations 1 to 400 into ns.c
// (budgetJoinTables), of owners 1 and 0 in turn, each titled with 400
// bytes: 160 KB, over the share of the 64 KiB budget a hashed side keeps.
func titledConversations(a *caller) {
	for i := 1; i <= 400; i += 10 {
		var rows []string
		for j := i; j < i+10; j++ {
			rows = append(rows, fmt.Sprintf("(%d, %d, '%s')", j, j%2, strings.Repeat("t", 400)))
		}
		a.must("INSERT INTO ns.c VALUES " + strings.Join(rows, ", "))
	}
}
