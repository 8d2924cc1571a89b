package executor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// repeatParam is n references to $1 joined by sep.
func repeatParam(n int, sep string) string {
	return strings.TrimSuffix(strings.Repeat("$1"+sep, n), sep)
}

// repeatedParamShapes are statements referencing $1 n times, in the
// places where the planner prints or copies each reference.
func repeatedParamShapes(n int) map[string]string {
	list := repeatParam(n, ", ")
	return map[string]string{
		"select list IN":      "SELECT v IN (" + list + ") FROM app.t",
		"WHERE IN":            "SELECT id FROM app.t WHERE v IN (" + list + ")",
		"window PARTITION BY": "SELECT id, row_number() OVER (PARTITION BY " + list + " ORDER BY id) FROM app.t",
		"window ORDER BY":     "SELECT id, rank() OVER (ORDER BY " + list + ") FROM app.t",
		"CASE":                "SELECT CASE " + strings.Repeat("WHEN v = $1 THEN 1 ", n) + "ELSE 0 END FROM app.t",
		"string functions": "SELECT id FROM app.t WHERE " +
			strings.TrimSuffix(strings.Repeat("length(upper($1)) = id OR ", n), " OR "),
		"plain select items": "SELECT " + list,
	}
}

// TestRepeatedParameterBounded: a statement referencing one large text
// parameter many times is refused before it is planned. The planner binds
// each reference as a literal of its own and prints them while it plans
// (column names, window definitions): 1,000 references to 100 KB
// allocated 4 to 10 GB, a way for any reader to take the server down.
// A few references to a large value still run.
func TestRepeatedParameterBounded(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{MaxSQLBytes: 10 << 20}, engine.Limits{Timeout: engine.Timeouts{Default: 24 * time.Hour}})
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT);
		INSERT INTO app.t VALUES (1, 'a'), (2, 'b'), (3, 'c')`)
	const size = 100 << 10
	big := strings.Repeat("x", size)
	for name, q := range repeatedParamShapes(1_000) {
		got := allocatedBy(func() { root.fails(apierror.ResourceLimitExceeded, q, big) })
		t.Logf("%s, 1,000 references: %d KB", name, got>>10)
		// Refused before planning: the request's own bytes a few times
		// over, far below one copy per reference (100 MB).
		if bound := uint64(16 * size); got > bound {
			t.Errorf("%s: %d KB allocated refusing 1,000 references to %d KB, want at most %d KB",
				name, got>>10, size>>10, bound>>10)
		}
	}
	// A few references to a large value run. The engine's planner prints
	// each literal some tens of times (column names, window definitions,
	// its rules' expression strings): bounded by the referenced bytes.
	for name, q := range repeatedParamShapes(8) {
		got := allocatedBy(func() { root.must(q, big) })
		t.Logf("%s, 8 references: %d KB", name, got>>10)
		if bound := uint64(128 * 8 * size); got > bound {
			t.Errorf("%s: %d MB allocated for 8 references to %d KB, want at most %d MB",
				name, got>>20, size>>10, bound>>20)
		}
	}
}

// TestRepeatedParameterLimit: the bound is on the bytes the second and
// later references add, over all parameters; one reference to each value
// is free, small values may be referenced often, and the refusal names
// the parameter.
func TestRepeatedParameterLimit(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	const limit = 1 << 20
	// Twice: the second reference adds the value once.
	root.must("SELECT length($1) + length($1)", strings.Repeat("a", limit))
	ae := root.fails(apierror.ResourceLimitExceeded, "SELECT length($1) + length($1)", strings.Repeat("a", limit+1))
	if !strings.Contains(ae.Message, "parameter $1") || !strings.Contains(ae.Message, "referenced 2 times") {
		t.Errorf("message %q does not name the parameter and its references", ae.Message)
	}
	// Over several parameters: each alone is within the bound.
	half := strings.Repeat("b", limit/2+1)
	root.fails(apierror.ResourceLimitExceeded, "SELECT $1 || $1 || $2 || $2", half, half)
	root.must("SELECT $1 || $2", half, half)
	// A small value referenced a thousand times, a number ten thousand.
	if got := root.rows("SELECT length(concat("+repeatParam(1_000, ", ")+"))", "abc"); got != `[[3000]]` {
		t.Errorf("got %.200s", got)
	}
	if got := root.rows("SELECT 7 IN ("+repeatParam(10_000, ", ")+")", 7); got != `[[true]]` {
		t.Errorf("got %.200s", got)
	}
	// ? placeholders are one reference each.
	root.must("SELECT length(?) + length(?)", strings.Repeat("c", limit), strings.Repeat("c", limit))
}
