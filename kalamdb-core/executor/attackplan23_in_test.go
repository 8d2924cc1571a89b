package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestNestedDecimalInIsLinear: an IN list with a column's DECIMAL(p,s)
// item is compared exactly, as one equality per item, each copying the
// operand; nested in the operand, that grew as items^depth (14 levels,
// 404 bytes: 13.5 s against a 1 s limit, in one row's evaluation).
func TestNestedDecimalInIsLinear(t *testing.T) {
	_, root, alice := newEnvAliceLimited(t)
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, a INT, d NUMERIC(5,1))`)
	alice.must(`INSERT INTO app.t VALUES (1, 1, 0.5), (2, 5, 0.5), (3, 1, NULL)`)
	n := 40
	in := strings.Repeat("(", n) + "a * 1.00" + strings.Repeat(" IN (d, d, 1))::int * 1.00", n)
	withinMinutes(t, "nested decimal IN", func() {
		if got, want := alice.rows("SELECT id, "+in+" AS v FROM app.t ORDER BY id"), `[[1,"1.00"],[2,"0.00"],[3,"1.00"]]`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
		res := alice.must("EXPLAIN SELECT id FROM app.t WHERE " + in + " = 1")
		if plan := alice.rowsOf("EXPLAIN", res); len(plan) > 20*len(in) || !strings.Contains(plan, "kdb_numeric_in") {
			t.Errorf("EXPLAIN of a %d-byte condition is %d bytes: %.300s", len(in), len(plan), plan)
		}
	})
}

// TestComputedDecimalInMatchesEqualities: a computed operand's IN list
// with a DECIMAL(p,s) item answers as its equalities joined by OR do
// (PostgreSQL's IN), for matches, misses, NULL operands and items, and
// NOT IN; a text item that is not a number fails as its equality does.
func TestComputedDecimalInMatchesEqualities(t *testing.T) {
	_, root, alice := newEnvAliceLimited(t)
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, a INT, d NUMERIC(5,1))`)
	// a * 0.25 is 0.25, 0.50, NULL: 0.25 rounds to d's 0.3, which it
	// does not equal.
	alice.must(`INSERT INTO app.t VALUES (1, 1, 0.3), (2, 2, 0.5), (3, NULL, 0.5), (4, 1, NULL), (5, 4, 0.3)`)
	for _, items := range [][]string{
		{"d", "1"}, {"d", "NULL"}, {"NULL", "d"}, {"d", "0.25"}, {"'0.25'", "d"},
		{"d", "d", "1"}, {"d", "a"}, {"d", "a * 0.25"}, {"d", "2.5e-1"}, {"d"},
	} {
		x := "a * 0.25"
		eqs := make([]string, len(items))
		for i, it := range items {
			eqs[i] = x + " = " + it
		}
		in := x + " IN (" + strings.Join(items, ", ") + ")"
		or := "(" + strings.Join(eqs, " OR ") + ")"
		q := "SELECT id, %s, NOT %s FROM app.t ORDER BY id"
		got := alice.rows(strings.ReplaceAll(strings.Replace(q, "%s", in, 1), "NOT %s", x+" NOT IN ("+strings.Join(items, ", ")+")"))
		want := alice.rows(strings.ReplaceAll(strings.Replace(q, "%s", or, 1), "%s", or))
		if got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	res := alice.must(`EXPLAIN SELECT id FROM app.t WHERE a * 0.25 IN (d, 1)`)
	if plan := alice.rowsOf("EXPLAIN", res); !strings.Contains(plan, "kdb_numeric_in") {
		t.Errorf("a computed IN is not compared once: %s", plan)
	}
	if got, want := alice.rows(`SELECT id FROM app.t WHERE a * 0.25 IN (d, 1) ORDER BY id`), `[[2],[5]]`; got != want {
		t.Errorf("IN: got %s, want %s", got, want)
	}
	if got, want := alice.rows(`SELECT id FROM app.t WHERE a * 0.25 NOT IN (d, 7) ORDER BY id`), `[[1],[5]]`; got != want {
		t.Errorf("NOT IN: got %s, want %s", got, want)
	}
	want := alice.fails(apierror.InvalidInput, `SELECT a * 0.25 = 'a' OR a * 0.25 = d FROM app.t`).Message
	for _, q := range []string{`SELECT a * 0.25 IN ('a', d) FROM app.t`, `SELECT a * 0.25 IN (d, 'a') FROM app.t`} {
		if got := alice.fails(apierror.InvalidInput, q).Message; got != want {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
}
