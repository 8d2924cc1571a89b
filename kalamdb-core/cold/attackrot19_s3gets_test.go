package cold

import (
	"context"
	"testing"
)

// TestAttackrot19S3RegionChecksAddNoGETs (attackrot19): the reads of a
// checked File's bloom filters and page indexes are checked region by
// region (checkedTail reads the regions a read touches whole). On S3 each
// read is a GET: the lookups of an open File whose cached entries the
// cache let go (the case the region checks exist for) must make as many
// GETs checked as unchecked, for keys present and absent.
func TestAttackrot19S3RegionChecksAddNoGETs(t *testing.T) {
	ctx := context.Background()
	gets := map[bool]int64{}
	for _, checked := range []bool{false, true} {
		st := newS3(t, func(o *S3Options) { o.CacheID = "ar19" })
		info, err := WriteFile(ctx, st, "t/u/r19.parquet", chatSchema(), chatSource(t, 6000), WriteOptions{RowGroupRows: 2000})
		if err != nil {
			t.Fatal(err)
		}
		pc, err := NewCache(CacheOptions{Bytes: 64 << 20})
		if err != nil {
			t.Fatal(err)
		}
		o := OpenOptions{Cache: pc, StorageID: "s3"}
		if checked {
			o.Checksum = info.Meta
		}
		f, err := OpenFileWith(ctx, st, "t/u/r19.parquet", o)
		if err != nil {
			t.Fatal(err)
		}
		before := sharedFakeS3().gets.Load()
		for _, k := range []int64{2, 4001, 4000, 7001, 11998, 12001} {
			pc.Invalidate("s3", "t/u/r19.parquet")
			r, found, err := f.Lookup(ctx, chatSchema(), nil, bigintKey(t, k))
			if err != nil || found != (k%2 == 0 && k < 12000) || (found && r.Values[0] != k) {
				t.Fatalf("checked %v key %d: %v %v", checked, k, found, err)
			}
		}
		gets[checked] = sharedFakeS3().gets.Load() - before
		_ = f.Close()
	}
	t.Logf("GETs of 6 lookups after the cache let go: unchecked %d, checked %d", gets[false], gets[true])
	if gets[true] != gets[false] {
		t.Fatalf("6 lookups make %d GETs checked, %d unchecked", gets[true], gets[false])
	}
}
