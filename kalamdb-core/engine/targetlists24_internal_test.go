package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/pgsql"
)

// Each query's width is worked out once, however deeply queries nest: a
// walk that worked out every level's * again from the levels below would
// take steps growing as the square of the depth.
func TestTlist24WalkIsLinear(t *testing.T) {
	const levels = 1000
	nest := func(inner, wrap string) string {
		for range levels {
			inner = fmt.Sprintf(wrap, inner)
		}
		return inner
	}
	// Set operations stop at 200 (max_set_operations).
	arms := "SELECT 1, 2" + strings.Repeat(" UNION ALL SELECT 1, 2", 200)
	for _, c := range []struct {
		name, sql string
		over      bool
	}{
		{"derived *", nest("SELECT 1, 2", "SELECT * FROM (%s) s"), false},
		{"derived s.*, s.*", nest("SELECT 1", "SELECT s.*, s.* FROM (%s) s"), true},
		{"WITH chain", "WITH c0 AS (SELECT 1, 2)" + withLinks(levels) + fmt.Sprintf(" SELECT * FROM c%d", levels), false},
		{"UNION arms", arms, false},
		{"EXISTS", existsChain(400), false},
	} {
		st, err := pgsql.Translate(c.sql, pgsql.Limits{MaxExpressionDepth: 1e6, MaxStatementComplexity: 1e12})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		d := newDerivedCost(st.AST, nil, "", MaxTargetListEntries, true)
		if over := targetListsOver(d, st.AST); over != c.over {
			t.Errorf("%s: over %v, want %v", c.name, over, c.over)
		}
		// A query, and for EXISTS its derived table, per level.
		if queries := 2*levels + 2; d.steps > queries {
			t.Errorf("%s: %d widths worked out for %d levels", c.name, d.steps, levels)
		}
	}
}

func withLinks(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, ", c%d AS (SELECT * FROM c%d)", i, i-1)
	}
	return b.String()
}

// existsChain nests n EXISTS in one another (the parser takes at most
// 1000 levels of expressions), each over a derived table.
func existsChain(n int) string {
	q := "SELECT 1, 2"
	for range n {
		q = fmt.Sprintf("SELECT * FROM (SELECT 1) s WHERE EXISTS (%s)", q)
	}
	return q
}
