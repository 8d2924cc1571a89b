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
	return s.authenticateAndSubscribe(map[string]any{"type": "authenticate", "method": "basic", "username": user, "password": password})
}

// authenticateAndSubscribe is signInAndSubscribe with any authenticate
// message.
func (s *server) authenticateAndSubscribe(auth map[string]any) *raceSignIn {
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
	if r.err = send(auth); r.err != nil {
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
		// As root, into alice's partition: alice's own sign-in may be
		// throttled by the failed attempts of the sockets above.
		s.ok(root, fmt.Sprintf("EXECUTE AS USER 'alice' (INSERT INTO chat.messages (id, conv) VALUES (%d, 7))", marker))
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

// TestLiveRestoreLeavesAccountsAndTheirSockets: docs/backup.md, a
// restore "never changes an existing account": a backup user of an
// existing user's name gets that account's rows, and the account keeps
// its role and password. So a RESTORE has no socket to close: alice,
// whose backup row has another role and password, and carol, who is not
// in the backup, stay signed in, keep their subscriptions and receive
// what is committed after the restore; the backup's password does not
// sign alice in.
func TestLiveRestoreLeavesAccountsAndTheirSockets(t *testing.T) {
	backups := t.TempDir()
	src := backupServer(t, backups)
	fillChat(t, src, "")
	src.ok(root, "ALTER USER 'alice' SET PASSWORD 'backup-pw'; ALTER USER 'alice' SET ROLE dba")
	if status, msg := waitJob(t, src, jobOf(t, src, "BACKUP DATABASE chat TO 'chat-1'")); status != "completed" {
		t.Fatalf("backup: %s %s", status, msg)
	}

	dst := backupServer(t, backups)
	dst.ok(root, `CREATE NAMESPACE feed; CREATE SHARED TABLE feed.news (id INT PRIMARY KEY) WITH (ACCESS_LEVEL = 'PUBLIC');
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user; CREATE USER 'carol' WITH PASSWORD 'carol-pw' ROLE user`)
	alice, carol := dst.loginWS(t, "alice", "alice-pw"), dst.loginWS(t, "carol", "carol-pw")
	alice.subscribeAll("n", "SELECT id FROM feed.news", nil)
	carol.subscribeAll("n", "SELECT id FROM feed.news", nil)
	if status, msg := waitJob(t, dst, jobOf(t, dst, "RESTORE DATABASE chat FROM 'chat-1'")); status != "completed" {
		t.Fatalf("restore: %s %s", status, msg)
	}
	if got := dst.ok(root, "SELECT username, role FROM system.users WHERE username IN ('alice', 'carol') ORDER BY username").rows(t); got != `[["alice","user"],["carol","user"]]` {
		t.Fatalf("accounts after the restore: %s", got)
	}
	dst.fail(basic("alice", "backup-pw"), 401, "UNAUTHORIZED", "SELECT 1")
	dst.ok(root, "INSERT INTO feed.news VALUES (1)")
	for name, c := range map[string]*wsClient{"alice": alice, "carol": carol} {
		if got := c.change("n"); got != "insert [map[id:1]]" {
			t.Fatalf("%s after the restore: %s", name, got)
		}
	}
	// alice's restored rows are hers, read with her own password.
	if got := dst.ok(basic("alice", "alice-pw"), "SELECT count(*) FROM chat.messages").rows(t); got != "[[20]]" {
		t.Fatalf("alice's restored rows: %s", got)
	}
}

// TestLiveFirstRunSetupClosesRootSockets: the first-run set-up gives root
// a password. Like ALTER USER, it closes the sockets root signed in with
// (password-less, from localhost) before it answers: nothing committed
// after its answer reaches them.
func TestLiveFirstRunSetupClosesRootSockets(t *testing.T) {
	s := liveServer(t)
	c := s.loginWS(t, "root", "")
	c.subscribeAll("r", "SELECT id FROM chat.rooms", nil)
	if r := s.do("POST", "/v1/api/auth/setup", nil, map[string]string{"user": "admin", "password": "a", "root_password": "r"}); r.httpStatus != 200 {
		t.Fatalf("setup: %s", r)
	}
	s.ok(basic("root", "r"), "INSERT INTO chat.rooms VALUES (1, 'lobby')")
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	for {
		_, raw, err := c.c.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || !strings.Contains(ce.Reason, "sign in again") {
				t.Fatalf("root's socket ended with %v", err)
			}
			return
		}
		if strings.Contains(string(raw), `"type":"change"`) {
			t.Fatalf("root's password-less socket got a change committed after the set-up answered: %s", raw)
		}
	}
}
