//go:build unix

package httpapi

import (
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// pollForever is a poll window far longer than any test waits: a test
// that passes cannot have waited for it to end.
const pollForever = 10 * time.Minute

// Shutdown closes a polling connection at once, as it closes a parked
// one: it does not wait for the poll window to end. (Closing a socket
// whose raw read is running waits for that read to return, so a poll
// that went on would hold beginShutdown, and the lane's lock, with it.)
func TestBusyPollEndsAtShutdown(t *testing.T) {
	addr, lane := echoLane(t, time.Hour, pollForever, pollers(1))
	c := dialLane(t, addr)
	c.roundTrip(`{"n":1}`)
	waitPolling(t, lane, 1)
	shut := make(chan struct{})
	go func() { defer close(shut); lane.beginShutdown() }()
	// The client's own deadline (a minute) is far inside the poll window.
	var ne net.Error
	if _, err := c.br.ReadByte(); err == nil {
		t.Fatal("polling connection got bytes at shutdown, want it closed")
	} else if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("polling connection still open a minute after shutdown: %v", err)
	}
	<-shut
	waitPolling(t, lane, 0)
}

// A polling connection the limiter evicts (the server is full and it was
// idle) stops polling at once: the eviction's Close, which runs in the
// accept loop and waits for a running raw read, does not wait for the
// poll window, and a request its client sends after the eviction is not
// run, as it is not on a parked connection, whose read fails at the close.
func TestBusyPollEvictedConnectionRunsNothing(t *testing.T) {
	var runs atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != "anon" {
			runs.Add(1)
			if err := connFrom(r.Context()).authenticated("u1"); err != nil {
				t.Error(err)
			}
		}
		w.Write(b)
	})
	addr, lane := serveLaneWith(t, h, time.Hour, pollForever, pollers(1), func(s *laneServer) {
		s.conns.max, s.conns.maxUnauth = 1, 1 // one connection: the next evicts it
	})

	a := dialLane(t, addr)
	a.roundTrip("signed in")
	waitPolling(t, lane, 1)
	b := dialLane(t, addr) // admitted by evicting a
	b.roundTrip("anon")
	a.send("after eviction")
	if _, err := a.br.ReadByte(); err == nil {
		t.Fatal("the evicted connection answered")
	}
	if got := runs.Load(); got != 1 {
		t.Fatalf("%d statements ran, want 1: the evicted connection ran the request sent after its eviction", got)
	}
}

// With a single processor no connection polls: a polling goroutine would
// keep the only processor from Go's network poller, so that no other
// connection's request is noticed until the poll ends (the bound is half
// the processors, and half of one is none).
func TestBusyPollNeedsTwoProcessors(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	addr, lane := echoLane(t, time.Hour, pollForever)
	c := dialLane(t, addr)
	c.roundTrip(`{"n":1}`)
	c.roundTrip(`{"n":2}`)
	if lane.caught.Load() != 0 || lane.missed.Load() != 0 || lane.polling.Load() != 0 {
		t.Fatalf("one processor: caught %d, missed %d, polling %d; want no polling",
			lane.caught.Load(), lane.missed.Load(), lane.polling.Load())
	}
}
