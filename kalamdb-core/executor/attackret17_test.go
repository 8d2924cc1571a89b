package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestAttackRet17RefusedWriteChangingNoRow: a role that may not write a
// SHARED table is refused a write ... RETURNING that changes no row, as
// it is refused the same write without RETURNING (editor.StatementComplete;
// PostgreSQL refuses it as it plans it). The engine reports that refusal
// when it closes the statement's iterator, which a RETURNING result has
// no accumulator to do for it: the refusal was dropped and the write
// answered success, with the unchanged rows of UPDATE SET v = v.
func TestAttackRet17RefusedWriteChangingNoRow(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.pub (id BIGINT PRIMARY KEY, v TEXT) WITH (ACCESS_LEVEL = 'PUBLIC')")
	r.must("INSERT INTO app.pub (id, v) VALUES (1, 'a')")
	r.must("CREATE USER 'u' WITH PASSWORD 'pw-u' ROLE user")
	u := e.user("u")
	for _, q := range []string{
		"UPDATE app.pub SET v = 'x' WHERE id = 99",
		"UPDATE app.pub SET v = v WHERE id = 1",
		"DELETE FROM app.pub WHERE id = 99",
		"INSERT INTO app.pub (id, v) SELECT id, v FROM app.pub WHERE false",
	} {
		u.fails(apierror.PermissionDenied, q)
		u.fails(apierror.PermissionDenied, q+" RETURNING *")
		u.fails(apierror.PermissionDenied, q+" RETURNING id")
	}
	if got := u.rows("SELECT id, v, _seq > 0 FROM app.pub"); got != `[[1,"a",true]]` {
		t.Fatalf("after refused writes: %s", got)
	}
}
