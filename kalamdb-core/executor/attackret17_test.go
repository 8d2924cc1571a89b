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

// TestAttackRet17UpdateToNegativeZero: an UPDATE that changes a float
// from 0 to -0 writes it (PostgreSQL 15: UPDATE t SET f = '-0'::float8
// RETURNING f::text gives -0, and so does SELECT f::text after). The
// engine writes only rows whose new values differ from the old, and -0
// equals 0: the row was not written, SELECT read 0 while RETURNING
// answered -0.
func TestAttackRet17UpdateToNegativeZero(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.f (id INT PRIMARY KEY, d DOUBLE PRECISION, r REAL)")
	r.must("INSERT INTO app.f (id, d, r) VALUES (1, 0, 0), (2, 0, 0)")
	if got := r.rows("UPDATE app.f SET d = '-0'::float8, r = '-0'::real WHERE id = 1 RETURNING d::text, r::text"); got != `[["-0","-0"]]` {
		t.Fatalf("UPDATE ... RETURNING gave %s", got)
	}
	r.must("UPDATE app.f SET d = '-0'::float8 WHERE id = 2")
	if got := r.rows("SELECT id, d::text, r::text FROM app.f ORDER BY id"); got != `[[1,"-0","-0"],[2,"-0","0"]]` {
		t.Fatalf("after UPDATE to -0: %s", got)
	}
	// Back to 0 is a change too (a new version); 0 to 0 is none.
	before := r.rows("SELECT _seq FROM app.f WHERE id = 1")
	r.must("UPDATE app.f SET d = 0 WHERE id = 1")
	after := r.rows("SELECT _seq FROM app.f WHERE id = 1")
	if before == after || r.rows("SELECT d::text FROM app.f WHERE id = 1") != `[["0"]]` {
		t.Fatalf("UPDATE back to 0: _seq %s then %s", before, after)
	}
	r.must("UPDATE app.f SET d = 0 WHERE id = 1")
	if again := r.rows("SELECT _seq FROM app.f WHERE id = 1"); again != after {
		t.Fatalf("UPDATE 0 to 0 wrote a version: _seq %s then %s", after, again)
	}
}

// TestAttackRet17FailedWriteReturnsAndPublishesNothing: a write ...
// RETURNING that fails after some of its rows (a unique violation at the
// third row of five, a RETURNING expression failing at the third row, a
// later statement of a transaction failing) changes nothing and live
// subscribers get nothing. PostgreSQL 15 fails each of these whole.
func TestAttackRet17FailedWriteReturnsAndPublishesNothing(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.t (id INT PRIMARY KEY, v INT)")
	r.must("INSERT INTO app.t (id, v) VALUES (1, 1), (2, 2), (3, 3), (4, 4), (5, 5)")
	e.changes.reset()
	r.fails(apierror.InvalidInput, "INSERT INTO app.t (id, v) VALUES (6, 6), (7, 7), (3, 3), (8, 8), (9, 9) RETURNING id")
	r.fails(apierror.SQLExecutionError, "UPDATE app.t SET v = v + 10 RETURNING id, 1 / (v - 13)")
	r.fails(apierror.SQLExecutionError, "DELETE FROM app.t RETURNING 10 / (id - 3)")
	r.fails(apierror.SQLExecutionError, "INSERT INTO app.t (id, v) SELECT id + 10, v FROM app.t RETURNING 1 / (v - 3)")
	r.fails(apierror.InvalidInput, "BEGIN; INSERT INTO app.t (id, v) VALUES (6, 6) RETURNING id; "+
		"UPDATE app.t SET v = 0 WHERE id = 1 RETURNING v; DELETE FROM app.t WHERE id = 2 RETURNING id; "+
		"INSERT INTO app.t (id, v) VALUES (5, 5) RETURNING id; COMMIT")
	if got := e.changes.summary(); len(got) != 0 {
		t.Fatalf("failed writes published %v", got)
	}
	if got := r.rows("SELECT id, v FROM app.t ORDER BY id"); got != `[[1,1],[2,2],[3,3],[4,4],[5,5]]` {
		t.Fatalf("after failed writes: %s", got)
	}
}
