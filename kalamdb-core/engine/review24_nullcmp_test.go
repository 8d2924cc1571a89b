package engine_test

import (
	"fmt"
	"testing"
)

// TestReview24NullComparisonHostile: computed operands that raise errors
// (division by zero, casts, overflow, subqueries of many rows), coercions
// and NOT/IS NOT TRUE answer as without nullComparisons, hot and cold.
func TestReview24NullComparisonHostile(t *testing.T) {
	d := newNullTwins(t)
	queries := []string{
		"SELECT id FROM app.a WHERE 1 / (k - 3) > 0 ORDER BY 1",
		"SELECT id FROM app.a WHERE k / 0 = 1 ORDER BY 1",
		"SELECT id FROM app.a WHERE (k / 0) = (t::int) ORDER BY 1",
		"SELECT id FROM app.a WHERE (t::int) = (k / 0) ORDER BY 1",
		"SELECT id FROM app.a WHERE t::int = 1 ORDER BY 1",
		"SELECT id FROM app.a WHERE k * 9223372036854775807 > 0 ORDER BY 1",
		"SELECT id FROM app.a WHERE k = (SELECT k FROM app.b) ORDER BY 1",
		"SELECT id FROM app.a WHERE k + 0 = (SELECT k FROM app.b WHERE k IS NOT NULL) ORDER BY 1",
		"SELECT id FROM app.a WHERE k::text = '3' ORDER BY 1",
		"SELECT id FROM app.a WHERE k + 0 = '3' ORDER BY 1",
		"SELECT id FROM app.a WHERE t < k::text ORDER BY 1",
		"SELECT id FROM app.a WHERE CAST(k AS TEXT) = t ORDER BY 1",
		"SELECT id FROM app.a WHERE f + 0 = 2.5 ORDER BY 1",
		"SELECT id FROM app.a WHERE k * 1.0 = 3 ORDER BY 1",
		"SELECT id FROM app.a WHERE k::numeric / 3 = 1 ORDER BY 1",
		"SELECT id FROM app.a WHERE k::numeric / 3 > 0.333333333333333333 ORDER BY 1",
		"SELECT id FROM app.a WHERE f::numeric = 2.5::float8 ORDER BY 1",
		"SELECT id FROM app.a WHERE f * 2 > k::numeric ORDER BY 1",
		"SELECT id FROM app.a WHERE to_timestamp(k) > '1970-01-01 00:00:02+00' ORDER BY 1",
		"SELECT id FROM app.a WHERE to_timestamp(k) > timestamptz '1970-01-01 04:00:02+03' ORDER BY 1",
		"SELECT id FROM app.a WHERE '2020-01-01'::timestamp + (k || ' hours')::interval > '2020-01-01 02:00:00' ORDER BY 1",
		"SELECT id FROM app.a WHERE (k || ' hours')::interval > interval '2 hours' ORDER BY 1",
		"SELECT id FROM app.a WHERE lower(t) < 'T' ORDER BY 1",
		"SELECT id FROM app.a WHERE lower(t) < 'u' ORDER BY 1",
		"SELECT id FROM app.a WHERE upper(t) > 'a' ORDER BY 1",
		"SELECT id FROM app.a WHERE (k + 0 = 3) IS NOT TRUE ORDER BY 1",
		"SELECT id FROM app.a WHERE (k + 0 = 3) IS UNKNOWN ORDER BY 1",
		"SELECT id FROM app.a WHERE NOT (k + 0 <> 3) ORDER BY 1",
		"SELECT id FROM app.a WHERE NOT NOT (k + 0 <> 3) ORDER BY 1",
		"SELECT id, (k + 0 = 3) IS NOT FALSE FROM app.a WHERE (k + 0 > 3) IS NOT TRUE ORDER BY 1",
		"SELECT a.id, b.id FROM app.a a LEFT JOIN app.b b ON a.k / 0 = b.k ORDER BY 1, 2",
		"SELECT a.id, b.id FROM app.a a LEFT JOIN app.b b ON b.k = (SELECT max(k) FROM app.b) ORDER BY 1, 2",
		"SELECT a.id, b.id FROM app.a a LEFT JOIN app.b b ON (a.k, a.t) = (b.k, b.t) ORDER BY 1, 2",
		"SELECT a.id, b.id FROM app.a a LEFT JOIN app.b b ON b.k = a.k + 1 ORDER BY 1, 2",
		"SELECT a.id, b.id FROM app.a a JOIN app.b b ON b.k = a.k + 1 ORDER BY 1, 2",
		"SELECT a.id, b.id FROM app.a a LEFT JOIN app.b b ON b.k = a.k + 1 AND b.t::int > 0 ORDER BY 1, 2",
		"SELECT a.id, b.id FROM app.a a LEFT JOIN app.b b ON a.t::int = b.k ORDER BY 1, 2",
		"SELECT a.id, b.id FROM app.a a RIGHT JOIN app.b b ON a.k + 0 = b.k / 0 ORDER BY 1, 2",
		"SELECT a.id, b.id FROM app.a a FULL JOIN app.b b ON coalesce(a.k, 0) = coalesce(b.k, 0) AND a.f + 0 < b.f ORDER BY 1, 2",
		"SELECT a.id, b.id FROM app.a a JOIN app.b b ON a.k = b.k JOIN app.b c ON c.k + 0 = b.k AND c.id = a.id ORDER BY 1, 2",
		"SELECT a.id, b.id FROM app.a a JOIN app.b b ON a.k BETWEEN b.k - 1 AND b.k + 1 ORDER BY 1, 2",
		"SELECT a.id, b.id FROM app.a a JOIN app.b b ON a.k >= b.k - 1 AND a.k < b.k + 1 ORDER BY 1, 2",
		"SELECT a.id FROM app.a a WHERE a.k + 0 NOT IN (SELECT b.k + 0 FROM app.b b) ORDER BY 1",
		"SELECT a.id FROM app.a a WHERE a.k + 0 = ANY (SELECT b.k FROM app.b b) ORDER BY 1",
		"SELECT a.id FROM app.a a WHERE a.k + 0 > ALL (SELECT b.k FROM app.b b WHERE b.k IS NOT NULL) ORDER BY 1",
		"SELECT a.t, sum(a.k) FROM app.a a GROUP BY a.t HAVING sum(a.k) / 0 > 1 ORDER BY 1",
		"SELECT a.t, sum(a.k) FROM app.a a GROUP BY a.t HAVING sum(a.k) + 0 > 10 ORDER BY 1",
		"SELECT id FROM app.a a WHERE (SELECT b.k FROM app.b b WHERE b.id = a.id) + 0 = a.k ORDER BY 1",
		"SELECT id FROM app.a WHERE length(t) + 0 = 2 ORDER BY 1",
		"SELECT id FROM app.a WHERE t::bytea = 'T2'::bytea ORDER BY 1",
		"SELECT id FROM app.a WHERE (t || '')::bytea > '\\x54'::bytea ORDER BY 1",
		"SELECT id FROM app.a WHERE t::jsonb = '1'::jsonb ORDER BY 1",
		"SELECT id FROM app.a WHERE to_jsonb(k) = '3'::jsonb ORDER BY 1",
		"SELECT id FROM app.a WHERE k + 0 = 3.0::float8 ORDER BY 1",
		"SELECT id FROM app.a WHERE k + 0.5 = 3.5 ORDER BY 1",
		"SELECT id FROM app.a WHERE (k + 0)::smallint = 3 ORDER BY 1",
		"SELECT id FROM app.a WHERE (k * 100000)::int * 100000 > 0 ORDER BY 1",
		"SELECT id FROM app.a WHERE k::boolean = true ORDER BY 1",
		"SELECT id FROM app.a WHERE (k > 2) = (t IS NULL) ORDER BY 1",
		"SELECT id FROM app.a WHERE (k > 2) + 0 = 1 ORDER BY 1",
	}
	for _, tier := range []string{"hot", "cold"} {
		if tier == "cold" {
			d.flush("app.a")
			d.flush("app.b")
		}
		for i, q := range queries {
			d.twin(fmt.Sprint(tier, i), q)
		}
	}
}
