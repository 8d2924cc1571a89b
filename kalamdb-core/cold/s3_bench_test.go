package cold

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// BenchmarkS3Workload measures the cold reads of the workload benchmarks
// (a point lookup by id, and COUNT/SUM per conversation over all 10,000
// rows) on a file in an s3 storage on the in-process S3 server, with and
// without the RangeCache. The files are opened without the shared page
// Cache, so every page a read needs is read from the storage: what the
// RangeCache saves is requests to the store.
//
//	go test -run '^$' -bench S3Workload -benchtime 2s ./kalamdb-core/cold
func BenchmarkS3Workload(b *testing.B) {
	rows := workloadRowsOf(b, workloadRows)
	sch := workloadSchema()
	ctx := context.Background()
	wantAgg := make([]convAgg, workloadConvs+1)
	for _, r := range rows {
		a := &wantAgg[r.Values[wConv].(int64)]
		a.count++
		a.contentLen += int64(len(r.Values[wContent].(string)))
	}
	for _, cached := range []bool{false, true} {
		var cache *RangeCache
		if cached {
			cache = NewRangeCache(64 << 20)
		}
		st := newS3(b, func(o *S3Options) { o.Cache, o.CacheID = cache, "bench" })
		const p = "app/chat/u1/batch-1.parquet"
		writeRows(b, st, p, sch, rows, WriteOptions{ExpectedRows: int64(len(rows))})
		f, err := OpenFileWith(ctx, st, p, OpenOptions{})
		if err != nil {
			b.Fatal(err)
		}
		files := []*File{f}
		name := "no_cache"
		if cached {
			name = "range_cache"
		}
		gets := func(b *testing.B, before int64) {
			b.ReportMetric(float64(sharedFakeS3().gets.Load()-before)/float64(b.N), "GETs/op")
		}
		b.Run(fmt.Sprintf("point_lookup/%s", name), func(b *testing.B) {
			before := sharedFakeS3().gets.Load()
			for i := 0; i < b.N; i++ {
				w := &rows[(i*7919)%len(rows)]
				r, found, err := pointLookup(ctx, files, sch, w.Key)
				if err != nil || !found || !bytes.Equal(r.Key, w.Key) {
					b.Fatal(found, err)
				}
			}
			gets(b, before)
		})
		b.Run(fmt.Sprintf("aggregate_10k/%s", name), func(b *testing.B) {
			before := sharedFakeS3().gets.Load()
			aggs := make([]convAgg, workloadConvs+1)
			for i := 0; i < b.N; i++ {
				clear(aggs)
				if err := aggregate(ctx, files, sch, aggs); err != nil {
					b.Fatal(err)
				}
				if aggs[3] != wantAgg[3] {
					b.Fatalf("conversation 3: %+v, want %+v", aggs[3], wantAgg[3])
				}
			}
			gets(b, before)
		})
		_ = f.Close()
	}
}
