package live_test

import (
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A row committed after the subscriber lost its read permission (ALTER
// TABLE ... SET TBLPROPERTIES (ACCESS_LEVEL = ...)) is not delivered,
// even when the statement that wrote it began before the ALTER and so
// carries the table as it was (the change's table is then the one the
// subscription was compiled with, and nothing told it to check again).
// The test stops such a transaction between its INSERT and its COMMIT
// (inside a SELECT of system.live_queries, whose lock it holds).
func TestAttackLive21RowCommittedAfterARevokeIsNotDelivered(t *testing.T) {
	e := newEnv(t, live.Options{})
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("rooms", "SELECT id, name FROM chat.rooms", live.SubscriptionOptions{})

	commit := e.stalledWrite("INSERT INTO chat.rooms VALUES (1, 'after the revoke')")
	e.sql("root", systable.RoleSystem, "ALTER TABLE chat.rooms SET TBLPROPERTIES (ACCESS_LEVEL = 'RESTRICTED')")
	commit()
	// The subscription ends, before or instead of the row.
	m := c.next()
	if m.Type != "error" || m.Code != "UNAUTHORIZED" {
		t.Fatalf("after the revoke alice got %s", m.raw)
	}
}

// stalledWrite runs, as root, a transaction of write and then a SELECT
// of system.live_queries, and stops it in that SELECT (holding the
// rows' lock) once write has its _seq: it has not committed when
// stalledWrite returns. commit lets it go on and waits for its end.
func (e *env) stalledWrite(write string) (commit func()) {
	e.t.Helper()
	return e.stalledTxn(write, "COMMIT")
}
