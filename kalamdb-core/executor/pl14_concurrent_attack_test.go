package executor_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPL14WritesAndFlushesDuringReads: writers move rows between the
// fallback's ranges and flush the table while top-Ns that switch run
// (under the race detector): every answer is well formed (the rows
// pass the WHERE, in the ORDER BY's order, each once, at most LIMIT).
func TestPL14WritesAndFlushesDuringReads(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{OrderIndexBudget: 2})
	a := e.as("alice", systable.RoleUser)
	vals := pl14Ints(20)
	pl14Tables(t, e, "USER", "BIGINT", 400, vals, a)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				switch {
				case w == 1 && i%20 == 0:
					_, err = e.root().exec("STORAGE FLUSH TABLE ns.m")
				case i%3 == 0:
					_, err = a.exec(fmt.Sprintf("UPDATE ns.m SET c = (c + 7) %% 20 WHERE id %% 17 = %d", i%17))
				case i%3 == 1:
					_, err = a.exec(fmt.Sprintf("DELETE FROM ns.m WHERE id = %d", 1+(i*13)%400))
				default:
					_, err = a.exec(fmt.Sprintf("INSERT INTO ns.m VALUES (%d, 1, %d, 0)", 1000+i*2+w, i%20))
				}
				if err != nil && !strings.Contains(err.Error(), "write conflict") {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		}(w)
	}
	qs := []struct {
		q    string
		desc bool
		ok   func(c float64) bool
	}{
		{"SELECT id, c FROM ns.m WHERE conv = 1 AND c IN (3, 5) ORDER BY id DESC LIMIT 4", true, func(c float64) bool { return c == 3 || c == 5 }},
		{"SELECT id, c FROM ns.m WHERE conv = 1 AND c BETWEEN 3 AND 4 ORDER BY id LIMIT 4 OFFSET 1", false, func(c float64) bool { return c >= 3 && c <= 4 }},
		{"SELECT id, c FROM ns.m WHERE conv = 1 AND (c = 3 OR c > 18) ORDER BY id DESC LIMIT 4", true, func(c float64) bool { return c == 3 || c > 18 }},
		{"SELECT id, c FROM ns.m WHERE conv = 1 AND c NOT BETWEEN 1 AND 18 ORDER BY id LIMIT 4", false, func(c float64) bool { return c < 1 || c > 18 }},
	}
	for i := 0; i < 300; i++ {
		q := qs[i%len(qs)]
		var rows [][]float64
		if err := json.Unmarshal([]byte(a.rows(q.q)), &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) > 4 {
			t.Errorf("%s: %d rows", q.q, len(rows))
		}
		for j, r := range rows {
			if !q.ok(r[1]) {
				t.Errorf("%s: row %v fails the WHERE: %v", q.q, r, rows)
			}
			if j > 0 && ((q.desc && r[0] >= rows[j-1][0]) || (!q.desc && r[0] <= rows[j-1][0])) {
				t.Errorf("%s: out of order or twice: %v", q.q, rows)
			}
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("fallbacks %d", e.db.Engine.OrderIndexFallbacks())
}
