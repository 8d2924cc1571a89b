package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestDelscan20TextWhereShortPath: a DELETE whose WHERE compares a text
// skipped KalamDB's rules for the short path of UPDATE and DELETE
// (shortpath.go): typing the text constant rebuilt the DELETE node, whose
// copy forgets that the statement has no subquery, so the rule took it
// for one the full path analyzes. DELETE FROM app.u WHERE c = 'y' AND
// id > 5 AND id < 3 read all 1,000 hot rows where the UPDATE with the
// same WHERE read none. Each statement now reads nothing.
func TestDelscan20TextWhereShortPath(t *testing.T) {
	e := newEnv(t)
	alice := e.as("alice", systable.RoleUser)
	delscanTable(t, e, alice, true)
	for _, w := range []string{
		"c = 'y' AND id > 5 AND id < 3",
		"c = 'y' AND a = 1 AND a = 2",
		"c <> 'q' AND g BETWEEN 13 AND 12",
		"c LIKE 'y%' AND id BETWEEN 13 AND 12",
		"c = 'y' AND a IN (1, 2) AND a > 5",
		"c = 'y' AND g IN (1, 2) AND g > 5",
		"c = 'y' AND g IN (1, 2) AND NOT (g = 1 OR g = 2)",
	} {
		delscanReadsNothing(t, e, alice, w)
	}
	// Parameters are constants to the scan: $1 and $2 leave g no value.
	delscanReadsNothing(t, e, alice, "c = 'y' AND g IN ($1, $2) AND g > $3", 1, 2, 5)
	delscanUnchanged(t, alice)
}

// TestDelscan20TextWhereColdScan: DELETE FROM c.m WHERE body = '...' AND
// g = 7 over cold rows decoded every row of the table, where the same
// WHERE in an UPDATE, or in a DELETE down the full path (AND EXISTS
// (SELECT 1)), decoded those of g's row group. It now decodes no more
// rows than its full-path twin, and changes the same rows.
func TestDelscan20TextWhereColdScan(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.m (id BIGINT PRIMARY KEY, g BIGINT, body TEXT)")
	alice := e.as("alice", systable.RoleUser)
	for i := 0; i < 10; i++ {
		v := make([]string, 0, 1000)
		for j := 0; j < 1000; j++ {
			k := i*1000 + j
			v = append(v, fmt.Sprintf("(%d, %d, 'message %d with some text to make the pages fill up')", k, k/100, k%2))
		}
		alice.must("INSERT INTO c.m VALUES " + strings.Join(v, ", "))
	}
	flushTable(t, e, "c.m")
	decoded := func(q string) int64 {
		t.Helper()
		_, _, cold, _ := delscanReads(t, e, alice, q)
		return cold
	}
	const body = "'message 1 with some text to make the pages fill up'"
	for i, c := range []struct{ short, full string }{
		{"DELETE FROM c.m WHERE body = " + body + " AND g = 7", "DELETE FROM c.m WHERE body = " + body + " AND g = 8 AND EXISTS (SELECT 1)"},
		{"DELETE FROM c.m WHERE g IN (20, 21) AND body <> 'none'", "DELETE FROM c.m WHERE g IN (30, 31) AND body <> 'none' AND EXISTS (SELECT 1)"},
		{"UPDATE c.m SET body = 'z' WHERE body = " + body + " AND g = 50", "UPDATE c.m SET body = 'z' WHERE body = " + body + " AND g = 51 AND EXISTS (SELECT 1)"},
	} {
		full := decoded(c.full)
		short := decoded(c.short)
		if short > full || short >= 5000 {
			t.Errorf("%d: %s decoded %d rows, the full path (%s) %d", i, c.short, short, c.full, full)
		}
	}
	if got := alice.rows("SELECT count(*), count(*) FILTER (WHERE body = 'z') FROM c.m"); got != "[[9500,100]]" {
		t.Fatalf("rows left, rows updated: %s, want [[9500,100]]", got)
	}
}
