package live_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A live WHERE comparing a nullable column (wrapped by the engine's NULL
// check) follows a row into and out of the result as NULL comes and goes;
// the delete carries the UPDATE's _seq, and a resume from it names
// nothing again. Another user's subscription sees none of it.
func TestReview23LiveNullWhereAndSeq(t *testing.T) {
	e := newEnv(t, live.Options{})
	const q = "SELECT id FROM chat.messages WHERE body > 'b'"
	a := e.connect("alice", systable.RoleUser)
	a.subscribeAll("m", q, live.SubscriptionOptions{})
	b := e.connect("bob", systable.RoleUser)
	b.subscribeAll("m", q, live.SubscriptionOptions{})

	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, NULL)")
	e.alice("UPDATE chat.messages SET body = 'c' WHERE id = 1")
	if got := a.change("m"); got != "insert [map[id:1]]" {
		t.Fatalf("NULL -> 'c': %s", got)
	}
	e.alice("UPDATE chat.messages SET body = NULL WHERE id = 1")
	d := a.expect("change", "m")
	if d.ChangeType != "delete" || len(d.oldSeqs) != 1 {
		t.Fatalf("'c' -> NULL: %s", d.raw)
	}
	if want := e.seqOf("alice", "chat.messages", "id", 1); d.oldSeqs[0] != want {
		t.Fatalf("delete _seq %d, want the UPDATE's %d: %s", d.oldSeqs[0], want, d.raw)
	}
	a.c.Close()
	r := e.connect("alice", systable.RoleUser)
	_, rows := r.subscribeAll("m", q, live.SubscriptionOptions{FromSeqID: d.oldSeqs[0]})
	if len(rows) != 0 {
		t.Fatalf("resumed: %v", rows)
	}
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (2, 7, 'z')")
	if got := r.change("m"); got != "insert [map[id:2]]" {
		t.Fatalf("after resume: %s", got)
	}
	e.sql("bob", systable.RoleUser, "INSERT INTO chat.messages (id, conv, body) VALUES (9, 7, 'q')")
	if got := b.change("m"); got != "insert [map[id:9]]" {
		t.Fatalf("bob sees: %s", got)
	}

	// A shared table's rows carry _seq too; SELECT * shows it once.
	s := e.connect("alice", systable.RoleUser)
	s.subscribeAll("r", "SELECT * FROM chat.rooms WHERE id >= 1", live.SubscriptionOptions{})
	e.sql("root", systable.RoleSystem, "INSERT INTO chat.rooms (id, name) VALUES (1, NULL), (2, 'x')")
	c1 := s.expect("change", "r")
	if len(c1.Rows) != 1 || c1.Rows[0]["_seq"] == nil || strings.Count(c1.raw, `"_seq"`) != 1 {
		t.Fatalf("shared change: %s", c1.raw)
	}
}
