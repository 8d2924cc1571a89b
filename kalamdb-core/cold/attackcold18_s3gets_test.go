package cold

import (
	"context"
	"testing"
)

// TestAttackcold18S3FirstLookupGETs counts the GETs of the first point
// lookup of a file on S3, opened with and without the metadata checksum,
// with and without a RangeCache: verifying the tail must not multiply
// the requests a first lookup makes.
func TestAttackcold18S3FirstLookupGETs(t *testing.T) {
	ctx := context.Background()
	for _, cached := range []bool{false, true} {
		gets := map[bool]int64{}
		var info FileInfo
		for _, checked := range []bool{false, true} {
			var rc *RangeCache
			if cached {
				rc = NewRangeCache(64 << 20)
			}
			st := newS3(t, func(o *S3Options) { o.Cache, o.CacheID = rc, "a18" })
			var err error
			info, err = WriteFile(ctx, st, "t/u/big.parquet", chatSchema(), chatSource(t, 12000), WriteOptions{RowGroupRows: 4000})
			if err != nil {
				t.Fatal(err)
			}
			pc, err := NewCache(CacheOptions{Bytes: 64 << 20})
			if err != nil {
				t.Fatal(err)
			}
			o := OpenOptions{Cache: pc}
			if checked {
				o.Checksum = info.Meta
			}
			before := sharedFakeS3().gets.Load()
			f, err := OpenFileWith(ctx, st, "t/u/big.parquet", o)
			if err != nil {
				t.Fatal(err)
			}
			if _, found, err := f.Lookup(ctx, chatSchema(), nil, bigintKey(t, 2)); err != nil || !found {
				t.Fatalf("lookup: %v %v", found, err)
			}
			gets[checked] = sharedFakeS3().gets.Load() - before
			_ = f.Close()
		}
		t.Logf("range cache %v: tail %d bytes of %d; first lookup GETs unchecked %d, checked %d", cached, info.Meta.Bytes, info.Bytes, gets[false], gets[true])
		if gets[true] > gets[false]+1 {
			t.Errorf("range cache %v: checked first lookup makes %d GETs, unchecked %d", cached, gets[true], gets[false])
		}
	}
}
