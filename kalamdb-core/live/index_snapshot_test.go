package live_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestInitialDataIgnoresAnIndexBuiltAfterItsSnapshot: a subscription
// reads its initial data at the snapshot of its subscribe, over as many
// next_batch requests as the client takes. An index created and built
// meanwhile has no entries of the rows written before its build in that
// snapshot (the build wrote them after it), so the later batches must
// not read through it: they would find none of those rows.
func TestInitialDataIgnoresAnIndexBuiltAfterItsSnapshot(t *testing.T) {
	e := newEnv(t, live.Options{})
	for i := 1; i <= 6; i++ {
		e.alice("INSERT INTO chat.messages VALUES ($1, 7, 'x')", i)
	}
	e.alice("INSERT INTO chat.messages VALUES (100, 8, 'other conversation')")
	c := e.connect("alice", systable.RoleUser)
	c.subscribe("m", "SELECT id FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{BatchSize: 2})
	c.expect("subscription_ack", "m")
	rows := c.expect("initial_data_batch", "m").Rows

	res := e.sql("root", systable.RoleSystem, "CREATE INDEX messages_conv ON chat.messages (conv)")
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if j, err := e.db.Jobs.Wait(ctx, res[0].Rows[0][4].(string)); err != nil || j.Status != systable.JobCompleted {
		t.Fatalf("index build: %v %+v", err, j)
	}
	rows = append(rows, c.restOfInitialData("m")...)
	if got := fmt.Sprint(ids(rows)); got != "[1 2 3 4 5 6]" {
		t.Fatalf("initial data across CREATE INDEX: %s", got)
	}
	// A new subscription reads through the index, and finds them all.
	c.subscribe("n", "SELECT id FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{BatchSize: 10})
	c.expect("subscription_ack", "n")
	if got := fmt.Sprint(ids(c.expect("initial_data_batch", "n").Rows)); got != "[1 2 3 4 5 6]" {
		t.Fatalf("initial data after CREATE INDEX: %s", got)
	}
}
