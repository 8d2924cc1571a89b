package memory

import (
	"testing"
	"time"
)

// scheduled is a run a Reclaimer scheduled: after wait, f.
type scheduled struct {
	wait time.Duration
	f    func()
}

// testReclaimer is a Reclaimer on a clock of the test's, whose runs the
// test starts itself (pending) instead of a timer.
func testReclaimer(threshold int64, every time.Duration) (r *Reclaimer, clock *time.Time, pending *[]scheduled, freed *int) {
	clock, pending, freed = new(time.Time), new([]scheduled), new(int)
	*clock = time.Unix(1_800_000_000, 0)
	r = NewReclaimer(threshold, every)
	r.now = func() time.Time { return *clock }
	r.after = func(d time.Duration, f func()) func() bool {
		*pending = append(*pending, scheduled{d, f})
		return func() bool { return false }
	}
	r.free = func() { *freed++ }
	return r, clock, pending, freed
}

// A holder that gives back at least the threshold at once (a statement
// that held hundreds of megabytes, ending) makes the account return the
// heap's free memory; smaller give-backs do not. Runs start at least an
// interval apart: a give-back within the interval of the last run
// schedules one at its end, which later give-backs join. A user's share
// passes its give-backs to the server's account, which reclaims.
func TestReclaimAfterLargeGiveBacks(t *testing.T) {
	const every = 10 * time.Second
	r, clock, pending, freed := testReclaimer(100, every)
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
	// runNext starts the one scheduled run, which must wait for wait.
	runNext := func(wait time.Duration, what string) {
		t.Helper()
		if len(*pending) != 1 || (*pending)[0].wait != wait {
			t.Fatalf("%s: scheduled %v, want one run after %v", what, *pending, wait)
		}
		f := (*pending)[0].f
		*pending = nil
		*clock = clock.Add(wait)
		f()
	}
	none := func(what string) {
		t.Helper()
		if len(*pending) != 0 {
			t.Fatalf("%s: %d runs scheduled, want none", what, len(*pending))
		}
	}

	hold(server, 99)
	c.Release()
	none("99 bytes given back")

	hold(server.For("alice"), 300)
	c.Give(150) // an operator's early give-back counts on its own
	c.Release() // joins the run already scheduled
	runNext(0, "150 bytes of alice's share given back, then the rest")
	if *freed != 1 || r.Runs() != 1 {
		t.Fatalf("freed %d times, %d runs; want 1", *freed, r.Runs())
	}

	// A burst: statements ending 3 s after the last run get one run at
	// the end of its interval, together.
	*clock = clock.Add(3 * time.Second)
	hold(server, 200)
	c.Release()
	hold(server.For("bob"), 200)
	c.Reset(nil) // a pooled holder recycled gives back too
	runNext(7*time.Second, "within the interval of the last run")
	if *freed != 2 {
		t.Fatalf("freed %d times, want 2", *freed)
	}

	*clock = clock.Add(every)
	hold(server, 200)
	c.Release()
	runNext(0, "an interval after the last run")
	if server.Used() != 0 || server.For("alice").Used() != 0 {
		t.Fatalf("left in the accounts: %d, %d", server.Used(), server.For("alice").Used())
	}
}

// Without a reclaimer (and for a nil one) give-backs only give back.
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

// The server's reclaimer runs on its own timer, off the holder's path.
func TestReclaimerRunsOnItsOwn(t *testing.T) {
	r := NewReclaimer(1, time.Hour)
	done := make(chan struct{})
	r.free = func() { close(done) }
	a := NewAccount(0)
	a.SetReclaimer(r)
	var c Charge
	c.Reset(a)
	c.Reserve(10)
	c.Release()
	<-done
}
