package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// nestSubqueries nests inner depth times in wrap, each level's %s the
// level below.
func nestSubqueries(inner, wrap string, depth int) string {
	for range depth {
		inner = fmt.Sprintf(wrap, inner)
	}
	return inner
}

// Scalar subqueries nested in select lists took planning time exponential
// in their depth: each level worked out the type of the one below several
// times (COALESCE ×9 per level, 6 levels 20 s), much of it where the time
// limit could not stop it. A statement past MaxScalarSubqueryDepth is
// refused before it is planned, and changes nothing.
func TestSubqDepth23PastTheBoundRefused(t *testing.T) {
	e, root, alice := newEnvAliceLimited(t)
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY, a BIGINT)`)
	past := engine.MaxScalarSubqueryDepth + 1
	want := fmt.Sprintf("more than %d levels deep (counting", engine.MaxScalarSubqueryDepth)
	for _, q := range []string{
		nestSubqueries("SELECT 1 AS a", "SELECT coalesce((%s), 1) AS a", past),
		nestSubqueries("SELECT 1 AS a", "SELECT CASE WHEN true THEN (%s) ELSE 2 END AS a", past),
		nestSubqueries("SELECT 1 AS a", "SELECT -(%s) AS a", past),
		nestSubqueries("SELECT 1 AS a", "SELECT (%s) AS a", past),
		nestSubqueries("SELECT 1 AS a", "SELECT (SELECT a FROM (%s) s) AS a", past),
		// In a WHERE, through a set operation and a WITH query.
		"SELECT 1 WHERE (" + nestSubqueries("SELECT 1 AS a", "SELECT (%s) AS a", past-1) + ") = 1",
		nestSubqueries("SELECT 1 AS a", "SELECT (%s UNION ALL SELECT 2) AS a", past),
		"WITH c AS (" + nestSubqueries("SELECT 1 AS a", "SELECT (%s) AS a", past-1) + ") SELECT (SELECT a FROM c) AS a",
		// A WITH query read twice at every level doubles the work: it
		// counts as deeper.
		doublingCTEs(engine.MaxScalarSubqueryDepth/2 + 1),
	} {
		if ae := alice.fails(apierror.ResourceLimitExceeded, q); !strings.Contains(ae.Message, want) ||
			!strings.Contains(ae.Message, "max_scalar_subquery_depth") {
			t.Errorf("%.80s: %s", q, ae.Message)
		}
	}
	root.fails(apierror.ResourceLimitExceeded, `INSERT INTO app.t (id, a) VALUES (1, (`+
		nestSubqueries("SELECT 1 AS a", "SELECT coalesce((%s), 1) AS a", past)+`))`)
	if got := root.rows(`SELECT count(*) FROM app.t`); got != `[[0]]` {
		t.Errorf("rows after the refused INSERT: %s", got)
	}
	_ = e
}

// doublingCTEs is WITH queries c1..cn, each reading the one before twice
// in scalar subqueries of its select list.
func doublingCTEs(n int) string {
	var b strings.Builder
	b.WriteString("WITH c0 AS (SELECT 1 AS a)")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, ", c%d AS (SELECT (SELECT a FROM c%d) + (SELECT a FROM c%d) AS a)", i, i-1, i-1)
	}
	fmt.Fprintf(&b, " SELECT a FROM c%d", n)
	return b.String()
}

// Views count where they are read: a view's query nested past the bound
// by views over views is not created, and a query that nests a view at
// the bound one level deeper is refused.
func TestSubqDepth23ViewsCountWhereRead(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app`)
	half := engine.MaxScalarSubqueryDepth / 2
	root.must(`CREATE VIEW app.v0 AS ` + nestSubqueries("SELECT 1 AS a", "SELECT (%s) AS a", half))
	root.must(`CREATE VIEW app.v1 AS ` + nestSubqueries("SELECT a FROM app.v0", "SELECT (%s) AS a", engine.MaxScalarSubqueryDepth-half))
	if got := root.rows(`SELECT a FROM app.v1`); got != `[[1]]` {
		t.Errorf("view at the bound: %s", got)
	}
	root.fails(apierror.ResourceLimitExceeded, `CREATE VIEW app.v2 AS SELECT (SELECT a FROM app.v1) AS a`)
	root.fails(apierror.ResourceLimitExceeded, `SELECT (SELECT a FROM app.v1) AS a`)
}

// At the bound, the worst shapes plan and answer.
func TestSubqDepth23AtTheBoundAnswers(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	at := engine.MaxScalarSubqueryDepth
	for _, c := range []struct{ q, want string }{
		{nestSubqueries("SELECT 1 AS a", "SELECT (%s) AS a", at), `[[1]]`},
		{nestSubqueries("SELECT 1", "SELECT (%s)", at), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT (SELECT a FROM (%s) s) AS a", at), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT coalesce((%s), 1) AS a", at), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT CASE WHEN true THEN (%s) ELSE 2 END AS a", at), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT -(%s) AS a", at), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT (%s) + 1 AS a", at), fmt.Sprintf(`[[%d]]`, at+1)},
		{doublingCTEs(at / 2), fmt.Sprintf(`[[%d]]`, 1<<(at/2))},
		{"WITH c AS (" + nestSubqueries("SELECT 1 AS a", "SELECT (%s) AS a", at) + ") SELECT a FROM c", `[[1]]`},
	} {
		if got := root.rows(c.q); got != c.want {
			t.Errorf("%.80s: %s, want %s", c.q, got, c.want)
		}
	}
}

// Chains whose subqueries' types no select list reads are not bounded.
// (A chain of IN subqueries still plans in time that doubles per level
// past about 13 levels: not this bound's shape.)
func TestSubqDepth23OtherChainsAnswer(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	for _, c := range []struct{ q, want string }{
		{nestSubqueries("SELECT 1 AS a", "SELECT a FROM (%s) s", 40), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE 1 IN (%s)", 12), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE EXISTS (%s)", 30), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE (%s) = 1", 20), `[[1]]`},
		// Many subqueries side by side that hold none of their own.
		{"SELECT " + strings.Repeat("(SELECT 1) + ", 200) + "1", `[[201]]`},
	} {
		if got := root.rows(c.q); got != c.want {
			t.Errorf("%.80s: %s, want %s", c.q, got, c.want)
		}
	}
}
