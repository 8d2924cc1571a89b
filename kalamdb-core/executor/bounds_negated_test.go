package executor_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// idList runs a query selecting ids and returns them joined by commas, in
// the order the query gives (ORDER BY id in the statements).
func idList(c *caller, sqlText string, params ...any) string {
	c.e.t.Helper()
	res := c.must(sqlText, params...)
	ids := make([]string, len(res[0].Rows))
	for i, r := range res[0].Rows {
		ids[i] = fmt.Sprint(r[0])
	}
	return strings.Join(ids, ",")
}

// deleteLeaves runs DELETE FROM table WHERE where, which must delete n
// rows and leave the ids left (as idList gives them).
func deleteLeaves(c *caller, table, where string, n int64, left string) {
	c.e.t.Helper()
	q := "DELETE FROM " + table + " WHERE " + where
	if got := c.must(q)[0].RowCount; got != n {
		c.e.t.Errorf("%s: %d rows, want %d", q, got, n)
	}
	if got := idList(c, "SELECT id FROM "+table+" ORDER BY id"); got != left {
		c.e.t.Errorf("after %s: [%s], want [%s]", q, got, left)
	}
}

// whereCase is a WHERE, the ids it selects (as idList gives them) and
// its parameter (nil: none).
type whereCase struct {
	where, want string
	param       any
}

// checkWheres runs SELECT id FROM table WHERE ... ORDER BY id for each
// case on each table.
func checkWheres(c *caller, phase string, tables []string, cases []whereCase) {
	c.e.t.Helper()
	for _, tbl := range tables {
		for _, w := range cases {
			q := "SELECT id FROM " + tbl + " WHERE " + w.where + " ORDER BY id"
			var params []any
			if w.param != nil {
				params = []any{w.param}
			}
			if got := idList(c, q, params...); got != w.want {
				c.e.t.Errorf("%s: %s %v: got [%s], want [%s]", phase, q, params, got, w.want)
			}
		}
	}
}

// checkUpdates runs UPDATE table SET k = k + 1 WHERE ... on each table,
// which must count the rows given (every matched row changes).
func checkUpdates(c *caller, phase string, tables []string, counts map[string]int64) {
	c.e.t.Helper()
	for _, tbl := range tables {
		for where, want := range counts {
			q := "UPDATE " + tbl + " SET k = k + 1 WHERE " + where
			if got := c.must(q)[0].RowCount; got != want {
				c.e.t.Errorf("%s: %s: %d rows, want %d", phase, q, got, want)
			}
		}
	}
}

// TestNegatedEqualityBeyondIntegerRange: <>, NOT IN and NOT (=) with a
// constant an integer column cannot hold keep the rows at the type's
// limits, through the primary key and secondary indexes, hot and cold, in
// SELECT, UPDATE and DELETE (the index ranges clamped the constant to the
// limit and cut it out). Expected answers are PostgreSQL 15's.
func TestNegatedEqualityBeyondIntegerRange(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app;
		CREATE TABLE app.ia (id BIGINT PRIMARY KEY, b BIGINT, i INT, s SMALLINT, k INT);
		CREATE TABLE app.ib (id BIGINT PRIMARY KEY, b BIGINT, i INT, s SMALLINT, k INT);
		CREATE TABLE app.pk (id BIGINT PRIMARY KEY, k INT)`)
	for _, ix := range []string{"b", "i", "s"} {
		createIndex(t, e, fmt.Sprintf("CREATE INDEX ib_%s ON app.ib (%s)", ix, ix))
	}
	alice := e.as("alice", systable.RoleUser)
	for _, tbl := range []string{"ia", "ib"} {
		alice.must(`INSERT INTO app.` + tbl + ` VALUES (1, 9223372036854775807, 2147483647, 32767, 0),
			(2, -9223372036854775808, -2147483648, -32768, 0), (3, 0, 0, 0, 0), (4, 1, 1, 1, 0), (5, NULL, NULL, NULL, 0)`)
	}
	alice.must(`INSERT INTO app.pk VALUES (9223372036854775807, 0), (-9223372036854775808, 0), (5, 0)`)

	selects := []whereCase{
		{"b <> 9223372036854775808", "1,2,3,4", nil},
		{"b <> -9223372036854775809", "1,2,3,4", nil},
		{"b <> 1e30", "1,2,3,4", nil},
		{"b <> -1e30", "1,2,3,4", nil},
		{"9223372036854775808 <> b", "1,2,3,4", nil},
		{"b NOT IN (1e30, 5)", "1,2,3,4", nil},
		{"b NOT IN (1e30, 0)", "1,2,4", nil},
		{"b NOT IN (1e30, NULL)", "", nil},
		{"(b NOT IN (1e30, NULL)) IS NULL", "1,2,3,4,5", nil},
		{"b IN (1e30, 1)", "4", nil},
		{"b IN (1e30, -1e30)", "", nil},
		{"b = 1e30", "", nil},
		{"NOT (b = 1e30)", "1,2,3,4", nil},
		{"(b = 1e30) IS NULL", "5", nil},
		{"b IS DISTINCT FROM 1e30", "1,2,3,4,5", nil},
		{"i <> 2147483648", "1,2,3,4", nil},
		{"i NOT IN (2147483648)", "1,2,3,4", nil},
		{"i <> -2147483649", "1,2,3,4", nil},
		{"i <> 9223372036854775807.0", "1,2,3,4", nil},
		{"i <> 2147483647.5", "1,2,3,4", nil},
		{"i = 2147483647.5", "", nil},
		{"s <> 32768", "1,2,3,4", nil},
		{"s <> -32769", "1,2,3,4", nil},
		{"s NOT IN (32768, -32769)", "1,2,3,4", nil},
		{"NOT (s IN (32768))", "1,2,3,4", nil},
	}
	pkSelects := []whereCase{
		{"id <> 9223372036854775808 AND id > 100", "9223372036854775807", nil},
		{"id NOT IN (9223372036854775808) AND id > 100", "9223372036854775807", nil},
		{"id <> -9223372036854775809 AND id < 100", "-9223372036854775808,5", nil},
		{"NOT (id = 1e30)", "-9223372036854775808,5,9223372036854775807", nil},
		{"id NOT IN (1e30, -1e30)", "-9223372036854775808,5,9223372036854775807", nil},
		{"id <> $1 AND id > 100", "9223372036854775807", json.Number("9223372036854775808")},
	}
	updates := map[string]int64{
		"s <> 32768":                                        4,
		"b NOT IN (9223372036854775808)":                    4,
		"NOT (i = -2147483649)":                             4,
		"s <> 32768::numeric":                               4,
		"b NOT IN (CAST('9223372036854775808' AS NUMERIC))": 4,
		"i < 2147483648::numeric":                           4,
	}
	check := func(phase string) {
		checkWheres(alice, phase, []string{"app.ia", "app.ib"}, selects)
		checkWheres(alice, phase, []string{"app.pk"}, pkSelects)
		checkUpdates(alice, phase, []string{"app.ia", "app.ib"}, updates)
		checkUpdates(alice, phase, []string{"app.pk"}, map[string]int64{"id <> 9223372036854775808": 3})
	}
	check("hot")
	for _, tbl := range []string{"ia", "ib", "pk"} {
		flushTable(t, e, "app."+tbl)
	}
	check("cold")
	for _, tbl := range []string{"ia", "ib"} {
		deleteLeaves(alice, "app."+tbl, "b NOT IN (9223372036854775808)", 4, "5")
	}
	deleteLeaves(alice, "app.pk", "id <> -9223372036854775809", 3, "")
}

// TestNegatedEqualityDateWithTimeOfDay: a DATE column compared with <>,
// NOT IN or NOT (=) to a timestamp with a time of day keeps the row of
// that date through an index, hot and cold, in SELECT, UPDATE and DELETE
// (the index ranges truncated the timestamp to its date and cut the date
// out; an UPDATE's or DELETE's WHERE also lost dt < timestamp, whose cast
// the engine had not folded yet). Expected answers are PostgreSQL 15's.
func TestNegatedEqualityDateWithTimeOfDay(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app;
		CREATE TABLE app.da (id BIGINT PRIMARY KEY, dt DATE, k INT);
		CREATE TABLE app.db (id BIGINT PRIMARY KEY, dt DATE, k INT)`)
	createIndex(t, e, "CREATE INDEX db_dt ON app.db (dt)")
	alice := e.as("alice", systable.RoleUser)
	for _, tbl := range []string{"da", "db"} {
		alice.must("INSERT INTO app." + tbl + " VALUES (1, '2024-01-01', 0), (2, '2024-01-02', 0), (3, NULL, 0)")
	}
	selects := []whereCase{
		{"dt <> timestamp '2024-01-01 10:00'", "1,2", nil},
		{"dt NOT IN (timestamp '2024-01-01 10:00', '2024-01-02')", "1", nil},
		{"NOT (dt = timestamp '2024-01-01 10:00')", "1,2", nil},
		{"dt = timestamp '2024-01-01 10:00'", "", nil},
		{"(dt = timestamp '2024-01-01 10:00') IS NULL", "3", nil},
		{"dt IS DISTINCT FROM timestamp '2024-01-01 10:00'", "1,2,3", nil},
		{"dt = timestamp '2024-01-01 00:00'", "1", nil},
		{"dt <> '2024-01-01 10:00'", "2", nil}, // an untyped literal is read as a DATE
	}
	check := func(phase string) {
		checkWheres(alice, phase, []string{"app.da", "app.db"}, selects)
		checkUpdates(alice, phase, []string{"app.da", "app.db"}, map[string]int64{
			"dt <> timestamp '2024-01-01 10:00'": 2,
			"dt < timestamp '2024-01-01 10:00'":  1,
			"dt >= timestamp '2024-01-01 10:00'": 1,
		})
	}
	check("hot")
	for _, tbl := range []string{"da", "db"} {
		flushTable(t, e, "app."+tbl)
	}
	check("cold")
	for _, tbl := range []string{"da", "db"} {
		deleteLeaves(alice, "app."+tbl, "dt NOT IN (timestamp '2024-01-01 10:00')", 2, "3")
	}
}
