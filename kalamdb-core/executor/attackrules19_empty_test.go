package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackrules19ContradictoryBounds: a WHERE whose bounds on an integer
// column leave no value (id BETWEEN 13 AND 12, a reversed BETWEEN an app
// sends for an empty page; a = 1 AND a = 2; id > 5 AND id < 3)
// matches no row, but the engine builds no range from an empty
// intersection and read the whole partition instead: every hot row, every
// entry of the index, the column of every cold row, for a SELECT, UPDATE
// or DELETE that changes nothing (PostgreSQL reads nothing). The scan
// filters see the empty bound: such a read now reads nothing, and the
// statements still answer and change what PostgreSQL does.
func TestAttackrules19ContradictoryBounds(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE app; CREATE TABLE app.u (id BIGINT PRIMARY KEY, a INT, c TEXT)")
	e.root().must("CREATE INDEX ua ON app.u (a)")
	alice := e.as("alice", systable.RoleUser)
	vals := make([]string, 0, 1000)
	for i := 0; i < 1000; i++ {
		vals = append(vals, fmt.Sprintf("(%d, %d, 'x')", i, i%2+1))
	}
	alice.must("INSERT INTO app.u VALUES " + strings.Join(vals, ", "))
	flushTable(t, e, "app.u")
	// The same rows again, hot: each read has both tiers to merge.
	alice.must("UPDATE app.u SET c = 'y'")
	read := func(q string) (index, hot, cold int64) {
		t.Helper()
		f, h, c := e.db.Engine.IndexRowsFetched(), e.db.Engine.HotRowsRead(), e.db.Tier.ColdReadStats().RowsDecoded
		alice.must(q)
		return e.db.Engine.IndexRowsFetched() - f, e.db.Engine.HotRowsRead() - h, int64(e.db.Tier.ColdReadStats().RowsDecoded - c)
	}
	for _, w := range []string{
		"id BETWEEN 13 AND 12",
		"id BETWEEN 12 AND 13 AND id < 0",
		"a = 1 AND a = 2",
		"a BETWEEN 3 AND 2",
		"a = 1 AND id BETWEEN 13 AND 12",
		"a = 1 AND id > 5 AND id < 3",
	} {
		for _, q := range []string{
			"SELECT id FROM app.u WHERE " + w,
			"UPDATE app.u SET c = 'z' WHERE " + w,
			"DELETE FROM app.u WHERE " + w,
			"DELETE FROM app.u WHERE " + w + " AND EXISTS (SELECT 1)",
		} {
			if ix, hot, cold := read(q); ix+hot+cold > 0 {
				t.Errorf("%s: read %d index rows, %d hot rows, %d cold rows; it matches none", q, ix, hot, cold)
			}
		}
	}
	// The same shapes with room between their bounds still read their rows.
	if ix, hot, cold := read("UPDATE app.u SET c = 'z' WHERE id BETWEEN 12 AND 13"); ix+hot+cold == 0 {
		t.Errorf("a range with rows read none")
	}
	if got := alice.rows("SELECT count(*), count(*) FILTER (WHERE c = 'z') FROM app.u"); got != "[[1000,2]]" {
		t.Fatalf("rows, rows changed: %s, want [[1000,2]]", got)
	}
}
