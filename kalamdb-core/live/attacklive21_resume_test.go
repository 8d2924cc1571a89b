package live_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A resume from the newest _seq a client has seen must not lose a row
// whose _seq was issued earlier but that committed later. _seq is issued
// when a statement writes the row (engine editor: seq.Next()), not when
// its transaction commits: a transaction (or a long INSERT ... SELECT, or
// an autocommit statement that lost the race for the partition lock) that
// wrote its row before a concurrent writer's commits after it. A client
// that saw the concurrent row (as a change, or as the last row of its
// initial data) and lost its socket before the late commit resumes with
// from_seq_id = the newest _seq it saw, as KalamDB's SDKs do (the largest
// _seq of the rows received). The commit therefore gives the versions of
// a commit that lands behind a newer one of its partition new _seq, above
// every one committed there (txn: Tx.Commit), so that within a partition
// _seq order is commit order.
//
// The test stops a transaction after its INSERT, inside a later SELECT of
// system.live_queries (whose rows' lock the test holds), so the order is
// deterministic: nothing is timed. It failed before the commit re-stamped
// late versions.
func TestAttackLive21ResumeLosesARowCommittedAfterANewerOne(t *testing.T) {
	e := newEnv(t, live.Options{})
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("rooms", "SELECT id, name, _seq FROM chat.rooms", live.SubscriptionOptions{})

	commit := e.stalledWrite("INSERT INTO chat.rooms VALUES (1, 'written first')")
	e.sql("root", systable.RoleSystem, "INSERT INTO chat.rooms VALUES (2, 'committed first')")
	m := c.expect("change", "rooms")
	if len(m.Rows) != 1 || m.Rows[0]["id"] != float64(2) {
		t.Fatalf("change: %s", m.raw)
	}
	// The client's resume point: the newest _seq it has seen, exactly
	// (a float64 may not hold it; read it from the table).
	seen := e.sql("root", systable.RoleSystem, "SELECT _seq FROM chat.rooms WHERE id = 2")[0].Rows[0][0].(int64)
	// The client loses its socket here; the transaction then commits.
	commit()
	first := e.sql("root", systable.RoleSystem, "SELECT _seq FROM chat.rooms WHERE id = 1")[0].Rows[0][0].(int64)

	back := e.connect("alice", systable.RoleUser)
	_, rows := back.subscribeAll("rooms", "SELECT id, name, _seq FROM chat.rooms", live.SubscriptionOptions{FromSeqID: seen})
	for _, r := range rows {
		if r["id"] == float64(1) {
			return
		}
	}
	t.Fatalf("resumed from _seq %d, the newest seen: row 1 (_seq %d, committed after it) is lost; resumed rows %v", seen, first, rows)
}
