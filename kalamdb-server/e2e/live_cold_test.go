package e2e_test

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// TestLiveAcrossFlush: rows that live only in Parquet are initial data
// like hot ones, and UPDATE and DELETE of them reach subscribers with
// their old values read from the cold tier.
func TestLiveAcrossFlush(t *testing.T) {
	s := liveServer(t, noPolicyFlush)
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'one'), (2, 7, 'two'), (3, 8, 'three'), (4, 7, 'four')")
	s.ok(liveBob, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'bob one')")
	jobOf(t, s, "STORAGE FLUSH TABLE chat.messages")
	waitJobs(t, s)
	// Everything is cold: no hot rows, five cold ones in two files.
	if got := s.ok(root, "SHOW STATS FOR TABLE chat.messages").rows(t); !strings.HasPrefix(got, `[["chat","messages",0,5,2,`) {
		t.Fatalf("stats after flush: %s", got)
	}
	// One more row hot, so the initial data spans both tiers, in _seq order.
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (5, 7, 'five')")

	c := s.loginWS(t, "alice", "alice-pw")
	_, rows := c.subscribeAll("m", "SELECT id, body FROM chat.messages WHERE conv = 7", map[string]any{"batch_size": 2})
	if fmt.Sprint(rows) != "[map[body:one id:1] map[body:two id:2] map[body:four id:4] map[body:five id:5]]" {
		t.Fatalf("initial data across tiers: %v", rows)
	}
	_, rows = c.subscribeAll("last", "SELECT id FROM chat.messages", map[string]any{"last_rows": 2})
	if fmt.Sprint(rowIDs(rows)) != "[4 5]" {
		t.Fatalf("last_rows across tiers: %v", rows)
	}

	// Rows 1, 2 and 4 are only in Parquet.
	s.ok(liveAlice, "UPDATE chat.messages SET body = 'ONE' WHERE id = 1")
	if got := c.change("m"); got != "update [map[body:ONE id:1]] <- [map[body:one id:1]]" {
		t.Fatal(got)
	}
	c.expect("change", "last")
	s.ok(liveAlice, "DELETE FROM chat.messages WHERE id = 2")
	if got := c.change("m"); got != "delete [map[body:two id:2]]" {
		t.Fatal(got)
	}
	c.expect("change", "last")
	s.ok(liveAlice, "UPDATE chat.messages SET conv = 7 WHERE id = 3") // cold row enters the filter
	if got := c.change("m"); got != "insert [map[body:three id:3]]" {
		t.Fatal(got)
	}
	c.expect("change", "last")
	// Bob's cold row is his alone.
	s.ok(liveBob, "UPDATE chat.messages SET body = 'bob edited' WHERE id = 1")
	s.ok(liveAlice, "UPDATE chat.messages SET body = 'FOUR' WHERE id = 4")
	if got := c.change("m"); got != "update [map[body:FOUR id:4]] <- [map[body:four id:4]]" {
		t.Fatal(got)
	}

	// A resumed subscription (from_seq_id) sees only what came after,
	// each row in its current state.
	// The resume point is the last batch's last_seq_id, decoded exactly:
	// a row's _seq read as a JSON float64 may round below the real one.
	c2 := s.loginWS(t, "alice", "alice-pw")
	c2.subscribe("all", "SELECT id, body, _seq FROM chat.messages", nil)
	c2.expect("subscription_ack", "all")
	last := c2.expect("initial_data_batch", "all")
	if last.BatchControl.HasMore || len(last.Rows) != 4 {
		t.Fatalf("one batch of alice's 4 rows expected: %s", last.raw)
	}
	s.ok(liveAlice, "UPDATE chat.messages SET body = 'five!' WHERE id = 5")
	c2.expect("change", "all")
	_, rows = c2.subscribeAll("resumed", "SELECT id, body FROM chat.messages", map[string]any{"from_seq_id": fmt.Sprint(last.BatchControl.LastSeqID)})
	if fmt.Sprint(rows) != "[map[body:five! id:5]]" {
		t.Fatalf("resumed: %v", rows)
	}
}

// TestStreamTablesAreNeverFlushedAndExpire: STREAM events never reach
// Parquet, whatever is asked, and reads hide them once their TTL passes.
func TestStreamTablesAreNeverFlushedAndExpire(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, func(c *config.Config) { c.Storage.FlushRows = 1 })
	s.ok(root, `CREATE NAMESPACE ev; CREATE STREAM TABLE ev.pings (n INT) WITH (TTL_SECONDS = 1);
		CREATE TABLE ev.kept (id INT PRIMARY KEY)`)
	s.ok(root, "INSERT INTO ev.pings VALUES (1), (2)")
	s.ok(root, "INSERT INTO ev.kept VALUES (1)")
	inserted := time.Now()
	if got := s.ok(root, "SELECT n FROM ev.pings ORDER BY n").rows(t); got != "[[1],[2]]" {
		t.Fatalf("buffered: %s", got)
	}
	s.fail(root, 400, "INVALID_SQL", "STORAGE FLUSH TABLE ev.pings")
	s.fail(root, 400, "INVALID_SQL", "STORAGE COMPACT TABLE ev.pings")
	s.ok(root, "STORAGE FLUSH ALL IN ev")
	waitJobs(t, s)
	if got := s.ok(root, "SELECT count(*) FROM system.jobs WHERE table_name = 'pings'").rows(t); got != "[[0]]" {
		t.Fatalf("jobs of a stream table: %s", got)
	}
	var files []string
	_ = filepath.WalkDir(filepath.Join(dir, "storage"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".parquet") {
			files = append(files, path)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("the USER table was not flushed (the test would prove nothing)")
	}
	for _, f := range files {
		if strings.Contains(f, "pings") {
			t.Fatalf("a STREAM table was written to Parquet: %s", f)
		}
	}
	// Past the TTL the events are gone from reads, swept or not. The
	// sleep only makes the events old; nothing is timed.
	time.Sleep(time.Until(inserted.Add(1100 * time.Millisecond)))
	if got := s.ok(root, "SELECT n FROM ev.pings").rows(t); got != "null" {
		t.Fatalf("expired events still read: %s", got)
	}
}
