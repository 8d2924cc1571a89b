package live_test

import (
	"context"
	"errors"
	"strings"

	"fmt"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// resumeCase runs a resume of q from the seq after setup, after change,
// optionally flushing in between, and returns the initial rows and the
// change that follows (or "" when none is expected).
func resumeCase(t *testing.T, setup, change []string, flushBefore, flushAfter bool, q string) ([]map[string]any, *client, *env) {
	t.Helper()
	e := newEnv(t, live.Options{})
	for _, s := range setup {
		e.alice(s)
	}
	from := e.maxSeq()
	if flushBefore {
		e.runJob("STORAGE FLUSH TABLE chat.messages")
	}
	for i, s := range change {
		e.alice(s)
		if flushAfter && i == 0 {
			e.runJob("STORAGE FLUSH TABLE chat.messages")
		}
	}
	c := e.connect("alice", systable.RoleUser)
	_, rows := c.subscribeAll("r", q, live.SubscriptionOptions{FromSeqID: from})
	return rows, c, e
}

// A row deleted and inserted again (same key) after from_seq_id is in the
// initial data: the delete must not name it, or the client drops a row
// that exists.
func TestAttack16ReinsertedRowNotNamed(t *testing.T) {
	for _, flush := range []bool{false, true} {
		t.Run(fmt.Sprint("flush=", flush), func(t *testing.T) {
			rows, c, e := resumeCase(t,
				[]string{"INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b')"},
				[]string{"DELETE FROM chat.messages WHERE id = 1", "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a2')",
					"DELETE FROM chat.messages WHERE id = 2"},
				false, flush, "SELECT id, body FROM chat.messages WHERE conv = 7")
			if got := fmt.Sprint(ids(rows)); got != "[1]" {
				t.Fatalf("initial: %v", rows)
			}
			if got := c.change("r"); got != "delete [map[body:b id:2]]" {
				t.Fatalf("delete after re-insert: %s", got)
			}
			e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (3, 7, 'c')")
			if got := c.change("r"); got != "insert [map[body:c id:3]]" {
				t.Fatalf("next: %s", got)
			}
		})
	}
}

// A row updated out of the WHERE and back in is in the initial data and
// must not be named (only its current version counts).
func TestAttack16OutAndBackIn(t *testing.T) {
	for _, flush := range []bool{false, true} {
		t.Run(fmt.Sprint("flush=", flush), func(t *testing.T) {
			rows, c, _ := resumeCase(t,
				[]string{"INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b')"},
				[]string{"UPDATE chat.messages SET conv = 8 WHERE id = 1", "UPDATE chat.messages SET conv = 7 WHERE id = 1",
					"UPDATE chat.messages SET conv = 9 WHERE id = 2"},
				false, flush, "SELECT id, body FROM chat.messages WHERE conv = 7")
			if got := fmt.Sprint(ids(rows)); got != "[1]" {
				t.Fatalf("initial: %v", rows)
			}
			if got := c.change("r"); got != "delete [map[body:b id:2]]" {
				t.Fatalf("delete: %s", got)
			}
		})
	}
}

// Rows written before from_seq_id (hot or flushed) that do not match are
// not named: only versions newer than from_seq_id.
func TestAttack16OldRowsOutsideWhereNotNamed(t *testing.T) {
	for _, flush := range []bool{false, true} {
		t.Run(fmt.Sprint("flush=", flush), func(t *testing.T) {
			rows, c, _ := resumeCase(t,
				[]string{"INSERT INTO chat.messages (id, conv, body) VALUES (1, 8, 'a'), (2, 7, 'b')",
					"DELETE FROM chat.messages WHERE id = 1", "INSERT INTO chat.messages (id, conv, body) VALUES (3, 8, 'c')"},
				[]string{"UPDATE chat.messages SET conv = 9 WHERE id = 2"},
				flush, false, "SELECT id, body FROM chat.messages WHERE conv = 7")
			if len(rows) != 0 {
				t.Fatalf("initial: %v", rows)
			}
			if got := c.change("r"); got != "delete [map[body:b id:2]]" {
				t.Fatalf("delete: %s", got)
			}
		})
	}
}

// Another user's rows of the same USER table are never named.
func TestAttack16OtherUsersRowsNotNamed(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a')")
	from := e.maxSeq()
	e.sql("bob", systable.RoleUser, "INSERT INTO chat.messages (id, conv, body) VALUES (50, 7, 'bob-secret'), (51, 8, 'bob2')")
	e.sql("bob", systable.RoleUser, "DELETE FROM chat.messages WHERE id = 50")
	e.alice("DELETE FROM chat.messages WHERE id = 1")
	for _, role := range []systable.Role{systable.RoleUser} {
		c := e.connect("alice", role)
		_, rows := c.subscribeAll("r", "SELECT id, body FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{FromSeqID: from})
		if len(rows) != 0 {
			t.Fatalf("initial: %v", rows)
		}
		if got := c.change("r"); got != "delete [map[body:a id:1]]" {
			t.Fatalf("delete names: %s", got)
		}
	}
}

// Commits during a multi-batch resume come after the resume's delete:
// a row named by the delete and inserted again meanwhile must end up
// present (delete, then insert), and a row of the initial data updated
// out meanwhile ends deleted.
func TestAttack16CommitDuringResume(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b'), (3, 7, 'c'), (4, 7, 'd')")
	from := e.maxSeq()
	e.alice("DELETE FROM chat.messages WHERE id = 1")
	e.alice("UPDATE chat.messages SET body = 'b2' WHERE id IN (2, 3, 4)")
	c := e.connect("alice", systable.RoleUser)
	c.subscribe("r", "SELECT id, body FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{FromSeqID: from, BatchSize: 1})
	c.expect("subscription_ack", "r")
	first := c.expect("initial_data_batch", "r")
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a3')")
	e.alice("UPDATE chat.messages SET conv = 8 WHERE id = 4")
	rest := c.restOfInitialData("r")
	if got := fmt.Sprint(ids(append(first.Rows, rest...))); got != "[2 3 4]" {
		t.Fatalf("initial: %s", got)
	}
	if got := c.change("r"); got != "delete [map[body:a id:1]]" {
		t.Fatalf("resume delete: %s", got)
	}
	if got := c.change("r"); got != "insert [map[body:a3 id:1]]" {
		t.Fatalf("then: %s", got)
	}
	if got := c.change("r"); got != "delete [map[body:b2 id:4]]" {
		t.Fatalf("then: %s", got)
	}
}

// A WHERE with a trailing line comment is reused in the resume's query
// inside parentheses: the comment must not swallow the closing ones.
func TestAttack16WhereWithComment(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b')")
	from := e.maxSeq()
	e.alice("DELETE FROM chat.messages WHERE id = 1")
	c := e.connect("alice", systable.RoleUser)
	_, rows := c.subscribeAll("r", "SELECT id, body FROM chat.messages WHERE conv = 7 -- trailing", live.SubscriptionOptions{FromSeqID: from})
	if len(rows) != 0 {
		t.Fatalf("initial: %v", rows)
	}
	if got := c.change("r"); got != "delete [map[body:a id:1]]" {
		t.Fatalf("resume delete: %s", got)
	}
}

// A dba's resume on a USER table names only the dba's own partition.
func TestAttack16DBAPartition(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.sql("root", systable.RoleSystem, "CREATE USER 'boss' WITH PASSWORD 'pw' ROLE dba")
	e.sql("boss", systable.RoleDBA, "INSERT INTO chat.messages (id, conv, body) VALUES (100, 7, 'x')")
	from, _ := e.sql("boss", systable.RoleDBA, "SELECT max(_seq) FROM chat.messages")[0].Rows[0][0].(int64)
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'alice-secret'), (2, 8, 'alice2')")
	e.alice("DELETE FROM chat.messages WHERE id = 1")
	c := e.connect("boss", systable.RoleDBA)
	_, rows := c.subscribeAll("r", "SELECT id, body FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{FromSeqID: from})
	if len(rows) != 0 {
		t.Fatalf("initial: %v", rows)
	}
	e.sql("boss", systable.RoleDBA, "INSERT INTO chat.messages (id, conv, body) VALUES (101, 7, 'y')")
	if got := c.change("r"); got != "insert [map[body:y id:101]]" {
		t.Fatalf("after resume: %s", got)
	}
}

// The bound at the default maximum: exactly 10 000 rows that left
// (deleted and updated out, mixed) are named in one delete, in _seq
// order; the 10 001st fails the subscription at subscribe
// (SUBSCRIPTION_FAILED) and, on a multi-batch resume, at the last
// next_batch (BATCH_FETCH_FAILED), both leaving the connection usable.
func TestAttack16BoundExactly(t *testing.T) {
	e := newEnv(t, live.Options{})
	const n = 10_000
	for i := 0; i < n+2; i += 1000 {
		var b strings.Builder
		b.WriteString("INSERT INTO chat.messages (id, conv, body) VALUES ")
		for j := i; j < min(i+1000, n+2); j++ {
			if j > i {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%d, 7, 'r%d')", j, j)
		}
		e.alice(b.String())
	}
	from := e.maxSeq()
	e.alice("DELETE FROM chat.messages WHERE id < 5000")
	e.alice("UPDATE chat.messages SET conv = 8 WHERE id >= 5000 AND id < 10000")
	c := e.connect("alice", systable.RoleUser)
	_, rows := c.subscribeAll("r", "SELECT id FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{FromSeqID: from})
	if len(rows) != 0 {
		t.Fatalf("initial: %v", ids(rows))
	}
	m := c.expect("change", "r")
	if m.ChangeType != "delete" || len(m.OldValues) != n {
		t.Fatalf("delete of %d rows: %s %d", n, m.ChangeType, len(m.OldValues))
	}
	c2 := e.connect("alice", systable.RoleUser)
	e.alice("UPDATE chat.messages SET body = NULL, conv = 9 WHERE id = 10000")
	c2.subscribeFails(apierror.SubscriptionFailed, "r2", "SELECT id FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{FromSeqID: from})
	// Multi-batch: the bound is met at the last batch.
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (20000, 7, 'x'), (20001, 7, 'y')")
	c2.subscribe("r3", "SELECT id FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{FromSeqID: from, BatchSize: 1})
	c2.expect("subscription_ack", "r3")
	c2.expect("initial_data_batch", "r3")
	err := c2.c.NextBatch(context.Background(), "r3")
	if err == nil {
		m := c2.next()
		if m.Type != "error" || m.Code != string(apierror.BatchFetchFailed) {
			t.Fatalf("past the bound at next_batch: %s", m.raw)
		}
	} else if !apierror.Is(err, apierror.BatchFetchFailed) {
		t.Fatalf("past the bound at next_batch: %v", err)
	}
	// Still usable.
	_, rows = c2.subscribeAll("r4", "SELECT id FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{})
	if got := fmt.Sprint(len(rows)); got != "3" {
		t.Fatalf("after: %s", got)
	}
}

// A sign-in checked against an account that then changed and changed
// back (role there and back, drop and create again under the same name
// and password) is refused; one whose account did not change is
// accepted whatever happened to other accounts.
func TestAttack16ConnectAfterChangeAndBack(t *testing.T) {
	e := newEnv(t, live.Options{})
	checked, _ := e.db.Catalog.UserByName("alice")
	old := *checked
	e.sql("root", systable.RoleSystem, "ALTER USER 'alice' SET ROLE service")
	e.sql("root", systable.RoleSystem, "ALTER USER 'alice' SET ROLE user")
	if _, err := e.m.Connect(&old); !errors.Is(err, live.ErrAccountChanged) {
		t.Fatalf("role there and back: %v", err)
	}
	checked, _ = e.db.Catalog.UserByName("alice")
	old = *checked
	e.sql("root", systable.RoleSystem, "DROP USER 'alice'")
	e.sql("root", systable.RoleSystem, "CREATE USER 'alice' WITH PASSWORD 'pw' ROLE user")
	if _, err := e.m.Connect(&old); !errors.Is(err, live.ErrAccountChanged) {
		t.Fatalf("dropped and created again: %v", err)
	}
	bob, _ := e.db.Catalog.UserByName("bob")
	cur := *bob
	e.sql("root", systable.RoleSystem, "ALTER USER 'alice' SET ROLE service")
	e.sql("root", systable.RoleSystem, "DROP USER 'svc'")
	c, err := e.m.Connect(&cur)
	if err != nil {
		t.Fatalf("unrelated accounts changed: %v", err)
	}
	c.Close()
}

// A subscription that selects the system columns (and not the key) gets
// them in the resume's delete, with the key added.
func TestAttack16SystemColumnsSelected(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b')")
	from := e.maxSeq()
	e.alice("DELETE FROM chat.messages WHERE id = 1")
	c := e.connect("alice", systable.RoleUser)
	_, rows := c.subscribeAll("r", "SELECT _deleted, body, _seq FROM chat.messages WHERE conv = 7", live.SubscriptionOptions{FromSeqID: from})
	if len(rows) != 0 {
		t.Fatalf("initial: %v", rows)
	}
	m := c.expect("change", "r")
	if m.ChangeType != "delete" || len(m.OldValues) != 1 {
		t.Fatalf("delete: %s", m.raw)
	}
	o := m.OldValues[0]
	if o["id"] != float64(1) || o["body"] != "a" || o["_deleted"] != true || o["_seq"] == nil || len(o) != 4 {
		t.Fatalf("old values: %s", m.raw)
	}
}

// Every row written after from_seq_id is in exactly one of the resume's
// initial data and its delete, whatever the WHERE and whether an index
// serves the initial data's query (the delete's query is a scan).
func TestAttack16ComplementWithIndexes(t *testing.T) {
	for _, flush := range []bool{false, true} {
		t.Run(fmt.Sprint("flush=", flush), func(t *testing.T) { complementWithIndexes(t, flush) })
	}
}

func complementWithIndexes(t *testing.T, flush bool) {
	e := newEnv(t, live.Options{})
	e.sql("root", systable.RoleSystem, "CREATE INDEX m_conv ON chat.messages (conv); CREATE INDEX m_body ON chat.messages (body)")
	e.alice("INSERT INTO chat.messages (id, conv, body) VALUES (0, 0, 'zero')")
	from := e.maxSeq()
	bodies := []string{"'a'", "'A'", "'abc'", "'Abc'", "'b'", "NULL", "''", "'a '", "'ä'", "'%'", "'_x'"}
	id := 1
	for conv := 6; conv <= 8; conv++ {
		for _, b := range bodies {
			e.alice(fmt.Sprintf("INSERT INTO chat.messages (id, conv, body) VALUES (%d, %d, %s)", id, conv, b))
			id++
		}
	}
	if flush {
		e.runJob("STORAGE FLUSH TABLE chat.messages")
	}
	e.alice("DELETE FROM chat.messages WHERE id % 5 = 0")
	e.alice("UPDATE chat.messages SET conv = 6 WHERE id % 7 = 0")
	wheres := []string{
		"conv = 7", "conv = '7'", "conv = 7.0", "conv IN (7, 8)", "conv > 6", "conv BETWEEN 7 AND 7",
		"body = 'a'", "body LIKE 'a%'", "body ILIKE 'a%'", "body > 'a'", "body < 'b'", "body IS NULL",
		"body IN ('a', NULL)", "body NOT IN ('a', NULL)", "body = ''", "body LIKE '\\%'", "conv = 7 AND body LIKE 'a%'",
		"conv = 7 OR body IS NULL", "body >= 'a' AND body < 'b'",
	}
	var all []int64
	for i := 1; i < id; i++ {
		all = append(all, int64(i))
	}
	c := e.connect("alice", systable.RoleUser)
	for k, w := range wheres {
		sub := fmt.Sprint("s", k)
		_, rows := c.subscribeAll(sub, "SELECT id FROM chat.messages WHERE "+w, live.SubscriptionOptions{FromSeqID: from})
		got := map[int64]int{}
		for _, r := range ids(rows) {
			got[r]++
		}
		if len(rows) < id-1 {
			m := c.expect("change", sub)
			for _, r := range ids(m.OldValues) {
				got[r]++
			}
		}
		for _, i := range all {
			if got[i] != 1 {
				t.Errorf("WHERE %s: row %d seen %d times (initial %v)", w, i, got[i], ids(rows))
			}
		}
		if err := c.c.Unsubscribe(sub); err != nil {
			t.Fatal(err)
		}
	}
}

// A STREAM table (no key, no deletes) resumes: events after from_seq_id
// are the initial data; the resume's query must not fail on it.
func TestAttack16StreamResume(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.sql("root", systable.RoleSystem, `CREATE STREAM TABLE chat.typing (who TEXT, conv BIGINT) WITH (TTL_SECONDS = 60)`)
	e.alice("INSERT INTO chat.typing (who, conv) VALUES ('a', 7), ('b', 8)")
	from, _ := e.sql("alice", systable.RoleUser, "SELECT max(_seq) FROM chat.typing")[0].Rows[0][0].(int64)
	e.alice("INSERT INTO chat.typing (who, conv) VALUES ('c', 7), ('d', 8)")
	c := e.connect("alice", systable.RoleUser)
	_, rows := c.subscribeAll("r", "SELECT who FROM chat.typing WHERE conv = 7", live.SubscriptionOptions{FromSeqID: from})
	if fmt.Sprint(rows) != "[map[who:c]]" {
		t.Fatalf("initial: %v", rows)
	}
	e.alice("INSERT INTO chat.typing (who, conv) VALUES ('e', 7)")
	if got := c.change("r"); got != "insert [map[who:e]]" {
		t.Fatalf("after the resume: %s", got)
	}
}
