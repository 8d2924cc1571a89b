package e2e_test

import (
	"fmt"
	"testing"
)

// TestLiveResumeNamesRowsThatLeftTheFilter: docs/live.md, a resumed
// subscription's delete change names the rows whose current version was
// written after from_seq_id and is not in the initial data: deleted, or
// updated so that the WHERE is no longer true (false or NULL), hot or
// flushed. A row updated out and back in is initial data, not deleted.
// Without it a client that resumes keeps a row that left its result for
// ever.
func TestLiveResumeNamesRowsThatLeftTheFilter(t *testing.T) {
	s := liveServer(t, noPolicyFlush)
	s.ok(liveAlice, `INSERT INTO chat.messages (id, conv, body) VALUES
		(1, 7, 'a'), (2, 7, 'b'), (3, 7, 'c'), (4, 7, 'd'), (5, 7, 'e'), (6, 7, 'f'), (7, 7, 'g'), (10, 8, 'z')`)
	jobOf(t, s, "STORAGE FLUSH TABLE chat.messages")
	waitJobs(t, s)
	const where = "SELECT id, body FROM chat.messages WHERE conv = 7 AND body <> 'out'"

	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribe("m", where, nil)
	c.expect("subscription_ack", "m")
	last := c.expect("initial_data_batch", "m")
	if last.BatchControl.HasMore || len(last.Rows) != 7 {
		t.Fatalf("one batch of 7 rows expected: %s", last.raw)
	}
	from := last.BatchControl.LastSeqID
	_ = c.c.CloseNow()

	// Rows 1-3 are cold when changed; 1 and 2 are flushed again after.
	s.ok(liveAlice, "UPDATE chat.messages SET conv = 8 WHERE id = 1")              // out
	s.ok(liveAlice, "UPDATE chat.messages SET conv = 8 WHERE id = 2")              // out ...
	s.ok(liveAlice, "UPDATE chat.messages SET conv = 7, body = 'b2' WHERE id = 2") // ... and back in
	s.ok(liveAlice, "DELETE FROM chat.messages WHERE id = 3")                      // deleted
	s.ok(liveAlice, "UPDATE chat.messages SET body = 'z2' WHERE id = 10")          // never matched
	jobOf(t, s, "STORAGE FLUSH TABLE chat.messages")
	waitJobs(t, s)
	s.ok(liveAlice, "UPDATE chat.messages SET body = 'out' WHERE id = 4")                         // out, hot
	s.ok(liveAlice, "UPDATE chat.messages SET conv = 9 WHERE id = 5")                             // out ...
	s.ok(liveAlice, "DELETE FROM chat.messages WHERE id = 5")                                     // ... then deleted
	s.ok(liveAlice, "UPDATE chat.messages SET body = NULL WHERE id = 6")                          // the WHERE is NULL
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (8, 7, 'h'), (9, 8, 'i')") // new: in, out

	r := s.loginWS(t, "alice", "alice-pw")
	_, rows := r.subscribeAll("m", where, map[string]any{"from_seq_id": fmt.Sprint(from)})
	if fmt.Sprint(rows) != "[map[body:b2 id:2] map[body:h id:8]]" {
		t.Fatalf("resumed initial data: %v", rows)
	}
	d := r.expect("change", "m")
	if d.ChangeType != "delete" {
		t.Fatalf("after the resumed initial data: %s", d.raw)
	}
	named := map[int64]string{}
	for _, o := range d.OldValues {
		named[int64(o["id"].(float64))] = fmt.Sprint(o["body"])
	}
	// Each named row comes with its current values (a deleted one as it
	// was deleted). Rows 9 and 10 never matched: the server cannot tell
	// them from rows that left, and the docs let it name them.
	want := map[int64]string{1: "a", 3: "c", 4: "out", 5: "e", 6: "<nil>"}
	for id, body := range want {
		if got, ok := named[id]; !ok || got != body {
			t.Errorf("row %d: named %v with body %q, want %q (delete: %s)", id, ok, got, body, d.raw)
		}
	}
	for id := range named {
		if _, ok := want[id]; !ok && id != 9 && id != 10 {
			t.Errorf("row %d named, which the client holds as initial data or was never changed: %s", id, d.raw)
		}
	}
	// The delete comes before any later change.
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (11, 7, 'k')")
	if got := r.change("m"); got != "insert [map[body:k id:11]]" {
		t.Fatalf("after the delete: %s", got)
	}
}
