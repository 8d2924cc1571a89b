package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// TestNestedBetweenIsLinear: a BETWEEN nested in the operand of another
// evaluated that operand twice, and the engine's filter rewrites copied it
// into two comparisons, so 40 levels (under 1 KB) were 2^40 evaluations
// per row, beyond the reach of the statement timeout (each row's value is
// computed inside one expression). Before the fix none of these finished.
func TestNestedBetweenIsLinear(t *testing.T) {
	_, root, alice := newEnvAliceLimited(t)
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, a INT)`)
	alice.must(`INSERT INTO app.t VALUES (1, 0), (2, 1), (3, 5), (4, NULL)`)
	nested := func(open, leaf, close string) string {
		return strings.Repeat(open, 40) + leaf + strings.Repeat(close, 40)
	}
	b := nested("(", "a", " BETWEEN 1 AND 2)::int")
	withinMinutes(t, "nested BETWEEN", func() {
		for q, want := range map[string]string{
			"SELECT id, " + b + " AS v FROM app.t ORDER BY id":            `[[1,0],[2,1],[3,0],[4,null]]`,
			"SELECT id FROM app.t WHERE " + b + " = 1":                    `[[2]]`,
			"SELECT id FROM app.t WHERE NOT " + b + " = 1 ORDER BY id":    `[[1],[3]]`,
			"SELECT id FROM app.t WHERE NOT (" + b + " BETWEEN 1 AND 1)":  `[[1],[3]]`,
			"SELECT id FROM app.t WHERE " + b + " NOT BETWEEN 0 AND 0":    `[[2]]`,
			"SELECT id FROM app.t WHERE " + b + "::float BETWEEN 1 AND 1": `[[2]]`,
		} {
			if got := alice.rows(q); got != want {
				t.Errorf("%.80s…: got %s, want %s", q, got, want)
			}
		}
		// The plan stays the size of the statement.
		res := alice.must("EXPLAIN SELECT id FROM app.t WHERE " + b + " = 1")
		if plan := alice.rowsOf("EXPLAIN", res); len(plan) > 20*len(b) {
			t.Errorf("EXPLAIN of a %d-byte condition is %d bytes", len(b), len(plan))
		}
	})
}

// TestNestedBetweenSymmetricIsBounded: x BETWEEN SYMMETRIC a AND b is
// planned as two BETWEENs, each with its own copy of x, a and b, so
// nesting one in another's operand doubled the plan at every level: 14
// levels (481 bytes) took 7 s and 40 never finished, deaf to the time
// limit. Nesting beyond MaxSymmetricNesting is refused before planning.
func TestNestedBetweenSymmetricIsBounded(t *testing.T) {
	_, root, alice := newEnvAliceLimited(t)
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, a INT)`)
	alice.must(`INSERT INTO app.t VALUES (1, 0), (2, 1), (3, 5), (4, NULL)`)
	nested := func(n int) string {
		return strings.Repeat("(", n) + "a" + strings.Repeat(" BETWEEN SYMMETRIC 2 AND 1)::int", n)
	}
	withinMinutes(t, "nested BETWEEN SYMMETRIC", func() {
		if got, want := alice.rows("SELECT id, "+nested(pgsql.MaxSymmetricNesting)+" FROM app.t ORDER BY id"),
			`[[1,0],[2,1],[3,0],[4,null]]`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
		if got, want := alice.rows("SELECT id FROM app.t WHERE "+nested(pgsql.MaxSymmetricNesting)+" = 1"), `[[2]]`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
		// Side by side, not nested: no limit.
		flat := strings.Repeat("a BETWEEN SYMMETRIC 2 AND 1 AND ", 50) + "true"
		if got, want := alice.rows("SELECT id FROM app.t WHERE "+flat), `[[2]]`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
		for _, n := range []int{pgsql.MaxSymmetricNesting + 1, 40} {
			ae := alice.fails(apierror.ResourceLimitExceeded, "SELECT "+nested(n)+" FROM app.t")
			if !strings.Contains(ae.Message, "max_symmetric_nesting") {
				t.Errorf("%d levels: %s", n, ae.Message)
			}
		}
	})
}

// TestNestedDecimalBetweenIsLinear: a BETWEEN whose bound is a column's
// DECIMAL(p,s) is compared exactly, as two comparisons of x; nested, that
// doubled at every level as the engine's BETWEEN did (24 levels, 746
// bytes: 6 s against a 1 s limit; 32 did not finish).
func TestNestedDecimalBetweenIsLinear(t *testing.T) {
	_, root, alice := newEnvAliceLimited(t)
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, a INT, d NUMERIC(5,1))`)
	alice.must(`INSERT INTO app.t VALUES (1, 1, 0.5), (2, 5, 0.5), (3, 1, NULL)`)
	n := 40
	q := "SELECT id, " + strings.Repeat("(", n) + "a * 1.00" + strings.Repeat(" BETWEEN d AND 2)::int * 1.00", n) +
		" AS v, (a * 0.96 BETWEEN d + 0.5 AND 2) AS w FROM app.t ORDER BY id"
	withinMinutes(t, "nested decimal BETWEEN", func() {
		if got, want := alice.rows(q), `[[1,"1.00",false],[2,"0.00",false],[3,null,null]]`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
}
