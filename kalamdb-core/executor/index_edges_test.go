package executor_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// sameWithIndex runs each WHERE as SELECT id ... ORDER BY id, as a count
// and as UPDATE ... SET k = k + 1 on the indexed table and its unindexed
// twin (the same rows), and requires the same answer from both
// (describeAll: rows or error code), and an answer, not an error, from the
// unindexed table: every case compares values PostgreSQL compares.
func sameWithIndex(c *caller, phase, indexed, plain string, wheres []string) {
	c.e.t.Helper()
	for _, w := range wheres {
		for _, q := range []string{
			"SELECT id FROM $T WHERE " + w + " ORDER BY id",
			"SELECT id FROM $T WHERE NOT (" + w + ") ORDER BY id",
			"SELECT count(*) FROM $T WHERE " + w,
			"UPDATE $T SET k = k + 1 WHERE " + w,
			"DELETE FROM $T WHERE " + w + " AND k < 0",
		} {
			resIdx, errIdx := c.exec(strings.ReplaceAll(q, "$T", indexed))
			resRef, errRef := c.exec(strings.ReplaceAll(q, "$T", plain))
			if errRef != nil {
				c.e.t.Errorf("%s: %s without an index: %v", phase, strings.ReplaceAll(q, "$T", plain), errRef)
				continue
			}
			if got, want := describeAll(resIdx, errIdx), describeAll(resRef, errRef); got != want {
				c.e.t.Errorf("%s: %s\n with an index: %s %v\n without:       %s", phase, q, got, errIdx, want)
			}
		}
	}
}

// TestIndexComparisonsOutsideColumnRange: an indexed column compared
// with a value its type cannot hold (a date past 9999-12-31 or before
// 0001-01-01 made by arithmetic, an integer past the type's range or with
// a fraction, another numeric type, NaN, a value of another type) selects,
// counts, updates and deletes exactly the rows the same comparison does
// without the index, hot and cold. The index planner failed on a date
// bound past 9999-12-31 ("value is outside of date range") while the scan
// answered.
func TestIndexComparisonsOutsideColumnRange(t *testing.T) {
	slowParallel(t)
	e := newEnv(t)
	const cols = `(id BIGINT PRIMARY KEY, d DATE, ts TIMESTAMP, b BIGINT, i INT, s SMALLINT, r REAL, f DOUBLE,
		n DECIMAL(10, 2), tx TEXT, k INT)`
	e.root().must("CREATE NAMESPACE app; CREATE TABLE app.ea " + cols + "; CREATE TABLE app.eb " + cols)
	for _, c := range []string{"d", "ts", "b", "i", "s", "r", "f", "tx"} {
		createIndex(t, e, fmt.Sprintf("CREATE INDEX eb_%s ON app.eb (%s)", c, c))
	}
	alice := e.as("alice", systable.RoleUser)
	for _, tbl := range []string{"ea", "eb"} {
		alice.must(`INSERT INTO app.` + tbl + ` VALUES
			(1, '9999-12-31', '9999-12-31 23:59:59.999999', 9223372036854775807, 2147483647, 32767, '3.4028235e38', '1.7976931348623157e308', 99999999.99, 'zzz', 0),
			(2, '0001-01-01', '0001-01-01 00:00:00', -9223372036854775808, -2147483648, -32768, '-3.4028235e38', '-1.7976931348623157e308', -99999999.99, '', 0),
			(3, '2024-01-01', '2024-01-01 10:00:00', 1, 1, 1, 1.5, 1.5, 1.50, '1', 0),
			(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0),
			(5, '2024-01-02', '9999-12-31 23:00:00', 2, 2, 2, 'NaN', 'NaN', 2, 'a', 0),
			(6, '0001-01-02', '0001-01-01 00:00:00.000001', 0, 0, 0, 0, '-0', 0, '2024-01-01', 0)`)
	}
	wheres := []string{
		// Dates past 9999-12-31 and before 0001-01-01, made by arithmetic.
		"d < DATE '9999-12-31' + 1", "d <= DATE '9999-12-31' + 1", "d > DATE '9999-12-31' + 1",
		"d >= DATE '9999-12-31' + 1", "d = DATE '9999-12-31' + 1", "d <> DATE '9999-12-31' + 1",
		"DATE '9999-12-31' + 1 > d", "d IS NOT DISTINCT FROM DATE '9999-12-31' + 1", "d IS DISTINCT FROM DATE '0001-01-01' - 1",
		"d IN (DATE '9999-12-31' + 1, DATE '0001-01-01')", "d NOT IN (DATE '9999-12-31' + 1, DATE '0001-01-01')",
		"d IN (DATE '9999-12-31' + 1, DATE '0001-01-01' - 1)", "d NOT IN (DATE '9999-12-31' + 1, NULL)",
		"d BETWEEN DATE '0001-01-01' AND DATE '9999-12-31' + 1", "d BETWEEN DATE '0001-01-01' - 1 AND DATE '0001-01-01'",
		"d NOT BETWEEN DATE '0001-01-01' - 1 AND DATE '2024-01-01'",
		"d > DATE '0001-01-01' - 1", "d < DATE '0001-01-01' - 1", "d = DATE '0001-01-01' - 1",
		"d > DATE '0001-01-01' - 1000", "d < DATE '0001-01-01' - 1000", "d <> DATE '0001-01-01' - 1000",
		"d < DATE '9999-12-31' + 100000", "d > DATE '9999-12-31' + 100000",
		"d < DATE '9999-12-31' + 1 AND d > DATE '0001-01-01' - 1",
		"d < DATE '9999-12-31' + 1 OR d = DATE '2024-01-01'",
		"d < TIMESTAMP '9999-12-31 23:00:00' + INTERVAL '2 hours'",
		"d >= TIMESTAMP '9999-12-31 23:00:00' + INTERVAL '2 hours'",
		"d = TIMESTAMP '9999-12-31 23:00:00' + INTERVAL '2 hours'",
		"d > TIMESTAMP '0001-01-01 00:00:00' - INTERVAL '1 hour'",
		"d < TIMESTAMP '0001-01-01 00:00:00' - INTERVAL '1 hour'",
		"d < DATE '9999-12-31' + INTERVAL '1 day'", "d > DATE '0001-01-01' - INTERVAL '1 day'",
		"ts > TIMESTAMP '9999-12-31 23:00:00' + INTERVAL '2 hours'",
		"ts < TIMESTAMP '9999-12-31 23:00:00' + INTERVAL '2 hours'",
		"ts <= TIMESTAMP '9999-12-31 23:00:00' + INTERVAL '2 hours'",
		"ts = TIMESTAMP '9999-12-31 23:00:00' + INTERVAL '2 hours'",
		"ts <> TIMESTAMP '9999-12-31 23:00:00' + INTERVAL '2 hours'",
		"ts IN (TIMESTAMP '9999-12-31 23:00:00' + INTERVAL '2 hours', TIMESTAMP '9999-12-31 23:00:00')",
		"ts NOT IN (TIMESTAMP '9999-12-31 23:00:00' + INTERVAL '2 hours')",
		"ts BETWEEN TIMESTAMP '2000-01-01 00:00:00' AND TIMESTAMP '9999-12-31 23:00:00' + INTERVAL '2 hours'",
		"ts > TIMESTAMP '0001-01-01 00:00:00' - INTERVAL '2 hours'",
		"ts >= TIMESTAMP '0001-01-01 00:00:00' - INTERVAL '1 microsecond'",
		"ts < TIMESTAMP '0001-01-01 00:00:00' - INTERVAL '2 hours'",
		"ts = TIMESTAMP '0001-01-01 00:00:00' - INTERVAL '2 hours'",
		"ts < DATE '9999-12-31' + 1", "ts > DATE '9999-12-31' + 1", "ts = DATE '9999-12-31' + 1",
		"ts > DATE '0001-01-01' - 1", "ts <> DATE '0001-01-01' - 1",
		"ts < TIMESTAMP '9999-12-31 23:59:59.999999' + INTERVAL '1 microsecond'",
		// A date and a timestamp computed per row, compared as timestamps.
		"ts < d + 1", "ts = d + 1", "d + 1 > ts", "d < ts + INTERVAL '2 hours'", "d - 1 < ts - INTERVAL '2 hours'",
		// Not constants: evaluated once by the planner all the same.
		"d < CURRENT_DATE + 3000000", "d > CURRENT_DATE + 3000000", "d = CURRENT_DATE + 3000000",
		"d > CURRENT_DATE - 1000000", "ts < now() + INTERVAL '9000 years'", "ts > now() + INTERVAL '9000 years'",
		"ts > now() - INTERVAL '3000 years'",
		"d < COALESCE(DATE '9999-12-31' + 1, CURRENT_DATE)", "d > GREATEST(DATE '9999-12-31' + 1, CURRENT_DATE)",
		"ts < date_trunc('year', now()) + INTERVAL '9000 years'", "ts < to_timestamp(300000000000)",
		"ts = to_timestamp(300000000000)", "d IN (COALESCE(DATE '9999-12-31' + 1, CURRENT_DATE), DATE '0001-01-01')",
		// Integers against values past their type or with a fraction.
		"b < 9223372036854775808", "b <= 9223372036854775808", "b > 9223372036854775808", "b = 9223372036854775808",
		"b > -9223372036854775809", "b < -9223372036854775809", "b IN (9223372036854775808, 1)",
		"b BETWEEN 1 AND 9223372036854775808", "b BETWEEN -9223372036854775809 AND 0",
		"b < 1.5", "b <= 1.5", "b > 1.5", "b >= 1.5", "b = 1.5", "b IN (1.5, 2)", "b BETWEEN 0.5 AND 1.5",
		"b < 1e30", "b > -1e30", "b = 1e30", "b < 9223372036854775807.5", "b > 9223372036854775806.5",
		"b < 1.5::real", "b = 1::real", "b < 1.5::float8", "b = 2::float8", "b < 9223372036854775807::float8",
		"b >= 9223372036854775807::float8", "b = 9223372036854775807::float8", "b < 'NaN'::float8", "b > 'NaN'::float8",
		"b = 'NaN'::float8", "b <> 'NaN'::float8", "b IN ('NaN'::float8, 1)", "b < 'Infinity'::float8",
		"b > '-Infinity'::float8", "b < '1e300'::float8", "b < 2::numeric", "b = 9223372036854775808::numeric",

		"i < 2147483648", "i > 2147483647.5", "i >= 2147483647.5", "i = 1.0", "i < 9223372036854775808",
		"i > -9223372036854775809", "i < 'NaN'::float8", "i IN ('NaN'::float8)", "i BETWEEN -'1e300'::float8 AND '1e300'::float8",
		"i = 2147483647::float8", "i < 2147483647.5::real", "i > 2147483647::real", "i = 2::numeric",
		"s < 32768", "s > -32769", "s = 1.5", "s < 1e10", "s = 'NaN'::float8", "s > 32766.5", "s <= 32767.5::real",
		"s IN (32768, 1)", "s BETWEEN 32767 AND 1e10",
		// Floats against other numeric types and values past their range.
		"r < 1e39", "r > -1e39", "r = 1.5::float8", "r = 1.5", "r = 0.1", "r < 'NaN'::float8", "r = 'NaN'",
		"r > 'NaN'::float8", "r >= 'NaN'", "r > 3.4028235e38::float8", "r < 3.4028235e38::float8",
		"r = 1::bigint", "r < 9223372036854775807", "r IN ('NaN', 1.5)",
		"r BETWEEN 1 AND 'NaN'", "r = 3.4028235e38", "r = 0", "r = -0.0::float8",
		"f = 1.5::real", "f > 'NaN'",
		"f = 'NaN'", "f >= 'NaN'::real", "f < 'NaN'::real", "f = 2::bigint", "f = 9223372036854775807",
		"f < 'Infinity'", "f > '-Infinity'", "f = '-Infinity'", "f IN ('NaN', 1.5::real)", "f = 0", "f = -0.0::float8",
		// TEXT against text.
		"tx = '1'", "tx < 'zzz'", "tx > ''", "tx >= ''", "tx < ''", "tx IN ('a', NULL)", "tx NOT IN ('a', NULL)",
		"tx = 1::text", "tx = CAST(DATE '2024-01-01' AS TEXT)", "tx < 'zzz' || 'z'", "tx BETWEEN '' AND 'a'",
	}
	// A DATE or TIMESTAMP primary key against the same column without one.
	e.root().must(`CREATE TABLE app.pd (id DATE PRIMARY KEY, k INT); CREATE TABLE app.qd (id DATE, k INT);
		CREATE TABLE app.pt (id TIMESTAMP PRIMARY KEY, k INT); CREATE TABLE app.qt (id TIMESTAMP, k INT)`)
	for _, tbl := range []string{"pd", "qd"} {
		alice.must("INSERT INTO app." + tbl + " VALUES ('9999-12-31', 0), ('0001-01-01', 0), ('2024-01-01', 0)")
	}
	for _, tbl := range []string{"pt", "qt"} {
		alice.must("INSERT INTO app." + tbl + " VALUES ('9999-12-31 23:59:59.999999', 0), ('0001-01-01', 0), ('2024-01-01 10:00', 0)")
	}
	keys := []string{
		"id < DATE '9999-12-31' + 1", "id > DATE '9999-12-31' + 1", "id = DATE '9999-12-31' + 1",
		"id >= DATE '0001-01-01' - 1", "id < DATE '0001-01-01' - 1", "id <> DATE '0001-01-01' - 1",
		"id IN (DATE '9999-12-31' + 1, DATE '0001-01-01')", "id BETWEEN DATE '2000-01-01' AND DATE '9999-12-31' + 1",
		"id < TIMESTAMP '9999-12-31 23:00:00' + INTERVAL '2 hours'", "id = TIMESTAMP '9999-12-31 23:00:00' + INTERVAL '2 hours'",
		"id < CURRENT_DATE + 3000000", "id > CURRENT_DATE - 1000000", "id = CURRENT_DATE + 3000000",
		"id < now() + INTERVAL '9000 years'",
	}
	// Comparisons PostgreSQL refuses fail alike, with an index or without.
	refused := []string{
		"tx = 1", "tx < DATE '2024-01-01'", "d = 1", "b = 'abc'", "d < 'abc'", "ts = '10000-01-01'",
		"d = 'infinity'", "r = 'abc'", "b IN (1, 'x')", "d BETWEEN 1 AND 2",
	}
	for _, w := range refused {
		_, errIdx := alice.exec("SELECT id FROM app.eb WHERE " + w)
		_, errRef := alice.exec("SELECT id FROM app.ea WHERE " + w)
		if errIdx == nil || errRef == nil || apierror.CodeOf(errIdx) != apierror.CodeOf(errRef) {
			t.Errorf("WHERE %s: with an index %v, without %v; want the same error", w, errIdx, errRef)
		}
	}
	check := func(phase string) {
		sameWithIndex(alice, phase, "app.eb", "app.ea", wheres)
		sameWithIndex(alice, phase, "app.pd", "app.qd", keys)
		sameWithIndex(alice, phase, "app.pt", "app.qt", keys)
	}
	check("hot")
	for _, tbl := range []string{"ea", "eb", "pd", "qd", "pt", "qt"} {
		flushTable(t, e, "app."+tbl)
	}
	check("cold")
}

// TestIndexLookupByValueColumnCannotHold: a join or semi join that looks
// each row of its other side up in an index (or the primary key) by a
// value the column cannot hold (a date past 9999-12-31, a timestamp with a
// time of day for a DATE, 1.5 for an integer) finds no row, as the same
// statement without the index. The lookup read the whole index instead
// (a bound that does not convert widens a range), and a semi join, which
// keeps no filter over its lookups, took any row as a match.
func TestIndexLookupByValueColumnCannotHold(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app;
		CREATE TABLE app.a (id BIGINT PRIMARY KEY, d DATE, ts TIMESTAMP, f DOUBLE, n DECIMAL(10, 2), k INT);
		CREATE TABLE app.bi (id BIGINT PRIMARY KEY, d DATE, ts TIMESTAMP, i INT, k INT);
		CREATE TABLE app.bn (id BIGINT PRIMARY KEY, d DATE, ts TIMESTAMP, i INT, k INT);
		CREATE TABLE app.pi (id INT PRIMARY KEY, k INT); CREATE TABLE app.pn (id INT, k INT);
		CREATE TABLE app.pd (id DATE PRIMARY KEY, k INT); CREATE TABLE app.qd (id DATE, k INT)`)
	for _, c := range []string{"d", "ts", "i"} {
		createIndex(t, e, fmt.Sprintf("CREATE INDEX bi_%s ON app.bi (%s)", c, c))
	}
	alice := e.as("alice", systable.RoleUser)
	alice.must(`INSERT INTO app.a VALUES (1, '9999-12-31', '9999-12-31 23:00', 1.5, 1.5, 0), (2, '0001-01-01', '0001-01-01', 2, 2, 0),
		(3, '2024-01-01', '2024-01-01 10:00', 3, 2.5, 0), (4, '2024-01-02', '2024-01-02', 1e20, 3, 0), (5, NULL, NULL, NULL, NULL, 0)`)
	for _, tbl := range []string{"bi", "bn"} {
		alice.must("INSERT INTO app." + tbl + ` VALUES (1, '9999-12-31', '9999-12-31 23:00', 1, 0), (2, '0001-01-01', '0001-01-01', 2, 0),
			(3, '2024-01-02', '2024-01-01 10:00', 3, 0), (4, '2024-01-03', '2024-01-02', 4, 0), (5, NULL, NULL, NULL, 0)`)
	}
	for _, tbl := range []string{"pi", "pn"} {
		alice.must("INSERT INTO app." + tbl + " VALUES (1, 0), (2, 0), (3, 0), (4, 0)")
	}
	for _, tbl := range []string{"pd", "qd"} {
		alice.must("INSERT INTO app." + tbl + " VALUES ('9999-12-31', 0), ('0001-01-01', 0), ('2024-01-02', 0), ('2024-01-03', 0)")
	}
	// Each statement reads $T, the indexed table, then its twin without.
	pairs := []struct {
		indexed, plain string
		queries        []string
	}{
		{"app.bi", "app.bn", []string{
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.d = a.d + 1) ORDER BY 1",
			"SELECT a.id FROM app.a a WHERE NOT EXISTS (SELECT 1 FROM $T b WHERE b.d = a.d + 1) ORDER BY 1",
			"SELECT a.id FROM app.a a WHERE a.d + 1 IN (SELECT d FROM $T) ORDER BY 1",
			"SELECT a.id, b.id FROM app.a a JOIN $T b ON b.d = a.d + 1 ORDER BY 1, 2",
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.d = a.d - 1) ORDER BY 1",
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.ts = a.ts + INTERVAL '2 hours') ORDER BY 1",
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.ts = a.d + 1) ORDER BY 1",
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.d = a.ts + INTERVAL '2 hours') ORDER BY 1",
			"SELECT a.id, b.id FROM app.a a JOIN $T b ON b.ts < a.d + 1 ORDER BY 1, 2",
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.i = a.f) ORDER BY 1",
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.i = a.id + 0.5) ORDER BY 1",
			"SELECT a.id FROM app.a a WHERE a.id + 0.5 IN (SELECT i FROM $T) ORDER BY 1",
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.i = a.id * 10000000000) ORDER BY 1",
			// A decimal join key: 2.00 equals 2 (a hash join took neither).
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.i = a.n) ORDER BY 1",
			"SELECT a.id, b.id FROM app.a a JOIN $T b ON b.i = a.n ORDER BY 1, 2",
			"SELECT a.id FROM app.a a WHERE a.n IN (SELECT i FROM $T) ORDER BY 1",
			// With the other side bound by its primary key, the join reads
			// it first and looks each row up in the index (preferJoinLookup).
			"SELECT a.id, b.id FROM app.a a JOIN $T b ON b.i = a.n WHERE a.id IN (1, 2, 3, 4, 5) ORDER BY 1, 2",
			"SELECT a.id, b.id FROM app.a a JOIN $T b ON b.i = a.f WHERE a.id IN (1, 2, 3, 4, 5) ORDER BY 1, 2",
			"SELECT a.id, b.id FROM app.a a LEFT JOIN $T b ON b.d = a.d + 1 WHERE a.id IN (1, 2, 3, 4, 5) ORDER BY 1, 2",
			"SELECT a.id, b.id FROM app.a a JOIN $T b ON b.ts = a.ts + INTERVAL '2 hours' WHERE a.id IN (1, 3, 5) ORDER BY 1, 2",
			"SELECT a.id, b.id FROM app.a a JOIN $T b ON b.d = a.ts WHERE a.id IN (1, 2, 3, 4) ORDER BY 1, 2",
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.d = a.ts) ORDER BY 1",
			// A DATE compared with a time of day, as PostgreSQL compares
			// it: the date at midnight.
			"SELECT id FROM $T WHERE d < TIMESTAMP '2024-01-02 10:00' ORDER BY 1",
			"SELECT id FROM $T WHERE d <= TIMESTAMP '2024-01-02 10:00' ORDER BY 1",
			"SELECT id FROM $T WHERE d > TIMESTAMP '2024-01-02 10:00' ORDER BY 1",
			"SELECT id FROM $T WHERE d = TIMESTAMP '2024-01-02 10:00' ORDER BY 1",
			"SELECT id FROM $T WHERE d IN (TIMESTAMP '2024-01-02 10:00', TIMESTAMP '2024-01-03') ORDER BY 1",
		}},
		{"app.pi", "app.pn", []string{
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.id = a.id + 0.5) ORDER BY 1",
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.id = a.f) ORDER BY 1",
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.id = a.n) ORDER BY 1",
			"SELECT a.id, b.id FROM app.a a JOIN $T b ON b.id = a.n ORDER BY 1, 2",
		}},
		{"app.pd", "app.qd", []string{
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.id = a.d + 1) ORDER BY 1",
			"SELECT a.id FROM app.a a WHERE a.d + 1 IN (SELECT id FROM $T) ORDER BY 1",
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.id = a.d - 1) ORDER BY 1",
			"SELECT a.id FROM app.a a WHERE EXISTS (SELECT 1 FROM $T b WHERE b.id = a.ts) ORDER BY 1",
			"SELECT a.id, b.k FROM app.a a JOIN $T b ON b.id = a.ts WHERE a.id IN (1, 2, 3, 4) ORDER BY 1, 2",
		}},
	}
	check := func(phase string) {
		for _, p := range pairs {
			for _, q := range p.queries {
				resIdx, errIdx := alice.exec(strings.ReplaceAll(q, "$T", p.indexed))
				resRef, errRef := alice.exec(strings.ReplaceAll(q, "$T", p.plain))
				if errRef != nil {
					t.Errorf("%s: %s without an index: %v", phase, strings.ReplaceAll(q, "$T", p.plain), errRef)
					continue
				}
				if got, want := describeAll(resIdx, errIdx), describeAll(resRef, nil); got != want {
					t.Errorf("%s: %s\n with an index: %s %v\n without:       %s", phase, q, got, errIdx, want)
				}
			}
		}
	}
	// Decimals of different scales join by value.
	e.root().must("CREATE TABLE app.c (id BIGINT PRIMARY KEY, m DECIMAL(12, 4))")
	alice.must("INSERT INTO app.c VALUES (1, 1.5), (2, 2), (3, 3)")
	if got, want := idList(alice, "SELECT a.id FROM app.a a JOIN app.c c ON c.m = a.n ORDER BY 1"), "1,2,4"; got != want {
		t.Errorf("decimal join: [%s], want [%s]", got, want)
	}
	if got, want := idList(alice, "SELECT a.id FROM app.a a WHERE a.n IN (SELECT m FROM app.c) ORDER BY 1"), "1,2,4"; got != want {
		t.Errorf("decimal IN subquery: [%s], want [%s]", got, want)
	}
	check("hot")
	for _, tbl := range []string{"a", "bi", "bn", "pi", "pn", "pd", "qd"} {
		flushTable(t, e, "app."+tbl)
	}
	check("cold")
}
