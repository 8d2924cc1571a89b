package e2e_test

import (
	"strings"
	"testing"
)

// TestNotInSubqueryOverHTTP: x NOT IN (subquery) answers as PostgreSQL
// does over the wire, before and after the rows move to Parquet: a NULL x
// is left out when the subquery has rows and kept when it has none, and a
// NULL among the subquery's rows leaves out every x it does not hold.
func TestNotInSubqueryOverHTTP(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app;
		CREATE TABLE app.t (id BIGINT PRIMARY KEY, x INT);
		CREATE TABLE app.u (id BIGINT PRIMARY KEY, y INT);
		INSERT INTO app.t VALUES (1, 1), (2, NULL), (3, 5);
		INSERT INTO app.u VALUES (1, 1), (2, 2)`)
	cases := []struct{ sql, want string }{
		{"SELECT id FROM app.t WHERE x NOT IN (SELECT y FROM app.u) ORDER BY id", `[[3]]`},
		{"SELECT id FROM app.t WHERE x NOT IN (SELECT y FROM app.u WHERE id < 0) ORDER BY id", `[[1],[2],[3]]`},
		{"SELECT id FROM app.t WHERE x NOT IN (SELECT y FROM app.u UNION ALL SELECT NULL) ORDER BY id", `null`},
		{"SELECT id FROM app.t WHERE NOT (x IN (SELECT 32768)) ORDER BY id", `[[1],[3]]`},
		{"SELECT id, x NOT IN (SELECT y FROM app.u) FROM app.t ORDER BY id", `[[1,false],[2,null],[3,true]]`},
	}
	check := func(phase string) {
		for _, c := range cases {
			if got := s.ok(root, c.sql).rows(t); got != c.want {
				t.Errorf("%s: %s: got %s, want %s", phase, c.sql, got, c.want)
			}
		}
	}
	check("hot")
	for _, tbl := range []string{"app.t", "app.u"} {
		if st, msg := waitJob(t, s, jobOf(t, s, "STORAGE FLUSH TABLE "+tbl)); st != "completed" {
			t.Fatalf("flush %s: %s %s", tbl, st, msg)
		}
	}
	check("cold")
	if r := s.ok(root, "UPDATE app.t SET x = x WHERE x NOT IN (SELECT y FROM app.u)"); r.Results[0].RowCount != 1 {
		t.Fatalf("UPDATE count: %s", r)
	}
}

// TestRealInputOverHTTP: REAL's largest value, as the server prints it,
// is read back from a literal and from a JSON number parameter; a value
// that rounds to zero as a REAL is refused with INVALID_INPUT and writes
// nothing.
func TestRealInputOverHTTP(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE TABLE app.fa (id BIGINT PRIMARY KEY, r REAL)`)
	s.ok(root, `INSERT INTO app.fa (id, r) VALUES (1, '3.4028235e38')`)
	s.ok(root, `INSERT INTO app.fa (id, r) VALUES (2, $1)`, jsonNumber("3.4028235e38"))
	s.ok(root, `INSERT INTO app.fa (id, r) VALUES (3, $1)`, jsonNumber("-3.4028235e38"))
	want := `[[1,3.4028235e+38],[2,3.4028235e+38],[3,-3.4028235e+38]]`
	if got := s.ok(root, "SELECT id, r FROM app.fa ORDER BY id").rows(t); got != want {
		t.Fatalf("rows: %s, want %s", got, want)
	}
	s.fail(root, 400, "INVALID_INPUT", `INSERT INTO app.fa (id, r) VALUES (4, '1e-46')`)
	s.fail(root, 400, "INVALID_INPUT", `INSERT INTO app.fa (id, r) VALUES (4, $1)`, jsonNumber("3.4028236e38"))
	s.fail(root, 400, "INVALID_INPUT", `UPDATE app.fa SET r = $1 WHERE id = 1`, "1e-46")
	if got := s.ok(root, "SELECT id, r FROM app.fa ORDER BY id").rows(t); got != want {
		t.Fatalf("rows after refused writes: %s, want %s", got, want)
	}
}

// TestJSONTextNULOverHTTP: a JSON document may hold \u0000 (it is valid
// JSON), but ->> of that string cannot make text of it: the client gets
// SQL_EXECUTION_ERROR with PostgreSQL's message, and nothing is written.
func TestJSONTextNULOverHTTP(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app; CREATE TABLE app.nt (id BIGINT PRIMARY KEY, t TEXT, j JSON)`)
	s.ok(root, `INSERT INTO app.nt (id, j) VALUES (1, $1)`, map[string]any{"a": "x\x00y", "b": "ok"})
	r := s.fail(root, 400, "SQL_EXECUTION_ERROR", `INSERT INTO app.nt (id, t) SELECT 2, j ->> 'a' FROM app.nt WHERE id = 1`)
	if !strings.Contains(r.Error.Message, `unsupported Unicode escape sequence: \u0000 cannot be converted to text`) {
		t.Fatalf("message: %s", r)
	}
	if got := s.ok(root, `SELECT id, t, j ->> 'b' FROM app.nt ORDER BY id`).rows(t); got != `[[1,null,"ok"]]` {
		t.Fatalf("rows: %s", got)
	}
}

// TestMixedNumbersAndRowComparisonsOverHTTP: a UNION of a BIGINT, a
// DECIMAL and a DOUBLE is a Double in the answer's schema, NaN and
// Infinity included (it failed on NaN as the engine's DECIMAL); a keyset
// page (created, id) < ($1, $2) answers as PostgreSQL does; rows of
// different lengths are INVALID_SQL.
func TestMixedNumbersAndRowComparisonsOverHTTP(t *testing.T) {
	s := startServer(t, t.TempDir())
	s.ok(root, `CREATE NAMESPACE app;
		CREATE TABLE app.t (id BIGINT PRIMARY KEY, d DECIMAL(10, 2), f DOUBLE, created TIMESTAMP);
		INSERT INTO app.t VALUES (1, 1.50, 'NaN', '2024-01-01 00:00:00'), (2, 2.25, 'Infinity', '2024-01-01 00:00:00'), (3, NULL, 0.5, '2024-01-02 00:00:00')`)
	r := s.ok(root, "SELECT id AS x FROM app.t UNION ALL SELECT d FROM app.t UNION ALL SELECT f FROM app.t ORDER BY 1")
	if len(r.Results) != 1 || len(r.Results[0].Schema) != 1 || r.Results[0].Schema[0].DataType != "Double" || r.Results[0].Schema[0].Name != "x" {
		t.Fatalf("schema: %s", r)
	}
	if got, want := r.rows(t), `[[0.5],[1],[1.5],[2],[2.25],[3],["Infinity"],["NaN"],[null]]`; got != want {
		t.Fatalf("rows: %s, want %s", got, want)
	}
	r = s.ok(root, "SELECT id FROM app.t UNION SELECT d FROM app.t ORDER BY 1")
	if r.Results[0].Schema[0].DataType != "Decimal" {
		t.Fatalf("BIGINT UNION DECIMAL: %s", r)
	}
	page := `SELECT id FROM app.t WHERE (created, id) < ($1, $2) ORDER BY created DESC, id DESC LIMIT 50`
	if got := s.ok(root, page, "2024-01-02 00:00:00", 3).rows(t); got != `[[2],[1]]` {
		t.Fatalf("keyset page: %s", got)
	}
	s.fail(root, 400, "INVALID_SQL", `SELECT id FROM app.t WHERE (created, id) < ($1, $2, 3)`, "2024-01-02 00:00:00", 3)
}
