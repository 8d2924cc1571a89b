package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Messages of the engine (MySQL's) a new user met trying the docs'
// statements, and what PostgreSQL (or KalamDB) says instead.
func TestMsgs21EngineWordingReplaced(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY, n INT)`)
	const readOnly = "the tables of namespace system are read-only: they change through KalamDB's statements (CREATE USER, ALTER USER, ...)"
	for _, c := range []struct {
		code      apierror.Code
		sql, want string
	}{
		// "Database system is read-only."
		{apierror.SQLExecutionError, `DELETE FROM system.users`, readOnly},
		{apierror.SQLExecutionError, `DELETE FROM system.namespaces WHERE namespace_id = 'app'`, readOnly},
		// "namespace system does not exist"
		{apierror.SQLExecutionError, `INSERT INTO system.namespaces VALUES ('x')`, readOnly},
		// "Invalid argument to NTILE"
		{apierror.SQLExecutionError, `SELECT ntile(0) OVER () FROM app.t`, "argument of ntile must be greater than zero"},
		// "In definition of view, derived table or common table expression,
		// SELECT list and column names list have different column counts"
		{apierror.InvalidSQL, `SELECT x FROM (SELECT 1) AS s(x, y)`, "a column list names more columns than its table has (its query's columns)"},
		{apierror.InvalidSQL, `WITH w(a, b) AS (SELECT 1) SELECT * FROM w`, "a column list names more columns than its table has (its query's columns)"},
		// "unable to sort: unable to find field with index 1 in row of 1
		// columns", while running: a set operation's ORDER BY names its
		// result's columns, the first query's.
		{apierror.InvalidSQL, `SELECT id FROM app.t UNION ALL SELECT id FROM app.t ORDER BY n`, `column "n" does not exist`},
		{apierror.InvalidSQL, `SELECT id AS k FROM app.t UNION SELECT n FROM app.t ORDER BY id`, `column "id" does not exist`},
	} {
		ae := root.fails(c.code, c.sql)
		if ae.Message != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.sql, ae.Message, c.want)
		}
		if strings.Contains(ae.Message, "atabase") {
			t.Errorf("%s: %q", c.sql, ae.Message)
		}
	}
	root.must(`INSERT INTO app.t VALUES (1, 20), (2, 10)`)
	if got := root.rows(`SELECT ntile(2) OVER (ORDER BY id) FROM app.t`); got != `[[1],[2]]` {
		t.Errorf("ntile: %s", got)
	}
	if got := root.rows(`SELECT id AS k FROM app.t UNION SELECT n FROM app.t ORDER BY k DESC`); got != `[[20],[10],[2],[1]]` {
		t.Errorf("UNION ORDER BY an alias: %s", got)
	}
	if got := root.rows(`SELECT n + 1 FROM app.t UNION SELECT id FROM app.t ORDER BY 1`); got != `[[1],[2],[11],[21]]` {
		t.Errorf("UNION ORDER BY a position: %s", got)
	}
}
