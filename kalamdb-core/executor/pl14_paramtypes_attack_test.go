package executor_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPL14ParamTypesMatchScan: parameters of unusual Go types and
// values bound to the other index's column in IN, BETWEEN and OR, for
// BIGINT, DOUBLE, TEXT and TIMESTAMP columns, with a budget of one entry.
func TestPL14ParamTypesMatchScan(t *testing.T) {
	utc := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	plus2 := time.FixedZone("+02", 2*3600)
	odd := []any{nil, int64(3), int64(math.MinInt64), uint64(math.MaxUint64), float64(3), 3.5, 1e300, math.NaN(), math.Inf(1), math.Inf(-1),
		math.Copysign(0, -1), "3", " 3", "3 ", "3.0", "1e1", "", "a", "NaN", "Infinity", true, false, []byte("3"), utc, utc.In(plus2),
		"2024-01-01 02:00:00+02", "2024-01-01", int32(3), 3.0000000000000004}
	types := []struct {
		typ  string
		vals []string
	}{
		{"BIGINT", []string{"0", "1", "2", "3", "4", "10", "NULL", "-9223372036854775808", "9223372036854775807"}},
		{"DOUBLE", []string{"0", "-0.0", "3", "3.5", "'NaN'", "'Infinity'", "'-Infinity'", "NULL", "10", "3.0000000000000004"}},
		{"TEXT", []string{"'3'", "' 3'", "'3 '", "'a'", "'A'", "''", "NULL", "'NaN'", "'true'", "'2024-01-01'"}},
		{"TIMESTAMP", []string{"'2024-01-01 00:00:00'", "'2024-01-01 02:00:00'", "'1970-01-01 00:00:03'", "NULL", "'2023-12-31 22:00:00'"}},
	}
	qs := []string{
		"SELECT id, c FROM $T WHERE conv = 1 AND c IN ($1, $2) ORDER BY id DESC LIMIT 3",
		"SELECT id, c FROM $T WHERE conv = 1 AND c BETWEEN $1 AND $2 ORDER BY id LIMIT 3",
		"SELECT id, c FROM $T WHERE conv = 1 AND (c = $1 OR c > $2) ORDER BY id DESC LIMIT 3",
		"SELECT id, c FROM $T WHERE conv = 1 AND c NOT BETWEEN $1 AND $2 ORDER BY id DESC LIMIT 3",
	}
	for _, tc := range types {
		t.Run(tc.typ, func(t *testing.T) {
			t.Parallel() // each has its own environment
			e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 1})
			a := e.as("alice", systable.RoleUser)
			pl14Tables(t, e, "USER", tc.typ, 150, tc.vals, a)
			switched := 0
			for _, q := range qs {
				for i, p := range odd {
					q2 := odd[(i*7+3)%len(odd)]
					for _, ps := range [][]any{{p, p}, {p, q2}, {q2, p}} {
						if pl14Diff(t, e, a, tc.typ, q, ps...) {
							switched++
						}
					}
				}
			}
			t.Logf("switched %d", switched)
			_ = fmt.Sprint
		})
	}
}
