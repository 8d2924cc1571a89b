//go:build unix

package httpapi

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// laneTry writes to a connection's socket without waiting: one write(2)
// through its raw file descriptor, which takes what fits in the socket's
// buffer.
type laneTry struct {
	raw syscall.RawConn
	fn  func(uintptr) bool // t.call, made once: a write allocates no closure
	p   []byte
	n   int
	err error
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
