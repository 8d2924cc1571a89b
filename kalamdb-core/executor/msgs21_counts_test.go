package executor_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Messages that count things say "1 table", not "1 tables".
func TestMsgs21CountsInMessages(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	dir := filepath.Join(e.dir, "storages", "archive")
	root.must(fmt.Sprintf("CREATE STORAGE archive TYPE 'filesystem' PATH '%s'", dir))
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY) WITH (STORAGE_ID = 'archive')`)
	root.must(`CREATE VIEW app.v AS SELECT id FROM app.t`)
	for _, c := range []struct {
		code   apierror.Code
		sql    string
		params []any
		want   string
	}{
		{apierror.SQLExecutionError, `DROP NAMESPACE app`, nil, "namespace app is not empty (1 table, 1 view); use DROP NAMESPACE app CASCADE"},
		{apierror.SQLExecutionError, `DROP STORAGE archive`, nil, "storage archive is used by 1 table; drop or move them first"},
		{apierror.InvalidParameter, `SELECT $1::int`, []any{1, 2}, "statement has 1 parameter but 2 values were given"},
		{apierror.InvalidParameter, `SELECT $1::int + $2`, []any{1}, "statement has 2 parameters but 1 value was given"},
		{apierror.InvalidSQL, `CREATE SHARED TABLE app.u (id INT PRIMARY KEY, s VARCHAR(1, 2))`, nil, "type VARCHAR takes at most 1 parameter"},
	} {
		if ae := root.fails(c.code, c.sql, c.params...); ae.Message != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.sql, ae.Message, c.want)
		}
	}
}

// CREATE VIEW's column list may be shorter than its query's columns, as
// in PostgreSQL: the columns past it keep the query's names. A longer
// list is PostgreSQL's error (it was "view v names 2 columns but its
// query returns 1", refusing the shorter lists too).
func TestMsgs21ViewColumnListShorterThanTheQuery(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.t (id INT PRIMARY KEY, n INT, s TEXT)`)
	root.must(`INSERT INTO app.t VALUES (1, 10, 'a')`)
	root.must(`CREATE VIEW app.v (key) AS SELECT id, n, s FROM app.t`)
	if got := root.rows(`SELECT key, n, s FROM app.v`); got != `[[1,10,"a"]]` {
		t.Errorf("view: %s", got)
	}
	if got := root.rows(`SELECT * FROM app.v`); got != `[[1,10,"a"]]` {
		t.Errorf("view's *: %s", got)
	}
	if got := root.rows(`DESCRIBE TABLE app.v`); !strings.HasPrefix(got, `[["key",`) || !strings.Contains(got, `["n",`) || !strings.Contains(got, `["s",`) {
		t.Errorf("DESCRIBE: %s", got)
	}
	if ae := root.fails(apierror.InvalidSQL, `CREATE VIEW app.w (a, b) AS SELECT id FROM app.t`); ae.Message != "CREATE VIEW specifies more column names than columns" {
		t.Errorf("longer list: %q", ae.Message)
	}
	if ae := root.fails(apierror.InvalidSQL, `CREATE VIEW app.w (n) AS SELECT id, n FROM app.t`); ae.Message != `column "n" specified more than once` {
		t.Errorf("a name taken twice: %q", ae.Message)
	}
}
