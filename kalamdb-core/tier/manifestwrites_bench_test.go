package tier

import (
	"fmt"
	"testing"
)

// BenchmarkReadsAfterOnePartitionsWrite: each op writes one partition's
// manifest (of 64, in turn) and then reads all 64 at a fresh snapshot.
// "table" counts every write as a write of the whole table (as every
// flush and compaction was counted before the partition stripes);
// "partition" as a flush or compaction is counted now. rowreads/op is
// how many reads missed the cache and read the manifest row.
func BenchmarkReadsAfterOnePartitionsWrite(b *testing.B) {
	const parts = 64
	for _, mode := range []string{"table", "partition"} {
		b.Run(mode, func(b *testing.B) {
			r := newManifestRig(b)
			owners := make([]string, parts)
			for i := range owners {
				owners[i] = fmt.Sprintf("u%d", i)
				r.write(r.partition(owners[i]), owners[i], owners[i]+"-1")()
			}
			for _, o := range owners {
				if _, err := r.m.manifestFiles(r.tbl, r.id(o), nil); err != nil {
					b.Fatal(err)
				}
			}
			reads0, _ := r.m.ManifestStats()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				o := owners[i%parts]
				begin := r.partition(o)
				if mode == "table" {
					begin = r.table()
				}
				r.write(begin, o, o+"-1", fmt.Sprintf("%s-%d", o, i))()
				snap, err := r.m.db.NewSnapshot()
				if err != nil {
					b.Fatal(err)
				}
				for _, o := range owners {
					if _, err := r.m.manifestFiles(r.tbl, r.id(o), snap); err != nil {
						b.Fatal(err)
					}
				}
				_ = snap.Close()
			}
			b.StopTimer()
			reads, _ := r.m.ManifestStats()
			b.ReportMetric(float64(reads-reads0)/float64(b.N), "rowreads/op")
		})
	}
}

// BenchmarkSettledRead is one read at a snapshot a settled entry answers.
func BenchmarkSettledRead(b *testing.B) {
	r := newManifestRig(b)
	r.write(r.partition("a"), "a", "a1")()
	snap, err := r.m.db.NewSnapshot()
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = snap.Close() }()
	if _, err := r.m.manifestFiles(r.tbl, r.id("a"), snap); err != nil {
		b.Fatal(err)
	}
	id := r.id("a")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.m.manifestFiles(r.tbl, id, snap); err != nil {
			b.Fatal(err)
		}
	}
	if _, hits := r.m.ManifestStats(); hits < int64(b.N) {
		b.Fatalf("%d of %d reads answered by the entry", hits, b.N)
	}
}
