package executor_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestFloatInputRoundsOnce: REAL text input is rounded once to a REAL, as
// PostgreSQL's strtof does, so 3.4028235e38 (REAL's largest value as it
// prints) reads back, as a literal, a cast, a JSON number or text
// parameter, in INSERT, UPDATE, a comparison and INSERT ... SELECT of a
// DOUBLE. A value beyond the rounding boundary and a non-zero value that
// rounds to zero are out of range, for REAL and DOUBLE PRECISION, and
// change nothing. Expected answers are PostgreSQL 15's.
func TestFloatInputRoundsOnce(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app;
		CREATE TABLE app.fa (id BIGINT PRIMARY KEY, r REAL, d DOUBLE)`)
	alice := e.as("alice", systable.RoleUser)

	for q, want := range map[string]string{
		`SELECT '3.4028235e38'::real, '-3.4028235e38'::real, '3.40282356e38'::real, CAST('3.4028235e38' AS REAL)`: `[[3.4028235e+38,-3.4028235e+38,3.4028235e+38,3.4028235e+38]]`,
		`SELECT '7.1e-46'::real, '1e-45'::real, '0e-50'::real, '-0.0e-99'::real`:                                  `[[1e-45,1e-45,0,-0]]`,
		`SELECT 3.4028235e38::float8::real, 340282350000000000000000000000000000000::real, '1e-320'::float8`:      `[[3.4028235e+38,3.4028235e+38,1e-320]]`,
	} {
		if got := alice.rows(q); got != want {
			t.Errorf("%s: got %s, want %s", q, got, want)
		}
	}
	for q, msg := range map[string]string{
		`SELECT '3.4028236e38'::real`:                          `"3.4028236e38" is out of range for type real`,
		`SELECT '1e39'::real`:                                  `"1e39" is out of range for type real`,
		`SELECT '-3.5e38'::real`:                               `"-3.5e38" is out of range for type real`,
		`SELECT '1e-46'::real`:                                 `"1e-46" is out of range for type real`,
		`SELECT '7e-46'::real`:                                 `"7e-46" is out of range for type real`,
		`SELECT '-1e-46'::real`:                                `"-1e-46" is out of range for type real`,
		`SELECT '5e-324'::real`:                                `"5e-324" is out of range for type real`,
		`SELECT '1e-400'::float8`:                              `"1e-400" is out of range for type double precision`,
		`SELECT '1e400'::float8`:                               `"1e400" is out of range for type double precision`,
		`SELECT '3.4028236e38'::float8::real`:                  `value out of range: overflow`,
		`SELECT '1e-46'::float8::real`:                         `value out of range: underflow`,
		`SELECT 340282360000000000000000000000000000000::real`: `"340282360000000000000000000000000000000" is out of range for type real`,
		`SELECT '3e38'::real * '2'::real`:                      `value out of range: overflow`,
		`SELECT '1e-30'::real * '1e-30'::real`:                 `value out of range: underflow`,
	} {
		if ae := alice.fails(apierror.SQLExecutionError, q); !strings.Contains(ae.Message, msg) {
			t.Errorf("%s: %q, want %q", q, ae.Message, msg)
		}
	}

	alice.must(`INSERT INTO app.fa (id, r) VALUES (1, '3.4028235e38')`)
	alice.must(`INSERT INTO app.fa (id, r) VALUES (2, $1)`, json.Number("3.4028235e38"))
	alice.must(`INSERT INTO app.fa (id, r) VALUES (3, $1)`, "3.4028235e38")
	alice.must(`INSERT INTO app.fa (id, r) VALUES (4, 3.4028235e38), (5, '-3.4028235e38')`)
	alice.must(`INSERT INTO app.fa (id, r) VALUES (6, 0), (7, 0)`)
	alice.must(`UPDATE app.fa SET r = '3.4028235e38' WHERE id = 6`)
	alice.must(`UPDATE app.fa SET r = $1 WHERE id = 7`, json.Number("3.4028235e38"))
	alice.must(`INSERT INTO app.fa (id, d) VALUES (20, 3.4028235e38), (21, '1e-46'), (22, '3.4028236e38')`)
	alice.must(`INSERT INTO app.fa (id, r) SELECT 10, d FROM app.fa WHERE id = 20`)
	const rows = `[[1,3.4028235e+38],[2,3.4028235e+38],[3,3.4028235e+38],[4,3.4028235e+38],[5,-3.4028235e+38],[6,3.4028235e+38],[7,3.4028235e+38],[10,3.4028235e+38]]`
	if got := alice.rows(`SELECT id, r FROM app.fa WHERE r IS NOT NULL ORDER BY id`); got != rows {
		t.Fatalf("rows: %s, want %s", got, rows)
	}
	if got := idList(alice, `SELECT id FROM app.fa WHERE r = '3.4028235e38' ORDER BY id`); got != "1,2,3,4,6,7,10" {
		t.Errorf("r = '3.4028235e38': [%s]", got)
	}
	if got := idList(alice, `SELECT id FROM app.fa WHERE r = $1 ORDER BY id`, "3.4028235e38"); got != "1,2,3,4,6,7,10" {
		t.Errorf("r = $1: [%s]", got)
	}

	for _, c := range []struct {
		code   apierror.Code
		sql    string
		params []any
	}{
		{apierror.InvalidInput, `INSERT INTO app.fa (id, r) VALUES (30, '1e-46')`, nil},
		{apierror.InvalidInput, `INSERT INTO app.fa (id, r) VALUES (30, '3.4028236e38')`, nil},
		{apierror.InvalidInput, `INSERT INTO app.fa (id, r) VALUES (30, $1)`, []any{json.Number("3.4028236e38")}},
		{apierror.InvalidInput, `INSERT INTO app.fa (id, r) VALUES (30, $1)`, []any{"1e-46"}},
		{apierror.InvalidInput, `INSERT INTO app.fa (id, d) VALUES (30, '1e-400')`, nil},
		{apierror.InvalidInput, `UPDATE app.fa SET r = '1e-46' WHERE id = 1`, nil},
		{apierror.InvalidInput, `UPDATE app.fa SET r = $1 WHERE id = 1`, []any{json.Number("-3.5e38")}},
		{apierror.InvalidInput, `SELECT id FROM app.fa WHERE r = '5e-324'`, nil},
		// A computed value the column cannot hold is bad input, as for
		// every numeric column (the conformance corpus's ranges.slt).
		{apierror.InvalidInput, `INSERT INTO app.fa (id, r) SELECT 30, d FROM app.fa WHERE id = 21`, nil},
		{apierror.InvalidInput, `INSERT INTO app.fa (id, r) SELECT 30, d FROM app.fa WHERE id = 22`, nil},
		{apierror.InvalidInput, `UPDATE app.fa SET r = d WHERE id = 22`, nil},
		{apierror.SQLExecutionError, `SELECT d::real FROM app.fa WHERE id = 22`, nil},
	} {
		ae := alice.fails(c.code, c.sql, c.params...)
		if !strings.Contains(ae.Message, "out of range") {
			t.Errorf("%s %v: %q", c.sql, c.params, ae.Message)
		}
	}
	if got := alice.rows(`SELECT id, r FROM app.fa WHERE r IS NOT NULL ORDER BY id`); got != rows {
		t.Errorf("rows changed by refused statements: %s", got)
	}
}
