//go:build attacksrf17

package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestSeriesArgumentsCorrelatedUnqualified (open, behind the attacksrf17
// tag): a subquery in the arguments of a function in FROM may name a
// column of the row around it without a qualifier, beside tables of its
// own; the translation cannot tell it from theirs without schemas
// (namesOuterRow refuses the plain cases). Inside EXISTS the engine then
// evaluates the argument against the wrong row and fails with an
// internal error ("unable to find field with index 1 in row of 1
// columns"). PostgreSQL's answer or a clear UNSUPPORTED is right.
func TestSeriesArgumentsCorrelatedUnqualified(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE app; CREATE SHARED TABLE app.pub (id BIGINT PRIMARY KEY) WITH (ACCESS_LEVEL = 'PUBLIC'); INSERT INTO app.pub VALUES (1), (3)")
	alice := e.as("alice", systable.RoleUser)
	q := "SELECT a.x FROM generate_series(1, 4) a(x) WHERE EXISTS (SELECT 1 FROM generate_series(1, (SELECT count(*) FROM app.pub WHERE id <= x)) g WHERE g = 2) ORDER BY 1"
	const want = `[[3],[4]]` // PostgreSQL 15
	if _, err := alice.exec(q); err != nil {
		if !apierror.Is(err, apierror.Unsupported) {
			t.Fatalf("%v, want %s or UNSUPPORTED", err, want)
		}
		return
	}
	if got := alice.rows(q); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
