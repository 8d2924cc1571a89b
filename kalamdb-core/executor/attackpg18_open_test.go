//go:build attackpg18

package executor_test

import "testing"

// TestAttackpg18ValuesAggregateSubquery (open, as on main): an aggregate
// subquery over a float column in an INSERT's VALUES inserts NULL, where
// PostgreSQL inserts its value (-0.5 here); (SELECT -d ... WHERE id = 2)
// without an aggregate is right. Silent wrong data.
func TestAttackpg18ValuesAggregateSubquery(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.s (id INT PRIMARY KEY, v DOUBLE PRECISION)")
	r.must("INSERT INTO app.s VALUES (1, -0.5), (2, 2.5)")
	r.must("CREATE SHARED TABLE app.d (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), k INT, d DOUBLE PRECISION)")
	if got := r.rows("INSERT INTO app.d (k, d) VALUES (7, (SELECT min(v) FROM app.s)) RETURNING k, d"); got != `[[7,-0.5]]` {
		t.Errorf("VALUES (7, (SELECT min(v) FROM app.s)) inserted %s, want [[7,-0.5]] (PostgreSQL)", got)
	}
}
