package live_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Initial data comes in batches bounded in bytes as well as in rows: the
// review's 140 rows of 10 MB, asked for in one batch of 10000, made one
// message of 1.4 GB. A batch holds rows up to MaxBatchBytes (at least one
// row, however large), in _seq order, each row exactly once.
func TestBatchesAreBoundedInBytes(t *testing.T) {
	const limit = 64 << 10
	e := newEnv(t, live.Options{MaxBatchBytes: limit})
	// Inserted in an order unlike the key order, with sizes mixed: small
	// rows, 30 KB rows, and one row larger than a whole batch.
	sizes := map[int]int{}
	for i := 1; i <= 40; i++ {
		id := (i * 17) % 41
		n := 10
		switch {
		case i == 20:
			n = 100_000
		case i%3 == 0:
			n = 30_000
		}
		sizes[id] = n
		e.alice("INSERT INTO chat.messages VALUES ($1, 7, repeat('x', $2))", id, n)
	}
	c := e.connect("alice", systable.RoleUser)
	c.subscribe("m", "SELECT id, body FROM chat.messages", live.SubscriptionOptions{BatchSize: 10000})
	if ack := c.expect("subscription_ack", "m"); ack.TotalRows != 40 {
		t.Fatalf("ack: %s", ack.raw)
	}
	var order []int
	batches := 0
	for {
		b := c.expect("initial_data_batch", "m")
		batches++
		bytes := 0
		for _, r := range b.Rows {
			bytes += len(r["body"].(string))
			order = append(order, int(r["id"].(float64)))
		}
		if len(b.Rows) == 0 || (len(b.Rows) > 1 && bytes > limit) {
			t.Fatalf("batch %d: %d rows of %d bytes", b.BatchControl.BatchNum, len(b.Rows), bytes)
		}
		if !b.BatchControl.HasMore {
			break
		}
		if err := c.c.NextBatch(context.Background(), "m"); err != nil {
			t.Fatal(err)
		}
	}
	// In _seq order: the order of the inserts.
	var want []int
	for i := 1; i <= 40; i++ {
		want = append(want, (i*17)%41)
	}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("rows %v, want %v", order, want)
	}
	total := 0
	for _, n := range sizes {
		total += n
	}
	if batches < total/limit {
		t.Fatalf("%d batches for %d bytes", batches, total)
	}
	// Live changes follow as usual.
	e.alice("INSERT INTO chat.messages VALUES (100, 7, 'y')")
	if got := c.change("m"); got != "insert [map[body:y id:100]]" {
		t.Fatal(got)
	}
}

// A client that does not read cannot make the server hold an unbounded
// amount of its changes: the send queue is bounded in bytes as well as in
// entries, and past it the connection ends as a slow consumer. Writers
// never wait, and other clients go on.
func TestSendQueueIsBoundedInBytes(t *testing.T) {
	e := newEnv(t, live.Options{SendQueueSize: 10000, SendQueueBytes: 256 << 10})
	slow := e.connect("alice", systable.RoleUser)
	slow.subscribeAll("m", "SELECT id FROM chat.messages", live.SubscriptionOptions{})
	fast := e.connect("alice", systable.RoleUser)
	fast.subscribeAll("m", "SELECT id FROM chat.messages", live.SubscriptionOptions{})
	body := strings.Repeat("x", 50_000)
	for i := 1; i <= 20; i++ {
		e.alice("INSERT INTO chat.messages VALUES ($1, 7, $2)", i, body)
		if got := fast.change("m"); got != fmt.Sprintf("insert [map[id:%d]]", i) {
			t.Fatal(got)
		}
	}
	<-slow.c.Done()
	if slow.c.Err() != live.ErrSlowConsumer {
		t.Fatalf("err: %v", slow.c.Err())
	}
	// One entry larger than the whole bound is still taken by a queue
	// that holds nothing else: a client that keeps up is not cut off for
	// one large write.
	e.alice("INSERT INTO chat.messages VALUES (21, 7, repeat('y', 400000))")
	if got := fast.change("m"); got != "insert [map[id:21]]" {
		t.Fatal(got)
	}
	if err := fast.c.Err(); err != nil {
		t.Fatal(err)
	}
}

// Changes kept aside while a subscription's initial data loads are bounded
// in bytes too: past the bound that subscription fails, the connection
// lives on.
func TestPendingChangesAreBoundedInBytes(t *testing.T) {
	e := newEnv(t, live.Options{SendQueueBytes: 256 << 10})
	e.alice("INSERT INTO chat.messages VALUES (1, 7, 'x'), (2, 7, 'x')")
	c := e.connect("alice", systable.RoleUser)
	c.subscribe("m", "SELECT id FROM chat.messages", live.SubscriptionOptions{BatchSize: 1})
	c.expect("subscription_ack", "m")
	c.expect("initial_data_batch", "m")
	// The client reads after each write (its queue drains into the
	// changes kept aside, so the queue itself never fills), but does not
	// ask for the next batch.
	body := strings.Repeat("x", 50_000)
	var m live.Message
	for i := 3; i <= 12 && m == nil; i++ {
		e.alice("INSERT INTO chat.messages VALUES ($1, 7, $2)", i, body)
		got, ok, err := c.c.TryNext(context.Background())
		if err != nil {
			t.Fatalf("after insert %d: %v", i, err)
		}
		if ok {
			m = got
		}
	}
	if m, ok := m.(*live.ErrorMessage); !ok || m.SubscriptionID != "m" || m.Code != "SUBSCRIPTION_FAILED" ||
		!strings.Contains(m.Message, "send_queue_bytes") {
		t.Fatalf("%#v", m)
	}
	if err := c.c.Err(); err != nil {
		t.Fatal(err)
	}
	c.subscribeAll("n", "SELECT id FROM chat.messages WHERE id > 12", live.SubscriptionOptions{})
	e.alice("INSERT INTO chat.messages VALUES (13, 7, 'x')")
	if got := c.change("n"); got != "insert [map[id:13]]" {
		t.Fatal(got)
	}
}
