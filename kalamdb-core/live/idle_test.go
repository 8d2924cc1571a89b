package live_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestLoadingSubscriptionIdleEnds: a subscription that waits for its
// next_batch longer than LoadingIdleTimeout ends with SUBSCRIPTION_FAILED
// naming loading_idle_timeout (releasing its snapshot); one whose client
// asked for a batch since keeps loading, counted from that batch, and a
// subscription whose initial data is complete is never ended. The clock
// is the manager's (Options.Now), so nothing depends on real time.
func TestLoadingSubscriptionIdleEnds(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	e := newEnv(t, live.Options{LoadingIdleTimeout: time.Minute, CheckInterval: 10 * time.Millisecond,
		Now: func() time.Time { return time.Unix(0, now.Load()) }})
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b'), (3, 7, 'c')")
	c := e.connect("alice", systable.RoleUser)
	one := live.SubscriptionOptions{BatchSize: 1}
	for _, id := range []string{"idle", "asking"} {
		c.subscribe(id, "SELECT id FROM chat.messages", one)
		c.expect("subscription_ack", id)
		c.expect("initial_data_batch", id)
	}
	c.subscribeAll("done", "SELECT id FROM chat.messages", live.SubscriptionOptions{})

	now.Add(int64(59 * time.Second))
	if err := c.c.NextBatch(context.Background(), "asking"); err != nil {
		t.Fatal(err)
	}
	c.expect("initial_data_batch", "asking")
	now.Add(int64(2 * time.Second)) // idle 61 s, asking 2 s
	m := c.expect("error", "idle")
	if m.Code != "SUBSCRIPTION_FAILED" || !strings.Contains(m.Message, "loading_idle_timeout") {
		t.Fatalf("idle loading subscription ended with %s", m.raw)
	}
	// The check that ended "idle" judged the others at the same time.
	if err := c.c.NextBatch(context.Background(), "asking"); err != nil {
		t.Fatalf("a subscription that asked for a batch 2 s ago was ended: %v", err)
	}
	if b := c.expect("initial_data_batch", "asking"); b.BatchControl.HasMore {
		t.Fatalf("want the last batch: %s", b.raw)
	}
	if n := e.m.Subscriptions(); n != 2 {
		t.Fatalf("%d subscriptions remain, want asking and done", n)
	}
}

// TestLoadingSubscriptionEndsPastLoadingMaxDuration: a client that asks
// for one row just before each loading_idle_timeout keeps loading, and
// its snapshot, only until LoadingMaxDuration has passed since it
// subscribed; then the subscription ends with SUBSCRIPTION_FAILED naming
// loading_max_duration. A subscription whose initial data is complete is
// not ended by it.
func TestLoadingSubscriptionEndsPastLoadingMaxDuration(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	e := newEnv(t, live.Options{LoadingIdleTimeout: time.Minute, LoadingMaxDuration: 10 * time.Minute,
		CheckInterval: 10 * time.Millisecond, Now: func() time.Time { return time.Unix(0, now.Load()) }})
	var vals []string
	for i := 1; i <= 30; i++ {
		vals = append(vals, fmt.Sprintf("(%d, 7, 'x')", i))
	}
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES " + strings.Join(vals, ", "))
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("done", "SELECT id FROM chat.messages", live.SubscriptionOptions{})
	c.subscribe("slow", "SELECT id FROM chat.messages", live.SubscriptionOptions{BatchSize: 1})
	c.expect("subscription_ack", "slow")
	c.expect("initial_data_batch", "slow")
	// A batch every 50 s: never idle for a minute; 11 batches take 9 m 10 s.
	for i := 0; i < 11; i++ {
		now.Add(int64(50 * time.Second))
		if err := c.c.NextBatch(context.Background(), "slow"); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		c.expect("initial_data_batch", "slow")
	}
	now.Add(int64(50 * time.Second)) // 10 m since subscribing
	m := c.expect("error", "slow")
	if m.Code != "SUBSCRIPTION_FAILED" || !strings.Contains(m.Message, "loading_max_duration") {
		t.Fatalf("a subscription loading for 10 minutes ended with %s", m.raw)
	}
	if n := e.m.Subscriptions(); n != 1 {
		t.Fatalf("%d subscriptions remain, want the complete one", n)
	}
}
