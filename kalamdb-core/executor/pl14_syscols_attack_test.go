package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPL14SystemColumns: switching top-Ns whose WHERE or select list
// also names the system columns (_seq, _deleted), whose values differ
// between the two tables only in _seq's numbering.
func TestPL14SystemColumns(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 1})
	a := e.as("alice", systable.RoleUser)
	vals := pl14Ints(20)
	pl14Tables(t, e, "USER", "BIGINT", 300, vals, a)
	for _, tb := range []string{"ns.m", "ns.r"} {
		a.must("DELETE FROM " + tb + " WHERE id % 4 = 0")
	}
	for _, q := range []string{
		"SELECT id, c FROM $T WHERE conv = 1 AND c IN (3, 5) AND _seq > 0 ORDER BY id DESC LIMIT 4",
		"SELECT id, c, _deleted FROM $T WHERE conv = 1 AND c IN (3, 5) ORDER BY id DESC LIMIT 4",
		"SELECT id, c FROM $T WHERE conv = 1 AND c IN (3, 5) AND _deleted = false ORDER BY id DESC LIMIT 4",
		"SELECT id, c, _deleted FROM $T WHERE conv = 1 AND c IN (3, 5) AND _deleted = true ORDER BY id DESC LIMIT 4",
		"SELECT id, c FROM $T WHERE conv = 1 AND (c = 3 OR _seq < 0) ORDER BY id DESC LIMIT 4",
		"SELECT id, c FROM $T WHERE conv = 1 AND c BETWEEN 3 AND 5 AND _seq IS NOT NULL ORDER BY id LIMIT 4 OFFSET 3",
	} {
		pl14Diff(t, e, a, "deleted", q)
	}
}
