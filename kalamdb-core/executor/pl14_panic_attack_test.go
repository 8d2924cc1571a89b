package executor_test

import (
	"math"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPL14NonFiniteParamPanics: a float parameter that is NaN or ±Inf
// compared with a BIGINT column ended the statement with a recovered
// panic (INTERNAL_ERROR) in the engine's binding of it. It compares as a
// float, as 'NaN'::float8 in the text does and as in PostgreSQL: with a
// column without an index, with an indexed one (index ranges) and with
// the primary key (its fast path).
func TestPL14NonFiniteParamPanics(t *testing.T) {
	e := newEnv(t)
	a := e.as("alice", systable.RoleUser)
	e.root().must("CREATE NAMESPACE ns")
	e.root().must("CREATE USER TABLE ns.r (id BIGINT PRIMARY KEY, c BIGINT, x BIGINT)")
	createIndex(t, e, "CREATE INDEX r_x ON ns.r (x)")
	a.must("INSERT INTO ns.r VALUES (1, 1, 1), (2, 2, 2)")
	nan, inf, ninf := math.NaN(), math.Inf(1), math.Inf(-1)
	for _, col := range []string{"c", "x", "id"} {
		for _, tc := range []struct {
			cond string
			v    float64
			want string
		}{
			{"= $1", nan, "[]"}, {"IN ($1)", nan, "[]"}, {"> $1", nan, "[]"}, {"< $1", nan, "[[1],[2]]"},
			{"= $1", inf, "[]"}, {"IN ($1, 2)", inf, "[[2]]"}, {"> $1", inf, "[]"}, {"< $1", inf, "[[1],[2]]"},
			{"= $1", ninf, "[]"}, {"IN ($1)", ninf, "[]"}, {"> $1", ninf, "[[1],[2]]"}, {"<= $1", ninf, "[]"},
		} {
			q := "SELECT id FROM ns.r WHERE " + col + " " + tc.cond + " ORDER BY id"
			// The literal the parameter stands for answers the same.
			lit := map[float64]string{inf: "'Infinity'::float8", ninf: "'-Infinity'::float8"}[tc.v]
			if tc.v != tc.v {
				lit = "'NaN'::float8"
			}
			for _, got := range []string{a.rows(q, tc.v), a.rows(strings.ReplaceAll(q, "$1", lit))} {
				if got != tc.want {
					t.Errorf("%s with %v: %s, want %s", q, tc.v, got, tc.want)
				}
			}
		}
	}
}
