package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// A position past the select list is PostgreSQL's "ORDER BY position 9 is
// not in select list" with a * in the list too, whose length only the
// planner knows: the engine said `column "9" does not exist`. GROUP BY
// said "column ordinal out of range: 9" (SQL_EXECUTION_ERROR) for every
// position past the first after a *, which the engine counts as one
// entry: UNSUPPORTED, saying so. A column named "9" is still a column.
func TestMsgs21PositionPastAStarList(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY, n INT)`)
	root.must(`INSERT INTO app.t VALUES (1, 10), (2, 20)`)
	for _, c := range []struct {
		code      apierror.Code
		sql, want string
	}{
		{apierror.InvalidSQL, `SELECT * FROM app.t ORDER BY 9`, "ORDER BY position 9 is not in select list"},
		{apierror.InvalidSQL, `SELECT * FROM app.t ORDER BY 5`, "ORDER BY position 5 is not in select list"}, // id, n, _seq, _deleted
		{apierror.InvalidSQL, `SELECT id, * FROM app.t ORDER BY 1, 6`, "ORDER BY position 6 is not in select list"},
		{apierror.InvalidSQL, `SELECT * FROM (SELECT id, n FROM app.t) s ORDER BY 3`, "ORDER BY position 3 is not in select list"},
		{apierror.Unsupported, `SELECT * FROM app.t GROUP BY 9`, "GROUP BY position 9 counts the columns of a * in the select list, which is not supported: group by the column's name"},
		{apierror.Unsupported, `SELECT * FROM app.t GROUP BY 1, 2`, "GROUP BY position 2 counts the columns of a * in the select list, which is not supported: group by the column's name"},
		{apierror.InvalidSQL, `SELECT id, n FROM app.t GROUP BY 3`, "GROUP BY position 3 is not in select list"},
		{apierror.InvalidSQL, `SELECT * FROM app.t ORDER BY "9"`, `column "9" does not exist`},
		{apierror.InvalidSQL, `SELECT "9" FROM app.t ORDER BY 1`, `column "9" does not exist`},
	} {
		if ae := root.fails(c.code, c.sql); ae.Message != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.sql, ae.Message, c.want)
		}
	}
	if got := root.rows(`SELECT * FROM (SELECT id, n FROM app.t) s ORDER BY 2 DESC`); got != `[[2,20],[1,10]]` {
		t.Errorf("ORDER BY 2 DESC: %s", got)
	}
}
