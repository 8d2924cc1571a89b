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

// la15Filters are WHERE clauses a subscription and a SELECT must agree on.
var la15Filters = []string{
	"a = 1", "a <> 1", "a > 1", "a >= 1 AND a < 5", "a IN (1, 2)", "a NOT IN (1, 2)",
	"a NOT IN (1, NULL)", "a IN (1, NULL)", "a IS NULL", "a IS NOT NULL", "a = NULL",
	"NOT (a = 1)", "a IS DISTINCT FROM 1", "a IS NOT DISTINCT FROM NULL", "a BETWEEN 1 AND 3",
	"a NOT BETWEEN 1 AND 3", "a + 1 = 3", "a * 2 > 4", "a / 2 = 1", "a % 2 = 0", "-a < 0",
	"abs(a) = 2", "a = 1.0", "a = '1'",
	"b = 'x'", "b LIKE 'x%'", "b LIKE '%\\_%'", "b LIKE 'a_c'", "b NOT LIKE 'x%'", "b ILIKE 'X%'",
	"b IS NULL", "lower(b) = 'abc'", "upper(b) LIKE 'A%'", "length(b) > 2", "b || 'z' = 'xz'",
	"b > 'm'", "coalesce(b, 'none') = 'none'", "substring(b, 1, 1) = 'a'", "b IN ('a', 'x')",
	"trim(b) = 'a'", "b = ''", "b <> ''", "b LIKE '%'", "b NOT LIKE '%'",
	"c > 1.5", "c = 0.1 + 0.2", "c IS NULL", "c < 0", "c = -0.0", "c * 0 = 0",
	"d", "NOT d", "d IS TRUE", "d IS NOT TRUE", "d IS FALSE", "d IS NOT FALSE", "d = true", "d <> false",
	"CASE WHEN a > 1 THEN true ELSE false END", "id = 3 OR b = 'x'", "(a = 1) = d",
	"coalesce(a, 0) = 0", "nullif(a, 1) IS NULL", "a > 1 AND b IS NOT NULL OR c IS NULL",
	"_seq > 0", "_deleted = false", "_deleted = true", "_deleted IS NULL", "id > 10",
}

// TestLA15FiltersMatchSelect: for every WHERE, a subscription's initial
// rows and changes, applied as a client applies them, must end with the
// rows SELECT with the same WHERE returns (docs/live.md: "Result changes,
// not row changes"), across inserts, updates into, out of and within the
// filter, deletes, a transaction, a flush and a compaction (updates and
// deletes of rows only in Parquet), and bob writing the same ids in his
// own partition. On main only `_deleted = true` differs (the finding of
// TestLA15DeletedFilterMatchesSelect); every other WHERE here agrees.
func TestLA15FiltersMatchSelect(t *testing.T) {
	s := la15Server(t, func(c *config.Config) {
		c.WebSocket.MaxSubscriptionsPerConnection = 200
		c.Storage.FlushRows = 0
		c.Storage.FlushInterval = 0
	})
	alice, bob := basic("alice", "alice-pw"), basic("bob", "bob-pw")
	seed := `INSERT INTO app.items (id, a, b, c, d) VALUES
		(1, 1, 'x', 0.1, true), (2, 2, 'abc', 1.5, false), (3, NULL, 'a_c', NULL, NULL),
		(4, 3, NULL, -2.0, true), (5, 0, '', 2.5, false), (6, -2, 'xyz', 0.30000000000000004, true),
		(7, 4, ' a ', 3.0, NULL), (8, NULL, NULL, NULL, NULL), (9, 2, 'X1', 0.0, false),
		(10, 1, 'a', -0.5, true), (11, 5, 'm', 100.0, false), (12, 2, 'n%_', 1.5, true)`
	s.ok(alice, seed)
	// bob holds the same ids with other values.
	s.ok(bob, `INSERT INTO app.items (id, a, b, c, d) VALUES
		(1, 1, 'bx', 0.1, false), (2, 2, 'abc', 1.5, true), (3, 7, 'a_c', 7, true),
		(4, 3, 'seven', -2.0, false), (5, 0, '', 2.5, true), (6, -2, 'xyz', 0.3, false),
		(7, 4, ' a ', 3.0, true), (8, 7, 'x', 7, true), (9, 2, 'X1', 0.0, true),
		(10, 1, 'a', -0.5, false), (11, 5, 'm', 100.0, true), (12, 2, 'n%_', 1.5, false)`)

	cols := []string{"id", "a", "b", "c", "d"}
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribeAll("marker", "SELECT id FROM app.marker", nil)
	states := map[string]*liveState{}
	subs := map[string]string{}
	for i, cond := range la15Filters {
		id := fmt.Sprintf("f%d", i)
		sel := s.sql(alice, "SELECT id FROM app.items WHERE "+cond)
		c.subscribe(id, "SELECT id, a, b, c, d FROM app.items WHERE "+cond, map[string]any{"batch_size": 5})
		m := c.recv()
		if m.Type == "error" {
			if sel.Status == "success" {
				t.Logf("%s: SELECT runs, subscribe refused: %s", cond, m.raw)
			}
			continue
		}
		if m.Type != "subscription_ack" || m.SubscriptionID != id {
			t.Fatalf("%s: %s", cond, m.raw)
		}
		st := newLiveState()
		for {
			b := c.expect("initial_data_batch", id)
			st.apply(b)
			if !b.BatchControl.HasMore {
				break
			}
			c.send(map[string]any{"type": "next_batch", "subscription_id": id})
		}
		if sel.Status != "success" {
			t.Logf("%s: SELECT fails, subscribe works: %s", cond, sel.raw)
			continue
		}
		if want := s.selectState(alice, cols, "app.items", cond); st.sorted() != want {
			t.Errorf("%s: initial data\n got %s\nwant %s", cond, st.sorted(), want)
		}
		states[id], subs[id] = st, cond
	}

	ops := []struct {
		who  creds
		stmt string
	}{
		{alice, "INSERT INTO app.items (id, a, b, c, d) VALUES (13, 1, 'xx', 5.0, true), (14, NULL, 'abc', NULL, false), (15, 2, 'a', 0.1, NULL)"},
		{bob, "INSERT INTO app.items (id, a, b, c, d) VALUES (13, 7, 'bob', 9.0, false), (20, 1, 'x', 0.1, true)"},
		{alice, "UPDATE app.items SET a = a + 1 WHERE id % 3 = 0"},
		{alice, "UPDATE app.items SET b = NULL WHERE id = 2"},
		{alice, "UPDATE app.items SET b = 'xq', a = 1 WHERE id = 8"},
		{bob, "UPDATE app.items SET a = 1, b = 'x' WHERE id < 6"},
		{alice, "UPDATE app.items SET d = NOT d"},
		{alice, "DELETE FROM app.items WHERE id IN (4, 7)"},
		{bob, "DELETE FROM app.items WHERE id IN (1, 2)"},
		{root, "STORAGE FLUSH TABLE app.items"},
		{creds{}, ""}, // wait for jobs
		{alice, "UPDATE app.items SET c = c * 2 WHERE id < 7"},
		{alice, "DELETE FROM app.items WHERE id = 1"},
		{alice, "INSERT INTO app.items (id, a, b, c, d) VALUES (4, 2, 'x', 1.5, false)"},
		{alice, "BEGIN; UPDATE app.items SET a = 9 WHERE id = 3; UPDATE app.items SET a = 1 WHERE id = 3; DELETE FROM app.items WHERE id = 5; INSERT INTO app.items (id, a, b, c, d) VALUES (16, 1, 'x', NULL, true); COMMIT"},
		{root, "STORAGE COMPACT TABLE app.items"},
		{creds{}, ""},
		{alice, "UPDATE app.items SET a = NULL, b = 'abc' WHERE id = 2"},
		{alice, "UPDATE app.items SET b = 'x' WHERE id IN (9, 10, 11)"},
		{bob, "UPDATE app.items SET b = 'a' WHERE id IN (9, 10, 11)"},
		{alice, "DELETE FROM app.items WHERE id = 9"},
		{alice, "INSERT INTO app.items (id, a, b, c, d) VALUES (9, 1, 'x', 0.3, true)"},
	}
	for _, op := range ops {
		if op.stmt == "" {
			waitJobs(t, s)
			continue
		}
		r := s.sql(op.who, op.stmt)
		if r.Status != "success" {
			t.Fatalf("%s: %s", op.stmt, r.raw)
		}
	}
	s.ok(alice, "INSERT INTO app.marker VALUES (1)")
	drainTo(c, states, 1)
	for id, st := range states {
		cond := subs[id]
		if st.failed != "" {
			t.Errorf("%s: subscription ended: %s", cond, st.failed)
			continue
		}
		if len(st.problems) > 0 {
			t.Errorf("%s: changes that do not fit: %s", cond, strings.Join(st.problems, "; "))
		}
		if want := s.selectState(alice, cols, "app.items", cond); st.sorted() != want {
			t.Errorf("%s: after the changes\n got %s\nwant %s", cond, st.sorted(), want)
		}
	}
}

// Finding: a subscription whose WHERE is `_deleted = true` never learns of
// a DELETE, while SELECT with the same WHERE returns the deleted row
// (docs/api.md: reads leave deleted rows out "unless the query itself
// filters on _deleted"). The live filter evaluates every change with
// _deleted forced to false (subscription.go, matchRow).
func TestLA15DeletedFilterMatchesSelect(t *testing.T) {
	s := la15Server(t)
	alice := basic("alice", "alice-pw")
	s.ok(alice, "INSERT INTO app.items (id, b) VALUES (1, 'kept'), (2, 'gone')")
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribeAll("marker", "SELECT id FROM app.marker", nil)
	st := subscribeState(c, "del", "SELECT id, b FROM app.items WHERE _deleted = true", nil)
	s.ok(alice, "DELETE FROM app.items WHERE id = 2")
	s.ok(alice, "INSERT INTO app.marker VALUES (1)")
	drainTo(c, map[string]*liveState{"del": st}, 1)
	want := s.selectState(alice, []string{"id", "b"}, "app.items", "_deleted = true")
	if want != `{"b":"gone","id":2}` {
		t.Fatalf("SELECT ... WHERE _deleted = true: %s", want)
	}
	if got := st.sorted(); got != want || len(st.problems) > 0 || st.failed != "" {
		t.Fatalf("live result %q (problems %v, %s), SELECT %q", got, st.problems, st.failed, want)
	}
}

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
