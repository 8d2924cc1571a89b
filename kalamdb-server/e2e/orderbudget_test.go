package e2e_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// limits.order_index_budget reaches the engine: EXPLAIN of a top-N with
// an order index fallback states the configured budget, and without the
// setting the engine's rule.
func TestOrderIndexBudgetSetting(t *testing.T) {
	for _, tc := range []struct {
		budget int
		want   string
	}{{7, "after 7 entries"}, {0, "after max(1024, 20 × (LIMIT + OFFSET)) entries"}} {
		s := startServer(t, t.TempDir(), func(c *config.Config) { c.Limits.OrderIndexBudget = tc.budget })
		s.ok(root, `CREATE NAMESPACE app; CREATE TABLE app.m (id BIGINT PRIMARY KEY, conv BIGINT, created_at BIGINT);
			CREATE INDEX m_conv_id ON app.m (conv, id); CREATE INDEX m_conv_created ON app.m (conv, created_at)`)
		plan := s.ok(root, "EXPLAIN SELECT id FROM app.m WHERE conv = $1 AND created_at IN ($2, $3) ORDER BY id DESC LIMIT 50",
			1, 10, 20).rows(t)
		if !strings.Contains(plan, "fallback: index m_conv_created") || !strings.Contains(plan, tc.want) {
			t.Errorf("order_index_budget %d: the plan does not say %q:\n%s", tc.budget, tc.want, plan)
		}
	}
}
