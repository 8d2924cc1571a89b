package executor_test

import (
	"fmt"
	"testing"
)

// TestUpdateCountsMatchedRows: UPDATE reports the rows its WHERE matched,
// as PostgreSQL does ("UPDATE 2"), including rows whose new values equal
// their old ones; MySQL's count of changed rows would tell an optimistic
// locking client that its row was gone. Hot, and after a flush.
func TestUpdateCountsMatchedRows(t *testing.T) {
	for _, cold := range []bool{false, true} {
		t.Run(fmt.Sprintf("cold=%v", cold), func(t *testing.T) {
			e := newEnvWith(t, false)
			root := e.root()
			root.must(`CREATE NAMESPACE p; CREATE SHARED TABLE p.t (id BIGINT PRIMARY KEY, v TEXT, n INT)`)
			root.must(`INSERT INTO p.t VALUES (1, 'a', 1), (2, 'b', 2), (3, 'x', 3)`)
			if cold {
				flushTable(t, e, "p.t")
			}
			for _, c := range []struct {
				sql  string
				want int64
			}{
				{"UPDATE p.t SET v = v WHERE id = 1", 1},
				{"UPDATE p.t SET v = 'x'", 3},
				{"UPDATE p.t SET n = n + 0 WHERE n >= 2", 2},
				{"UPDATE p.t SET v = 'y' WHERE id = 99", 0},
			} {
				res := root.must(c.sql)
				if got := res[0].RowCount; got != c.want {
					t.Errorf("%s: %d rows affected, want %d", c.sql, got, c.want)
				}
			}
			if got := describe(root.exec("SELECT id, v, n FROM p.t ORDER BY id")); got != describe(root.exec("SELECT id, 'x' AS v, n FROM p.t ORDER BY id")) {
				t.Errorf("rows after the updates: %s", got)
			}
		})
	}
}
