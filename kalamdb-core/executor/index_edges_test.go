package executor_test

import (
	"fmt"
	"strings"
	"testing"

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
			"DELETE FROM $T WHERE " + w + " AND id < 0",
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
	}
	check := func(phase string) {
		sameWithIndex(alice, phase, "app.eb", "app.ea", wheres)
	}
	check("hot")
	for _, tbl := range []string{"ea", "eb"} {
		flushTable(t, e, "app."+tbl)
	}
	check("cold")
}
