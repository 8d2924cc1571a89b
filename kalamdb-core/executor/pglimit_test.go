package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestLimitConstantExpressions: LIMIT and OFFSET take constant numeric
// expressions, as in PostgreSQL (a numeric rounds half away from zero, a
// string literal is read as a bigint); negative counts are still refused.
func TestLimitConstantExpressions(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.l (id BIGINT PRIMARY KEY);
		INSERT INTO app.l VALUES (1), (2), (3), (4)`)
	for _, c := range []struct{ sql, want string }{
		{"SELECT id FROM app.l ORDER BY id LIMIT 2 + 1", `[[1],[2],[3]]`},
		{"SELECT id FROM app.l ORDER BY id LIMIT 1.5", `[[1],[2]]`},
		{"SELECT id FROM app.l ORDER BY id LIMIT 1.4", `[[1]]`},
		{"SELECT id FROM app.l ORDER BY id LIMIT '2'", `[[1],[2]]`},
		{"SELECT id FROM app.l ORDER BY id LIMIT 1 OFFSET 1 + 1", `[[3]]`},
		{"SELECT id FROM app.l ORDER BY id DESC LIMIT 7 / 2 OFFSET 0.5", `[[3],[2],[1]]`},
		{"SELECT id FROM app.l WHERE id > 1 ORDER BY id LIMIT $1", `[[2]]`},
	} {
		var params []any
		if strings.Contains(c.sql, "$1") {
			params = []any{1}
		}
		if got := root.rows(c.sql, params...); got != c.want {
			t.Errorf("%s: %s, want %s", c.sql, got, c.want)
		}
	}
	refusedAsInvalidSQL(t, root, []refusal{
		{"SELECT id FROM app.l LIMIT 1 - 2", "LIMIT must not be negative"},
		{"SELECT id FROM app.l OFFSET -1.5", "OFFSET must not be negative"},
		{"SELECT id FROM app.l LIMIT '1.5'", `invalid input syntax for type bigint: "1.5"`},
		{"SELECT id FROM app.l LIMIT id", "LIMIT must be a constant number or a parameter"},
	})
	// Overflow and division by zero are run-time errors, as PostgreSQL's
	// are, and as when the engine computes them (SELECT 1 / 0).
	for q, want := range map[string]string{
		"SELECT id FROM app.l LIMIT 9223372036854775807 * 2": "bigint out of range",
		"SELECT id FROM app.l LIMIT 1 / 0":                   "division by zero",
		"SELECT id FROM app.l LIMIT 1 OFFSET 2.5 / (1 - 1)":  "division by zero",
	} {
		if ae := root.fails(apierror.SQLExecutionError, q); ae.Message != want {
			t.Errorf("%s: %q, want %q", q, ae.Message, want)
		}
	}
}
