package memory

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestChargeReservesWithinTheAccount(t *testing.T) {
	a := NewAccount(100)
	var x, y Charge
	x.Reset(a)
	y.Reset(a)
	if !x.Reserve(60) {
		t.Fatal("60 of 100 refused")
	}
	if y.Reserve(41) {
		t.Fatal("60+41 of 100 accepted")
	}
	if got := a.Used(); got != 60 {
		t.Fatalf("a refused reservation changed the total: %d, want 60", got)
	}
	if got := y.Held(); got != 0 {
		t.Fatalf("a refused reservation is held: %d", got)
	}
	if !y.Reserve(40) {
		t.Fatal("60+40 of 100 refused")
	}
	if got := a.Refusals(); got != 1 {
		t.Fatalf("refusals %d, want 1", got)
	}
	x.Give(10)
	x.Give(1000) // more than it holds: gives back the rest only
	if got, held := a.Used(), x.Held(); got != 40 || held != 0 {
		t.Fatalf("after giving back x: used %d held %d, want 40 and 0", got, held)
	}
	y.Release()
	y.Release()
	if got := a.Used(); got != 0 {
		t.Fatalf("after release: used %d, want 0", got)
	}
}

func TestNilAndUnlimitedAccounts(t *testing.T) {
	var none Charge // no account: nothing reserved, nothing refused
	if !none.Reserve(1 << 62) {
		t.Fatal("a charge without an account refused")
	}
	none.Release()
	var nilCharge *Charge
	if !nilCharge.Reserve(5) {
		t.Fatal("nil charge refused")
	}
	nilCharge.Give(5)
	nilCharge.Release()
	a := NewAccount(0)
	var c Charge
	c.Reset(a)
	if !c.Reserve(1<<62) || !c.Reserve(1<<61) {
		t.Fatal("an unlimited account refused")
	}
	if c.Reserve(1 << 62) { // the total would overflow
		t.Fatal("an overflowing total was accepted")
	}
	c.Release()
	if a.Used() != 0 {
		t.Fatalf("used %d after release", a.Used())
	}
}

// Concurrent holders never take the total past the limit, and it returns
// to zero when they are done.
func TestConcurrentChargesStayWithinTheLimit(t *testing.T) {
	const limit = 1000
	a := NewAccount(limit)
	var wg sync.WaitGroup
	var over sync.Once
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c Charge
			c.Reset(a)
			for i := 0; i < 2000; i++ {
				if c.Reserve(int64(1 + i%97)) {
					if u := a.Used(); u > limit {
						over.Do(func() { t.Errorf("used %d over the limit %d", u, limit) })
					}
				}
				if i%7 == 0 {
					c.Give(50)
				}
				if i%31 == 0 {
					c.Release()
				}
			}
			c.Release()
		}()
	}
	wg.Wait()
	if u := a.Used(); u != 0 {
		t.Fatalf("used %d after every charge was released", u)
	}
}

// Force takes bytes past the limit; until the total is back under it,
// every reservation is refused, and the forced bytes go back like others.
func TestForcedReservations(t *testing.T) {
	a := NewAccount(100)
	var x, y Charge
	x.Reset(a)
	y.Reset(a)
	if !x.Reserve(90) {
		t.Fatal("90 of 100 refused")
	}
	y.Force(30)
	if got := a.Used(); got != 120 {
		t.Fatalf("used %d, want 120", got)
	}
	if x.Reserve(1) || y.Reserve(1) {
		t.Fatal("a reservation accepted while the total is over the limit")
	}
	y.Give(30)
	if !y.Reserve(10) {
		t.Fatal("refused once back under the limit")
	}
	x.Release()
	y.Release()
	if got := a.Used(); got != 0 {
		t.Fatalf("used %d after release", got)
	}
}

// A recycled charge gives back what it still held when it is reset.
func TestResetGivesBackWhatWasHeld(t *testing.T) {
	a := NewAccount(100)
	var c Charge
	c.Reset(a)
	c.Reserve(40)
	c.Reset(a)
	if a.Used() != 0 || c.Held() != 0 {
		t.Fatalf("after reset: used %d held %d", a.Used(), c.Held())
	}
	b := NewAccount(100)
	c.Reserve(10)
	c.Reset(b) // to another account: the first gets its bytes back
	if a.Used() != 0 || b.Used() != 0 {
		t.Fatalf("after reset to another account: %d, %d", a.Used(), b.Used())
	}
}

// A user's share is taken with the server's account or not at all: one
// user cannot hold more than the share, others still get theirs, and a
// refusal names the limit that refused.
func TestUserShares(t *testing.T) {
	a := NewAccount(1000)
	a.SetUserShare(400)
	var m1, m2, al Charge
	m1.Reset(a.For("mallory"))
	m2.Reset(a.For("mallory"))
	al.Reset(a.For("alice"))
	if !m1.Reserve(300) || m2.Reserve(101) {
		t.Fatal("mallory's share of 400: 300 then 101 more")
	}
	if e := m2.Refusal(); !strings.Contains(e.Message, "user_memory_bytes") {
		t.Fatalf("refusal by the share: %s", e.Message)
	}
	if a.Used() != 300 || a.For("mallory").Used() != 300 {
		t.Fatalf("a refused reservation changed a total: server %d, share %d", a.Used(), a.For("mallory").Used())
	}
	if !al.Reserve(400) {
		t.Fatal("alice's share refused while the server has room")
	}
	var bob Charge
	bob.Reset(a.For("bob"))
	if bob.Reserve(301) {
		t.Fatal("the server's 1000 passed")
	}
	if e := bob.Refusal(); !strings.Contains(e.Message, "server_memory_bytes") {
		t.Fatalf("refusal by the server: %s", e.Message)
	}
	if a.For("bob").Used() != 0 {
		t.Fatalf("bob's share kept a refused reservation: %d", a.For("bob").Used())
	}
	m1.Release()
	al.Release()
	if a.Used() != 0 || a.Refusals() != 2 {
		t.Fatalf("after release: used %d, refusals %d", a.Used(), a.Refusals())
	}
	// Forced bytes count in both.
	m1.Force(500)
	if a.Used() != 500 || a.For("mallory").Used() != 500 {
		t.Fatalf("forced: server %d, share %d", a.Used(), a.For("mallory").Used())
	}
	m1.Release()
	// Without shares every user reserves from the server's account.
	b := NewAccount(100)
	if b.For("x") != b || b.UserShare() != 100 {
		t.Fatal("an account without shares")
	}
}

// Shares of users holding nothing are forgotten past sweepAt; the server's
// total stays right throughout.
func TestUserSharesAreForgotten(t *testing.T) {
	a := NewAccount(1 << 40)
	a.SetUserShare(1 << 20)
	var keep Charge
	keep.Reset(a.For("u0"))
	keep.Reserve(10)
	for i := 1; i < 3*sweepAt; i++ {
		a.For(fmt.Sprint("u", i))
	}
	if n := a.users.count; n > sweepAt+1 {
		t.Fatalf("%d shares kept", n)
	}
	if a.For("u0").Used() != 10 {
		t.Fatal("a share holding bytes was forgotten")
	}
	keep.Release()
	if a.Used() != 0 {
		t.Fatalf("server holds %d", a.Used())
	}
}

// ForKnown reuses a share it is given only when it is the very account For
// would return.
func TestForKnown(t *testing.T) {
	a := NewAccount(1000)
	a.SetUserShare(400)
	mallory := a.For("mallory")
	if a.ForKnown("mallory", mallory) != mallory || a.ForKnown("alice", mallory) != a.For("alice") {
		t.Fatal("ForKnown with a share")
	}
	if a.ForKnown("mallory", nil) != mallory || a.ForKnown("mallory", a) != mallory {
		t.Fatal("ForKnown without the user's share")
	}
	other := NewAccount(1000)
	other.SetUserShare(400)
	if a.ForKnown("mallory", other.For("mallory")) != mallory {
		t.Fatal("ForKnown with another server's share")
	}
	b := NewAccount(100)
	if b.ForKnown("x", nil) != b || b.ForKnown("x", mallory) != b {
		t.Fatal("ForKnown of an account without shares")
	}
}
