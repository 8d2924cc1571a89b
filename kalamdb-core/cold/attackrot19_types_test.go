package cold

import (
	"context"
	"fmt"
	"testing"
)

// TestAttackrot19CheckedOpenEveryType (attackrot19): a checked open
// parses the footer and refuses a file whose regions (bloom filters,
// column and offset indexes) are empty, overlap or fall outside the
// tail. A legitimate file of every column type (NULLs, a tombstone,
// small row groups) must open checked and read as the unchecked open
// reads it, through scans and lookups, with every index and filter
// loaded through the checked reader.
func TestAttackrot19CheckedOpenEveryType(t *testing.T) {
	ctx := context.Background()
	st := newFS(t)
	sch := allTypesSchema()
	rows := allTypesRows(t)
	const p = "ns/all/u1/batch-1.parquet"
	info := writeRows(t, st, p, sch, rows, WriteOptions{RowGroupRows: 3})
	plain := openFile(t, st, p)
	cache, err := NewCache(CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := OpenFileWith(ctx, st, p, OpenOptions{Cache: cache, Checksum: info.Meta})
	if err != nil {
		t.Fatalf("checked open: %v", err)
	}
	defer f.Close()
	if f.meta.regions == nil {
		t.Fatal("the checked open recorded no regions")
	}
	if got, want := fmt.Sprint(scanAll(t, f, sch, nil)), fmt.Sprint(scanAll(t, plain, sch, nil)); got != want {
		t.Fatalf("checked scan %s, unchecked %s", got, want)
	}
	for i, r := range rows {
		a, fa, errA := f.Lookup(ctx, sch, nil, r.Key)
		b, fb, errB := plain.Lookup(ctx, sch, nil, r.Key)
		if errA != nil || errB != nil || fa != fb || fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("row %d: checked %v %v %v, unchecked %v %v %v", i, fa, a, errA, fb, b, errB)
		}
	}
}
