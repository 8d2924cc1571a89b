package live_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestBulkInsertChangesMatchSingleInserts: an INSERT of many parameter
// rows (written together, as one commit) reaches a subscriber as exactly
// the changes the same rows inserted one statement at a time give: one
// insert per matching row, in the statement's order, nothing for rows the
// filter leaves out.
func TestBulkInsertChangesMatchSingleInserts(t *testing.T) {
	e := newEnv(t, live.Options{})
	rows := [][]any{}
	for i := 0; i < 30; i++ {
		rows = append(rows, []any{json.Number(fmt.Sprint(100 - i)), json.Number(fmt.Sprint(i % 3)), fmt.Sprintf("row %d", i)})
	}
	insert := func(rs [][]any) (string, []any) {
		var sb strings.Builder
		var params []any
		sb.WriteString("INSERT INTO chat.messages (id, conv, body) VALUES ")
		for i, r := range rs {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3)
			params = append(params, r...)
		}
		return sb.String(), params
	}
	got := map[string][]string{}
	for _, user := range []string{"alice", "bob"} {
		c := e.connect(user, systable.RoleUser)
		c.subscribeAll("m", "SELECT id, body FROM chat.messages WHERE conv = 1", live.SubscriptionOptions{})
		if user == "alice" {
			sqlText, params := insert(rows)
			e.sql(user, systable.RoleUser, sqlText, params...)
		} else {
			for _, r := range rows {
				sqlText, params := insert([][]any{r})
				e.sql(user, systable.RoleUser, sqlText, params...)
			}
		}
		for range 10 { // the rows with conv = 1
			got[user] = append(got[user], c.change("m"))
		}
		// A marker row proves nothing else was queued before it.
		e.sql(user, systable.RoleUser, "INSERT INTO chat.messages (id, conv, body) VALUES (1, 1, 'marker')")
		if m := c.change("m"); m != "insert [map[body:marker id:1]]" {
			t.Fatalf("%s: after the inserts: %s", user, m)
		}
	}
	if a, b := fmt.Sprint(got["alice"]), fmt.Sprint(got["bob"]); a != b || !strings.HasPrefix(a, "[insert [map[body:row 1 id:99]]") {
		t.Fatalf("changes:\nbulk   %s\nsingle %s", a, b)
	}
}
