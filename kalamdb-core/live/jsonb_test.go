package live_test

import (
	"fmt"
	"testing"

	"github.com/kalamdb/kalamdb-go/kalamdb-core/live"
	"github.com/kalamdb/kalamdb-go/kalamdb-sql/systable"
)

// TestLiveJSONFilterFollowsJsonb: a live WHERE comparing a JSON column
// orders as a SELECT does, jsonb's order (every answer checked on
// PostgreSQL 15): the initial data and each change agree with it.
func TestLiveJSONFilterFollowsJsonb(t *testing.T) {
	e := newEnv(t, live.Options{})
	e.sql("root", systable.RoleSystem, "CREATE TABLE chat.docs (id BIGINT PRIMARY KEY, j JSON)")
	// Objects are above arrays, then compared by their number of pairs,
	// then key by key: {"a":"x"} is below {"a":0} (a string is below a
	// number).
	e.alice(`INSERT INTO chat.docs VALUES (1, '{"a":1}'), (2, '[1,2]'), (3, '{"a":"x"}')`)
	c := e.connect("alice", systable.RoleUser)
	const sub = `SELECT id FROM chat.docs WHERE j > '{"a":0}'`
	_, rows := c.subscribeAll("d", sub, live.SubscriptionOptions{})
	if got := fmt.Sprint(ids(rows)); got != "[1]" {
		t.Fatalf("initial rows: %s", got)
	}
	// true and {} are below {"a":0}, {"b":null} (key b above a) and
	// {"a":1,"b":1} (two pairs) above it.
	e.alice(`INSERT INTO chat.docs VALUES (4, 'true'), (5, '{"b":null}'), (6, '{}'), (7, '{"a":1,"b":1}')`)
	for _, want := range []string{"insert [map[id:5]]", "insert [map[id:7]]"} {
		if got := c.change("d"); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
	e.alice(`UPDATE chat.docs SET j = '{"a":-1}' WHERE id = 1`)
	if got := c.change("d"); got != "delete [map[id:1]]" {
		t.Fatal(got)
	}
	e.alice(`INSERT INTO chat.docs VALUES (99, '{"a":[]}')`) // an array value is above a number
	if got := c.change("d"); got != "insert [map[id:99]]" {
		t.Fatal(got)
	}
	if got := fmt.Sprint(e.sql("alice", systable.RoleUser, sub+" ORDER BY id")[0].Rows); got != "[[5] [7] [99]]" {
		t.Fatalf("the SELECT of the same WHERE: %s", got)
	}
}
