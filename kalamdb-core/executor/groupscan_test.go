package executor_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestGroupScanMatchesEngine: aggregates computed straight from storage
// (the group scan) answer exactly as the engine's GROUP BY, value for
// value and type for type, with the same errors, over hot rows, cold
// files that overlap, the rows of an open transaction, deleted rows,
// NULLs, columns added and re-typed since rows were written, and empty
// tables; and the group scan takes the statements it is meant for.
func TestGroupScanMatchesEngine(t *testing.T) {
	queries := []string{
		"SELECT conv, COUNT(*), AVG(LENGTH(body)) FROM g.m GROUP BY conv ORDER BY conv",
		"SELECT conv, COUNT(*), AVG(LENGTH(body)) FROM g.m GROUP BY conv",
		"SELECT COUNT(*), COUNT(body), COUNT(n), SUM(n), AVG(n), MIN(n), MAX(n) FROM g.m",
		"SELECT who, conv, MIN(LENGTH(body)), MAX(OCTET_LENGTH(body)), SUM(LENGTH(body)) FROM g.m GROUP BY who, conv ORDER BY who, conv",
		"SELECT flag, COUNT(*), SUM(id) FROM g.m GROUP BY flag ORDER BY flag",
		"SELECT n, COUNT(*) FROM g.m GROUP BY n ORDER BY n",
		"SELECT COUNT(*), MIN(big), MAX(big), AVG(big) FROM g.m",
		"SELECT SUM(big) FROM g.m",
		"SELECT who AS w, COUNT(*) AS c FROM g.m GROUP BY who HAVING COUNT(*) > 2 ORDER BY c DESC, w",
		"SELECT conv, COUNT(extra), SUM(extra), MAX(extra) FROM g.m GROUP BY conv ORDER BY conv",
		"SELECT COUNT(*), SUM(n) FROM g.empty",
		"SELECT k, COUNT(*) FROM g.empty GROUP BY k",
		"SELECT x.conv, COUNT(*) FROM g.m x GROUP BY x.conv ORDER BY 1",
		// Not the group scan's: the engine's answer either way.
		"SELECT conv, COUNT(DISTINCT who) FROM g.m GROUP BY conv ORDER BY conv",
		"SELECT conv, COUNT(*) FROM g.m WHERE n > 3 GROUP BY conv ORDER BY conv",
		"SELECT COUNT(*) FROM g.m WHERE _deleted = true",
		"SELECT conv, MAX(body) FROM g.m GROUP BY conv ORDER BY conv",
	}
	type stage struct{ name, sql string }
	var stages []stage
	var sb strings.Builder
	row := func(i int) string {
		conv, n, who, body := fmt.Sprint(i%7), fmt.Sprint(i%11-5), fmt.Sprintf("'u%d'", i%3), fmt.Sprintf("'body %d %s'", i, strings.Repeat("é", i%5))
		switch {
		case i%13 == 0:
			conv = "NULL"
		case i%17 == 0:
			n, body = "NULL", "NULL"
		case i%19 == 0:
			who = "'ünï'"
		}
		return fmt.Sprintf("(%d, %s, %s, %s, %s, %v, %d)", i, conv, n, who, body, i%2 == 0, int64(i)*1_000_000_000_000)
	}
	insert := func(from, to int) string {
		sb.Reset()
		sb.WriteString("INSERT INTO g.m (id, conv, n, who, body, flag, big) VALUES ")
		for i := from; i <= to; i++ {
			if i > from {
				sb.WriteString(", ")
			}
			sb.WriteString(row(i))
		}
		return sb.String()
	}
	flush := "STORAGE FLUSH TABLE g.m"
	stages = append(stages,
		stage{"hot", insert(1, 200)},
		stage{"cold", flush},
		stage{"cold and hot", insert(201, 260) + "; UPDATE g.m SET n = n + 1, body = 'changed' WHERE id % 9 = 0; DELETE FROM g.m WHERE id % 10 = 3"},
		stage{"two overlapping files", flush},
		stage{"a column added, one widened", "ALTER TABLE g.m ADD COLUMN extra INT DEFAULT 5; ALTER TABLE g.m MODIFY COLUMN n INT"},
		stage{"new rows with them", insert(261, 300) + "; UPDATE g.m SET extra = id WHERE id % 4 = 0"},
		stage{"three files", flush},
		stage{"overflow", "UPDATE g.m SET big = 9223372036854775807 WHERE id IN (5, 6)"},
		stage{"compacted", "STORAGE COMPACT TABLE g.m"},
	)
	run := func(slow bool) (out []string, scans int64) {
		e := newEnvWith(t, slow)
		root := e.root()
		root.must("CREATE NAMESPACE g; CREATE TABLE g.m (id BIGINT PRIMARY KEY, conv INT, n SMALLINT, who TEXT, body TEXT, flag BOOLEAN, big BIGINT); " +
			"CREATE TABLE g.empty (k INT PRIMARY KEY, n INT)")
		alice := e.as("alice", systable.RoleUser)
		for _, st := range stages {
			for _, s := range strings.Split(st.sql, "; ") {
				if strings.HasPrefix(s, "STORAGE") {
					runJob(t, e, s)
				} else if strings.HasPrefix(s, "ALTER") {
					root.must(s)
				} else {
					alice.must(s)
				}
			}
			waitIdle(t, e)
			for _, q := range queries {
				res, err := alice.exec(q)
				out = append(out, st.name+": "+describe(res, err))
			}
			// Inside a transaction, its own writes count.
			res, err := alice.exec("BEGIN; " + insert(1000, 1010) + "; DELETE FROM g.m WHERE id = 1; " + queries[0] + "; ROLLBACK")
			if err != nil {
				out = append(out, st.name+" in a transaction: "+describe(nil, err))
			} else {
				out = append(out, st.name+" in a transaction: "+describe(res[3:4], nil))
			}
		}
		return out, e.db.Engine.GroupScans()
	}
	fast, scans := run(false)
	slow, slowScans := run(true)
	if slowScans != 0 {
		t.Fatalf("the group scan ran with the fast path disabled: %d", slowScans)
	}
	for i := range fast {
		if fast[i] != slow[i] {
			q := "the transaction"
			if k := i % (len(queries) + 1); k < len(queries) {
				q = queries[k]
			}
			t.Errorf("%s\n group scan: %s\n engine:     %s", q, fast[i], slow[i])
		}
	}
	t.Logf("%d group scans", scans)
	if scans < int64(len(stages)*10) {
		t.Errorf("the group scan ran %d times", scans)
	}
}

// TestAggregatesDoNotAllocatePerRow: the chat aggregate over 2,000 and
// over 8,000 rows allocates about the same, hot and cold: what it
// allocates is per statement and per group, not per row.
//
// The two sizes are two users' partitions of one user table, in one
// environment: it loads 10,000 rows once, where an environment for each
// size and tier loaded 20,000.
func TestAggregatesDoNotAllocatePerRow(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	const q = "SELECT conv, COUNT(*), AVG(LENGTH(body)), SUM(conv), MAX(conv) FROM c.m GROUP BY conv ORDER BY conv"
	e := newEnv(t)
	e.root().must("CREATE NAMESPACE c; CREATE TABLE c.m (id BIGINT PRIMARY KEY, conv BIGINT, body TEXT)")
	alice, bob := e.as("alice", systable.RoleUser), e.as("bob", systable.RoleUser)
	loadRows(t, alice, 2000)
	loadRows(t, bob, 8000)
	allocs := func(c *caller) float64 {
		c.must(q)
		// AllocsPerRun counts the whole process, so the environment's
		// background goroutines (job polling, flush scheduling) add to a
		// measurement on a busy machine but never take from it: the least
		// of a few is the statement's own count.
		least := math.Inf(1)
		for range 3 {
			least = min(least, testing.AllocsPerRun(5, func() { c.must(q) }))
		}
		return least
	}
	for _, cold := range []bool{false, true} {
		if cold {
			flushTable(t, e, "c.m")
		}
		small, large := allocs(alice), allocs(bob)
		t.Logf("cold=%v: %.0f allocations over 2,000 rows, %.0f over 8,000", cold, small, large)
		// One allocation per row would add 6,000; a few per batch or
		// group is what the group scan is allowed.
		if large-small > 1000 {
			t.Errorf("cold=%v: %.0f more allocations for 6,000 more rows", cold, large-small)
		}
	}
}

// TestGroupScanChargesItsGroups: a GROUP BY computed from storage charges
// each group to the statement's memory budget, as the engine's grouping
// does, hot and cold. 5,000 groups against 256 KiB are the proportion of
// 20,000 against 1 MiB, with a quarter of the rows to write and flush.
func TestGroupScanChargesItsGroups(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{StatementMemoryBytes: 256 << 10})
	root := e.root()
	root.must(`CREATE NAMESPACE app; CREATE SHARED TABLE app.g (id BIGINT PRIMARY KEY, c BIGINT)`)
	for i := 0; i < 5_000; i += 1000 {
		root.must(fmt.Sprintf("INSERT INTO app.g SELECT n, n %% 10 FROM (VALUES %s) v(n)", valuesFrom(i, 1000)))
	}
	for _, cold := range []bool{false, true} {
		if cold {
			flushTable(t, e, "app.g")
		}
		before := e.db.Engine.GroupScans()
		root.failsNaming(apierror.ResourceLimitExceeded, "statement_memory_bytes", "SELECT id, count(*) FROM app.g GROUP BY id")
		if e.db.Engine.GroupScans() == before {
			t.Fatalf("cold=%v: the group scan did not run", cold)
		}
		if got := root.rows("SELECT c, count(*), max(id) FROM app.g GROUP BY c ORDER BY c LIMIT 2"); got != `[[0,500,4990],[1,500,4991]]` {
			t.Fatalf("cold=%v: a few groups: %s", cold, got)
		}
	}
}
