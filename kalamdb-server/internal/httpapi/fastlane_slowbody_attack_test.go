package httpapi

// Adversarial tests of busy polling against slow request bodies (session
// 9, lane13 review).

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// A request whose body has not arrived takes no processor: its handler
// waits in the network poller. Counted as running (handling), one such
// request, from any client, anonymous or not, stopped every poll of a
// two-processor server until its body came or timed out: a slowloris
// body turned busy polling off for everyone.
func TestBusyPollNotStoppedByASlowBody(t *testing.T) {
	entered := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/api/sql", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Slow") != "" {
			close(entered)
			io.Copy(io.Discard, r.Body) // the client never sends the rest
			return
		}
		b, _ := io.ReadAll(r.Body)
		if tc, ok := r.Context().Value(connKey{}).(*trackedConn); ok {
			if err := tc.authenticated("u1"); err != nil {
				t.Error(err)
			}
		}
		w.Write(b)
	})
	addr, lane := serveLaneWith(t, mux, time.Minute, pollForever, fixedProcessors(1, 2))
	a := dialLane(t, addr)
	a.roundTrip("first")
	waitPolling(t, lane, 1)

	slow := dialLane(t, addr)
	fmt.Fprintf(slow.c, "POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nX-Slow: 1\r\nContent-Length: 100\r\n\r\nanon")
	<-entered // its handler waits for the rest of the body
	a.roundTrip("second")
	if lane.caught.Load() != 1 {
		t.Fatalf("caught %d, missed %d: a slow body stopped the poll, want its request caught polling",
			lane.caught.Load(), lane.missed.Load())
	}
}

// A client that sends one byte of its next request and stalls gives its
// polling slot up with that byte: the rest of its head is waited for
// parked, and another connection may poll.
func TestBusyPollSlotNotHeldByASlowHead(t *testing.T) {
	addr, lane := echoLane(t, time.Minute, pollForever, pollers(1))
	a, b := dialLane(t, addr), dialLane(t, addr)
	a.roundTrip("a1")
	waitPolling(t, lane, 1)
	io.WriteString(a.c, "P") // and nothing more for now
	waitPolling(t, lane, 0)
	b.roundTrip("b1")
	waitPolling(t, lane, 1) // b's poll took the free slot
	// a's request, finished late, is still answered.
	fmt.Fprintf(a.c, "OST /v1/api/sql HTTP/1.1\r\nHost: db\r\nContent-Length: 2\r\n\r\na2")
	if got := a.answer(); got != "a2" {
		t.Fatalf("a's answer %q", got)
	}
}

// A request whose whole body came with its head counts as running from
// the start of its handler, before the body is read: what the handler
// does first (authentication, a bcrypt hash on a cold cache) takes a
// processor, which a poll must leave to it.
func TestBusyPollCountsAHandlerBeforeItReadsABodyThatIsHere(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/api/sql", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release // working before it reads its body
		b, _ := io.ReadAll(r.Body)
		w.Write(b)
	})
	addr, lane := serveLaneWith(t, mux, time.Minute, 0)
	c := dialLane(t, addr)
	c.send("here")
	<-entered
	if got := lane.handling.Load(); got != 1 {
		t.Fatalf("%d requests counted as running, want 1", got)
	}
	close(release)
	if got := c.answer(); got != "here" {
		t.Fatalf("answer %q", got)
	}
}
