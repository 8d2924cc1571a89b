package ids

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock for tests.
type fakeClock struct{ ms atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.ms.Store(t.UnixMilli())
	return c
}

func (c *fakeClock) now() time.Time  { return time.UnixMilli(c.ms.Load()) }
func (c *fakeClock) set(t time.Time) { c.ms.Store(t.UnixMilli()) }
func (c *fakeClock) add(d time.Duration) {
	c.ms.Add(d.Milliseconds())
}

var t2025 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestSnowflakeLayoutAndTime(t *testing.T) {
	clk := newFakeClock(t2025)
	s, err := NewSnowflake(517, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	id := s.Next()
	if id <= 0 {
		t.Fatalf("id %d not positive", id)
	}
	if got := TimeOf(id); !got.Equal(t2025) {
		t.Fatalf("TimeOf = %s, want %s", got, t2025)
	}
	if NodeOf(id) != 517 || s.Node() != 517 {
		t.Fatalf("NodeOf = %d", NodeOf(id))
	}
	id2 := s.Next()
	if SequenceOf(id2) != SequenceOf(id)+1 || TimeOf(id2) != TimeOf(id) {
		t.Fatalf("second id in the same ms: seq %d after %d", SequenceOf(id2), SequenceOf(id))
	}
	clk.add(5 * time.Millisecond)
	id3 := s.Next()
	if SequenceOf(id3) != 0 || !TimeOf(id3).Equal(t2025.Add(5*time.Millisecond)) {
		t.Fatalf("new ms: seq %d time %s", SequenceOf(id3), TimeOf(id3))
	}
	// The epoch itself.
	if got := TimeOf(0); got.UnixMilli() != EpochUnixMilli || got.Format(time.RFC3339) != "2024-01-01T00:00:00Z" {
		t.Fatalf("TimeOf(0) = %s", got)
	}
}

func TestSnowflakeRejects(t *testing.T) {
	for _, node := range []int64{-1, MaxNodeID + 1} {
		if _, err := NewSnowflake(node, nil); err == nil {
			t.Errorf("node %d accepted", node)
		}
	}
	if _, err := NewSnowflake(0, func() time.Time { return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) }); err == nil {
		t.Error("clock before the epoch accepted")
	}
	if _, err := NewSnowflake(0, func() time.Time { return time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC) }); err == nil {
		t.Error("clock after 2093 accepted")
	}
	if s, err := NewSnowflake(MaxNodeID, nil); err != nil || NodeOf(s.Next()) != MaxNodeID {
		t.Errorf("max node: %v", err)
	}
}

func TestSnowflakeClockBackwards(t *testing.T) {
	clk := newFakeClock(t2025)
	s, _ := NewSnowflake(1, clk.now)
	prev := s.Next()
	for i := 0; i < 1000; i++ {
		switch i % 3 {
		case 0:
			clk.add(-time.Duration(rand.IntN(5000)) * time.Millisecond)
		case 1:
			clk.add(time.Duration(rand.IntN(3)) * time.Millisecond)
		}
		id := s.Next()
		if id <= prev {
			t.Fatalf("id %d not after %d with the clock at %s", id, prev, clk.now())
		}
		prev = id
	}
	// The clock far in the past (before the epoch) still yields
	// increasing ids.
	clk.set(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	if id := s.Next(); id <= prev {
		t.Fatalf("clock before epoch: %d after %d", id, prev)
	}
}

func TestSnowflakeSequenceExhaustion(t *testing.T) {
	clk := newFakeClock(t2025) // frozen
	s, _ := NewSnowflake(3, clk.now)
	var prev int64
	const n = 3*4096 + 10
	for i := 0; i < n; i++ {
		id := s.Next()
		if id <= prev {
			t.Fatalf("id %d: %d not after %d", i, id, prev)
		}
		prev = id
	}
	// 3 full milliseconds and a bit: the logical clock ran 3 ms ahead.
	if got, want := TimeOf(prev), t2025.Add(3*time.Millisecond); !got.Equal(want) {
		t.Fatalf("after %d ids in one wall ms: time %s, want %s", n, got, want)
	}
	if SequenceOf(prev) != 9 {
		t.Fatalf("sequence %d", SequenceOf(prev))
	}
	// When the wall clock catches up, ids follow it again.
	clk.add(10 * time.Millisecond)
	if id := s.Next(); !TimeOf(id).Equal(t2025.Add(10*time.Millisecond)) || SequenceOf(id) != 0 {
		t.Fatalf("after catch-up: %s seq %d", TimeOf(id), SequenceOf(id))
	}
}

func TestSnowflakeObserve(t *testing.T) {
	clk := newFakeClock(t2025)
	other, _ := NewSnowflake(1023, func() time.Time { return t2025.Add(time.Hour) })
	seen := other.Next()
	s, _ := NewSnowflake(0, clk.now)
	s.Observe(seen)
	if id := s.Next(); id <= seen {
		t.Fatalf("after Observe(%d) got %d", seen, id)
	}
	s.Observe(1) // older: no effect
	a := s.Next()
	if b := s.Next(); b <= a {
		t.Fatal("not increasing after a stale Observe")
	}
}

func TestFirstOfMillisecond(t *testing.T) {
	at := t2025.Add(1234 * time.Millisecond)
	first := FirstOfMillisecond(at)
	if !TimeOf(first).Equal(at) || NodeOf(first) != 0 || SequenceOf(first) != 0 {
		t.Fatalf("FirstOfMillisecond(%s) = %d (%s, node %d, seq %d)", at, first, TimeOf(first), NodeOf(first), SequenceOf(first))
	}
	// Every id of that millisecond, of any node, is at or above it.
	s, _ := NewSnowflake(MaxNodeID, func() time.Time { return at })
	if id := s.Next(); id < first {
		t.Fatalf("id %d of the same millisecond below %d", id, first)
	}
	// Observing it moves a generator whose clock is behind past the
	// whole millisecond.
	behind, _ := NewSnowflake(0, func() time.Time { return at.Add(-time.Hour) })
	behind.Observe(first)
	if id := behind.Next(); !TimeOf(id).After(at) {
		t.Fatalf("after Observe: id at %s, want after %s", TimeOf(id), at)
	}
	if FirstOfMillisecond(time.UnixMilli(0)) != 0 {
		t.Fatal("times before the epoch clamp to 0")
	}
}

func TestSnowflakeConcurrent(t *testing.T) {
	clk := newFakeClock(t2025)
	s, _ := NewSnowflake(7, clk.now)
	const workers, per = 8, 5000
	out := make([][]int64, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ids := make([]int64, per)
			for i := range ids {
				if i%500 == 0 {
					clk.add(time.Millisecond)
				}
				ids[i] = s.Next()
			}
			out[w] = ids
		}(w)
	}
	wg.Wait()
	var all []int64
	for _, ids := range out {
		// Each goroutine sees its own ids increasing.
		if !slices.IsSorted(ids) {
			t.Fatal("a goroutine's ids are not increasing")
		}
		all = append(all, ids...)
	}
	slices.Sort(all)
	if len(slices.Compact(all)) != workers*per {
		t.Fatal("duplicate ids")
	}
}

func TestUUIDv7Format(t *testing.T) {
	g := NewUUIDv7Generator(func() time.Time { return t2025 }, nil)
	for i := 0; i < 100; i++ {
		u, err := g.Next()
		if err != nil {
			t.Fatal(err)
		}
		checkUUIDv7(t, u)
		if got, err := UUIDv7Time(u); err != nil || !got.Equal(t2025) {
			t.Fatalf("UUIDv7Time(%s) = %s, %v", u, got, err)
		}
	}
	u, err := NewUUIDv7(t2025, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkUUIDv7(t, u)
	if got, _ := UUIDv7Time(u); !got.Equal(t2025) {
		t.Fatalf("time %s", got)
	}
	// A known layout: all-zero randomness.
	u, _ = NewUUIDv7(time.UnixMilli(0x0123456789ab), bytes.NewReader(make([]byte, 10)))
	if u != "01234567-89ab-7000-8000-000000000000" {
		t.Fatalf("zero-random UUIDv7 = %s", u)
	}
	u, _ = NewUUIDv7(time.UnixMilli(0x0123456789ab), bytes.NewReader(bytes.Repeat([]byte{0xff}, 10)))
	if u != "01234567-89ab-7fff-bfff-ffffffffffff" {
		t.Fatalf("ones-random UUIDv7 = %s", u)
	}
	for _, bad := range []string{"", "01234567-89ab-4fff-bfff-ffffffffffff", "01234567-89ab-7fff-cfff-ffffffffffff", "0123456789ab7fffbfffffffffffffff", "01234567-89ab-7fff-bfff-fffffffffffg"} {
		if _, err := UUIDv7Time(bad); err == nil {
			t.Errorf("UUIDv7Time(%q) accepted", bad)
		}
	}
}

func checkUUIDv7(t *testing.T, u string) {
	t.Helper()
	if len(u) != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-' {
		t.Fatalf("%q is not 8-4-4-4-12", u)
	}
	if u != strings.ToLower(u) {
		t.Fatalf("%q is not lower case", u)
	}
	if u[14] != '7' {
		t.Fatalf("%q: version %c", u, u[14])
	}
	if !strings.ContainsRune("89ab", rune(u[19])) {
		t.Fatalf("%q: variant nibble %c", u, u[19])
	}
}

func TestUUIDv7MonotonicAndExhaustion(t *testing.T) {
	clk := newFakeClock(t2025) // frozen
	g := NewUUIDv7Generator(clk.now, nil)
	prev := ""
	for i := 0; i < 3*4096; i++ {
		u, err := g.Next()
		if err != nil {
			t.Fatal(err)
		}
		if u <= prev {
			t.Fatalf("%d: %s not after %s", i, u, prev)
		}
		checkUUIDv7(t, u)
		prev = u
	}
	// At most 4096-0 and at least 2048 per ms: 12288 UUIDs need 3..6 ms.
	got, _ := UUIDv7Time(prev)
	if d := got.Sub(t2025); d < 2*time.Millisecond || d > 6*time.Millisecond {
		t.Fatalf("logical clock %s ahead", d)
	}
	// Clock backwards.
	clk.add(-time.Hour)
	u, _ := g.Next()
	if u <= prev {
		t.Fatal("UUIDv7 went backwards with the clock")
	}
}

func TestUUIDv7Concurrent(t *testing.T) {
	g := NewUUIDv7Generator(nil, nil)
	testConcurrent(t, g.Next)
}

func TestULIDConcurrent(t *testing.T) {
	g := NewULIDGenerator(nil, nil)
	testConcurrent(t, g.Next)
}

func testConcurrent(t *testing.T, next func() (string, error)) {
	const workers, per = 8, 2000
	out := make([][]string, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				s, err := next()
				if err != nil {
					t.Error(err)
					return
				}
				out[w] = append(out[w], s)
			}
		}(w)
	}
	wg.Wait()
	var all []string
	for _, ids := range out {
		if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
			t.Fatal("a goroutine's ids are not strictly increasing")
		}
		all = append(all, ids...)
	}
	slices.Sort(all)
	if len(slices.Compact(all)) != workers*per {
		t.Fatal("duplicate ids")
	}
}

func TestULIDFormat(t *testing.T) {
	g := NewULIDGenerator(func() time.Time { return t2025 }, nil)
	for i := 0; i < 100; i++ {
		u, err := g.Next()
		if err != nil {
			t.Fatal(err)
		}
		checkULID(t, u)
		if got, err := ULIDTime(u); err != nil || !got.Equal(t2025) {
			t.Fatalf("ULIDTime(%s) = %s, %v", u, got, err)
		}
		if got, err := ULIDTime(strings.ToLower(u)); err != nil || !got.Equal(t2025) {
			t.Fatalf("lower-case ULIDTime: %v", err)
		}
	}
	// Known values: the spec's extremes.
	u, _ := NewULID(time.UnixMilli(0), bytes.NewReader(make([]byte, 10)))
	if u != "00000000000000000000000000" {
		t.Fatalf("zero ULID %s", u)
	}
	u, _ = NewULID(time.UnixMilli(maxUnixMilli48), bytes.NewReader(bytes.Repeat([]byte{0xff}, 10)))
	if u != "7ZZZZZZZZZZZZZZZZZZZZZZZZZ" {
		t.Fatalf("max ULID %s", u)
	}
	// The spec's example time 1469918176385 encodes as 01ARYZ6S41.
	u, _ = NewULID(time.UnixMilli(1469918176385), bytes.NewReader(make([]byte, 10)))
	if !strings.HasPrefix(u, "01ARYZ6S41") {
		t.Fatalf("spec time prefix: %s", u)
	}
	if got, _ := ULIDTime(u); got.UnixMilli() != 1469918176385 {
		t.Fatalf("spec time round trip %d", got.UnixMilli())
	}
	for _, bad := range []string{"", "8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "0000000000000000000000000U", "000000000000000000000000000"} {
		if _, err := ULIDTime(bad); err == nil {
			t.Errorf("ULIDTime(%q) accepted", bad)
		}
	}
}

func checkULID(t *testing.T, u string) {
	t.Helper()
	if len(u) != 26 {
		t.Fatalf("%q: length %d", u, len(u))
	}
	for i := 0; i < len(u); i++ {
		if !strings.ContainsRune(crockford, rune(u[i])) {
			t.Fatalf("%q: character %q outside Crockford base32", u, u[i])
		}
	}
	if u[0] > '7' {
		t.Fatalf("%q: first character beyond 7", u)
	}
}

func TestULIDMonotonicOverflowAndBackwards(t *testing.T) {
	clk := newFakeClock(t2025)
	// Randomness that is all ones: the first increment overflows the 80
	// bits, so the generator must move to the next millisecond.
	g := NewULIDGenerator(clk.now, onesReader{})
	a, _ := g.Next()
	b, err := g.Next()
	if err != nil {
		t.Fatal(err)
	}
	if b <= a {
		t.Fatalf("%s not after %s", b, a)
	}
	if tb, _ := ULIDTime(b); !tb.Equal(t2025.Add(time.Millisecond)) {
		t.Fatalf("overflow did not advance the ms: %s", tb)
	}
	// Within a ms, increments by one.
	g = NewULIDGenerator(clk.now, nil)
	prev, _ := g.Next()
	for i := 0; i < 10000; i++ {
		if i%100 == 0 {
			clk.add(-time.Duration(rand.IntN(100)) * time.Millisecond)
		}
		u, _ := g.Next()
		if u <= prev {
			t.Fatalf("%s not after %s", u, prev)
		}
		checkULID(t, u)
		prev = u
	}
}

type onesReader struct{}

func (onesReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0xff
	}
	return len(p), nil
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestRandomnessErrors(t *testing.T) {
	if _, err := NewUUIDv7Generator(nil, failingReader{}).Next(); err == nil {
		t.Error("UUIDv7 generator ignored a read error")
	}
	if _, err := NewULIDGenerator(nil, failingReader{}).Next(); err == nil {
		t.Error("ULID generator ignored a read error")
	}
	if _, err := NewUUIDv7(time.Now(), failingReader{}); err == nil {
		t.Error("NewUUIDv7 ignored a read error")
	}
	if _, err := NewULID(time.Now(), failingReader{}); err == nil {
		t.Error("NewULID ignored a read error")
	}
}

func BenchmarkSnowflakeNext(b *testing.B) {
	s, _ := NewSnowflake(1, nil)
	b.ReportAllocs()
	for b.Loop() {
		s.Next()
	}
}

func BenchmarkSnowflakeNextParallel(b *testing.B) {
	s, _ := NewSnowflake(1, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Next()
		}
	})
}

func BenchmarkUUIDv7Next(b *testing.B) {
	g := NewUUIDv7Generator(nil, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkULIDNext(b *testing.B) {
	g := NewULIDGenerator(nil, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Next(); err != nil {
			b.Fatal(err)
		}
	}
}
