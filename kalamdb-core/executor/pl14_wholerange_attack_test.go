package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPL14FallbackArmedOnWholeConversation: columnBindings counts
// c = 3 OR (c = 9 AND d = 2) as binding c to points, but the planner's
// ranges of (conv, c) for it are the whole conversation
// ({[1, 1], [NULL, ∞)}): the fallback is armed, and a top-N whose rows
// are rare reads the budget and then the whole conversation again
// through the other index, where the order index alone reads the
// conversation once.
func TestPL14FallbackArmedOnWholeConversation(t *testing.T) {
	fetched := map[int]int64{}
	for _, budget := range []int{1 << 30, 0} {
		e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: budget})
		a := e.as("alice", systable.RoleUser)
		e.root().must("CREATE NAMESPACE ns")
		e.root().must("CREATE USER TABLE ns.m (id BIGINT PRIMARY KEY, conv BIGINT, c BIGINT, d BIGINT)")
		createIndex(t, e, "CREATE INDEX a_conv_id ON ns.m (conv, id)")
		createIndex(t, e, "CREATE INDEX b_conv_c ON ns.m (conv, c)")
		var rows []string
		for i := 1; i <= 3000; i++ {
			c := 10 + i%10
			if i == 2 {
				c = 3
			}
			rows = append(rows, fmt.Sprintf("(%d, 1, %d, 0)", i, c))
		}
		a.must("INSERT INTO ns.m VALUES " + strings.Join(rows, ", "))
		q := "SELECT id FROM ns.m WHERE conv = 1 AND (c = 3 OR (c = 9 AND d = 2)) ORDER BY id DESC LIMIT 5"
		before := e.db.Engine.IndexRowsFetched()
		if got := a.rows(q); got != "[[2]]" {
			t.Fatalf("budget %d: %s", budget, got)
		}
		fetched[budget] = e.db.Engine.IndexRowsFetched() - before
		if budget == 0 {
			t.Logf("%s", planLine(explain(a, q), "fallback: "))
		}
	}
	t.Logf("rows fetched: order index alone %d, with the fallback %d", fetched[1<<30], fetched[0])
	if fetched[0] > fetched[1<<30]+256 {
		t.Fatalf("the fallback fetched %d rows, the order index alone %d", fetched[0], fetched[1<<30])
	}
}
