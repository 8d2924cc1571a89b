package cold

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// BenchmarkLookupFirstTouch is the point lookup of the side-by-side run
// over a freshly flushed partition (10,000 chat rows in one file): every
// lookupsPerCache lookups of random ids, the cache starts empty and the
// file is opened again, as after a flush. Most lookups then find their
// pages decoded already, but those that reach a page nobody read yet
// decode it; p50 and p90 tell the two apart, misses/op counts the pages
// decoded per lookup.
func BenchmarkLookupFirstTouch(b *testing.B) { benchLookupFirstTouch(b, false) }

// BenchmarkLookupFirstTouchChecked is BenchmarkLookupFirstTouch with the
// file opened with its metadata checksum, as the tiers open it: the
// bloom filters and page indexes its lookups load are checked against
// the CRCs the open's verification took (the verification itself is
// outside the timing, with the open).
func BenchmarkLookupFirstTouchChecked(b *testing.B) { benchLookupFirstTouch(b, true) }

func benchLookupFirstTouch(b *testing.B, checked bool) {
	const lookupsPerCache = 1250 // a harness run: 50 warm-up + 6 rounds of 200
	rows := workloadRowsOf(b, workloadRows)
	sch := workloadSchema()
	ctx := context.Background()
	st := newFS(b)
	const p = "app/chat/u1/batch-1.parquet"
	info := writeRows(b, st, p, sch, rows, WriteOptions{ExpectedRows: int64(len(rows))})
	o := OpenOptions{StorageID: "local"}
	if checked {
		o.Checksum = info.Meta
	}
	var (
		f     *File
		cache *Cache
	)
	reopen := func() {
		if f != nil {
			_ = f.Close()
		}
		var err error
		if cache, err = NewCache(CacheOptions{}); err != nil {
			b.Fatal(err)
		}
		o.Cache = cache
		if f, err = OpenFileWith(ctx, st, p, o); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() { _ = f.Close() })
	rng := rand.New(rand.NewPCG(3, 4))
	took := make([]time.Duration, 0, b.N)
	var decoded int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%lookupsPerCache == 0 {
			b.StopTimer()
			if f != nil {
				decoded += f.Stats().PagesDecoded
			}
			reopen()
			b.StartTimer()
		}
		w := &rows[rng.IntN(len(rows))]
		t0 := time.Now()
		r, found, err := f.Lookup(ctx, sch, nil, w.Key)
		took = append(took, time.Since(t0))
		if err != nil || !found || r.Values[wContent] != w.Values[wContent] {
			b.Fatal(found, err)
		}
	}
	b.StopTimer()
	decoded += f.Stats().PagesDecoded
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(took[len(took)*9/10].Nanoseconds()), "p90-ns")
	b.ReportMetric(float64(decoded)/float64(b.N), "decoded/op")
}

// BenchmarkLookupCPUCold is a point lookup through a warm page cache
// (every page decoded) with the processor's caches emptied before each
// lookup (8 MiB written between lookups, outside the timing), as in a
// server that does other work between two requests: what the lookup's
// memory accesses (cache shards, entries, pages) cost when none is in
// the processor's caches. thrash=false is the same loop without it.
func BenchmarkLookupCPUCold(b *testing.B) {
	rows := workloadRowsOf(b, workloadRows)
	sch := workloadSchema()
	ctx := context.Background()
	cache, err := NewCache(CacheOptions{})
	if err != nil {
		b.Fatal(err)
	}
	f := workloadFiles(b, rows, 1, cache)[0]
	for i := range rows {
		if _, found, err := f.Lookup(ctx, sch, nil, rows[i].Key); err != nil || !found {
			b.Fatal(found, err)
		}
	}
	junk := make([]byte, 8<<20)
	for _, thrash := range []bool{false, true} {
		b.Run(fmt.Sprintf("thrash=%v", thrash), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(5, 6))
			var total time.Duration
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if thrash {
					for j := 0; j < len(junk); j += 64 {
						junk[j]++
					}
				}
				w := &rows[rng.IntN(len(rows))]
				t0 := time.Now()
				_, found, err := f.Lookup(ctx, sch, nil, w.Key)
				total += time.Since(t0)
				if err != nil || !found {
					b.Fatal(found, err)
				}
			}
			b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "lookup-ns")
		})
	}
}
