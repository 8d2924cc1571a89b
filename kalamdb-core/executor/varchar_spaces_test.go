package executor_test

import (
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
