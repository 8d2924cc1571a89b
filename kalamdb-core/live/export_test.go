package live

import (
	"context"
	"crypto/rand"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// ConnectUnchecked opens a connection not tied to an account, for tests
// whose users the catalog does not know.
func ConnectUnchecked(m *Manager, userID string, role systable.Role) (*Conn, error) {
	return m.connect(userID, role, nil)
}

// SetMatch replaces the WHERE of subscription id on c, as compiled, with
// match: tests inject a filter that panics or never ends. Call it from the
// goroutine that reads c (the view is the sender's state).
func SetMatch(c *Conn, id string, match func(ctx context.Context, row []any) (bool, error)) {
	s, err := c.subscription(id)
	if err != nil {
		panic(err)
	}
	s.view.cond = matchFunc(match)
}

type matchFunc func(ctx context.Context, row []any) (bool, error)

func (f matchFunc) Match(ctx context.Context, row []any) (bool, error) { return f(ctx, row) }

// HoldConns takes the lock that guards the manager's connections, as a
// sweep or a sign-in would, and returns what releases it.
func HoldConns(m *Manager) (release func()) {
	m.mu.Lock()
	return m.mu.Unlock
}

// ConnectHeld opens a connection for u while the caller holds the lock
// (HoldConns): a sign-in that won the lock before a waiting sweep.
func ConnectHeld(m *Manager, u *systable.User) (*Conn, error) {
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	return m.connectLocked(u.UserID, u.Role, u, raw)
}

// SweepChangedAccounts runs the periodic sweep of changed accounts once.
func SweepChangedAccounts(m *Manager) { m.endChangedAccounts("") }

// WaitSweepBlocked waits until a goroutine is inside the sweep of changed
// accounts, waiting for the connections' lock.
func WaitSweepBlocked(t testing.TB) {
	t.Helper()
	WaitBlockedIn(t, "endChangedAccounts", "sync.(*Mutex).Lock")
}

// AfterReserve makes Subscribe call f after it has taken the new
// subscription's place on the connection and before it opens it, where a
// connection ending concurrently (a slow consumer cut off by a writer, an
// account change) may remove it.
func AfterReserve(m *Manager, f func()) { m.afterReserve = f }

// HoldQueries takes the lock of system.live_queries' rows, which a
// statement reading that table waits for, and returns what releases it:
// a test can thereby stop a transaction between two of its statements.
func HoldQueries(m *Manager) (release func()) {
	m.queries.mu.Lock()
	return m.queries.mu.Unlock
}

// WaitBlockedIn waits until a goroutine's stack holds every one of
// frames (a statement waiting for a lock a test holds).
func WaitBlockedIn(t testing.TB, frames ...string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for range 10000 {
		n := runtime.Stack(buf, true)
	stacks:
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			for _, f := range frames {
				if !strings.Contains(g, f) {
					continue stacks
				}
			}
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no goroutine blocked in %v", frames)
}

// SubscriptionsHeld is what c's subscriptions keep reserved for their
// life (their SQL and compiled queries).
func SubscriptionsHeld(c *Conn) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, s := range c.subs {
		n += s.held.Held()
	}
	return n
}
