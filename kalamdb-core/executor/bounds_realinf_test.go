package executor_test

import (
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestRealInfinityBounds: a REAL column compared with ±Infinity (literal
// or parameter) keeps the rows at ±FLT_MAX, with an index as without, hot
// and cold, in SELECT, UPDATE and DELETE (the index ranges converted the
// infinity to ±FLT_MAX and kept the strict bound). Expected answers are
// PostgreSQL 15's.
func TestRealInfinityBounds(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app;
		CREATE TABLE app.fa (id BIGINT PRIMARY KEY, r REAL, k INT);
		CREATE TABLE app.fb (id BIGINT PRIMARY KEY, r REAL, k INT)`)
	createIndex(t, e, "CREATE INDEX fb_r ON app.fb (r)")
	alice := e.as("alice", systable.RoleUser)
	for _, tbl := range []string{"fa", "fb"} {
		alice.must(`INSERT INTO app.` + tbl + ` VALUES (1, '3.4028234e38', 0), (2, 1, 0), (3, '-3.4028234e38', 0),
			(4, NULL, 0), (5, 'NaN', 0), (6, 0, 0)`)
	}
	selects := []struct {
		where string
		param any
		want  string
	}{
		{"r < 'Infinity'", nil, "1,2,3,6"},
		{"r <= 'Infinity'", nil, "1,2,3,6"},
		{"r <> 'Infinity'", nil, "1,2,3,5,6"},
		{"r NOT IN ('Infinity')", nil, "1,2,3,5,6"},
		{"r NOT IN ('Infinity', '-Infinity')", nil, "1,2,3,5,6"},
		{"r IN ('Infinity', 1)", nil, "2"},
		{"r NOT BETWEEN 'Infinity' AND 'Infinity'", nil, "1,2,3,5,6"},
		{"r BETWEEN '-Infinity' AND 'Infinity'", nil, "1,2,3,6"},
		{"r > '-Infinity'", nil, "1,2,3,5,6"},
		{"r >= '-Infinity'", nil, "1,2,3,5,6"},
		{"r <> '-Infinity'", nil, "1,2,3,5,6"},
		{"'-Infinity' < r", nil, "1,2,3,5,6"},
		{"r = 'Infinity'", nil, ""},
		{"r > 'Infinity'", nil, "5"},
		{"r < '-Infinity'", nil, ""},
		{"r < 'inf'", nil, "1,2,3,6"},
		{"r < 'Infinity'::real", nil, "1,2,3,6"},
		{"r < 'Infinity'::float8", nil, "1,2,3,6"},
		{"r < 'Infinity' AND r > 1e30", nil, "1"},
		{"NOT (r > 1e39)", nil, "1,2,3,6"},
		{"NOT (r < -1e39)", nil, "1,2,3,5,6"},
		{"r > 1e39", nil, "5"},
		{"r <> 1e39", nil, "1,2,3,5,6"},
		{"r <= 1e39", nil, "1,2,3,6"},
		{"r >= -1e39", nil, "1,2,3,5,6"},
		{"r < $1", "Infinity", "1,2,3,6"},
		{"r < $1", "inf", "1,2,3,6"},
		{"r > $1", "-Infinity", "1,2,3,5,6"},
		{"r <> $1", "Infinity", "1,2,3,5,6"},
	}
	check := func(phase string) {
		for _, tbl := range []string{"fa", "fb"} {
			for _, c := range selects {
				q := "SELECT id FROM app." + tbl + " WHERE " + c.where + " ORDER BY id"
				var got string
				if c.param != nil {
					got = idList(alice, q, c.param)
				} else {
					got = idList(alice, q)
				}
				if got != c.want {
					t.Errorf("%s: %s %v: got [%s], want [%s]", phase, q, c.param, got, c.want)
				}
			}
			for where, want := range map[string]int64{"r < 'Infinity'": 4, "r < 'Infinity'::real": 4, "r >= '-Infinity'::real": 5, "r > '-Infinity'": 5, "r NOT IN ('Infinity')": 5} {
				q := fmt.Sprintf("UPDATE app.%s SET k = k + 1 WHERE %s", tbl, where)
				if got := alice.must(q)[0].RowCount; got != want {
					t.Errorf("%s: %s: %d rows, want %d", phase, q, got, want)
				}
			}
		}
	}
	check("hot")
	for _, tbl := range []string{"fa", "fb"} {
		flushTable(t, e, "app."+tbl)
	}
	check("cold")
	for _, tbl := range []string{"fa", "fb"} {
		deleteLeaves(alice, "app."+tbl, "r <> 'Infinity'", 5, "4")
	}
}
