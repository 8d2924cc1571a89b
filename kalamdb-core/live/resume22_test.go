package live_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Resumes across commits that land behind a newer commit of their
// partition (see TestAttackLive21ResumeLosesARowCommittedAfterANewerOne):
// a client resumes from the newest _seq it has seen and must get every
// row committed after it, whatever _seq its statement was given.

// stalledTxn runs, as root, BEGIN, write, a SELECT of system.live_queries
// and then end (COMMIT or ROLLBACK), and stops it in that SELECT (holding
// the rows' lock) once write has its _seq. finish lets it go on and waits
// for its end.
func (e *env) stalledTxn(write, end string) (finish func()) {
	e.t.Helper()
	var once sync.Once
	hold := live.HoldQueries(e.m)
	release := func() { once.Do(hold) }
	e.t.Cleanup(release)
	done := make(chan error, 1)
	go func() {
		_, err := e.exec("root", systable.RoleSystem, "BEGIN; "+write+"; SELECT count(*) FROM system.live_queries; "+end)
		done <- err
	}()
	live.WaitBlockedIn(e.t, "liveTable.Rows", "sync.(*Mutex).Lock")
	return func() {
		e.t.Helper()
		release()
		if err := <-done; err != nil {
			e.t.Fatal(err)
		}
	}
}

// seqOf is the _seq of the row of user's partition of table (as user
// reads it) whose column col is v, exactly (a float64 from the wire may
// not hold it).
func (e *env) seqOf(user, table, col string, v any) int64 {
	e.t.Helper()
	role := systable.RoleUser
	if user == "root" {
		role = systable.RoleSystem
	}
	res := e.sql(user, role, fmt.Sprintf("SELECT _seq FROM %s WHERE %s = $1", table, col), v)
	if len(res[0].Rows) != 1 {
		e.t.Fatalf("%s has %d rows with %s = %v", table, len(res[0].Rows), col, v)
	}
	return res[0].Rows[0][0].(int64)
}

// resumedIDs subscribes as user to the ids of chat.messages, resuming
// from from, and returns the ids of the initial data, in order.
func (e *env) resumedIDs(user string, from int64) []int64 {
	e.t.Helper()
	c := e.connect(user, systable.RoleUser)
	_, rows := c.subscribeAll("m", "SELECT id FROM chat.messages", live.SubscriptionOptions{FromSeqID: from})
	return ids(rows)
}

// A transaction's multi-row INSERT ... SELECT into alice's partition,
// committed after her newer autocommit row was delivered, reaches a
// resume from that row's _seq: all of its rows, in the order it wrote
// them, with _seq above the resume point (so a client's next resume point
// moves past them). A secondary index finds them at their new _seq.
func TestResume22TransactionRowsCommittedAfterANewerRow(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.sql("root", systable.RoleSystem, `CREATE INDEX messages_conv ON chat.messages (conv);
		INSERT INTO chat.rooms VALUES (10, 'a'), (11, 'b'), (12, 'c')`)
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("m", "SELECT id, body, _seq FROM chat.messages", live.SubscriptionOptions{})

	commit := e.stalledTxn("EXECUTE AS USER 'alice' (INSERT INTO chat.messages SELECT id, 7, name FROM chat.rooms ORDER BY id)", "COMMIT")
	e.alice("INSERT INTO chat.messages VALUES (20, 8, 'newer')")
	if m := c.expect("change", "m"); len(m.Rows) != 1 || m.Rows[0]["id"] != float64(20) {
		t.Fatalf("change: %s", m.raw)
	}
	seen := e.seqOf("alice", "chat.messages", "id", 20)
	commit()

	if got := e.resumedIDs("alice", seen); !slices.Equal(got, []int64{10, 11, 12}) {
		t.Fatalf("resumed from %d: rows %v, want 10, 11, 12 in that order", seen, got)
	}
	for _, id := range []int{10, 11, 12} {
		if s := e.seqOf("alice", "chat.messages", "id", id); s <= seen {
			t.Fatalf("row %d committed after row 20 (_seq %d) has _seq %d", id, seen, s)
		}
	}
	res := e.sql("alice", systable.RoleUser, "SELECT id FROM chat.messages WHERE conv = 7 ORDER BY id")
	if len(res[0].Rows) != 3 {
		t.Fatalf("the index on conv finds %v, want rows 10, 11, 12", res[0].Rows)
	}
	// The next resume point, the newest _seq now seen, loses nothing and
	// repeats nothing.
	last := e.seqOf("alice", "chat.messages", "id", 12)
	if got := e.resumedIDs("alice", last); len(got) != 0 {
		t.Fatalf("resumed from the newest _seq %d: %v", last, got)
	}
}

// A transaction that rolls back after a newer row was delivered leaves
// nothing behind: a resume from the newest row seen gets exactly the rows
// committed after it, and the rolled-back row never appears.
func TestResume22RolledBackTransactionHoldsNothing(t *testing.T) {
	e := newEnv(t, live.Options{})
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("m", "SELECT id, body FROM chat.messages", live.SubscriptionOptions{})

	rollback := e.stalledTxn("EXECUTE AS USER 'alice' (INSERT INTO chat.messages VALUES (1, 7, 'rolled back'))", "ROLLBACK")
	e.alice("INSERT INTO chat.messages VALUES (2, 7, 'kept')")
	if got := c.change("m"); got != "insert [map[body:kept id:2]]" {
		t.Fatalf("change: %s", got)
	}
	seen := e.seqOf("alice", "chat.messages", "id", 2)
	rollback()
	e.alice("INSERT INTO chat.messages VALUES (3, 7, 'after')")

	if got := e.resumedIDs("alice", seen); !slices.Equal(got, []int64{3}) {
		t.Fatalf("resumed from %d: %v, want row 3 alone", seen, got)
	}
	last := e.seqOf("alice", "chat.messages", "id", 3)
	if got := e.resumedIDs("alice", last); len(got) != 0 {
		t.Fatalf("resumed from the newest _seq %d: %v", last, got)
	}
}

// Partitions are independent: bob's late commit changes nothing of
// alice's partition (her rows keep their _seq, her resumes from the
// _seq she saw are exact), and reaches bob's own resume from the newer
// row he saw. (A resume while bob's transaction is open cannot be tested
// here: subscribing takes the lock the stalled transaction waits for. An
// open transaction holds no state of the partitions it writes, only its
// commit compares its _seq with theirs.)
func TestResume22OneUsersLateCommitHoldsBackNoOtherPartition(t *testing.T) {
	e := newEnv(t, live.Options{})
	a := e.connect("alice", systable.RoleUser)
	a.subscribeAll("m", "SELECT id FROM chat.messages", live.SubscriptionOptions{})
	b := e.connect("bob", systable.RoleUser)
	b.subscribeAll("m", "SELECT id FROM chat.messages", live.SubscriptionOptions{})

	commit := e.stalledTxn("EXECUTE AS USER 'bob' (INSERT INTO chat.messages VALUES (1, 7, 'bob late'))", "COMMIT")
	e.alice("INSERT INTO chat.messages VALUES (2, 7, 'alice one')")
	e.alice("INSERT INTO chat.messages VALUES (3, 7, 'alice two')")
	e.sql("bob", systable.RoleUser, "INSERT INTO chat.messages VALUES (4, 7, 'bob newer')")
	for _, want := range []string{"insert [map[id:2]]", "insert [map[id:3]]"} {
		if got := a.change("m"); got != want {
			t.Fatalf("alice's change: %s, want %s", got, want)
		}
	}
	if got := b.change("m"); got != "insert [map[id:4]]" {
		t.Fatalf("bob's change: %s", got)
	}
	s2, s3 := e.seqOf("alice", "chat.messages", "id", 2), e.seqOf("alice", "chat.messages", "id", 3)
	bobSeen := e.seqOf("bob", "chat.messages", "id", 4)
	commit()
	if got := b.change("m"); got != "insert [map[id:1]]" {
		t.Fatalf("bob's change of his late commit: %s", got)
	}
	if s := e.seqOf("alice", "chat.messages", "id", 3); s != s3 {
		t.Fatalf("bob's commit moved alice's row 3 from _seq %d to %d", s3, s)
	}

	if got := e.resumedIDs("alice", s2); !slices.Equal(got, []int64{3}) {
		t.Fatalf("alice resumed from %d: %v, want [3]", s2, got)
	}
	if got := e.resumedIDs("alice", s3); len(got) != 0 {
		t.Fatalf("alice resumed from her newest _seq %d: %v", s3, got)
	}
	if got := e.resumedIDs("bob", bobSeen); !slices.Equal(got, []int64{1}) {
		t.Fatalf("bob resumed from %d: %v, want his late row 1", bobSeen, got)
	}
}

// STREAM tables resume too (from_seq_id, events with a greater _seq): an
// event whose transaction committed after a newer event was delivered is
// in the resume from that event's _seq.
func TestResume22StreamEventCommittedAfterANewerOne(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.sql("root", systable.RoleSystem, "CREATE STREAM TABLE chat.typing (who TEXT, conv BIGINT) WITH (TTL_SECONDS = 3600)")
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("t", "SELECT who, conv FROM chat.typing", live.SubscriptionOptions{})

	commit := e.stalledTxn("EXECUTE AS USER 'alice' (INSERT INTO chat.typing VALUES ('late', 1))", "COMMIT")
	e.alice("INSERT INTO chat.typing VALUES ('newer', 2)")
	if got := c.change("t"); got != "insert [map[conv:2 who:newer]]" {
		t.Fatalf("change: %s", got)
	}
	seen := e.seqOf("alice", "chat.typing", "conv", 2)
	commit()

	back := e.connect("alice", systable.RoleUser)
	_, rows := back.subscribeAll("t", "SELECT who, conv FROM chat.typing", live.SubscriptionOptions{FromSeqID: seen})
	if len(rows) != 1 || rows[0]["who"] != "late" {
		t.Fatalf("resumed from %d: %v, want the late event alone", seen, rows)
	}
}

// A table without a primary key is keyed by the _seq of each row's first
// version: a late row keeps that key as its identity while its _seq moves
// past the newer row's, and it can be resumed, updated and deleted.
func TestResume22TableWithoutPrimaryKey(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.sql("root", systable.RoleSystem, "CREATE TABLE chat.notes (body TEXT)")
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("n", "SELECT body FROM chat.notes", live.SubscriptionOptions{})

	commit := e.stalledTxn("EXECUTE AS USER 'alice' (INSERT INTO chat.notes VALUES ('late'))", "COMMIT")
	e.alice("INSERT INTO chat.notes VALUES ('newer')")
	if got := c.change("n"); got != "insert [map[body:newer]]" {
		t.Fatalf("change: %s", got)
	}
	seen := e.seqOf("alice", "chat.notes", "body", "newer")
	commit()

	back := e.connect("alice", systable.RoleUser)
	if _, rows := back.subscribeAll("n", "SELECT body FROM chat.notes", live.SubscriptionOptions{FromSeqID: seen}); len(rows) != 1 || rows[0]["body"] != "late" {
		t.Fatalf("resumed from %d: %v, want the late row alone", seen, rows)
	}
	e.alice("UPDATE chat.notes SET body = 'late, updated' WHERE body = 'late'")
	e.alice("DELETE FROM chat.notes WHERE body = 'newer'")
	res := e.sql("alice", systable.RoleUser, "SELECT body FROM chat.notes")
	if len(res[0].Rows) != 1 || res[0].Rows[0][0] != "late, updated" {
		t.Fatalf("after an update and a delete: %v", res[0].Rows)
	}
}
