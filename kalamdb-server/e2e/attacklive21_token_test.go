package e2e_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// A socket that signed in with an access token used to outlive the token:
// once it had expired (and after POST /v1/api/auth/logout, which only
// clears cookies), the socket kept its subscriptions and kept receiving
// every change, for as long as the client kept it open. A token taken from
// a client (access tokens live one hour by default) bought a live feed with
// no end, and a console tab left open after its session ended kept
// following the system tables. The socket now closes at the token's expiry
// (1008, "access token expired; sign in again"), as it does when the
// account changes; a socket signed in by password has nothing to expire.
func TestAttackLive21SocketOutlivesItsToken(t *testing.T) {
	s := liveServer(t, func(c *config.Config) { c.Auth.AccessTokenTTL = time.Second })
	token := s.login(t, "alice", "alice-pw").AccessToken
	c := s.dialWS(t)
	c.send(map[string]any{"type": "authenticate", "method": "jwt", "token": token})
	if m := c.recv(); m.Type != "auth_success" {
		t.Fatalf("authenticate: %s", m.raw)
	}
	c.subscribeAll("m", "SELECT id FROM chat.messages", nil)
	// Only makes the token old: nothing is timed.
	time.Sleep(2500 * time.Millisecond)
	s.fail(bearer(token), 401, "UNAUTHORIZED", "SELECT 1")
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv) VALUES (1, 7)")
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	for {
		_, raw, err := c.c.Read(ctx)
		if err == nil {
			if strings.Contains(string(raw), `"change"`) {
				t.Fatalf("a socket whose token expired still receives changes: %s", raw)
			}
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("socket ended without a close frame: %v", err)
		}
		if ce.Code != websocket.StatusPolicyViolation || !strings.Contains(ce.Reason, "expired") {
			t.Fatalf("close: %d %q, want 1008 and a reason naming the expiry", ce.Code, ce.Reason)
		}
		break
	}
	// The password still opens a socket, which nothing expires.
	c2 := s.dialWS(t)
	c2.send(map[string]any{"type": "authenticate", "method": "basic", "username": "alice", "password": "alice-pw"})
	if m := c2.recv(); m.Type != "auth_success" {
		t.Fatalf("authenticate by password: %s", m.raw)
	}
}
