package e2e_test

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestReturningGeneratedKeyOverHTTP: INSERT ... RETURNING answers with the
// SNOWFLAKE_ID() key each row got, exactly (the ids pass 2^53), as a
// normal result set whose row_count is the rows inserted; the key reads
// the row back. A USER table's rows are the caller's: another user's
// UPDATE ... RETURNING sees none of them.
func TestReturningGeneratedKeyOverHTTP(t *testing.T) {
	s := liveServer(t)
	s.ok(root, `CREATE TABLE chat.notes (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), body TEXT, created TIMESTAMP DEFAULT NOW())`)
	r := s.ok(liveAlice, "INSERT INTO chat.notes (body) VALUES ('first'), ('second') RETURNING id, body, created IS NOT NULL AS stamped")
	res := r.Results[0]
	if res.RowCount != 2 || len(res.Rows) != 2 || len(res.Schema) != 3 ||
		res.Schema[0].Name != "id" || res.Schema[0].DataType != "BigInt" || res.Schema[2].Name != "stamped" {
		t.Fatalf("answer: %s", r.raw)
	}
	for i, want := range []string{"first", "second"} {
		id, ok := res.Rows[i][0].(json.Number)
		if !ok || res.Rows[i][1] != want || res.Rows[i][2] != true {
			t.Fatalf("row %d: %v", i, res.Rows[i])
		}
		if got := s.ok(liveAlice, "SELECT body FROM chat.notes WHERE id = $1", id).rows(t); got != fmt.Sprintf(`[[%q]]`, want) {
			t.Fatalf("row by returned id %s: %s", id, got)
		}
	}
	if got := s.ok(liveBob, "UPDATE chat.notes SET body = 'stolen' RETURNING id, body").rows(t); got != `null` {
		t.Fatalf("bob's UPDATE returned %s", got)
	}
	if got := s.ok(liveBob, "DELETE FROM chat.notes RETURNING body").rows(t); got != `null` {
		t.Fatalf("bob's DELETE returned %s", got)
	}
	if got := s.ok(liveSvc, "EXECUTE AS USER 'alice' (DELETE FROM chat.notes WHERE body = 'second' RETURNING body, _deleted)").rows(t); got != `[["second",true]]` {
		t.Fatalf("service as alice: %s", got)
	}
	if got := s.ok(liveAlice, "SELECT body FROM chat.notes").rows(t); got != `[["first"]]` {
		t.Fatalf("alice reads %s", got)
	}
}

// TestReturningInBatchOverHTTP: in BEGIN ... COMMIT every statement
// answers with its rows; a batch that fails returns nothing and writes
// nothing.
func TestReturningInBatchOverHTTP(t *testing.T) {
	s := liveServer(t)
	r := s.ok(liveAlice, `BEGIN;
		INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'a'), (2, 7, 'b') RETURNING id, body;
		UPDATE chat.messages SET body = upper(body) WHERE id = 2 RETURNING id, body;
		DELETE FROM chat.messages WHERE id = 1 RETURNING id;
		COMMIT`)
	var got []string
	for _, res := range r.Results {
		raw, _ := json.Marshal(res.Rows)
		got = append(got, fmt.Sprintf("%d %s", res.RowCount, raw))
	}
	if want := `[0 null 2 [[1,"a"],[2,"b"]] 1 [[2,"B"]] 1 [[1]] 2 null]`; fmt.Sprint(got) != want {
		t.Fatalf("batch answers %v, want %s", got, want)
	}
	f := s.fail(liveAlice, 400, "INVALID_INPUT", `BEGIN;
		INSERT INTO chat.messages (id, conv, body) VALUES (3, 7, 'c') RETURNING id;
		INSERT INTO chat.messages (id, conv, body) VALUES (2, 7, 'dup') RETURNING id;
		COMMIT`)
	if len(f.Results) != 0 {
		t.Fatalf("failed batch answered rows: %s", f.raw)
	}
	if got := s.ok(liveAlice, "SELECT id, body FROM chat.messages ORDER BY id").rows(t); got != `[[2,"B"]]` {
		t.Fatalf("after the failed batch: %s", got)
	}
}

// TestReturningLiveOverHTTP: a subscriber sees a write with RETURNING as
// it sees one without, and the _seq it returns is a position to resume
// from: a subscription from it gets exactly the later writes.
func TestReturningLiveOverHTTP(t *testing.T) {
	s := liveServer(t)
	const q = "SELECT id, body FROM chat.messages WHERE conv = 7"
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribeAll("m", q, nil)
	r := s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 7, 'one') RETURNING _seq")
	seq, ok := r.Results[0].Rows[0][0].(json.Number)
	if !ok {
		t.Fatalf("answer: %s", r.raw)
	}
	if got := c.change("m"); got != "insert [map[body:one id:1]]" {
		t.Fatalf("change after INSERT ... RETURNING: %s", got)
	}
	s.ok(liveAlice, "UPDATE chat.messages SET body = 'uno' WHERE id = 1 RETURNING *")
	if got := c.change("m"); got != "update [map[body:uno id:1]] <- [map[body:one id:1]]" {
		t.Fatalf("change after UPDATE ... RETURNING: %s", got)
	}
	s.ok(liveAlice, "INSERT INTO chat.messages (id, conv, body) VALUES (2, 7, 'two')")
	if got := c.change("m"); got != "insert [map[body:two id:2]]" {
		t.Fatalf("change after INSERT: %s", got)
	}
	del := s.ok(liveAlice, "DELETE FROM chat.messages WHERE id = 2 RETURNING body, _deleted").rows(t)
	if del != `[["two",true]]` {
		t.Fatalf("DELETE returned %s", del)
	}
	if got := c.change("m"); got != "delete [map[body:two id:2]]" {
		t.Fatalf("change after DELETE ... RETURNING: %s", got)
	}
	// Resuming from the first insert's _seq: row 1 was updated since, so
	// it is initial data; row 2 was written and deleted since.
	rc := s.loginWS(t, "alice", "alice-pw")
	_, rows := rc.subscribeAll("r", q, map[string]any{"from_seq_id": seq.String()})
	if fmt.Sprint(rows) != "[map[body:uno id:1]]" {
		t.Fatalf("resumed from the returned _seq: %v", rows)
	}
}
