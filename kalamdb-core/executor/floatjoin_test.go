package executor_test

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// floatJoinColumns are the number columns of the float join tests' tables.
var floatJoinColumns = []string{"s", "i", "b", "r", "f", "d", "n"}

// floatJoinRows are values PostgreSQL's float comparison tells apart or
// not (-0 and 0, NaN and NaN, 2^53 and 2^53+1 as a float, 0.1 as a DOUBLE
// and as a REAL, 0.100000000000000001 and 0.1), one row per value, NULL in
// the columns that cannot hold it (a REAL column holds no infinity).
var floatJoinRows = []string{
	"1, 0, 0, 0, 0, 0, 0, 0",
	"2, NULL, NULL, NULL, '-0', '-0', NULL, NULL",
	"3, 1, 1, 1, 1, 1, 1, 1",
	"4, NULL, NULL, NULL, 0.1, 0.1, 0.1, 0.10",
	"5, NULL, NULL, NULL, 0.5, 0.5, 0.5, 0.50",
	"6, NULL, NULL, 9007199254740992, 9007199254740992, 9007199254740992, 9007199254740992, NULL",
	"7, NULL, NULL, 9007199254740993, NULL, 9007199254740993, 9007199254740993, NULL",
	"8, NULL, NULL, NULL, 'NaN', 'NaN', NULL, NULL",
	"9, NULL, NULL, NULL, NULL, 'Infinity', NULL, NULL",
	"10, NULL, NULL, NULL, NULL, '-Infinity', NULL, NULL",
	"11, NULL, NULL, NULL, NULL, 0.100000000000000001, 0.100000000000000001, NULL",
	"12, 2, 2, 2, 2, 2, 2.00000000000000000001, 2",
	"13, NULL, NULL, NULL, NULL, NULL, NULL, NULL",
	"14, -3, -3, -3, '-3', -3.0, -3, -3.00",
}

// floatValues reads column col of every row of table as PostgreSQL's
// float8 of it (a REAL widened, a decimal or an integer rounded to the
// nearest double), by id; NULLs are absent.
func floatValues(t *testing.T, c *caller, table, col string) map[string]float64 {
	t.Helper()
	res := c.must("SELECT id, " + col + " FROM " + table)[0]
	bits := 64
	if res.Schema[1].DataType == "Float" {
		bits = 32
	}
	out := map[string]float64{}
	for _, r := range res.Rows {
		if r[1] == nil {
			continue
		}
		f, err := strconv.ParseFloat(fmt.Sprint(r[1]), bits)
		if err != nil {
			t.Fatalf("%s.%s: %v", table, col, err)
		}
		out[fmt.Sprint(r[0])] = f
	}
	return out
}

// pgFloatEqual is PostgreSQL's float8 equality: NaN equals NaN, -0 is 0.
func pgFloatEqual(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return a == b
}

// joinPairs is the "lid:rid" pairs a join answers, sorted.
func joinPairs(c *caller, sqlText string) string {
	c.e.t.Helper()
	res := c.must(sqlText)[0]
	out := make([]string, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = fmt.Sprint(r[0]) + ":" + fmt.Sprint(r[1])
	}
	return strings.Join(out, " ")
}

// TestFloatEqualityJoinsHashAndMatchRowByRow: a join on a float equal to
// any number (DECIMAL = DOUBLE, BIGINT = REAL, DOUBLE = DOUBLE, ...) is a
// hash join on both sides' float8 values, and answers exactly the pairs the
// same comparison made row by row (a nested loop) answers, and the pairs
// PostgreSQL's float8 equality gives, for every pairing of the column
// types, from the hot tier and from Parquet files.
func TestFloatEqualityJoinsHashAndMatchRowByRow(t *testing.T) {
	e := newEnv(t)
	e.root().must(`CREATE NAMESPACE app;
		CREATE TABLE app.l (id BIGINT PRIMARY KEY, s SMALLINT, i INT, b BIGINT, r REAL, f DOUBLE, d DECIMAL(38, 20), n DECIMAL(10, 2));
		CREATE TABLE app.r (id BIGINT PRIMARY KEY, s SMALLINT, i INT, b BIGINT, r REAL, f DOUBLE, d DECIMAL(38, 20), n DECIMAL(10, 2))`)
	alice := e.as("alice", systable.RoleUser)
	for _, tbl := range []string{"app.l", "app.r"} {
		alice.must("INSERT INTO " + tbl + " VALUES (" + strings.Join(floatJoinRows, "), (") + ")")
	}
	check := func(tier string) {
		pairings := 0
		for _, a := range floatJoinColumns {
			for _, b := range floatJoinColumns {
				if a != "r" && a != "f" && b != "r" && b != "f" {
					continue // not a float comparison
				}
				pairings++
				q := fmt.Sprintf("SELECT l.id, r.id FROM app.l l JOIN app.r r ON l.%s = r.%s ORDER BY 1, 2", a, b)
				if plan := alice.explain(q); !strings.Contains(plan, "HashJoin") {
					t.Errorf("%s: %s: not a hash join:\n%s", tier, q, plan)
				}
				// IS TRUE keeps the comparison from being a join key: the
				// engine evaluates it for every pair.
				rowwise := fmt.Sprintf("SELECT l.id, r.id FROM app.l l JOIN app.r r ON (l.%s = r.%s) IS TRUE ORDER BY 1, 2", a, b)
				if plan := alice.explain(rowwise); strings.Contains(plan, "HashJoin") {
					t.Fatalf("%s: the row-by-row reference is a hash join:\n%s", rowwise, plan)
				}
				got, want := joinPairs(alice, q), joinPairs(alice, rowwise)
				if got != want {
					t.Errorf("%s: %s:\n got  %s\n want %s (row by row)", tier, q, got, want)
				}
				lv, rv := floatValues(t, alice, "app.l", a), floatValues(t, alice, "app.r", b)
				var pg []string
				for lid := 1; lid <= len(floatJoinRows); lid++ {
					for rid := 1; rid <= len(floatJoinRows); rid++ {
						x, okx := lv[strconv.Itoa(lid)]
						y, oky := rv[strconv.Itoa(rid)]
						if okx && oky && pgFloatEqual(x, y) {
							pg = append(pg, fmt.Sprintf("%d:%d", lid, rid))
						}
					}
				}
				if got != strings.Join(pg, " ") {
					t.Errorf("%s: %s:\n got  %s\n want %s (PostgreSQL's float8 =)", tier, q, got, strings.Join(pg, " "))
				}
			}
		}
		if pairings != 24 {
			t.Fatalf("%d pairings", pairings)
		}
	}
	check("hot")
	flushTable(t, e, "app.l")
	flushTable(t, e, "app.r")
	check("cold")
}
