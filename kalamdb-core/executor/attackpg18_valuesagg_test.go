package executor_test

import "testing"

// TestAttackpg18ValuesAggregateSubquery: a min or max subquery in an
// INSERT's VALUES inserted NULL, where PostgreSQL inserts its value
// (-0.5 here). KalamDB replaces the engine's min and max by its own
// aggregate after planning, and the engine finds the grouping's column
// by name in a VALUES tuple's scope: under the new name the projection
// read the tuple's NULL. count, sum, avg and a subquery without an
// aggregate were right. Silent wrong data.
func TestAttackpg18ValuesAggregateSubquery(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.s (id INT PRIMARY KEY, v DOUBLE PRECISION)")
	r.must("INSERT INTO app.s VALUES (1, -0.5), (2, 2.5)")
	r.must("CREATE SHARED TABLE app.d (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), k INT, d DOUBLE PRECISION)")
	for _, c := range []struct {
		sql    string
		params []any
		want   string
	}{
		{sql: "INSERT INTO app.d (k, d) VALUES (7, (SELECT min(v) FROM app.s)) RETURNING k, d", want: `[[7,-0.5]]`},
		{sql: "INSERT INTO app.d (d) VALUES ((SELECT max(v) FROM app.s)) RETURNING k, d", want: `[[null,2.5]]`},
		{sql: "INSERT INTO app.d (k, d) VALUES (9, (SELECT max(v) FROM app.s)), (10, (SELECT count(*) FROM app.s)), (11, (SELECT sum(v) FROM app.s)) RETURNING k, d", want: `[[9,2.5],[10,2],[11,2]]`},
		{sql: "INSERT INTO app.d (k, d) VALUES ($1, (SELECT min(v) FROM app.s WHERE id >= $2)) RETURNING k, d", params: []any{12, 1}, want: `[[12,-0.5]]`},
		// KalamDB's min and max of a grouping by keys (any type).
		{sql: "INSERT INTO app.d (k, d) VALUES (13, (SELECT max(id) FROM app.s GROUP BY v ORDER BY 1 DESC LIMIT 1)) RETURNING k, d", want: `[[13,2]]`},
		{sql: "INSERT INTO app.d (k, d) VALUES (14, (SELECT min(v) FROM app.s HAVING min(v) < 0)) RETURNING k, d", want: `[[14,-0.5]]`},
		// ... and of text: min('-0.5', '2.5') is '-0.5'.
		{sql: "INSERT INTO app.d (k, d) VALUES (15, (SELECT length(min(v::text)) FROM app.s)) RETURNING k, d", want: `[[15,4]]`},
		{sql: "INSERT INTO app.d (k, d) SELECT 16, (SELECT max(v) FROM app.s) RETURNING k, d", want: `[[16,2.5]]`},
	} {
		if got := r.rows(c.sql, c.params...); got != c.want {
			t.Errorf("%s inserted %s, want %s (PostgreSQL)", c.sql, got, c.want)
		}
	}
	// Without RETURNING, the stored row.
	r.must("INSERT INTO app.d (k, d) VALUES (17, (SELECT min(v) FROM app.s))")
	if got := r.rows("SELECT d FROM app.d WHERE k = 17"); got != `[[-0.5]]` {
		t.Errorf("VALUES (17, (SELECT min(v) FROM app.s)) stored %s, want [[-0.5]]", got)
	}
}
