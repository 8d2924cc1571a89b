package executor_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A boolean is one value whatever produced it. The engine carries it two
// ways (a table's column and a cast to BOOLEAN give a TINYINT-like 1 or
// 0, a literal and a comparison give true or false), and the operators
// that tell values apart by hashing them printed the two differently:
// GROUP BY COALESCE(b, true) made two groups of true, UNION and DISTINCT
// kept true twice, INTERSECT lost it and EXCEPT kept it. PostgreSQL
// answers each with one true. It failed before the hashes read both
// ways alike.
func TestBool22TrueIsOneValueWhateverMadeIt(t *testing.T) {
	e := newEnv(t)
	root := e.as("root", systable.RoleSystem)
	root.must(`CREATE NAMESPACE bq; CREATE SHARED TABLE bq.t (id BIGINT PRIMARY KEY, b BOOLEAN); INSERT INTO bq.t VALUES (1, true), (2, NULL), (3, false)`)
	for _, c := range []struct{ sql, want string }{
		{`SELECT true UNION SELECT 'yes'::boolean`, `[[true]]`},
		{`SELECT b FROM bq.t WHERE id = 1 UNION SELECT true`, `[[true]]`},
		{`SELECT b FROM bq.t WHERE id = 1 UNION SELECT 1 = 1`, `[[true]]`},
		{`SELECT true INTERSECT SELECT 'yes'::boolean`, `[[true]]`},
		{`SELECT b FROM bq.t WHERE id = 1 INTERSECT SELECT true`, `[[true]]`},
		{`SELECT true EXCEPT SELECT 'yes'::boolean`, `[]`},
		{`SELECT DISTINCT x FROM (SELECT true AS x UNION ALL SELECT 'yes'::boolean) s`, `[[true]]`},
		{`SELECT DISTINCT COALESCE(b, true) AS c FROM bq.t ORDER BY c`, `[[false],[true]]`},
		{`SELECT COALESCE(b, true) AS c, count(*) FROM bq.t GROUP BY COALESCE(b, true) ORDER BY c`, `[[false,1],[true,2]]`},
		{`SELECT x, count(*) FROM (SELECT true AS x UNION ALL SELECT 'yes'::boolean) s GROUP BY x`, `[[true,2]]`},
		{`SELECT count(DISTINCT COALESCE(b, true)) FROM bq.t`, `[[2]]`},
		{`SELECT id FROM bq.t WHERE b IN (SELECT 1 = 1 FROM bq.t) ORDER BY id`, `[[1]]`},
		{`SELECT id FROM bq.t WHERE b IN (SELECT true) ORDER BY id`, `[[1]]`},
		{`SELECT id FROM bq.t WHERE b NOT IN (SELECT 1 = 1 FROM bq.t WHERE id = 1) ORDER BY id`, `[[3]]`},
	} {
		if got := root.rows(c.sql); got != normalizeEmpty(got, c.want) {
			t.Errorf("%s: %s, want %s", c.sql, got, c.want)
		}
	}
}

// normalizeEmpty lets `[]` stand for a result without rows, which rows
// prints as null.
func normalizeEmpty(got, want string) string {
	if want == `[]` && got == `null` {
		return got
	}
	return want
}
