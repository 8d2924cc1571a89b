package tables

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestProjectionKeysAreDistinct: two different (version, wanted columns)
// never share a decoder: the key is a prefix-free encoding of both.
func TestProjectionKeysAreDistinct(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	seen := map[string]string{}
	for range 100_000 {
		version := r.IntN(300)
		wanted := make([]int, r.IntN(6))
		for i := range wanted {
			wanted[i] = r.IntN(200) - 1
		}
		what := fmt.Sprint(version, wanted)
		key := string(projectionKey(nil, version, wanted))
		if prev, ok := seen[key]; ok && prev != what {
			t.Fatalf("%s and %s share the key %x", prev, what, key)
		}
		seen[key] = what
	}
}
