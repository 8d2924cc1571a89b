package ids

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// ULID layout (github.com/ulid/spec): 48 bits of milliseconds since the
// Unix epoch then 80 random bits, written as 26 characters of Crockford's
// base32 (the first character carries only 3 bits, so it is 0..7). The
// text sorts like the bits.
//
// A generator keeps ULIDs of one millisecond strictly increasing by
// adding 1 to the previous random part (the spec's monotonic mode). Where
// the spec gives up when those 80 bits overflow, the generator moves its
// logical clock to the next millisecond, like the other generators here.

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ULIDGenerator generates strictly increasing ULIDs. It is safe for
// concurrent use.
type ULIDGenerator struct {
	mu     sync.Mutex
	now    func() time.Time
	rand   *randBuffer
	lastMs int64
	last   [10]byte
}

// NewULIDGenerator returns a generator reading the clock now (nil:
// time.Now) and randomness from r (nil: crypto/rand).
func NewULIDGenerator(now func() time.Time, r io.Reader) *ULIDGenerator {
	if now == nil {
		now = time.Now
	}
	return &ULIDGenerator{now: now, rand: newRandBuffer(r), lastMs: -1}
}

// Next returns a new ULID, greater than every ULID this generator returned
// before.
func (g *ULIDGenerator) Next() (string, error) {
	ms := min(max(g.now().UnixMilli(), 0), maxUnixMilli48)
	g.mu.Lock()
	if ms <= g.lastMs && increment(&g.last) {
		ms = g.lastMs
	} else {
		if ms <= g.lastMs { // the random part overflowed
			ms = g.lastMs + 1
		}
		if err := g.rand.read(g.last[:]); err != nil {
			g.mu.Unlock()
			return "", err
		}
		g.lastMs = ms
	}
	rnd := g.last
	g.mu.Unlock()
	return encodeULID(ms, &rnd), nil
}

// increment adds 1 to the big-endian 80-bit number r and reports whether
// it did not overflow.
func increment(r *[10]byte) bool {
	for i := len(r) - 1; i >= 0; i-- {
		r[i]++
		if r[i] != 0 {
			return true
		}
	}
	return false
}

// NewULID returns a ULID for time now with 80 random bits from r (nil:
// crypto/rand). ULIDs made this way are ordered only by millisecond; use a
// ULIDGenerator for strict order.
func NewULID(now time.Time, r io.Reader) (string, error) {
	var rnd [10]byte
	if err := readRandom(r, rnd[:]); err != nil {
		return "", err
	}
	return encodeULID(min(max(now.UnixMilli(), 0), maxUnixMilli48), &rnd), nil
}

// encodeULID writes the 128 bits ms(48) | rnd(80) as 26 base32 digits,
// least significant first from the end.
func encodeULID(ms int64, rnd *[10]byte) string {
	hi := uint64(ms)<<16 | uint64(rnd[0])<<8 | uint64(rnd[1])
	var lo uint64
	for _, c := range rnd[2:] {
		lo = lo<<8 | uint64(c)
	}
	var b [26]byte
	for i := 25; i >= 0; i-- {
		b[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(b[:])
}

// ULIDTime returns the time embedded in a ULID, to the millisecond. It
// accepts either case and fails for anything that is not 26 characters of
// Crockford's base32 within the 128-bit range.
func ULIDTime(s string) (time.Time, error) {
	if len(s) != 26 {
		return time.Time{}, fmt.Errorf("ids: ULID %q is not 26 characters", s)
	}
	var hi, lo uint64
	for i := 0; i < 26; i++ {
		d, ok := crockfordDigit(s[i])
		if !ok {
			return time.Time{}, fmt.Errorf("ids: ULID %q has invalid character %q", s, s[i])
		}
		if i == 0 && d > 7 {
			return time.Time{}, fmt.Errorf("ids: ULID %q overflows 128 bits", s)
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(d)
	}
	return time.UnixMilli(int64(hi >> 16)).UTC(), nil
}

func crockfordDigit(c byte) (uint64, bool) {
	if c >= 'a' && c <= 'z' {
		c -= 'a' - 'A'
	}
	for i := 0; i < len(crockford); i++ {
		if crockford[i] == c {
			return uint64(i), true
		}
	}
	return 0, false
}
