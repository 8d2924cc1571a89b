package e2e_test

import (
	"testing"
	"time"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/config"
)

// A socket that signed in with an access token outlives the token: once
// it has expired (and after POST /v1/api/auth/logout, which only clears
// cookies), the socket keeps its subscriptions and keeps receiving every
// change, for as long as the client keeps it open. Only DROP USER and a
// password or role change close it (docs/live.md). A token taken from a
// client (access tokens live one hour by default, security.md: "an access
// token never outlives its session") therefore buys a live feed with no
// end, and a console tab (cookie sign-in: dba and system) left open after
// its session ended keeps following the system tables.
//
// Not fixed here: it is a contract change (clients signed in by token
// would be closed at the token's expiry, e.g. 1008 "token expired; sign in
// again", and SDKs would reconnect with a refreshed token, or re-send
// authenticate in-band), to be decided for the wire contract. The fix
// itself is small: auth.Principal carries the token's expiry (Claims
// has it), and ws.session.serve arms a timer that closes the socket then.
func TestAttackLive21SocketOutlivesItsToken(t *testing.T) {
	t.Skip("known, contract decision: a socket signed in by access token outlives the token's expiry (see the comment)")
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
	if m := c.recv(); m.Type == "change" {
		t.Fatalf("a socket whose token expired still receives changes: %s", m.raw)
	}
}
