package cold

import (
	"context"
	"testing"
)

// TestPageMemoSharesPages: looking up 50 rows that share their pages
// (every 20th row of a range, like the messages of one conversation)
// through one PageMemo gives the rows a lookup without it gives, and goes
// to the shared cache for a data page only when a row is on a page the
// memo does not hold: far fewer times than once per row and column.
func TestPageMemoSharesPages(t *testing.T) {
	st := newFS(t)
	sch := chatSchema()
	rows := chatRows(t, 5000)
	if _, err := WriteFile(context.Background(), st, "m.parquet", sch, SliceSource(rows), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	cache, err := NewCache(CacheOptions{Bytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	f, err := OpenFileWith(context.Background(), st, "m.parquet", OpenOptions{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	ctx := context.Background()
	lookups := func(memo *PageMemo) (got []Row, cached int64) {
		before := f.Stats()
		for i := 4000; i > 3000; i -= 20 {
			r, found, err := f.LookupWith(ctx, sch, nil, rows[i].Key, memo)
			if err != nil || !found {
				t.Fatalf("row %d: %v %v", i, found, err)
			}
			got = append(got, r)
		}
		return got, statsDelta(before, f.Stats()).PagesCached
	}
	lookups(nil) // warm the cache: both runs below find every page there
	plain, plainCached := lookups(nil)
	var memo PageMemo
	memoed, memoCached := lookups(&memo)
	rowsEqual(t, memoed, plain)
	if len(plain) != 50 {
		t.Fatalf("%d rows", len(plain))
	}
	// Without the memo every row asks the cache for its _seq, _deleted
	// and column pages; with it, only the first row and rows past a page
	// boundary do (the _key pages are still looked up per row).
	if memoCached*2 > plainCached {
		t.Fatalf("cached page reads: %d with the memo, %d without", memoCached, plainCached)
	}
	t.Logf("cached page reads: %d with the memo, %d without", memoCached, plainCached)

	// Every row of a stretch, upwards then downwards, through one memo:
	// each page boundary is crossed from both sides.
	for _, step := range []int{1, -1} {
		var memo PageMemo
		for i := 2000; i >= 1000 && i <= 3000; i += step {
			want, _, err := f.Lookup(ctx, sch, nil, rows[i].Key)
			if err != nil {
				t.Fatal(err)
			}
			got, found, err := f.LookupWith(ctx, sch, nil, rows[i].Key, &memo)
			if err != nil || !found {
				t.Fatalf("row %d: %v %v", i, found, err)
			}
			rowsEqual(t, []Row{got}, []Row{want})
		}
	}
}
