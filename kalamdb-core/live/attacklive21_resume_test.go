package live_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A resume from the newest _seq a client has seen loses a row whose _seq
// is smaller but that committed later. _seq is issued when a statement
// writes the row (engine editor: seq.Next()), not when its transaction
// commits, so within one partition commit order is not _seq order: a
// transaction (or a long INSERT ... SELECT, or a large multi-row INSERT)
// that wrote its row before a concurrent writer's commits after it. A
// client that saw the concurrent row (as a change, or as the last row of
// its initial data: the last batch's last_seq_id) and lost its socket
// before the late commit resumes with from_seq_id past the late row's
// _seq: the late row is neither in the resumed initial data nor ever sent
// as a change. docs/live.md promises that a client resubscribing with
// from_seq_id (after SUBSCRIPTION_FAILED, loading_idle_timeout, a lost
// socket) gets what it missed.
//
// The test stops a transaction after its INSERT, inside a later SELECT of
// system.live_queries (whose rows' lock the test holds), so the order is
// deterministic: nothing is timed.
//
// Fixing it needs a resume point in commit order: either _seq issued
// under the partition lock at commit (it is also part of the keys of
// STREAM tables and of tables keyed by it, of index entries and of
// RETURNING _seq, so re-stamping it at commit is a storage change), or a
// per-partition watermark (the smallest _seq of a transaction in flight)
// that last_seq_id reports instead of the last row's _seq, with clients
// resuming from it and taking the rows after it again as initial data.
// Either is larger than this review; the test stays skipped until then.
func TestAttackLive21ResumeLosesARowCommittedAfterANewerOne(t *testing.T) {
	t.Skip("known: _seq is issued at write time, so a resume from the newest _seq seen loses rows with a smaller _seq committed later (see the comment)")
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
	if first >= seen {
		t.Fatalf("the transaction's row has _seq %d, not below %d: the scenario did not happen", first, seen)
	}

	back := e.connect("alice", systable.RoleUser)
	_, rows := back.subscribeAll("rooms", "SELECT id, name, _seq FROM chat.rooms", live.SubscriptionOptions{FromSeqID: seen})
	for _, r := range rows {
		if r["id"] == float64(1) {
			return
		}
	}
	t.Fatalf("resumed from _seq %d, the newest seen: row 1 (_seq %d, committed after it) is lost; resumed rows %v", seen, first, rows)
}
