package live_test

import (
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/database"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A send queue that is empty takes its next entry past the server's
// account (Charge.Force), on the grounds that its client keeps up. But a
// queue is also empty when its sender has taken the last entry and is
// stuck writing it to a client that reads nothing: then the forced entry
// stays until the write times out. One user's connections that read
// nothing each force one commit's changes, so together they hold the
// account past its limit for as long as they like (reconnecting), and
// every other request on the server is refused, while none of them is
// cut off. Here four such connections force 4 x 300 KB into a 600 KiB
// account.
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
