package e2e_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestLiveResumeAcrossRestore: docs/live.md, a restored table keeps the
// backup's _seq, so a client resumes across RESTORE DATABASE only from a
// _seq of the backup's history: one that stopped before the backup was
// taken, or that subscribed to the restored table, resumes as usual and
// misses nothing; one that saw commits after the backup (which the
// restored table does not have) is refused with SUBSCRIPTION_FAILED, and
// starts again without from_seq_id, rather than keep rows that no longer
// exist and never get the ones restored below its resume point.
func TestLiveResumeAcrossRestore(t *testing.T) {
	backups := t.TempDir()
	s := backupServer(t, backups)
	s.ok(root, `CREATE NAMESPACE chat;
		CREATE TABLE chat.messages (id BIGINT PRIMARY KEY, conv BIGINT NOT NULL, body TEXT);
		CREATE USER 'alice' WITH PASSWORD 'alice-pw' ROLE user`)
	alice := basic("alice", "alice-pw")
	const q = "SELECT id FROM chat.messages"
	s.ok(alice, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b')")

	// early stops before the backup; late follows until the drop.
	early := s.loginWS(t, "alice", "alice-pw")
	_, rows := early.subscribeAll("m", q, nil)
	if fmt.Sprint(rows) != "[map[id:1] map[id:2]]" {
		t.Fatalf("initial data: %v", rows)
	}
	late := s.loginWS(t, "alice", "alice-pw")
	late.subscribe("m", q, nil)
	late.expect("subscription_ack", "m")
	lateFrom := resumePoint(t, 0, late.expect("initial_data_batch", "m"))
	earlyFrom := lateFrom
	_ = early.c.CloseNow()

	s.ok(alice, "INSERT INTO chat.messages (id, conv, body) VALUES (3, 7, 'c')")
	s.ok(alice, "DELETE FROM chat.messages WHERE id = 1")
	lateFrom = resumePoint(t, lateFrom, late.expect("change", "m"), late.expect("change", "m"))
	if status, msg := waitJob(t, s, jobOf(t, s, "BACKUP DATABASE chat TO 'b1'")); status != "completed" {
		t.Fatalf("backup: %s %s", status, msg)
	}
	// Not in the backup.
	s.ok(alice, "INSERT INTO chat.messages (id, conv, body) VALUES (4, 7, 'd')")
	lateFrom = resumePoint(t, lateFrom, late.expect("change", "m"))
	s.ok(root, "DROP NAMESPACE chat CASCADE")
	late.expectError("SUBSCRIPTION_FAILED", "m")
	if status, msg := waitJob(t, s, jobOf(t, s, "RESTORE DATABASE chat FROM 'b1'")); status != "completed" {
		t.Fatalf("restore: %s %s", status, msg)
	}
	s.ok(alice, "INSERT INTO chat.messages (id, conv, body) VALUES (5, 7, 'e')")

	// late holds row 4, which the restored table does not have: refused.
	r := s.loginWS(t, "alice", "alice-pw")
	r.subscribe("m", q, map[string]any{"from_seq_id": fmt.Sprint(lateFrom)})
	if e := r.expectError("SUBSCRIPTION_FAILED", "m"); !contains(e.Message, "restored from a backup", "RESTORE DATABASE", "without from_seq_id") {
		t.Fatalf("resume past the backup: %s", e.raw)
	}
	// From scratch it gets the restored rows and those written since.
	_, rows = r.subscribeAll("m2", q, nil)
	if fmt.Sprint(rows) != "[map[id:2] map[id:3] map[id:5]]" {
		t.Fatalf("subscribed again: %v", rows)
	}

	// early stopped before the backup: its history is the backup's.
	_, rows = r.subscribeAll("e", q, map[string]any{"from_seq_id": fmt.Sprint(earlyFrom)})
	if fmt.Sprint(rows) != "[map[id:3] map[id:5]]" {
		t.Fatalf("resumed from before the backup: %v", rows)
	}
	if d := r.expect("change", "e"); d.ChangeType != "delete" || fmt.Sprint(d.OldValues) != "[map[id:1]]" {
		t.Fatalf("after the resumed initial data: %s", d.raw)
	}

	// A client of the restored table that saw only restored rows resumes
	// from the newest of them.
	const below5 = "SELECT id FROM chat.messages WHERE id < 5"
	f := s.loginWS(t, "alice", "alice-pw")
	f.subscribe("m", below5, nil)
	f.expect("subscription_ack", "m")
	b := f.expect("initial_data_batch", "m")
	if fmt.Sprint(b.Rows) != "[map[id:2] map[id:3]]" {
		t.Fatalf("restored rows: %s", b.raw)
	}
	fresh := resumePoint(t, 0, b)
	_ = f.c.CloseNow()
	s.ok(alice, "INSERT INTO chat.messages (id, conv, body) VALUES (4, 7, 'd again')")
	_, rows = s.loginWS(t, "alice", "alice-pw").subscribeAll("f", below5, map[string]any{"from_seq_id": fmt.Sprint(fresh)})
	if fmt.Sprint(rows) != "[map[id:4]]" {
		t.Fatalf("resumed from the restored rows' _seq %d: %v", fresh, rows)
	}
}

func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
