package keyenc

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestAttackAppendEscapesAsBytewise: AppendBytes and AppendString escape
// as the byte-at-a-time encoding did (NULs anywhere, runs of them, at the
// ends, after a non-empty buffer), decode back, and keep the order.
func TestAttackAppendEscapesAsBytewise(t *testing.T) {
	ref := func(buf, v []byte) []byte {
		for _, c := range v {
			if c == escape {
				buf = append(buf, escape, escapedNul)
			} else {
				buf = append(buf, c)
			}
		}
		return append(buf, escape, terminator)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var prev []byte
	var prevEnc []byte
	for i := range 2000 {
		v := make([]byte, r.IntN(40))
		for j := range v {
			v[j] = []byte{0, 0, 1, 0xFF, 'a', byte(r.IntN(256))}[r.IntN(6)]
		}
		pre := []byte{byte(i), 0}
		want := ref(bytes.Clone(pre), v)
		if got := AppendBytes(bytes.Clone(pre), v); !bytes.Equal(got, want) {
			t.Fatalf("AppendBytes(%x) = %x, want %x", v, got, want)
		}
		if got := AppendString(bytes.Clone(pre), string(v)); !bytes.Equal(got, want) {
			t.Fatalf("AppendString(%x) = %x, want %x", v, got, want)
		}
		enc := AppendBytes(nil, v)
		dec, rest, err := DecodeBytes(enc)
		if err != nil || !bytes.Equal(dec, v) || len(rest) != 0 {
			t.Fatalf("DecodeBytes(%x) = %x, %x, %v", enc, dec, rest, err)
		}
		if prev != nil && bytes.Compare(prev, v) != bytes.Compare(prevEnc, enc) {
			t.Fatalf("order of %x and %x not kept", prev, v)
		}
		prev, prevEnc = v, enc
	}
}
