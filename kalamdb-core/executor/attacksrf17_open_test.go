//go:build attacksrf17

package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestSeriesArgumentsCorrelatedThroughSubquery (open, behind the
// attacksrf17 tag): the translation refuses arguments of a function in
// FROM that name columns of other FROM items (PostgreSQL's implicit
// LATERAL) but lets a subquery through, and a subquery may name the
// outer row: generate_series(1, (SELECT p.id)). Inside EXISTS the engine
// then evaluates the argument against the wrong row ("unable to find
// field with index 1 in row of 1 columns", an internal error), and
// beside the outer table in FROM it says "table not found: p". Either
// PostgreSQL's answer or a clear UNSUPPORTED is right; these are neither.
// (In a scalar subquery of the select list, or under IN, the same
// arguments answer as PostgreSQL does.)
func TestSeriesArgumentsCorrelatedThroughSubquery(t *testing.T) {
	e := newEnv(t)
	alice := e.as("alice", systable.RoleUser)
	for q, want := range map[string]string{ // PostgreSQL 15's answers
		"SELECT a.x FROM generate_series(1, 4) a(x) WHERE EXISTS (SELECT 1 FROM generate_series(1, (SELECT a.x)) g WHERE g = 3) ORDER BY 1": `[[3],[4]]`,
		"SELECT a.x FROM generate_series(1, 4) a(x) WHERE EXISTS (SELECT 1 FROM generate_series((SELECT a.x), 2) g) ORDER BY 1":             `[[1],[2]]`,
		"SELECT a.x, b.y FROM generate_series(1, 3) a(x), generate_series(1, (SELECT a.x)) b(y) ORDER BY 1, 2":                              `[[1,1],[2,1],[2,2],[3,1],[3,2],[3,3]]`,
	} {
		if _, err := alice.exec(q); err != nil {
			if !apierror.Is(err, apierror.Unsupported) {
				t.Errorf("%s: %v, want %s or UNSUPPORTED", q, err, want)
			}
			continue
		}
		if got := alice.rows(q); got != want {
			t.Errorf("%s: got %s, want %s", q, got, want)
		}
	}
}
