package live_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestResumeReportsDeletedRows: a subscription resumed with from_seq_id
// reports, right after its last batch, the rows deleted since then, as
// one delete change, whether their deleted version matches its WHERE or
// not (a row updated out of the WHERE and then deleted does not); rows
// deleted before from_seq_id are not reported.
func TestResumeReportsDeletedRows(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (0, 7, 'z')")
	e.alice("DELETE FROM chat.messages WHERE id = 0")
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b'), (3, 8, 'c'), (4, 7, 'd')")
	from := e.maxSeq()
	e.alice("DELETE FROM chat.messages WHERE id IN (0, 1, 3)")
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (5, 7, 'e')")
	c := e.connect("alice", systable.RoleUser)
	if err := c.c.Subscribe(context.Background(), "r", "SELECT id, body FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{FromSeqID: from}); err != nil {
		t.Fatalf("resume: %+v", errors.Unwrap(err))
	}
	c.expect("subscription_ack", "r")
	if b := c.expect("initial_data_batch", "r"); len(b.Rows) != 1 || b.Rows[0]["id"] != float64(5) {
		t.Fatalf("resumed initial data: %s", b.raw)
	}
	if got := c.change("r"); got != "delete [map[body:a id:1] map[body:c id:3]]" {
		t.Fatalf("after the resumed initial data: %s", got)
	}
}

// TestResumeBoundCountsRowsThatLeft: the rows a resume names, deleted or
// no longer matching, are bounded together by MaxBatchSize: past it the
// subscription fails, and the client subscribes again without
// from_seq_id. The primary key comes with them when the subscription
// does not show it, so the client can tell which rows they are.
func TestResumeBoundCountsRowsThatLeft(t *testing.T) {
	e := newEnv(t, live.Options{MaxBatchSize: 3})
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b'), (3, 7, 'c'), (4, 7, 'd')")
	from := e.maxSeq()
	e.alice("UPDATE chat.messages SET conv = 8 WHERE id IN (1, 2)")
	e.alice("DELETE FROM chat.messages WHERE id = 3")
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("at", "SELECT body FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{FromSeqID: from})
	if got := c.change("at"); got != "delete [map[body:a id:1] map[body:b id:2] map[body:c id:3]]" {
		t.Fatalf("three rows left: %s", got)
	}
	e.alice("UPDATE chat.messages SET body = NULL WHERE id = 4")
	c.subscribeFails(apierror.SubscriptionFailed, "past", "SELECT id FROM chat.messages WHERE conv = 7 AND body <> ''", live.SubscriptionOptions{FromSeqID: from})
}

// maxSeq is the largest _seq of alice's chat.messages, as an int64 (a
// JSON number would round it): a resume point.
func (e *env) maxSeq() int64 {
	e.t.Helper()
	seq, ok := e.sql("alice", systable.RoleUser, "SELECT max(_seq) FROM chat.messages")[0].Rows[0][0].(int64)
	if !ok {
		e.t.Fatal("max(_seq) is not an int64")
	}
	return seq
}

// TestResumeOnAViewAndASharedTable: on a view, a row that leaves the
// view's condition is named like one that leaves the subscriber's, with
// the view's columns only (the view hides the rest, the primary key
// included); on a SHARED table a user may read (PUBLIC), the rows of the
// table that left are named.
func TestResumeOnAViewAndASharedTable(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.sql("root", systable.RoleSystem, "CREATE VIEW chat.bodies AS SELECT body, conv FROM chat.messages WHERE conv = 7")
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b')")
	from := e.maxSeq()
	e.alice("UPDATE chat.messages SET conv = 8 WHERE id = 1")    // leaves the view's condition
	e.alice("UPDATE chat.messages SET body = 'bx' WHERE id = 2") // leaves the subscriber's
	c := e.connect("alice", systable.RoleUser)
	if _, rows := c.subscribeAll("v", "SELECT body FROM chat.bodies WHERE body <> 'bx'", live.SubscriptionOptions{FromSeqID: from}); len(rows) != 0 {
		t.Fatalf("resumed view: %v", rows)
	}
	if got := c.change("v"); got != "delete [map[body:a] map[body:bx]]" {
		t.Fatalf("rows that left the view: %s", got)
	}

	e.sql("root", systable.RoleSystem, "INSERT INTO chat.rooms VALUES (1, 'lobby'), (2, 'games')")
	seq, ok := e.sql("alice", systable.RoleUser, "SELECT max(_seq) FROM chat.rooms")[0].Rows[0][0].(int64)
	if !ok {
		t.Fatal("max(_seq) is not an int64")
	}
	e.sql("root", systable.RoleSystem, "UPDATE chat.rooms SET name = NULL WHERE id = 2")
	if _, rows := c.subscribeAll("r", "SELECT id, name FROM chat.rooms WHERE name <> ''", live.SubscriptionOptions{FromSeqID: seq}); len(rows) != 0 {
		t.Fatalf("resumed rooms: %v", rows)
	}
	if got := c.change("r"); got != "delete [map[id:2 name:<nil>]]" {
		t.Fatalf("rooms that left: %s", got)
	}
}
