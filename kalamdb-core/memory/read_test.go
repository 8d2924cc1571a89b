package memory

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

// ReadReserved reserves only the growth beyond the caller's buffer (a
// pooled one is held already), and input over the limit is refused even
// when it all fitted in that buffer.
func TestReadReservedReservesOnlyItsGrowth(t *testing.T) {
	a := NewAccount(1 << 20)
	var c Charge
	c.Reset(a)
	defer c.Release()
	data, held, err := ReadReserved(iotest.OneByteReader(strings.NewReader(strings.Repeat("x", 100))), make([]byte, 0, 4096), 1000, &c)
	if err != nil || len(data) != 100 || held != 0 || a.Used() != 0 {
		t.Fatalf("within the caller's buffer: %d bytes, held %d, account %d, %v", len(data), held, a.Used(), err)
	}
	if _, _, err := ReadReserved(strings.NewReader(strings.Repeat("x", 2000)), make([]byte, 0, 4096), 1000, &c); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit within the caller's buffer: %v", err)
	}
	data, held, err = ReadReserved(strings.NewReader(strings.Repeat("x", 5000)), make([]byte, 0, 4096), 1<<20, &c)
	if err != nil || len(data) != 5000 || held != 8192-4096 || a.Used() != held {
		t.Fatalf("past the caller's buffer: %d bytes, held %d, account %d, %v", len(data), held, a.Used(), err)
	}
	c.Release()
	if _, _, err := ReadReserved(strings.NewReader(strings.Repeat("x", 5000)), make([]byte, 0, 4096), 1<<20, &Charge{acct: NewAccount(1000)}); !errors.Is(err, ErrRefused) {
		t.Fatalf("a growth the account cannot take: %v", err)
	}
}
