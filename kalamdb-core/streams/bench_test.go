package streams_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/streams"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// BenchmarkSweep10KPartitions measures one steady-state sweep of a stream
// with 10 000 user partitions of 5 events each and nothing to evict (the
// sweep that runs every second): one seek and one key decode per
// partition.
func BenchmarkSweep10KPartitions(b *testing.B) {
	e := newEnv(b)
	e.sql(`CREATE NAMESPACE app; CREATE STREAM TABLE app.typing (who TEXT) WITH (TTL_SECONDS = 3600, MAX_BUFFER = 10)`)
	typing := e.table("app", "typing")
	cf, _ := e.kv.LookupColumnFamily(typing.Family)
	now := time.Now().UnixMilli()
	var batch kv.Batch
	for u := range 10000 {
		for i := range 5 {
			batch.Put(cf, keyenc.StreamKey(fmt.Sprintf("u%05d", u), now, int64(i)), []byte("x"))
		}
	}
	if err := e.kv.Write(&batch); err != nil {
		b.Fatal(err)
	}
	s := streams.New(e.kv, e.db.Catalog, streams.Options{})
	if err := s.SweepOnce(); err != nil { // first sweep: counts every partition
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := s.SweepOnce(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/partition")
}
