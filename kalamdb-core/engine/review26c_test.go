package engine_test

import (
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Patterns read from a column are compiled into a cache per call and
// charged as they are compiled; what the scan holds must stay bounded by
// the cache, however many rows it reads, wherever the call stands.
func TestReview26cColumnPatternsHoldABoundedAmount(t *testing.T) {
	r := newCatalogRig(t, 2, 64<<20)
	for _, tb := range []string{"app.t00", "app.t01"} {
		r.must("alice", systable.RoleUser, fmt.Sprintf(
			`INSERT INTO %s (id, a, b) SELECT g, 'x{' || (300 + g %% 2) || '}', g FROM generate_series(1, 200) g`, tb))
	}
	for _, q := range []string{
		`SELECT id FROM app.t00 WHERE 'y' !~ a`,
		`SELECT x.id FROM app.t00 x JOIN app.t01 y ON x.id = y.id WHERE 'y' !~ (x.a || y.a)`,
		`SELECT id, (SELECT count(*) FROM app.t01 y WHERE y.id = x.id AND 'y' !~ x.a) FROM app.t00 x`,
		`SELECT x.id FROM app.t00 x FULL JOIN app.t01 y ON x.id = y.id AND 'y' !~ (x.a || y.a)`,
		`SELECT id FROM app.t00 ORDER BY regexp_count('xx', a), id`,
		`SELECT id, regexp_replace('xx', a, 'z') FROM app.t00 x WHERE EXISTS (SELECT 1 FROM app.t01 y WHERE y.id = x.id AND 'y' !~ y.a)`,
	} {
		held := r.heldAtRows(q)
		if len(held) < 100 {
			t.Fatalf("%s: %d rows", q, len(held))
		}
		first, last := held[10], held[len(held)-1]
		t.Logf("%s: rows %d held at row 10 %d, at the last %d", q, len(held), first, last)
		if last > first+1<<20 {
			t.Errorf("%s: held %d at row 10 and %d at its last row", q, first, last)
		}
	}
}

// A scan of many distinct patterns from a column runs within a small
// budget wherever the call stands: the cache gives back what it held as it
// empties.
func TestReview26cManyColumnPatternsRunWithinABudget(t *testing.T) {
	r := newCatalogRig(t, 2, 16<<20)
	for _, tb := range []string{"app.t00", "app.t01"} {
		r.must("alice", systable.RoleUser, fmt.Sprintf(
			`INSERT INTO %s (id, a, b) SELECT g, 'x{200}' || g, g FROM generate_series(1, 1500) g`, tb))
	}
	for _, q := range []string{
		`SELECT count(*) FROM app.t00 WHERE 'y' !~ a`,
		`SELECT count(*) FROM app.t00 x JOIN app.t01 y ON x.id = y.id AND 'y' !~ (x.a || y.a)`,
		`SELECT count(*) FROM app.t00 x LEFT JOIN app.t01 y ON x.id = y.id AND 'y' !~ (x.a || y.a)`,
		`SELECT count(*) FROM app.t00 x FULL JOIN app.t01 y ON x.id = y.id AND 'y' !~ (x.a || y.a)`,
		`SELECT count(*) FROM (SELECT a FROM app.t00 WHERE 'y' !~ a UNION ALL SELECT a FROM app.t01 WHERE 'z' !~ a) u`,
		`SELECT count(*) FROM app.t00 x WHERE x.id IN (SELECT y.id FROM app.t01 y WHERE 'y' !~ y.a)`,
		`SELECT count(*) FROM app.t00 x WHERE EXISTS (SELECT 1 FROM app.t01 y WHERE y.id = x.id AND 'y' !~ x.a)`,
		`SELECT sum(regexp_count('xx', a)) FROM app.t00 GROUP BY b % 3 HAVING sum(regexp_count('yy', a)) >= 0`,
		`SELECT count(*) FROM (SELECT row_number() OVER (PARTITION BY 'y' ~ a ORDER BY id) FROM app.t00) w`,
		`WITH c AS (SELECT a FROM app.t00 WHERE 'y' !~ a) SELECT count(*) FROM c c1 JOIN c c2 ON c1.a = c2.a`,
		`WITH RECURSIVE r(n, p) AS (SELECT 1, 'x{200}' UNION ALL SELECT n + 1, 'x{200}' || n FROM r WHERE n < 1500 AND 'y' !~ p) SELECT count(*) FROM r`,
		`UPDATE app.t00 SET b = b + 1 WHERE 'y' !~ a`,
		`DELETE FROM app.t01 WHERE 'y' ~ a`,
		`INSERT INTO app.t01 (id, a, b) SELECT id + 10000, a, b FROM app.t00 WHERE 'y' !~ a`,
	} {
		if _, err := r.exec("alice", systable.RoleUser, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}

// The short planning of UPDATE and DELETE charges the constants it builds
// until the statement is planned, not the values its rows build: a
// normal UPDATE of many rows of function-built values runs within a small
// budget.
func TestReview26cShortPathRowsAreNotCharged(t *testing.T) {
	r := newCatalogRig(t, 1, 4<<20)
	r.must("alice", systable.RoleUser, `INSERT INTO app.t00 (id, a, b) SELECT g, 'x', g FROM generate_series(1, 1500) g`)
	for _, q := range []string{
		`UPDATE app.t00 SET b = b + 1 WHERE length(a || repeat('q', 10000)) > 0 AND a = lower('X')`,
		`UPDATE app.t00 SET a = a || 'y' WHERE id IN (SELECT id FROM app.t00 WHERE length(repeat(a, 10000)) > 0)`,
		`DELETE FROM app.t00 WHERE a || repeat('q', 10000) <> 'x' AND b BETWEEN 1 AND 751`,
	} {
		if _, err := r.exec("alice", systable.RoleUser, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	if res := r.must("alice", systable.RoleUser, `SELECT count(*), min(length(a)) FROM app.t00`); fmt.Sprint(res[0].Rows) != "[[750 2]]" {
		t.Fatalf("after the updates and delete: %v", res[0].Rows)
	}
}
