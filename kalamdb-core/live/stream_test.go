package live_test

import (
	"context"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestStreamSubscriptionsArePerUser: a subscription to a STREAM table sees
// its user's partition only. Alice is notified of her events and of those
// a service delivers to her with EXECUTE AS USER; Bob's subscriber gets
// neither, and Alice's gets none of Bob's. EPHEMERAL drops an event when
// nobody subscribes to its user's partition, even if others subscribe to
// theirs.
func TestStreamSubscriptionsArePerUser(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.sql("root", systable.RoleSystem, `CREATE STREAM TABLE chat.typing (who TEXT, conv BIGINT) WITH (TTL_SECONDS = 60);
		CREATE STREAM TABLE chat.pings (who TEXT) WITH (TTL_SECONDS = 60, EPHEMERAL = true)`)
	bobSQL := func(q string) { e.sql("bob", systable.RoleUser, q) }
	e.alice("INSERT INTO chat.typing VALUES ('alice-before', 1)")
	bobSQL("INSERT INTO chat.typing VALUES ('bob-before', 1)")

	ca := e.connect("alice", systable.RoleUser)
	cb := e.connect("bob", systable.RoleUser)
	if _, rows := ca.subscribeAll("t", "SELECT who FROM chat.typing", live.SubscriptionOptions{}); len(rows) != 1 || rows[0]["who"] != "alice-before" {
		t.Fatalf("alice's initial events: %v", rows)
	}
	if _, rows := cb.subscribeAll("t", "SELECT who FROM chat.typing", live.SubscriptionOptions{}); len(rows) != 1 || rows[0]["who"] != "bob-before" {
		t.Fatalf("bob's initial events: %v", rows)
	}

	bobSQL("INSERT INTO chat.typing VALUES ('bob', 7)")
	e.alice("INSERT INTO chat.typing VALUES ('alice', 7)")
	e.sql("svc", systable.RoleService, "EXECUTE AS USER 'alice' (INSERT INTO chat.typing VALUES ('svc to alice', 7))")
	bobSQL("INSERT INTO chat.typing VALUES ('bob marker', 7)")
	if got := ca.change("t"); got != "insert [map[who:alice]]" {
		t.Fatalf("alice's first change: %s", got)
	}
	if got := ca.change("t"); got != "insert [map[who:svc to alice]]" {
		t.Fatalf("alice's second change: %s", got)
	}
	if got := cb.change("t"); got != "insert [map[who:bob]]" {
		t.Fatalf("bob's first change: %s", got)
	}
	if got := cb.change("t"); got != "insert [map[who:bob marker]]" {
		t.Fatalf("bob's second change (alice's events must not reach him): %s", got)
	}
	if ok := pendingNothing(ca); !ok {
		t.Fatal("alice got a change of bob's")
	}

	// EPHEMERAL, per partition: only alice subscribes to pings.
	ca.subscribeAll("p", "SELECT who FROM chat.pings", live.SubscriptionOptions{})
	bobSQL("INSERT INTO chat.pings VALUES ('bob')")
	e.alice("INSERT INTO chat.pings VALUES ('alice')")
	if got := ca.change("p"); got != "insert [map[who:alice]]" {
		t.Fatalf("alice's ping: %s", got)
	}
	if got := e.sql("bob", systable.RoleUser, "SELECT count(*) FROM chat.pings")[0].Rows[0][0]; got != int64(0) {
		t.Fatalf("bob's ping with no subscriber of his was stored: %v", got)
	}
	if got := e.sql("alice", systable.RoleUser, "SELECT count(*) FROM chat.pings")[0].Rows[0][0]; got != int64(1) {
		t.Fatalf("alice's ping: %v", got)
	}
}

// pendingNothing reports that nothing is queued for the client.
func pendingNothing(c *client) bool {
	_, ok, err := c.c.TryNext(context.Background())
	return !ok && err == nil
}
