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

	selects := []struct{ where, want string }{
		{"b <> 9223372036854775808", "1,2,3,4"},
		{"b <> -9223372036854775809", "1,2,3,4"},
		{"b <> 1e30", "1,2,3,4"},
		{"b <> -1e30", "1,2,3,4"},
		{"9223372036854775808 <> b", "1,2,3,4"},
		{"b NOT IN (1e30, 5)", "1,2,3,4"},
		{"b NOT IN (1e30, 0)", "1,2,4"},
		{"b NOT IN (1e30, NULL)", ""},
		{"(b NOT IN (1e30, NULL)) IS NULL", "1,2,3,4,5"},
		{"b IN (1e30, 1)", "4"},
		{"b IN (1e30, -1e30)", ""},
		{"b = 1e30", ""},
		{"NOT (b = 1e30)", "1,2,3,4"},
		{"(b = 1e30) IS NULL", "5"},
		{"b IS DISTINCT FROM 1e30", "1,2,3,4,5"},
		{"i <> 2147483648", "1,2,3,4"},
		{"i NOT IN (2147483648)", "1,2,3,4"},
		{"i <> -2147483649", "1,2,3,4"},
		{"i <> 9223372036854775807.0", "1,2,3,4"},
		{"i <> 2147483647.5", "1,2,3,4"},
		{"i = 2147483647.5", ""},
		{"s <> 32768", "1,2,3,4"},
		{"s <> -32769", "1,2,3,4"},
		{"s NOT IN (32768, -32769)", "1,2,3,4"},
		{"NOT (s IN (32768))", "1,2,3,4"},
	}
	pkSelects := []struct{ where, want string }{
		{"id <> 9223372036854775808 AND id > 100", "9223372036854775807"},
		{"id NOT IN (9223372036854775808) AND id > 100", "9223372036854775807"},
		{"id <> -9223372036854775809 AND id < 100", "-9223372036854775808,5"},
		{"NOT (id = 1e30)", "-9223372036854775808,5,9223372036854775807"},
		{"id NOT IN (1e30, -1e30)", "-9223372036854775808,5,9223372036854775807"},
	}
	updates := []struct {
		where string
		want  int64
	}{
		{"s <> 32768", 4},
		{"b NOT IN (9223372036854775808)", 4},
		{"NOT (i = -2147483649)", 4},
		{"s <> 32768::numeric", 4},
		{"b NOT IN (CAST('9223372036854775808' AS NUMERIC))", 4},
		{"i < 2147483648::numeric", 4},
	}
	check := func(phase string) {
		for _, tbl := range []string{"ia", "ib"} {
			for _, c := range selects {
				q := "SELECT id FROM app." + tbl + " WHERE " + c.where + " ORDER BY id"
				if got := idList(alice, q); got != c.want {
					t.Errorf("%s: %s: got [%s], want [%s]", phase, q, got, c.want)
				}
			}
		}
		for _, c := range pkSelects {
			q := "SELECT id FROM app.pk WHERE " + c.where + " ORDER BY id"
			if got := idList(alice, q); got != c.want {
				t.Errorf("%s: %s: got [%s], want [%s]", phase, q, got, c.want)
			}
		}
		if got := idList(alice, "SELECT id FROM app.pk WHERE id <> $1 AND id > 100 ORDER BY id", json.Number("9223372036854775808")); got != "9223372036854775807" {
			t.Errorf("%s: id <> $1 [9223372036854775808]: got [%s]", phase, got)
		}
		for _, tbl := range []string{"ia", "ib"} {
			for _, c := range updates {
				q := "UPDATE app." + tbl + " SET k = k + 1 WHERE " + c.where
				if got := alice.must(q)[0].RowCount; got != c.want {
					t.Errorf("%s: %s: %d rows, want %d", phase, q, got, c.want)
				}
			}
		}
		q := "UPDATE app.pk SET k = k + 1 WHERE id <> 9223372036854775808"
		if got := alice.must(q)[0].RowCount; got != 3 {
			t.Errorf("%s: %s: %d rows, want 3", phase, q, got)
		}
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
	selects := []struct{ where, want string }{
		{"dt <> timestamp '2024-01-01 10:00'", "1,2"},
		{"dt NOT IN (timestamp '2024-01-01 10:00', '2024-01-02')", "1"},
		{"NOT (dt = timestamp '2024-01-01 10:00')", "1,2"},
		{"dt = timestamp '2024-01-01 10:00'", ""},
		{"(dt = timestamp '2024-01-01 10:00') IS NULL", "3"},
		{"dt IS DISTINCT FROM timestamp '2024-01-01 10:00'", "1,2,3"},
		{"dt = timestamp '2024-01-01 00:00'", "1"},
		{"dt <> '2024-01-01 10:00'", "2"}, // an untyped literal is read as a DATE
	}
	check := func(phase string) {
		for _, tbl := range []string{"da", "db"} {
			for _, c := range selects {
				q := "SELECT id FROM app." + tbl + " WHERE " + c.where + " ORDER BY id"
				if got := idList(alice, q); got != c.want {
					t.Errorf("%s: %s: got [%s], want [%s]", phase, q, got, c.want)
				}
			}
			for where, want := range map[string]int64{
				"dt <> timestamp '2024-01-01 10:00'": 2,
				"dt < timestamp '2024-01-01 10:00'":  1,
				"dt >= timestamp '2024-01-01 10:00'": 1,
			} {
				q := "UPDATE app." + tbl + " SET k = k + 1 WHERE " + where
				if got := alice.must(q)[0].RowCount; got != want {
					t.Errorf("%s: %s: %d rows, want %d", phase, q, got, want)
				}
			}
		}
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
