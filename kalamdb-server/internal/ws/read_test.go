package ws

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/memory"
)

// readReserved reserves a message's buffer before it grows, keeps what
// the buffer holds reserved for the caller, and gives everything back on
// every failure: too large, refused, or the socket failing mid-message.
func TestReadReservedHoldsTheBufferAndGivesItBackOnFailure(t *testing.T) {
	acct := memory.NewAccount(64 << 10)
	var c memory.Charge
	c.Reset(acct)
	msg := strings.Repeat("m", 3000)
	data, size, err := readReserved(iotest.OneByteReader(strings.NewReader(msg)), 16<<10, &c)
	if err != nil || string(data) != msg {
		t.Fatalf("read: %v", err)
	}
	if size != int64(cap(data)) || size < 3000 || c.Held() != size || acct.Used() != size {
		t.Fatalf("a 3000-byte message: size %d, cap %d, held %d, account %d", size, cap(data), c.Held(), acct.Used())
	}
	c.Give(size)
	// A limit of the int64 maximum ("no limit", as the config allows):
	// the bound one byte past it wrapped to the int64 minimum, and the
	// first growth panicked in makeslice, so every WebSocket dropped at
	// its first message.
	data, size, err = readReserved(strings.NewReader(msg), math.MaxInt64, &c)
	if err != nil || string(data) != msg || size != c.Held() {
		t.Fatalf("limit MaxInt64: %v (size %d, held %d)", err, size, c.Held())
	}
	c.Give(size)
	for _, tc := range []struct {
		name  string
		r     io.Reader
		limit int64
		want  error
	}{
		{"too large", strings.NewReader(strings.Repeat("m", 20000)), 16 << 10, errTooLarge},
		{"refused", strings.NewReader(strings.Repeat("m", 100000)), 1 << 20, errNoMemory},
		{"socket failed", io.MultiReader(strings.NewReader(msg), iotest.ErrReader(io.ErrUnexpectedEOF)), 16 << 10, io.ErrUnexpectedEOF},
	} {
		if _, _, err := readReserved(tc.r, tc.limit, &c); !errors.Is(err, tc.want) {
			t.Fatalf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if c.Held() != 0 || acct.Used() != 0 {
			t.Fatalf("%s: %d bytes still reserved", tc.name, acct.Used())
		}
	}
	// Exactly the limit is a message, one byte more is not.
	if _, size, err := readReserved(strings.NewReader(strings.Repeat("m", 1000)), 1000, &c); err != nil || size != c.Held() {
		t.Fatalf("a message of exactly the limit: %v", err)
	}
	c.Release()
	if _, _, err := readReserved(strings.NewReader(strings.Repeat("m", 1001)), 1000, &c); !errors.Is(err, errTooLarge) {
		t.Fatalf("one byte over the limit: %v", err)
	}
}
