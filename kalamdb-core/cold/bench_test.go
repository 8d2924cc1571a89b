package cold

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
)

const benchRows = 200_000

// chatRows materialises the benchmark rows, so the write benchmark
// measures the writer and not the generator.
func chatRows(b testing.TB, n int) []Row {
	src := chatSource(b, n)
	rows := make([]Row, 0, n)
	for {
		r, ok, err := src.Next()
		if err != nil {
			b.Fatal(err)
		}
		if !ok {
			return rows
		}
		rows = append(rows, Row{Key: bytes.Clone(r.Key), Seq: r.Seq, Values: append([]any(nil), r.Values...)})
	}
}

func BenchmarkWriteChatRows(b *testing.B) {
	st := newFS(b)
	rows := chatRows(b, benchRows)
	sch := chatSchema()
	ctx := context.Background()
	var info FileInfo
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		info, err = WriteFile(ctx, st, fmt.Sprintf("app/messages/u1/batch-%d.parquet", i), sch, SliceSource(rows),
			WriteOptions{ExpectedRows: benchRows})
		if err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(benchRows)*float64(b.N)/sec, "rows/s")
	b.ReportMetric(float64(info.Bytes)*float64(b.N)/sec/1e6, "fileMB/s")
	b.ReportMetric(float64(info.Bytes)/benchRows, "fileB/row")
}

func benchFile(b *testing.B) (*File, []Row) {
	st := newFS(b)
	rows := chatRows(b, benchRows)
	if _, err := WriteFile(context.Background(), st, "f.parquet", chatSchema(), SliceSource(rows), WriteOptions{ExpectedRows: benchRows}); err != nil {
		b.Fatal(err)
	}
	return openFile(b, st, "f.parquet"), rows
}

func BenchmarkScanChatRows(b *testing.B) {
	f, _ := benchFile(b)
	sch := chatSchema()
	for _, bc := range []struct {
		name string
		want []int
	}{{"all-columns", nil}, {"2-of-6-columns", []int{1, 4}}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			before := f.Stats()
			for i := 0; i < b.N; i++ {
				n := 0
				if err := f.Scan(context.Background(), sch, bc.want, func(Row) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
				if n != benchRows {
					b.Fatalf("%d rows", n)
				}
			}
			sec := b.Elapsed().Seconds()
			d := statsDelta(before, f.Stats())
			b.ReportMetric(float64(benchRows)*float64(b.N)/sec, "rows/s")
			b.ReportMetric(float64(d.BytesRead)/float64(b.N), "bytesRead/op")
		})
	}
}

// BenchmarkScanPage is a paginated read: 50 rows from a cursor in the
// middle of a row group.
func BenchmarkScanPage(b *testing.B) {
	f, rows := benchFile(b)
	sch := chatSchema()
	stop := errors.New("page full")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		lo := rows[100_000+(i*7919)%50_000].Key
		err := f.ScanRange(context.Background(), sch, nil, lo, nil, func(Row) error {
			if n++; n == 50 {
				return stop
			}
			return nil
		})
		if err != stop {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	f, rows := benchFile(b)
	sch := chatSchema()
	ctx := context.Background()
	b.Run("present", func(b *testing.B) {
		b.ReportAllocs()
		before := f.Stats()
		for i := 0; i < b.N; i++ {
			r := &rows[(i*7919)%len(rows)]
			if _, found, err := f.Lookup(ctx, sch, nil, r.Key); err != nil || !found {
				b.Fatal(found, err)
			}
		}
		d := statsDelta(before, f.Stats())
		b.ReportMetric(float64(d.RowGroupsRead)/float64(b.N), "rowGroupsRead/op")
		b.ReportMetric(float64(d.BytesRead)/float64(b.N), "bytesRead/op")
	})
	b.Run("absent", func(b *testing.B) {
		b.ReportAllocs()
		before := f.Stats()
		for i := 0; i < b.N; i++ {
			id := int64(2*((i*7919)%len(rows)) + 1)
			if _, found, err := f.Lookup(ctx, sch, nil, bigintKey(b, id)); err != nil || found {
				b.Fatal(found, err)
			}
		}
		d := statsDelta(before, f.Stats())
		b.ReportMetric(float64(d.RowGroupsRead)/float64(b.N), "rowGroupsRead/op")
		b.ReportMetric(float64(d.BloomNegatives)/float64(b.N), "bloomNeg/op")
	})
}

// benchFileCached is benchFile opened with a shared cache large enough
// for the whole file.
func benchFileCached(b *testing.B) (*File, []Row, *Cache) {
	st := newFS(b)
	rows := chatRows(b, benchRows)
	if _, err := WriteFile(context.Background(), st, "f.parquet", chatSchema(), SliceSource(rows), WriteOptions{ExpectedRows: benchRows}); err != nil {
		b.Fatal(err)
	}
	cache, err := NewCache(CacheOptions{Bytes: 256 << 20})
	if err != nil {
		b.Fatal(err)
	}
	f, err := OpenFileWith(context.Background(), st, "f.parquet", OpenOptions{Cache: cache})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = f.Close() })
	return f, rows, cache
}

// BenchmarkLookupCached is BenchmarkLookup through a warm shared cache:
// the cost of a primary-key lookup once its pages are decoded.
func BenchmarkLookupCached(b *testing.B) {
	f, rows, cache := benchFileCached(b)
	sch := chatSchema()
	ctx := context.Background()
	for i := range rows { // warm every page
		if _, found, err := f.Lookup(ctx, sch, nil, rows[i].Key); err != nil || !found {
			b.Fatal(found, err)
		}
	}
	b.Run("present", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			r := &rows[(i*7919)%len(rows)]
			if _, found, err := f.Lookup(ctx, sch, nil, r.Key); err != nil || !found {
				b.Fatal(found, err)
			}
		}
	})
	b.Run("present-1-column", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			r := &rows[(i*7919)%len(rows)]
			if _, found, err := f.Lookup(ctx, sch, []int{1}, r.Key); err != nil || !found {
				b.Fatal(found, err)
			}
		}
	})
	b.Run("absent", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			id := int64(2*((i*7919)%len(rows)) + 1)
			if _, found, err := f.Lookup(ctx, sch, nil, bigintKey(b, id)); err != nil || found {
				b.Fatal(found, err)
			}
		}
	})
	b.Logf("cache: %+v", cache.Stats())
}

// BenchmarkScanPageReverse is a paginated read backwards (ORDER BY id
// DESC LIMIT 50 from a cursor), uncached and cached.
func BenchmarkScanPageReverse(b *testing.B) {
	for _, cached := range []bool{false, true} {
		var f *File
		var rows []Row
		if cached {
			f, rows, _ = benchFileCached(b)
		} else {
			f, rows = benchFile(b)
		}
		sch := chatSchema()
		b.Run(fmt.Sprintf("cached=%v", cached), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				hi := rows[100_000+(i*7919)%50_000].Key
				c, err := f.Rows(context.Background(), sch, nil, Range{Hi: hi, Reverse: true})
				if err != nil {
					b.Fatal(err)
				}
				for n := 0; n < 50; n++ {
					if _, ok, err := c.Next(); !ok || err != nil {
						b.Fatal(ok, err)
					}
				}
				c.Close()
			}
		})
	}
}

// BenchmarkScanBatches scans two of six columns as batches through a warm
// cache: what an aggregate over cold rows costs the file layer.
func BenchmarkScanBatches(b *testing.B) {
	f, _, _ := benchFileCached(b)
	sch := chatSchema()
	ctx := context.Background()
	sum := func() (int64, error) {
		var total int64
		err := f.ScanBatches(ctx, sch, []int{1, 3}, Range{}, func(bt *Batch) error {
			conv := bt.Cols[0].Int64s(bt.Len)
			for j := 0; j < bt.Len; j++ {
				total += conv[j] + int64(len(bt.Cols[1].Str(j)))
			}
			return nil
		})
		return total, err
	}
	if _, err := sum(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sum(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
