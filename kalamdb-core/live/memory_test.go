package live_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
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
