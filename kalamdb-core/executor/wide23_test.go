package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// wideTable creates app.<name> with an id and n more BIGINT columns, and
// returns the list of its columns.
func wideTable(c *caller, name string, n int) string {
	cols := []string{"id"}
	defs := []string{"id BIGINT PRIMARY KEY"}
	for i := range n {
		cols = append(cols, fmt.Sprintf("c%d", i))
		defs = append(defs, fmt.Sprintf("c%d BIGINT", i))
	}
	c.must(fmt.Sprintf("CREATE SHARED TABLE app.%s (%s) WITH (ACCESS_LEVEL = 'PUBLIC')", name, strings.Join(defs, ", ")))
	return strings.Join(cols, ", ")
}

// withChain is WITH c0 AS (SELECT * FROM from), c1 AS (SELECT * FROM c0),
// ..., read by outer (whose %s is the last).
func withChain(from string, n int, outer string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "WITH c0 AS (SELECT * FROM %s)", from)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, ", c%d AS (SELECT * FROM c%d)", i, i-1)
	}
	b.WriteString(" " + fmt.Sprintf(outer, fmt.Sprintf("c%d", n)))
	return b.String()
}

// Derived tables nested over wide rows took planning time growing as the
// square of the columns times the square of the depth, in a step the time
// limit could not stop: SELECT * through 16 derived tables over 400
// columns (335 bytes) planned for 13 s, for a user whose limit is 1 s.
// Past MaxDerivedColumns a statement is refused before it is planned, and
// changes nothing. (Each of these ran past the time limit before.)
func TestWide23PastTheBoundRefused(t *testing.T) {
	_, root, alice := newEnvAliceLimited(t)
	root.must(`CREATE NAMESPACE app`)
	list := wideTable(root, "w", 399)
	narrow := wideTable(root, "n", 1)
	root.must(`CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY, a BIGINT)`)
	star16 := nestSubqueries("SELECT * FROM app.w", "SELECT * FROM (%s) s", 16)
	want := fmt.Sprintf("more than %d columns through derived tables", engine.MaxDerivedColumns)
	for _, q := range []string{
		"SELECT count(*) FROM (" + star16 + ") s",
		"SELECT count(*) FROM (" + nestSubqueries("SELECT * FROM app.w", "SELECT * FROM (%s) s", 3) + ") s",
		nestSubqueries("SELECT "+list+" FROM app.w", "SELECT "+list+" FROM (%s) s", 3),
		nestSubqueries("SELECT * FROM app.w", "SELECT s.* FROM (%s) s", 3),
		"EXPLAIN SELECT count(*) FROM (" + star16 + ") s",
		withChain("app.w", 2, "SELECT count(*) FROM %s"),
		// Tables the catalog does not hold count as wide.
		nestSubqueries("SELECT * FROM information_schema.columns", "SELECT * FROM (%s) s", 16),
		// In an expression subquery too.
		"SELECT 1 WHERE EXISTS (" + star16 + ")",
	} {
		if ae := alice.fails(apierror.ResourceLimitExceeded, q); !strings.Contains(ae.Message, want) ||
			!strings.Contains(ae.Message, "max_derived_columns") {
			t.Errorf("%.80s: %s", q, ae.Message)
		}
	}
	// Narrow chains are bounded by their depth.
	alice.failsNaming(apierror.ResourceLimitExceeded, "max_derived_depth",
		nestSubqueries("SELECT "+narrow+" FROM app.n", "SELECT "+narrow+" FROM (%s) s", engine.MaxDerivedDepth+1))
	root.fails(apierror.ResourceLimitExceeded, `INSERT INTO app.t (id, a) SELECT id, c0 FROM (`+star16+`) s`)
	if got := root.rows(`SELECT count(*) FROM app.t`); got != `[[0]]` {
		t.Errorf("rows after the refused INSERT: %s", got)
	}
	// Views over views count where they are read; one that would pass the
	// bound is not created.
	root.must(`CREATE VIEW app.v0 AS SELECT * FROM app.w; CREATE VIEW app.v1 AS SELECT * FROM app.v0;
		CREATE VIEW app.v2 AS SELECT * FROM app.v1`)
	alice.fails(apierror.ResourceLimitExceeded, `SELECT count(*) FROM app.v2`)
	root.fails(apierror.ResourceLimitExceeded, `CREATE VIEW app.v3 AS SELECT * FROM app.v2`)
}

// At MaxDerivedColumns the worst shapes answer, and deep chains of few
// columns still do.
func TestWide23AtTheBoundAnswers(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app`)
	// A count(*) over a derived table counts its one column.
	rest := engine.MaxDerivedColumns - 1
	wideTable(root, "w1", rest-1)
	list := wideTable(root, "w2", rest/2-1)
	narrow := wideTable(root, "n", 1)
	root.must(`INSERT INTO app.n (id, c0) VALUES (1, 2); INSERT INTO app.w1 (id) VALUES (1); INSERT INTO app.w2 (id) VALUES (1)`)
	levels := engine.MaxDerivedDepth
	for _, c := range []struct{ q, want string }{
		{"SELECT count(*) FROM (SELECT * FROM (SELECT * FROM app.w1) a) b", `[[1]]`},
		{"SELECT count(*) FROM (SELECT * FROM (SELECT * FROM (SELECT * FROM app.w2) a) b) c", `[[1]]`},
		{"SELECT id FROM (" + nestSubqueries("SELECT "+list+" FROM app.w2", "SELECT "+list+" FROM (%s) s", 1) + ") s", `[[1]]`},
		{withChain("app.w2", 1, "SELECT id FROM %s"), `[[1]]`},
		{nestSubqueries("SELECT "+narrow+" FROM app.n", "SELECT "+narrow+" FROM (%s) s", levels), `[[1,2]]`},
		{"SELECT a FROM (" + nestSubqueries("SELECT 1 AS a", "SELECT a FROM (%s) s", 40) + ") s", `[[1]]`},
	} {
		if got := root.rows(c.q); got != c.want {
			t.Errorf("%.80s: %s, want %s", c.q, got, c.want)
		}
	}
	root.must(`CREATE VIEW app.v0 AS SELECT * FROM app.w2; CREATE VIEW app.v1 AS SELECT * FROM app.v0`)
	if got := root.rows(`SELECT count(*) FROM app.v1`); got != `[[1]]` {
		t.Errorf("views over views at the bound: %s", got)
	}
}
