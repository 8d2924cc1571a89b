package executor_test

import (
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// allocatedBy is the bytes run allocates, the least of two runs: the
// counters are the whole process's, and background goroutines can only
// add to a measurement.
func allocatedBy(run func()) uint64 {
	least := uint64(math.MaxUint64)
	for range 2 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		run()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}

// mb is n bytes in MB, for messages.
func mb[N uint64 | int](n N) float64 { return float64(n) / (1 << 20) }

// TestLargeParameterPlanningBounded: one reference to a large text
// parameter costs a few copies of it, whatever the statement does with
// it. The planner printed the literal it binds on every column name,
// window definition and expression string it made (5 to 60 copies:
// 190 MB for SELECT $1 of 10 MB, 960 MB for a window ordered by 16 MB),
// outside any statement's memory budget, so that a few concurrent
// requests could take the server down.
func TestLargeParameterPlanningBounded(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{Timeout: engine.Timeouts{Default: 24 * time.Hour}})
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT, w TEXT);
		CREATE INDEX t_w ON app.t (w);
		INSERT INTO app.t VALUES (1, 'a', 'a'), (2, 'b', 'b'), (3, 'c', 'c')`)
	// A shape makes as many copies of a 2 MB value as of an 8 MB one
	// (TestBigParam21Bounded), and under the race detector each copy
	// costs time in proportion to the value; the slack is half a value.
	const size = 2 << 20
	big := strings.Repeat("x", size)
	shapes := []struct {
		name, sql string
		// copies bounds the allocation in copies of the value: the
		// value as bound and as the planner's literal, and the answer's
		// when the value is in it (before: 15 to 46).
		copies uint64
	}{
		{"select item", "SELECT $1 AS v", 3},
		{"WHERE equality", "SELECT id FROM app.t WHERE v = $1", 2},
		// The fast path's: the value as bound and converted, its index
		// key and the key's range end (one more under -race).
		{"index lookup", "SELECT id FROM app.t WHERE w = $1", 5},
		// Planned in 2 copies; the index ranges hold the value's key and
		// the two bounds of the id range after it (they held about 11
		// more copies: conversions and key prefixes per bound); one more
		// under -race.
		{"index lookup, planned", "SELECT id FROM app.t WHERE w = $1 AND id > 0", 6},
		{"function", "SELECT length($1)", 2},
		{"window ORDER BY", "SELECT id, rank() OVER (ORDER BY $1) FROM app.t", 2},
		{"window PARTITION BY", "SELECT id, row_number() OVER (PARTITION BY $1 ORDER BY id) FROM app.t", 2},
		// Written: the row's encoding and the transaction's copy too.
		{"UPDATE", "UPDATE app.t SET v = $1 WHERE id = 1", 7},
		{"INSERT ... SELECT", "INSERT INTO app.t (id, v, w) SELECT max(id) + 1, $1, 'w' FROM app.t", 7},
	}
	for _, s := range shapes {
		root.must(s.sql, "warm") // the statement's translation is cached
		got := allocatedBy(func() { root.must(s.sql, big) })
		t.Logf("%s: %d MB for a %d MB parameter", s.name, got>>20, size>>20)
		if bound := s.copies*size + size/2; got > bound {
			t.Errorf("%s: %d MB allocated for one reference to %d MB, want at most %d MB",
				s.name, got>>20, size>>20, bound>>20)
		}
	}
}

// TestLargeParameterAnswers: large values plan as literals that print
// short, and answer as any value: stored, read, compared, looked up
// through an index, typed by their context, folded in a filter.
func TestLargeParameterAnswers(t *testing.T) {
	e := newEnv(t)
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE TABLE app.t (id BIGINT PRIMARY KEY, v TEXT, w TEXT);
		CREATE INDEX t_w ON app.t (w)`)
	// Within the bound on repeated references (paramrefs.go).
	const size = 256 << 10
	big := strings.Repeat("ab", size/2)
	other := big[:size-1] + "c" // as long, and as printed before the end
	root.must("INSERT INTO app.t VALUES (1, $1, $1), (2, $2, $2), (3, 'a', 'a')", big, other)
	root.must("INSERT INTO app.t (id, v, w) SELECT 4, $1, upper($1)", big)
	root.must("UPDATE app.t SET v = $1 || 'z' WHERE id = 3", big)
	cases := []struct{ sql, want string }{
		{"SELECT length(v), v = $1 FROM app.t ORDER BY id", `[[262144,true],[262144,false],[262145,false],[262144,true]]`},
		{"SELECT id FROM app.t WHERE w = $1", `[[1]]`},
		{"SELECT id FROM app.t WHERE w = $1 AND id > 0", `[[1]]`},
		{"SELECT id FROM app.t WHERE w = upper($1)", `[[4]]`},
		{"SELECT id FROM app.t WHERE v IN ($1, 'x') ORDER BY id", `[[1],[4]]`},
		{"SELECT id FROM app.t WHERE v > $1 ORDER BY id", `[[2],[3]]`},
		{"SELECT id FROM app.t WHERE v = $1 || 'z'", `[[3]]`},
		{"SELECT id FROM app.t WHERE v LIKE $1 || '%' ORDER BY id", `[[1],[3],[4]]`},
		{"SELECT length($1), $1 = $2, $1 < $2", `[[262144,false,true]]`},
		{"SELECT id, rank() OVER (PARTITION BY v = $1 ORDER BY id) FROM app.t ORDER BY id", `[[1,1],[2,1],[3,2],[4,2]]`},
		{"SELECT count(*) FROM app.t GROUP BY v = $1 ORDER BY 1", `[[2],[2]]`},
		{"SELECT count(*) FROM (SELECT $1 AS x FROM app.t) s WHERE x = $1", `[[4]]`},
	}
	for _, c := range cases {
		params := []any{big}
		if strings.Contains(c.sql, "$2") {
			params = append(params, other)
		}
		if got := root.rows(c.sql, params...); got != c.want {
			t.Errorf("%s: got %.300s, want %s", c.sql, got, c.want)
		}
	}
	// A value read back is the value written.
	res := root.must("SELECT v, $1 AS p FROM app.t WHERE id = 1 AND v = $1", big)
	if len(res) != 1 || len(res[0].Rows) != 1 || res[0].Rows[0][0] != big || res[0].Rows[0][1] != big {
		t.Errorf("value read back differs")
	}
	// Its columns are named as a small value's.
	named, small := root.must("SELECT $1, $1 || 'x'", big)[0].Schema, root.must("SELECT $1, $1 || 'x'", "s")[0].Schema
	for i := range small {
		if named[i].Name != small[i].Name {
			t.Errorf("column %d named %.100q, want %q", i, named[i].Name, small[i].Name)
		}
	}
	// Typed by its context as any text: not a number.
	root.fails(apierror.InvalidInput, "SELECT id FROM app.t WHERE id = $1", big)
	// EXPLAIN names it by its size, not its text.
	if plan := root.explain("SELECT id FROM app.t WHERE v = $1 AND id > 0", big); len(plan) > 64<<10 || !strings.Contains(plan, "262144 bytes") {
		t.Errorf("plan of %d bytes: %.500s", len(plan), plan)
	}
}
