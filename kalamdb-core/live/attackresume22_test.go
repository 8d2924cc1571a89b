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

// A late row of a table without a primary key, re-stamped at its commit
// while its key keeps its first _seq, is found through a secondary index
// (whose entry carries the new _seq), updated and deleted through it, and
// a subscriber resuming from the newer row's _seq gets it.
func TestAttackResume22IndexedTableWithoutPrimaryKey(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.sql("root", systable.RoleSystem, "CREATE TABLE chat.notes (body TEXT, conv BIGINT); CREATE INDEX notes_conv ON chat.notes (conv)")
	commit := e.stalledTxn("EXECUTE AS USER 'alice' (INSERT INTO chat.notes VALUES ('late', 7))", "COMMIT")
	e.alice("INSERT INTO chat.notes VALUES ('newer', 8)")
	seen := e.seqOf("alice", "chat.notes", "body", "newer")
	commit()
	if s := e.seqOf("alice", "chat.notes", "conv", int64(7)); s <= seen {
		t.Fatalf("the late row has _seq %d, not above the newer row's %d", s, seen)
	}
	back := e.connect("alice", systable.RoleUser)
	if _, rows := back.subscribeAll("n", "SELECT body FROM chat.notes WHERE conv = 7", live.SubscriptionOptions{FromSeqID: seen}); len(rows) != 1 || rows[0]["body"] != "late" {
		t.Fatalf("resumed from %d: %v, want the late row", seen, rows)
	}
	e.alice("UPDATE chat.notes SET body = 'late, updated' WHERE conv = 7")
	res := e.sql("alice", systable.RoleUser, "SELECT body FROM chat.notes WHERE conv = 7")
	if len(res[0].Rows) != 1 || res[0].Rows[0][0] != "late, updated" {
		t.Fatalf("through the index after the update: %v", res[0].Rows)
	}
	e.alice("DELETE FROM chat.notes WHERE conv = 7")
	if res := e.sql("alice", systable.RoleUser, "SELECT body FROM chat.notes WHERE conv = 7"); len(res[0].Rows) != 0 {
		t.Fatalf("through the index after the delete: %v", res[0].Rows)
	}
	if res := e.sql("alice", systable.RoleUser, "SELECT body FROM chat.notes"); len(res[0].Rows) != 1 || res[0].Rows[0][0] != "newer" {
		t.Fatalf("the table after the delete: %v", res[0].Rows)
	}
}

// The same, with the late row flushed to a Parquet file (its _key the
// first _seq, its _seq the new one) and a second late row committed over
// the flushed file: resumes read both tiers by _seq, and the flushed
// late row is updated through its cold version.
func TestAttackResume22FlushedLateRowWithoutPrimaryKey(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.sql("root", systable.RoleSystem, "CREATE TABLE chat.notes (body TEXT, conv BIGINT)")
	commit := e.stalledTxn("EXECUTE AS USER 'alice' (INSERT INTO chat.notes VALUES ('late', 7))", "COMMIT")
	e.alice("INSERT INTO chat.notes VALUES ('newer', 8)")
	seen := e.seqOf("alice", "chat.notes", "body", "newer")
	commit()
	e.runJob("STORAGE FLUSH TABLE chat.notes")

	commit = e.stalledTxn("EXECUTE AS USER 'alice' (INSERT INTO chat.notes VALUES ('late after flush', 9))", "COMMIT")
	e.alice("INSERT INTO chat.notes VALUES ('newest', 10)")
	newest := e.seqOf("alice", "chat.notes", "body", "newest")
	commit()

	resumed := func(from int64) []string {
		back := e.connect("alice", systable.RoleUser)
		_, rows := back.subscribeAll("n", "SELECT body FROM chat.notes", live.SubscriptionOptions{FromSeqID: from})
		var out []string
		for _, r := range rows {
			out = append(out, r["body"].(string))
		}
		return out
	}
	if got, want := resumed(seen), []string{"late", "newest", "late after flush"}; !slices.Equal(got, want) {
		t.Fatalf("resumed from %d: %v, want %v", seen, got, want)
	}
	if got, want := resumed(newest), []string{"late after flush"}; !slices.Equal(got, want) {
		t.Fatalf("resumed from %d: %v, want %v", newest, got, want)
	}
	e.alice("UPDATE chat.notes SET body = 'late, updated' WHERE conv = 7")
	if got, want := resumed(e.seqOf("alice", "chat.notes", "conv", int64(9))), []string{"late, updated"}; !slices.Equal(got, want) {
		t.Fatalf("after updating the flushed late row: %v, want %v", got, want)
	}
}
