package executor_test

import (
	"encoding/json"
	"testing"
)

// cmpCase is one statement and PostgreSQL 15's rows for it.
type cmpCase struct{ sql, want string }

// checkCases runs every case and reports each wrong answer.
func checkCases(t *testing.T, c *caller, phase string, cases []cmpCase, params ...any) {
	t.Helper()
	for _, k := range cases {
		if got := c.rows(k.sql, params...); got != k.want {
			t.Errorf("%s: %s: got %s, want %s", phase, k.sql, got, k.want)
		}
	}
}

// A DECIMAL(10,2) compared with a value of a larger scale compares the
// exact values, as in PostgreSQL: the engine converted both operands to
// the left operand's DECIMAL(p,s), so 1.25 "equalled" 1.251 and an UPDATE
// naming a value the column does not hold changed a row. Hot and cold,
// with the fast path and the plan cache and without. (DECIMAL columns are
// neither indexed nor primary keys: no lookup builds a range from them.)
func TestDecimalComparisonKeepsBothScales(t *testing.T) {
	for _, slow := range []bool{false, true} {
		{
			e := newEnvWith(t, slow)
			root := e.root()
			root.must(`CREATE NAMESPACE app;
				CREATE SHARED TABLE app.m (id BIGINT PRIMARY KEY, d2 DECIMAL(10,2), d3 DECIMAL(10,3), note TEXT);
				INSERT INTO app.m VALUES (1, 1.25, 1.251, 'keep'), (2, 2.00, 2.000, 'keep'), (3, 3.00, 2.999, 'keep'), (4, 9.99, 9.990, 'keep')`)
			cases := []cmpCase{
				{"SELECT id FROM app.m WHERE d2 = 1.251", `[]`},
				{"SELECT id FROM app.m WHERE d2 = 1.249", `[]`},
				{"SELECT id FROM app.m WHERE 1.251 = d2", `[]`},
				{"SELECT id FROM app.m WHERE d2 = '1.251'", `[]`},
				{"SELECT id FROM app.m WHERE d2 = CAST(1.251 AS DECIMAL(10,3))", `[]`},
				{"SELECT id FROM app.m WHERE d2 <> 1.251 ORDER BY id", `[[1],[2],[3],[4]]`},
				{"SELECT id FROM app.m WHERE d2 >= 1.251 ORDER BY id", `[[2],[3],[4]]`},
				{"SELECT id FROM app.m WHERE d2 > 1.249 AND d2 < 1.2501", `[[1]]`},
				{"SELECT id FROM app.m WHERE d2 <= 1.251 ORDER BY id", `[[1]]`},
				{"SELECT id FROM app.m WHERE d2 < 1.251 ORDER BY id", `[[1]]`},
				{"SELECT id FROM app.m WHERE d2 > 1.249 ORDER BY id", `[[1],[2],[3],[4]]`},
				{"SELECT id FROM app.m WHERE 1.251 < d2 ORDER BY id", `[[2],[3],[4]]`},
				{"SELECT id FROM app.m WHERE d2 BETWEEN 1.2501 AND 1.9 ORDER BY id", `[]`},
				{"SELECT id FROM app.m WHERE d2 BETWEEN 1.2499 AND 2.0001 ORDER BY id", `[[1],[2]]`},
				{"SELECT id FROM app.m WHERE d2 IN (1.251, 2.001) ORDER BY id", `[]`},
				{"SELECT id FROM app.m WHERE d2 IN (1.251, 2.000) ORDER BY id", `[[2]]`},
				{"SELECT id FROM app.m WHERE d2 NOT IN (1.251, 2.001) ORDER BY id", `[[1],[2],[3],[4]]`},
				{"SELECT id FROM app.m WHERE d2 < 99999999.995 ORDER BY id", `[[1],[2],[3],[4]]`},
				{"SELECT id FROM app.m WHERE d2 > -99999999.995 ORDER BY id", `[[1],[2],[3],[4]]`},
				{"SELECT id FROM app.m WHERE d2 > 99999999.995 ORDER BY id", `[]`},
				{"SELECT id FROM app.m WHERE d2 = 1e20 ORDER BY id", `[]`},
				{"SELECT id FROM app.m WHERE d2 < 1e20 ORDER BY id", `[[1],[2],[3],[4]]`},
				{"SELECT id, d2 = 1.251, d2 IS DISTINCT FROM 1.251 FROM app.m WHERE id = 1", `[[1,false,true]]`},
				{"SELECT CAST(1.25 AS DECIMAL(10,2)) = CAST(1.251 AS DECIMAL(10,3))", `[[false]]`},
				{"SELECT CAST(1.25 AS DECIMAL(10,2)) < CAST(1.251 AS DECIMAL(10,3))", `[[true]]`},
				{"SELECT id FROM app.m WHERE d2 = d3 ORDER BY id", `[[2],[4]]`},
				{"SELECT id FROM app.m WHERE d3 = d2 ORDER BY id", `[[2],[4]]`},
				{"SELECT id FROM app.m WHERE d2 < d3 ORDER BY id", `[[1]]`},
				{"SELECT id FROM app.m WHERE d2 > d3 ORDER BY id", `[[3]]`},
				{"SELECT id FROM app.m WHERE d2 BETWEEN d3 AND d3 ORDER BY id", `[[2],[4]]`},
				{"SELECT id FROM app.m WHERE d3 IN (d2, 0) ORDER BY id", `[[2],[4]]`},
				{"SELECT id FROM app.m WHERE d3 NOT IN (d2, 0) ORDER BY id", `[[1],[3]]`},
				{"SELECT id FROM app.m WHERE d2 IN (d3, 0) ORDER BY id", `[[2],[4]]`},
				{"SELECT id FROM app.m WHERE d2 IN (SELECT d3 FROM app.m) ORDER BY id", `[[2],[4]]`},
				{"SELECT a.id, b.id FROM app.m a JOIN app.m b ON a.d2 = b.d3 ORDER BY 1, 2", `[[2,2],[4,4]]`},
				{"SELECT a.id, b.id FROM app.m a JOIN app.m b ON b.d3 = a.d2 ORDER BY 1, 2", `[[2,2],[4,4]]`},
			}
			name := "fast"
			if slow {
				name = "slow"
			}
			checkCases(t, root, name+"/hot", cases)
			// A parameter is a numeric without a scale: no rounding.
			checkCases(t, root, name+"/param", []cmpCase{{"SELECT id FROM app.m WHERE d2 = $1", `[]`}}, json.Number("1.251"))
			checkCases(t, root, name+"/text param", []cmpCase{{"SELECT id FROM app.m WHERE d2 = $1", `[]`}}, "1.251")
			flushTable(t, e, "app.m")
			checkCases(t, root, name+"/cold", cases)

			// PostgreSQL matches no row: nothing may change.
			if r := root.must("UPDATE app.m SET note = 'hit' WHERE d2 = 1.251"); r[0].RowCount != 0 {
				t.Errorf("%s: UPDATE ... WHERE d2 = 1.251 changed %d rows", name, r[0].RowCount)
			}
			if r := root.must("DELETE FROM app.m WHERE d2 = 9.994"); r[0].RowCount != 0 {
				t.Errorf("%s: DELETE ... WHERE d2 = 9.994 deleted %d rows", name, r[0].RowCount)
			}
			if r := root.must("DELETE FROM app.m WHERE d2 = d3 AND id = 3"); r[0].RowCount != 0 {
				t.Errorf("%s: DELETE ... WHERE d2 = d3 AND id = 3 deleted %d rows", name, r[0].RowCount)
			}
			if r := root.must("UPDATE app.m SET note = 'hit' WHERE d2 = $1", json.Number("1.251")); r[0].RowCount != 0 {
				t.Errorf("%s: UPDATE ... WHERE d2 = $1 (1.251) changed %d rows", name, r[0].RowCount)
			}
			if got := root.rows("SELECT id, d2, note FROM app.m ORDER BY id"); got != `[[1,"1.25","keep"],[2,"2.00","keep"],[3,"3.00","keep"],[4,"9.99","keep"]]` {
				t.Errorf("%s: rows after writes that match nothing: %s", name, got)
			}
		}
	}
}
