package live_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestResumeReportsDeletedRows: a subscription resumed with from_seq_id
// reports, right after its last batch, the rows deleted since then that
// match its WHERE, as one delete change; rows deleted that do not match
// (and rows deleted before from_seq_id) are not reported.
func TestResumeReportsDeletedRows(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b'), (3, 8, 'c'), (4, 7, 'd')")
	// _seq as an int64 (a JSON number would round it).
	from, ok := e.sql("alice", systable.RoleUser, "SELECT max(_seq) FROM chat.messages")[0].Rows[0][0].(int64)
	if !ok {
		t.Fatal("max(_seq) is not an int64")
	}
	e.alice("DELETE FROM chat.messages WHERE id IN (1, 3)")
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (5, 7, 'e')")
	c := e.connect("alice", systable.RoleUser)
	if err := c.c.Subscribe(context.Background(), "r", "SELECT id, body FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{FromSeqID: from}); err != nil {
		t.Fatalf("resume: %+v", errors.Unwrap(err))
	}
	c.expect("subscription_ack", "r")
	if b := c.expect("initial_data_batch", "r"); len(b.Rows) != 1 || b.Rows[0]["id"] != float64(5) {
		t.Fatalf("resumed initial data: %s", b.raw)
	}
	if got := c.change("r"); got != "delete [map[body:a id:1]]" {
		t.Fatalf("after the resumed initial data: %s", got)
	}
}
