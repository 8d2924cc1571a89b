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

// Chains whose subqueries' types no select list reads are not bounded by
// max_scalar_subquery_depth; to MaxSubqueryDepth they answer.
func TestSubqDepth23OtherChainsAnswer(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	at := engine.MaxSubqueryDepth
	for _, c := range []struct{ q, want string }{
		{nestSubqueries("SELECT 1 AS a", "SELECT a FROM (%s) s", 40), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE 1 IN (%s)", at), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE EXISTS (%s)", at), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE (%s) = 1", at), `[[1]]`},
		// Many subqueries side by side that hold none of their own.
		{"SELECT " + strings.Repeat("(SELECT 1) + ", 200) + "1", `[[201]]`},
	} {
		if got := root.rows(c.q); got != c.want {
			t.Errorf("%.80s: %s, want %s", c.q, got, c.want)
		}
	}
}

// Subqueries nested as expressions (IN, NOT IN, = ANY, <> ALL, EXISTS,
// scalar) took time doubling or worse at every level where the time limit
// could not stop it: 1 IN (SELECT 1 AS a WHERE 1 IN (...)) 30 levels deep
// would have taken half an hour. Past MaxSubqueryDepth a statement is
// refused before it is planned, and changes nothing.
func TestSubqDepth23DeepInChainsRefused(t *testing.T) {
	_, root, alice := newEnvAliceLimited(t)
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY, a BIGINT) WITH (ACCESS_LEVEL = 'PUBLIC');
		INSERT INTO app.t (id, a) VALUES (1, 1), (2, 2)`)
	past := engine.MaxSubqueryDepth + 1
	want := fmt.Sprintf("more than %d levels deep", engine.MaxSubqueryDepth)
	for _, q := range []string{
		nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE 1 IN (%s)", 30),
		nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE 1 IN (%s)", past),
		nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE 1 NOT IN (%s) OR true", past),
		nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE 1 = ANY (%s)", past),
		nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE 2 <> ALL (%s)", past),
		nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE EXISTS (%s)", past),
		nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE (%s) = 1", past),
		// Correlated, over the same table and aliases at every level.
		nestSubqueries("SELECT 1 AS a", "SELECT t.a FROM app.t t WHERE EXISTS (SELECT 1 FROM app.t u WHERE u.id = t.id AND EXISTS (%s))", (past+1)/2),
		nestSubqueries("SELECT 1 AS a", "SELECT t.a FROM app.t t WHERE EXISTS (SELECT 1 FROM app.t u WHERE u.id = t.id AND u.a IN (%s))", (past+1)/2),
		nestSubqueries("SELECT 1 AS a", "SELECT coalesce((SELECT 1 WHERE 1 IN (%s)), 1) AS a", (past+1)/2),
		// Derived tables and WITH queries pass the depth through.
		nestSubqueries("SELECT 1 AS a", "SELECT a FROM (SELECT 1 AS a WHERE 1 IN (%s)) s", past),
		"WITH c AS (" + nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE 1 IN (%s)", past-1) + ") SELECT 1 WHERE 1 IN (SELECT a FROM c)",
	} {
		if ae := alice.fails(apierror.ResourceLimitExceeded, q); !strings.Contains(ae.Message, want) ||
			!strings.Contains(ae.Message, "max_subquery_depth") {
			t.Errorf("%.80s: %s", q, ae.Message)
		}
	}
	root.fails(apierror.ResourceLimitExceeded, `DELETE FROM app.t WHERE a IN (`+
		nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE 1 IN (%s)", past-1)+`)`)
	if got := root.rows(`SELECT count(*) FROM app.t`); got != `[[2]]` {
		t.Errorf("rows after the refused DELETE: %s", got)
	}
	// Views count where they are read.
	root.must(`CREATE VIEW app.v AS ` + nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE 1 IN (%s)", past-1))
	root.fails(apierror.ResourceLimitExceeded, `SELECT 1 WHERE 1 IN (SELECT a FROM app.v)`)
	root.fails(apierror.ResourceLimitExceeded, `CREATE VIEW app.w AS SELECT 1 AS a WHERE 1 IN (SELECT a FROM app.v)`)
}

// At MaxSubqueryDepth the worst shapes found answer.
func TestSubqDepth23InChainsAtTheBoundAnswer(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id BIGINT PRIMARY KEY, a BIGINT);
		INSERT INTO app.t (id, a) VALUES (1, 1), (2, 2)`)
	at := engine.MaxSubqueryDepth
	for _, c := range []struct{ q, want string }{
		{nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE 1 NOT IN (%s) OR true", at), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE 1 = ANY (%s)", at), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE 2 <> ALL (%s)", at), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT a FROM app.t WHERE a IN (%s)", 7), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT t.a FROM app.t t WHERE EXISTS (SELECT 1 FROM app.t u WHERE u.id = t.id AND EXISTS (%s))", at/2), `[[1],[2]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT t.a FROM app.t t WHERE EXISTS (SELECT 1 FROM app.t u WHERE u.id = t.id AND u.a IN (%s))", at/2), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT t.a FROM app.t t WHERE t.a IN (SELECT u.a FROM app.t u WHERE u.a = t.a AND u.a IN (%s))", at/2), `[[1]]`},
		{nestSubqueries("SELECT 1 AS a", "SELECT coalesce((SELECT 1 WHERE 1 IN (%s)), 1) AS a", at/2), `[[1]]`},
		{"WITH c AS (" + nestSubqueries("SELECT 1 AS a", "SELECT 1 AS a WHERE 1 IN (%s)", at-1) + ") SELECT 1 WHERE 1 IN (SELECT a FROM c)", `[[1]]`},
	} {
		if got := root.rows(c.q); got != c.want {
			t.Errorf("%.80s: %s, want %s", c.q, got, c.want)
		}
	}
}
