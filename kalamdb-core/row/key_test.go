package row

import (
	"bytes"
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/ids"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/dialect"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
)

func randUUID(r *rand.Rand) string {
	var u [16]byte
	for i := range u {
		u[i] = byte(r.UintN(256))
		if r.IntN(8) == 0 {
			u[i] = 0 // runs of zero bytes and equal prefixes
		}
	}
	return string(ids.AppendUUID(nil, u[:]))
}

func randText(r *rand.Rand) string {
	alphabet := []string{"", "\x00", "\x01", "a", "b", "z", "\xff", "é", "日", "\x00\xff", "aa"}
	var sb strings.Builder
	for n := r.IntN(6); n > 0; n-- {
		sb.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return sb.String()
}

func randTime(r *rand.Rand) time.Time {
	us := minUnixMicro + r.Int64N(maxUnixMicro-minUnixMicro)
	if r.IntN(3) == 0 {
		us = r.Int64N(2e15) - 1e15 // around the epoch
	}
	return time.UnixMicro(us).UTC()
}

// compareValues is SQL order for the key types.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case int16:
		return cmp.Compare(x, b.(int16))
	case int32:
		return cmp.Compare(x, b.(int32))
	case int64:
		return cmp.Compare(x, b.(int64))
	case string:
		return strings.Compare(x, b.(string))
	case []byte:
		return bytes.Compare(x, b.([]byte))
	case time.Time:
		return x.Compare(b.(time.Time))
	}
	panic("type")
}

func TestKeyOrderAndRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gens := map[dialect.TypeName]func() any{
		dialect.TypeSmallInt: func() any {
			return []int16{math.MinInt16, -1, 0, 1, math.MaxInt16, int16(r.UintN(1 << 16))}[r.IntN(6)]
		},
		dialect.TypeInt: func() any {
			return []int32{math.MinInt32, -1, 0, 1, math.MaxInt32, int32(r.Uint32())}[r.IntN(6)]
		},
		dialect.TypeBigInt: func() any {
			return []int64{math.MinInt64, -1, 0, 1, math.MaxInt64, int64(r.Uint64()), r.Int64N(1000) - 500}[r.IntN(7)]
		},
		dialect.TypeText:  func() any { return randText(r) },
		dialect.TypeBytes: func() any { return []byte(randText(r)) },
		dialect.TypeUUID:  func() any { return randUUID(r) },
		dialect.TypeTimestamp: func() any {
			return randTime(r)
		},
		dialect.TypeDateTime: func() any { return randTime(r) },
		dialect.TypeDate: func() any {
			t := randTime(r)
			y, m, d := t.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		},
	}
	for name, gen := range gens {
		dt := dtype(name)
		for i := 0; i < 3000; i++ {
			a, b := gen(), gen()
			ka, err := AppendKey(nil, dt, a)
			if err != nil {
				t.Fatalf("%s %v: %v", name, a, err)
			}
			kb, _ := AppendKey(nil, dt, b)
			if got, want := bytes.Compare(ka, kb), compareValues(a, b); got != want {
				t.Fatalf("%s: keys of %#v and %#v compare %d, values %d", name, a, b, got, want)
			}
			// Prefix-free: a key followed by more bytes decodes to itself.
			v, rest, err := DecodeKey(append(ka, 0x42, 0x00), dt)
			if err != nil || compareValues(v, a) != 0 || !bytes.Equal(rest, []byte{0x42, 0x00}) {
				t.Fatalf("%s: DecodeKey(%#v) = %#v, rest %v, %v", name, a, v, rest, err)
			}
			if tm, ok := v.(time.Time); ok && tm.Location() != time.UTC {
				t.Fatalf("%s: decoded location %s", name, tm.Location())
			}
		}
	}
}

// Integer key widths share one encoding, so widening a key column keeps
// its keys.
func TestIntegerKeysShareEncoding(t *testing.T) {
	a, _ := AppendKey(nil, dtype(dialect.TypeSmallInt), int16(-300))
	b, _ := AppendKey(nil, dtype(dialect.TypeInt), int32(-300))
	c, _ := AppendKey(nil, dtype(dialect.TypeBigInt), int64(-300))
	if !bytes.Equal(a, b) || !bytes.Equal(b, c) || !bytes.Equal(c, keyenc.AppendInt64(nil, -300)) {
		t.Fatal("integer keys differ by width")
	}
	if !bytes.Equal(AppendHiddenKey(nil, 77), keyenc.AppendInt64(nil, 77)) || HiddenKeyType().Name != dialect.TypeBigInt {
		t.Fatal("hidden key is not a BIGINT key")
	}
}

func TestUUIDKeyOrderMatchesText(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	uuids := make([]string, 5000)
	for i := range uuids {
		uuids[i] = randUUID(r)
	}
	uuids = append(uuids, "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
		"0000000a-0000-0000-0000-000000000000", "00000009-ffff-ffff-ffff-ffffffffffff")
	keys := make([][]byte, len(uuids))
	for i, u := range uuids {
		keys[i], _ = AppendKey(nil, dtype(dialect.TypeUUID), u)
		if len(keys[i]) != 16 {
			t.Fatalf("UUID key of %d bytes", len(keys[i]))
		}
	}
	idx := make([]int, len(uuids))
	for i := range idx {
		idx[i] = i
	}
	byText := slices.Clone(idx)
	slices.SortStableFunc(byText, func(a, b int) int { return strings.Compare(uuids[a], uuids[b]) })
	byKey := slices.Clone(idx)
	slices.SortStableFunc(byKey, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	if !slices.Equal(byText, byKey) {
		t.Fatal("UUID key order differs from canonical text order")
	}
	// Upper-case input is the same key.
	k1, _ := AppendKey(nil, dtype(dialect.TypeUUID), "0189F7E4-3A2B-7C1D-8E5F-0123456789AB")
	k2, _ := AppendKey(nil, dtype(dialect.TypeUUID), "0189f7e4-3a2b-7c1d-8e5f-0123456789ab")
	if !bytes.Equal(k1, k2) {
		t.Fatal("UUID key depends on case")
	}
}

func TestAppendKeyNormalizesAndRejects(t *testing.T) {
	k, err := AppendKey(nil, dtype(dialect.TypeInt), int64(5))
	if err != nil || !bytes.Equal(k, keyenc.AppendInt64(nil, 5)) {
		t.Fatalf("int64 for INT: %v", err)
	}
	if _, err := AppendKey(nil, dtype(dialect.TypeSmallInt), int64(1<<20)); err == nil || !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("out of range SMALLINT key: %v", err)
	}
	if k, err := AppendKey(nil, dtype(dialect.TypeText), []byte("ab")); err != nil || !bytes.Equal(k, keyenc.AppendString(nil, "ab")) {
		t.Fatalf("[]byte for TEXT: %v", err)
	}
	k, err = AppendKey([]byte("keep"), dtype(dialect.TypeDate), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC))
	if err != nil || !bytes.Equal(k, keyenc.AppendInt64([]byte("keep"), -1)) {
		t.Fatalf("DATE key: %v", err)
	}
	for _, c := range []struct {
		dt dialect.DataType
		v  any
	}{
		{dtype(dialect.TypeBigInt), nil},
		{dtype(dialect.TypeDouble), 1.5},
		{dtype(dialect.TypeBoolean), int8(1)},
		{dtype(dialect.TypeJSON), "{}"},
		{dtype(dialect.TypeUUID), "nope"},
		{dtype(dialect.TypeTimestamp), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{dtype(dialect.TypeBigInt), "abc"},
	} {
		if _, err := AppendKey(nil, c.dt, c.v); err == nil {
			t.Errorf("%s key %#v accepted", c.dt.Name, c.v)
		}
	}
	if _, err := SharedKey(dtype(dialect.TypeDecimal), mustDec("1")); err == nil {
		t.Error("DECIMAL key accepted")
	}
}

func TestDecodeKeyCorrupt(t *testing.T) {
	for _, c := range []struct {
		name dialect.TypeName
		b    []byte
	}{
		{dialect.TypeBigInt, []byte{1, 2, 3}},
		{dialect.TypeSmallInt, keyenc.AppendInt64(nil, 1<<20)},
		{dialect.TypeInt, keyenc.AppendInt64(nil, 1<<40)},
		{dialect.TypeTimestamp, keyenc.AppendInt64(nil, math.MaxInt64)},
		{dialect.TypeDate, keyenc.AppendInt64(nil, math.MinInt64)},
		{dialect.TypeText, []byte("abc")},
		{dialect.TypeBytes, []byte{'a', 0, 7}},
		{dialect.TypeUUID, make([]byte, 15)},
	} {
		if _, _, err := DecodeKey(c.b, dtype(c.name)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s %v: %v", c.name, c.b, err)
		}
	}
	if _, _, err := DecodeKey(nil, dtype(dialect.TypeJSON)); err == nil {
		t.Error("JSON key type accepted")
	}
}

func TestUserAndSharedKeys(t *testing.T) {
	text := dtype(dialect.TypeText)
	a, err := UserKey("alice", text, "zzz")
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := UserKey("alice2", text, "")
	if bytes.HasPrefix(a2, keyenc.AppendUserPrefix(nil, "alice")) {
		t.Fatal("alice's prefix covers alice2's keys")
	}
	if !bytes.HasPrefix(a, keyenc.AppendUserPrefix(nil, "alice")) {
		t.Fatal("user key lacks the partition prefix")
	}
	uid, pk, err := keyenc.SplitUserKey(a)
	if err != nil || uid != "alice" {
		t.Fatal(uid, err)
	}
	if v, rest, err := DecodeKey(pk, text); err != nil || v != "zzz" || len(rest) != 0 {
		t.Fatal(v, rest, err)
	}
	for _, bad := range []string{"", "a/b", "..", "a\x00b", strings.Repeat("x", 200)} {
		if _, err := UserKey(bad, text, "x"); err == nil {
			t.Errorf("user id %q accepted", bad)
		}
	}
	s, err := SharedKey(dtype(dialect.TypeBigInt), int64(9))
	if err != nil || !bytes.Equal(s, keyenc.AppendInt64(nil, 9)) {
		t.Fatal(err)
	}
	// A key error leaves the buffer as it was.
	out, err := AppendUserKey([]byte("buf"), "bob", text, struct{}{})
	if err == nil || string(out) != "buf" {
		t.Fatalf("%q %v", out, err)
	}
}
