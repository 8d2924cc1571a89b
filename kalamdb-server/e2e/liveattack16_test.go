package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
)

// Adversarial tests of branch live16 (a resume's delete, sign-ins racing
// account changes); each fails if its attack works.

// TestLiveAttack16ResumeIsolation: a resume's delete names only rows of
// the subscriber's own partition, never another user's rows deleted or
// changed since from_seq_id; a RESTRICTED shared table is refused before
// anything is read.
func TestLiveAttack16ResumeIsolation(t *testing.T) {
	s := liveServer(t)
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b')")
	seq := s.ok(liveAlice, "SELECT max(_seq) FROM chat.messages").rows(t)
	seq = strings.Trim(seq, "[]\"")
	s.ok(liveBob, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'bob-secret-1'), (50, 7, 'bob-secret-50'), (51, 7, 'bob51')")
	s.ok(liveBob, "DELETE FROM chat.messages WHERE id IN (1, 50)")
	s.ok(liveBob, "UPDATE chat.messages SET conv = 9 WHERE id = 51")
	s.ok(liveAlice, "DELETE FROM chat.messages WHERE id = 2")

	r := s.loginWS(t, "alice", "alice-pw")
	_, rows := r.subscribeAll("m", "SELECT id, body FROM chat.messages WHERE conv = 7", map[string]any{"from_seq_id": seq})
	if len(rows) != 0 {
		t.Fatalf("resumed initial data: %v", rows)
	}
	d := r.expect("change", "m")
	if d.ChangeType != "delete" || strings.Contains(d.raw, "bob") || len(d.OldValues) != 1 || d.OldValues[0]["body"] != "b" {
		t.Fatalf("alice's resume delete: %s", d.raw)
	}
	r.subscribe("v", "SELECT id, secret FROM chat.vault", map[string]any{"from_seq_id": seq})
	if e := r.expect("error", "v"); e.Code != "UNAUTHORIZED" {
		t.Fatalf("vault: %s", e.raw)
	}
}

// jwtSignInAndSubscribe is signInAndSubscribe with a bearer token.
func (s *server) jwtSignInAndSubscribe(token string) *raceSignIn {
	return s.authenticateAndSubscribe(map[string]any{"type": "authenticate", "method": "jwt", "token": token})
}

// TestLiveAttack16JWTSignInRacingRoleThereAndBack: sockets sign in with
// an access token while ALTER USER changes alice's role and changes it
// back: once both statements have answered, none of them (the token's
// credential version is two behind) may take a subscription or receive
// a change committed afterwards.
func TestLiveAttack16JWTSignInRacingRoleThereAndBack(t *testing.T) {
	s := liveServer(t)
	const iterations, sockets = 15, 4
	for it := 0; it < iterations; it++ {
		token := s.login(t, "alice", "alice-pw").AccessToken
		results := make([]*raceSignIn, sockets)
		var wg sync.WaitGroup
		for j := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[j] = s.jwtSignInAndSubscribe(token)
			}()
		}
		s.ok(root, "ALTER USER 'alice' SET ROLE service")
		s.ok(root, "ALTER USER 'alice' SET ROLE user")
		wg.Wait()
		marker := int64(1000 + it)
		s.ok(liveAlice, fmt.Sprintf("INSERT INTO chat.messages (id, conv) VALUES (%d, 7)", marker))
		for j, r := range results {
			if r.err != nil {
				t.Fatalf("iteration %d socket %d: %v", it, j, r.err)
			}
			if r.c == nil {
				continue
			}
			checkClosedWithoutLateWork(t, r, it, j, marker)
		}
	}
}

// TestLiveAttack16UnrelatedAccountChangesRefuseNobody: bob's sign-ins
// while alice's password and role change over and over all succeed, keep
// their subscription and receive what is committed afterwards: another
// account's changes never refuse or close them.
func TestLiveAttack16UnrelatedAccountChangesRefuseNobody(t *testing.T) {
	s := liveServer(t)
	const iterations, sockets = 10, 4
	for it := 0; it < iterations; it++ {
		results := make([]*raceSignIn, sockets)
		var wg sync.WaitGroup
		for j := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[j] = s.signInAndSubscribe("bob", "bob-pw")
			}()
		}
		s.ok(root, fmt.Sprintf("ALTER USER 'alice' SET PASSWORD 'pw-%d'", it))
		s.ok(root, "ALTER USER 'alice' SET ROLE service; ALTER USER 'alice' SET ROLE user")
		wg.Wait()
		marker := int64(2000 + it)
		s.ok(liveBob, fmt.Sprintf("INSERT INTO chat.messages (id, conv) VALUES (%d, 7)", marker))
		for j, r := range results {
			if r.err != nil || !r.signedIn {
				t.Fatalf("iteration %d socket %d: bob not signed in: %v", it, j, r.err)
			}
			got := readUntilMarker(t, r.c, marker)
			_ = r.c.CloseNow()
			if got != "" {
				t.Fatalf("iteration %d socket %d: %s", it, j, got)
			}
		}
	}
}

// readUntilMarker reads a socket until it receives the change carrying
// marker; it returns what went wrong instead ("" when it came).
func readUntilMarker(t *testing.T, c *websocket.Conn, marker int64) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	for {
		_, raw, err := c.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return fmt.Sprintf("closed with %d %q", ce.Code, ce.Reason)
			}
			return err.Error()
		}
		var m wsMsg
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Sprintf("decode %s: %v", raw, err)
		}
		if m.Type == "error" {
			return string(raw)
		}
		// The subscription may have read its initial data after the
		// marker's commit: then the marker is a row of it.
		if (m.Type == "change" || m.Type == "initial_data_batch") && strings.Contains(string(raw), fmt.Sprintf(`"id":%d`, marker)) {
			return ""
		}
	}
}

// TestLiveAttack16FromSeqIDForms: from_seq_id as a string or number in
// the future resumes with nothing (no delete), 0 is a plain subscribe;
// negative, fractional, overflowing or non-numeric values are refused
// and the socket stays usable. A STREAM table resumes (its events never
// leave, so no delete).
func TestLiveAttack16FromSeqIDForms(t *testing.T) {
	s := liveServer(t)
	s.ok(root, "CREATE STREAM TABLE chat.typing (who TEXT, conv BIGINT) WITH (TTL_SECONDS = 60)")
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a')")
	s.ok(liveAlice, "INSERT INTO chat.typing (who, conv) VALUES ('a', 7)")
	c := s.loginWS(t, "alice", "alice-pw")
	for i, bad := range []any{-1, "-1", 1.5, "1.5", "1e3", "abc", "99999999999999999999", 1e30, true, map[string]any{}} {
		id := fmt.Sprint("bad", i)
		c.subscribe(id, "SELECT id FROM chat.messages", map[string]any{"from_seq_id": bad})
		m := c.recv()
		if m.Type != "error" {
			t.Fatalf("from_seq_id %v: %s", bad, m.raw)
		}
	}
	for i, future := range []any{"9223372036854775807", int64(9_000_000_000_000_000_000)} {
		id := fmt.Sprint("future", i)
		_, rows := c.subscribeAll(id, "SELECT id FROM chat.messages", map[string]any{"from_seq_id": future})
		if len(rows) != 0 {
			t.Fatalf("future %v: %v", future, rows)
		}
	}
	_, rows := c.subscribeAll("zero", "SELECT id FROM chat.messages", map[string]any{"from_seq_id": "0"})
	if len(rows) != 1 {
		t.Fatalf("zero: %v", rows)
	}
	_, rows = c.subscribeAll("stream", "SELECT who FROM chat.typing", map[string]any{"from_seq_id": "1"})
	if fmt.Sprint(rows) != "[map[who:a]]" {
		t.Fatalf("stream resume: %v", rows)
	}
	// Nothing else is queued: the next message is the next change.
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (2, 7, 'b')")
	got := map[string]string{}
	for range 3 {
		m := c.recv()
		if m.Type != "change" {
			t.Fatalf("after the subscriptions: %s", m.raw)
		}
		got[m.SubscriptionID] = m.ChangeType
	}
	if fmt.Sprint(got) != "map[future0:insert future1:insert zero:insert]" {
		t.Fatalf("changes: %v", got)
	}
}
