package streams_test

import (
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/streams"
)

// TestAttackcold18FutureClockKeepsTTL: one event written while the clock
// was ten years ahead (a host booted with a bad RTC, then NTP stepped it
// back). Every event inserted afterwards is stamped with that event's
// time (tables.EventMillis), so none of them expires for ten years: TTL_SECONDS
// no longer bounds the partition, only MAX_BUFFER (if set) does. Events
// written after the step back must still expire by TTL: the
// carry-forward is bounded by the TTL (tables.EventMillis).
func TestAttackcold18FutureClockKeepsTTL(t *testing.T) {
	e := newEnv(t)
	e.sql(`CREATE NAMESPACE app; CREATE STREAM TABLE app.events (n INT) WITH (TTL_SECONDS = 60)`)
	e.sql("INSERT INTO app.events VALUES (1)")
	events := e.table("app", "events")
	e.shiftEvents(events.Family, 10*365*24*time.Hour)
	for _, n := range []string{"2", "3", "4"} {
		e.sql("INSERT INTO app.events VALUES (" + n + ")")
	}
	// Two minutes later (real clock), events 2..4 are past their TTL.
	late := streams.New(e.kv, e.db.Catalog, streams.Options{Now: func() time.Time { return time.Now().Add(2 * time.Minute) }})
	mustSweep(t, late)
	if n := e.stored(events); n > 1 {
		t.Fatalf("%d events stored two minutes past a 60 s TTL; only the future-dated one may remain", n)
	}
}
