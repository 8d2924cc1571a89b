package engine

import (
	"math"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// TestPadAsInPostgreSQL: lpad and rpad count characters, not bytes,
// repeat the fill and cut it after the characters needed, cut a string
// longer than the length (both on its right), give ” for a length of
// zero or less and the (cut) string for an empty fill. The answers are
// PostgreSQL 15's.
func TestPadAsInPostgreSQL(t *testing.T) {
	ctx := sql.NewEmptyContext()
	for _, c := range []struct {
		s    string
		n    int64
		fill any // nil: the default, a space
		l, r string
	}{
		{"hi", 5, "xy", "xyxhi", "hixyx"},
		{"hi", 5, nil, "   hi", "hi   "},
		{"hi", 6, "xy", "xyxyhi", "hixyxy"},
		{"héllo", 3, "x", "hél", "hél"},
		{"hi", 2, "xy", "hi", "hi"},
		{"hi", 0, "xy", "", ""},
		{"hi", -3, "xy", "", ""},
		{"hi", 5, "", "hi", "hi"},
		{"héllo", 4, "", "héll", "héll"},
		{"", 4, "ab", "abab", "abab"},
		{"a", 4, "é😀", "é😀éa", "aé😀é"},
		{"a", 8, "é😀中", "é😀中é😀中éa", "aé😀中é😀中é"},
		{"😀", 2, "中文字", "中😀", "😀中"},
	} {
		vals := []any{c.s, c.n}
		if c.fill != nil {
			vals = append(vals, c.fill)
		}
		for _, side := range []struct {
			left bool
			want string
		}{{true, c.l}, {false, c.r}} {
			got, err := pad(side.left)(ctx, vals)
			if err != nil || got != side.want {
				t.Errorf("pad(left %v) %q: %q, %v; want %q", side.left, vals, got, err, side.want)
			}
		}
	}
	// A result within the largest value (16 MiB) is built, however wide
	// the fill's widest character: 15 MB here, refused when every
	// character was counted four bytes.
	if v, err := pad(false)(ctx, []any{"x", int64(6_000_000), "a😀"}); err != nil || len(v.(string)) != 15_000_000-3 {
		t.Errorf("rpad('x', 6000000, 'a😀'): %v", err)
	}
	// Lengths whose padding overflows a size: refused before anything is
	// allocated.
	for _, n := range []int64{1 << 40, math.MaxInt64} {
		for _, fill := range []string{"a", "ab", "é😀中"} {
			if _, err := pad(true)(ctx, []any{"x", n, fill}); apierror.CodeOf(err) != apierror.ResourceLimitExceeded {
				t.Errorf("lpad('x', %d, %q): %v, want RESOURCE_LIMIT_EXCEEDED", n, fill, err)
			}
		}
	}
}

// TestPadAllocatesItsResultOnce: lpad and rpad allocate their result,
// measured exactly, and nothing else of its size: a rune copy of the
// fill (four bytes a character) or room for the widest character of the
// fill at every place held up to four times the result. Time cannot be
// asserted; what a call allocates can.
func TestPadAllocatesItsResultOnce(t *testing.T) {
	ctx := sql.NewEmptyContext()
	long := strings.Repeat("ab😀é", 250_000) // 1.75 MB, 1,000,000 characters
	for _, c := range []struct {
		s, fill string
		n       int64
	}{
		{"x", "a😀", 4_000_000},
		{"start", long, 3_500_000},
		{strings.Repeat("中", 1000), "é", 4_000_000},
	} {
		for _, left := range []bool{true, false} {
			var got any
			// The counters are the process's: other goroutines can only
			// add to a measurement, so the least of two is the call's.
			least := uint64(math.MaxUint64)
			for range 2 {
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				v, err := pad(left)(ctx, []any{c.s, c.n, c.fill})
				runtime.ReadMemStats(&after)
				if err != nil {
					t.Fatal(err)
				}
				got, least = v, min(least, after.TotalAlloc-before.TotalAlloc)
			}
			s := got.(string)
			if int64(utf8.RuneCountInString(s)) != c.n || !utf8.ValidString(s) {
				t.Fatalf("pad(left %v, %.10q, %d, %.10q): %d characters", left, c.s, c.n, c.fill, utf8.RuneCountInString(s))
			}
			if limit := uint64(len(s)) + 64<<10; least > limit {
				t.Errorf("pad(left %v, %.10q, %d, %.10q): a result of %d bytes allocated %d", left, c.s, c.n, c.fill, len(s), least)
			}
		}
	}
}

// BenchmarkPad is lpad of a short string to 16 MB with a two-character
// fill, and with a fill of 1.75 MB of mixed widths.
func BenchmarkPad(b *testing.B) {
	ctx := sql.NewEmptyContext()
	for name, vals := range map[string][]any{
		"short fill": {"x", int64(16_000_000), "ab"},
		"long fill":  {"x", int64(3_500_000), strings.Repeat("ab😀é", 250_000)},
	} {
		b.Run(name, func(b *testing.B) {
			lpad := pad(true)
			for b.Loop() {
				if _, err := lpad(ctx, vals); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
