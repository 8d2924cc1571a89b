package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestBulkInsertMatchesSinglesOverHTTP: one INSERT of 30 parameter rows
// (JSON numbers and strings, as an app sends them) stores what 30 one-row
// INSERTs store and reaches a WebSocket subscriber as the same changes; a
// key repeated in it fails the whole statement and stores nothing.
func TestBulkInsertMatchesSinglesOverHTTP(t *testing.T) {
	s := liveServer(t)
	type row struct {
		id, conv int
		body     string
	}
	var rows []row
	for i := 0; i < 30; i++ {
		rows = append(rows, row{100 - i, i % 3, fmt.Sprintf(`row %d <&> "q" é`, i)})
	}
	insert := func(rs []row) (string, []any) {
		var sb strings.Builder
		var params []any
		sb.WriteString("INSERT INTO chat.messages (id, conv, body) VALUES ")
		for i, r := range rs {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3)
			params = append(params, r.id, r.conv, r.body)
		}
		return sb.String(), params
	}
	changes := map[string][]string{}
	stored := map[string]string{}
	for _, u := range []struct {
		name  string
		creds creds
		pw    string
	}{{"alice", liveAlice, "alice-pw"}, {"bob", liveBob, "bob-pw"}} {
		ws := s.loginWS(t, u.name, u.pw)
		ws.subscribeAll("m", "SELECT id, body FROM chat.messages WHERE conv = 1", nil)
		if u.name == "alice" {
			sqlText, params := insert(rows)
			if r := s.ok(u.creds, sqlText, params...); !strings.Contains(r.raw, `"row_count":30`) {
				t.Fatalf("bulk insert: %s", r.raw)
			}
		} else {
			for _, r := range rows {
				sqlText, params := insert([]row{r})
				s.ok(u.creds, sqlText, params...)
			}
		}
		for range 10 { // the rows with conv = 1
			changes[u.name] = append(changes[u.name], ws.change("m"))
		}
		stored[u.name] = s.ok(u.creds, "SELECT id, conv, body FROM chat.messages ORDER BY id").rows(t)
	}
	if a, b := stored["alice"], stored["bob"]; a != b || !strings.Contains(a, `[100,0,"row 0 `) {
		t.Fatalf("stored:\nbulk   %s\nsingle %s", a, b)
	}
	if a, b := fmt.Sprint(changes["alice"]), fmt.Sprint(changes["bob"]); a != b {
		t.Fatalf("changes:\nbulk   %s\nsingle %s", a, b)
	}

	sqlText, params := insert([]row{{200, 0, "a"}, {201, 0, "b"}, {200, 0, "again"}})
	r := s.fail(liveAlice, http.StatusBadRequest, "INVALID_INPUT", sqlText, params...)
	if !strings.Contains(r.Error.Message, "duplicate primary key id = 200") {
		t.Fatalf("repeated key: %s", r.raw)
	}
	if got := s.ok(liveAlice, "SELECT count(*) FROM chat.messages WHERE id >= 200").rows(t); got != "[[0]]" {
		t.Fatalf("a failed bulk insert stored rows: %s", got)
	}
}
