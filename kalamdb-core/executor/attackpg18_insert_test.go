package executor_test

import "testing"

// TestAttackpg18InsertSetOpsEqualZeros: INSERT ... SELECT keeps the sign
// of a float zero, but a DISTINCT, UNION, INTERSECT or EXCEPT under it
// must still take -0 and 0 for the same value, as PostgreSQL does (and
// as the same query does outside an INSERT): the projections under those
// operators kept -0, which the operators then told apart from 0, so
// UNION inserted two rows, INTERSECT none and EXCEPT one.
func TestAttackpg18InsertSetOpsEqualZeros(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.dst (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), tag TEXT, d DOUBLE PRECISION)")
	r.must("INSERT INTO app.dst (tag, d) SELECT 'union', '-0'::float8 UNION SELECT 'union', 0::float8")
	r.must("INSERT INTO app.dst (tag, d) SELECT 'intersect', '-0'::float8 INTERSECT SELECT 'intersect', 0::float8")
	r.must("INSERT INTO app.dst (tag, d) SELECT 'except', '-0'::float8 EXCEPT SELECT 'except', 0::float8")
	r.must("INSERT INTO app.dst (tag, d) SELECT DISTINCT 'distinct', x FROM (SELECT '-0'::float8 AS x UNION ALL SELECT 0::float8) s")
	r.must("INSERT INTO app.dst (tag, d) SELECT 'all', '-0'::float8 UNION ALL SELECT 'all', 0::float8")
	const want = `[["all",2],["distinct",1],["intersect",1],["union",1]]`
	if got := r.rows("SELECT tag, count(*) FROM app.dst GROUP BY tag ORDER BY tag"); got != want {
		t.Errorf("rows inserted per set operation: %s, want %s (as PostgreSQL)", got, want)
	}
	// UNION ALL keeps each row as it is, signs included.
	if got := r.rows("SELECT d::text FROM app.dst WHERE tag = 'all' ORDER BY d::text"); got != `[["-0"],["0"]]` {
		t.Errorf("UNION ALL: %s", got)
	}
}
