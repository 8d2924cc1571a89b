package pgsql

import (
	"strconv"
	"testing"
)

// TestBindNames: the names made once are the names made on demand.
func TestBindNames(t *testing.T) {
	for n := -1; n <= 3*len(bindNames); n++ {
		if got, want := BindName(n), "v"+strconv.Itoa(n); got != want {
			t.Fatalf("BindName(%d) = %q, want %q", n, got, want)
		}
	}
	for _, n := range []int64{0, 7, 99, 100, -100, 1 << 62, -1 << 63} {
		v, ok := UnwrapInt(IntLiteral(n))
		if !ok || string(v.Val) != strconv.FormatInt(n, 10) {
			t.Fatalf("IntLiteral(%d) = %v", n, v)
		}
	}
}
