package memory

import (
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
