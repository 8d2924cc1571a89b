package executor_test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// pl14RandomCond is a random condition on c and d: comparisons, IN
// lists (duplicates, NULLs), BETWEEN (either order, SYMMETRIC), NOT
// BETWEEN, ORs and ANDs of those, row comparisons, NOT.
func pl14RandomCond(r *rand.Rand, depth int) string {
	col := []string{"c", "c", "c", "d"}[r.Intn(4)]
	v := func() string {
		switch r.Intn(12) {
		case 0:
			return "NULL"
		case 1:
			return fmt.Sprintf("%d.5", r.Intn(12)-1)
		default:
			return fmt.Sprint(r.Intn(12) - 1)
		}
	}
	if depth > 0 && r.Intn(3) == 0 {
		op := []string{" OR ", " AND ", " OR "}[r.Intn(3)]
		return "(" + pl14RandomCond(r, depth-1) + op + pl14RandomCond(r, depth-1) + ")"
	}
	switch r.Intn(10) {
	case 0:
		return col + " " + []string{"=", "<", "<=", ">", ">=", "<>"}[r.Intn(6)] + " " + v()
	case 1, 2:
		n := 1 + r.Intn(5)
		var vs []string
		for i := 0; i < n; i++ {
			vs = append(vs, v())
		}
		return col + " IN (" + strings.Join(vs, ", ") + ")"
	case 3:
		return col + " BETWEEN " + v() + " AND " + v()
	case 4:
		return col + " BETWEEN SYMMETRIC " + v() + " AND " + v()
	case 5:
		return col + " NOT BETWEEN " + v() + " AND " + v()
	case 6:
		return fmt.Sprintf("(c, id) %s (%s, %d)", []string{"<", "<=", ">", ">="}[r.Intn(4)], v(), r.Intn(400))
	case 7:
		return fmt.Sprintf("(c, d) %s (%s, %s)", []string{"<", "<=", ">", ">="}[r.Intn(4)], v(), v())
	case 8:
		return "NOT (" + col + " IN (" + v() + ", " + v() + "))"
	default:
		return col + " IS " + []string{"NULL", "NOT NULL"}[r.Intn(2)]
	}
}

// TestPL14RandomMatchesScan: random top-Ns over a table with the order
// index (conv, id), the other indexes (conv, c) and (conv, c, d), and
// random budgets; rows change, flush and compact between rounds. Every
// answer is the table without indexes'.
func TestPL14RandomMatchesScan(t *testing.T) {
	slowParallel(t)
	seed := int64(envInt("KALAMDB_PL14_SEED", 1))
	r := rand.New(rand.NewSource(seed))
	for _, budget := range []int{1, 3} {
		e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: budget})
		a, b := e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser)
		vals := append(pl14Ints(11), "NULL", "-1")
		pl14Tables(t, e, "USER", "BIGINT", 400, vals, a, b)
		createIndex(t, e, "CREATE INDEX c_conv_c_d ON ns.m (conv, c, d)")
		switched, total := 0, 0
		for round := 0; round < 4; round++ {
			for i := 0; i < 150; i++ {
				c := []*caller{a, b}[r.Intn(2)]
				order := []string{"id DESC", "id", "c, id", "c DESC, id DESC", "id DESC, c"}[r.Intn(5)]
				q := fmt.Sprintf("SELECT id, c, d FROM $T WHERE conv = %d AND %s ORDER BY %s LIMIT %d", 1+r.Intn(2), pl14RandomCond(r, 2), order, r.Intn(6))
				if r.Intn(3) == 0 {
					q += fmt.Sprintf(" OFFSET %d", r.Intn(5))
				}
				total++
				if pl14Diff(t, e, c, fmt.Sprintf("seed %d budget %d round %d", seed, budget, round), q) {
					switched++
				}
			}
			for _, c := range []*caller{a, b} {
				id := 1 + r.Intn(400)
				ws := []string{
					fmt.Sprintf("UPDATE $T SET c = %d WHERE id %% 7 = %d", r.Intn(12)-1, r.Intn(7)),
					fmt.Sprintf("UPDATE $T SET d = NULL WHERE id %% 11 = %d", r.Intn(11)),
					fmt.Sprintf("DELETE FROM $T WHERE id %% 13 = %d", r.Intn(13)),
					fmt.Sprintf("INSERT INTO $T VALUES (%d, 1, %d, %d)", 900000+round*1000+id, r.Intn(12), r.Intn(5)),
				}
				for _, w := range ws {
					for _, tb := range []string{"ns.m", "ns.r"} {
						c.must(strings.ReplaceAll(w, "$T", tb))
					}
				}
			}
			for _, tb := range []string{"ns.m", "ns.r"} {
				runJob(t, e, "STORAGE FLUSH TABLE "+tb)
				if round == 2 {
					runJob(t, e, "STORAGE COMPACT TABLE "+tb)
				}
			}
		}
		t.Logf("seed %d budget %d: %d of %d switched", seed, budget, switched, total)
	}
}
