package executor_test

import (
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/engine"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/executor"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestSetOperationsChargedToMemoryBudget: what a set operation keeps (the
// hashes of the rows a UNION, INTERSECT or EXCEPT has seen, the counts of
// its right side, the rows its ORDER BY sorts or its top-N keeps) is
// charged to the statement's budget like a grouping's or a sort's. None
// was: SELECT 1 EXCEPT ALL SELECT g FROM generate_series(1, 3000000) g
// built a map of 3,000,000 entries under a budget of 8 MiB, and EXCEPT
// over a larger series ran to the time limit. Within the budget the
// answers are PostgreSQL 15's; an ORDER BY with OFFSET and LIMIT keeps
// OFFSET + LIMIT rows, not its whole input.
func TestSetOperationsChargedToMemoryBudget(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{StatementMemoryBytes: 1 << 20})
	alice := e.as("alice", systable.RoleUser)
	huge := "SELECT g FROM " + hugeSeries + " g"
	var qs []string
	for _, op := range []string{"UNION", "INTERSECT", "INTERSECT ALL", "EXCEPT", "EXCEPT ALL"} {
		for _, tail := range []string{"", " ORDER BY 1", " ORDER BY 1 DESC OFFSET 5 LIMIT 1"} {
			// The huge side on the right: counted or hashed before any
			// row comes.
			qs = append(qs, "SELECT count(*) FROM (SELECT 1 AS g "+op+" "+huge+tail+") q")
			if op == "UNION" || op == "EXCEPT" {
				// On the left: hashed as it is read (an INTERSECT or
				// EXCEPT ALL only looks its rows up).
				qs = append(qs, "SELECT count(*) FROM ("+huge+" "+op+" SELECT 0"+tail+") q")
			}
		}
	}
	qs = append(qs,
		"SELECT count(*) FROM ("+huge+" EXCEPT ALL SELECT 0 ORDER BY 1) q",
		huge+" UNION SELECT 1 ORDER BY 1 DESC OFFSET 5 LIMIT 1",
		huge+" UNION ALL SELECT 1 ORDER BY 1 DESC",
		huge+" UNION ALL SELECT 1 ORDER BY 1 DESC LIMIT 1000000000",
		huge+" UNION ALL SELECT 1 ORDER BY 1 DESC OFFSET 1000000000 LIMIT 1",
		huge+" UNION ALL SELECT 1 ORDER BY 1 DESC OFFSET 9223372036854775807 LIMIT 9223372036854775807",
		"SELECT count(*) FROM (SELECT DISTINCT g FROM "+hugeSeries+" g) q",
	)
	for _, q := range qs {
		alice.failsNaming(apierror.ResourceLimitExceeded, "statement_memory_bytes", q)
	}
	// Within the budget: a top-N of 7 rows out of 100,001 (sorting them
	// all would hold about 4 MB), and hashes of up to 16,000 rows.
	checkCases(t, alice, "within the budget", []cmpCase{
		{"SELECT g FROM generate_series(1, 100000) g UNION ALL SELECT 0 ORDER BY 1 DESC OFFSET 5 LIMIT 2", `[[99995],[99994]]`},
		{"SELECT g FROM generate_series(1, 10000) g UNION ALL SELECT 0 ORDER BY 1 LIMIT 2 OFFSET 9999", `[[9999],[10000]]`},
		{"SELECT g FROM generate_series(1, 10000) g UNION SELECT 1 ORDER BY 1 DESC OFFSET 5 LIMIT 2", `[[9995],[9994]]`},
		{"SELECT count(*), sum(g) FROM (SELECT g FROM generate_series(1, 8000) g UNION SELECT g FROM generate_series(4001, 12000) g) q", `[[12000,72006000]]`},
		{"SELECT count(*), sum(g) FROM (SELECT g FROM generate_series(1, 8000) g INTERSECT SELECT g FROM generate_series(4001, 12000) g) q", `[[4000,24002000]]`},
		{"SELECT count(*), sum(g) FROM (SELECT g FROM generate_series(1, 8000) g EXCEPT SELECT g FROM generate_series(4001, 12000) g) q", `[[4000,8002000]]`},
		{"SELECT count(*), sum(g) FROM (SELECT g % 10 AS g FROM generate_series(1, 1000) g INTERSECT ALL SELECT g % 5 FROM generate_series(1, 1000) g) q", `[[500,1000]]`},
		{"SELECT count(*), sum(g) FROM (SELECT g % 10 AS g FROM generate_series(1, 1000) g EXCEPT ALL SELECT g % 5 FROM generate_series(1, 600) g) q", `[[500,3500]]`},
		{"SELECT g % 3 FROM generate_series(1, 10) g EXCEPT SELECT 0 ORDER BY 1", `[[1],[2]]`},
		{"SELECT g % 4 FROM generate_series(1, 10) g INTERSECT SELECT g FROM generate_series(1, 3) g ORDER BY 1 DESC LIMIT 2", `[[3],[2]]`},
		{"SELECT g FROM generate_series(1, 3) g UNION SELECT 7 ORDER BY 1 OFFSET 9223372036854775807 LIMIT 9223372036854775807", `[]`},
		{"SELECT g FROM generate_series(1, 3) g UNION SELECT 7 ORDER BY 1 DESC OFFSET 1 LIMIT 9223372036854775807", `[[3],[2],[1]]`},
		{"SELECT g FROM generate_series(1, 3) g UNION SELECT 7 ORDER BY 1 DESC OFFSET 2 LIMIT 0", `[]`},
		// LIMIT 0 reads nothing, as in PostgreSQL.
		{huge + " UNION ALL SELECT 1 ORDER BY 1 LIMIT 0", `[]`},
		{"SELECT count(*) FROM (SELECT DISTINCT g % 7 FROM generate_series(1, 10000) g) q", `[[7]]`},
	})
	// What a set operation held is given back when it ends: a correlated
	// subquery runs its UNION once per outer row, 20 times 8,000 hashes.
	if got := alice.rows("SELECT sum((SELECT count(*) FROM (SELECT g FROM generate_series(1, 8000) g UNION SELECT o) q)) FROM generate_series(1, 20) o"); got != `[[160000]]` {
		t.Fatalf("a UNION run once per outer row: %s", got)
	}
}

// TestSetOperationsStopAtTimeLimit: the loops of a set operation that
// return no row (INTERSECT reading past every left row, EXCEPT counting
// its right side, a top-N reading its input) stop at the statement's
// time limit, as do those that hold nothing.
func TestSetOperationsStopAtTimeLimit(t *testing.T) {
	e := newEnvWithLimits(t, executor.Limits{}, engine.Limits{Timeout: engine.Timeouts{Default: time.Hour, User: time.Second}})
	alice := e.as("alice", systable.RoleUser)
	for _, q := range []string{
		"SELECT g FROM " + hugeSeries + " g INTERSECT ALL SELECT 0",
		"SELECT g FROM " + hugeSeries + " g INTERSECT SELECT 0",
		"SELECT count(*) FROM (SELECT g FROM " + hugeSeries + " g EXCEPT ALL SELECT 0) q",
		"SELECT g FROM " + hugeSeries + " g INTERSECT SELECT 0 ORDER BY 1 DESC OFFSET 5 LIMIT 1",
		"SELECT g FROM " + hugeSeries + " g EXCEPT ALL SELECT 0 ORDER BY 1 DESC OFFSET 5 LIMIT 1",
		"SELECT g FROM " + hugeSeries + " g EXCEPT ALL SELECT g FROM " + hugeSeries + " g WHERE g < 0",
		"SELECT 0 EXCEPT SELECT g FROM " + hugeSeries + " g WHERE g < 0",
		"SELECT g FROM " + hugeSeries + " g WHERE g < 0 UNION SELECT 0 ORDER BY 1 OFFSET 1 LIMIT 1",
	} {
		alice.failsNaming(apierror.QueryTimeout, "1s", q)
	}
}
