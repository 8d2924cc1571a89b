package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// PostgreSQL reads a string as a boolean wherever one is wanted: any
// unique prefix of true, false, yes, no, and on, off, 1, 0, in any case,
// with spaces around it. A BOOLEAN column's DEFAULT 'yes' was refused
// ("does not fit type BOOLEAN"); inserts and casts of those strings must
// agree with it.
func TestMsgs21BooleanStrings(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app`)
	root.must(`CREATE SHARED TABLE app.b (id INT PRIMARY KEY, y BOOLEAN DEFAULT 'yes', o BOOL DEFAULT 'off', t BOOLEAN NOT NULL DEFAULT ' T ')`)
	root.must(`ALTER TABLE app.b ADD COLUMN f BOOLEAN DEFAULT 'f'`)
	root.must(`INSERT INTO app.b (id) VALUES (1)`)
	root.must(`INSERT INTO app.b VALUES (2, 'no', 'on', '1', 'TRUE'), (3, 'Y', 'of', '0', ' n ')`)
	root.must(`INSERT INTO app.b (id, y) VALUES ($1, $2)`, 4, "off")
	if got := root.rows(`SELECT id, y, o, t, f FROM app.b ORDER BY id`); got != `[[1,true,false,true,false],[2,false,true,true,true],[3,true,false,false,false],[4,false,false,true,false]]` {
		t.Errorf("rows: %s", got)
	}
	if got := root.rows(`SELECT 'yes'::boolean, 'of'::boolean, ' t '::boolean, CAST('1' AS BOOLEAN), 'nO'::bool, 'tru'::boolean`); got != `[[true,false,true,true,false,true]]` {
		t.Errorf("casts: %s", got)
	}
	root.must(`UPDATE app.b SET y = 'on' WHERE id = 2`)
	if got := root.rows(`SELECT id FROM app.b WHERE y = 'on' ORDER BY id`); got != `[[1],[2],[3]]` {
		t.Errorf("compared with 'on': %s", got)
	}
	for _, c := range []struct {
		code      apierror.Code
		sql, want string
	}{
		{apierror.InvalidSQL, `CREATE SHARED TABLE app.c (id INT PRIMARY KEY, b BOOLEAN DEFAULT 'maybe')`, `invalid input syntax for type boolean: "maybe"`},
		{apierror.InvalidSQL, `CREATE SHARED TABLE app.c (id INT PRIMARY KEY, b BOOLEAN DEFAULT 'o')`, `invalid input syntax for type boolean: "o"`},
		{apierror.InvalidSQL, `CREATE SHARED TABLE app.c (id INT PRIMARY KEY, b BOOLEAN DEFAULT '')`, `invalid input syntax for type boolean: ""`},
		{apierror.InvalidSQL, `ALTER TABLE app.b ADD COLUMN c BOOLEAN DEFAULT 'yess'`, `invalid input syntax for type boolean: "yess"`},
		{apierror.InvalidSQL, `CREATE SHARED TABLE app.c (id INT PRIMARY KEY, b BOOLEAN DEFAULT 1)`, `column "b" is of type boolean but default expression is of type integer`},
		{apierror.InvalidSQL, `CREATE SHARED TABLE app.c (id INT PRIMARY KEY, s TEXT DEFAULT TRUE)`, `column "s" is of type text but default expression is of type boolean`},
	} {
		if ae := root.fails(c.code, c.sql); ae.Message != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.sql, ae.Message, c.want)
		}
	}
	if got := root.rows(`SELECT count(*) FROM system.tables WHERE namespace_id = 'app'`); got != `[[1]]` {
		t.Errorf("tables after the refusals: %s", got)
	}
}
