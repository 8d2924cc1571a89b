package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// A numeric's digits are memory like a text's: 1e131071 + g has 131072
// of them (about 54 KiB), and the operators that keep rows must charge
// them. They were measured as nothing, so a sort or a recursive query
// kept any number of them past the statement's budget.
func TestKeptNumericsAreCharged(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{StatementMemoryBytes: 1 << 20})
	root := e.root()
	// 20 digits squared 12 times: 81920 digits, about 34 KiB.
	const wide = "WITH RECURSIVE w(n, v) AS (SELECT 1, 12345678901234567890 UNION ALL SELECT n + 1, v * v FROM w WHERE n < 13) "
	for _, q := range []string{
		wide + "SELECT g FROM generate_series(1, 100) g, w WHERE n = 13 ORDER BY v + g DESC",
		wide + ", r(k, v) AS (SELECT 1, v FROM w WHERE n = 13 UNION ALL SELECT k + 1, v + 1 FROM r WHERE k < 100) SELECT count(*) FROM r",
		wide + "SELECT count(*) FROM (SELECT v + g AS x FROM generate_series(1, 100) g, w WHERE n = 13 GROUP BY 1) s",
	} {
		root.failsNaming(apierror.ResourceLimitExceeded, "statement_memory_bytes", q)
	}
	// Small numerics stay within it.
	if got := root.rows("SELECT g FROM (SELECT g, 1.5 + g AS v FROM generate_series(1, 3) g) s ORDER BY v DESC"); got != `[[3],[2],[1]]` {
		t.Fatalf("small numerics sorted: %s", got)
	}
}

// PostgreSQL 15's integer input takes no underscores (16 does): '1_000'
// was 1000 here.
func TestIntegerTextHasNoUnderscores(t *testing.T) {
	root := newEnv(t).root()
	for _, q := range []string{"SELECT '1_000'::int", "SELECT '1_000'::bigint", "SELECT '_1'::smallint", "SELECT CAST('1__0' AS INT)"} {
		expectError(t, root, apierror.SQLExecutionError, "invalid input syntax for type", q)
	}
	if got := root.rows("SELECT ' +1000 '::int"); got != `[[1000]]` {
		t.Fatalf("' +1000 '::int: %s", got)
	}
}

// A VALUES list's column of a computed decimal has the engine's own
// DECIMAL(65,30) type, and its rows were converted to it: 1e-30 * 1e-30
// read as 0, equalled 0 and joined with it. Its values keep every digit
// and compare by exact value, as a computed decimal does. These are
// PostgreSQL 15's answers.
func TestWideDecimalColumnsCompareExactly(t *testing.T) {
	root := newEnv(t).root()
	for q, want := range map[string]string{
		"SELECT count(*) FROM (VALUES (1e-30*1e-30)) a(v) WHERE v = 0":                                             `[[0]]`,
		"SELECT count(*) FROM (VALUES (1e-30*1e-30), (0)) a(v) WHERE v = 0":                                        `[[1]]`,
		"SELECT count(*) FROM (VALUES (1e-30*1e-30), (0)) a(v) WHERE v IN (0, 5)":                                  `[[1]]`,
		"SELECT length(v::text) FROM (VALUES (1e-30*1e-30), (0)) a(v)":                                             `[[62],[1]]`,
		"SELECT count(*) FROM (VALUES (1e-30*1e-30), (0)) a(v) WHERE v IN (SELECT 1e-30*1e-30)":                    `[[1]]`,
		"SELECT 1e-30*1e-30 IN (SELECT 1e-30*1e-30), 1e-30*1e-30 IN (SELECT 0), 0 IN (SELECT 1e-30*1e-30)":         `[[true,false,false]]`,
		"SELECT count(*) FROM (VALUES (1e-30*1e-30), (0)) a(v) WHERE v > 0":                                        `[[1]]`,
		"SELECT count(*) FROM (VALUES (1e-30*1e-30), (0)) a(v) JOIN (VALUES (1e-30*1e-30), (0)) b(w) ON a.v = b.w": `[[2]]`,
	} {
		if got := root.rows(q); got != want {
			t.Errorf("%s: got %s, want %s", q, got, want)
		}
	}
}
