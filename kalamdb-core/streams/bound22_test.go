package streams_test

import (
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/streams"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// The count the sweeper keeps may be short of what a partition holds
// (events committed during a recount are counted twice or not at all),
// so a sweep can remove more expired events than it counted. The trim
// then subtracted MAX_BUFFER from a negative number: with MAX_BUFFER =
// 9223372036854775807, which CREATE accepts, it wrapped to an excess of
// about as many events, and the sweep deleted every unexpired event of
// the partition. Failed before: 0 events stored of 3.
func TestHugeMaxBufferWithShortCountKeepsEvents(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE NAMESPACE app; CREATE STREAM TABLE app.ev (n INT) WITH (TTL_SECONDS = 60, MAX_BUFFER = 9223372036854775807)`)
	ev := e.table("app", "ev")
	s := streams.New(e.kv, e.db.Catalog, streams.Options{})
	mustSweep(t, s) // counts the empty table
	// Uncounted: as if committed while a recount ran.
	e.sql("INSERT INTO app.ev VALUES (1), (2), (3)")
	old := time.Now().Add(-2 * time.Minute).UnixMilli()
	e.putKeys(ev.Family, keyenc.StreamKey("root", old, 1), keyenc.StreamKey("root", old, 2))
	mustSweep(t, s)
	if n := e.stored(ev); n != 3 {
		t.Fatalf("stored after the sweep: %d events, want the 3 unexpired", n)
	}
}

// A TTL longer than the time since 1970 (TTL_SECONDS up to a century is
// accepted, and longer stored values read as a century) puts the cut
// before the epoch. Nothing is that old, but the cut's key took the
// negative time as unsigned, the end of the partition, and a first key
// that does not decode counts as expired: the sweep deleted the whole
// partition. Failed before: 0 events stored of 3.
func TestTTLBeforeTheEpochDeletesNothing(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE NAMESPACE app; CREATE STREAM TABLE app.ev (n INT) WITH (TTL_SECONDS = 3153600000)`)
	e.sql("INSERT INTO app.ev VALUES (1), (2), (3)")
	ev := e.table("app", "ev")
	e.putKeys(ev.Family, append(keyenc.AppendUserPrefix(nil, "root"), 0)) // undecodable, first
	mustSweep(t, streams.New(e.kv, e.db.Catalog, streams.Options{}))
	if n := e.stored(ev); n != 4 {
		t.Fatalf("stored after the sweep: %d keys, want the 3 events and the undecodable key", n)
	}
}

// putKeys writes keys into a stream family below the engine, each with a
// value the sweeper never reads.
func (e *env) putKeys(family string, keys ...[]byte) {
	e.t.Helper()
	cf, ok := e.kv.LookupColumnFamily(family)
	if !ok {
		e.t.Fatal("no family")
	}
	var b kv.Batch
	for _, k := range keys {
		b.Put(cf, k, []byte("x"))
	}
	if err := e.kv.Write(&b); err != nil {
		e.t.Fatal(err)
	}
}
