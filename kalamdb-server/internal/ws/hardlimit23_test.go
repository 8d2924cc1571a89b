package ws

import (
	"math"
	"testing"
)

// The socket's read limit was websocket.max_message_bytes × 16
// unchecked: 2^60+1 wrapped to 16 bytes, and every message longer than
// that closed its socket with 1009; near the int64 maximum the library's
// limit + 1 wrapped too. The product now saturates.
func TestHardReadLimitSaturates(t *testing.T) {
	for _, tc := range []struct{ max, want int64 }{
		{1 << 20, 16 << 20},
		{1<<60 + 1, math.MaxInt64 - 1},
		{math.MaxInt64, math.MaxInt64 - 1},
	} {
		if got := hardReadLimit(tc.max); got != tc.want {
			t.Errorf("hardReadLimit(%d) = %d, want %d", tc.max, got, tc.want)
		}
	}
}
