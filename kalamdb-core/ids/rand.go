package ids

import (
	"crypto/rand"
	"fmt"
	"io"
)

// randBuffer hands out random bytes from a reader in chunks, so a
// generator pays one read per few dozen ids instead of one per id. It is
// not safe for concurrent use: the generator's mutex guards it.
type randBuffer struct {
	r   io.Reader
	buf [256]byte
	pos int
}

func newRandBuffer(r io.Reader) *randBuffer {
	if r == nil {
		r = rand.Reader
	}
	b := &randBuffer{r: r}
	b.pos = len(b.buf) // empty: the first read fills it
	return b
}

func (b *randBuffer) read(p []byte) error {
	if len(p) > len(b.buf)-b.pos {
		if _, err := io.ReadFull(b.r, b.buf[:]); err != nil {
			b.pos = len(b.buf)
			return fmt.Errorf("ids: read randomness: %w", err)
		}
		b.pos = 0
	}
	b.pos += copy(p, b.buf[b.pos:])
	return nil
}

func readRandom(r io.Reader, p []byte) error {
	if r == nil {
		r = rand.Reader
	}
	if _, err := io.ReadFull(r, p); err != nil {
		return fmt.Errorf("ids: read randomness: %w", err)
	}
	return nil
}
