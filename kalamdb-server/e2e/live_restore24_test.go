package e2e_test

import (
	"fmt"
	"testing"
	"time"
)

// TestLiveResumeAcrossRestorePerPartition: docs/live.md, "Resuming across
// a RESTORE". Whether a resume point is of the backup's history is a
// property of the subscriber's partition: the restore records, per
// partition, the newest _seq it restored there (its horizon). A client
// of a partition that saw nothing past the backup (bob) resumes exactly,
// even after later writes replaced every restored version of his
// partition, and after a restart; a client of a partition that saw
// commits the backup lacks (alice) is refused. Before horizons, bob's
// resume was refused once his newest restored row was updated.
func TestLiveResumeAcrossRestorePerPartition(t *testing.T) {
	backups := t.TempDir()
	s := backupServer(t, backups)
	s.ok(root, `CREATE NAMESPACE chat;
		CREATE TABLE chat.messages (id BIGINT PRIMARY KEY, conv BIGINT NOT NULL, body TEXT);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'bob-pw' ROLE user`)
	alice, bob := basic("alice", "alice-pw"), basic("bob", "bob-pw")
	const q = "SELECT id, body FROM chat.messages"
	s.ok(alice, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a1')")
	s.ok(bob, "INSERT INTO chat.messages (id, conv, body) VALUES (10, 7, 'b10'), (11, 7, 'b11')")

	a := s.loginWS(t, "alice", "alice-pw")
	aliceFrom := subscribedAt(t, a, "m", q)
	b := s.loginWS(t, "bob", "bob-pw")
	bobFrom := subscribedAt(t, b, "m", q)
	_ = b.c.CloseNow()

	if status, msg := waitJob(t, s, jobOf(t, s, "BACKUP DATABASE chat TO 'b1'")); status != "completed" {
		t.Fatalf("backup: %s %s", status, msg)
	}
	// alice sees a commit the backup lacks; bob's partition is untouched.
	s.ok(alice, "INSERT INTO chat.messages (id, conv, body) VALUES (2, 7, 'a2 lost')")
	aliceFrom = resumePoint(t, aliceFrom, a.expect("change", "m"))
	s.ok(root, "DROP NAMESPACE chat CASCADE")
	a.expectError("SUBSCRIPTION_FAILED", "m")
	if status, msg := waitJob(t, s, jobOf(t, s, "RESTORE DATABASE chat FROM 'b1'")); status != "completed" {
		t.Fatalf("restore: %s %s", status, msg)
	}
	// Later writes replace every restored version of bob's partition.
	s.ok(bob, "UPDATE chat.messages SET body = 'b10 new' WHERE id = 10")
	s.ok(bob, "UPDATE chat.messages SET body = 'b11 new' WHERE id = 11")
	s.ok(bob, "INSERT INTO chat.messages (id, conv, body) VALUES (12, 7, 'b12')")
	s.ok(alice, "INSERT INTO chat.messages (id, conv, body) VALUES (3, 7, 'a3')")

	check := func(s *server) {
		t.Helper()
		r := s.loginWS(t, "bob", "bob-pw")
		_, rows := r.subscribeAll("m", q, map[string]any{"from_seq_id": fmt.Sprint(bobFrom)})
		if fmt.Sprint(rows) != "[map[body:b10 new id:10] map[body:b11 new id:11] map[body:b12 id:12]]" {
			t.Fatalf("bob resumed from %d: %v", bobFrom, rows)
		}
		ra := s.loginWS(t, "alice", "alice-pw")
		ra.subscribe("m", q, map[string]any{"from_seq_id": fmt.Sprint(aliceFrom)})
		if e := ra.expectError("SUBSCRIPTION_FAILED", "m"); !contains(e.Message, "restored from a backup", "without from_seq_id") {
			t.Fatalf("alice resumed past the backup: %s", e.raw)
		}
		_, rows = ra.subscribeAll("m2", q, nil)
		if fmt.Sprint(rows) != "[map[body:a1 id:1] map[body:a3 id:3]]" {
			t.Fatalf("alice subscribed again: %v", rows)
		}
	}
	check(s)
	// The horizons are in the catalog: a restart keeps them.
	check(s.restart())
}

// TestLiveStreamResumeAcrossRestore: a STREAM table's events are in the
// backup (its hot rows) and restored with their _seq and event time, so
// TTL_SECONDS counts from the original insert: events older than the TTL
// at the restore are hidden at once, and the rest expire as they would
// have. A stream client resumes across the restore like a USER table's
// client: from a point of the backup's history it gets the events after
// it that have not expired, even once the restored events it saw have
// expired (before horizons: refused, since no restored event was left);
// from a point past the backup it is refused.
func TestLiveStreamResumeAcrossRestore(t *testing.T) {
	backups := t.TempDir()
	s := backupServer(t, backups)
	s.ok(root, `CREATE NAMESPACE chat;
		CREATE STREAM TABLE chat.typing (who TEXT, conv BIGINT) WITH (TTL_SECONDS = 2);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user;
		CREATE USER 'bob' WITH PASSWORD 'bob-pw' ROLE user`)
	alice, bob := basic("alice", "alice-pw"), basic("bob", "bob-pw")
	const q = "SELECT who FROM chat.typing"
	s.ok(alice, "INSERT INTO chat.typing (who, conv) VALUES ('a1', 7)")
	s.ok(bob, "INSERT INTO chat.typing (who, conv) VALUES ('b1', 7)")
	a := s.loginWS(t, "alice", "alice-pw")
	aliceFrom := subscribedAt(t, a, "t", q)
	b := s.loginWS(t, "bob", "bob-pw")
	bobFrom := subscribedAt(t, b, "t", q)
	_ = b.c.CloseNow()
	if aliceFrom == 0 || bobFrom == 0 {
		t.Fatalf("no _seq: alice %d bob %d", aliceFrom, bobFrom)
	}

	if status, msg := waitJob(t, s, jobOf(t, s, "BACKUP DATABASE chat TO 'b1'")); status != "completed" {
		t.Fatalf("backup: %s %s", status, msg)
	}
	s.ok(alice, "INSERT INTO chat.typing (who, conv) VALUES ('a2 lost', 7)")
	aliceFrom = resumePoint(t, aliceFrom, a.expect("change", "t"))
	s.ok(root, "DROP NAMESPACE chat CASCADE")
	a.expectError("SUBSCRIPTION_FAILED", "t")
	if status, msg := waitJob(t, s, jobOf(t, s, "RESTORE DATABASE chat FROM 'b1'")); status != "completed" {
		t.Fatalf("restore: %s %s", status, msg)
	}
	// The restored events keep their _seq: bob reads his, as before.
	r := s.loginWS(t, "bob", "bob-pw")
	r.subscribe("all", q, nil)
	r.expect("subscription_ack", "all")
	if m := r.expect("initial_data_batch", "all"); fmt.Sprint(m.Rows) != "[map[who:b1]]" || resumePoint(t, 0, m) != bobFrom {
		t.Fatalf("restored events (bob's _seq was %d): %s", bobFrom, m.raw)
	}
	// The restored events expire (TTL counted from their insert).
	time.Sleep(2100 * time.Millisecond)
	s.ok(bob, "INSERT INTO chat.typing (who, conv) VALUES ('b2', 7)")
	if got := s.ok(bob, q).Results[0].Rows; fmt.Sprint(got) != "[[b2]]" {
		t.Fatalf("bob's events after the TTL: %v", got)
	}
	_, rows := s.loginWS(t, "bob", "bob-pw").subscribeAll("t", q, map[string]any{"from_seq_id": fmt.Sprint(bobFrom)})
	if fmt.Sprint(rows) != "[map[who:b2]]" {
		t.Fatalf("bob resumed from %d: %v", bobFrom, rows)
	}
	ra := s.loginWS(t, "alice", "alice-pw")
	ra.subscribe("t", q, map[string]any{"from_seq_id": fmt.Sprint(aliceFrom)})
	if e := ra.expectError("SUBSCRIPTION_FAILED", "t"); !contains(e.Message, "restored from a backup", "without from_seq_id") {
		t.Fatalf("alice resumed past the backup: %s", e.raw)
	}
}

// subscribedAt subscribes c to q as id, reads the ack and the (single)
// initial batch, and returns the resume point it gives.
func subscribedAt(t *testing.T, c *wsClient, id, q string) int64 {
	t.Helper()
	c.subscribe(id, q, nil)
	c.expect("subscription_ack", id)
	return resumePoint(t, 0, c.expect("initial_data_batch", id))
}
