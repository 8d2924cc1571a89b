package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestInsertKeepsNegativeZero: INSERT stores a float -0 as PostgreSQL
// does (INSERT INTO t (f) VALUES ('-0'::float8) RETURNING f::text gives
// -0, and so does SELECT f::text after), by VALUES, INSERT ... SELECT,
// a parameter and a batch, hot and after a flush. The engine's
// projections turn -0 into 0 (MySQL's display rule), and INSERT's values
// pass through one.
func TestInsertKeepsNegativeZero(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.z (id INT PRIMARY KEY, d DOUBLE PRECISION, r REAL)")
	if got := r.rows("INSERT INTO app.z (id, d, r) VALUES (1, '-0'::float8, '-0'::real) RETURNING d::text, r::text"); got != `[["-0","-0"]]` {
		t.Errorf("INSERT ... RETURNING gave %s", got)
	}
	r.must("INSERT INTO app.z (id, d) SELECT 2, '-0'::float8")
	// A JSON number -0 is the integer 0, as the literal -0 is in
	// PostgreSQL; text is read as the column's type.
	r.must("INSERT INTO app.z (id, d, r) VALUES ($1, $2, $3)", 3, "-0", "-0")
	r.must("INSERT INTO app.z (id, d, r) VALUES (4, -0.0::float8, 0), (5, 0, '-0'), (6, '-0', -(0::real))")
	r.must("INSERT INTO app.z (id, d, r) SELECT id + 10, d, r FROM app.z WHERE id <= 2")
	const want = `[[1,"-0","-0"],[2,"-0",null],[3,"-0","-0"],[4,"-0","0"],[5,"0","-0"],[6,"-0","-0"],[11,"-0","-0"],[12,"-0",null]]`
	if got := r.rows("SELECT id, d::text, r::text FROM app.z ORDER BY id"); got != want {
		t.Errorf("hot, after INSERT of -0: %s", got)
	}
	flushTable(t, e, "app.z")
	if got := r.rows("SELECT id, d::text, r::text FROM app.z ORDER BY id"); got != want {
		t.Errorf("cold, after INSERT of -0: %s", got)
	}
}

// TestRealHoldsInfinities: a REAL column stores ±Infinity and NaN, as
// PostgreSQL's real does ('Infinity', 'inf', any case), by INSERT
// (literal, cast, parameter, a double infinity) and UPDATE, hot and after
// a flush; a finite value past REAL's range still fails with
// PostgreSQL's messages and writes nothing. The engine's REAL conversion
// took an infinity for an out-of-range value.
func TestRealHoldsInfinities(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.ri (id INT PRIMARY KEY, r REAL)")
	r.must("INSERT INTO app.ri (id, r) VALUES (1, 'Infinity'), (2, '-Infinity'), (3, 'NaN'), (4, 'inf'), (5, '-INF')")
	r.must("INSERT INTO app.ri (id, r) VALUES (6, 'infinity'::real), (7, '-Infinity'::float8), (8, 0), (9, 0)")
	r.must("INSERT INTO app.ri (id, r) VALUES ($1, $2)", 10, "Infinity")
	r.must("INSERT INTO app.ri (id, r) SELECT 11, '-inf'::real")
	if got := r.rows("INSERT INTO app.ri (id, r) VALUES (12, 'Infinity') RETURNING r::text"); got != `[["Infinity"]]` {
		t.Errorf("INSERT ... RETURNING: %s", got)
	}
	if got := r.rows("UPDATE app.ri SET r = '-Infinity' WHERE id = 8 RETURNING r::text"); got != `[["-Infinity"]]` {
		t.Errorf("UPDATE ... RETURNING: %s", got)
	}
	r.must("UPDATE app.ri SET r = 'Infinity'::float8 WHERE id = 9")
	for q, msg := range map[string]string{
		"INSERT INTO app.ri (id, r) VALUES (20, '1e39')":          `"1e39" is out of range for type real`,
		"INSERT INTO app.ri (id, r) VALUES (20, '1e39'::float8)":  "value out of range: overflow",
		"INSERT INTO app.ri (id, r) VALUES (20, 1e39)":            `"1000000000000000000000000000000000000000" is out of range for type real`,
		"UPDATE app.ri SET r = '-3.5e38' WHERE id = 1":            `"-3.5e38" is out of range for type real`,
		"UPDATE app.ri SET r = '3.5e38'::float8 WHERE id = 1":     "value out of range: overflow",
		"INSERT INTO app.ri (id, r) VALUES (20, '1e-46'::float8)": "value out of range: underflow",
	} {
		if ae := r.fails(apierror.InvalidInput, q); !strings.Contains(ae.Message, msg) {
			t.Errorf("%s: %q, want %q", q, ae.Message, msg)
		}
	}
	const want = `[[1,"Infinity"],[2,"-Infinity"],[3,"NaN"],[4,"Infinity"],[5,"-Infinity"],[6,"Infinity"],[7,"-Infinity"],[8,"-Infinity"],[9,"Infinity"],[10,"Infinity"],[11,"-Infinity"],[12,"Infinity"]]`
	if got := r.rows("SELECT id, r::text FROM app.ri ORDER BY id"); got != want {
		t.Errorf("hot: %s", got)
	}
	flushTable(t, e, "app.ri")
	if got := r.rows("SELECT id, r::text FROM app.ri ORDER BY id"); got != want {
		t.Errorf("cold: %s", got)
	}
	if got := r.rows("SELECT count(*) FROM app.ri WHERE r = 'Infinity'::real"); got != `[[6]]` {
		t.Errorf("r = Infinity: %s", got)
	}
}

// TestSeriesArgumentsCorrelatedUnqualified: a subquery in the arguments
// of a function in FROM may name a column of the query around it without
// a qualifier, beside tables of its own; the front end cannot tell it
// from theirs without schemas. Inside EXISTS the engine evaluated the
// argument against the wrong row and failed with an internal error
// ("unable to find field with index 1 in row of 1 columns"). It is
// UNSUPPORTED, naming the way out, as the qualified shape is; the way
// out gives PostgreSQL's answer.
func TestSeriesArgumentsCorrelatedUnqualified(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE app; CREATE SHARED TABLE app.pub (id BIGINT PRIMARY KEY) WITH (ACCESS_LEVEL = 'PUBLIC'); INSERT INTO app.pub VALUES (1), (3)")
	alice := e.as("alice", systable.RoleUser)
	for _, q := range []string{
		"SELECT a.x FROM generate_series(1, 4) a(x) WHERE EXISTS (SELECT 1 FROM generate_series(1, (SELECT count(*) FROM app.pub WHERE id <= x)) g WHERE g = 2) ORDER BY 1",
		"SELECT a.x, (SELECT count(*) FROM generate_series(1, (SELECT count(*) FROM app.pub WHERE id <= x)) g) FROM generate_series(1, 4) a(x) ORDER BY 1",
		"SELECT a.x FROM generate_series(1, 4) a(x) WHERE EXISTS (SELECT 1 FROM unnest(ARRAY[(SELECT count(*) FROM app.pub WHERE id <= x)]) u WHERE u = 2)",
	} {
		if ae := alice.fails(apierror.Unsupported, q); !strings.Contains(ae.Message, "filter the series in WHERE") {
			t.Errorf("%.60s: %q does not name the way out", q, ae.Message)
		}
	}
	// The way out, and a subquery of its own, still run.
	const wayOut = "SELECT a.x FROM generate_series(1, 4) a(x) WHERE EXISTS (SELECT 1 FROM generate_series(1, 100) g WHERE g <= (SELECT count(*) FROM app.pub WHERE id <= a.x) AND g = 2) ORDER BY 1"
	if got := alice.rows(wayOut); got != `[[3],[4]]` { // PostgreSQL 15
		t.Errorf("the way out: %s", got)
	}
	if got := alice.rows("SELECT count(*) FROM generate_series(1, (SELECT count(*) FROM app.pub WHERE id <= 3)) g"); got != `[[2]]` {
		t.Errorf("an uncorrelated subquery argument: %s", got)
	}
}

// TestNumericPrecisionLimitIsNamed: NUMERIC and DECIMAL without a
// precision are DECIMAL(38,10) (KalamDB's Decimal128; PostgreSQL's numeric
// is unconstrained), so repeat('9', 40)::numeric fails, and the error
// names the bound and the type a plain NUMERIC is; a 40-digit value
// written into a DECIMAL column named it neither ("numeric field
// overflow"). Computed numerics stay unconstrained.
func TestNumericPrecisionLimitIsNamed(t *testing.T) {
	e := newEnv(t)
	r := e.root()
	r.must("CREATE NAMESPACE app")
	r.must("CREATE SHARED TABLE app.dn (id INT PRIMARY KEY, d DECIMAL, s DECIMAL(5,2))")
	forty := "9999999999999999999999999999999999999999"
	const hint = "NUMERIC and DECIMAL without a precision are DECIMAL(38,10) here; 38 digits is the most a DECIMAL holds"
	for _, c := range []struct {
		code apierror.Code
		q    string
		want string
	}{
		{apierror.SQLExecutionError, "SELECT repeat('9', 40)::numeric", "must be less than 10^28 in absolute value (" + hint},
		{apierror.InvalidInput, "INSERT INTO app.dn (id, d) VALUES (1, " + forty + ")", "DECIMAL(38,10) must be less than 10^28"},
		{apierror.InvalidInput, "INSERT INTO app.dn (id, d) VALUES (1, '" + forty + "')", "DECIMAL(38,10) must be less than 10^28"},
		{apierror.InvalidInput, "INSERT INTO app.dn (id, s) VALUES (1, 1000)", "DECIMAL(5,2) must be less than 10^3"},
		{apierror.InvalidInput, "INSERT INTO app.dn (id, s) SELECT 1, 999.999", "DECIMAL(5,2) must be less than 10^3"},
		{apierror.InvalidSQL, "CREATE SHARED TABLE app.d40 (id INT PRIMARY KEY, d DECIMAL(40,0))", "DECIMAL precision must be between 1 and 38, got 40"},
	} {
		if ae := r.fails(c.code, c.q); !strings.Contains(ae.Message, c.want) {
			t.Errorf("%.70s: %q, want %q", c.q, ae.Message, c.want)
		}
	}
	r.must("INSERT INTO app.dn (id, d, s) VALUES (1, 1.5, 999.994), (2, 0.00000000005, -999.994)")
	r.fails(apierror.InvalidInput, "UPDATE app.dn SET s = s * 10 WHERE id = 1")
	if got := r.rows("SELECT id, d, s FROM app.dn ORDER BY id"); got != `[[1,"1.5000000000","999.99"],[2,"0.0000000001","-999.99"]]` {
		t.Errorf("rounded to the columns' scales: %s", got)
	}
	if got := r.rows("SELECT " + forty + " + 1"); got != `[["10000000000000000000000000000000000000000"]]` {
		t.Errorf("a computed numeric: %s", got)
	}
}
