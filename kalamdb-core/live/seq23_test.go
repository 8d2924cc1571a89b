package live_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Every row a subscription sends carries its version's _seq, selected or
// not (docs/live.md): KalamDB's clients resume from the largest _seq of
// the rows they received, and one subscribed to SELECT id would otherwise
// have none to resume from.

// maxSeq is the largest of seqs and of the seqs of msgs, and fails the
// test on a row without one.
func maxSeq(t *testing.T, from int64, msgs ...*msg) int64 {
	t.Helper()
	for _, m := range msgs {
		for _, s := range slices.Concat(m.seqs, m.oldSeqs) {
			if s <= 0 {
				t.Fatalf("a row without _seq: %s", m.raw)
			}
			from = max(from, s)
		}
		if len(m.seqs) != len(m.Rows) || len(m.oldSeqs) != len(m.OldValues) {
			t.Fatalf("rows without _seq: %s", m.raw)
		}
	}
	return from
}

// A client of SELECT id, body gets each row's _seq in the initial data and
// in every change (a delete's the DELETE's), not in the schema; resuming
// from the largest it received it gets every later commit once: nothing
// missed, nothing it has seen again.
func TestSeq23EveryRowCarriesSeqAndResumesFromIt(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b'), (3, 7, 'c')")
	const q = "SELECT id, body FROM chat.messages WHERE conv = 7"

	c := e.connect("alice", systable.RoleUser)
	c.subscribe("m", q, live.SubscriptionOptions{BatchSize: 2})
	ack := c.expect("subscription_ack", "m")
	if fmt.Sprint(ack.Schema) != "[{id BigInt 0} {body Text 1}]" {
		t.Fatalf("schema: %s", ack.raw)
	}
	b1 := c.expect("initial_data_batch", "m")
	if err := c.c.NextBatch(t.Context(), "m"); err != nil {
		t.Fatal(err)
	}
	b2 := c.expect("initial_data_batch", "m")
	for i, want := range []int64{e.seqOf("alice", "chat.messages", "id", 1), e.seqOf("alice", "chat.messages", "id", 2)} {
		if b1.seqs[i] != want {
			t.Fatalf("initial row %d: _seq %d, want %d: %s", i, b1.seqs[i], want, b1.raw)
		}
	}
	seen := maxSeq(t, 0, b1, b2)
	if seen != b2.BatchControl.LastSeqID {
		t.Fatalf("largest _seq of the initial rows %d, last_seq_id %d", seen, b2.BatchControl.LastSeqID)
	}

	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (4, 7, 'd')")
	ins := c.expect("change", "m")
	e.alice("UPDATE chat.messages SET body = 'a2' WHERE id = 1")
	upd := c.expect("change", "m")
	e.alice("DELETE FROM chat.messages WHERE id = 2")
	del := c.expect("change", "m")
	if got := fmt.Sprintln(ins.ChangeType, ins.Rows, upd.ChangeType, upd.Rows, upd.OldValues, del.ChangeType, del.OldValues); got !=
		"insert [map[body:d id:4]] update [map[body:a2 id:1]] [map[body:a id:1]] delete [map[body:b id:2]]\n" {
		t.Fatalf("changes: %s", got)
	}
	if want := e.seqOf("alice", "chat.messages", "id", 4); ins.seqs[0] != want {
		t.Fatalf("insert: _seq %d, want the row's %d: %s", ins.seqs[0], want, ins.raw)
	}
	if want := e.seqOf("alice", "chat.messages", "id", 1); upd.seqs[0] != want || upd.oldSeqs[0] != b1.seqs[0] {
		t.Fatalf("update: _seq %d <- %d, want %d <- %d: %s", upd.seqs[0], upd.oldSeqs[0], want, b1.seqs[0], upd.raw)
	}
	// The DELETE's version is the newest _seq of the partition: the
	// client's resume point moves past it.
	newest := e.sql("alice", systable.RoleUser, "SELECT max(_seq) FROM chat.messages WHERE _deleted = true OR _deleted = false")[0].Rows[0][0].(int64)
	if del.oldSeqs[0] != newest || del.oldSeqs[0] <= upd.seqs[0] {
		t.Fatalf("delete: _seq %d, want the DELETE's %d: %s", del.oldSeqs[0], newest, del.raw)
	}
	seen = maxSeq(t, seen, ins, upd, del)
	c.c.Close()

	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (5, 7, 'e')")
	e.alice("UPDATE chat.messages SET body = 'c2' WHERE id = 3")
	r := e.connect("alice", systable.RoleUser)
	_, rows := r.subscribeAll("m", q, live.SubscriptionOptions{FromSeqID: seen})
	if fmt.Sprint(rows) != "[map[body:e id:5] map[body:c2 id:3]]" {
		t.Fatalf("resumed from the largest _seq received (%d): %v", seen, rows)
	}
	// Nothing to delete (the DELETE was received): the next message is
	// the next commit's change.
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (6, 7, 'f')")
	if got := r.change("m"); got != "insert [map[body:f id:6]]" {
		t.Fatalf("after the resumed initial data: %s", got)
	}
}

// A query that selects _seq gets it once, as its column; a resumed
// subscription's delete change carries the named rows' _seq too.
func TestSeq23SelectedSeqOnceAndResumedDeleteCarriesIt(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b')")
	c := e.connect("alice", systable.RoleUser)
	_, rows := c.subscribeAll("s", "SELECT _seq, id FROM chat.messages", live.SubscriptionOptions{})
	if len(rows) != 2 || len(rows[0]) != 2 {
		t.Fatalf("rows: %v", rows)
	}
	_, rows = c.subscribeAll("m", "SELECT body FROM chat.messages", live.SubscriptionOptions{})
	from := e.seqOf("alice", "chat.messages", "id", 2)
	c.c.Close()
	e.alice("DELETE FROM chat.messages WHERE id = 1")

	r := e.connect("alice", systable.RoleUser)
	_, rows = r.subscribeAll("m", "SELECT body FROM chat.messages", live.SubscriptionOptions{FromSeqID: from})
	if len(rows) != 0 {
		t.Fatalf("resumed initial data: %v", rows)
	}
	d := r.expect("change", "m")
	if fmt.Sprint(d.ChangeType, d.OldValues) != "delete[map[body:a id:1]]" || len(d.oldSeqs) != 1 || d.oldSeqs[0] <= from {
		t.Fatalf("resumed delete: %s", d.raw)
	}
}
