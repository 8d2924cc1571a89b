//go:build unix

package httpapi

import (
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// laneTry writes to a connection's socket without waiting: one write(2)
// through its raw file descriptor, which takes what fits in the socket's
// buffer. It also reads from it polling before it parks (readPolling).
// The write side and the read side are each used by one goroutine at a
// time: the answer's writer, and the connection's wait for a request.
type laneTry struct {
	raw syscall.RawConn
	fn  func(uintptr) bool // t.call, made once: a write allocates no closure
	p   []byte
	n   int
	err error

	readFn  func(uintptr) bool // t.pollRead, made once
	rp      []byte
	rn      int
	rerr    error
	pollEnd time.Time
	slot    *atomic.Int32 // while polling: the server's count of polling connections
	// quit reports that polling must stop (laneConn.pollOver): the
	// connection was closed here (shutdown, an eviction: a closed
	// descriptor stays open while its read runs, so polling would go on
	// reading it), or every processor is taken.
	quit func() bool
}

// newLaneTry is nil for a connection without a raw file descriptor.
func newLaneTry(c net.Conn) *laneTry {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	t := &laneTry{raw: raw}
	t.fn = t.call
	t.readFn = t.pollRead
	return t
}

// write offers p to the socket and returns how much it took (0 when its
// buffer is full). The error is the connection's: closed, reset.
func (t *laneTry) write(p []byte) (int, error) {
	t.p, t.n, t.err = p, 0, nil
	err := t.raw.Write(t.fn)
	n, werr := t.n, t.err
	t.p, t.err = nil, nil
	if err != nil {
		return 0, err
	}
	if werr != nil && !errors.Is(werr, syscall.EAGAIN) && !errors.Is(werr, syscall.EINTR) {
		return n, &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", werr)}
	}
	return n, nil
}

// call runs once per write, holding the descriptor: it never asks
// RawConn.Write to wait (it returns true), so a full buffer is the
// caller's to wait for, with its deadline armed.
func (t *laneTry) call(fd uintptr) bool {
	n, err := syscall.Write(int(fd), t.p)
	t.n, t.err = max(n, 0), err
	return true
}

// readPolling reads into p as a blocking read does, but first polls the
// socket without parking until end. It keeps its processor while it polls
// (each read(2) lets the runtime take it for a stop-the-world): yielding
// between polls made the goroutine hop between threads, each hop a
// futex wake-up, and the server polls on at most half its processors, so
// the others take what is queued on this one.
//
// slot counts the polling connections: the caller has counted this one,
// and it is uncounted as soon as polling stops. Polling also stops when
// quit reports true (see laneConn.pollOver); the read then parks, and a
// connection closed here fails as a parked read's does. polled reports
// whether the read was answered while polling.
func (t *laneTry) readPolling(p []byte, end time.Time, slot *atomic.Int32, quit func() bool) (n int, polled bool, err error) {
	t.rp, t.rn, t.rerr = p, 0, nil
	t.pollEnd, t.slot, t.quit = end, slot, quit
	rerr := t.raw.Read(t.readFn)
	polled = t.slot != nil
	t.stopPolling()
	n, err = t.rn, t.rerr
	t.rp, t.rerr, t.quit = nil, nil, nil
	switch {
	case rerr != nil: // closed, or the read deadline passed
		return 0, polled, &net.OpError{Op: "read", Net: "tcp", Err: rerr}
	case err != nil:
		return 0, polled, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", err)}
	case n == 0:
		return 0, polled, io.EOF
	}
	return n, polled, nil
}

func (t *laneTry) stopPolling() {
	if t.slot != nil {
		t.slot.Add(-1)
		t.slot = nil
	}
}

// pollRead is RawConn.Read's callback: true once read(2) answered with
// data, end of file or an error; false (park on the poller, which calls
// it again when the socket is readable) when nothing is there and
// polling is over.
//
// Every call reads before it may return false. RawConn.Read forgets a
// readiness the poller saw before it began (the connection's next
// request may have arrived, and been seen, before the wait): returning
// false without a read would park the goroutine on data already there,
// with no edge left to wake it. Only between reads does it stop for quit:
// a parked read fails at a close, so a polling one must not go on to read
// (and serve) what the client sends after the server closed it.
func (t *laneTry) pollRead(fd uintptr) bool {
	for {
		n, err := syscall.Read(int(fd), t.rp)
		if err != syscall.EAGAIN && err != syscall.EINTR { //nolint:errorlint // raw errno from read(2)
			t.rn, t.rerr = max(n, 0), err
			return true
		}
		if t.slot == nil || t.quit() || !time.Now().Before(t.pollEnd) {
			t.stopPolling()
			return false
		}
	}
}
