package e2e_test

import (
	"fmt"
	"slices"
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

// resumePoint is what KalamDB's SDK resumes from: the largest _seq of the
// rows it received (every row carries one, docs/live.md) and of the
// batches' last_seq_id. It fails the test on a row without _seq.
func resumePoint(t *testing.T, from int64, msgs ...*wsMsg) int64 {
	t.Helper()
	for _, m := range msgs {
		if len(m.seqs) != len(m.Rows) || len(m.oldSeqs) != len(m.OldValues) {
			t.Fatalf("rows without _seq: %s", m.raw)
		}
		from = max(from, m.BatchControl.LastSeqID)
		for _, s := range append(slices.Clip(m.seqs), m.oldSeqs...) {
			if s <= 0 {
				t.Fatalf("a row without _seq: %s", m.raw)
			}
			from = max(from, s)
		}
	}
	return from
}

// TestLiveResumeFromSeqOfRowsThatDoNotSelectIt: docs/live.md, every row a
// subscription sends carries its version's _seq, whether the query
// selects it or not, so a client of SELECT id resumes from the largest
// _seq it received (as KalamDB's SDK does) and gets every row committed
// after, once: nothing missed, nothing it already has sent again.
func TestLiveResumeFromSeqOfRowsThatDoNotSelectIt(t *testing.T) {
	s := liveServer(t)
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b'), (3, 7, 'c'), (9, 8, 'elsewhere')")
	const q = "SELECT id FROM chat.messages WHERE conv = 7"

	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribe("m", q, map[string]any{"batch_size": 2})
	ack := c.expect("subscription_ack", "m")
	if len(ack.Schema) != 1 || ack.Schema[0].Name != "id" {
		t.Fatalf("schema: %s", ack.raw)
	}
	var got []*wsMsg
	for {
		b := c.expect("initial_data_batch", "m")
		got = append(got, b)
		if !b.BatchControl.HasMore {
			break
		}
		c.send(map[string]any{"type": "next_batch", "subscription_id": "m"})
	}
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (4, 7, 'd'), (5, 7, 'e')")
	got = append(got, c.expect("change", "m"), c.expect("change", "m"))
	s.ok(liveAlice, "UPDATE chat.messages SET body = 'a2' WHERE id = 1")
	got = append(got, c.expect("change", "m"))
	s.ok(liveAlice, "DELETE FROM chat.messages WHERE id = 2")
	got = append(got, c.expect("change", "m"))
	var seen []string
	for _, m := range got {
		seen = append(seen, fmt.Sprint(m.Type, m.ChangeType, m.Rows, m.OldValues))
	}
	if fmt.Sprint(seen) != "[initial_data_batch[map[id:1] map[id:2]] [] initial_data_batch[map[id:3]] [] "+
		"changeinsert[map[id:4]] [] changeinsert[map[id:5]] [] changeupdate[map[id:1]] [map[id:1]] changedelete[] [map[id:2]]]" {
		t.Fatalf("received: %v", seen)
	}
	from := resumePoint(t, 0, got...)
	last := got[len(got)-1]
	if from != last.oldSeqs[0] || from <= got[len(got)-2].seqs[0] {
		t.Fatalf("resume point %d: the DELETE's _seq (%s) should be the newest", from, last.raw)
	}
	_ = c.c.CloseNow()

	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (6, 7, 'f'), (10, 8, 'elsewhere')")
	s.ok(liveAlice, "UPDATE chat.messages SET body = 'c2' WHERE id = 3")
	s.ok(liveAlice, "DELETE FROM chat.messages WHERE id = 4")

	r := s.loginWS(t, "alice", "alice-pw")
	// As a JavaScript client sends it: a string, which holds a 64-bit
	// _seq exactly.
	_, rows := r.subscribeAll("m", q, map[string]any{"from_seq_id": fmt.Sprint(from)})
	if fmt.Sprint(rows) != "[map[id:6] map[id:3]]" {
		t.Fatalf("resumed from %d: %v", from, rows)
	}
	// Then the row deleted meanwhile, and no other the client holds or
	// saw deleted (row 10 never matched: the docs let it be named).
	d := r.expect("change", "m")
	named := fmt.Sprint(d.OldValues)
	if d.ChangeType != "delete" || (named != "[map[id:4]]" && named != "[map[id:10] map[id:4]]") {
		t.Fatalf("after the resumed initial data: %s", d.raw)
	}
	for _, seq := range d.oldSeqs {
		if seq <= from {
			t.Fatalf("a named row's _seq is not past the resume point %d: %s", from, d.raw)
		}
	}
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (7, 7, 'g')")
	if got := r.change("m"); got != "insert [map[id:7]]" {
		t.Fatalf("next change: %s", got)
	}
}
