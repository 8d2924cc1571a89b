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
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY)`)
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
	} {
		ae := root.fails(c.code, c.sql)
		if ae.Message != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.sql, ae.Message, c.want)
		}
		if strings.Contains(ae.Message, "atabase") {
			t.Errorf("%s: %q", c.sql, ae.Message)
		}
	}
	root.must(`INSERT INTO app.t VALUES (1), (2)`)
	if got := root.rows(`SELECT ntile(2) OVER (ORDER BY id) FROM app.t`); got != `[[1],[2]]` {
		t.Errorf("ntile: %s", got)
	}
}
