package httpapi

import (
	"context"
	"testing"
	"time"
)

// TestLaneWatchReadsOneByteOnce: the watcher may call begin twice for one
// request (a due entry collected before the request before it ended, and
// its own), and only one read may run: a second read took the next byte
// too, held kept one of the two, and the request behind lost a byte of
// its body (it then waited out the body's timeout).
func TestLaneWatchReadsOneByteOnce(t *testing.T) {
	lc, client := laneOverTCP(t)
	lc.srv = &laneServer{busy: make(map[*laneConn]uint64), kick: make(chan struct{}, 1)}
	lc.body.reset(lc, 0) // no body: complete, so the watch may read behind it
	_, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	lc.watch.reset(lc, cancel)
	lc.watch.begin()
	lc.watch.begin()
	if _, err := client.Write([]byte("AB")); err != nil {
		t.Fatal(err)
	}
	<-lc.watch.done // the read that runs takes "A"
	heldThenNext(t, lc, 'A', 'B')
}

// TestLaneWatchLeavesAHeldByte: a byte a watch read for an earlier
// request stays held while the requests behind it are served from what
// the reader buffered; a watch of one of those must not read again, or its
// byte replaces the held one and the stream loses a byte (a pipelined
// request's body then never arrives).
func TestLaneWatchLeavesAHeldByte(t *testing.T) {
	lc, client := laneOverTCP(t)
	lc.srv = &laneServer{busy: make(map[*laneConn]uint64), kick: make(chan struct{}, 1)}
	lc.src.held[0], lc.src.hasHeld = 'A', true
	lc.body.reset(lc, 0)
	_, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	lc.watch.reset(lc, cancel)
	if _, err := client.Write([]byte("B")); err != nil {
		t.Fatal(err)
	}
	lc.watch.begin()
	if lc.watch.reading {
		<-lc.watch.done // let the read take "B", as it would
	}
	heldThenNext(t, lc, 'A', 'B')
}

// heldThenNext ends lc's watch and checks that it holds held, and that
// the connection's next byte is next: no watch read took another byte.
func heldThenNext(t *testing.T, lc *laneConn, held, next byte) {
	t.Helper()
	if gone := !lc.srv.done(lc); gone {
		t.Fatal("the watch took the connection for gone")
	}
	if !lc.src.hasHeld || lc.src.held[0] != held {
		t.Fatalf("held %v %q, want %q", lc.src.hasHeld, lc.src.held[0], held)
	}
	_ = lc.tc.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, 1)
	if n, err := lc.tc.Read(b); n != 1 || b[0] != next {
		t.Fatalf("the byte after the held one: %q, %v, want %q (a watch read took it)", b[:n], err, next)
	}
}
