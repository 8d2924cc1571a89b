package e2e_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// A table at the column bound over the wire: a live query of every column
// loads its initial data and follows inserts and updates, each frame
// carrying every column; one more column is refused with the documented
// code.
func TestCollimit24WidestTableLive(t *testing.T) {
	s := liveServer(t)
	n := systable.MaxTableColumns - 1
	defs := []string{"id BIGINT PRIMARY KEY"}
	for i := range n {
		defs = append(defs, fmt.Sprintf("c%d BIGINT", i))
	}
	s.ok(root, "CREATE NAMESPACE app; CREATE TABLE app.w ("+strings.Join(defs, ", ")+")")
	s.fail(root, 400, "RESOURCE_LIMIT_EXCEEDED", "ALTER TABLE app.w ADD COLUMN extra BIGINT")
	s.ok(liveAlice, "INSERT INTO app.w (id, c0, c1598) VALUES (1, 10, 11)")
	c := s.loginWS(t, "alice", "alice-pw")
	c.subscribe("w", "SELECT * FROM app.w", nil)
	ack := c.expect("subscription_ack", "w")
	if len(ack.Schema) != systable.MaxTableColumns+2 || ack.TotalRows != 1 {
		t.Fatalf("ack: %d columns, %d rows", len(ack.Schema), ack.TotalRows)
	}
	b := c.expect("initial_data_batch", "w")
	if len(b.Rows) != 1 || len(b.Rows[0]) != systable.MaxTableColumns+2 || fmt.Sprint(b.Rows[0]["c1598"]) != "11" {
		t.Fatalf("initial data: %d rows, %d columns", len(b.Rows), len(b.Rows[0]))
	}
	s.ok(liveAlice, "INSERT INTO app.w (id, c1598) VALUES (2, 22)")
	m := c.expect("change", "w")
	if m.ChangeType != "insert" || len(m.Rows) != 1 || len(m.Rows[0]) != systable.MaxTableColumns+2 || fmt.Sprint(m.Rows[0]["c1598"]) != "22" {
		t.Fatalf("insert: %.300s", m.raw)
	}
	s.ok(liveAlice, "UPDATE app.w SET c0 = 5 WHERE id = 1")
	m = c.expect("change", "w")
	if m.ChangeType != "update" || len(m.Rows) != 1 || fmt.Sprint(m.Rows[0]["c0"]) != "5" || fmt.Sprint(m.OldValues[0]["c0"]) != "10" {
		t.Fatalf("update: %.300s", m.raw)
	}
}
