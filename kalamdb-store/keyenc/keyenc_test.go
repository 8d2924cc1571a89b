package keyenc

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestInt64OrderAndRoundTrip(t *testing.T) {
	vals := []int64{math.MinInt64, -1 << 40, -2, -1, 0, 1, 2, 255, 256, 1 << 40, math.MaxInt64}
	var prev []byte
	for _, v := range vals {
		enc := AppendInt64(nil, v)
		if prev != nil && bytes.Compare(prev, enc) >= 0 {
			t.Fatalf("encoding of %d does not sort after its predecessor", v)
		}
		prev = enc
		got, rest, err := DecodeInt64(enc)
		if err != nil || got != v || len(rest) != 0 {
			t.Fatalf("round trip %d: %d %v", v, got, err)
		}
	}
	if _, _, err := DecodeInt64([]byte{1, 2}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("short int: %v", err)
	}
}

func TestFloat64Order(t *testing.T) {
	vals := []float64{math.Inf(-1), -1e300, -1.5, -math.SmallestNonzeroFloat64, 0, math.SmallestNonzeroFloat64, 1, 1.5, 1e300, math.Inf(1)}
	var prev []byte
	for _, v := range vals {
		enc := AppendFloat64(nil, v)
		if prev != nil && bytes.Compare(prev, enc) >= 0 {
			t.Fatalf("float %g out of order", v)
		}
		prev = enc
		got, _, err := DecodeFloat64(enc)
		if err != nil || got != v {
			t.Fatalf("round trip %g: %g %v", v, got, err)
		}
	}
	if !bytes.Equal(AppendFloat64(nil, math.Copysign(0, -1)), AppendFloat64(nil, 0)) {
		t.Fatal("-0 and +0 must encode the same")
	}
	inf := AppendFloat64(nil, math.Inf(1))
	for _, bits := range []uint64{0x7ff8000000000001, 0xfff8000000000000, 0x7ff0000000000001, 0xffffffffffffffff} {
		nan := AppendFloat64(nil, math.Float64frombits(bits))
		if bytes.Compare(nan, inf) <= 0 || !bytes.Equal(nan, AppendFloat64(nil, math.NaN())) {
			t.Fatalf("NaN %#x must be the one key above +Inf", bits)
		}
	}
}

func TestStringOrderIsPrefixFree(t *testing.T) {
	vals := []string{"", "\x00", "\x00\x00", "\x00a", "a", "a\x00", "a\x00\x00", "a\x01", "aa", "ab", "b", "\xff", "\xff\xff"}
	for _, a := range vals {
		for _, b := range vals {
			ea, eb := AppendString(nil, a), AppendString(nil, b)
			if want, got := strings.Compare(a, b), bytes.Compare(ea, eb); want != got {
				t.Fatalf("compare(%q,%q): raw %d, encoded %d", a, b, want, got)
			}
			if a != b && bytes.HasPrefix(eb, ea) {
				t.Fatalf("encoding of %q is a prefix of %q's", a, b)
			}
		}
		got, rest, err := DecodeString(append(AppendString(nil, a), 'X'))
		if err != nil || got != a || string(rest) != "X" {
			t.Fatalf("round trip %q: %q rest %q %v", a, got, rest, err)
		}
	}
}

func TestRandomCompositeKeysSortByParts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	type key struct {
		s string
		n int64
	}
	keys := make([]key, 500)
	for i := range keys {
		b := make([]byte, r.IntN(4))
		for j := range b {
			b[j] = byte(r.IntN(3)) // lots of 0x00 and 0x01
		}
		keys[i] = key{string(b), r.Int64N(7) - 3}
	}
	enc := func(k key) []byte { return AppendInt64(AppendString(nil, k.s), k.n) }
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(enc(keys[i]), enc(keys[j])) < 0 })
	for i := 1; i < len(keys); i++ {
		a, b := keys[i-1], keys[i]
		if a.s > b.s || (a.s == b.s && a.n > b.n) {
			t.Fatalf("composite order broken: %+v before %+v", a, b)
		}
	}
}

func TestDecodeBytesErrors(t *testing.T) {
	for _, in := range [][]byte{{'a'}, {'a', 0}, {0, 7}} {
		if _, _, err := DecodeBytes(in); !errors.Is(err, ErrCorrupt) {
			t.Errorf("DecodeBytes(%q): %v", in, err)
		}
	}
}

func TestBool(t *testing.T) {
	f, t1 := AppendBool(nil, false), AppendBool(nil, true)
	if bytes.Compare(f, t1) >= 0 {
		t.Fatal("false must sort before true")
	}
	if v, _, err := DecodeBool(t1); err != nil || !v {
		t.Fatal("decode true")
	}
	if _, _, err := DecodeBool([]byte{2}); err == nil {
		t.Fatal("bad bool accepted")
	}
}

func TestValidateUserID(t *testing.T) {
	good := []string{"alice", "root", "bob.smith", "a@b.com", "user_1-x", strings.Repeat("a", MaxUserIDLen)}
	for _, id := range good {
		if err := ValidateUserID(id); err != nil {
			t.Errorf("%q rejected: %v", id, err)
		}
	}
	bad := []string{"", ".", "..", "a/b", "a\x00b", "a b", "ü", "../etc", strings.Repeat("a", MaxUserIDLen+1)}
	for _, id := range bad {
		if err := ValidateUserID(id); !errors.Is(err, ErrBadUserID) {
			t.Errorf("%q accepted", id)
		}
	}
}

func TestUserPrefixIsolation(t *testing.T) {
	alice := AppendUserPrefix(nil, "alice")
	alice2 := AppendUserPrefix(nil, "alice2")
	if bytes.HasPrefix(alice2, alice) || bytes.HasPrefix(alice, alice2) {
		t.Fatal("one user's prefix contains another's")
	}
	key := AppendInt64(AppendUserPrefix(nil, "alice"), 42)
	u, pk, err := SplitUserKey(key)
	if err != nil || u != "alice" {
		t.Fatalf("split: %q %v", u, err)
	}
	if n, _, _ := DecodeInt64(pk); n != 42 {
		t.Fatalf("pk %d", n)
	}
	if _, _, err := SplitUserKey([]byte("nosep")); err == nil {
		t.Fatal("key without separator accepted")
	}
}

func TestCounterAndStreamKeys(t *testing.T) {
	k := CounterKey("chat", "messages", "alice")
	if !bytes.HasPrefix(k, CounterPrefix("chat", "messages")) {
		t.Fatal("counter key outside its table prefix")
	}
	if bytes.HasPrefix(CounterKey("chat", "messages2", "a"), CounterPrefix("chat", "messages")) {
		t.Fatal("table prefix matches another table")
	}
	a, b := StreamKey("alice", 1000, 5), StreamKey("alice", 1001, 1)
	if bytes.Compare(a, b) >= 0 {
		t.Fatal("stream keys of a partition must sort by time first")
	}
	u, ms, seq, err := DecodeStreamKey(a)
	if err != nil || u != "alice" || ms != 1000 || seq != 5 {
		t.Fatalf("decode stream key: %q %d %d %v", u, ms, seq, err)
	}
	if _, _, _, err := DecodeStreamKey(append(a, 0)); err == nil {
		t.Fatal("trailing bytes accepted")
	}
	// A user's events are one prefix; another user's never fall inside it.
	pa := AppendUserPrefix(nil, "alice")
	for _, k := range [][]byte{StreamKey("alice2", 1000, 5), StreamKey("alic", 1000, 5), StreamKey("bob", 1000, 5)} {
		if bytes.HasPrefix(k, pa) {
			t.Fatalf("%q is inside alice's partition", k)
		}
	}
	// Events of alice older than 1001 ms end at the time bound.
	cut := StreamTimeBound("alice", 1001)
	if bytes.Compare(a, cut) >= 0 || bytes.Compare(b, cut) < 0 || !bytes.HasPrefix(cut, pa) {
		t.Fatal("time bound misplaced")
	}
}

// TestLegacyStreamKeysAreNeverAUserPartition: keys of the unpartitioned
// layout (ms, _seq) sort before every partitioned key, are recognised, and
// never decode as some user's event.
func TestLegacyStreamKeysAreNeverAUserPartition(t *testing.T) {
	for _, u := range []string{"-", ".", "0", "@", "A", "_", "a", "alice"} {
		if err := ValidateUserID(u); err != nil {
			continue
		}
		k := StreamKey(u, 0, 0)
		if IsLegacyStreamKey(k) || bytes.Compare(k, LegacyStreamKeysEnd) < 0 {
			t.Fatalf("partitioned key of %q classified as legacy", u)
		}
	}
	for _, ms := range []int64{0, 1, time.Now().UnixMilli(), 1 << 55} {
		legacy := AppendUint64(AppendUint64(nil, uint64(ms)), 42)
		if !IsLegacyStreamKey(legacy) || bytes.Compare(legacy, LegacyStreamKeysEnd) >= 0 {
			t.Fatalf("legacy key of %d ms not recognised", ms)
		}
		if _, _, _, err := DecodeStreamKey(legacy); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("legacy key of %d ms decoded as a partitioned key: %v", ms, err)
		}
	}
}

func FuzzStringRoundTrip(f *testing.F) {
	f.Add("a", "b")
	f.Add("\x00", "\x00\x01")
	f.Fuzz(func(t *testing.T, a, b string) {
		ea, eb := AppendString(nil, a), AppendString(nil, b)
		if strings.Compare(a, b) != bytes.Compare(ea, eb) {
			t.Fatalf("order differs for %q %q", a, b)
		}
		got, rest, err := DecodeString(ea)
		if err != nil || got != a || len(rest) != 0 {
			t.Fatalf("round trip %q", a)
		}
	})
}
