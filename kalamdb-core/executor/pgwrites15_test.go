package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestVarcharDropsExcessSpaces: a text longer than VARCHAR(n) whose
// characters past the n-th are all spaces is stored cut to n, as
// PostgreSQL (and the SQL standard) stores it; anything else past n is
// refused. Literals, parameters, UPDATE and the fast path alike.
func TestVarcharDropsExcessSpaces(t *testing.T) {
	root := newEnv(t).root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.v (id BIGINT PRIMARY KEY, v VARCHAR(3))`)
	root.must("INSERT INTO app.v VALUES (1, 'abc   ')")
	root.must("INSERT INTO app.v VALUES ($1, $2)", 2, "ab    ")
	root.must("INSERT INTO app.v (id, v) VALUES ($1, $2)", 3, "é😀x ")
	root.must("INSERT INTO app.v VALUES (4, 'x')")
	root.must("UPDATE app.v SET v = v || '   ' WHERE id = 4")
	if got := root.rows("SELECT id, v, length(v) FROM app.v ORDER BY id"); got != `[[1,"abc",3],[2,"ab ",3],[3,"é😀x",3],[4,"x  ",3]]` {
		t.Errorf("rows: %s", got)
	}
	for _, bad := range []string{"INSERT INTO app.v VALUES (5, 'abc  x')", "INSERT INTO app.v VALUES (5, 'abcd')", "UPDATE app.v SET v = 'abc d' WHERE id = 1"} {
		root.fails(apierror.InvalidInput, bad)
	}
	root.fails(apierror.InvalidInput, "INSERT INTO app.v VALUES ($1, $2)", 5, "abc\t")
	if got := root.rows("SELECT count(*) FROM app.v"); got != `[[4]]` {
		t.Errorf("a refused write changed the table: %s", got)
	}
}

// TestWindowOverGroupsIsUnsupported: the engine cannot run a window
// function over a grouped query's rows; it is refused as UNSUPPORTED with
// the way to write it (it was INVALID_SQL in MySQL's words, with its
// format's arguments missing), and the way it suggests works.
func TestWindowOverGroupsIsUnsupported(t *testing.T) {
	root := newEnv(t).root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.g (id BIGINT PRIMARY KEY, ok BOOLEAN);
		INSERT INTO app.g VALUES (1, true), (2, false), (3, true)`)
	for _, q := range []string{
		"SELECT ok, count(*), row_number() OVER (ORDER BY ok) FROM app.g GROUP BY ok",
		"SELECT count(*), rank() OVER (ORDER BY count(*)) FROM app.g",
	} {
		err := root.fails(apierror.Unsupported, q)
		if !strings.Contains(err.Message, "subquery") || strings.Contains(err.Message, "%!") {
			t.Errorf("%s: %q", q, err.Message)
		}
	}
	if got := root.rows("SELECT ok, n, row_number() OVER (ORDER BY ok) FROM (SELECT ok, count(*) AS n FROM app.g GROUP BY ok) AS g ORDER BY ok"); got != `[[false,1,1],[true,2,2]]` {
		t.Errorf("the suggested form: %s", got)
	}
}
