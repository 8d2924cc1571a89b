package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

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

// TestAttackpg18DistinctStoredZeros: a float -0 is stored as written, and
// DISTINCT, UNION, INTERSECT and EXCEPT over a column holding -0 and 0
// take them for one value, as PostgreSQL does (and as GROUP BY and
// count(DISTINCT) already did): SELECT DISTINCT d gave both.
func TestAttackpg18DistinctStoredZeros(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.a (id INT PRIMARY KEY, d DOUBLE PRECISION, f REAL)")
	r.must("CREATE SHARED TABLE app.b (id INT PRIMARY KEY, d DOUBLE PRECISION)")
	r.must("INSERT INTO app.a VALUES (1, '-0', '-0'), (2, 0, 0), (3, 5, 5)")
	r.must("INSERT INTO app.b VALUES (1, 0)")
	for q, want := range map[string]string{
		"SELECT count(*) FROM (SELECT DISTINCT d FROM app.a) s":                               `[[2]]`,
		"SELECT count(*) FROM (SELECT DISTINCT f FROM app.a) s":                               `[[2]]`,
		"SELECT count(*) FROM (SELECT d FROM app.a UNION SELECT d FROM app.b) s":              `[[2]]`,
		"SELECT count(*) FROM (SELECT d FROM app.a INTERSECT SELECT d FROM app.b) s":          `[[1]]`,
		"SELECT count(*) FROM (SELECT d FROM app.a EXCEPT SELECT d FROM app.b) s":             `[[1]]`,
		"SELECT count(*) FROM (SELECT d FROM app.a UNION ALL SELECT d FROM app.b) s":          `[[4]]`,
		"SELECT count(*) FROM (SELECT DISTINCT d FROM app.a WHERE id IN (1, 3) ORDER BY d) s": `[[2]]`,
	} {
		if got := r.rows(q); got != want {
			t.Errorf("%s: %s, want %s (as PostgreSQL)", q, got, want)
		}
	}
}

// TestAttackpg18DecimalOverflowFromFloat: a value too large for a DECIMAL
// column is INVALID_INPUT naming the column's type and bound
// (docs/sql.md), a double as well as a numeric or an integer, by INSERT
// and UPDATE; a double gave SQL_EXECUTION_ERROR.
func TestAttackpg18DecimalOverflowFromFloat(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.n (id INT PRIMARY KEY, s DECIMAL(5,2))")
	r.must("INSERT INTO app.n (id, s) VALUES (1, 1)")
	const msg = "numeric field overflow: a value of DECIMAL(5,2) must be less than 10^3 in absolute value"
	for _, q := range []string{
		"INSERT INTO app.n (id, s) VALUES (2, 999.995::float8)",
		"INSERT INTO app.n (id, s) VALUES (2, 999.995)",
		"INSERT INTO app.n (id, s) SELECT 2, 1e3::float8",
		"UPDATE app.n SET s = -1000::float8 WHERE id = 1",
	} {
		if ae := r.fails(apierror.InvalidInput, q); !strings.Contains(ae.Message, msg) {
			t.Errorf("%s: %q, want %q", q, ae.Message, msg)
		}
	}
	if got := r.rows("INSERT INTO app.n (id, s) VALUES (3, 999.994::float8) RETURNING s"); got != `[["999.99"]]` {
		t.Errorf("in range: %s", got)
	}
	if got := r.rows("SELECT id, s FROM app.n ORDER BY id"); got != `[[1,"1.00"],[3,"999.99"]]` {
		t.Errorf("rows after the refused writes: %s", got)
	}
}

// TestAttackpg18ValuesSubqueries: subqueries in an INSERT's VALUES. The
// engine evaluates a VALUES row against a row as wide as the tuple, which
// its subqueries' plans are built for; the signed projection of VALUES
// (insertzero.go) evaluated against no row, an internal error ("unable
// to find field with index 2 in row of 1 columns").
func TestAttackpg18ValuesSubqueries(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.s (id INT PRIMARY KEY, d DOUBLE PRECISION)")
	r.must("INSERT INTO app.s VALUES (1, -0.5), (2, 2.5)")
	r.must("CREATE SHARED TABLE app.d (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), k INT, d DOUBLE PRECISION)")
	if got := r.rows("INSERT INTO app.d (k, d) VALUES ((SELECT max(id) FROM app.s), (SELECT min(d) FROM app.s)) RETURNING k"); got != `[[2]]` {
		t.Errorf("RETURNING: %s", got)
	}
	r.must("INSERT INTO app.d (k, d) VALUES ((SELECT min(id) FROM app.s), 1), (3, (SELECT -d FROM app.s WHERE id = 2))")
	if got := r.rows("SELECT k, d FROM app.d WHERE k <> 2 ORDER BY k"); got != `[[1,1],[3,-2.5]]` {
		t.Errorf("rows: %s", got)
	}
}
