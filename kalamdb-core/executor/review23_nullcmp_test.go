package executor_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestReview23NullComparisonShapes: wrapped comparisons (column, literal,
// parameter operands) answer as the same comparison of a computed operand
// in HAVING, views, CTEs, UNION branches, correlated subqueries, IS
// TRUE/FALSE/UNKNOWN and typed comparisons needing conversions.
func TestReview23NullComparisonShapes(t *testing.T) {
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE r; CREATE TABLE r.t (id BIGINT PRIMARY KEY, g BIGINT, n BIGINT, d DECIMAL(10,2), b BOOLEAN, tag TEXT, ts TIMESTAMP, j JSON)")
	alice := e.as("alice", systable.RoleUser)
	alice.must(`INSERT INTO r.t VALUES
		(1, 1, NULL, NULL, NULL, NULL, NULL, NULL),
		(2, 1, 3, 0.10, true, '5', TIMESTAMP '2020-01-03 00:00:00', '{"a":1}'),
		(3, 2, NULL, NULL, NULL, NULL, NULL, NULL),
		(4, 2, NULL, 1.50, false, 'x', TIMESTAMP '2020-01-06 00:00:00', '{"a":2}'),
		(5, 3, 7, NULL, NULL, '10', NULL, NULL),
		(6, 3, 1, 2.00, true, '07', TIMESTAMP '2020-01-01 12:00:00', '[]')`)
	e.root().must("CREATE VIEW r.v AS SELECT id, n FROM r.t WHERE n > 2")
	e.root().must("CREATE VIEW r.w AS SELECT id, n + 0 AS n FROM r.t WHERE n + 0 > 2")
	pairs := [][2]string{
		{"SELECT g FROM r.t GROUP BY g HAVING max(n) > 2 ORDER BY g", "SELECT g FROM r.t GROUP BY g HAVING max(n) + 0 > 2 ORDER BY g"},
		{"SELECT g FROM r.t GROUP BY g HAVING NOT (min(n) < 2) ORDER BY g", "SELECT g FROM r.t GROUP BY g HAVING NOT (min(n) + 0 < 2) ORDER BY g"},
		{"SELECT id FROM r.v ORDER BY id", "SELECT id FROM r.w ORDER BY id"},
		{"WITH c AS (SELECT id, n FROM r.t WHERE n >= 3) SELECT id FROM c WHERE n < 9 ORDER BY id", "WITH c AS (SELECT id, n FROM r.t WHERE n + 0 >= 3) SELECT id FROM c WHERE n + 0 < 9 ORDER BY id"},
		{"SELECT id FROM r.t WHERE n = 3 UNION ALL SELECT id FROM r.t WHERE NOT (n = 3) ORDER BY id", "SELECT id FROM r.t WHERE n + 0 = 3 UNION ALL SELECT id FROM r.t WHERE NOT (n + 0 = 3) ORDER BY id"},
		{"SELECT id FROM r.t a WHERE EXISTS (SELECT 1 FROM r.t b WHERE b.n = a.n AND b.id <> a.id) ORDER BY id", "SELECT id FROM r.t a WHERE EXISTS (SELECT 1 FROM r.t b WHERE b.n + 0 = a.n AND b.id <> a.id) ORDER BY id"},
		{"SELECT id FROM r.t a WHERE (SELECT count(*) FROM r.t b WHERE b.n < a.n) > 0 ORDER BY id", "SELECT id FROM r.t a WHERE (SELECT count(*) FROM r.t b WHERE b.n + 0 < a.n) > 0 ORDER BY id"},
		{"SELECT id FROM r.t WHERE (n > 2) IS TRUE ORDER BY id", "SELECT id FROM r.t WHERE (n + 0 > 2) IS TRUE ORDER BY id"},
		{"SELECT id FROM r.t WHERE (n > 2) IS FALSE ORDER BY id", "SELECT id FROM r.t WHERE (n + 0 > 2) IS FALSE ORDER BY id"},
		{"SELECT id FROM r.t WHERE (n > 2) IS UNKNOWN ORDER BY id", "SELECT id FROM r.t WHERE (n + 0 > 2) IS UNKNOWN ORDER BY id"},
		{"SELECT id FROM r.t WHERE (n > 2) IS NOT FALSE ORDER BY id", "SELECT id FROM r.t WHERE (n + 0 > 2) IS NOT FALSE ORDER BY id"},
		{"SELECT id FROM r.t WHERE d = 0.1 ORDER BY id", "SELECT id FROM r.t WHERE d + 0 = 0.1 ORDER BY id"},
		{"SELECT id FROM r.t WHERE d = CAST(0.1 AS DOUBLE PRECISION) ORDER BY id", "SELECT id FROM r.t WHERE d + 0 = CAST(0.1 AS DOUBLE PRECISION) ORDER BY id"},
		{"SELECT id FROM r.t WHERE d > 1 ORDER BY id", "SELECT id FROM r.t WHERE d + 0 > 1 ORDER BY id"},
		{"SELECT id FROM r.t WHERE b = true ORDER BY id", "SELECT id FROM r.t WHERE (b AND true) = true ORDER BY id"},
		{"SELECT id FROM r.t WHERE NOT (b = false) ORDER BY id", "SELECT id FROM r.t WHERE NOT ((b AND true) = false) ORDER BY id"},
		{"SELECT id FROM r.t WHERE tag > '1' ORDER BY id", "SELECT id FROM r.t WHERE tag || '' > '1' ORDER BY id"},
		{"SELECT id FROM r.t WHERE ts < TIMESTAMPTZ '2020-01-05 00:00:00+00' ORDER BY id", "SELECT id FROM r.t WHERE ts + INTERVAL '0 seconds' < TIMESTAMPTZ '2020-01-05 00:00:00+00' ORDER BY id"},
		{"SELECT id FROM r.t WHERE ts >= '2020-01-02' ORDER BY id", "SELECT id FROM r.t WHERE ts + INTERVAL '0 seconds' >= '2020-01-02' ORDER BY id"},
		{"SELECT id FROM (SELECT id, n FROM r.t WHERE n <= 3) s WHERE n > 0 ORDER BY id", "SELECT id FROM (SELECT id, n FROM r.t WHERE n + 0 <= 3) s WHERE n + 0 > 0 ORDER BY id"},
		{"SELECT id FROM r.t WHERE id = 1 AND n = 3", "SELECT id FROM r.t WHERE id = 1 AND n + 0 = 3"},
		{"SELECT id FROM r.t WHERE id = 2 AND n = 3", "SELECT id FROM r.t WHERE id = 2 AND n + 0 = 3"},
	}
	for _, tier := range []string{"hot", "cold"} {
		if tier == "cold" {
			flushTable(t, e, "r.t")
		}
		for _, p := range pairs {
			_, got := alice.outcome(p[0])
			_, want := alice.outcome(p[1])
			if got != want {
				t.Errorf("%s %s:\n got %s\nwant %s", tier, p[0], got, want)
			}
		}
		// typed comparisons PostgreSQL refuses: same outcome either way
		for _, q := range []string{
			"SELECT id FROM r.t WHERE tag = 5 ORDER BY id|SELECT id FROM r.t WHERE tag || '' = 5 ORDER BY id",
			"SELECT id FROM r.t WHERE b = 1 ORDER BY id|SELECT id FROM r.t WHERE (b AND true) = 1 ORDER BY id",
			"SELECT id FROM r.t WHERE j = '{\"a\":1}' ORDER BY id|SELECT id FROM r.t WHERE (j -> 'a') IS NOT NULL AND j = '{\"a\":1}' ORDER BY id",
		} {
			p := strings.SplitN(q, "|", 2)
			_, got := alice.outcome(p[0])
			_, want := alice.outcome(p[1])
			if got != want {
				t.Errorf("%s %s: got %s, computed operand %s", tier, p[0], got, want)
			}
		}
	}
	for _, v := range []any{nil, int64(3), nil, int64(7)} {
		got := alice.rows("SELECT id FROM r.t WHERE n = $1 ORDER BY id", v)
		want := alice.rows("SELECT id FROM r.t WHERE n + 0 = $1 ORDER BY id", v)
		if got != want {
			t.Errorf("$1=%v: got %s want %s", v, got, want)
		}
		// The fast path (a key lookup) with the same parameters.
		got = alice.rows("SELECT id, n FROM r.t WHERE id = $1", v)
		want = alice.rows("SELECT id, n FROM r.t WHERE id + 0 = $1", v)
		if got != want {
			t.Errorf("id = $1 (%v): got %s want %s", v, got, want)
		}
	}
	alice.must("UPDATE r.t SET tag = 'u' WHERE n >= 3")
	alice.must("DELETE FROM r.t WHERE n < 2")
	if got := alice.rows("SELECT id, tag FROM r.t ORDER BY id"); got != `[[1,null],[2,"u"],[3,null],[4,"x"],[5,"u"]]` {
		t.Errorf("after UPDATE ... WHERE n >= 3 and DELETE ... WHERE n < 2: %s", got)
	}
}
