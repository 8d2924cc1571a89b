package engine

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// TestRuneCountIsUTF8RuneCount, on ASCII, UTF-8 and invalid bytes.
func TestRuneCountIsUTF8RuneCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", " ", "é", "日本", "\xff", "\x80", "\xe6\x97", "🙂"}
	for i := 0; i < 2000; i++ {
		var b []byte
		for n := rng.IntN(40); n > 0; n-- {
			if rng.IntN(4) == 0 {
				b = append(b, alphabet[rng.IntN(len(alphabet))]...)
			} else {
				b = append(b, byte('a'+rng.IntN(26)))
			}
		}
		if got, want := runeCountBytes(b), utf8.RuneCount(b); got != want {
			t.Fatalf("%q: %d, want %d", b, got, want)
		}
		if got, want := runeCountString(string(b)), utf8.RuneCount(b); got != want {
			t.Fatalf("%q as a string: %d, want %d", b, got, want)
		}
	}
}
