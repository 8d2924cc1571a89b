package ws

// This file owns the socket under a WebSocket connection, so that a
// committer can put a change's frame on the wire itself (txn.Wakes)
// instead of waking the connection's writer goroutine.
//
// Invariants:
//   - Every byte coder/websocket writes goes through frameConn.Write, in
//     order; the frames it writes are tracked (frameTracker), so frameConn
//     knows when the stream is between two frames and not inside a
//     fragmented message.
//   - A whole frame is injected (inject) only between frames, with no
//     coder write under way (mu is held for the whole of each Write and of
//     each injection) and nothing left over (spill) from an earlier one.
//   - An injection never waits: it offers the frame to the socket once;
//     what the socket does not take is kept in spill and written before
//     any later byte (by the next Write, or by the writer goroutine the
//     injector hands over to, which calls flush). spill holds at most one
//     frame of at most maxInlineFrame bytes.

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// maxInlineFrame bounds the frame a committer writes itself, and so what
// a connection's spill may hold. Live changes are small; an initial data
// batch or a large change goes through the writer goroutine.
const maxInlineFrame = 64 << 10

// maxFrameHeader is the longest header of a frame the server sends
// (unmasked, 64-bit length).
const maxFrameHeader = 10

type frameConn struct {
	net.Conn
	// raw writes without waiting; nil when the connection has no file
	// descriptor (then nothing is injected).
	raw syscall.RawConn

	// mu is held for the whole of each Write, and by an injector from
	// tryBegin to end.
	mu    sync.Mutex
	spill []byte
	track frameTracker

	// The raw write's callback and its arguments, made once so that an
	// injection allocates no closure.
	writeFn func(fd uintptr) bool
	p       []byte
	n       int
	err     error
}

func newFrameConn(c net.Conn) *frameConn {
	fc := &frameConn{Conn: c}
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			fc.raw = raw
		}
	}
	fc.writeFn = fc.writeOnce
	return fc
}

// Write is coder/websocket's: it writes p whole, after what an injection
// left over, waiting as a connection's Write does.
func (c *frameConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.flushLocked(); err != nil {
		return 0, err
	}
	n, err := c.Conn.Write(p)
	c.track.advance(p[:n])
	return n, err
}

// flush writes what an injection left over, within timeout; the writer
// goroutine an injector handed over to calls it before anything else, so
// the leftover never waits for a later message.
func (c *frameConn) flush(timeout time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.spill) == 0 {
		return nil
	}
	if err := c.Conn.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	err := c.flushLocked()
	// coder/websocket bounds its own writes by closing the connection,
	// not with deadlines: leave none behind for them.
	if derr := c.Conn.SetWriteDeadline(time.Time{}); err == nil {
		err = derr
	}
	return err
}

func (c *frameConn) flushLocked() error {
	for len(c.spill) > 0 {
		n, err := c.Conn.Write(c.spill)
		c.spill = c.spill[n:]
		if err != nil {
			return err
		}
	}
	c.spill = nil
	return nil
}

// tryBegin reports whether a frame can be injected now without waiting:
// no write under way, nothing left over, and the stream between frames.
// When it returns true the caller holds the connection until end.
func (c *frameConn) tryBegin() bool {
	if c.raw == nil || !c.mu.TryLock() {
		return false
	}
	if len(c.spill) > 0 || !c.track.between() {
		c.mu.Unlock()
		return false
	}
	return true
}

func (c *frameConn) end() { c.mu.Unlock() }

// inject writes frame (a whole frame, see textFrame) between tryBegin and
// end, without waiting: one write(2), and what the socket did not take is
// kept for later (spilled). The error is the socket's (closed, reset).
func (c *frameConn) inject(frame []byte) (spilled bool, err error) {
	c.p, c.n, c.err = frame, 0, nil
	rerr := c.raw.Write(c.writeFn)
	n, werr := c.n, c.err
	c.p, c.err = nil, nil
	if rerr != nil {
		return false, rerr
	}
	if werr != nil && !errors.Is(werr, syscall.EAGAIN) && !errors.Is(werr, syscall.EINTR) {
		return false, &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", werr)}
	}
	if n < len(frame) {
		c.spill = append([]byte(nil), frame[n:]...)
		return true, nil
	}
	return false, nil
}

// writeOnce is the raw write's callback: it never asks to wait for the
// socket (it returns true), since waiting is what an injection must not do.
func (c *frameConn) writeOnce(fd uintptr) bool {
	n, err := syscall.Write(int(fd), c.p)
	c.n, c.err = max(n, 0), err
	return true
}

// textFrame turns buf, whose first maxFrameHeader bytes are room left for
// a header and the rest a text message's payload, into one final,
// unmasked text frame (a server's, RFC 6455 section 5.2), in place.
func textFrame(buf []byte) []byte {
	n := len(buf) - maxFrameHeader
	var h [maxFrameHeader]byte
	h[0] = 0x80 | 0x1 // FIN, text
	hl := 2
	switch {
	case n <= 125:
		h[1] = byte(n)
	case n <= 0xffff:
		h[1] = 126
		binary.BigEndian.PutUint16(h[2:], uint16(n))
		hl = 4
	default:
		h[1] = 127
		binary.BigEndian.PutUint64(h[2:], uint64(n))
		hl = 10
	}
	start := maxFrameHeader - hl
	copy(buf[start:], h[:hl])
	return buf[start:]
}

// frameTracker follows the frames of a byte stream a server writes, to
// tell when the stream is between two frames and outside a fragmented
// message: the only place another whole message may go.
type frameTracker struct {
	hdr  [14]byte // the header being read
	hn   int      // how much of it
	need uint64   // payload bytes of the current frame still to come
	// fragmented is set inside a data message whose final frame has not
	// been written (control frames may come between its frames).
	fragmented bool
	// closed is set once a close frame's header is written: no data
	// frame may follow it (RFC 6455 section 5.5.1).
	closed bool
}

func (t *frameTracker) between() bool {
	return t.hn == 0 && t.need == 0 && !t.fragmented && !t.closed
}

func (t *frameTracker) advance(p []byte) {
	for len(p) > 0 {
		if t.need > 0 {
			k := min(uint64(len(p)), t.need)
			t.need -= k
			p = p[k:]
			continue
		}
		t.hdr[t.hn] = p[0]
		t.hn++
		p = p[1:]
		if t.hn < 2 || t.hn < headerLen(t.hdr[1]) {
			continue
		}
		fin, opcode := t.hdr[0]&0x80 != 0, t.hdr[0]&0x0f
		switch l := t.hdr[1] & 0x7f; l {
		case 126:
			t.need = uint64(binary.BigEndian.Uint16(t.hdr[2:]))
		case 127:
			t.need = binary.BigEndian.Uint64(t.hdr[2:])
		default:
			t.need = uint64(l)
		}
		if opcode < 0x8 { // data or continuation; control frames leave a message open
			t.fragmented = !fin
		}
		if opcode == 0x8 {
			t.closed = true
		}
		t.hn = 0
	}
}

// headerLen is a frame header's length, from its second byte.
func headerLen(b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 { // masked (a client's frame; not ours, but exact)
		n += 4
	}
	return n
}
