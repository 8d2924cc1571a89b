package executor_test

import (
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
	selects := []whereCase{
		{"r < 'Infinity'", "1,2,3,6", nil},
		{"r <= 'Infinity'", "1,2,3,6", nil},
		{"r <> 'Infinity'", "1,2,3,5,6", nil},
		{"r NOT IN ('Infinity')", "1,2,3,5,6", nil},
		{"r NOT IN ('Infinity', '-Infinity')", "1,2,3,5,6", nil},
		{"r IN ('Infinity', 1)", "2", nil},
		{"r NOT BETWEEN 'Infinity' AND 'Infinity'", "1,2,3,5,6", nil},
		{"r BETWEEN '-Infinity' AND 'Infinity'", "1,2,3,6", nil},
		{"r > '-Infinity'", "1,2,3,5,6", nil},
		{"r >= '-Infinity'", "1,2,3,5,6", nil},
		{"r <> '-Infinity'", "1,2,3,5,6", nil},
		{"'-Infinity' < r", "1,2,3,5,6", nil},
		{"r = 'Infinity'", "", nil},
		{"r > 'Infinity'", "5", nil},
		{"r < '-Infinity'", "", nil},
		{"r < 'inf'", "1,2,3,6", nil},
		{"r < 'Infinity'::real", "1,2,3,6", nil},
		{"r < 'Infinity'::float8", "1,2,3,6", nil},
		{"r < 'Infinity' AND r > 1e30", "1", nil},
		{"NOT (r > 1e39)", "1,2,3,6", nil},
		{"NOT (r < -1e39)", "1,2,3,5,6", nil},
		{"r > 1e39", "5", nil},
		{"r <> 1e39", "1,2,3,5,6", nil},
		{"r <= 1e39", "1,2,3,6", nil},
		{"r >= -1e39", "1,2,3,5,6", nil},
		{"r < $1", "1,2,3,6", "Infinity"},
		{"r < $1", "1,2,3,6", "inf"},
		{"r > $1", "1,2,3,5,6", "-Infinity"},
		{"r <> $1", "1,2,3,5,6", "Infinity"},
	}
	check := func(phase string) {
		checkWheres(alice, phase, []string{"app.fa", "app.fb"}, selects)
		checkUpdates(alice, phase, []string{"app.fa", "app.fb"}, map[string]int64{
			"r < 'Infinity'": 4, "r < 'Infinity'::real": 4, "r >= '-Infinity'::real": 5,
			"r > '-Infinity'": 5, "r NOT IN ('Infinity')": 5,
		})
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
