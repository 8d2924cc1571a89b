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
	cf, ok := e.kv.LookupColumnFamily(ev.Family)
	if !ok {
		t.Fatal("no family")
	}
	old := time.Now().Add(-2 * time.Minute).UnixMilli()
	var b kv.Batch
	b.Put(cf, keyenc.StreamKey("root", old, 1), []byte("x"))
	b.Put(cf, keyenc.StreamKey("root", old, 2), []byte("x"))
	if err := e.kv.Write(&b); err != nil {
		t.Fatal(err)
	}
	mustSweep(t, s)
	if n := e.stored(ev); n != 3 {
		t.Fatalf("stored after the sweep: %d events, want the 3 unexpired", n)
	}
}
