//go:build unix

package httpapi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// echoLane serves the lane with a statement endpoint that answers its
// body and authenticates its connection (unless the body starts with
// "anon"), and /other (never the lane's) through net/http. setup is
// serveLaneWith's.
func echoLane(t *testing.T, idle, busyPoll time.Duration, setup ...func(*laneServer)) (string, *laneServer) {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/api/sql", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if tc, ok := r.Context().Value(connKey{}).(*trackedConn); ok && !strings.HasPrefix(string(b), "anon") {
			if err := tc.authenticated("u1"); err != nil {
				t.Error(err)
			}
		}
		w.Write(b)
	})
	mux.HandleFunc("/other", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "other") })
	return serveLaneWith(t, mux, idle, busyPoll, setup...)
}

// laneClient is one keep-alive connection that sends a request and reads
// its answer.
type laneClient struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialLane(t *testing.T, addr string) *laneClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	return &laneClient{t: t, c: c, br: bufio.NewReader(c)}
}

func (lc *laneClient) send(body string) {
	lc.t.Helper()
	if _, err := fmt.Fprintf(lc.c, "POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nContent-Length: %d\r\n\r\n%s", len(body), body); err != nil {
		lc.t.Fatal(err)
	}
}

func (lc *laneClient) answer() string {
	lc.t.Helper()
	resp, err := http.ReadResponse(lc.br, nil)
	if err != nil {
		lc.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		lc.t.Fatalf("answer: %d %q %v", resp.StatusCode, b, err)
	}
	return string(b)
}

func (lc *laneClient) roundTrip(body string) {
	lc.t.Helper()
	lc.send(body)
	if got := lc.answer(); got != body {
		lc.t.Fatalf("answer %q, want %q", got, body)
	}
}

// pollers lets n connections poll at once whatever the processors of
// the machine running the tests (none poll on one), with processors to
// spare for the tests' handlers (procs; TestBusyPollStopsWhenEveryProcessorIsTaken
// sets its own).
func pollers(n int32) func(*laneServer) {
	return fixedProcessors(n, n+8)
}

// fixedProcessors makes the lane's polling bounds maxPolling and procs,
// whatever GOMAXPROCS is.
func fixedProcessors(maxPolling, procs int32) func(*laneServer) {
	return func(s *laneServer) {
		s.procsFrom = func() (int32, int32) { return maxPolling, procs }
	}
}

// waitPolling waits until n connections poll (it fails the test after a
// minute: the condition, not the time, is what is tested).
func waitPolling(t *testing.T, lane *laneServer, n int32) {
	t.Helper()
	for end := time.Now().Add(time.Minute); lane.polling.Load() != n; time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d connections polling, want %d", lane.polling.Load(), n)
		}
	}
}

// A kept connection polls for its next request after the first one, and
// a request that arrives while it polls is read and answered whole, also
// one the lane hands to net/http with the bytes polled.
func TestBusyPollCatchesTheNextRequest(t *testing.T) {
	addr, lane := echoLane(t, time.Minute, 5*time.Second, pollers(1))
	c := dialLane(t, addr)
	c.roundTrip(`{"n":1}`) // a first request is never polled for
	if lane.caught.Load() != 0 || lane.missed.Load() != 0 {
		t.Fatalf("caught %d, missed %d before a second request", lane.caught.Load(), lane.missed.Load())
	}
	waitPolling(t, lane, 1)
	c.roundTrip(`{"n":2}`)
	waitPolling(t, lane, 1)
	c.roundTrip(strings.Repeat("x", 100<<10)) // more than one read
	if got := lane.caught.Load(); got != 2 {
		t.Fatalf("caught %d requests while polling, want 2", got)
	}
	waitPolling(t, lane, 1)
	fmt.Fprintf(c.c, "GET /other HTTP/1.1\r\nHost: db\r\n\r\n")
	if got := c.answer(); got != "other" {
		t.Fatalf("handed-off answer %q", got)
	}
	if lane.caught.Load() != 3 || lane.handedOff.Load() != 1 {
		t.Fatalf("caught %d, handed off %d; want 3 and 1", lane.caught.Load(), lane.handedOff.Load())
	}
}

// The polling bounds follow GOMAXPROCS while the server runs (the runtime
// changes it when the container's CPU limit changes): once the processors
// drop to one, no connection polls any more.
func TestBusyPollFollowsTheProcessors(t *testing.T) {
	var procs atomic.Int32
	procs.Store(4)
	addr, lane := echoLane(t, time.Minute, pollForever, func(s *laneServer) {
		s.procsFrom = func() (int32, int32) { n := procs.Load(); return n / 2, n }
		s.procsEvery = 0 // read them at every poll decision
	})
	c := dialLane(t, addr)
	c.roundTrip(`{"n":1}`)
	waitPolling(t, lane, 1)
	c.roundTrip(`{"n":2}`)
	waitPolling(t, lane, 1) // polling for n=3, decided with four processors
	procs.Store(1)
	c.roundTrip(`{"n":3}`) // caught; the next decision sees one processor
	c.roundTrip(`{"n":4}`)
	c.roundTrip(`{"n":5}`)
	if lane.caught.Load() != 2 || lane.missed.Load() != 0 {
		t.Fatalf("caught %d, missed %d; want 2 and 0 (n=2 and n=3 only)", lane.caught.Load(), lane.missed.Load())
	}
	if got := lane.polling.Load(); got != 0 {
		t.Fatalf("%d connections polling on one processor, want 0", got)
	}
	procs.Store(4)
	c.roundTrip(`{"n":6}`) // polled for or not: decided after n=5 was answered
	waitPolling(t, lane, 1)
	c.roundTrip(`{"n":7}`)
	if got := lane.caught.Load(); got < 3 {
		t.Fatalf("caught %d after the processors came back, want n=7 too", got)
	}
}

// A client slower than busy_poll turns polling off for its connection:
// the poll that waited for it is missed, and the request after it is not
// polled for.
func TestBusyPollStopsForASlowClient(t *testing.T) {
	addr, lane := echoLane(t, time.Minute, time.Millisecond, pollers(1))
	c := dialLane(t, addr)
	c.roundTrip(`{"n":1}`)
	time.Sleep(200 * time.Millisecond) // far past the poll: not asserted on, it only makes the client slow
	c.roundTrip(`{"n":2}`)
	if lane.caught.Load() != 0 || lane.missed.Load() != 1 {
		t.Fatalf("caught %d, missed %d; want 0 and 1", lane.caught.Load(), lane.missed.Load())
	}
	c.roundTrip(`{"n":3}`) // sent at once, but after a slow turn: not polled for
	if lane.caught.Load() != 0 || lane.missed.Load() != 1 {
		t.Fatalf("after a slow turn: caught %d, missed %d; want 0 and 1", lane.caught.Load(), lane.missed.Load())
	}
}

// At most maxPolling connections poll at once; the others park, and are
// answered all the same.
func TestBusyPollBoundsPollingConnections(t *testing.T) {
	addr, lane := echoLane(t, time.Minute, 5*time.Second, pollers(1))
	a, b := dialLane(t, addr), dialLane(t, addr)
	a.roundTrip(`{"a":1}`)
	waitPolling(t, lane, 1)
	b.roundTrip(`{"b":1}`)
	b.roundTrip(`{"b":2}`) // b found no slot: parked, not polled
	if got := lane.caught.Load(); got != 0 {
		t.Fatalf("caught %d while a held the only slot, want 0", got)
	}
	if got := lane.polling.Load(); got != 1 {
		t.Fatalf("%d connections polling, want 1", got)
	}
	a.roundTrip(`{"a":2}`)
	if got := lane.caught.Load(); got != 1 {
		t.Fatalf("caught %d, want a's second request", got)
	}
}

// Polling never outlasts the connection's read deadline: an idle
// connection is closed at the idle timeout, not at the end of a longer
// poll.
func TestBusyPollStopsAtTheIdleTimeout(t *testing.T) {
	addr, lane := echoLane(t, 50*time.Millisecond, pollForever, pollers(1))
	c := dialLane(t, addr)
	c.roundTrip(`{"n":1}`)
	waitPolling(t, lane, 1)
	// Closed by the idle timeout (50 ms) well before the poll would end.
	_ = c.c.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := c.br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle polling connection: %v, want it closed by the idle timeout", err)
	}
	waitPolling(t, lane, 0)
}

// A client that closes its connection ends the poll at once.
func TestBusyPollEndsWhenTheClientCloses(t *testing.T) {
	addr, lane := echoLane(t, time.Minute, pollForever, pollers(1))
	c := dialLane(t, addr)
	c.roundTrip(`{"n":1}`)
	waitPolling(t, lane, 1)
	c.c.Close()
	waitPolling(t, lane, 0)
	if lane.missed.Load() != 1 {
		t.Fatalf("missed %d, want the poll the close ended", lane.missed.Load())
	}
}

// Anonymous connections never poll: they cannot hold the polling slots.
func TestBusyPollOnlyForAuthenticatedConnections(t *testing.T) {
	addr, lane := echoLane(t, time.Minute, pollForever, pollers(1))
	c := dialLane(t, addr)
	for i := range 3 {
		c.roundTrip(fmt.Sprintf("anon %d", i))
	}
	if lane.caught.Load() != 0 || lane.missed.Load() != 0 || lane.polling.Load() != 0 {
		t.Fatalf("anonymous: caught %d, missed %d, polling %d; want none", lane.caught.Load(), lane.missed.Load(), lane.polling.Load())
	}
	c.roundTrip("signed in")
	waitPolling(t, lane, 1)
	c.roundTrip("polled")
	if lane.caught.Load() != 1 {
		t.Fatalf("caught %d once authenticated, want 1", lane.caught.Load())
	}
}

// A poll stops once polls and the lane's running statements take every
// processor: a polling processor never looks at other sockets, and with
// none idle their requests would wait for the runtime's occasional
// network check.
func TestBusyPollStopsWhenEveryProcessorIsTaken(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/api/sql", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if tc, ok := r.Context().Value(connKey{}).(*trackedConn); ok {
			if err := tc.authenticated("u1"); err != nil {
				t.Error(err)
			}
		}
		if string(b) == "long statement" {
			close(started)
			<-release
		}
		w.Write(b)
	})
	addr, lane := serveLaneWith(t, mux, time.Hour, pollForever, fixedProcessors(1, 2))
	a, b := dialLane(t, addr), dialLane(t, addr)
	a.roundTrip("first")
	waitPolling(t, lane, 1)
	b.send("long statement")
	<-started
	waitPolling(t, lane, 0) // a's poll gave its processor up
	a.roundTrip("second")   // read by a parked read
	if lane.caught.Load() != 0 || lane.missed.Load() != 1 {
		t.Fatalf("caught %d, missed %d; want 0 and 1", lane.caught.Load(), lane.missed.Load())
	}
	if lane.polling.Load() != 0 {
		t.Fatalf("a polls again while b's statement runs")
	}
	close(release)
	if got := b.answer(); got != "long statement" {
		t.Fatalf("b's answer %q", got)
	}
}

// A request whose body comes slowly (the watcher looks at it again each
// tick) leaves no statement counted once answered: a count left up
// would stop every later poll.
func TestBusyPollCountsSlowBodiesOnce(t *testing.T) {
	addr, lane := echoLane(t, time.Minute, 5*time.Second, pollers(1))
	c := dialLane(t, addr)
	for i := range 3 {
		body := fmt.Sprintf(`{"slow":%d}`, i)
		fmt.Fprintf(c.c, "POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:3])
		time.Sleep(5 * watchTick) // not asserted on: lets the watcher find the body incomplete
		io.WriteString(c.c, body[3:])
		if got := c.answer(); got != body {
			t.Fatalf("answer %q, want %q", got, body)
		}
	}
	if got := lane.handling.Load(); got != 0 {
		t.Fatalf("%d statements counted as running after every answer, want 0", got)
	}
	waitPolling(t, lane, 1)
}

// A request that arrived, and was seen by the network poller, before the
// poll began is read even when the poll ends at once: RawConn.Read
// forgets the readiness it saw, so a poll that parked without reading
// first waited for a wake-up that never came (every connection hung
// under concurrent load, when polls end at once for want of a
// processor).
func TestPollReadsWhatArrivedBeforeItEvenWhenOverAtOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	try := newLaneTry(server)
	if try == nil {
		t.Fatal("no raw descriptor")
	}
	if _, err := io.WriteString(client, "next request"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // not asserted on: lets the runtime's poller see the data first
	var slot atomic.Int32
	slot.Add(1)
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	buf := make([]byte, 64)
	go func() {
		n, _, err := try.readPolling(buf, time.Now().Add(time.Hour), &slot, func() bool { return true })
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || string(buf[:r.n]) != "next request" {
			t.Fatalf("read %q, %v", buf[:r.n], r.err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the poll parked on data that had arrived: lost wake-up")
	}
	if slot.Load() != 0 {
		t.Fatalf("slot %d after the read, want 0", slot.Load())
	}
}

// Many quick clients at once, with polls starting and ending for want of
// processors all the time: every request is answered (a lost wake-up
// hangs a connection, and the test, for good).
func TestBusyPollManyQuickClients(t *testing.T) {
	addr, _ := echoLane(t, time.Minute, 5*time.Second, fixedProcessors(1, 2))
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(time.Minute))
			br := bufio.NewReader(conn)
			for i := range 200 {
				body := fmt.Sprintf(`{"c":%d,"i":%d}`, c, i)
				fmt.Fprintf(conn, "POST /v1/api/sql HTTP/1.1\r\nHost: db\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Errorf("client %d request %d: %v", c, i, err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(b) != body {
					t.Errorf("client %d request %d: answer %q", c, i, b)
					return
				}
			}
		}()
	}
	wg.Wait()
}
