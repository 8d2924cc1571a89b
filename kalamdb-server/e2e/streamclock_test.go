package e2e_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-store/keyenc"
	"github.com/kalamdb/kalamdb-go/kalamdb-store/kv"
)

// shiftStreamEvents moves every event of a stopped server's stream
// family an hour into the future, as if the clock of the run that wrote
// them had been an hour ahead (with plantSeqLease: the run after an NTP
// step back).
func shiftStreamEvents(t *testing.T, dir, family string, by time.Duration) {
	t.Helper()
	db, err := kv.Open(filepath.Join(dir, "rocksdb"), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	cf, err := db.ColumnFamily(family)
	if err != nil {
		t.Fatal(err)
	}
	it, err := cf.NewIter(kv.IterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b kv.Batch
	for ok := it.First(); ok; ok = it.Next() {
		key := bytes.Clone(it.Key())
		user, ms, seq, err := keyenc.DecodeStreamKey(key)
		if err != nil {
			t.Fatal(err)
		}
		b.Delete(cf, key)
		b.Put(cf, keyenc.StreamKey(user, ms+by.Milliseconds(), seq), bytes.Clone(it.Value()))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Write(&b); err != nil {
		t.Fatal(err)
	}
}

// TestStreamAfterClockWentBack (the crash17 finding): a STREAM table's
// events written while the clock was an hour ahead, then a kill and a
// restart with the clock right. The events written after the restart
// are the newest (_seq): a subscription resuming from the last _seq seen
// before the kill gets exactly them, and MAX_BUFFER keeps the newest
// events. It used to keep the oldest: stream keys carried the wall-clock
// millisecond of the insert, and the sweeper trims a partition in key
// order. An event's time is now never before the newest event of its
// partition (tables.EventMillis), so keys follow arrival order.
func TestStreamAfterClockWentBack(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	p, s := restartProcess(t, bin, dir, noFlushEnv...)
	s.ok(root, `CREATE NAMESPACE clock; CREATE STREAM TABLE clock.ev (n INT) WITH (TTL_SECONDS = 86400, MAX_BUFFER = 5);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user`)
	alice := basic("alice", "alice-pw")
	s.ok(alice, "INSERT INTO clock.ev VALUES (1), (2), (3), (4)")
	before := maxSeq(t, s, alice, "clock.ev")
	p.kill9()
	shiftStreamEvents(t, dir, "stream_table:clock:ev", time.Hour)
	plantSeqLease(t, dir, time.Now().Add(time.Hour+time.Minute).Truncate(time.Millisecond))

	_, s = restartProcess(t, bin, dir, noFlushEnv...)
	for n := 5; n <= 7; n++ {
		s.ok(alice, "INSERT INTO clock.ev VALUES ($1)", n)
	}
	c := s.loginWS(t, "alice", "alice-pw")
	_, rows := c.subscribeAll("e", "SELECT n FROM clock.ev", map[string]any{"from_seq_id": fmt.Sprint(before)})
	_ = c.c.CloseNow()
	if fmt.Sprint(rows) != "[map[n:5] map[n:6] map[n:7]]" {
		t.Fatalf("resumed from the _seq seen before the kill: %v", rows)
	}
	// The sweeper trims the partition to MAX_BUFFER in the background.
	eventually(t, "MAX_BUFFER trims alice's partition", func() bool {
		return s.ok(alice, "SELECT COUNT(*) FROM clock.ev").rows(t) == "[[5]]"
	})
	if got := s.ok(alice, "SELECT n FROM clock.ev ORDER BY _seq").rows(t); got != "[[3],[4],[5],[6],[7]]" {
		t.Fatalf("MAX_BUFFER 5 kept %s, not the newest five", got)
	}
}
