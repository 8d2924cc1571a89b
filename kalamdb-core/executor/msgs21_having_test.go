package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// A HAVING that names a column neither grouped nor aggregated (nor in the
// select list) said `column "i" does not exist`: the engine's HAVING sees
// only those columns. PostgreSQL says the column must be grouped or
// aggregated, naming it with its table; when its table's primary key is
// grouped PostgreSQL reads it, which the engine cannot (UNSUPPORTED,
// saying how to write it).
func TestMsgs21HavingOverAnUngroupedColumn(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.g (id INT PRIMARY KEY, ok BOOLEAN, i INT, txt TEXT);
		CREATE SHARED TABLE app.h (id INT PRIMARY KEY, gid INT, v INT)`)
	root.must(`INSERT INTO app.g VALUES (1, true, 1, 'a'), (2, false, 2, 'b'), (3, true, 3, 'c')`)
	const groupMsg = "must appear in the GROUP BY clause or be used in an aggregate function"
	for _, c := range []struct {
		code      apierror.Code
		sql, want string
	}{
		{apierror.InvalidSQL, `SELECT ok FROM app.g GROUP BY ok HAVING i > 0`, `column "g.i" ` + groupMsg},
		{apierror.InvalidSQL, `SELECT count(*) FROM app.g HAVING i > 0`, `column "g.i" ` + groupMsg},
		{apierror.InvalidSQL, `SELECT ok FROM app.g x GROUP BY ok HAVING x.i > 0`, `column "x.i" ` + groupMsg},
		{apierror.InvalidSQL, `SELECT g.ok FROM app.g JOIN app.h ON h.gid = g.id GROUP BY g.ok HAVING v > 0`, `column "h.v" ` + groupMsg},
		{apierror.InvalidSQL, `SELECT ok FROM app.g GROUP BY ok HAVING ok AND txt = 'a'`, `column "g.txt" ` + groupMsg},
		{apierror.Unsupported, `SELECT id FROM app.g GROUP BY id HAVING ok`,
			`HAVING cannot name column "g.ok", which the grouped primary key of g determines, unless the select list names it too (PostgreSQL reads it)`},
		{apierror.InvalidSQL, `SELECT ok FROM app.g GROUP BY ok HAVING nosuch > 0`, `column "nosuch" does not exist`},
	} {
		if ae := root.fails(c.code, c.sql); ae.Message != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.sql, ae.Message, c.want)
		}
	}
	if got := root.rows(`SELECT id, ok FROM app.g GROUP BY id HAVING ok ORDER BY id`); got != `[[1,true],[3,true]]` {
		t.Errorf("the dependent column in the select list: %s", got)
	}
}
