package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPL14ViewsAndRenamedColumns: top-Ns over views of the table,
// some of which rename its columns to each other's names (the view's c
// is the table's d), and over subqueries that do the same: a condition
// on the view's c must not be read as one on the table's c.
func TestPL14ViewsAndRenamedColumns(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 1})
	a := e.as("alice", systable.RoleUser)
	vals := pl14Ints(20)
	pl14Tables(t, e, "USER", "BIGINT", 300, vals, a)
	for _, tb := range []string{"m", "r"} {
		e.root().must("CREATE VIEW ns.v" + tb + " AS SELECT id, conv, c, d FROM ns." + tb)
		e.root().must("CREATE VIEW ns.s" + tb + " AS SELECT id, conv, d AS c, c AS d FROM ns." + tb)
		e.root().must("CREATE VIEW ns.w" + tb + " AS SELECT id, conv, c, d FROM ns." + tb + " WHERE c <> 5")
		e.root().must("CREATE VIEW ns.i" + tb + " AS SELECT id AS k, conv, c AS id, d FROM ns." + tb)
	}
	qs := []string{
		"SELECT id, c FROM ns.v$X WHERE conv = 1 AND c IN (3, 5) ORDER BY id DESC LIMIT 3",
		"SELECT id, c, d FROM ns.s$X WHERE conv = 1 AND c IN (3, 4) ORDER BY id DESC LIMIT 3",
		"SELECT id, c, d FROM ns.s$X WHERE conv = 1 AND d IN (3, 5) AND c = 2 ORDER BY id DESC LIMIT 3",
		"SELECT id, c FROM ns.w$X WHERE conv = 1 AND c IN (3, 5) ORDER BY id DESC LIMIT 3",
		"SELECT k, id FROM ns.i$X WHERE conv = 1 AND id IN (3, 5) ORDER BY k DESC LIMIT 3",
		"SELECT k, id FROM ns.i$X WHERE conv = 1 AND k IN (3, 5, 100, 290) ORDER BY id, k LIMIT 3",
		"SELECT id, c, d FROM (SELECT id, conv, d AS c, c AS d FROM ns.$X) s WHERE conv = 1 AND c IN (3, 4) ORDER BY id DESC LIMIT 3",
		"SELECT id, c FROM (SELECT id, conv, c + 0 AS c FROM ns.$X) s WHERE conv = 1 AND c IN (3, 5) ORDER BY id DESC LIMIT 3",
		"SELECT x.id, x.c FROM ns.v$X x WHERE x.conv = 1 AND x.c BETWEEN 3 AND 4 ORDER BY x.id LIMIT 3",
	}
	for _, q := range qs {
		got, gerr := a.exec(strings.ReplaceAll(q, "$X", "m"))
		want, werr := a.exec(strings.ReplaceAll(q, "$X", "r"))
		if gerr != nil || werr != nil {
			t.Errorf("%s: %v / %v", q, gerr, werr)
			continue
		}
		if g, w := fmt.Sprint(got[0].Rows), fmt.Sprint(want[0].Rows); g != w {
			t.Errorf("%s:\n got  %s\n want %s\n%s", q, g, w, explain(a, strings.ReplaceAll(q, "$X", "m")))
		}
	}
	t.Logf("fallbacks %d", e.db.Engine.OrderIndexFallbacks())
}
