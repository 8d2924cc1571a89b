package executor_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// attackdelscanRows is app.w's rows (a, b, s of ids 0 to 29) as SQL
// literals: final is how they end, cold the first versions (flushed) of
// the rows whose newer hot version differs (a third of them, moved out
// of most spans: a + 10, s + 10, another b). b takes the int64 edges.
func attackdelscanRows() (final, cold map[int][3]string) {
	bs := []string{"9223372036854775807", "-9223372036854775808", "0", "-1", "1", "NULL", "100", "-100"}
	final, cold = map[int][3]string{}, map[int][3]string{}
	for i := 0; i < 30; i++ {
		a, s := fmt.Sprint(i%6), fmt.Sprint(i%4)
		if i%7 == 0 {
			a = "NULL"
		}
		if i%5 == 0 {
			s = "NULL"
		}
		v := [3]string{a, bs[i%8], s}
		if i%3 == 0 {
			cold[i] = v
			w := v
			if a != "NULL" {
				w[0] = fmt.Sprint(i%6 + 10)
			}
			w[1] = bs[(i+3)%8]
			if s != "NULL" {
				w[2] = fmt.Sprint(i%4 + 10)
			}
			v = w
		}
		final[i] = v
	}
	return final, cold
}

// TestAttackdelscan20SpansMatchPostgres: the scan filters' spans under
// three-valued logic (NOT of IN lists with NULLs, NOT of ORs and ANDs,
// NULL parameters), mixed types (numeric, float and text constants and
// parameters against integer columns, values past int64 and smallint),
// the int64 edges, ORs across columns and non-integer columns answer as
// PostgreSQL 15 does: a SELECT, an UPDATE ... RETURNING and a DELETE ...
// RETURNING, each in its own partition, the rows cold with newer hot
// versions, the table afterwards. Answers taken from PostgreSQL 15.
func TestAttackdelscan20SpansMatchPostgres(t *testing.T) {
	cases := []struct {
		where  string
		params []any
		want   string
	}{
		{"NOT (a IN (1, 2))", nil, "3,4,5,6,9,10,11,12,15,16,17,18,22,23,24,27,29"},
		{"NOT (a IN (1, NULL))", nil, ""},
		{"NOT (a NOT IN (1, NULL))", nil, "1,13,19,25"},
		{"NOT (a > 5 OR s < 3)", nil, "11,19,23"},
		{"NOT (a > 3 AND s < 3)", nil, "1,2,3,6,7,8,9,11,12,13,18,19,20,21,23,24,25,26,27"},
		{"NOT (a IN (1, 2)) OR a IS NULL", nil, "0,3,4,5,6,7,9,10,11,12,14,15,16,17,18,21,22,23,24,27,28,29"},
		{"NOT (a BETWEEN 2 AND 4)", nil, "1,3,5,6,9,11,12,13,15,17,18,19,23,24,25,27,29"},
		{"NOT (a IN (1, 2) AND a IN (NULL, 3))", nil, "3,4,5,6,9,10,11,12,15,16,17,18,22,23,24,27,29"},
		{"NOT (a IN (1, NULL) AND a > 0)", nil, ""},
		{"a NOT IN ($1, 2)", []any{nil}, ""},
		{"NOT (a IN ($1, 2))", []any{nil}, ""},
		{"a < $1", []any{3.5}, "1,2,8,13,19,20,25,26"},
		{"a IN ($1, $2)", []any{"3", "4"}, "4,10,16,22"},
		{"a > 5.5", nil, "3,6,9,12,15,18,24,27"},
		{"a IN (1, 2.0)", nil, "1,2,8,13,19,20,25,26"},
		{"a NOT IN (1.5, 2)", nil, "1,3,4,5,6,9,10,11,12,13,15,16,17,18,19,22,23,24,25,27,29"},
		{"a > '3'", nil, "3,4,5,6,9,10,11,12,15,16,17,18,22,23,24,27,29"},
		{"b > 9223372036854775807", nil, ""},
		{"b >= 9223372036854775807 AND b <= 9223372036854775807", nil, "8,16,21"},
		{"b < -9223372036854775808", nil, ""},
		{"b < 9223372036854775808", nil, "0,1,2,3,4,6,7,8,9,10,11,12,14,15,16,17,19,20,21,22,23,24,25,26,27,28"},
		{"b NOT IN (9223372036854775808)", nil, "0,1,2,3,4,6,7,8,9,10,11,12,14,15,16,17,19,20,21,22,23,24,25,26,27,28"},
		{"b NOT IN (9223372036854775807, -9223372036854775808)", nil, "0,2,3,4,7,9,10,11,12,14,15,19,20,22,23,24,26,27,28"},
		{"b BETWEEN 5 AND 1", nil, ""},
		{"b BETWEEN SYMMETRIC 5 AND -5", nil, "0,2,4,9,10,11,15,19,20,24,26,28"},
		{"NOT (b >= 9223372036854775807)", nil, "0,1,2,3,4,6,7,9,10,11,12,14,15,17,19,20,22,23,24,25,26,27,28"},
		{"NOT (b > 9223372036854775807 OR b = 0)", nil, "0,1,3,4,6,7,8,9,11,12,14,16,17,19,20,21,22,23,24,25,27,28"},
		{"b < 9223372036854775807.5", nil, "0,1,2,3,4,6,7,8,9,10,11,12,14,15,16,17,19,20,21,22,23,24,25,26,27,28"},
		{"NOT (b BETWEEN 0 AND 9223372036854775808)", nil, "0,1,6,7,11,12,17,19,23,24,25"},
		{"b > $1", []any{"9223372036854775806"}, "8,16,21"},
		{"NOT ((b > 0 AND b < 200) OR (b < 0 AND b > -200))", nil, "1,2,6,8,10,15,16,17,21,25,26"},
		{"s IN (1, 70000)", nil, "1,13,17,29"},
		{"s NOT IN (-32768, 32767, 32768)", nil, "1,2,3,4,6,7,8,9,11,12,13,14,16,17,18,19,21,22,23,24,26,27,28,29"},
		{"a = 1 OR s = 1", nil, "1,13,17,19,25,29"},
		{"(a > 1 OR s > 1) AND a < 3", nil, "2,8,19,20,26"},
		{"id = 1 OR a = 1", nil, "1,13,19,25"},
		{"NOT ((a = 1 OR s = 2) AND a < 5)", nil, "3,4,5,6,8,9,11,12,15,16,17,18,23,24,27,29"},
		{"f NOT IN (1)", nil, "0,1,3,4,5,6,7,9,10,11,12,13,15,16,17,18,19,21,22,23,24,25,27,28,29"},
		{"a NOT IN (s, 1)", nil, "4,6,8,9,11,16,17,18,22,23,29"},
		{"a IS DISTINCT FROM 1", nil, "0,2,3,4,5,6,7,8,9,10,11,12,14,15,16,17,18,20,21,22,23,24,26,27,28,29"},
		{"(a IN (1, 2)) IS FALSE", nil, "3,4,5,6,9,10,11,12,15,16,17,18,22,23,24,27,29"},
		{"a IS NULL AND NOT (a IN (1))", nil, ""},
		{"a <> ALL (ARRAY[1, NULL])", nil, ""},
		{"NOT (id < 5 OR id > 25)", nil, "5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25"},
		{"NOT (a IN (1, 2)) AND id > 10", nil, "11,12,15,16,17,18,22,23,24,27,29"},
		{"CASE WHEN a IN (1, 2) THEN false ELSE true END", nil, "0,3,4,5,6,7,9,10,11,12,14,15,16,17,18,21,22,23,24,27,28,29"},
		{"(a NOT IN (1, 2)) OR (a IN (NULL))", nil, "3,4,5,6,9,10,11,12,15,16,17,18,22,23,24,27,29"},
	}
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE app; CREATE TABLE app.w (id BIGINT PRIMARY KEY, a INT, b BIGINT, s SMALLINT, c TEXT, f DOUBLE PRECISION, bo BOOLEAN)")
	e.root().must("CREATE INDEX wa ON app.w (a)")
	final, cold := attackdelscanRows()
	var vals []string
	for i := 0; i < 30; i++ {
		v, ok := cold[i]
		if !ok {
			v = final[i]
		}
		vals = append(vals, fmt.Sprintf("(%d, %s, %s, %s, 'x', %g, %v)", i, v[0], v[1], v[2], float64(i%6)/2, i%2 == 0))
	}
	callers := make([]*caller, len(cases))
	for k := range cases {
		callers[k] = e.as(fmt.Sprintf("u%d", k), systable.RoleUser)
		callers[k].must("INSERT INTO app.w VALUES " + strings.Join(vals, ", "))
	}
	flushTable(t, e, "app.w")
	for k, c := range cases {
		u := callers[k]
		for i := 0; i < 30; i++ {
			if _, ok := cold[i]; ok {
				v := final[i]
				u.must(fmt.Sprintf("UPDATE app.w SET a = %s, b = %s, s = %s WHERE id = %d", v[0], v[1], v[2], i))
			}
		}
		if got := idsText(u.must("SELECT id FROM app.w WHERE "+c.where, c.params...)[0].Rows); got != c.want {
			t.Errorf("SELECT ... WHERE %s %v: %s, want %s", c.where, c.params, got, c.want)
		}
		if got := idsText(u.must("UPDATE app.w SET c = 'y' WHERE "+c.where+" RETURNING id", c.params...)[0].Rows); got != c.want {
			t.Errorf("UPDATE ... WHERE %s %v: %s, want %s", c.where, c.params, got, c.want)
		}
		if got := idsText(u.must("SELECT id FROM app.w WHERE c = 'y'")[0].Rows); got != c.want {
			t.Errorf("after UPDATE ... WHERE %s %v: %s changed, want %s", c.where, c.params, got, c.want)
		}
		if got := idsText(u.must("DELETE FROM app.w WHERE "+c.where+" RETURNING id", c.params...)[0].Rows); got != c.want {
			t.Errorf("DELETE ... WHERE %s %v: %s, want %s", c.where, c.params, got, c.want)
		}
		if got := idsText(u.must("SELECT id FROM app.w WHERE c = 'y'")[0].Rows); got != "" {
			t.Errorf("after DELETE ... WHERE %s %v: %s left", c.where, c.params, got)
		}
	}
}

// TestAttackdelscan20TransactionSpans: inside a transaction the spans
// see the transaction's own writes over committed hot and cold rows (a
// row inserted, one moved into an IN list, one moved out, one deleted
// and inserted again), and an UPDATE that moves the filtered column
// touches each row once; answers as PostgreSQL 15 gives them.
func TestAttackdelscan20TransactionSpans(t *testing.T) {
	for _, flush := range []bool{false, true} {
		e, alice, _ := chatEnv(t)
		e.root().must("CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, a INT, g INT, c TEXT); CREATE INDEX ta ON app.t (a); CREATE INDEX tg ON app.t (g, a)")
		alice.must("INSERT INTO app.t VALUES (1, 1, 1, 'x'), (2, 2, 2, 'x'), (3, 3, 3, 'y'), (4, 1, 2, 'x'), (5, NULL, 1, 'x')")
		if flush {
			flushTable(t, e, "app.t")
		}
		for _, c := range []struct{ q, want string }{
			{"BEGIN; INSERT INTO app.t VALUES (100, 1, 1, 'x'); UPDATE app.t SET a = 1 WHERE id = 2; UPDATE app.t SET a = 9 WHERE id = 4; " +
				"DELETE FROM app.t WHERE c = 'x' AND a IN (1, 2) RETURNING id; SELECT id, a FROM app.t ORDER BY id; ROLLBACK",
				`[[1],[2],[100]] | [[3,3],[4,9],[5,null]]`},
			{"BEGIN; INSERT INTO app.t VALUES (100, 1, 1, 'x'); UPDATE app.t SET g = 7 WHERE id = 1; " +
				"DELETE FROM app.t WHERE c = 'x' AND g IN (1, 7) AND NOT (a IN (2)) RETURNING id; SELECT id, a FROM app.t ORDER BY id; ROLLBACK",
				`[[1],[100]] | [[2,2],[3,3],[4,1],[5,null]]`},
			{"BEGIN; DELETE FROM app.t WHERE c = 'x' AND a = 1 AND id > 0 RETURNING id; INSERT INTO app.t VALUES (1, 1, 1, 'x'); " +
				"DELETE FROM app.t WHERE c = 'x' AND a IN (1) RETURNING id; SELECT id FROM app.t WHERE a NOT IN (9) ORDER BY id; ROLLBACK",
				`[[1],[4]] | [[1]] | [[2],[3]]`},
			{"BEGIN; UPDATE app.t SET a = a + 1 WHERE c = 'x' AND a IN (1, 2) RETURNING id, a; " +
				"DELETE FROM app.t WHERE c = 'x' AND a IN (2) RETURNING id; SELECT id, a FROM app.t ORDER BY id; ROLLBACK",
				`[[1,2],[4,2],[2,3]] | [[1],[4]] | [[2,3],[3,3],[5,null]]`},
		} {
			var parts []string
			for _, r := range alice.must(c.q) {
				if r.Rows == nil {
					continue
				}
				b, _ := json.Marshal(r.Rows)
				parts = append(parts, string(b))
			}
			if got := strings.Join(parts, " | "); got != c.want {
				t.Errorf("flush %v: %s: %s, want %s", flush, c.q, got, c.want)
			}
		}
	}
}
