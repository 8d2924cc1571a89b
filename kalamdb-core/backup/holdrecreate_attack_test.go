package backup_test

import (
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/jobs"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tier"
)

// TestAttackHoldOutlivesDroppedTable: a start that gives up a flush
// holds the table's flush policy (tier.Manager.holds, keyed by table id
// "ns:name"). The hold is kept in memory until STORAGE FLUSH is run by
// hand; DROP TABLE does not end it. A table created again under the name
// in the same process is a new table (no given-up job of its own, and
// holdGivenUp at a start would not hold it: its jobs are older than it),
// yet its flush policy never runs: its rows stay in the hot tier for
// good, and nothing says why (its own jobs list holds no failed flush).
func TestAttackHoldOutlivesDroppedTable(t *testing.T) {
	s, armed, died := serverDyingAt(t, tier.FailFlushBeforeWrite, 0)
	flushThatDies(s, armed, died)
	if deaths := restartUntilNotRun(s, "flush", died); deaths != jobs.DefaultMaxStartRetries {
		t.Fatalf("the flush killed the server %d times", deaths)
	}
	armed.Store(false)
	// The table is dropped and created again: a new table, with a policy.
	s.must("DROP TABLE app.cfg")
	waitAllJobs(t, s)
	s.must(`CREATE TABLE app.cfg (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC', FLUSH_POLICY = 'rows:1');
		INSERT INTO app.cfg (k, v) VALUES ('x', '1'), ('y', '2')`)
	// Control: a table never held, same shape and policy.
	s.must(`CREATE TABLE app.other (k TEXT PRIMARY KEY, v TEXT) WITH (TYPE = 'SHARED', ACCESS_LEVEL = 'PUBLIC', FLUSH_POLICY = 'rows:1');
		INSERT INTO app.other (k, v) VALUES ('x', '1'), ('y', '2')`)
	flushes := func(table string) string {
		return s.rows("SELECT count(*) FROM system.jobs WHERE job_type = 'flush' AND table_name = '" + table + "'")
	}
	cfgBefore := flushes("cfg")
	if err := s.db.Tier.RunFlushPolicies(time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	waitAllJobs(t, s)
	if got := flushes("other"); got == "0\n" {
		t.Fatal("control: app.other was not flushed by its policy")
	}
	if got := flushes("cfg"); got == cfgBefore {
		t.Fatalf("the new app.cfg's flush policy (rows:1, 2 rows) started no flush, app.other's did: held by the dropped table's given-up flush")
	}
}
