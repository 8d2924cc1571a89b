package memory

import (
	"errors"
	"io"
	"math"
)

// ErrTooLarge reports input over ReadReserved's limit.
var ErrTooLarge = errors.New("memory: input over the size limit")

// ErrRefused reports input whose buffer the account refused to grow.
var ErrRefused = errors.New("memory: the account refused the input's buffer")

// ReadReserved reads r to its end, appending to buf, up to limit bytes of
// input. The buffer grows by doubling, each growth reserved in c before
// it is made, so that a reader declaring (or sending) more than the
// account can hold never makes its holder allocate it: what the buffer
// holds is at most twice what arrived, and what is reserved for it is its
// growth. buf's own capacity is the caller's (a pooled buffer) and is not
// reserved. It returns the input and what it holds reserved; on any error
// it has given its reservation back.
func ReadReserved(r io.Reader, buf []byte, limit int64, c *Charge) ([]byte, int64, error) {
	const first = 512
	// One byte past the limit tells input over it from input of exactly
	// the limit; at the int64 maximum ("no limit") limit+1 would wrap.
	bound := limit
	if bound < math.MaxInt64 {
		bound++
	}
	var held int64
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				c.Give(held)
				return nil, 0, ErrTooLarge
			}
			grown := min(max(first, 2*int64(cap(buf))), bound)
			if !c.Reserve(grown - int64(cap(buf))) {
				c.Give(held)
				return nil, 0, ErrRefused
			}
			held += grown - int64(cap(buf))
			buf = append(make([]byte, 0, grown), buf...)
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			if int64(len(buf)) > limit {
				// It all fitted in the caller's buffer.
				c.Give(held)
				return nil, 0, ErrTooLarge
			}
			return buf, held, nil
		}
		if err != nil {
			c.Give(held)
			return nil, 0, err
		}
	}
}
