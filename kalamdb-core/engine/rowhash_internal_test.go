package engine

import (
	"runtime"
	"strings"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"
)

// TestRowHasherHashesInPlace: a row's texts and bytes are hashed where
// they are, not printed into a buffer first (sql.HashOf allocated a copy
// of a text and four bytes a byte of bytes, every row). Measured in bytes
// against the 1 MiB value rather than as a count of allocations: other
// tests' background goroutines may allocate a little meanwhile.
func TestRowHasherHashesInPlace(t *testing.T) {
	ctx := sql.NewEmptyContext()
	big := strings.Repeat("x", 1<<20)
	rows := []sql.Row{{big}, {[]byte(big)}, {int64(1), big, nil}}
	h := newRowHasher()
	const runs = 20
	for _, r := range rows {
		_, _ = h.sum(ctx, r)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			_, _ = h.sum(ctx, r)
		}
		runtime.ReadMemStats(&after)
		if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 16<<10 {
			t.Errorf("%d bytes allocated hashing a row of %T (a 1 MiB value)", per, r[len(r)/2])
		}
	}
}

// TestRowHasherTellsRowsApart: equal rows hash alike; rows whose values
// print alike once joined (the engine's separators inside a text), or
// of different kinds or NULL, hash apart.
func TestRowHasherTellsRowsApart(t *testing.T) {
	ctx := sql.NewEmptyContext()
	h := newRowHasher()
	sum := func(r sql.Row) uint64 {
		v, err := h.sum(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if sum(sql.Row{"a", int64(2), decimal.RequireFromString("1.5")}) != sum(sql.Row{"a", int64(2), decimal.RequireFromString("1.5")}) {
		t.Errorf("equal rows hash apart")
	}
	apart := [][2]sql.Row{
		{{"a,\x00b", "c"}, {"a", "b,\x00c"}},
		{{"ab", ""}, {"a", "b"}},
		{{"1"}, {int64(1)}},
		{{nil}, {""}},
		{{nil}, {"n"}},
		{{[]byte("a")}, {"a"}},
	}
	for _, p := range apart {
		if sum(p[0]) == sum(p[1]) {
			t.Errorf("%q and %q hash alike", p[0], p[1])
		}
	}
}
