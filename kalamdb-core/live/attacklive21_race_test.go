package live_test

import (
	"context"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A connection that ends between Subscribe taking the subscription's
// place and opening it (a writer cutting it off as a slow consumer, an
// ALTER USER closing it, a shutdown: each runs on another goroutine than
// the one serving the subscribe) leaves nothing behind: no subscription
// in the router (which would keep an EPHEMERAL stream's events stored for
// nobody), no row of system.live_queries (which nothing could remove, not
// even KILL LIVE QUERY) and no snapshot held open (which would keep every
// replaced Parquet file on disk until the server restarts).
func TestAttackLive21ConnectionEndingWhileSubscribing(t *testing.T) {
	for _, tc := range []struct{ name, sql string }{
		{"user table, more batches", "SELECT id FROM chat.messages"},
		{"system table", "SELECT live_id FROM system.live_queries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, live.Options{})
			e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b'), (3, 7, 'c')")
			role := systable.RoleUser
			if tc.name == "system table" {
				e.sql("root", systable.RoleSystem, "ALTER USER 'alice' SET ROLE dba")
				role = systable.RoleDBA
			}
			c := e.connect("alice", role)
			live.AfterReserve(e.m, c.c.Close)
			err := c.c.Subscribe(context.Background(), "r", tc.sql, live.SubscriptionOptions{BatchSize: 1})
			live.AfterReserve(e.m, nil)
			if !apierror.Is(err, apierror.SubscriptionFailed) {
				t.Fatalf("subscribe on a connection closed meanwhile: %v", err)
			}
			if n := e.m.Subscriptions(); n != 0 {
				t.Fatalf("%d subscriptions left recorded in system.live_queries", n)
			}
			tbl, _ := e.db.Catalog.Snapshot().Table("chat", "messages")
			if e.m.Router().HasSubscribers(tbl, e.uid("alice")) {
				t.Fatal("the subscription is still routed changes")
			}
			// The per-user quota was given back once, not twice: a new
			// connection may hold a subscription again.
			c2 := e.connect("alice", role)
			c2.subscribeAll("again", "SELECT id FROM chat.messages", live.SubscriptionOptions{})
			if n := e.m.Subscriptions(); n != 1 {
				t.Fatalf("%d subscriptions recorded, want 1", n)
			}
		})
	}
}
