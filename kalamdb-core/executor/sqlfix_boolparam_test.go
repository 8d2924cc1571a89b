package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// A JSON true/false parameter is a BOOLEAN, and PostgreSQL has no
// bigint = boolean operator: comparing one with an integer column is
// INVALID_SQL and changes nothing. The engine's planner had turned it into
// the integer 1 or 0 first, so DELETE ... WHERE id = $1 with true deleted
// row 1. Booleans meeting BOOLEAN columns still work, through an index
// too.
func TestBooleanParamAgainstIntegers(t *testing.T) {
	for _, slow := range []bool{false, true} {
		e := newEnvWith(t, slow)
		root := e.root()
		root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.bp (id BIGINT PRIMARY KEY, b BIGINT, ok BOOLEAN);
			INSERT INTO app.bp VALUES (0, 5, false), (1, 0, true), (2, 1, NULL)`)
		createIndex(t, e, "CREATE INDEX bp_ok ON app.bp (ok)")
		for _, c := range []struct {
			sql   string
			param bool
		}{
			{"SELECT id FROM app.bp WHERE id = $1", true},
			{"SELECT id FROM app.bp WHERE id = $1", false},
			{"SELECT id FROM app.bp WHERE $1 = id", true},
			{"SELECT id FROM app.bp WHERE id > $1 ORDER BY id", true},
			{"SELECT id FROM app.bp WHERE b = $1 ORDER BY id", false},
			{"SELECT id FROM app.bp WHERE b = $1 ORDER BY id", true},
			{"SELECT id FROM app.bp WHERE b BETWEEN $1 AND 3 ORDER BY id", true},
			{"SELECT id FROM app.bp WHERE id IN (SELECT id FROM app.bp WHERE b = $1)", true},
			{"DELETE FROM app.bp WHERE id = $1", true},
			{"UPDATE app.bp SET b = 9 WHERE b = $1", false},
		} {
			ae := root.fails(apierror.InvalidSQL, c.sql, c.param)
			if m := ae.Message; m != "operator does not exist: BIGINT = BOOLEAN" && m != "operator does not exist: BOOLEAN = BIGINT" {
				t.Errorf("%s with %v: %q", c.sql, c.param, ae.Message)
			}
		}
		if got := root.rows("SELECT id, b, ok FROM app.bp ORDER BY id"); got != `[[0,5,false],[1,0,true],[2,1,null]]` {
			t.Errorf("rows after refused writes: %s", got)
		}
		// A boolean parameter where a boolean belongs.
		checkCases(t, root, "boolean", []cmpCase{
			{"SELECT id FROM app.bp WHERE ok = $1", `[[1]]`},
			{"SELECT id FROM app.bp WHERE ok IS DISTINCT FROM $1 ORDER BY id", `[[0],[2]]`},
			{"SELECT id FROM app.bp WHERE ok IN ($1) ORDER BY id", `[[1]]`},
			{"SELECT $1, NOT $1, coalesce(ok, $1) FROM app.bp WHERE id = 2", `[[true,false,true]]`},
			{"SELECT id FROM app.bp WHERE id IN (SELECT id FROM app.bp WHERE ok = $1)", `[[1]]`},
		}, true)
		root.must("INSERT INTO app.bp VALUES (3, 7, $1)", true)
		root.must("INSERT INTO app.bp (id, ok) SELECT 4, $1", false)
		root.must("UPDATE app.bp SET ok = $1 WHERE id = 2", false)
		if got := root.rows("SELECT id, ok FROM app.bp WHERE id >= 2 ORDER BY id"); got != `[[2,false],[3,true],[4,false]]` {
			t.Errorf("rows written with boolean parameters: %s", got)
		}
	}
}
