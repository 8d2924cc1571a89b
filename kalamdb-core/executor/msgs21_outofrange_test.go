package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// An integer too large for its column is PostgreSQL's "integer out of
// range" (smallint, bigint), however it arrives, and INVALID_INPUT: the
// engine's check of a number written into a column said "99999999999 out
// of range for int", naming its own (MySQL's) type word, and a float or
// decimal rounded into the column was SQL_EXECUTION_ERROR. Text says
// which value, as PostgreSQL's input functions do.
func TestMsgs21IntegerOutOfRangeIsPostgreSQLs(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.n (id INT PRIMARY KEY, s SMALLINT, i INT)`)
	root.must(`INSERT INTO app.n VALUES (1, 1, 1)`)
	for _, c := range []struct {
		sql    string
		params []any
		want   string
	}{
		{`INSERT INTO app.n (id, i) VALUES (2, 99999999999)`, nil, "integer out of range"},
		{`INSERT INTO app.n (id, s) VALUES (2, 40000)`, nil, "smallint out of range"},
		{`INSERT INTO app.n (id, s) VALUES (2, -32769)`, nil, "smallint out of range"},
		{`INSERT INTO app.n (id) VALUES (99999999999)`, nil, "integer out of range"},
		{`INSERT INTO app.n (id, i) SELECT 2, 99999999999`, nil, "integer out of range"},
		{`UPDATE app.n SET i = 99999999999 WHERE id = 1`, nil, "integer out of range"},
		{`UPDATE app.n SET s = 40000 WHERE id = 1`, nil, "smallint out of range"},
		{`INSERT INTO app.n (id, i) VALUES ($1, $2)`, []any{2, 99999999999}, "integer out of range"},
		// Text is read by the type's input function, which names it
		// (PostgreSQL's int4in for a text parameter).
		{`INSERT INTO app.n (id, i) VALUES ($1, $2)`, []any{2, "99999999999"}, `value "99999999999" is out of range for type integer`},
		{`INSERT INTO app.n (id, i) VALUES (2, '99999999999')`, nil, `value "99999999999" is out of range for type integer`},
		// A number of another type is rounded, then checked.
		{`INSERT INTO app.n (id, i) VALUES (2, 3e9)`, nil, "integer out of range"},
		{`UPDATE app.n SET i = 2147483647.5 WHERE id = 1`, nil, "integer out of range"},
	} {
		if ae := root.fails(apierror.InvalidInput, c.sql, c.params...); ae.Message != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.sql, ae.Message, c.want)
		}
	}
	if got := root.rows(`SELECT id, s, i FROM app.n`); got != `[[1,1,1]]` {
		t.Errorf("rows after the refusals: %s", got)
	}
}
