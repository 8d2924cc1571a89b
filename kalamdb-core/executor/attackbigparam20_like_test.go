package executor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
)

// TestAttackLargeLikePatternBounded: a large LIKE pattern costs a few
// copies of itself. The pattern was compiled again (a rune and a kind per
// character, 8 bytes, grown by appends) on every copy the planner made of
// the LIKE: an 8 MB parameter allocated 1.9 GB for WHERE v LIKE $1,
// outside any statement's memory budget.
func TestAttackLargeLikePatternBounded(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{Timeout: engine.Timeouts{Default: 24 * time.Hour}})
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT, w TEXT);
		CREATE INDEX t_w ON app.t (w);
		INSERT INTO app.t VALUES (1, 'a', 'a'), (2, 'b', 'b'), (3, 'c', 'c');
		INSERT INTO app.t SELECT g, 'r', 'r' FROM generate_series(10, 40) g`)
	// The bound counts copies of the value, and a shape makes as many at
	// 1, 2 or 8 MB (within 0.1 of a value; the statement's own
	// allocations are ~50 KB), while under the race detector each copy
	// costs time in proportion to the value. 1.5 MB, with half a value
	// of slack as 8 MB had, bounds the same copies in a fifth of the
	// time, and stays above every size that changes the value's path
	// (the 1 MB repeated-parameter refusal, the 16 KB large literal, the
	// row cache's 512 KB entries).
	const size = 3 << 19
	big := strings.Repeat("x", size)
	for _, s := range []struct {
		sql    string
		copies uint64
	}{
		// The value as bound and planned, compiled once (4 bytes a
		// character), and the prefix's bounds.
		{"SELECT id FROM app.t WHERE v LIKE $1", 10},
		{"SELECT id FROM app.t WHERE v LIKE $1 || '%'", 12}, // the concatenation's
		{"SELECT id FROM app.t WHERE v NOT LIKE $1 ORDER BY id", 10},
		// Folded to lower case (a copy) and compiled once, not once a
		// row (34 rows: 1.1 GB).
		{"SELECT id FROM app.t WHERE v ILIKE $1", 12},
		{"SELECT id FROM app.t WHERE v NOT ILIKE $1 ORDER BY id", 13},
		// And the index ranges made of the prefix's bounds (about 11
		// copies, as for w = $1: TestLargeParameterPlanningBounded).
		{"SELECT id FROM app.t WHERE w LIKE $1", 24},
	} {
		q := s.sql
		root.must(q, "warm")
		got := allocatedBy(func() { root.must(q, big) })
		t.Logf("%s: %.1f MB for a %.1f MB pattern", q, mb(got), mb(size))
		if bound := s.copies*size + size/2; got > bound {
			t.Errorf("%s: %.1f MB allocated for a %.1f MB pattern, want at most %.1f MB", q, mb(got), mb(size), mb(bound))
		}
	}
	// The pattern still matches as written, its escapes and wildcards too.
	root.must("INSERT INTO app.t VALUES (4, $1, NULL), (5, $2, NULL)", big, big[:size-1]+"%")
	root.must("UPDATE app.t SET w = v WHERE id > 3")
	for q, want := range map[string]string{
		"SELECT id FROM app.t WHERE v LIKE $1 ORDER BY id":                    `[[4]]`,
		"SELECT id FROM app.t WHERE v LIKE $1 || '_' ORDER BY id":             `[]`,
		"SELECT id FROM app.t WHERE v LIKE left($1, -1) || '_' ORDER BY id":   `[[4],[5]]`,
		"SELECT id FROM app.t WHERE v LIKE left($1, -1) || '\\%' ORDER BY id": `[[5]]`,
		"SELECT id FROM app.t WHERE v NOT LIKE $1 AND id < 10 ORDER BY id":    `[[1],[2],[3],[5]]`,
		"SELECT id FROM app.t WHERE v ILIKE left($1, -1) || '_' ORDER BY id":  `[[4],[5]]`,
		"SELECT id FROM app.t WHERE v ILIKE upper($1) ORDER BY id":            `[[4]]`,
	} {
		if got := root.rows(q, big); got != want {
			t.Errorf("%s: got %s, want %s", q, got, want)
		}
	}
}
