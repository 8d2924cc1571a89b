package live

import (
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/catalog"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/txn"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestPublishTouchesOnlyTheWrittenPartition: a commit is routed only to the
// subscriptions of the partitions it wrote, one queue entry per
// subscription and run of changes, whatever other users subscribe to.
func TestPublishTouchesOnlyTheWrittenPartition(t *testing.T) {
	r := NewRouter(nil)
	m := &Manager{router: r, opts: Options{}.withDefaults()}
	table := func(id string, typ dialect.TableType) *catalog.Table {
		return &catalog.Table{Meta: &systable.TableMeta{TableID: id, TableType: typ}}
	}
	msgs, rooms := table("chat:messages", dialect.TableTypeUser), table("chat:rooms", dialect.TableTypeShared)
	conns := map[string]*Conn{}
	for u := range 1000 {
		user := fmt.Sprintf("u%04d", u)
		c := &Conn{m: m, userID: user, subs: map[string]*subscription{}, wake: make(chan struct{}, 1)}
		conns[user] = c
		for i, tb := range []*catalog.Table{msgs, msgs, rooms} {
			owner := user
			if tb == rooms {
				owner = ""
			}
			r.idx.add(&subscription{conn: c, id: fmt.Sprint(i), key: partKey{table: tb.Meta.TableID, user: owner}, table: tb})
		}
	}
	queued := func() map[string]int {
		out := map[string]int{}
		for u, c := range conns {
			c.mu.Lock()
			if n := c.q.len(); n > 0 {
				out[u] = n
			}
			c.q.drain()
			c.mu.Unlock()
		}
		return out
	}

	// Three rows of u0007 and one of u0500 in one commit.
	r.Publish([]txn.Change{
		{Table: msgs, UserID: "u0007", Type: txn.ChangeInsert},
		{Table: msgs, UserID: "u0007", Type: txn.ChangeInsert},
		{Table: msgs, UserID: "u0007", Type: txn.ChangeUpdate},
		{Table: msgs, UserID: "u0500", Type: txn.ChangeDelete},
	})
	if got := fmt.Sprint(queued()); got != "map[u0007:2 u0500:2]" {
		t.Fatalf("entries per connection: %s (want one per subscription of the written partitions)", got)
	}
	// A user with no subscription: nobody is touched.
	r.Publish([]txn.Change{{Table: msgs, UserID: "nobody", Type: txn.ChangeInsert}})
	if got := queued(); len(got) != 0 {
		t.Fatalf("a write to an unwatched partition reached %v", got)
	}
	// A SHARED table is one partition: every subscriber of it.
	r.Publish([]txn.Change{{Table: rooms, Type: txn.ChangeInsert}})
	if got := queued(); len(got) != 1000 || got["u0999"] != 1 {
		t.Fatalf("shared table write reached %d connections", len(got))
	}
}

// TestPublishReportsWhetherItWokeASender: Publish reports a woken sender
// (so the committer yields to it) only when an append found a sender with
// nothing to do: with the wakeup, when the wakeup says it started one;
// without, when the queue was empty. A commit nobody watches, or one
// queued behind work the sender has not taken yet, wakes nobody.
func TestPublishReportsWhetherItWokeASender(t *testing.T) {
	r := NewRouter(nil)
	m := &Manager{router: r, opts: Options{}.withDefaults()}
	msgs := &catalog.Table{Meta: &systable.TableMeta{TableID: "chat:messages", TableType: dialect.TableTypeUser}}
	ins := func(user string) []txn.Change {
		return []txn.Change{{Table: msgs, UserID: user, Type: txn.ChangeInsert}}
	}
	waiting := &Conn{m: m, userID: "u1", subs: map[string]*subscription{}, wake: make(chan struct{}, 1)}
	r.idx.add(&subscription{conn: waiting, id: "s", key: partKey{table: msgs.Meta.TableID, user: "u1"}, table: msgs})
	if !r.Publish(ins("u1")) {
		t.Fatal("a change for an idle sender did not report it woken")
	}
	if r.Publish(ins("u1")) {
		t.Fatal("a change queued behind one the sender has not taken reported a wakeup")
	}
	if r.Publish(ins("nobody")) {
		t.Fatal("an unwatched partition reported a wakeup")
	}

	started := false
	front := &Conn{m: m, userID: "u2", subs: map[string]*subscription{}, wake: make(chan struct{}, 1)}
	front.SetWakeup(func() bool { return started })
	r.idx.add(&subscription{conn: front, id: "s", key: partKey{table: msgs.Meta.TableID, user: "u2"}, table: msgs})
	if r.Publish(ins("u2")) {
		t.Fatal("reported a wakeup the front end did not make")
	}
	started = true
	if !r.Publish(ins("u2")) {
		t.Fatal("the front end started a writer, Publish did not report it")
	}
}
