package live_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// Send queues reserve what they hold from the server's memory account, so
// many clients that do not read cannot together hold more than it, though
// each is within its own queue's bound. The client whose queue would pass
// the account is disconnected (reconnect later), writers never wait,
// clients that keep up go on, and every byte comes back.
func TestSendQueuesReserveFromTheServerAccount(t *testing.T) {
	acct := memory.NewAccount(600 << 10)
	e := newEnv(t, live.Options{SendQueueSize: 10000, SendQueueBytes: 512 << 10}, func(c *database.Config) { c.Memory = acct })
	var slow []*client
	for i := 0; i < 3; i++ {
		c := e.connect("alice", systable.RoleUser)
		c.subscribeAll("m", "SELECT id, body FROM chat.messages", live.SubscriptionOptions{})
		slow = append(slow, c)
	}
	fast := e.connect("alice", systable.RoleUser)
	fast.subscribeAll("m", "SELECT id FROM chat.messages", live.SubscriptionOptions{})
	body := strings.Repeat("x", 50_000)
	// Each slow queue stays under its own 512 KiB; three of them pass
	// the 600 KiB account.
	for i := 1; i <= 8; i++ {
		e.alice("INSERT INTO chat.messages VALUES ($1, 7, $2)", i, body)
		if got := fast.change("m"); !strings.HasPrefix(got, "insert [map[id:") {
			t.Fatal(got)
		}
	}
	cut := 0
	for _, c := range slow {
		select {
		case <-c.c.Done():
			if err := c.c.Err(); err != live.ErrServerMemory {
				t.Fatalf("a slow client ended with %v, want ErrServerMemory", err)
			}
			cut++
		default:
		}
	}
	if cut == 0 {
		t.Fatalf("no client was cut off; %d bytes reserved of %d", acct.Used(), acct.Limit())
	}
	if u := acct.Used(); u > acct.Limit() {
		t.Fatalf("%d bytes reserved, over the account's %d", u, acct.Limit())
	}
	if err := fast.c.Err(); err != nil {
		t.Fatalf("the client that keeps up: %v", err)
	}
	for _, c := range slow {
		c.c.Close()
	}
	fast.c.Close()
	if u := acct.Used(); u != 0 {
		t.Fatalf("%d bytes still reserved after every connection closed", u)
	}
}

// Connections whose clients read nothing cannot hold the account past its
// limit: the entry a sender has taken and is stuck writing stays reserved
// until it is written, so such a connection does not look empty, and only
// a connection holding under 64 KiB takes an entry past the account. Here
// four connections that read nothing get 300 KB changes into a 600 KiB
// account: some are cut off, or other holders can still reserve.
func TestConnectionsThatDoNotReadCannotHoldTheAccountOverItsLimit(t *testing.T) {
	acct := memory.NewAccount(600 << 10)
	e := newEnv(t, live.Options{SendQueueSize: 10000, SendQueueBytes: 512 << 10}, func(c *database.Config) { c.Memory = acct })
	var stalled []*client
	for i := 0; i < 4; i++ {
		c := e.connect("alice", systable.RoleUser)
		c.subscribeAll("m", "SELECT id, body FROM chat.messages", live.SubscriptionOptions{})
		stalled = append(stalled, c)
	}
	// From here on the clients read nothing (their senders are stuck).
	e.alice("INSERT INTO chat.messages VALUES (1, 7, $1)", strings.Repeat("x", 300_000))
	cut := 0
	for _, c := range stalled {
		select {
		case <-c.c.Done():
			cut++
		default:
		}
	}
	var other memory.Charge
	other.Reset(acct)
	defer other.Release()
	if cut == 0 && !other.Reserve(1024) {
		t.Fatalf("four connections that read nothing hold %d bytes of a %d-byte account, none is cut off, and every other reservation is refused",
			acct.Used(), acct.Limit())
	}
}

// While others hold nearly all of the account, a subscriber that reads
// every change is not cut off when two commits reach it before its writer
// has taken the first, as on a busy table: a connection holding under
// 64 KiB takes chat-sized entries even past the account.
func TestAClientThatKeepsUpIsNotCutOffWhenOthersFillTheAccount(t *testing.T) {
	acct := memory.NewAccount(4 << 20)
	e := newEnv(t, live.Options{}, func(c *database.Config) { c.Memory = acct })
	c := e.connect("alice", systable.RoleUser)
	c.subscribeAll("m", "SELECT id, body FROM chat.messages", live.SubscriptionOptions{})
	var others memory.Charge
	others.Reset(acct)
	defer others.Release()
	if !others.Reserve(acct.Limit() - 45_000) {
		t.Fatal("refused")
	}
	// Chat-sized changes: a connection holding less than 64 KiB is taken
	// to keep up, and takes its entries even past the account. A larger
	// backlog than that is what the account cuts off when it is full.
	body := strings.Repeat("x", 10_000)
	e.alice("INSERT INTO chat.messages VALUES (1, 7, $1)", body)
	e.alice("INSERT INTO chat.messages VALUES (2, 7, $1)", body)
	for i := 1; i <= 2; i++ {
		if _, ok, err := c.c.TryNext(context.Background()); err != nil || !ok {
			t.Fatalf("a client that reads every change was disconnected after two commits that both succeeded: change %d: %v", i, err)
		}
	}
	if err := c.c.Err(); err != nil {
		t.Fatalf("a client that reads every change was disconnected after two commits that both succeeded: %v", err)
	}
}

// A subscription's initial data is reserved from the server's account as
// its rows are read, batch by batch, and handed to the send queue with
// the batch: a batch that does not fit is refused before it is queued,
// with an error on that request (SUBSCRIPTION_FAILED at subscribe,
// BATCH_FETCH_FAILED for a later batch, naming the setting), and the
// connection stays usable. Once others give memory back, the same
// requests succeed; every byte comes back on every path.
func TestInitialDataIsReservedFromTheServerAccount(t *testing.T) {
	acct := memory.NewAccount(1 << 20)
	e := newEnv(t, live.Options{MaxBatchBytes: 256 << 10}, func(c *database.Config) { c.Memory = acct })
	body := strings.Repeat("x", 50_000)
	for i := 1; i <= 12; i++ {
		e.alice("INSERT INTO chat.messages VALUES ($1, 7, $2)", i, body)
	}
	idle := func(what string) {
		t.Helper()
		if u := acct.Used(); u != 0 {
			t.Fatalf("%s: %d bytes still reserved", what, u)
		}
	}
	idle("after the inserts")
	var others memory.Charge
	others.Reset(acct)
	defer others.Release()
	if !others.Reserve(acct.Limit() - 100_000) {
		t.Fatal("refused")
	}
	refused := func(what string, err error, code apierror.Code) {
		t.Helper()
		ae, ok := apierror.As(err)
		if !ok || ae.Code != code || !strings.Contains(ae.Message, "server_memory_bytes") {
			t.Fatalf("%s: got %v, want %s naming server_memory_bytes", what, err, code)
		}
	}

	// 250 KB of initial data do not fit the 100 KB left.
	c := e.connect("alice", systable.RoleUser)
	err := c.c.Subscribe(context.Background(), "m", "SELECT id, body FROM chat.messages", live.SubscriptionOptions{})
	refused("subscribe", err, apierror.SubscriptionFailed)
	if err := c.c.Err(); err != nil {
		t.Fatalf("the connection ended after a refused subscribe: %v", err)
	}
	if u := acct.Used(); u != others.Held() {
		t.Fatalf("%d bytes reserved after a refused subscribe, want the others' %d", u, others.Held())
	}
	// Two rows a batch fit; the next batch does not once others hold more.
	c.subscribe("m", "SELECT id, body FROM chat.messages", live.SubscriptionOptions{BatchSize: 1})
	c.expect("subscription_ack", "m")
	if held := acct.Used() - others.Held(); held < 50_000 {
		t.Fatalf("the queued first batch holds %d bytes of the account", held)
	}
	c.expect("initial_data_batch", "m")
	if !others.Reserve(60_000) {
		t.Fatal("refused")
	}
	refused("next_batch", c.c.NextBatch(context.Background(), "m"), apierror.BatchFetchFailed)
	others.Give(60_000)
	for i := 2; ; i++ {
		if err := c.c.NextBatch(context.Background(), "m"); err != nil {
			t.Fatalf("batch %d once the memory was given back: %v", i, err)
		}
		if b := c.expect("initial_data_batch", "m"); !b.BatchControl.HasMore {
			if i != 12 {
				t.Fatalf("%d batches", i)
			}
			break
		}
	}
	others.Release()
	// What remains is the subscription's own, for its life.
	if u, held := acct.Used(), live.SubscriptionsHeld(c.c); u != held || held == 0 {
		t.Fatalf("after the last batch was sent: %d bytes reserved, want the subscription's %d", u, held)
	}

	// Many connections loading at once hold no more than the account.
	acct2 := memory.NewAccount(600 << 10)
	e2 := newEnv(t, live.Options{MaxBatchBytes: 256 << 10}, func(c *database.Config) { c.Memory = acct2 })
	for i := 1; i <= 12; i++ {
		e2.alice("INSERT INTO chat.messages VALUES ($1, 7, $2)", i, body)
	}
	var loaders []*client
	failed := 0
	for i := 0; i < 6; i++ {
		l := e2.connect("alice", systable.RoleUser)
		err := l.c.Subscribe(context.Background(), "m", "SELECT id, body FROM chat.messages", live.SubscriptionOptions{})
		if err != nil {
			refused("loader", err, apierror.SubscriptionFailed)
			failed++
		}
		if err := l.c.Err(); err != nil {
			t.Fatalf("loader %d: connection ended: %v", i, err)
		}
		if u := acct2.Used(); u > acct2.Limit() {
			t.Fatalf("%d bytes reserved, over the account's %d", u, acct2.Limit())
		}
		loaders = append(loaders, l)
	}
	if failed == 0 {
		t.Fatalf("six loaders of 250 KB each fit a 600 KiB account (%d bytes reserved)", acct2.Used())
	}
	// Connections gone with batches queued and unread give them back.
	for _, l := range loaders {
		l.c.Close()
	}
	if u := acct2.Used(); u != 0 {
		t.Fatalf("%d bytes still reserved after every loader closed", u)
	}
}
