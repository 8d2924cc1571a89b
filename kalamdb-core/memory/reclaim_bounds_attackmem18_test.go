package memory

import (
	"context"
	"testing"
	"time"
)

// A run that takes long (a large live heap to mark, a loaded machine)
// must neither overlap the next nor let runs take more than a small share
// of the server's time: a plain user who gives back a quarter of a
// statement's memory every few seconds could otherwise keep a collection
// of the whole heap running back to back. A give-back while a run is in
// progress schedules the next one when it ends, an interval from its end
// and at least dutyFactor times its duration.
func TestReclaimSlowRunsDoNotOverlap(t *testing.T) {
	const every = 10 * time.Second
	r, clock, pending, freed := testReclaimer(100, every)
	server := NewAccount(1000)
	server.SetReclaimer(r)
	var c Charge
	giveBack := func() {
		c.Reset(server)
		if !c.Reserve(200) {
			t.Fatal("refused")
		}
		c.Release()
	}
	// Each run takes 15 s, and a user gives back during it.
	r.free = func() {
		*freed++
		*clock = clock.Add(15 * time.Second)
		giveBack()
		if len(*pending) != 0 {
			t.Fatalf("a run was scheduled while one ran: %v", *pending)
		}
	}
	giveBack()
	if len(*pending) != 1 || (*pending)[0].wait != 0 {
		t.Fatalf("first give-back: %v", *pending)
	}
	f := (*pending)[0].f
	*pending = nil
	f()
	if len(*pending) != 1 {
		t.Fatalf("after the slow run: %d runs scheduled, want the one asked for during it", len(*pending))
	}
	if want := dutyFactor * 15 * time.Second; (*pending)[0].wait != want {
		t.Fatalf("next run after %v, want %v (%d times the last run's duration)", (*pending)[0].wait, want, dutyFactor)
	}
	if *freed != 1 {
		t.Fatalf("freed %d times", *freed)
	}
}

// Stop cancels the scheduled run, no give-back schedules another, and it
// waits for a run in progress: the server's stop leaves no collection
// running behind it.
func TestReclaimerStop(t *testing.T) {
	r := NewReclaimer(1, time.Hour)
	entered, release := make(chan struct{}), make(chan struct{})
	r.free = func() { close(entered); <-release }
	a := NewAccount(0)
	a.SetReclaimer(r)
	var c Charge
	c.Reset(a)
	c.Reserve(10)
	c.Release()
	<-entered
	stopped := make(chan error)
	go func() { stopped <- r.Stop(context.Background()) }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a run was in progress", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	// After Stop nothing is scheduled.
	var scheduled int
	r.after = func(time.Duration, func()) func() bool { scheduled++; return func() bool { return true } }
	c.Reserve(10)
	c.Release()
	if scheduled != 0 || r.Runs() != 1 {
		t.Fatalf("after Stop: %d scheduled, %d runs", scheduled, r.Runs())
	}

	// A scheduled run is cancelled.
	r2 := NewReclaimer(1, time.Hour)
	var cancelled bool
	r2.after = func(time.Duration, func()) func() bool { return func() bool { cancelled = true; return true } }
	a.SetReclaimer(r2)
	c.Reserve(10)
	c.Release()
	if err := r2.Stop(context.Background()); err != nil || !cancelled {
		t.Fatalf("Stop: %v, cancelled %v", err, cancelled)
	}
}
