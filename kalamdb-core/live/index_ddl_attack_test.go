package live_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestAttackInitialDataAcrossDropAndCreateIndex: between the batches of
// a subscription's initial data (read at its subscribe's snapshot), the
// index it read through is dropped, then created again under its name
// (a new id, built after the snapshot). Each later batch must read the
// snapshot's rows whole: not through the dropped index's deleted
// entries, nor through the new one's, which lack them.
func TestAttackInitialDataAcrossDropAndCreateIndex(t *testing.T) {
	e := newEnv(t, live.Options{})
	build := func(stmt string) {
		res := e.sql("root", systable.RoleSystem, stmt)
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if id, _ := res[0].Rows[0][4].(string); id != "" {
			if j, err := e.db.Jobs.Wait(ctx, id); err != nil || j.Status != systable.JobCompleted {
				t.Fatalf("index build: %v %+v", err, j)
			}
		}
	}
	build("CREATE INDEX messages_conv ON chat.messages (conv)")
	for i := 1; i <= 8; i++ {
		e.alice("INSERT INTO chat.messages VALUES ($1, 7, 'x')", i)
	}
	c := e.connect("alice", systable.RoleUser)
	c.subscribe("m", "SELECT id FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{BatchSize: 2})
	c.expect("subscription_ack", "m")
	rows := c.expect("initial_data_batch", "m").Rows
	e.sql("root", systable.RoleSystem, "DROP INDEX chat.messages_conv")
	if err := c.c.NextBatch(context.Background(), "m"); err != nil {
		t.Fatal(err)
	}
	rows = append(rows, c.expect("initial_data_batch", "m").Rows...)
	build("CREATE INDEX messages_conv ON chat.messages (conv)")
	rows = append(rows, c.restOfInitialData("m")...)
	if got := fmt.Sprint(ids(rows)); got != "[1 2 3 4 5 6 7 8]" {
		t.Fatalf("initial data across DROP INDEX and CREATE INDEX: %s", got)
	}
}
