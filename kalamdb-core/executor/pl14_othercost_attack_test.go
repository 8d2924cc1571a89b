package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
)

// TestPL14FallbackReadsOtherConversations: the other index does not
// lead with the conversation ((c) alone): conv = 1 AND c IN (3, 5)
// ORDER BY id DESC LIMIT 5 over a SHARED table of many conversations,
// the IN's values rare in conversation 1 and common elsewhere. Read
// through (conv, id) alone it examines at most conversation 1's
// entries; with its fallback it examines the budget and then every
// entry of c IN (3, 5) in the whole table: more the bigger the table,
// not bounded by the conversation.
func TestPL14FallbackReadsOtherConversations(t *testing.T) {
	slowParallel(t)
	fetched := map[int]int64{}
	for _, budget := range []int{1 << 30, 0} {
		e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: budget})
		root := e.root()
		pl14Conversations(t, e, 9, "CREATE INDEX b_c ON ns.m (c)")
		// Conversation 1's only c IN (3, 5) row is its second oldest:
		// read through (conv, id) descending it examines the
		// conversation.
		q := "SELECT id FROM ns.m WHERE conv = 1 AND c IN (3, 5) ORDER BY id DESC LIMIT 5"
		plan := explain(root, q)
		if !planUsesIndex(plan, "a_conv_id", "m.conv,m.id") {
			t.Fatalf("not read through a_conv_id:\n%s", plan)
		}
		before := e.db.Engine.IndexRowsFetched()
		if got := root.rows(q); got != "[[2]]" {
			t.Fatalf("budget %d: %s", budget, got)
		}
		fetched[budget] = e.db.Engine.IndexRowsFetched() - before
	}
	t.Logf("rows fetched: order index alone %d, with the fallback %d", fetched[1<<30], fetched[0])
	if fetched[0] > fetched[1<<30]+256 {
		t.Fatalf("the fallback fetched %d rows, the order index alone %d", fetched[0], fetched[1<<30])
	}
}
