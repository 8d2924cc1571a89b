package live_test

import (
	"slices"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A transaction that writes row 1, then row 2, then row 1 again commits
// in order (nothing newer of the partition committed meanwhile), so it
// keeps its statements' _seq: row 1's last version has a greater _seq
// than row 2's. Its changes are delivered one message each, in the order
// the transaction first wrote the keys: row 1 (the greater _seq) first.
// A client that has seen that change and no more (its connection dropped
// before the next message) resumes from the newest _seq it saw, row 1's,
// and must get row 2: the commit's changes must come in _seq order.
func TestAttackResume22RewriteInOneTransactionDeliversSeqOutOfOrder(t *testing.T) {
	e := newEnv(t, live.Options{})
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("m", "SELECT id, body FROM chat.messages", live.SubscriptionOptions{})

	e.alice(`BEGIN;
		INSERT INTO chat.messages VALUES (1, 7, 'one');
		INSERT INTO chat.messages VALUES (2, 7, 'two');
		UPDATE chat.messages SET body = 'one, again' WHERE id = 1;
		COMMIT`)
	first := c.expect("change", "m")
	if len(first.Rows) != 1 {
		t.Fatalf("first change: %s", first.raw)
	}
	firstID := int64(first.Rows[0]["id"].(float64))
	seen := e.seqOf("alice", "chat.messages", "id", firstID)
	// The client saw the first change alone, then reconnects.
	want := []int64{1, 2}
	want = slices.DeleteFunc(want, func(id int64) bool { return id == firstID })
	if got := e.resumedIDs("alice", seen); !slices.Equal(got, want) {
		t.Fatalf("first change delivered: row %d (_seq %d, rows' _seq 1: %d, 2: %d); resumed from it: %v, want %v",
			firstID, seen, e.seqOf("alice", "chat.messages", "id", 1), e.seqOf("alice", "chat.messages", "id", 2), got, want)
	}
}
