//go:build liveattack15

package e2e_test

import (
	"fmt"
	"strings"
	"testing"
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
