package streams_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/streams"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// BenchmarkAttackcold18StreamInsert is a one-row INSERT into a stream
// partition of 10,000 events, and NewestEventMillis alone (the reverse
// seek each INSERT statement into a STREAM now makes): the share of the
// insert the seek costs.
//
//	go test -run '^$' -bench Attackcold18 -benchtime 2000x ./kalamdb-core/streams
func BenchmarkAttackcold18StreamInsert(b *testing.B) {
	e, cf := tenThousandEvents(b)
	b.Run("insert", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			e.sql(fmt.Sprintf("INSERT INTO app.ev VALUES (%d)", i))
		}
	})
	b.Run("newest_event_millis", func(b *testing.B) {
		for b.Loop() {
			if _, ok, err := tables.NewestEventMillis(cf, "root"); err != nil || !ok {
				b.Fatal(ok, err)
			}
		}
	})
}

// BenchmarkAttackcold18Seek compares the reverse seek with a forward one
// on the same bounded iterator over a partition in the memtable, with the
// default read-ahead and with one entry (what NewestEventMillis needs).
func BenchmarkAttackcold18Seek(b *testing.B) {
	_, cf := tenThousandEvents(b)
	prefix := keyenc.AppendUserPrefix(nil, "root")
	for _, c := range []struct {
		last      bool
		readAhead int
	}{{false, 0}, {true, 0}, {true, 1}} {
		last := c.last
		b.Run(fmt.Sprintf("last=%v/read_ahead=%d", last, c.readAhead), func(b *testing.B) {
			for b.Loop() {
				it, err := cf.NewIter(kv.IterOptions{LowerBound: prefix, UpperBound: kv.PrefixEnd(prefix), ReadAhead: c.readAhead})
				if err != nil {
					b.Fatal(err)
				}
				var ok bool
				if last {
					ok = it.Last()
				} else {
					ok = it.First()
				}
				if !ok {
					b.Fatal("empty")
				}
				_ = it.Close()
			}
		})
	}
}

// tenThousandEvents is a stream app.ev whose partition of root holds
// 10,000 events, all in the memtable.
func tenThousandEvents(b *testing.B) (*env, *kv.ColumnFamily) {
	e := newEnv(b)
	e.sql(`CREATE NAMESPACE app; CREATE STREAM TABLE app.ev (n INT) WITH (TTL_SECONDS = 3600)`)
	ev := e.table("app", "ev")
	cf, _ := e.kv.LookupColumnFamily(ev.Family)
	now := time.Now().UnixMilli()
	var batch kv.Batch
	for i := range 10000 {
		batch.Put(cf, keyenc.StreamKey("root", now-int64(10000-i), int64(i+1)), []byte("x"))
	}
	if err := e.kv.Write(&batch); err != nil {
		b.Fatal(err)
	}
	return e, cf
}

// BenchmarkAttackcold18NewestAfterSweeps is NewestEventMillis on a busy
// partition the TTL sweep has cut many times (one range delete per sweep
// that found expired events, all still in the memtable), next to the
// same partition never swept, and next to range deletes of other users'
// partitions of the same family.
func BenchmarkAttackcold18NewestAfterSweeps(b *testing.B) {
	for _, c := range []struct {
		sweeps   int
		others   bool // the range deletes are in other users' partitions
		disjoint bool // each starts where the one before ended
	}{{0, false, false}, {1000, false, false}, {1000, true, false}, {5000, false, false}, {5000, false, true}} {
		b.Run(fmt.Sprintf("range_deletes=%d/other_partitions=%v/disjoint=%v", c.sweeps, c.others, c.disjoint), func(b *testing.B) {
			e, cf := tenThousandEvents(b)
			now := time.Now().UnixMilli()
			for s := range c.sweeps {
				user := "root"
				if c.others {
					user = fmt.Sprintf("u%05d", s)
				}
				var batch kv.Batch
				start := keyenc.AppendUserPrefix(nil, user)
				if c.disjoint && s > 0 {
					start = keyenc.StreamTimeBound(user, now-10000+int64(s-1))
				}
				batch.DeleteRange(cf, start, keyenc.StreamTimeBound(user, now-10000+int64(s)))
				if err := e.kv.Write(&batch); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				if _, ok, err := tables.NewestEventMillis(cf, "root"); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// BenchmarkAttackcold18NewestAfterRealSweeps: the TTL sweep (TTL 1 s) run
// 2,000 times over a partition, each run expiring one more event, as a
// busy partition sees in half an hour; then the seek each INSERT makes.
func BenchmarkAttackcold18NewestAfterRealSweeps(b *testing.B) {
	e := newEnv(b)
	e.sql(`CREATE NAMESPACE app; CREATE STREAM TABLE app.ev (n INT) WITH (TTL_SECONDS = 1)`)
	cf, _ := e.kv.LookupColumnFamily(e.table("app", "ev").Family)
	t0 := time.Now().UnixMilli()
	var batch kv.Batch
	for i := range 10000 {
		batch.Put(cf, keyenc.StreamKey("root", t0+int64(i), int64(i+1)), []byte("x"))
	}
	if err := e.kv.Write(&batch); err != nil {
		b.Fatal(err)
	}
	var k int64
	s := streams.New(e.kv, e.db.Catalog, streams.Options{Now: func() time.Time { return time.UnixMilli(t0 + k + 1001) }})
	for k = 0; k < 2000; k++ {
		if err := s.SweepOnce(); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, ok, err := tables.NewestEventMillis(cf, "root"); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
