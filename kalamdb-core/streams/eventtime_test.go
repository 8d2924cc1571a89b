package streams_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/streams"
	"github.com/kalamdb/kalamdb-go/kalamdb-core/tables"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// shiftEvents moves every event of a stream family by d, as if the
// clock of the writes had been d ahead.
func (e *env) shiftEvents(family string, d time.Duration) {
	e.t.Helper()
	cf, ok := e.kv.LookupColumnFamily(family)
	if !ok {
		e.t.Fatal("no family")
	}
	it, err := cf.NewIter(kv.IterOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	var b kv.Batch
	for ok := it.First(); ok; ok = it.Next() {
		key := bytes.Clone(it.Key())
		user, ms, seq, err := keyenc.DecodeStreamKey(key)
		if err != nil {
			e.t.Fatal(err)
		}
		b.Delete(cf, key)
		b.Put(cf, keyenc.StreamKey(user, ms+d.Milliseconds(), seq), bytes.Clone(it.Value()))
	}
	if err := it.Close(); err != nil {
		e.t.Fatal(err)
	}
	if err := e.kv.Write(&b); err != nil {
		e.t.Fatal(err)
	}
}

// TestEventsFollowArrivalAfterClockStepBack: events written while the
// clock was an hour ahead, then more with the clock right. Keyed by the
// wall clock, the later events sorted first: reads listed them first and
// MAX_BUFFER evicted them. An event's time is never before its
// partition's newest, so reads and MAX_BUFFER follow arrival, and TTL
// (counted from that time) still expires nothing early.
func TestEventsFollowArrivalAfterClockStepBack(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE NAMESPACE app; CREATE STREAM TABLE app.events (n INT) WITH (TTL_SECONDS = 7200, MAX_BUFFER = 5)`)
	e.sql("INSERT INTO app.events VALUES (1), (2), (3), (4)")
	events := e.table("app", "events")
	e.shiftEvents(events.Family, time.Hour)
	for _, n := range []string{"5", "6", "7"} {
		e.sql("INSERT INTO app.events VALUES (" + n + ")")
	}
	if got := e.sql("SELECT n FROM app.events"); got != "[[1],[2],[3],[4],[5],[6],[7]]" {
		t.Fatalf("events in key order: %s", got)
	}
	cf, _ := e.kv.LookupColumnFamily(events.Family)
	newest, ok, err := tables.NewestEventMillis(cf, "root")
	if err != nil || !ok || newest < time.Now().Add(59*time.Minute).UnixMilli() {
		t.Fatalf("newest event at %d (%v, %v): not the hour-ahead time", newest, ok, err)
	}
	// The TTL sweep at the right clock expires none of them (all carry
	// the hour-ahead time); MAX_BUFFER keeps the newest five.
	s := streams.New(e.kv, e.db.Catalog, streams.Options{})
	mustSweep(t, s)
	if got := e.sql("SELECT n FROM app.events"); got != "[[3],[4],[5],[6],[7]]" {
		t.Fatalf("MAX_BUFFER 5 kept %s, not the newest five", got)
	}
	// Once the clock passes the hour-ahead time by the TTL, all expire.
	late := streams.New(e.kv, e.db.Catalog, streams.Options{Now: func() time.Time { return time.Now().Add(3*time.Hour + 2*time.Minute) }})
	mustSweep(t, late)
	if n := e.stored(events); n != 0 {
		t.Fatalf("%d events left after their TTL", n)
	}
}

func TestEventMillis(t *testing.T) {
	for _, c := range []struct {
		now, newest int64
		ok          bool
		want        int64
		ttl         int64
	}{{100, 0, false, 100, 0}, {100, 50, true, 100, 0}, {100, 200, true, 200, 0}, {100, 100, true, 100, 0},
		{100, 200, true, 200, 100}, {100, 201, true, 100, 100}, {100, 1 << 50, true, 1 << 50, 0}} {
		if got := tables.EventMillis(c.now, c.newest, c.ok, c.ttl); got != c.want {
			t.Errorf("EventMillis(%d, %d, %v, %d) = %d, want %d", c.now, c.newest, c.ok, c.ttl, got, c.want)
		}
	}
}
