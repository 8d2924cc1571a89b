package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
)

// TestPL14ExecuteAsUser: a service caller runs switching top-Ns as two
// users in turn (EXECUTE AS USER), and two users run them with the same
// statement text, the values of the other index's column the same in
// both partitions: each answer holds only that user's rows, as the
// table without indexes answers.
func TestPL14ExecuteAsUser(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 1})
	root := e.root()
	for _, u := range []string{"alice", "bob"} {
		root.must("CREATE USER '" + u + "' WITH PASSWORD 'pw' ROLE user")
	}
	root.must("CREATE USER 'svc' WITH PASSWORD 'pw' ROLE service")
	a, b, svc := e.user("alice"), e.user("bob"), e.user("svc")
	vals := pl14Ints(20)
	pl14Tables(t, e, "USER", "BIGINT", 200, vals, a, b)
	qs := []string{
		"SELECT id, c FROM $T WHERE conv = 1 AND c IN (3, 5) ORDER BY id DESC LIMIT 4",
		"SELECT id, c FROM $T WHERE conv = 1 AND c BETWEEN 3 AND 4 ORDER BY id LIMIT 4 OFFSET 2",
		"SELECT id, c, KDB_CURRENT_USER() FROM $T WHERE conv = 1 AND (c = 3 OR c > 17) ORDER BY id DESC LIMIT 4",
	}
	for i := 0; i < 3; i++ {
		for _, u := range []string{"alice", "bob"} {
			for _, q := range qs {
				pl14Diff(t, e, svc, "as "+u, "EXECUTE AS USER '"+u+"' ("+q+")")
			}
		}
		for _, c := range []*caller{a, b} {
			for _, q := range qs {
				pl14Diff(t, e, c, "own", q)
				got := c.rows(strings.ReplaceAll(q, "$T", "ns.m"))
				// Each user's ids are their own range (pl14Tables).
				if c == a && strings.Contains(got, "[1000") || c == b && strings.Contains(got, "[1,") {
					t.Errorf("%s: %s: another user's row: %s", c.user, q, got)
				}
			}
		}
	}
}
