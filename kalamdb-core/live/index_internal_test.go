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
	}, nil)
	if got := fmt.Sprint(queued()); got != "map[u0007:2 u0500:2]" {
		t.Fatalf("entries per connection: %s (want one per subscription of the written partitions)", got)
	}
	// A user with no subscription: nobody is touched.
	r.Publish([]txn.Change{{Table: msgs, UserID: "nobody", Type: txn.ChangeInsert}}, nil)
	if got := queued(); len(got) != 0 {
		t.Fatalf("a write to an unwatched partition reached %v", got)
	}
	// A SHARED table is one partition: every subscriber of it.
	r.Publish([]txn.Change{{Table: rooms, Type: txn.ChangeInsert}}, nil)
	if got := queued(); len(got) != 1000 || got["u0999"] != 1 {
		t.Fatalf("shared table write reached %d connections", len(got))
	}
}

// TestPublishReportsWhetherItWokeASender: Publish tells the committer of
// a woken sender (so the committer yields to it) only when an append found
// a sender with nothing to do: with the wakeup, what the wakeup says (it
// started one, or deferred its send to the committer); without, when the
// queue was empty. A commit nobody watches, or one queued behind work the
// sender has not taken yet, asks nothing of the committer.
func TestPublishReportsWhetherItWokeASender(t *testing.T) {
	r := NewRouter(nil)
	m := &Manager{router: r, opts: Options{}.withDefaults()}
	msgs := &catalog.Table{Meta: &systable.TableMeta{TableID: "chat:messages", TableType: dialect.TableTypeUser}}
	ins := func(user string) []txn.Change {
		return []txn.Change{{Table: msgs, UserID: user, Type: txn.ChangeInsert}}
	}
	publish := func(user string) *txn.Wakes {
		w := txn.NewWakes(user)
		r.Publish(ins(user), w)
		return w
	}
	waiting := &Conn{m: m, userID: "u1", subs: map[string]*subscription{}, wake: make(chan struct{}, 1)}
	r.idx.add(&subscription{conn: waiting, id: "s", key: partKey{table: msgs.Meta.TableID, user: "u1"}, table: msgs})
	if !publish("u1").Pending() {
		t.Fatal("a change for an idle sender did not report it woken")
	}
	if publish("u1").Pending() {
		t.Fatal("a change queued behind one the sender has not taken reported a wakeup")
	}
	if publish("nobody").Pending() {
		t.Fatal("an unwatched partition reported a wakeup")
	}
	// Outside a commit there is no Wakes: nothing to report to.
	r.Publish(ins("u1"), nil)

	var mode string
	front := &Conn{m: m, userID: "u2", subs: map[string]*subscription{}, wake: make(chan struct{}, 1)}
	front.SetWakeup(func(w *txn.Wakes) {
		switch mode {
		case "started":
			w.Woke()
		case "deferred":
			if w.Defer("u1", func() {}) {
				t.Error("a send to another user's connection was deferred to the committer")
			}
			if !w.Defer("u2", func() {}) {
				t.Error("the first send deferred in a commit was refused")
			}
			if w.Defer("u2", func() {}) {
				t.Error("a second send deferred in one commit was accepted")
			}
		}
	})
	r.idx.add(&subscription{conn: front, id: "s", key: partKey{table: msgs.Meta.TableID, user: "u2"}, table: msgs})
	if publish("u2").Pending() {
		t.Fatal("reported a wakeup the front end did not make")
	}
	for _, mode = range []string{"started", "deferred"} {
		if !publish("u2").Pending() {
			t.Fatalf("the front end %s a writer, Publish did not report it", mode)
		}
	}
}
