package executor_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestRules18ShortPathIndexes: the engine analyzes a single-table UPDATE or
// DELETE without subqueries with a short rule list of its own, which
// skipped KalamDB's index choice (preferMostBound) and the engine's own
// reading of BETWEEN as two bounds: UPDATE ... WHERE a = 1 AND b = 5 read
// the 1,000 rows with a = 1 through the index on a where the same WHERE
// in a SELECT read one row through the index on (a, b), and WHERE id
// BETWEEN 12 AND 13 scanned the whole partition instead of a range of the
// primary key. Each UPDATE and DELETE now reads no more rows than the
// SELECT with its WHERE, and changes the rows the SELECT returns.
func TestRules18ShortPathIndexes(t *testing.T) {
	for _, slow := range []bool{true, false} {
		t.Run(fmt.Sprint("slow ", slow), func(t *testing.T) {
			e := newEnvWith(t, slow)
			root := e.root()
			root.must("CREATE NAMESPACE app; CREATE TABLE app.u (id BIGINT PRIMARY KEY, a INT, b INT, c TEXT)")
			root.must("CREATE INDEX ua ON app.u (a)")
			root.must("CREATE INDEX uab ON app.u (a, b)")
			vals := make([]string, 0, 1000)
			for i := 0; i < 1000; i++ {
				vals = append(vals, fmt.Sprintf("(%d, 1, %d, 'x')", i, i))
			}
			root.must("INSERT INTO app.u VALUES " + strings.Join(vals, ", "))
			reads := func(q string) (int64, int64) {
				f, h := e.db.Engine.IndexRowsFetched(), e.db.Engine.HotRowsRead()
				root.must(q)
				return e.db.Engine.IndexRowsFetched() - f, e.db.Engine.HotRowsRead() - h
			}
			for _, w := range []string{
				"a = 1 AND b = 5",
				"b = 6 AND a = 1",
				"a = 1 AND b BETWEEN 10 AND 11",
				"id BETWEEN 12 AND 13",
				"id = 14",
				"id IN (15, 16)",
			} {
				sel := "SELECT id FROM app.u WHERE " + w
				want := root.rows(sel)
				sf, sh := reads(sel)
				for _, q := range []string{"UPDATE app.u SET c = 'y' WHERE " + w, "DELETE FROM app.u WHERE " + w} {
					f, h := reads(q)
					if f > sf || h > sh {
						t.Errorf("%s: read %d rows through indexes and %d hot rows, the SELECT %d and %d", q, f, h, sf, sh)
					}
				}
				if got := root.rows(sel); got != "[]" {
					t.Fatalf("%s after the DELETE: %s (before: %s)", sel, got, want)
				}
			}
			if got := root.rows("SELECT count(*) FROM app.u WHERE c = 'x'"); got != "[[991]]" {
				t.Fatalf("rows left unchanged: %s, want 991", got)
			}
		})
	}
}
