package ids

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// UUIDv7 layout (RFC 9562 §5.7):
//
//	48 bits  unix_ts_ms, milliseconds since the Unix epoch
//	4 bits   version, 0b0111
//	12 bits  rand_a: here a counter (RFC 9562 §6.2, method 1)
//	2 bits   variant, 0b10
//	62 bits  rand_b, random
//
// A generator starts each millisecond's counter at a random value below
// 2048 and increments it for every further UUID of that millisecond, so
// its UUIDs are strictly increasing; when the counter runs out the logical
// clock moves to the next millisecond.

const maxUnixMilli48 = 1<<48 - 1

// UUIDv7Generator generates strictly increasing UUIDv7 strings. It is safe
// for concurrent use.
type UUIDv7Generator struct {
	mu      sync.Mutex
	now     func() time.Time
	rand    *randBuffer
	lastMs  int64
	counter uint16
}

// NewUUIDv7Generator returns a generator reading the clock now (nil:
// time.Now) and randomness from r (nil: crypto/rand).
func NewUUIDv7Generator(now func() time.Time, r io.Reader) *UUIDv7Generator {
	if now == nil {
		now = time.Now
	}
	return &UUIDv7Generator{now: now, rand: newRandBuffer(r), lastMs: -1}
}

// Next returns a new UUIDv7 in canonical lower-case form, greater than
// every UUID this generator returned before.
func (g *UUIDv7Generator) Next() (string, error) {
	ms := min(max(g.now().UnixMilli(), 0), maxUnixMilli48)
	var rnd [10]byte
	g.mu.Lock()
	if err := g.rand.read(rnd[:]); err != nil {
		g.mu.Unlock()
		return "", err
	}
	if ms > g.lastMs {
		g.lastMs = ms
		g.counter = uint16(rnd[8]&0x07)<<8 | uint16(rnd[9])
	} else {
		g.counter++
		if g.counter > 0xfff {
			g.lastMs++
			g.counter = uint16(rnd[8]&0x07)<<8 | uint16(rnd[9])
		}
	}
	ms, counter := g.lastMs, g.counter
	g.mu.Unlock()
	var u [16]byte
	putUUIDv7(&u, ms, counter, rnd[:8])
	return formatUUID(&u), nil
}

// NewUUIDv7 returns a UUIDv7 for time now with random rand_a and rand_b
// from r (nil: crypto/rand). UUIDs made this way are ordered only by
// millisecond; use a UUIDv7Generator for strict order.
func NewUUIDv7(now time.Time, r io.Reader) (string, error) {
	var rnd [10]byte
	if err := readRandom(r, rnd[:]); err != nil {
		return "", err
	}
	ms := min(max(now.UnixMilli(), 0), maxUnixMilli48)
	var u [16]byte
	putUUIDv7(&u, ms, uint16(rnd[8]&0x0f)<<8|uint16(rnd[9]), rnd[:8])
	return formatUUID(&u), nil
}

func putUUIDv7(u *[16]byte, ms int64, randA uint16, randB []byte) {
	u[0] = byte(ms >> 40)
	u[1] = byte(ms >> 32)
	u[2] = byte(ms >> 24)
	u[3] = byte(ms >> 16)
	u[4] = byte(ms >> 8)
	u[5] = byte(ms)
	u[6] = 0x70 | byte(randA>>8)&0x0f
	u[7] = byte(randA)
	u[8] = 0x80 | randB[0]&0x3f
	copy(u[9:], randB[1:8])
}

const hexDigits = "0123456789abcdef"

func formatUUID(u *[16]byte) string {
	return string(AppendUUID(make([]byte, 0, 36), u[:]))
}

// AppendUUID appends the canonical lower-case 8-4-4-4-12 form of 16 raw
// bytes. Lower case is the form whose text order equals the byte order.
func AppendUUID(dst []byte, u []byte) []byte {
	for i, c := range u[:16] {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return dst
}

// UUIDv7Time returns the time embedded in a UUIDv7, to the millisecond. It
// fails for a string that is not a canonical UUID of version 7 and the
// RFC 9562 variant.
func UUIDv7Time(s string) (time.Time, error) {
	u, ok := ParseUUID(s)
	if !ok {
		return time.Time{}, fmt.Errorf("ids: %q is not a canonical UUID", s)
	}
	if u[6]>>4 != 7 || u[8]>>6 != 0b10 {
		return time.Time{}, fmt.Errorf("ids: %q is not a UUIDv7", s)
	}
	var ms int64
	for _, c := range u[:6] {
		ms = ms<<8 | int64(c)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// ParseUUID parses the canonical 36-character form in either case.
func ParseUUID(s string) (u [16]byte, ok bool) {
	if len(s) != 36 {
		return u, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return u, false
			}
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
