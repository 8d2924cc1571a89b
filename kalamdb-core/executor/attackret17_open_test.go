//go:build attackret17

package executor_test

import "testing"

// TestAttackRet17InsertNegativeZero (open, on main too): INSERT stores a
// float -0 as 0. PostgreSQL 15: INSERT INTO t (f) VALUES ('-0'::float8)
// RETURNING f::text gives -0, and so does SELECT f::text after. An UPDATE
// to -0 stores it (the editor keeps it); the INSERT path loses the sign
// before the editor, so RETURNING and SELECT agree on the wrong 0.
func TestAttackRet17InsertNegativeZero(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.z (id INT PRIMARY KEY, d DOUBLE PRECISION, r REAL)")
	if got := r.rows("INSERT INTO app.z (id, d, r) VALUES (1, '-0'::float8, '-0'::real) RETURNING d::text, r::text"); got != `[["-0","-0"]]` {
		t.Errorf("INSERT ... RETURNING gave %s", got)
	}
	r.must("INSERT INTO app.z (id, d) SELECT 2, '-0'::float8")
	if got := r.rows("SELECT id, d::text FROM app.z ORDER BY id"); got != `[[1,"-0"],[2,"-0"]]` {
		t.Errorf("SELECT after INSERT of -0: %s", got)
	}
}
