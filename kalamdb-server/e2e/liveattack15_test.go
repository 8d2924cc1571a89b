//go:build liveattack15

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

// Adversarial tests of the live-query contract (docs/live.md, docs/api.md
// "WebSocket"): each fails on main and names the difference it shows.

// docs/live.md: past 10 000 changes kept aside while loading, "that
// subscription ends with SUBSCRIPTION_FAILED and the client resubscribes
// with from_seq_id". A client that does exactly that must end with the
// rows SELECT returns; a row deleted meanwhile is never reported, so the
// resumed client keeps it for ever.
func TestLA15ResumeAfterOverflowKeepsDeletedRows(t *testing.T) {
	s := la15Server(t)
	alice := basic("alice", "alice-pw")
	s.ok(alice, "INSERT INTO app.items (id, b) VALUES (1, 'one'), (2, 'two')")
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribeAll("marker", "SELECT id FROM app.marker", nil)
	c.subscribe("x", "SELECT id, b FROM app.items", map[string]any{"batch_size": 1})
	c.expect("subscription_ack", "x")
	st := newLiveState()
	b0 := c.expect("initial_data_batch", "x")
	st.apply(b0) // row 1
	lastSeq := b0.BatchControl.LastSeqID
	s.ok(alice, "DELETE FROM app.items WHERE id = 1")
	var vals []string
	for i := 100; i < 100+10001; i++ {
		vals = append(vals, fmt.Sprintf("(%d, 'bulk')", i))
	}
	s.ok(alice, "INSERT INTO app.items (id, b) VALUES "+strings.Join(vals, ", "))
	c.send(map[string]any{"type": "next_batch", "subscription_id": "x"})
	for {
		m := c.recv()
		if m.SubscriptionID != "x" {
			continue
		}
		if m.Type == "error" {
			if m.Code != "SUBSCRIPTION_FAILED" {
				t.Fatalf("overflow: %s", m.raw)
			}
			break
		}
		st.apply(m)
		if m.Type == "initial_data_batch" {
			if m.BatchControl.LastSeqID > lastSeq {
				lastSeq = m.BatchControl.LastSeqID
			}
			if m.BatchControl.HasMore {
				c.send(map[string]any{"type": "next_batch", "subscription_id": "x"})
			}
		}
	}
	// Resume as documented, from the last _seq received.
	c.subscribe("x2", "SELECT id, b FROM app.items", map[string]any{"from_seq_id": lastSeq, "batch_size": 10000})
	for {
		m := c.recv()
		if m.SubscriptionID == "x" {
			continue // the answer to a next_batch sent before the failure
		}
		if m.Type == "subscription_ack" {
			continue
		}
		if m.Type != "initial_data_batch" || m.SubscriptionID != "x2" {
			t.Fatalf("resume: %s", m.raw)
		}
		for _, r := range m.Rows {
			st.rows[rowKey(r)] = rowText(r) // a resumed row replaces the one held
		}
		if !m.BatchControl.HasMore {
			break
		}
		c.send(map[string]any{"type": "next_batch", "subscription_id": "x2"})
	}
	s.ok(alice, "INSERT INTO app.marker VALUES (1)")
	drainTo(c, map[string]*liveState{"x2": st}, 1)
	if _, held := st.rows["1"]; held {
		t.Fatalf("after resuming with from_seq_id the client still holds row 1, deleted while its subscription was failing; SELECT has %d rows, the client %d",
			len(s.ok(alice, "SELECT id FROM app.items").Results[0].Rows), len(st.rows))
	}
}

// parquetFiles lists the Parquet files under the server's data directory
// whose path contains part.
func (s *server) parquetFiles(part string) []string {
	var out []string
	_ = filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") && strings.Contains(p, part) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// Finding: a subscription left loading (the client never asks for its
// next batch) pins its snapshot "however long that takes" (tier/feed.go),
// and the pin is server-wide: the Parquet files that any compaction of any
// table replaces stay on disk until that socket closes. One signed-in user
// with a two-row table thereby keeps every other table's replaced files
// (and RocksDB's old versions) for as long as it likes; nothing in
// docs/live.md bounds how long a subscription may stay loading.
func TestLA15LoadingSubscriptionDoesNotPinOtherTablesFiles(t *testing.T) {
	s := la15Server(t, func(c *config.Config) { c.Storage.FlushRows = 0; c.Storage.FlushInterval = 0 })
	alice := basic("alice", "alice-pw")
	s.ok(alice, "INSERT INTO app.items (id, b) VALUES (1, 'one'), (2, 'two')")
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribe("stuck", "SELECT id, b FROM app.items", map[string]any{"batch_size": 1})
	c.expect("subscription_ack", "stuck")
	if b := c.expect("initial_data_batch", "stuck"); !b.BatchControl.HasMore {
		t.Fatalf("want a loading subscription: %s", b.raw)
	}
	// Root's shared table gets two files, then one compacted file.
	for i := 1; i <= 2; i++ {
		s.ok(root, fmt.Sprintf("INSERT INTO app.board VALUES (%d, 'x')", i))
		s.ok(root, "STORAGE FLUSH TABLE app.board")
		waitJobs(t, s)
	}
	s.ok(root, "STORAGE COMPACT TABLE app.board")
	waitJobs(t, s)
	t.Logf("board files after compaction: %v", s.parquetFiles("board"))
	// The replaced files go once the grace for running statements (30 s)
	// has passed; alice's subscription of another table cannot need them.
	deadline := time.Now().Add(75 * time.Second)
	for len(s.parquetFiles("board")) > 1 {
		if time.Now().After(deadline) {
			t.Fatalf("replaced files of app.board still on disk 75 s after its compaction, pinned by alice's loading subscription of app.items: %v", s.parquetFiles("board"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
