package tables

import (
	"fmt"

	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// An event's key holds its time (keyenc.StreamKey), and everything about
// a partition follows key order: reads, TTL expiry (one range delete of
// the events before a time) and MAX_BUFFER (the oldest go first). Keyed
// by the wall clock alone, events written after the clock stepped back
// (NTP, a restart on a host whose clock was ahead) sorted before the
// events written earlier: MAX_BUFFER evicted the newest events and reads
// listed them first. So an event's time is the later of the wall clock at
// its insert and the time of the newest event already in its partition
// (EventMillis): keys follow arrival order whatever the clock does, and
// events expire in the order they came. The price is TTL: events written
// after a step back share the newest event's time until the clock catches
// up with it, so they live (and stay visible) up to the size of the step
// longer than TTL_SECONDS. The _seq's millisecond would order them too,
// but the _seq generator runs up to its lease window (10 s) ahead of the
// clock after every restart, which would hold every event that long past
// a short TTL.
//
// The carry-forward is bounded by the TTL: when the newest event is more
// than TTL_SECONDS ahead of the clock (a host that booted with its clock
// years ahead, then corrected), new events take the wall clock again.
// Unbounded, one such event would stamp every later event of its
// partition with its time, and none of them would expire until the
// clock reached it: TTL off for years. A step back longer than the TTL
// gives up arrival order for the events written before it, which were
// stamped by a clock wrong by more than their whole lifetime.

// NewestEventMillis is the time of the newest event of user's partition
// of the stream family cf (ok false when it has none).
func NewestEventMillis(cf *kv.ColumnFamily, user string) (ms int64, ok bool, err error) {
	prefix := keyenc.AppendUserPrefix(nil, user)
	// One entry: a read-ahead backwards through a memtable costs a
	// search from the skiplist's head per entry (kv.IterOptions), and
	// this seek is on every INSERT statement into a STREAM.
	it, err := cf.NewIter(kv.IterOptions{LowerBound: prefix, UpperBound: kv.PrefixEnd(prefix), ReadAhead: 1})
	if err != nil {
		return 0, false, err
	}
	defer it.Close()
	if !it.Last() {
		return 0, false, it.Error()
	}
	if ms, _, err = keyenc.DecodeStreamLocal(it.Key()[len(prefix):]); err != nil {
		return 0, false, fmt.Errorf("stream key %q: %w", it.Key(), err)
	}
	return ms, true, nil
}

// EventMillis is the time of a new event of a partition whose newest
// event has time newest (ok false: none), at wall-clock time now, of a
// table whose TTL is ttl (all in ms; 0: none): never before the newest,
// unless the newest is more than the TTL ahead of now.
func EventMillis(now, newest int64, ok bool, ttl int64) int64 {
	if !ok || newest <= now || (ttl > 0 && newest-now > ttl) {
		return now
	}
	return newest
}
