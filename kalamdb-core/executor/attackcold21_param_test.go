package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackcold21Params: a statement with parameters, run again with
// other values, prunes cold files by the values of each run (a cached
// plan must not keep the filters of the first).
func TestAttackcold21Params(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.t (id BIGINT PRIMARY KEY, n BIGINT, tag TEXT)")
	alice := e.as("alice", systable.RoleUser)
	alice.must("INSERT INTO c.t (id, n, tag) VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 3, 'c'), (4, 4, 'd')")
	flushTable(t, e, "c.t")
	for _, c := range []struct {
		q    string
		a, b []any
		wa   string
		wb   string
	}{
		{"SELECT id FROM c.t WHERE tag = $1", []any{"a"}, []any{"c"}, `[[1]]`, `[[3]]`},
		{"SELECT id FROM c.t WHERE tag IN ($1, $2) ORDER BY id", []any{"a", "b"}, []any{"c", "d"}, `[[1],[2]]`, `[[3],[4]]`},
		{"SELECT id FROM c.t WHERE tag > $1 ORDER BY id", []any{"c"}, []any{"a"}, `[[4]]`, `[[2],[3],[4]]`},
		{"SELECT id FROM c.t WHERE tag LIKE $1 ORDER BY id", []any{"a%"}, []any{"d%"}, `[[1]]`, `[[4]]`},
		{"SELECT id FROM c.t WHERE tag = $1 OR tag = $2 ORDER BY id", []any{"a", "b"}, []any{"c", "zz"}, `[[1],[2]]`, `[[3]]`},
		{"SELECT id FROM c.t WHERE n IN ($1, $2) ORDER BY id", []any{1, 2}, []any{3, 4}, `[[1],[2]]`, `[[3],[4]]`},
		{"SELECT id FROM c.t WHERE n = $1 OR n > $2 ORDER BY id", []any{1, 3}, []any{2, 10}, `[[1],[4]]`, `[[2]]`},
		{"SELECT id FROM c.t WHERE tag = 'a' ORDER BY id", nil, nil, `[[1]]`, `[[1]]`},
	} {
		for i := range 3 {
			if got := alice.rows(c.q, c.a...); got != c.wa {
				t.Errorf("%s %v (run %d): %s, want %s", c.q, c.a, i, got, c.wa)
			}
			if got := alice.rows(c.q, c.b...); got != c.wb {
				t.Errorf("%s %v (run %d): %s, want %s", c.q, c.b, i, got, c.wb)
			}
		}
	}
	for _, c := range []struct{ q, want string }{
		{"SELECT id FROM c.t WHERE tag = 'b'", `[[2]]`}, {"SELECT id FROM c.t WHERE tag = 'c'", `[[3]]`},
		{"SELECT id FROM c.t WHERE tag IN ('a', 'd') ORDER BY id", `[[1],[4]]`}, {"SELECT id FROM c.t WHERE tag IN ('b', 'c') ORDER BY id", `[[2],[3]]`},
	} {
		for range 2 {
			if got := alice.rows(c.q); got != c.want {
				t.Errorf("%s: %s, want %s", c.q, got, c.want)
			}
		}
	}
}
