package executor_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Float constants that a column's type does not hold exactly, compared
// as PostgreSQL 15 compares them (the answers are its, for these rows):
// with a DOUBLE the constant is the nearest double; with a REAL a number
// is compared as a double, an untyped literal is read as a REAL, and an
// IN list of numbers is a list of REALs.

const floatRows = `(1,'0.1','0.1'),(2,'0.5','0.5'),(3,'16777216','16777216'),(4,'3.4e38','3.4e38'),(5,'0.30000000000000004','0.30000001192092896'),(6,'NaN','NaN'),(7,'Infinity',NULL),(8,'-Infinity',NULL),(9,'0','0'),(10,'-0','-0'),(11,NULL,NULL),(12,'1e-300','1e-45'),(13,'9007199254740992','2'),(14,'1.5','1.5'),(15,'-1.5','-1.5'),(16,'2','0.100000001'),(17,'0.1000000000000000055511151231257827','0.3')`

var floatCases = []struct {
	cond string
	want []int64
}{
	{"d = 0.1", []int64{1, 17}},
	{"d = '0.1'", []int64{1, 17}},
	{"d IN (0.1, 0.5)", []int64{1, 2, 17}},
	{"d IN ('0.1', 0.5)", []int64{1, 2, 17}},
	{"d IN (0.1)", []int64{1, 17}},
	{"d IN (16777217, 1)", []int64{}},
	{"d = 16777217", []int64{}},
	{"d < 0.1", []int64{8, 9, 10, 12, 15}},
	{"d <= 0.1", []int64{1, 8, 9, 10, 12, 15, 17}},
	{"d > 0.1", []int64{2, 3, 4, 5, 6, 7, 13, 14, 16}},
	{"d >= 0.1", []int64{1, 2, 3, 4, 5, 6, 7, 13, 14, 16, 17}},
	{"d < 0.3", []int64{1, 8, 9, 10, 12, 15, 17}},
	{"d > 0.3", []int64{2, 3, 4, 5, 6, 7, 13, 14, 16}},
	{"d <> 0.1", []int64{2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16}},
	{"d NOT IN (0.1, 0.5)", []int64{3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16}},
	{"d BETWEEN 0.1 AND 0.5", []int64{1, 2, 5, 17}},
	{"d BETWEEN '0.1' AND '0.5'", []int64{1, 2, 5, 17}},
	{"d = 3.4e38", []int64{4}},
	{"d < 1e39", []int64{1, 2, 3, 4, 5, 8, 9, 10, 12, 13, 14, 15, 16, 17}},
	{"d > 1e39", []int64{6, 7}},
	{"d <= 1e39", []int64{1, 2, 3, 4, 5, 8, 9, 10, 12, 13, 14, 15, 16, 17}},
	{"d >= -1e39", []int64{1, 2, 3, 4, 5, 6, 7, 9, 10, 12, 13, 14, 15, 16, 17}},
	{"d = 9007199254740993", []int64{13}},
	{"d IN (0.1, 'NaN')", []int64{1, 6, 17}},
	{"d = 0.30000000000000004", []int64{5}},
	{"d = 0.30000001192092896", []int64{}},
	{"d > 0.30000001192092895", []int64{2, 3, 4, 6, 7, 13, 14, 16}},
	{"d > '0.1'", []int64{2, 3, 4, 5, 6, 7, 13, 14, 16}},
	{"d < '0.3'", []int64{1, 8, 9, 10, 12, 15, 17}},
	{"d IN (1e39, 1)", []int64{}},
	{"d = '1e39'", []int64{}},
	{"d IN (0.1, NULL)", []int64{1, 17}},
	{"d NOT IN (0.1, NULL)", []int64{}},
	{"d IN (0.1, 0.1::float8)", []int64{1, 17}},
	{"d IN (0.1::real, 0.5)", []int64{2}},
	{"d = 0.100000001", []int64{}},
	{"d IN (0.100000001, 2)", []int64{16}},
	{"d >= 0.1 AND d < 0.5", []int64{1, 5, 17}},
	{"d = -0.0", []int64{9, 10}},
	{"d < 0", []int64{8, 15}},
	{"d <= -0.0", []int64{8, 9, 10, 15}},
	{"d IN (-0.0, 2)", []int64{9, 10, 16}},
	{"d = 0.1::real", []int64{}},
	{"d = 1.5", []int64{14}},
	{"d IN (1.5, 2.5)", []int64{14}},
	{"d <> '0.1'", []int64{2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16}},
	{"d = 0.3", []int64{}},
	{"0.1 = d", []int64{1, 17}},
	{"0.1 < d", []int64{2, 3, 4, 5, 6, 7, 13, 14, 16}},
	{"'0.1' = d", []int64{1, 17}},
	{"0.3 >= d", []int64{1, 8, 9, 10, 12, 15, 17}},
	{"r = 0.1", []int64{}},
	{"r = '0.1'", []int64{1, 16}},
	{"r IN (0.1, 0.5)", []int64{1, 2, 16}},
	{"r IN ('0.1', 0.5)", []int64{1, 2, 16}},
	{"r IN (0.1)", []int64{}},
	{"r IN (16777217, 1)", []int64{3}},
	{"r = 16777217", []int64{}},
	{"r < 0.1", []int64{9, 10, 12, 15}},
	{"r <= 0.1", []int64{9, 10, 12, 15}},
	{"r > 0.1", []int64{1, 2, 3, 4, 5, 6, 13, 14, 16, 17}},
	{"r >= 0.1", []int64{1, 2, 3, 4, 5, 6, 13, 14, 16, 17}},
	{"r < 0.3", []int64{1, 9, 10, 12, 15, 16}},
	{"r > 0.3", []int64{2, 3, 4, 5, 6, 13, 14, 17}},
	{"r <> 0.1", []int64{1, 2, 3, 4, 5, 6, 9, 10, 12, 13, 14, 15, 16, 17}},
	{"r NOT IN (0.1, 0.5)", []int64{3, 4, 5, 6, 9, 10, 12, 13, 14, 15, 17}},
	{"r BETWEEN 0.1 AND 0.5", []int64{1, 2, 5, 16, 17}},
	{"r BETWEEN '0.1' AND '0.5'", []int64{1, 2, 5, 16, 17}},
	{"r = 3.4e38", []int64{}},
	{"r < 1e39", []int64{1, 2, 3, 4, 5, 9, 10, 12, 13, 14, 15, 16, 17}},
	{"r > 1e39", []int64{6}},
	{"r <= 1e39", []int64{1, 2, 3, 4, 5, 9, 10, 12, 13, 14, 15, 16, 17}},
	{"r >= -1e39", []int64{1, 2, 3, 4, 5, 6, 9, 10, 12, 13, 14, 15, 16, 17}},
	{"r = 9007199254740993", []int64{}},
	{"r IN (0.1, 'NaN')", []int64{1, 6, 16}},
	{"r = 0.30000000000000004", []int64{}},
	{"r = 0.30000001192092896", []int64{5, 17}},
	{"r > 0.30000001192092895", []int64{2, 3, 4, 6, 13, 14}},
	{"r > '0.1'", []int64{2, 3, 4, 5, 6, 13, 14, 17}},
	{"r < '0.3'", []int64{1, 9, 10, 12, 15, 16}},
	{"r IN (0.1, NULL)", []int64{1, 16}},
	{"r NOT IN (0.1, NULL)", []int64{}},
	{"r IN (0.1, 0.1::float8)", []int64{}},
	{"r IN (0.1::real, 0.5)", []int64{1, 2, 16}},
	{"r = 0.100000001", []int64{}},
	{"r IN (0.100000001, 2)", []int64{1, 13, 16}},
	{"r >= 0.1 AND r < 0.5", []int64{1, 5, 16, 17}},
	{"r = -0.0", []int64{9, 10}},
	{"r < 0", []int64{15}},
	{"r <= -0.0", []int64{9, 10, 15}},
	{"r IN (-0.0, 2)", []int64{9, 10, 13}},
	{"r = 0.1::real", []int64{1, 16}},
	{"r = 1.5", []int64{14}},
	{"r IN (1.5, 2.5)", []int64{14}},
	{"r <> '0.1'", []int64{2, 3, 4, 5, 6, 9, 10, 12, 13, 14, 15, 17}},
	{"r = 0.3", []int64{}},
	{"0.1 = r", []int64{}},
	{"0.1 < r", []int64{1, 2, 3, 4, 5, 6, 13, 14, 16, 17}},
	{"'0.1' = r", []int64{1, 16}},
	{"0.3 >= r", []int64{1, 9, 10, 12, 15, 16}},
}

// TestInexactFloatConstants: the answers are PostgreSQL's with and
// without indexes on the float columns, hot and cold, and the indexes
// serve the comparisons.
func TestInexactFloatConstants(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app;
		CREATE TABLE app.fl (id BIGINT PRIMARY KEY, d DOUBLE, r REAL);
		CREATE TABLE app.flx (id BIGINT PRIMARY KEY, d DOUBLE, r REAL);
		CREATE INDEX flx_d ON app.flx (d);
		CREATE INDEX flx_r ON app.flx (r)`)
	root.must("INSERT INTO app.fl VALUES " + floatRows)
	root.must("INSERT INTO app.flx VALUES " + floatRows)
	check := func(stage string) {
		t.Helper()
		for _, c := range floatCases {
			for _, tb := range []string{"app.fl", "app.flx"} {
				q := "SELECT id FROM " + tb + " WHERE " + c.cond
				if got := sortedIDs(t, root.rows(q)); !slices.Equal(got, c.want) {
					t.Errorf("%s: %s: got %v, want %v", stage, q, got, c.want)
				}
			}
		}
		// Parameters: a JSON number is a numeric constant, a string an
		// untyped one.
		for _, c := range []struct {
			cond   string
			params []any
			want   []int64
		}{
			{"r = $1", []any{0.1}, nil},
			{"r = $1", []any{"0.1"}, []int64{1, 16}},
			{"r IN ($1, $2)", []any{0.1, 0.5}, []int64{1, 2, 16}},
			{"r IN ($1, $2)", []any{"0.1", "0.5"}, []int64{1, 2, 16}},
			{"r > $1", []any{"0.1"}, []int64{2, 3, 4, 5, 6, 13, 14, 17}},
			{"d = $1", []any{0.1}, []int64{1, 17}},
			{"d IN ($1, $2)", []any{0.1, 0.5}, []int64{1, 2, 17}},
		} {
			for _, tb := range []string{"app.fl", "app.flx"} {
				q := "SELECT id FROM " + tb + " WHERE " + c.cond
				if got := sortedIDs(t, root.rows(q, c.params...)); !slices.Equal(got, c.want) {
					t.Errorf("%s: %s %v: got %v, want %v", stage, q, c.params, got, c.want)
				}
			}
		}
		for _, q := range []string{"SELECT id FROM app.flx WHERE r = '1e39'", "SELECT id FROM app.flx WHERE r IN (1e39, 1)"} {
			root.fails(apierror.InvalidInput, q)
		}
	}
	check("hot")
	for _, c := range []struct{ cond, plan string }{
		{"d = 0.1", "ranges: [{[0.1, 0.1], [NULL, ∞)}]"},
		{"d IN (0.1, 0.5)", "ranges: [{[0.1, 0.1], [NULL, ∞)}, {[0.5, 0.5], [NULL, ∞)}]"},
		{"r = '0.1'", "ranges: [{[0.1, 0.1], [NULL, ∞)}]"},
		{"r IN (0.1, 0.5)", "ranges: [{[0.1, 0.1], [NULL, ∞)}, {[0.5, 0.5], [NULL, ∞)}]"},
		{"r < 0.1", "ranges: [{(NULL, 0.099999994], [NULL, ∞)}]"},
		{"r = 0.1", "ranges: [{(0.099999994, 0.1), [NULL, ∞)}]"},
		{"r BETWEEN 0.1 AND 0.5", "ranges: [{[0.1, 0.5], [NULL, ∞)}]"},
		{"0.3 >= d", "ranges: [{(NULL, 0.3], [NULL, ∞)}]"},
	} {
		plan := root.explain("SELECT id FROM app.flx WHERE " + c.cond)
		wantPlan(t, plan, "IndexScan", c.plan)
		if strings.Contains(plan, "kdb_float") {
			t.Errorf("%s: a float function is left in the plan:\n%s", c.cond, plan)
		}
	}
	flushTable(t, e, "app.fl")
	flushTable(t, e, "app.flx")
	check("cold")
}
