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

// raceSignIn is one socket signing in while its password changes: it
// authenticates with password and, once signed in, subscribes. It runs
// on its own goroutine, so it reports instead of failing the test.
type raceSignIn struct {
	c        *websocket.Conn
	signedIn bool
	err      error
}

func (s *server) signInAndSubscribe(user, password string) *raceSignIn {
	r := &raceSignIn{}
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.base, "http")+"/v1/ws", nil)
	if err != nil {
		r.err = err
		return r
	}
	c.SetReadLimit(64 << 20)
	r.c = c
	send := func(v any) error {
		raw, _ := json.Marshal(v)
		return c.Write(ctx, websocket.MessageText, raw)
	}
	if r.err = send(map[string]any{"type": "authenticate", "method": "basic", "username": user, "password": password}); r.err != nil {
		return r
	}
	_, raw, err := c.Read(ctx)
	if err != nil {
		return r // refused: closed without a welcome
	}
	var m wsMsg
	if err := json.Unmarshal(raw, &m); err != nil || m.Type != "auth_success" {
		return r // auth_error: the new password was checked
	}
	r.signedIn = true
	r.err = send(map[string]any{"type": "subscribe", "subscription": map[string]any{"id": "early", "sql": "SELECT id FROM chat.messages"}})
	return r
}

// TestLiveSignInRacingPasswordChange: docs/live.md, "Once the statement
// has answered, nothing committed afterwards is delivered to those
// sockets and they take no new subscription; a socket still signing in at
// that moment with the old role is refused the same way". Sockets sign
// in with the old password while ALTER USER changes it; once ALTER USER
// has answered, none of them may take a subscription or receive a change
// committed after that answer: each ends closed.
func TestLiveSignInRacingPasswordChange(t *testing.T) {
	s := liveServer(t)
	const iterations, sockets = 25, 4
	old := "alice-pw"
	for it := 0; it < iterations; it++ {
		next := fmt.Sprintf("alice-pw-%d", it)
		results := make([]*raceSignIn, sockets)
		var wg sync.WaitGroup
		for j := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[j] = s.signInAndSubscribe("alice", old)
			}()
		}
		s.ok(root, fmt.Sprintf("ALTER USER 'alice' SET PASSWORD '%s'", next))
		// ALTER USER has answered. Whatever the sockets still do from
		// here (and they may still be signing in) happens after it.
		wg.Wait()
		old = next
		marker := int64(1000 + it)
		s.ok(basic("alice", old), fmt.Sprintf("INSERT INTO chat.messages (id, conv) VALUES (%d, 7)", marker))
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

// checkClosedWithoutLateWork reads a socket that signed in (or tried to)
// with a password changed since: it must end closed, and before that
// neither ack a subscription asked for after the change nor deliver the
// marker row, committed after it.
func checkClosedWithoutLateWork(t *testing.T, r *raceSignIn, it, j int, marker int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	defer func() { _ = r.c.CloseNow() }()
	if !r.signedIn {
		return // refused: it never had a connection
	}
	raw, _ := json.Marshal(map[string]any{"type": "subscribe", "subscription": map[string]any{"id": "late", "sql": "SELECT id FROM chat.messages"}})
	_ = r.c.Write(ctx, websocket.MessageText, raw) // may fail: already closed
	for {
		_, raw, err := r.c.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("iteration %d socket %d: ended without a close frame: %v", it, j, err)
			}
			if ce.Code != websocket.StatusPolicyViolation || !strings.Contains(ce.Reason, "sign in again") {
				t.Fatalf("iteration %d socket %d: closed with %d %q", it, j, ce.Code, ce.Reason)
			}
			return
		}
		var m wsMsg
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
		switch {
		case m.SubscriptionID == "late" && m.Type == "subscription_ack":
			t.Fatalf("iteration %d socket %d, signed in with the old password, took a subscription after ALTER USER answered: %s", it, j, raw)
		case m.Type == "change" && strings.Contains(string(raw), fmt.Sprint(marker)):
			t.Fatalf("iteration %d socket %d, signed in with the old password, got a change committed after ALTER USER answered: %s", it, j, raw)
		case m.Type == "initial_data_batch":
			for _, row := range m.Rows {
				if int64(row["id"].(float64)) == marker {
					t.Fatalf("iteration %d socket %d, signed in with the old password, read a row committed after ALTER USER answered: %s", it, j, raw)
				}
			}
		}
	}
}
