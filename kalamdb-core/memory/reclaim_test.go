package memory

import (
	"testing"
	"time"
)

// testReclaimer is a Reclaimer on a clock of the test's, whose runs are
// started by the test (pending) instead of in a goroutine.
func testReclaimer(threshold int64, every time.Duration) (r *Reclaimer, clock *time.Time, pending *[]func(), freed *int) {
	clock, pending, freed = new(time.Time), new([]func()), new(int)
	*clock = time.Unix(1_800_000_000, 0)
	r = NewReclaimer(threshold, every)
	r.now = func() time.Time { return *clock }
	r.start = func(f func()) { *pending = append(*pending, f) }
	r.free = func() { *freed++ }
	return r, clock, pending, freed
}

// A holder that gives back at least the threshold at once (a statement
// that held hundreds of megabytes, ending) makes the account return the
// heap's free memory; smaller give-backs, a second one while the first
// runs, and one within the interval of the last do not; a user's share
// passes its give-backs to the server's account, which reclaims.
func TestReclaimAfterLargeGiveBacks(t *testing.T) {
	r, clock, pending, freed := testReclaimer(100, 10*time.Second)
	server := NewAccount(1000)
	server.SetUserShare(500)
	server.SetReclaimer(r)
	var c Charge
	hold := func(a *Account, n int64) {
		t.Helper()
		c.Reset(a)
		if !c.Reserve(n) {
			t.Fatalf("%d refused", n)
		}
	}
	runs := func(want int64, what string) {
		t.Helper()
		if got := r.Runs(); got != want {
			t.Fatalf("%s: %d runs, want %d", what, got, want)
		}
	}

	hold(server, 99)
	c.Release()
	runs(0, "99 bytes given back")

	hold(server.For("alice"), 300)
	c.Give(150) // an operator's early give-back counts on its own
	runs(1, "150 bytes of alice's share given back")
	c.Release()
	runs(1, "the rest, while the first run has not finished")
	for _, f := range *pending {
		f()
	}
	*pending = nil
	if *freed != 1 {
		t.Fatalf("freed %d times, want 1", *freed)
	}

	hold(server, 200)
	c.Release()
	runs(1, "within the interval of the last run")

	*clock = clock.Add(10 * time.Second)
	hold(server, 200)
	c.Reset(nil) // a pooled holder recycled gives back too
	runs(2, "after the interval")
	if server.Used() != 0 || server.For("alice").Used() != 0 {
		t.Fatalf("left in the accounts: %d, %d", server.Used(), server.For("alice").Used())
	}
}

// Without a reclaimer (and for a nil account) give-backs only give back.
func TestNoReclaimer(t *testing.T) {
	a := NewAccount(0)
	var c Charge
	c.Reset(a)
	c.Reserve(1 << 40)
	c.Release()
	var r *Reclaimer
	r.gaveBack(1 << 40)
	if a.Used() != 0 {
		t.Fatal(a.Used())
	}
}
