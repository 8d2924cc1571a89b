package kv

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
)

// benchValue is about the size of an encoded 6-column chat row.
var benchValue = make([]byte, 120)

func benchKey(buf []byte, user string, i int) []byte {
	buf = append(buf[:0], user...)
	buf = append(buf, 0)
	return binary.BigEndian.AppendUint64(buf, uint64(i))
}

func BenchmarkPut(b *testing.B) {
	db := openTest(b)
	cf := mustCF(b, db, "t")
	var key []byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		key = benchKey(key, "alice", i)
		if err := cf.Put(key, benchValue); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBatchPut50(b *testing.B) {
	db := openTest(b)
	cf := mustCF(b, db, "t")
	counters := mustCF(b, db, "c")
	b.ReportAllocs()
	var batch Batch
	n := 0
	for b.Loop() {
		batch.Reset()
		for j := 0; j < 50; j++ {
			batch.Put(cf, benchKey(nil, "alice", n), benchValue)
			n++
		}
		batch.AddCounter(counters, []byte("alice"), 50)
		if err := db.Write(&batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/row")
}

func loaded(b *testing.B, rows int) *ColumnFamily {
	db := openTest(b)
	cf := mustCF(b, db, "t")
	var batch Batch
	for i := 0; i < rows; i++ {
		batch.Put(cf, benchKey(nil, "alice", i), benchValue)
		if batch.Len() == 1000 {
			if err := db.Write(&batch); err != nil {
				b.Fatal(err)
			}
			batch = Batch{}
		}
	}
	if err := db.Write(&batch); err != nil {
		b.Fatal(err)
	}
	return cf
}

func BenchmarkGet(b *testing.B) {
	const rows = 10000
	cf := loaded(b, rows)
	var key []byte
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		key = benchKey(key, "alice", (i*7919)%rows)
		if _, err := cf.Get(key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrefixScan10K(b *testing.B) {
	const rows = 10000
	cf := loaded(b, rows)
	prefix := []byte("alice\x00")
	b.ReportAllocs()
	for b.Loop() {
		it, err := cf.NewIter(PrefixOptions(prefix))
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for ok := it.First(); ok; ok = it.Next() {
			_ = it.Value()
			n++
		}
		it.Close()
		if n != rows {
			b.Fatalf("scanned %d", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

// BenchmarkPointReads50 reads 50 random keys of 10K at a snapshot, one Get
// each and with one MultiGet (a secondary index fetches rows this way).
func BenchmarkPointReads50(b *testing.B) {
	db := openTest(b)
	cf := mustCF(b, db, "t")
	var batch Batch
	for i := range 10_000 {
		batch.Put(cf, []byte(fmt.Sprintf("key%06d", i)), bytes.Repeat([]byte("v"), 200))
	}
	if err := db.Write(&batch); err != nil {
		b.Fatal(err)
	}
	snap, err := db.NewSnapshot()
	if err != nil {
		b.Fatal(err)
	}
	defer snap.Close()
	keys := make([][]byte, 50)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key%06d", (i*7919)%10_000))
	}
	b.Run("get", func(b *testing.B) {
		for range b.N {
			for _, k := range keys {
				if _, err := snap.Get(cf, k); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("multiget", func(b *testing.B) {
		for range b.N {
			if _, err := snap.MultiGet(cf, keys); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSyncCommit is the floor of a durable INSERT: the batch a commit
// of `rows` chat rows writes (each row, its secondary index entry, and one
// partition counter merge), with the WAL fsync'd before Write returns, as
// the server runs with sync_writes. Anything an INSERT costs above this is
// CPU of the layers above.
func BenchmarkSyncCommit(b *testing.B) {
	row := make([]byte, 260) // a chat row with 40-400 characters of content
	entry := make([]byte, 8)
	for _, rows := range []int{1, 50} {
		for _, sync := range []bool{false, true} {
			b.Run(fmt.Sprintf("rows=%d/sync=%v", rows, sync), func(b *testing.B) {
				db, err := Open(b.TempDir(), Options{Sync: sync})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = db.Close() })
				cf, ix, counters := mustCF(b, db, "t"), mustCF(b, db, "ix"), mustCF(b, db, "c")
				var batch Batch
				n := 0
				for b.Loop() {
					batch.Reset()
					for j := 0; j < rows; j++ {
						batch.Put(cf, benchKey(nil, "alice", n), row)
						batch.Put(ix, benchKey(nil, "alice", n), entry)
						n++
					}
					batch.AddCounter(counters, []byte("alice"), int64(rows))
					if err := db.Write(&batch); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
