package executor_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestPL14FallbackConfinedToConversation: the other index (c, conv)
// does not lead with the conversation, but for c IN (3, 5) its ranges
// bind c and then conv to points, so they read conversation 1's entries
// only, and the read switches to them; for c BETWEEN 3 AND 5 its entry
// ranges span c's values in every conversation (conv is left to the
// filter), so the order index reads on and EXPLAIN says so.
func TestPL14FallbackConfinedToConversation(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	pl14Conversations(t, e, 3, "CREATE INDEX b_c_conv ON ns.m (c, conv)")
	for _, tc := range []struct {
		cond       string
		wantSwitch bool
	}{
		{"c IN (3, 5)", true},
		{"(c = 3 OR c = 5)", true},
		{"c BETWEEN 3 AND 5", false},
		{"c >= 3 AND c <= 5", false},
	} {
		q := "SELECT id FROM ns.m WHERE conv = 1 AND " + tc.cond + " ORDER BY id DESC LIMIT 5"
		plan := explain(root, q)
		if !planUsesIndex(plan, "a_conv_id", "m.conv,m.id") {
			t.Fatalf("%s: not read through a_conv_id:\n%s", q, plan)
		}
		line := planLine(plan, "fallback: ")
		if strings.HasPrefix(line, "index b_c_conv") != tc.wantSwitch || strings.HasPrefix(line, "none") == tc.wantSwitch {
			t.Errorf("%s: fallback line %q", q, line)
		}
		before := e.db.Engine.OrderIndexFallbacks()
		if got := root.rows(q); got != "[[2]]" {
			t.Errorf("%s: %s", q, got)
		}
		if switched := e.db.Engine.OrderIndexFallbacks() > before; switched != tc.wantSwitch {
			t.Errorf("%s: switched %v, want %v", q, switched, tc.wantSwitch)
		}
	}
}

// pl14Conversations creates the SHARED table ns.m with indexes on
// (conv, id) and other, and fills it with 1,500 rows in each of
// conversations 1 to convs: c is 10 to 19, but 5 on conversation 1's
// second oldest row (id 2), its only one of c IN (3, 5), and 3 on every
// third row of the other conversations.
func pl14Conversations(t *testing.T, e *env, convs int, other string) {
	t.Helper()
	root := e.root()
	root.must("CREATE NAMESPACE ns")
	root.must("CREATE SHARED TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT, c BIGINT, d BIGINT)")
	createIndex(t, e, "CREATE INDEX a_conv_id ON ns.m (conv, id)")
	createIndex(t, e, other)
	id := 0
	for conv := 1; conv <= convs; conv++ {
		var rows []string
		for i := 0; i < 1500; i++ {
			id++
			c := 10 + i%10
			if conv != 1 && i%3 == 0 {
				c = 3
			}
			if conv == 1 && id == 2 {
				c = 5
			}
			rows = append(rows, fmt.Sprintf("(%d, %d, %d, 0)", id, conv, c))
		}
		root.must("INSERT INTO ns.m VALUES " + strings.Join(rows, ", "))
	}
}
